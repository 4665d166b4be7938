"""Right to erasure: rows gone from every customer table, unreachable by time travel,
absent from every file of the lake, and audited without the id."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import typer
from deltalake import DeltaTable, write_deltalake
from typer.testing import CliRunner

from ledgerlens.cli._erasure import forget
from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.privacy import DEV_KEY
from ledgerlens.store import Lake, forget_customer, subject_hash

KEY = "an-audit-test-key-of-at-least-32-characters"
TENANT = "synthetic"
NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def bank_rows() -> tuple[pl.DataFrame, pl.DataFrame]:
    bank = generate_bank(SynthConfig(customers=20, months=2, seed=1))
    return bank.transactions, bank.account_numbers


@pytest.fixture
def transactions(bank_rows: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return bank_rows[0]


@pytest.fixture
def customer(transactions: pl.DataFrame) -> str:
    return str(transactions["customer_id"][0])


def _filled_lake(root: Path, transactions: pl.DataFrame, customer: str) -> Lake:
    """Transactions in two appends, attributed and anonymous rejects, a log row, and a
    table another component wrote with Delta's default statistics (every column)."""
    lake = Lake(root)
    lake.append_transactions(transactions.head(900))
    lake.append_transactions(transactions)
    rejects = pl.DataFrame({
        "tenant_id": [TENANT] * 3, "ingestion_id": ["ing-1"] * 3,
        "source_format": ["csv"] * 3, "source_position": ["line 2", "line 3", "line 4"],
        "reason": ["unparseable_date"] * 3, "raw_record": ["31/02/2025;X;1,00"] * 3,
        "customer_id": [customer, None, "cus_ffffffffffffffff"], "ingested_at": [NOW] * 3,
    })
    lake.append_quarantine(rejects)
    lake.append_log({"ingestion_id": "ing-1", "tenant_id": TENANT, "source_file": "a.csv",
                     "file_sha256": "1" * 64, "format": "csv", "n_found": 3, "n_accepted": 0,
                     "n_quarantined": 3, "n_duplicates_skipped": 0, "started_at": NOW,
                     "duration_s": 0.1, "status": "ok"})
    enriched = transactions.select("tenant_id", "transaction_id", "customer_id", "raw_label",
                                   pl.lit("groceries").alias("category"))
    write_deltalake(root / "enriched_transactions", enriched.to_arrow(), mode="append",
                    partition_by=["tenant_id"])
    return lake


def _rows_of(lake: Lake, table: str, customer: str, version: int | None = None) -> int:
    frame = lake.scan(table, version=version).filter(pl.col("customer_id") == customer)
    return int(frame.select(pl.len()).collect().item())


