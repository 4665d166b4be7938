"""Merchant recognition: quality (in-distribution and held-out merchants) and throughput.

Inputs are built exactly as the enrichment pipeline builds them (``prepare`` ->
``clean_labels`` -> ``detect_intermediaries`` -> ``classify_types``), so the matcher sees
the real ``merchant_text`` and predicted ``transaction_type``. Trains ``MerchantMatcher`` on
one synthetic bank and evaluates on another (different seed): precision of returned
merchants by exact id and by ``brand_key`` (merchants no label can tell apart, see
``MerchantDirectory.brand_keys``), coverage of card payments at known (nsi/cur) merchants,
false matches on local (loc:), abroad (abr:) and no-merchant transactions, expected
calibration error of the confidence (against brand-level correctness, what it is
calibrated for). The held-out run trains the scorer without half of the known merchants
(by a hash of the id) and scores only the other half's transactions (plus every
unknown-merchant one).

    .venv/bin/python benchmarks/eval_merchants.py                 # quality, both settings
    .venv/bin/python benchmarks/eval_merchants.py --speed         # + throughput on 1M rows
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank, load_bank
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._types import classify_types
from ledgerlens.enrich.merchants import MerchantDirectory, MerchantMatcher

CARD_TYPES = ["card_in_store", "card_online", "card_contactless", "card_abroad"]
INPUT_COLUMNS = ["merchant_text", "mcc", "counterparty_name", "transaction_type"]


def pipeline_frame(transactions: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """The matcher's input as the pipeline makes it, with the ground truth beside it."""
    work = classify_types(detect_intermediaries(clean_labels(prepare(transactions).working)))
    gt = transactions.select("tenant_id", "transaction_id").join(
        truth.select("tenant_id", "transaction_id", truth="merchant_id",
                     true_type="transaction_type"),
        on=["tenant_id", "transaction_id"], how="left", maintain_order="left")
    return pl.concat([work.select(INPUT_COLUMNS), gt.select("truth", "true_type")],
                     how="horizontal")


def load(spec: str, cache: Path | None) -> pl.DataFrame:
    """A bank folder or ``customers x months x seed``, through the pipeline (cached)."""
    name = spec.strip("/").replace("/", "_")
    if cache is not None and (cache / f"{name}.parquet").exists():
        return pl.read_parquet(cache / f"{name}.parquet")
    if "/" in spec:
        tables = load_bank(Path(spec))
        frame = pipeline_frame(tables["transactions"].collect(),
                               tables["ground_truth"].collect())
    else:
        c, m, s = (int(x) for x in spec.split("x"))
        b = generate_bank(SynthConfig(customers=c, months=m, seed=s))
        frame = pipeline_frame(b.transactions, b.ground_truth)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(cache / f"{name}.parquet")
    return frame


def half(merchant_id: pl.Expr) -> pl.Expr:
    """0 or 1 per merchant, from a stable hash of its id."""
    return merchant_id.map_elements(
        lambda m: int(hashlib.sha256(m.encode()).hexdigest(), 16) % 2, return_dtype=pl.Int64)


def run_match(matcher: MerchantMatcher, frame: pl.DataFrame) -> pl.DataFrame:
    """``match`` output plus the best candidate's id even below the threshold (for ECE)
    and the brand keys of the answer, the best candidate and the truth."""
    out = matcher.match(frame)
    directory = matcher._directory()
    top = matcher.score(frame).join(
        directory.merchants.select("merchant_idx", "merchant_id"), on="merchant_idx")
    hashes = matcher._rows(frame, []).select(
        _h=pl.struct("_t", "mcc", "_c", "transaction_type").hash(20_241_128))
    top_id = hashes.join(top.select("_h", _top_id="merchant_id"), on="_h", how="left",
                         maintain_order="left")["_top_id"]
    brands = directory.brand_keys()
    out = out.with_columns(_top_id=top_id)
    for col, name in (("merchant_id", "_b"), ("_top_id", "_top_b"), ("truth", "_truth_b")):
        out = out.join(brands.rename({"merchant_id": col, "brand_key": name}), on=col,
                       how="left", maintain_order="left").with_columns(
            pl.coalesce(name, col).alias(name))
    return out


