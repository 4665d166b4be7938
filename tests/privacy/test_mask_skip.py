"""Skipping rows that cannot hold personal data, and masking repeated rows once, change
nothing in the result."""

from __future__ import annotations

import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.privacy import mask_transactions
from ledgerlens.privacy._mask import _mask_every_row


def test_masking_with_the_shortcut_equals_masking_every_row() -> None:
    tx = generate_bank(SynthConfig(customers=60, months=6, seed=31)).transactions
    assert mask_transactions(tx).equals(_mask_every_row(tx, None))


def test_rows_repeating_their_values_are_masked_each_as_on_its_own() -> None:
    tx = generate_bank(SynthConfig(customers=20, months=3, seed=32)).transactions
    doubled = pl.concat([tx, tx.reverse()])
    masked = mask_transactions(doubled)
    once = mask_transactions(tx)
    assert masked.head(tx.height).equals(once)
    assert masked.tail(tx.height).equals(once.reverse())
    assert masked.equals(_mask_every_row(doubled, None))
