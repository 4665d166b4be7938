"""Speed and memory of ingestion.

Measures, on this machine:
1. CSV ingestion of about 1 million rows into an empty lake, end to end (read, normalise,
   pseudonymise, fingerprint, mask, Delta write, quarantine and log): rows/s
   (target: at least 200,000);
2. peak memory when ingesting a 10-million-row CSV file (streamed in batches), in a fresh
   process (target: flat);
3. reader throughput of camt.053 and OFX on about 200,000 transactions (target: at least
   50,000 tx/s each), and of the other readers for reference.

    python benchmarks/bench_ingest.py [--record] [--skip-10m] [--readers-only]
                                      [--against GIT_REF] [--repeat N]
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
from typing import Any

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

    start = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = start.ru_utime + start.ru_stime
    t0 = time.perf_counter()
    [summary] = ingest_paths([Path(path)], tenant_id="bench", lake=Lake(lake),
                             pseudonymizer=Pseudonymizer(DEV_KEY))
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    print(json.dumps({"rows": summary.n_found, "added": summary.n_added,
                      "quarantined": summary.n_quarantined, "seconds": seconds,
                      "cpu_seconds": cpu, "peak_rss_mb": usage.ru_maxrss / 1024,
                      "status": summary.status}))


def _ingest(path: Path, code: Path | None = None) -> dict[str, Any]:
    """One ingestion of ``path`` into a new lake, in a fresh process; ``code`` is a folder
    holding another version's ``ledgerlens`` package to run instead of this checkout's."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    with tempfile.TemporaryDirectory() as lake:
        proc = subprocess.run([sys.executable, __file__, "--child", str(path), lake],
                              check=True, capture_output=True, text=True, env=env)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rows_per_second"] = result["rows"] / result["seconds"]
    result["load"] = os.getloadavg()[0]
    return result


def _code_of(ref: str, into: Path) -> Path:
    """The ``src`` folder of git revision ``ref`` written under ``into`` (read-only git)."""
    archive = subprocess.run(["git", "archive", ref, "src"], check=True, capture_output=True,
                             cwd=Path(__file__).resolve().parents[1]).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


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


def _readers_in(code: Path | None) -> dict[str, tuple[int, float]]:
    """``_readers`` in a fresh process, with another version's code when ``code`` is given."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    proc = subprocess.run([sys.executable, __file__, "--readers-child"], check=True,
                          capture_output=True, text=True, env=env)
    found: dict[str, list[float]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return {fmt: (int(rows), seconds) for fmt, (rows, seconds) in found.items()}


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
    parser.add_argument("--against", metavar="REF",
                        help="also time the 1M-row run with the code of git revision REF, "
                             "alternating with this checkout's (same machine load)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of the 1M-row file and of the readers per version")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--readers-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _ingest_child(*args.child)
        return
    if args.readers_child:
        print(json.dumps(_readers()))
        return
    print(f"machine: {os.cpu_count()} cores, python {platform.python_version()}")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        other = _code_of(args.against, Path(tmp)) if args.against else None
        for rows in [] if args.readers_only else [1_000_000] + (
                [] if args.skip_10m else [10_000_000]):
            path = Path(tmp) / f"statement-{rows}.csv"
            _csv_file(path, rows)
            versions: list[tuple[str, Path | None]] = [("this checkout", None)]
            if other is not None and rows == 1_000_000:
                versions = [(f"code of `{args.against}`", other), *versions]
            for _ in range(args.repeat if rows == 1_000_000 else 1):
                for label, code in versions:
                    run = {**_ingest(path, code), "mb": path.stat().st_size / 1e6,
                           "version": label}
                    runs.append(run)
                    print(f"csv -> lake ({label}): {run['rows']:>11,.0f} rows "
                          f"({run['mb']:,.0f} MB) in {run['seconds']:6.1f} s = "
                          f"{run['rows_per_second']:,.0f} rows/s ({run['cpu_seconds']:.1f} "
                          f"CPU-s, load {run['load']:.1f}), peak RSS "
                          f"{run['peak_rss_mb']:,.0f} MB, status {run['status']}")
            path.unlink()
        codes: dict[str, Path | None] = {"this checkout": None}
        if other is not None:
            codes = {f"code of `{args.against}`": other, **codes}
        readers: dict[str, dict[str, tuple[int, float]]] = {v: {} for v in codes}
        for _ in range(args.repeat):  # alternating versions; the fastest run of each counts
            for label, code in codes.items():
                for fmt, (rows, seconds) in _readers_in(code).items():
                    best = readers[label].get(fmt, (rows, seconds))[1]
                    readers[label][fmt] = (rows, min(seconds, best))
    for label, found in readers.items():
        for fmt, (rows, seconds) in found.items():
            print(f"reader {fmt:8} ({label}): {rows:,} tx in {seconds:.2f} s = "
                  f"{rows / seconds:,.0f} tx/s")
    if args.record:
        options = " ".join(sys.argv[1:])
        lines = [f"Measured {dt.date.today().isoformat()} with `python benchmarks/"
                 f"bench_ingest.py {options}` ({os.cpu_count()} cores).", "",
                 "| run (CSV file -> lake, end to end) | rows | file | seconds | rows/s | "
                 "CPU seconds | load after (1 min) | peak RSS |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['version']} | {r['rows']:,.0f} | {r['mb']:,.0f} MB | "
                  f"{r['seconds']:.1f} | {r['rows_per_second']:,.0f} | "
                  f"{r['cpu_seconds']:.1f} | {r['load']:.1f} | "
                  f"{r['peak_rss_mb']:,.0f} MB |" for r in runs]
        lines += ["", "CPU seconds count every thread of the ingesting process. On 2 cores "
                  "shared with other jobs (a load above 2) the wall time is longer than on "
                  "an idle machine, the CPU time much less so; `--against REF` times another "
                  "version on the same file, alternating, so that both see the same load."]
        labels = list(readers)
        lines += ["", "| reader (parse only, one file holding a 400-customer bank) | tx | "
                  + " | ".join(f"seconds, {v} | tx/s, {v}" for v in labels) + " |",
                  "| --- | --- |" + " --- | --- |" * len(labels)]
        for fmt, (rows, _) in readers[labels[-1]].items():
            cells = " | ".join(f"{readers[v][fmt][1]:.2f} | {rows / readers[v][fmt][1]:,.0f}"
                               for v in labels)
            lines.append(f"| {fmt} | {rows:,} | {cells} |")
        lines += ["", f"Readers: fastest of {args.repeat} run(s) per version, versions "
                  f"alternating; load (1 min) after the reader runs {os.getloadavg()[0]:.1f}."]
        _record(lines)
        print(f"recorded in {DOC}")


if __name__ == "__main__":
    main()
