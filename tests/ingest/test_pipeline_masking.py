"""Masking a large read while its fingerprints are computed stores exactly what masking
the buffer at write time stores: same rows, same masked text, same counts."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets.exports import statement_account
from ledgerlens.datasets.exports._csv import export_csv
from ledgerlens.ingest import _pipeline, ingest_paths
from ledgerlens.privacy import DEV_KEY, Pseudonymizer
from ledgerlens.store import Lake


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three CSV exports: two accounts, and a second statement of the first account that
    overlaps the first one (its rows already stored when it comes), in one batch."""
    bank = generate_bank(SynthConfig(customers=8, months=3, seed=12))
    out = tmp_path_factory.mktemp("csv")
    with_pii = bank.ground_truth.filter(pl.col("pii_spans").list.len() > 0).join(
        bank.transactions.select("transaction_id", "account_id"), on="transaction_id")
    by_size = with_pii.group_by("account_id").len().sort(["len", "account_id"],
                                                         descending=[True, False])
    paths = []
    for k, (account_id, start, end) in enumerate([
            (by_size["account_id"][0], 0, 10**6), (by_size["account_id"][1], 0, 10**6),
            (by_size["account_id"][0], 5, 10**6)]):
        row = bank.account_numbers.filter(pl.col("account_id") == account_id).row(0, named=True)
        tx = bank.transactions.filter(pl.col("account_id") == account_id).sort(
            "booking_date", maintain_order=True).slice(start, end)
        account = statement_account(row, dt.date(2024, 12, 31))
        path = out / f"statement-{k}.csv"
        path.write_bytes(export_csv(account, tx))
        paths.append(path)
    return paths


Counts = list[tuple[int, int, int, int]]


def _ingest(files: list[Path], lake_dir: Path, threshold: int,
            monkeypatch: pytest.MonkeyPatch) -> tuple[pl.DataFrame, Counts]:
    monkeypatch.setattr(_pipeline, "MASK_WITH_READ_ROWS", threshold)
    lake = Lake(lake_dir)
    counts = []
    for group in ([files[0]], files[1:]):  # the overlapping file comes with a stored one
        for s in ingest_paths(group, tenant_id="t", lake=lake,
                              pseudonymizer=Pseudonymizer(DEV_KEY)):
            assert s.reconciles
            counts.append((s.n_found, s.n_accepted, s.n_added, s.n_duplicates_skipped))
    stored = lake.scan("transactions").drop("ingested_at").collect().sort("transaction_id")
    return stored, counts


def test_masking_with_the_read_stores_the_same_rows_as_masking_at_write(
        files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ledgerlens.ingest._pipeline")
    at_write, counts = _ingest(files, tmp_path / "a", 10**9, monkeypatch)
    sizes = sorted(found for found, *_ in counts)
    assert counts[-1][3] > 0  # the overlapping statement skips stored rows
    masked = pl.concat([at_write["raw_label"], at_write["label_complement"].drop_nulls()])
    assert masked.str.contains("<NAME>|<IBAN>|<PHONE>|<EMAIL>").any()  # something was masked
    for threshold in (1, sizes[1]):  # every read masked with it; or only the larger ones
        with_read, again = _ingest(files, tmp_path / f"b{threshold}", threshold, monkeypatch)
        assert again == counts
        assert_frame_equal(with_read, at_write)
    # the lake added exactly the rows the pipeline counted as added
    assert "lake added" not in caplog.text


@pytest.mark.parametrize("threshold", [1, 10**9])
def test_a_new_file_holding_only_stored_rows_adds_nothing(
        files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        threshold: int) -> None:
    monkeypatch.setattr(_pipeline, "MASK_WITH_READ_ROWS", threshold)
    again = tmp_path / "again.csv"
    again.write_bytes(files[0].read_bytes() + b"\r\n")  # other bytes, same rows
    lake = Lake(tmp_path / "lake")
    key = Pseudonymizer(DEV_KEY)
    [first] = ingest_paths([files[0]], tenant_id="t", lake=lake, pseudonymizer=key)
    [second] = ingest_paths([again], tenant_id="t", lake=lake, pseudonymizer=key)
    assert second.status == "ok"
    assert (second.n_added, second.n_duplicates_skipped) == (0, first.n_added)