def metrics(out: pl.DataFrame, *, restrict_known: pl.Expr | None = None) -> dict[str, float]:
    known = pl.col("truth").str.contains("^(nsi|cur):").fill_null(False)
    if restrict_known is not None:
        out = out.filter(~known | restrict_known)
    returned = out.filter(pl.col("merchant_id").is_not_null())
    right = (returned["merchant_id"] == returned["truth"]).fill_null(False)
    right_b = (returned["_b"] == returned["_truth_b"]).fill_null(False)
    card_known = out.filter(known & pl.col("true_type").is_in(CARD_TYPES))
    covered = (card_known["merchant_id"] == card_known["truth"]).fill_null(False)
    covered_b = (card_known["_b"] == card_known["_truth_b"]).fill_null(False)
    res: dict[str, float] = {
        "rows": float(out.height),
        "returned": float(returned.height),
        "precision_id": float(right.mean()) if returned.height else float("nan"),
        "precision_brand": float(right_b.mean()) if returned.height else float("nan"),
        "card_known_rows": float(card_known.height),
        "coverage_id": float(covered.mean()) if card_known.height else float("nan"),
        "coverage_brand": float(covered_b.mean()) if card_known.height else float("nan"),
    }
    for name, cond in (("loc", pl.col("truth").str.starts_with("loc:")),
                       ("abr", pl.col("truth").str.starts_with("abr:")),
                       ("none", pl.col("truth").is_null())):
        part = out.filter(cond.fill_null(False) if name != "none" else cond)
        res[f"false_{name}"] = (float(part["merchant_id"].is_not_null().mean())
                                if part.height else float("nan"))
    scored = out.filter(pl.col("merchant_confidence").is_not_null())
    ece = 0.0
    if scored.height:
        conf = scored["merchant_confidence"].to_numpy()
        hit = (scored["_top_b"] == scored["_truth_b"]).fill_null(False).to_numpy()
        bins = np.minimum((conf * 10).astype(int), 9)
        for b in range(10):
            sel = bins == b
            if sel.any():
                ece += sel.mean() * abs(conf[sel].mean() - hit[sel].mean())
    res["ece"] = ece
    return res


def show(name: str, m: dict[str, float]) -> None:
    print(f"{name:<32} rows={int(m['rows'])} returned={int(m['returned'])} "
          f"precision id={m['precision_id']:.4f} brand={m['precision_brand']:.4f} | "
          f"coverage card@known (n={int(m['card_known_rows'])}) id={m['coverage_id']:.4f} "
          f"brand={m['coverage_brand']:.4f} | false match loc={m['false_loc']:.4f} "
          f"abr={m['false_abr']:.4f} none={m['false_none']:.4f} | ece={m['ece']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", default="600x6x3", help="customers x months x seed")
    parser.add_argument("--test", default="/tmp/llbank",
                        help="a bank folder, or customers x months x seed")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping the pipeline-built frames between runs")
    parser.add_argument("--precision", type=float, default=0.99)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--no-held-out", action="store_true")
    parser.add_argument("--save", type=Path, default=None, help="write the test output here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    train = load(args.train, args.cache)
    test = load(args.test, args.cache)
    print(f"train {args.train}: {train.height} rows, test {args.test}: {test.height} rows "
          f"({time.perf_counter() - t0:.1f}s to build through the pipeline)")

    # Some callers have no transaction type: blank it on a fixed 15 % of training rows so
    # that the scorer also learns the no-type case.
    train = train.with_columns(transaction_type=pl.when(
        pl.int_range(pl.len()).hash(7) % 100 >= 15).then(pl.col("transaction_type")))
    t0 = time.perf_counter()
    full = MerchantMatcher(precision=args.precision).fit(train, "truth")
    print(f"fit (all merchants) {time.perf_counter() - t0:.1f}s; threshold "
          f"{full.threshold:.4f}")
    out = run_match(full, test)
    show("in-distribution (test bank)", metrics(out))
    if args.save is not None:
        out.write_parquet(args.save)

    if not args.no_held_out:
        ids = pl.concat([train["truth"], test["truth"]]).drop_nulls().unique()
        known = pl.DataFrame({"m": ids}).filter(pl.col("m").str.contains("^(nsi|cur):"))
        halves = known.with_columns(h=half(pl.col("m")))
        seen = halves.filter(pl.col("h") == 0)["m"]
        unseen = halves.filter(pl.col("h") == 1)["m"]
        train_a = train.filter(~pl.col("truth").is_in(unseen.implode()).fill_null(False))
        held = MerchantMatcher(precision=args.precision).fit(train_a, "truth")
        out_h = run_match(held, test)
        show("held-out merchants (test bank)",
             metrics(out_h, restrict_known=pl.col("truth").is_in(unseen.implode())))
        show("  seen half (test bank)",
             metrics(out_h, restrict_known=pl.col("truth").is_in(seen.implode())))

    if args.speed:
        rng = np.random.default_rng(0)
        idx = rng.integers(0, test.height, 1_000_000)
        big = test[idx].select(INPUT_COLUMNS)
        MerchantDirectory.default()  # built once per process, like a loaded model
        small = big.head(1_000)
        full.match(small)  # first call builds the directory's lookup tables
        for label, frame in (("1M rows", big),):
            t0 = time.perf_counter()
            full.match(frame)
            dt = time.perf_counter() - t0
            print(f"throughput {label} ({big['merchant_text'].n_unique()} distinct texts): "
                  f"{frame.height / dt:,.0f} rows/s ({dt:.2f}s)")


if __name__ == "__main__":
    main()
