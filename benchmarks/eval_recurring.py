"""Recurring streams and income against the synthetic bank's ground truth; prints figures.

Usage: python benchmarks/eval_recurring.py [--bank /tmp/llbank | --customers 300 --months 12
--seed 11] [--oracle] [--speed] [--details]; ``POLARS_MAX_THREADS=1`` gives one-core figures.

``--oracle`` adds the ground truth's merchant_id, category, subcategory and transaction_type
to the working frame (a perfect upstream); without it only the raw bank columns are used.
A true stream is counted per (stream, account): the generator books a savings transfer on both
the current and the savings account under one stream id.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank, load_bank
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._income import detect_income
from ledgerlens.enrich._recurring import detect_recurring, stream_keys

T = TypeVar("T")


def _load(args: argparse.Namespace) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    if args.bank:
        b = load_bank(Path(args.bank))
        return (b["transactions"].collect(), b["ground_truth"].collect(),
                b["recurring_streams"].collect())
    bank = generate_bank(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    return bank.transactions, bank.ground_truth, bank.recurring_streams


def _timed(name: str, rows: int, fn: Callable[[], T]) -> T:
    """Run ``fn`` once; print wall and process CPU time (CPU is steadier on a shared machine)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {name}: wall {wall:.2f}s ({rows / wall:,.0f} rows/s), cpu {cpu:.2f}s "
          f"({rows / cpu:,.0f} rows per cpu-second)")
    return result


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bank", default=None)
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--details", action="store_true")
    args = ap.parse_args()
    tx, gt, rs = _load(args)
    gt = tx.select("tenant_id", "transaction_id").join(
        gt, on=["tenant_id", "transaction_id"], how="left", maintain_order="left")
    frame = prepare(tx).working
    if args.oracle:
        frame = frame.with_columns(gt.select("merchant_id", "category", "subcategory",
                                             "transaction_type"))
    print(f"rows {frame.height:,}  oracle={args.oracle}")
    keyed = _timed("stream_keys", frame.height, lambda: stream_keys(frame))
    out, streams = _timed("detect_recurring", frame.height, lambda: detect_recurring(keyed))
    inc = _timed("detect_income", frame.height, lambda: detect_income(out))

    cad = rs.select(pl.col("stream_id").alias("recurring_stream_id"), "cadence", "kind")
    ev = pl.DataFrame({
        "account_id": frame["account_id"], "true_sid": gt["recurring_stream_id"],
        "pred_sid": out["recurring_stream_id"], "pred_period": out["recurrence_period"],
        "subcategory": gt["subcategory"], "ttype": gt["transaction_type"],
    }).join(cad.rename({"recurring_stream_id": "true_sid"}), on="true_sid", how="left",
            maintain_order="left")
    t = ev["true_sid"].is_not_null()
    p = ev["pred_sid"].is_not_null()
    tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
    pr, rc, f1 = _prf(tp, fp, fn)
    print(f"transactions: precision {pr:.4f} recall {rc:.4f} F1 {f1:.4f} "
          f"(tp {tp} fp {fp} fn {fn})")

    truth = ev.filter(t).with_columns(unit=pl.col("true_sid") + "|" + pl.col("account_id"))
    size_t = truth.group_by("unit").agg(n_true=pl.len(), cadence=pl.col("cadence").first(),
                                        kind=pl.col("kind").first())
    size_p = ev.filter(p).group_by("pred_sid").agg(n_pred=pl.len())
    pairs = truth.filter(pl.col("pred_sid").is_not_null()).group_by("unit", "pred_sid").agg(
        overlap=pl.len(), period=pl.col("pred_period").first())
    pairs = pairs.join(size_t, on="unit").join(size_p, on="pred_sid").filter(
        (pl.col("overlap") >= 0.8 * pl.col("n_true"))
        & (pl.col("overlap") >= 0.8 * pl.col("n_pred")))
    found = pairs.unique("unit")
    sp = pairs["pred_sid"].n_unique() / max(size_p.height, 1)
    sr = found.height / max(size_t.height, 1)
    sf1 = 2 * sp * sr / max(sp + sr, 1e-9)
    cad_acc = (found["period"] == found["cadence"]).mean()
    print(f"streams: true {size_t.height} predicted {size_p.height} found {found.height}  "
          f"precision {sp:.4f} recall {sr:.4f} F1 {sf1:.4f}  cadence accuracy {cad_acc:.4f}")
    print("stream status:", dict(streams.group_by("status").len().iter_rows()))
    missed = size_t.join(found.select("unit"), on="unit", how="anti")
    print("missed true streams by cadence/occurrences:")
    print(missed.group_by("cadence", pl.col("n_true").clip(0, 5)).len().sort("cadence", "n_true"))
    if args.details:
        with pl.Config(tbl_rows=40):
            print("false-positive transactions by true subcategory:")
            print(ev.filter(~t & p).group_by("subcategory", "pred_period").len()
                  .sort("len", descending=True).head(25))
            print("false-negative transactions by kind:")
            print(ev.filter(t & ~p).group_by("kind", "cadence").len()
                  .sort("len", descending=True).head(25))

    income_subs = ["salary", "pension", "unemployment_benefits", "family_benefits",
                   "rental_income", "interest_dividends", "other_income"]
    ti = gt["is_income"].fill_null(False)
    pi = inc["is_income"]
    tp, fp, fn = int((ti & pi).sum()), int((~ti & pi).sum()), int((ti & ~pi).sum())
    pr, rc, f1 = _prf(tp, fp, fn)
    acc = (ti == pi).mean()
    typ_true = pl.when(gt["subcategory"].is_in(income_subs) & ti).then(gt["subcategory"])
    typ = pl.DataFrame({"t": gt.select(typ_true.alias("t"))["t"], "p": inc["income_type"]})
    both = typ.filter(pl.col("t").is_not_null() & pl.col("p").is_not_null())
    print(f"income: accuracy {acc:.5f} precision {pr:.4f} recall {rc:.4f} F1 {f1:.4f} "
          f"(tp {tp} fp {fp} fn {fn}); income_type accuracy on true income found "
          f"{(both['t'] == both['p']).mean():.4f}")
    if args.details:
        print(typ.filter(pl.col("t") != pl.col("p")).group_by("t", "p").len()
              .sort("len", descending=True).head(10))
        print(pl.DataFrame({"sub": gt["subcategory"], "p": inc["income_type"],
                            "label": frame["raw_label"]}).filter(
            (~ti) & pi).group_by("sub", "p").agg(pl.len(), pl.col("label").first())
            .sort("len", descending=True).head(10))
        print(inc.filter(pi).select("raw_label", "counterparty_name", "income_payer")
              .sample(12, seed=1))

    if args.speed:
        reps = max(1, -(-1_000_000 // frame.height))
        big = pl.concat([frame.with_columns(account_id=pl.col("account_id") + f"_{i}")
                         for i in range(reps)])
        print(f"speed on {big.height:,} rows (the bank repeated on renamed accounts):")
        keyed = _timed("stream_keys", big.height, lambda: stream_keys(big))
        out, _ = _timed("detect_recurring", big.height, lambda: detect_recurring(keyed))
        _timed("detect_income", big.height, lambda: detect_income(out))


if __name__ == "__main__":
    main()
