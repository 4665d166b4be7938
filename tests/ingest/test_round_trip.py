"""End to end: the synthetic bank's statements, exported in every format and ingested,
give back exactly its canonical transactions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets.exports import EXPORT_FORMATS, export_statements
from ledgerlens.ingest import ingest_paths, load_manifest, normalize, read_transactions
from ledgerlens.privacy import DEV_KEY, Pseudonymizer
from ledgerlens.store import Lake

CONFIG = SynthConfig(customers=12, months=2, seed=21)
NOW = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
COMPARED = ["tenant_id", "transaction_id", "account_id", "customer_id", "booking_date",
            "amount", "currency", "raw_label", "label_complement"]


@pytest.fixture(scope="module")
def bank():  # type: ignore[no-untyped-def]
    return generate_bank(CONFIG)


@pytest.fixture(scope="module")
def exported(bank, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("exports")
    export_statements(bank.transactions, bank.account_numbers, out, list(EXPORT_FORMATS),
                      opening_date=CONFIG.start - dt.timedelta(days=1))
    return out


def _files(exported: Path, fmt: str) -> list[Path]:
    return sorted((exported / fmt).iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_every_format_round_trips_exactly(bank, exported: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    customer_refs, account_refs = load_manifest(exported / "accounts.csv")
    frames = []
    for path in _files(exported, fmt):
        result = read_transactions(path, account_ref=account_refs[path.name])
        assert result.format == fmt
        out = normalize(result, tenant_id=CONFIG.tenant_id, source_file=path.name,
                        pseudonymizer=Pseudonymizer(DEV_KEY), ingested_at=NOW,
                        customer_refs=customer_refs)
        # the PSD2 exports carry one pending entry per page: counted, not a movement
        problems = out.rejects.filter(pl.col("reason") != "pending_not_booked")
        assert problems.height == 0, problems
        assert (out.rejects.height > 0) == (fmt in ("stet", "berlin"))
        frames.append(out.transactions)
    got = pl.concat(frames).select(COMPARED).sort("transaction_id")
    want = bank.transactions.select(COMPARED).sort("transaction_id")
    assert got.equals(want)


@pytest.mark.slow
def test_ingesting_every_format_into_one_lake_stores_each_movement_once(
        bank, exported: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    customer_refs, account_refs = load_manifest(exported / "accounts.csv")
    lake = Lake(tmp_path / "lake")
    files = [p for fmt in EXPORT_FORMATS for p in _files(exported, fmt)]
    summaries = ingest_paths(files, tenant_id=CONFIG.tenant_id, lake=lake,
                             pseudonymizer=Pseudonymizer(DEV_KEY), customer_refs=customer_refs,
                             account_refs=account_refs)
    assert all(s.status == "ok" and s.reconciles for s in summaries)
    n = bank.transactions.height
    assert sum(s.n_added for s in summaries) == n
    assert sum(s.n_accepted for s in summaries) == n * len(EXPORT_FORMATS)
    stored = lake.scan("transactions").select("transaction_id").collect()
    assert set(stored["transaction_id"]) == set(bank.transactions["transaction_id"])
    log = lake.scan("ingestion_log").collect()
    assert log.height == len(files)

    again = ingest_paths(files[:3], tenant_id=CONFIG.tenant_id, lake=lake,
                         pseudonymizer=Pseudonymizer(DEV_KEY), customer_refs=customer_refs,
                         account_refs=account_refs)
    assert [s.status for s in again] == ["skipped"] * 3
    assert lake.scan("transactions").select(pl.len()).collect().item() == n


@pytest.mark.slow
def test_labels_in_the_lake_are_masked(bank, exported: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    customer_refs, account_refs = load_manifest(exported / "accounts.csv")
    lake = Lake(tmp_path / "lake")
    ingest_paths(_files(exported, "camt053"), tenant_id=CONFIG.tenant_id, lake=lake,
                 pseudonymizer=Pseudonymizer(DEV_KEY), customer_refs=customer_refs,
                 account_refs=account_refs)
    stored = lake.scan("transactions").collect()
    with_names = bank.ground_truth.filter(
        pl.col("pii_spans").list.eval(pl.element().struct.field("kind") == "name").list.any())
    assert with_names.height > 0
    masked = stored.filter(pl.col("transaction_id").is_in(with_names["transaction_id"]))
    assert masked["raw_label"].str.contains("<NAME>").mean() > 0.9  # type: ignore[operator]
