"""A CSV file read in batches stores what one read stores: identical movements on either side
of a batch boundary are two movements, with the ids a whole read gives them."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets.exports import statement_account
from ledgerlens.datasets.exports._csv import export_csv
from ledgerlens.ingest import _pipeline, ingest_paths
from ledgerlens.ingest.readers import _csv
from ledgerlens.privacy import DEV_KEY, Pseudonymizer
from ledgerlens.store import Lake


@pytest.fixture(scope="module")
def statement(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bank = generate_bank(SynthConfig(customers=3, months=2, seed=21))
    account_id = bank.transactions["account_id"][0]
    tx = bank.transactions.filter(pl.col("account_id") == account_id).sort(
        "booking_date", maintain_order=True)
    # The same coffee twice the same day, far apart in the file: two real movements.
    twice = tx.slice(3, 1)
    tx = pl.concat([tx.head(4), twice, tx.slice(4, tx.height - 4), twice]).sort(
        "booking_date", maintain_order=True)
    row = bank.account_numbers.filter(pl.col("account_id") == account_id).row(0, named=True)
    path = tmp_path_factory.mktemp("csv") / "statement.csv"
    path.write_bytes(export_csv(statement_account(row, dt.date(2024, 12, 31)), tx))
    return path


def _stored(path: Path, lake_dir: Path) -> tuple[pl.DataFrame, int]:
    lake = Lake(lake_dir)
    [summary] = ingest_paths([path], tenant_id="t", lake=lake,
                             pseudonymizer=Pseudonymizer(DEV_KEY))
    assert summary.reconciles
    stored = lake.scan("transactions").select("transaction_id", "raw_label").collect()
    return stored.sort("transaction_id"), summary.n_added


def test_batches_store_every_identical_movement_with_one_read_s_ids(
        statement: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, added = _stored(statement, tmp_path / "whole")
    monkeypatch.setattr(_pipeline, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(_csv, "read_csv_batches",
                        functools.partial(_csv.read_csv_batches, batch_rows=5))
    batched, batched_added = _stored(statement, tmp_path / "batched")
    assert batched_added == added == whole.height
    assert batched.equals(whole)
    assert whole["raw_label"].is_duplicated().any()  # the two coffees are both there
