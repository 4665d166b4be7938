"""Speed and memory of the synthetic bank generator.

Measures, on this machine:
1. in-memory generation of about 1 million transactions (target: at most 20 s);
2. chunked generation (``write_bank``) at about 1 million and 10 million transactions,
   each in a fresh process, with its peak resident memory (target: flat, under 2 GB).

Prints the figures and, with ``--record``, writes them into ``docs/benchmarks.md``
between the ``bench_synth`` markers.

    python benchmarks/bench_synth.py [--record] [--skip-10m]
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

from _record import DOC, record

#: Customers per million transactions over 12 months, measured on the default generator.
CUSTOMERS_PER_MILLION = 1_800


def _in_memory(customers: int) -> dict[str, float]:
    from ledgerlens.datasets import SynthConfig, generate_bank

    t0 = time.perf_counter()
    bank = generate_bank(SynthConfig(customers=customers, months=12, seed=1))
    seconds = time.perf_counter() - t0
    rows = bank.transactions.height
    return {"customers": customers, "rows": rows, "seconds": seconds,
            "rows_per_second": rows / seconds,
            "seconds_per_million": seconds / rows * 1e6}


def _chunked_child(customers: int, out: str) -> None:
    from ledgerlens.datasets import SynthConfig, write_bank

    t0 = time.perf_counter()
    summary = write_bank(SynthConfig(customers=customers, months=12, seed=1), Path(out))
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"customers": customers, "rows": summary.rows["transactions"],
                      "seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def _chunked(customers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(customers), out],
            check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rows_per_second"] = result["rows"] / result["seconds"]
    return result


def _record(lines: list[str]) -> None:
    record("bench_synth", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--skip-10m", action="store_true", help="skip the 10M-row run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _chunked_child(int(args.child[0]), args.child[1])
        return

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    mem = _in_memory(CUSTOMERS_PER_MILLION)
    print(f"in memory : {mem['rows']:>11,.0f} rows in {mem['seconds']:6.1f} s "
          f"({mem['rows_per_second']:,.0f} rows/s, {mem['seconds_per_million']:.1f} s per 1M)")
    runs = [_chunked(CUSTOMERS_PER_MILLION)]
    if not args.skip_10m:
        runs.append(_chunked(CUSTOMERS_PER_MILLION * 10))
    for run in runs:
        print(f"chunked   : {run['rows']:>11,.0f} rows in {run['seconds']:6.1f} s "
              f"({run['rows_per_second']:,.0f} rows/s), peak RSS {run['peak_rss_mb']:,.0f} MB")
    if args.record:
        lines = [
            f"Measured {dt.date.today().isoformat()} with `python benchmarks/bench_synth.py "
            f"--record` ({os.cpu_count()} cores, Python {platform.python_version()}).",
            "",
            "| run | customers x months | transactions | seconds | rows/s | peak RSS |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| in memory (`generate_bank`) | {mem['customers']:,.0f} x 12 | {mem['rows']:,.0f} | "
            f"{mem['seconds']:.1f} | {mem['rows_per_second']:,.0f} | - |",
        ]
        lines += [
            f"| chunked (`write_bank`) | {r['customers']:,.0f} x 12 | {r['rows']:,.0f} | "
            f"{r['seconds']:.1f} | {r['rows_per_second']:,.0f} | {r['peak_rss_mb']:,.0f} MB |"
            for r in runs
        ]
        _record(lines)
        print(f"recorded in {DOC}")


if __name__ == "__main__":
    main()
