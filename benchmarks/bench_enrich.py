"""Speed and memory of enrichment.

Measures, on this machine, with the default (shipped) model:
1. batch enrichment of about 1 million synthetic transactions in memory, end to end (every
   step, recurring streams included): transactions/s (target: at least 100,000), the median
   of three runs in one process, with the time of each step;
2. single-transaction enrichment in-process: p50/p99 latency over 2,000 calls, the median
   of three rounds over other samples (target: p99 under 5 ms);
3. peak memory when enriching a 10-million-row Parquet table file to file in batches, in a
   fresh process (target: bounded, independent of the table's size).

    python benchmarks/bench_enrich.py [--record] [--skip-10m]
"""

from __future__ import annotations

# ledgerlens before Polars, as its own CLI loads them: Polars' allocator then keeps freed
# memory five seconds (ledgerlens._allocator).
import ledgerlens  # noqa: F401

# isort: split
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from _record import DOC, record


def _bank(customers: int, seed: int = 11) -> pl.DataFrame:
    from ledgerlens.datasets import SynthConfig, generate_bank

    return generate_bank(SynthConfig(customers=customers, months=12, seed=seed)).transactions


def _steps(tx: pl.DataFrame) -> dict[str, float]:
    """Seconds per step of the pipeline on ``tx`` (same order as ``enrich``)."""
    from ledgerlens.enrich import EnrichmentModel
    from ledgerlens.enrich._clean import clean_labels, finish_clean_labels
    from ledgerlens.enrich._explain import explain
    from ledgerlens.enrich._frame import attach, prepare
    from ledgerlens.enrich._income import (
        detect_income,
        income_category,
        salary_without_merchant,
    )
    from ledgerlens.enrich._intermediary import detect_intermediaries
    from ledgerlens.enrich._parallel import beside
    from ledgerlens.enrich._pipeline import _rounded_and_abstained
    from ledgerlens.enrich._recurring import detect_recurring, stream_keys
    from ledgerlens.enrich._types import classify_types
    from ledgerlens.enrich.categories._bank_lines import bank_line_rule
    from ledgerlens.enrich.categories._rules import (
        bare_intermediary_rule,
        biller_refund_rule,
        fee_line_rule,
        interest_sign_rule,
        line_word_rule,
        place_phrase_rule,
        top_up_rule,
    )
    from ledgerlens.enrich.categories._station import station_fuel_rule
    from ledgerlens.enrich.merchants._matcher import MERCHANT_COLUMNS

    model = EnrichmentModel.default()
    times: dict[str, float] = {}

    def timed(name: str, fn, *args):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = fn(*args)
        times[name] = time.perf_counter() - t0
        return out

    towns = model.merchants.town_names
    prepared = timed("prepare", prepare, tx)
    frame = timed("clean labels", lambda f: clean_labels(f, town_names=towns), prepared.working)
    frame = timed("intermediaries", detect_intermediaries, frame)
    frame = timed("transaction type", lambda f: classify_types(f, town_names=towns), frame)
    typed = frame
    frame, profiles = timed("merchants, shop profiles beside", beside,
                            lambda: model.merchants.match(typed),
                            lambda: model.categories.shop_profiles(typed))
    frame = timed("categories", model.categories.predict, frame, profiles)
    frame = timed("line words", lambda f: bank_line_rule(
        line_word_rule(station_fuel_rule(f, model.merchants.name_words,
                                         model.merchants.station_ids),
                       model.merchants.brand_words, model.merchants.name_words),
        model.merchants.name_words), frame)
    frame = timed("merchant lines", model.merchants.settle_lines, frame)
    frame = timed("rules after the model, rounding", lambda f: _rounded_and_abstained(
        fee_line_rule(interest_sign_rule(place_phrase_rule(top_up_rule(
            biller_refund_rule(bare_intermediary_rule(f))))))), frame)
    frame = timed("stream keys", stream_keys, frame)
    frame, _ = timed("recurring", detect_recurring, frame)
    frame = timed("income", lambda f: salary_without_merchant(
        income_category(detect_income(f)), list(MERCHANT_COLUMNS)), frame)
    frame = timed("clean labels shown", finish_clean_labels, frame)
    frame = timed("explanation", explain, frame)
    timed("attach", attach, prepared, frame)
    return times


