"""Speed and memory of ingestion.

Measures, on this machine:
1. CSV ingestion of about 1 million rows into an empty lake, end to end (read, normalise,
   pseudonymise, fingerprint, mask, Delta write, quarantine and log): rows/s
   (target: at least 200,000);
2. peak memory when ingesting a 10-million-row CSV file (streamed in batches), in a fresh
   process (target: flat);
3. reader throughput of camt.053 and OFX on about 200,000 transactions (target: at least
   50,000 tx/s each), and of the other readers for reference.

    python benchmarks/bench_ingest.py [--record] [--skip-10m]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from _record import DOC, record


def _csv_file(path: Path, rows: int) -> None:
    """A generic-layout CSV of ``rows`` synthetic movements across many accounts."""
    from ledgerlens.datasets import SynthConfig, generate_bank

    bank = generate_bank(SynthConfig(customers=400, months=12, seed=3))
    tx = bank.transactions.join(bank.account_numbers.select("account_id", "iban"),
                                on="account_id")
    base = tx.select(
        Date=pl.col("booking_date").dt.strftime("%d/%m/%Y"),
        **{"Date de valeur": pl.col("value_date").dt.strftime("%d/%m/%Y"),
           "Libellé": pl.col("raw_label"),
           "Complément": pl.col("label_complement"),
           "Montant": pl.col("amount").cast(pl.String).str.replace(".", ",", literal=True),
           "Devise": pl.col("currency"), "Compte": pl.col("iban")})
    repeats = -(-rows // base.height)
    # Each copy moves the dates by whole years so that the rows stay distinct movements.
    frames = [base.with_columns(Date=pl.col("Date").str.slice(0, 6)
                                + (pl.col("Date").str.slice(6, 4).cast(pl.Int32) - k)
                                .cast(pl.String)) for k in range(repeats)]
    pl.concat(frames).head(rows).write_csv(path, separator=";")


def _ingest_child(path: str, lake: str) -> None:
    from ledgerlens.ingest import ingest_paths
    from ledgerlens.privacy import DEV_KEY, Pseudonymizer
    from ledgerlens.store import Lake

    t0 = time.perf_counter()
    [summary] = ingest_paths([Path(path)], tenant_id="bench", lake=Lake(lake),
                             pseudonymizer=Pseudonymizer(DEV_KEY))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": summary.n_found, "added": summary.n_added,
                      "quarantined": summary.n_quarantined, "seconds": seconds,
                      "peak_rss_mb": peak, "status": summary.status}))


def _ingest(path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as lake:
        proc = subprocess.run([sys.executable, __file__, "--child", str(path), lake],
                              check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rows_per_second"] = result["rows"] / result["seconds"]
    return result


def _readers(n_customers: int = 400) -> dict[str, tuple[int, float]]:
    """Reader-only throughput per format on one large statement file (all of a bank's
    movements written as one account's), so that per-file overhead does not count."""
    from ledgerlens.datasets import SynthConfig, generate_bank
    from ledgerlens.datasets.exports import EXPORT_FORMATS, statement_account
    from ledgerlens.datasets.exports._statements import _exporter
    from ledgerlens.ingest import read_transactions

    bank = generate_bank(SynthConfig(customers=n_customers, months=12, seed=5))
    first = bank.account_numbers.row(0, named=True)
    account = statement_account(first, dt.date(2024, 12, 31))
    tx = bank.transactions.with_columns(account_id=pl.lit(first["account_id"])).sort(
        "booking_date", maintain_order=True)
    out: dict[str, tuple[int, float]] = {}
    for fmt in EXPORT_FORMATS:
        data = _exporter(fmt)(account, tx)
        t0 = time.perf_counter()
        rows = read_transactions(data, fmt, source=f"bench.{fmt}",
                                 account_ref=account.iban).records.height
        out[fmt] = (rows, time.perf_counter() - t0)
    return out


def _record(lines: list[str]) -> None:
    record("bench_ingest", lines,
           "## Ingestion (`benchmarks/bench_ingest.py`)\n\nTargets (issue 3): CSV into the lake "
           "at least 200,000 rows/s end to end, flat memory on a 10-million-row file; camt.053 "
           "and OFX readers at least 50,000 tx/s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument("--readers-only", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _ingest_child(*args.child)
        return
    print(f"machine: {os.cpu_count()} cores, python {platform.python_version()}")
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in [] if args.readers_only else [1_000_000] + (
                [] if args.skip_10m else [10_000_000]):
            path = Path(tmp) / f"statement-{rows}.csv"
            _csv_file(path, rows)
            run = _ingest(path)
            run["mb"] = path.stat().st_size / 1e6
            runs.append(run)
            print(f"csv -> lake: {run['rows']:>11,.0f} rows ({run['mb']:,.0f} MB) in "
                  f"{run['seconds']:6.1f} s = {run['rows_per_second']:,.0f} rows/s, "
                  f"peak RSS {run['peak_rss_mb']:,.0f} MB, status {run['status']}")
            path.unlink()
    readers = _readers()
    for fmt, (rows, seconds) in readers.items():
        print(f"reader {fmt:8}: {rows:,} tx in {seconds:.2f} s = {rows / seconds:,.0f} tx/s")
    if args.record:
        lines = [f"Measured {dt.date.today().isoformat()} with `python benchmarks/"
                 f"bench_ingest.py --record` ({os.cpu_count()} cores).", "",
                 "| run | rows | file | seconds | rows/s | peak RSS |",
                 "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| CSV file -> lake, end to end | {r['rows']:,.0f} | {r['mb']:,.0f} MB | "
                  f"{r['seconds']:.1f} | {r['rows_per_second']:,.0f} | "
                  f"{r['peak_rss_mb']:,.0f} MB |" for r in runs]
        lines += ["", "| reader (parse only, one file holding a 400-customer bank) | tx | "
                  "seconds | tx/s |", "| --- | --- | --- | --- |"]
        lines += [f"| {fmt} | {rows:,} | {s:.2f} | {rows / s:,.0f} |"
                  for fmt, (rows, s) in readers.items()]
        _record(lines)
        print(f"recorded in {DOC}")


if __name__ == "__main__":
    main()
