"""The lake: idempotent appends, partitions on disk, Polars and DuckDB reads, crash safety."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import typer
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from ledgerlens.cli._lake import lake_app
from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.exceptions import DataError, SchemaValidationError
from ledgerlens.schema import TRANSACTIONS
from ledgerlens.store import QUARANTINE, Lake

NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def transactions() -> pl.DataFrame:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1)).transactions


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(TRANSACTIONS.names).sort("tenant_id", "transaction_id")


def _count(lake: Lake, table: str = "transactions") -> int:
    return int(lake.scan(table).select(pl.len()).collect().item())


def test_appending_the_same_rows_twice_adds_nothing(tmp_path: Path,
                                                    transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path / "lake")
    assert lake.append_transactions(transactions) == transactions.height
    version = lake.delta_table("transactions").version()
    files = set(lake.delta_table("transactions").file_uris())

    assert lake.append_transactions(transactions) == 0
    assert _count(lake) == transactions.height
    # No new commit and no rewritten file: a re-ingestion is a pure no-op.
    assert lake.delta_table("transactions").version() == version
    assert set(lake.delta_table("transactions").file_uris()) == files


def test_overlapping_appends_add_only_the_new_rows(tmp_path: Path,
                                                   transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    first, second = transactions.slice(0, 1000), transactions.slice(600)
    assert lake.append_transactions(first) == 1000
    assert lake.append_transactions(second) == transactions.height - 1000
    stored = lake.scan("transactions").collect()
    assert stored.height == transactions.height
    assert stored["transaction_id"].n_unique() == transactions.height


def test_rows_repeated_within_one_frame_are_stored_once(tmp_path: Path,
                                                        transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    doubled = pl.concat([transactions.head(50), transactions.head(50)])
    assert lake.append_transactions(doubled) == 50
    assert _count(lake) == 50


def test_the_key_is_per_tenant(tmp_path: Path, transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    other = transactions.with_columns(tenant_id=pl.lit("bank2"))
    lake.append_transactions(transactions)
    assert lake.append_transactions(other) == transactions.height
    assert _count(lake) == 2 * transactions.height


def test_partitions_by_tenant_and_month_exist_on_disk(tmp_path: Path,
                                                      transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(pl.concat([transactions,
                                        transactions.with_columns(tenant_id=pl.lit("bank2"))]))
    folder = tmp_path / "transactions"
    found = {(p.parent.parent.name, p.parent.name) for p in folder.glob("*/*/*.parquet")}
    assert found == {(f"tenant_id={t}", f"month={m}")
                     for t in ("synthetic", "bank2") for m in ("2025-01", "2025-02")}
    assert lake.delta_table("transactions").metadata().partition_columns == ["tenant_id", "month"]


def test_transaction_ids_are_stored_without_a_dictionary_and_files_compressed(
        tmp_path: Path, transactions: pl.DataFrame) -> None:
    import pyarrow.parquet as pq

    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    for uri in lake.delta_table("transactions").file_uris():
        columns = pq.ParquetFile(uri).metadata.row_group(0)
        chunks = {columns.column(i).path_in_schema: columns.column(i)
                  for i in range(columns.num_columns)}
        assert "RLE_DICTIONARY" not in chunks["transaction_id"].encodings
        assert "RLE_DICTIONARY" in chunks["account_id"].encodings
        assert {c.compression for c in chunks.values()} == {"SNAPPY"}


def test_round_trip_keeps_every_value_and_exact_decimals(tmp_path: Path,
                                                         transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    stored = lake.scan("transactions").collect()
    assert stored.schema["amount"] == pl.Decimal(18, 2)
    assert_frame_equal(_canonical(stored), _canonical(transactions))
    months = stored.select((pl.col("month") == pl.col("booking_date").dt.strftime("%Y-%m")).all())
    assert months.item()


def test_scan_and_sql_give_the_same_counts(tmp_path: Path, transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    by_scan = (lake.scan("transactions").group_by("month")
               .agg(n=pl.len(), total=pl.col("amount").sum()).sort("month").collect())
    by_sql = lake.sql("SELECT month, count(*) AS n, sum(amount) AS total "
                      "FROM transactions GROUP BY month ORDER BY month")
    assert by_scan["month"].to_list() == by_sql["month"].to_list()
    assert by_scan["n"].to_list() == by_sql["n"].to_list()
    assert by_scan["total"].to_list() == by_sql["total"].to_list()
    assert by_sql["n"].sum() == transactions.height


def test_sql_errors_are_data_errors(tmp_path: Path, transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions.head(5))
    with pytest.raises(DataError, match="SQL query"):
        lake.sql("SELECT nope FROM transactions")


def test_scanning_a_missing_table_names_the_known_ones(tmp_path: Path,
                                                       transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    assert lake.tables() == []
    lake.append_transactions(transactions.head(5))
    with pytest.raises(KeyError, match=r"no table 'enriched'.*transactions"):
        lake.scan("enriched")


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.drop("currency"), "missing column 'currency'"),
    (lambda f: f.with_columns(pl.col("amount").cast(pl.Float64)),
     "'amount' has dtype Float64, expected Decimal"),
    (lambda f: f.with_columns(pl.when(pl.col("raw_label").str.len_chars() > 0)
                              .then(None).otherwise(pl.col("raw_label")).alias("raw_label")),
     r"null values in required column\(s\) 'raw_label'"),
])
def test_append_refuses_a_frame_that_is_not_canonical(
        tmp_path: Path, transactions: pl.DataFrame,
        change: Callable[[pl.DataFrame], pl.DataFrame], message: str) -> None:
    lake = Lake(tmp_path)
    bad = change(transactions.head(20))
    with pytest.raises(SchemaValidationError, match=message):
        lake.append_transactions(bad)
    assert "transactions" not in lake.tables() or _count(lake) == 0


def test_append_refuses_an_amount_too_large_without_quoting_it(tmp_path: Path,
                                                               transactions: pl.DataFrame) -> None:
    huge = transactions.head(3).with_columns(pl.lit("12345678901234567890.00")
                                             .cast(pl.Decimal(38, 2)).alias("amount"))
    with pytest.raises(SchemaValidationError, match="column\\(s\\) amount") as err:
        Lake(tmp_path).append_transactions(huge)
    assert "1234567890" not in str(err.value)


def test_log_statistics_never_hold_personal_columns(tmp_path: Path,
                                                    transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    stats_columns: set[str] = set()
    for commit in (tmp_path / "transactions" / "_delta_log").glob("*.json"):
        for line in commit.read_text().splitlines():
            add = json.loads(line).get("add")
            if add and add.get("stats"):
                stats_columns |= set(json.loads(add["stats"])["minValues"])
    assert "transaction_id" in stats_columns
    assert not stats_columns & {"customer_id", "account_id", "raw_label", "label_complement",
                                "counterparty_name", "counterparty_iban", "source_file"}


def _rejects(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "tenant_id": ["synthetic"] * n,
        "ingestion_id": ["ing-1"] * n,
        "source_file": ["statement.csv"] * n,
        "source_format": ["csv"] * n,
        "source_position": [f"line {i + 2}" for i in range(n)],
        "reason": ["unparseable_amount"] * n,
        "detail": ["amount column: not a number"] * n,
        "raw_record": ["01/02/2025;CB SHOP;12,3,4"] * n,
        "ingested_at": [NOW] * n,
    })


def test_quarantine_takes_rejects_and_fills_the_optional_columns(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    assert lake.append_quarantine(_rejects(3)) == 3
    stored = lake.scan("quarantine").collect()
    assert stored.columns == QUARANTINE.schema.names
    assert stored["month"].to_list() == ["2025-03"] * 3
    assert stored["customer_id"].null_count() == 3


def test_ingestion_log_takes_one_row_as_a_mapping(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    row = {"ingestion_id": "ing-1", "tenant_id": "synthetic", "source_file": "a.csv",
           "file_sha256": "0" * 64, "format": "csv", "n_found": 10, "n_accepted": 8,
           "n_quarantined": 2, "n_duplicates_skipped": 0, "started_at": NOW,
           "duration_s": 0.5, "status": "ok"}
    assert lake.append_log(row) == 1
    assert lake.append_log({**row, "ingestion_id": "ing-2"}) == 1
    log = lake.scan("ingestion_log").sort("ingestion_id").collect()
    assert log["ingestion_id"].to_list() == ["ing-1", "ing-2"]
    with pytest.raises(DataError, match=r"no column.*n_rows"):
        lake.append_log({**row, "n_rows": 3})
    with pytest.raises(SchemaValidationError, match="missing column 'status'"):
        lake.append_log({k: v for k, v in row.items() if k != "status"})


def test_history_lists_commits_newest_first(tmp_path: Path, transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions.head(10))
    lake.append_transactions(transactions.slice(10, 10))
    history = lake.history("transactions")
    assert history["version"].to_list() == [2, 1, 0]
    assert history["operation"].to_list() == ["WRITE", "WRITE", "CREATE TABLE"]
    assert history.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert json.loads(history["ledgerlens"][0]) == {"ledgerlens.rows": "10"}


def test_compact_merges_the_small_files_of_many_appends(tmp_path: Path,
                                                        transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    january = transactions.filter(pl.col("booking_date").dt.month() == 1)
    for part in january.iter_slices(200):
        lake.append_transactions(part)
    assert len(lake.delta_table("transactions").file_uris()) > 1
    lake.compact("transactions")
    assert len(lake.delta_table("transactions").file_uris()) == 1
    assert _count(lake) == january.height


def test_summary_counts_rows_per_table(tmp_path: Path, transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    lake.append_quarantine(_rejects(2))
    summary = {r["table"]: r for r in lake.summary().iter_rows(named=True)}
    assert summary["transactions"]["rows"] == transactions.height
    assert summary["quarantine"]["rows"] == 2
    assert summary["transactions"]["partition_by"] == "tenant_id, month"


def test_lake_commands_show_tables_and_run_sql(tmp_path: Path,
                                               transactions: pl.DataFrame) -> None:
    lake = Lake(tmp_path)
    lake.append_transactions(transactions)
    app = typer.Typer()
    app.add_typer(lake_app, name="lake")
    runner = CliRunner()
    shown = runner.invoke(app, ["lake", "show", "--lake", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "transactions" in shown.output
    assert f"{transactions.height:,}" in shown.output
    query = runner.invoke(app, ["lake", "sql", "--lake", str(tmp_path),
                                "SELECT count(*) AS n FROM transactions"])
    assert query.exit_code == 0, query.output
    assert str(transactions.height) in query.output
    missing = runner.invoke(app, ["lake", "show", "--lake", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "no lake folder" in missing.output


# ---------------------------------------------------------------------------- crash safety

_CHILD = """
import sys
import polars as pl
from ledgerlens.store import Lake
print("writing", flush=True)
Lake(sys.argv[1]).append_transactions(pl.read_parquet(sys.argv[2]))
print("done", flush=True)
"""


def _big_frame(base: pl.DataFrame, copies: int) -> pl.DataFrame:
    """``copies`` copies of ``base``, each with fresh ids (same months, many more rows).

    An id is the digest of the base id and the copy's number: a copy never takes a base
    row's id (cutting the base id and appending the number could, one row in a few
    hundred thousand)."""
    ids = base["transaction_id"].to_list()
    return pl.concat([
        base.with_columns(transaction_id=pl.Series(
            [hashlib.md5(f"{tid}:{i}".encode()).hexdigest() for tid in ids]))
        for i in range(copies)
    ])


def _kill_mid_write(root: Path, source: Path) -> bool:
    """Run an append in a child process and SIGKILL it once it has written data files
    but not committed them; False when the timing missed (the child finished first)."""
    table = root / "transactions"
    committed = {p.name for p in (table / "_delta_log").glob("*.json")}
    before = set(table.rglob("*.parquet"))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), str(source)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 30
    caught = False
    while child.poll() is None and time.monotonic() < deadline:
        new_files = set(table.rglob("*.parquet")) - before
        new_commits = {p.name for p in (table / "_delta_log").glob("*.json")} - committed
        if len(new_files) >= 2 and not new_commits:
            os.kill(child.pid, signal.SIGKILL)
            caught = True
            break
        time.sleep(0.0005)
    child.wait(timeout=30)
    child.stdout.close()
    return caught and child.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_a_writer_killed_mid_append_leaves_the_table_consistent(tmp_path: Path) -> None:
    base = generate_bank(SynthConfig(customers=20, months=6, seed=1)).transactions
    big = _big_frame(base, 120)
    source = tmp_path / "big.parquet"
    big.write_parquet(source)
    for attempt in range(3):
        root = tmp_path / f"lake{attempt}"
        lake = Lake(root)
        lake.append_transactions(base)
        # Small target files make the writer flush files long before it commits.
        lake.delta_table("transactions").alter.set_table_properties(
            {"delta.targetFileSize": str(512 * 1024)})
        version = lake.delta_table("transactions").version()
        if _kill_mid_write(root, source):
            break
    else:
        pytest.fail("the child always finished before it could be killed mid-write")

    # Data files of the killed append are on disk, but no commit names them.
    orphans = lake.delta_table("transactions").vacuum(
        retention_hours=0, enforce_retention_duration=False, dry_run=True, full=True)
    assert len(orphans) >= 2
    # The table is readable and is exactly what it was before the append: all or nothing.
    assert lake.delta_table("transactions").version() == version
    assert _count(lake) == base.height
    assert lake.sql("SELECT count(*) FROM transactions").item() == base.height
    # The killed process released the writer lock; re-running the append completes it.
    assert lake.append_transactions(big) == big.height
    assert _count(lake) == base.height + big.height
    assert lake.append_transactions(big) == 0
