"""Measure enrichment steps 1-3 (clean labels, intermediaries, transaction types).

Prints: cleaning throughput on 1M rows with ~10 % distinct labels; intermediary precision
and recall; type accuracy (strict, with in-store/contactless merged, per dialect, per type)
with and without bank transaction codes. Run:

    .venv/bin/python benchmarks/eval_label_steps.py [--seed 3] [--lake /tmp/llbank]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank, load_bank
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._types import classify_types

_MERGE = {"card_contactless": "card_in_store"}


def _bank(seed: int, lake: Path | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(transactions joined with their ground truth, the merchants table)."""
    if lake is not None:
        tables = load_bank(lake)
        tx = tables["transactions"].join(tables["ground_truth"],
                                         on=["tenant_id", "transaction_id"]).collect()
        return tx, tables["merchants"].collect()
    bank = generate_bank(SynthConfig(customers=300, months=6, seed=seed))
    tx = bank.transactions.join(bank.ground_truth, on=["tenant_id", "transaction_id"])
    return tx, bank.merchants


def cleaning_quality(tx: pl.DataFrame, merchants: pl.DataFrame) -> None:
    """Card payments at generator merchants: is ``merchant_text`` the merchant's descriptor
    (intermediary wrapper removed), or a prefix of it (a label cut by the bank)?"""
    out = detect_intermediaries(clean_labels(tx.select("raw_label", "label_complement")))
    wrapper = r"^(?:SQ|SUMUP|ZETTLE_|STRIPE|LYF|PAYPAL|GOOGLE)\s*\*\s*"
    d = (pl.DataFrame({"merchant_id": tx["merchant_id"], "type": tx["transaction_type"],
                       "text": out["merchant_text"]})
         .filter(pl.col("type").str.starts_with("card"))
         .join(merchants.select("merchant_id", pl.col("descriptor").str.to_uppercase()
                                .str.replace(wrapper, "").alias("want")), on="merchant_id"))
    exact = d["text"] == d["want"]
    prefix = d["want"].str.starts_with(d["text"]) & (d["text"].str.len_chars() >= 4)
    both = (exact | prefix).mean()
    print(f"cleaning: card payments at known merchants ({d.height:,}): merchant_text equals "
          f"the descriptor {exact.mean():.4f}, equals or is a cut prefix {both:.4f}")


def cleaning_throughput(tx: pl.DataFrame, rows: int = 1_000_000) -> None:
    pairs = tx.select("raw_label", "label_complement").unique()
    n_unique = rows // 10
    pool = (pl.concat([pairs] * (n_unique // pairs.height + 1)).head(n_unique)
            .with_row_index("i")
            .with_columns(pl.when(pl.col("i") >= pairs.height)
                          .then(pl.col("raw_label") + " " + (pl.col("i") % 997).cast(pl.String))
                          .otherwise(pl.col("raw_label")).alias("raw_label")).drop("i"))
    big = pool[np.random.default_rng(0).integers(0, pool.height, rows)]
    clean_labels(big.head(10))  # compile the regexes once
    start, cpu = time.perf_counter(), time.process_time()
    clean_labels(big)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"clean_labels: {rows:,} rows, {pool.unique().height:,} distinct: "
          f"{rows / elapsed:,.0f} rows/s wall ({elapsed:.2f} s; {cpu:.2f} s CPU, all threads)")


def single_row_latency(tx: pl.DataFrame, n: int = 200) -> None:
    """Steps 1-3 on one transaction at a time (the API's single-transaction path)."""
    cols = ["raw_label", "label_complement", "mcc", "bank_transaction_code", "account_id"]
    rows = tx.select(*cols, pl.col("amount").cast(pl.Float64)).sample(n, seed=0)
    classify_types(rows.head(1))
    times = []
    for i in range(n):
        start = time.perf_counter()
        classify_types(rows.slice(i, 1))
        times.append(time.perf_counter() - start)
    ms = np.sort(np.asarray(times)) * 1000
    print(f"steps 1-3 on one transaction: median {np.median(ms):.1f} ms, "
          f"p99 {ms[int(0.99 * (n - 1))]:.1f} ms (wall, {n} calls)")


def intermediaries(tx: pl.DataFrame) -> None:
    out = detect_intermediaries(clean_labels(tx.select("raw_label", "label_complement")))
    pred, truth = out["intermediary"], tx["intermediary"]
    hit = int((pred.is_not_null() & (pred == truth)).sum())
    n_pred, n_true = int(pred.is_not_null().sum()), int(truth.is_not_null().sum())
    print(f"intermediary: precision {hit / max(n_pred, 1):.4f} recall {hit / max(n_true, 1):.4f}"
          f" (correct {hit}, predicted {n_pred}, true {n_true})")
    wrong = pl.DataFrame({"truth": truth, "pred": pred, "label": out["full_label"]}).filter(
        pl.col("truth").ne_missing(pl.col("pred")))
    if wrong.height:
        print(wrong.group_by("truth", "pred").agg(pl.len(), pl.col("label").first())
              .sort("len", descending=True).head(10))


def types(tx: pl.DataFrame, *, with_codes: bool) -> None:
    cols = ["raw_label", "label_complement", "mcc", "bank_transaction_code", "account_id"]
    frame = tx.select(*cols, pl.col("amount").cast(pl.Float64))
    if not with_codes:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("bank_transaction_code"))
    start = time.perf_counter()
    out = classify_types(frame)
    elapsed = time.perf_counter() - start
    d = pl.DataFrame({"pred": out["transaction_type"], "truth": tx["transaction_type"],
                      "dialect": tx["dialect"], "label": out["full_label"],
                      "evidence": out["type_evidence"]}).with_columns(
        (pl.col("pred") == pl.col("truth")).alias("strict"),
        (pl.col("pred").replace(_MERGE) == pl.col("truth").replace(_MERGE)).alias("merged"))
    title = "with bank codes" if with_codes else "labels, amount, MCC only (no bank codes)"
    print(f"\ntypes, {title}: strict {d['strict'].mean():.4f} merged {d['merged'].mean():.4f}"
          f" ({tx.height:,} rows, {elapsed:.1f} s incl. steps 1-2)")
    with pl.Config(tbl_rows=40, fmt_str_lengths=60, tbl_width_chars=200):
        print(d.group_by("dialect").agg(pl.col("strict").mean(), pl.col("merged").mean(),
                                        pl.len()).sort("merged"))
        print(d.group_by("truth").agg(pl.col("strict").mean(), pl.col("merged").mean(),
                                      pl.len()).sort("merged"))
        print(d.filter(~pl.col("merged")).group_by("truth", "pred")
              .agg(pl.len(), pl.col("label").first(), pl.col("evidence").first())
              .sort("len", descending=True).head(12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--lake", type=Path, default=None, help="a written bank (load_bank)")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    tx, merchants = _bank(args.seed, args.lake)
    print(f"bank: {args.lake or f'seed {args.seed}'}, {tx.height:,} transactions")
    cleaning_quality(tx, merchants)
    if not args.skip_throughput:
        cleaning_throughput(tx)
        single_row_latency(tx)
    intermediaries(tx)
    types(tx, with_codes=True)
    types(tx, with_codes=False)


if __name__ == "__main__":
    main()