@dataclass(frozen=True)
class _BatchRuns:
    rows: int
    runs: list[float]  # seconds of each run

    @property
    def seconds(self) -> float:
        return float(np.median(self.runs))

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class _SingleRounds:
    calls: int
    rounds: list[tuple[float, float, float]]  # (p99, p50, max) of each round, in ms

    @property
    def median(self) -> tuple[float, float, float]:
        return sorted(self.rounds)[len(self.rounds) // 2]


def _batch(tx: pl.DataFrame, runs: int = 3) -> _BatchRuns:
    """The 1M batch ``runs`` times in one process (this machine's speed drifts by a third
    from minute to minute): the median run, and every run's seconds."""
    from ledgerlens.enrich import EnrichmentModel, enrich

    model = EnrichmentModel.default()
    enrich(tx.head(1000), model)  # warm-up: lazy imports, caches
    times, rows = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = enrich(tx, model).height
        times.append(time.perf_counter() - t0)
    return _BatchRuns(rows, times)


def _single(tx: pl.DataFrame, calls: int = 2_000, rounds: int = 3) -> _SingleRounds:
    """p50/p99 of ``calls`` one-transaction calls, in ``rounds`` rounds over other samples:
    the median round's figures, and every round's p99."""
    from ledgerlens.enrich import EnrichmentModel, enrich

    model = EnrichmentModel.default()
    model.warm_up()  # as a service does at start: lazy tables built before the first call
    figures = []
    for seed in range(1, rounds + 1):
        rows = tx.sample(calls, seed=seed)
        latencies = []
        for i in range(calls):
            one = rows.slice(i, 1)
            t0 = time.perf_counter()
            enrich(one, model)
            latencies.append(time.perf_counter() - t0)
        ms = np.array(latencies) * 1000
        figures.append((float(np.percentile(ms, 99)), float(np.percentile(ms, 50)),
                        float(ms.max())))
    return _SingleRounds(calls, figures)


def _stream_child(src: str, out: str) -> None:
    from ledgerlens.enrich import EnrichmentModel, enrich_file, scan_table

    t0 = time.perf_counter()
    summary = enrich_file(scan_table(Path(src)), Path(out), EnrichmentModel.default())
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": summary.rows, "seconds": seconds, "peak_rss_mb": peak}))


def _stream(tx: pl.DataFrame, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.parquet", Path(tmp) / "out.parquet"
        repeats = -(-rows // tx.height)
        # Copies get their own accounts so that each batch holds whole, realistic histories.
        pl.concat([tx.with_columns(account_id=pl.col("account_id") + f"_{k}",
                                   customer_id=pl.col("customer_id") + f"_{k}")
                   for k in range(repeats)]).head(rows).write_parquet(src)
        proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(out)],
                              check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rate"] = result["rows"] / result["seconds"]
    return result


def _record(lines: list[str]) -> None:
    record("bench_enrich", lines,
           "## Enrichment (`benchmarks/bench_enrich.py`)\n\nTargets (issue 4): batch enrichment "
           "of 1 million transactions at least 100,000 tx/s end to end on 2 cores; one "
           "transaction in-process under 5 ms at p99; bounded memory when streaming a "
           "10-million-row table.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument("--customers", type=int, default=1_800)
    parser.add_argument("--stream-only", action="store_true",
                        help="Only the 10-million-row file-to-file run (prints, no --record).")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _stream_child(*args.child)
        return
    print(f"machine: {os.cpu_count()} cores, python {platform.python_version()}")
    tx = _bank(args.customers)
    if args.stream_only:
        s = _stream(tx, 10_000_000)
        print(f"file -> file in batches: {s['rows']:,.0f} rows in {s['seconds']:.0f} s = "
              f"{s['rate']:,.0f} tx/s, peak RSS {s['peak_rss_mb']:,.0f} MB")
        return
    batch = _batch(tx)
    runs = " / ".join(f"{t:.1f}" for t in batch.runs)
    print(f"batch: {batch.rows:,.0f} tx in {batch.seconds:.1f} s (median of runs "
          f"{runs} s) = {batch.rate:,.0f} tx/s")
    steps = _steps(tx)
    for name, seconds in steps.items():
        print(f"  {name:31} {seconds:6.2f} s")
    single = _single(tx)
    p99, p50, most = single.median
    rounds = " / ".join(f"{r[0]:.2f}" for r in single.rounds)
    print(f"single transaction: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {most:.1f} ms "
          f"(median round; rounds' p99 {rounds} ms)")
    streams = [] if args.skip_10m else [_stream(tx, 10_000_000)]
    for s in streams:
        print(f"file -> file in batches: {s['rows']:,.0f} rows in {s['seconds']:.0f} s = "
              f"{s['rate']:,.0f} tx/s, peak RSS {s['peak_rss_mb']:,.0f} MB")
    if args.record:
        lines = [f"Measured {dt.date.today().isoformat()} with `python benchmarks/"
                 f"bench_enrich.py --record` ({os.cpu_count()} cores, default model).", "",
                 "| run | rows | seconds | tx/s | peak RSS |", "| --- | --- | --- | --- | --- |",
                 f"| batch, in memory, end to end (median of {len(batch.runs)} runs: "
                 f"{runs} s) | {batch.rows:,.0f} | {batch.seconds:.1f} | {batch.rate:,.0f} | |"]
        lines += [f"| Parquet file -> file in batches | {s['rows']:,.0f} | {s['seconds']:.0f} | "
                  f"{s['rate']:,.0f} | {s['peak_rss_mb']:,.0f} MB |" for s in streams]
        lines += ["", f"Single transaction in-process: p50 {p50:.2f} ms, p99 {p99:.2f} ms (the "
                  f"median of {len(single.rounds)} rounds of {single.calls:,} calls; the "
                  f"rounds' p99: {rounds} ms).", "",
                  "| step (1M batch) | seconds |", "| --- | --- |"]
        lines += [f"| {name} | {seconds:.2f} |" for name, seconds in steps.items()]
        _record(lines)
        print(f"recorded in {DOC}")


if __name__ == "__main__":
    main()