def test_forget_removes_the_customers_rows_from_every_customer_table(
        tmp_path: Path, transactions: pl.DataFrame, customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    theirs = transactions.filter(pl.col("customer_id") == customer).height

    result = forget_customer(lake, TENANT, customer, audit_key=KEY)

    assert result.rows_removed == {"transactions": theirs, "enriched_transactions": theirs,
                                   "quarantine": 1}
    for table in ("transactions", "enriched_transactions", "quarantine"):
        assert _rows_of(lake, table, customer) == 0
    assert lake.scan("transactions").select(pl.len()).collect().item() == (
        transactions.height - theirs)
    assert lake.scan("quarantine").select(pl.len()).collect().item() == 2
    assert lake.scan("ingestion_log").select(pl.len()).collect().item() == 1


def test_time_travel_cannot_bring_the_customer_back(tmp_path: Path, transactions: pl.DataFrame,
                                                    customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    old_versions = range(lake.delta_table("transactions").version() + 1)
    assert _rows_of(lake, "transactions", customer, version=max(old_versions)) > 0

    forget_customer(lake, TENANT, customer, audit_key=KEY)

    path = lake.path("transactions")
    for version in old_versions:
        try:
            back = pl.scan_delta(str(path), version=version).collect()
        except Exception:  # the version is gone: that is the point
            pass
        else:
            assert back.filter(pl.col("customer_id") == customer).is_empty()
        try:
            table = DeltaTable(path, version=version).to_pyarrow_table()
        except Exception:
            pass
        else:
            assert customer not in table.column("customer_id").to_pylist()


def _every_value(path: Path) -> str:
    """All text a file holds: JSON and checkpoint files as text, Parquet decoded."""
    if path.suffix == ".parquet":
        return str(pq.read_table(path).to_pylist())
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_file_in_the_lake_holds_the_customer_afterwards(
        tmp_path: Path, transactions: pl.DataFrame, customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    theirs = transactions.filter(pl.col("customer_id") == customer)
    # An orphan file, as a writer killed before its commit would leave.
    month = tmp_path / "transactions" / f"tenant_id={TENANT}" / "month=2025-01"
    theirs.write_parquet(month / "part-99999-orphan.parquet")
    needles = [customer, *theirs["transaction_id"].to_list()]
    assert any(customer in _every_value(p) for p in tmp_path.rglob("*") if p.is_file())

    forget_customer(lake, TENANT, customer, audit_key=KEY)

    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        text = _every_value(path)
        found = [n for n in needles if n in text]
        assert not found, f"{path.relative_to(tmp_path)} still holds {len(found)} value(s)"


def test_the_audit_row_holds_a_keyed_hash_never_the_id(
        tmp_path: Path, transactions: pl.DataFrame, customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    result = forget_customer(lake, TENANT, customer, audit_key=KEY)

    audit = lake.scan("privacy_audit").collect()
    assert audit.height == 1
    row = audit.row(0, named=True)
    assert row["subject_hash"] == subject_hash(TENANT, customer, KEY) == result.subject_hash
    assert row["subject_hash"] != subject_hash(TENANT, customer, DEV_KEY)
    assert row["action"] == "forget_customer"
    assert json.loads(row["rows_removed"]) == result.rows_removed
    assert row["requested_at"] <= row["completed_at"]
    assert customer not in str(audit.rows())
    assert customer.removeprefix("cus_") not in str(audit.rows())
    # The table's history, which starts again at the erasure, says which event cut it.
    latest = lake.history("transactions").row(0, named=True)
    assert json.loads(latest["ledgerlens"]) == {"ledgerlens.erasure": result.event_id}


def test_forget_logs_without_the_id(tmp_path: Path, transactions: pl.DataFrame, customer: str,
                                    caplog: pytest.LogCaptureFixture) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    with caplog.at_level(logging.DEBUG, logger="ledgerlens"):
        forget_customer(lake, TENANT, customer, audit_key=KEY)
    assert any("erasure" in r.getMessage() for r in caplog.records)
    assert all(customer not in r.getMessage() for r in caplog.records)


def test_forgetting_an_unknown_customer_removes_nothing_and_is_still_audited(
        tmp_path: Path, transactions: pl.DataFrame, customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    result = forget_customer(lake, TENANT, "cus_0000000000000000", audit_key=KEY)
    assert result.total_rows == 0
    assert lake.scan("transactions").select(pl.len()).collect().item() == transactions.height
    assert lake.scan("privacy_audit").select(pl.len()).collect().item() == 1


def test_the_lake_takes_new_rows_after_an_erasure(tmp_path: Path, transactions: pl.DataFrame,
                                                  customer: str) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    forget_customer(lake, TENANT, customer, audit_key=KEY)
    theirs = transactions.filter(pl.col("customer_id") == customer).height
    # A later re-ingestion of the same file brings the customer back, by design:
    # erasure is of what is stored, and the bank must stop sending the customer's data.
    assert lake.append_transactions(transactions) == theirs
    assert lake.append_transactions(transactions) == 0


@pytest.mark.parametrize("bad", ["FR7630006000011234567890189 ", "cus_1'; DROP", ""])
def test_forget_refuses_an_id_that_is_not_pseudonymous_without_quoting_it(
        tmp_path: Path, transactions: pl.DataFrame, bad: str) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions.head(10))
    with pytest.raises(DataError, match="pseudonymous id") as err:
        forget_customer(lake, TENANT, bad, audit_key=KEY)
    assert not bad or bad not in str(err.value)


def test_the_audit_key_comes_from_settings(tmp_path: Path, transactions: pl.DataFrame,
                                           customer: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    lake = _filled_lake(tmp_path, transactions, customer)
    monkeypatch.delenv("LEDGERLENS_PSEUDONYMIZATION_KEY", raising=False)
    monkeypatch.setenv("LEDGERLENS_ENV", "prod")
    with pytest.raises(ConfigurationError, match="PSEUDONYMIZATION_KEY is not set"):
        forget_customer(lake, TENANT, customer)
    assert _rows_of(lake, "transactions", customer) > 0  # refused before touching anything
    monkeypatch.setenv("LEDGERLENS_PSEUDONYMIZATION_KEY", KEY)
    result = forget_customer(lake, TENANT, customer)
    assert result.subject_hash == subject_hash(TENANT, customer, KEY)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("forget")(forget)
    app.command("noop")(lambda: None)  # two commands, so "forget" stays a sub-command
    return app


def test_forget_command_erases_by_bank_customer_number(
        tmp_path: Path, bank_rows: tuple[pl.DataFrame, pl.DataFrame], customer: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    transactions, accounts = bank_rows
    lake = _filled_lake(tmp_path, transactions, customer)
    monkeypatch.setenv("LEDGERLENS_ENV", "dev")  # the synthetic bank uses the development key
    monkeypatch.delenv("LEDGERLENS_PSEUDONYMIZATION_KEY", raising=False)
    ref = accounts.filter(pl.col("customer_id") == customer)["customer_ref"][0]
    runner = CliRunner()

    refused = runner.invoke(_cli(), ["forget", "--customer", ref, "--ref", "--lake",
                                     str(tmp_path), "--tenant", TENANT], input="n\n")
    assert refused.exit_code == 1
    assert _rows_of(lake, "transactions", customer) > 0

    done = runner.invoke(_cli(), ["forget", "--customer", ref, "--ref", "--lake",
                                  str(tmp_path), "--tenant", TENANT, "--yes"])
    assert done.exit_code == 0, done.output
    assert "transactions" in done.output
    assert customer not in done.output
    assert _rows_of(lake, "transactions", customer) == 0


def test_forget_command_reports_a_missing_lake(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["forget", "--customer", "cus_0000000000000000",
                                         "--lake", str(tmp_path / "nope"), "--tenant", TENANT,
                                         "--yes"])
    assert result.exit_code == 1
    assert "no lake folder" in result.output
    assert not (tmp_path / "nope").exists()
