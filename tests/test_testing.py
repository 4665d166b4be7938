"""The shared hypothesis strategies produce valid canonical data."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings

from ledgerlens.identity import transaction_fingerprints
from ledgerlens.schema import TRANSACTIONS, validate
from ledgerlens.testing import bank_labels, transactions_frames


@settings(max_examples=30, deadline=None)
@given(transactions_frames(max_rows=15))
def test_generated_tables_are_valid(frame: pl.DataFrame) -> None:
    report = validate(frame, TRANSACTIONS)
    assert report.ok, report.summary()


@settings(max_examples=30, deadline=None)
@given(transactions_frames(min_rows=1, max_rows=15))
def test_fingerprints_are_unique_and_stable(frame: pl.DataFrame) -> None:
    first = transaction_fingerprints(frame)
    assert first.n_unique() == frame.height
    assert first.equals(transaction_fingerprints(frame))


@given(bank_labels())
def test_labels_are_trimmed_upper_case(label: str) -> None:
    assert label
    assert label == label.strip()
    assert label == label.upper()
