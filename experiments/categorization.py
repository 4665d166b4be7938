"""Compare categorization approaches with whole dialects and merchants held out of training.

Run from the repository root (the 1000 x 12 bank must be written at /tmp/llbank, or pass
``--bank-dir`` to another folder; ``--small`` generates a quick bank instead):

    .venv/bin/python experiments/categorization.py [--only rules,linear,torch,shipped]

Approaches: (a) rules only, (b) linear model on hashed char/word n-grams + context,
(c) a fastText-style PyTorch model on the same hashed features (skipped when torch is not
installed), (d) the shipped ``CategoryModel`` (linear model + merchant directory category +
type rules + calibrated confidence and abstention). Results go to stdout as a Markdown
table and to ``experiments/results/categorization.json``.

Stand-ins while the earlier enrichment steps are being written (stated in the report):
the label text is ``raw_label + label_complement`` normalised by the model's own text
normaliser (instead of ``clean_label``), ``transaction_type`` and ``intermediary`` come from
the ground truth, and the merchant matcher is simulated from the ground truth (see
``simulate_matcher``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank, load_bank, load_mcc_codes
from ledgerlens.enrich.categories import CategoryModel
from ledgerlens.enrich.categories._default import simulate_matcher
from ledgerlens.enrich.categories._features import FeatureSpec, hash_features, unique_keys
from ledgerlens.enrich.categories._linear import fit_linear, softmax
from ledgerlens.enrich.categories._rules import rule_subcategories
from ledgerlens.taxonomy import SUBCATEGORIES

HELD_OUT_DIALECTS = ("aggregator", "neobank", "postal_50")
TRAIN_MERCHANT_SHARE = 0.7
TRAIN_CUSTOMER_SHARE = 0.8
SUB_TO_CAT = {k: v.category for k, v in SUBCATEGORIES.items()}


def working_frame(tx: pl.DataFrame, gt: pl.DataFrame) -> pl.DataFrame:
    """Canonical transactions + ground truth -> the columns the category step sees, + truth."""
    df = tx.join(gt, on=["tenant_id", "transaction_id"], how="inner", suffix="_gt")
    return df.select(
        raw_label=pl.concat_str(
            ["raw_label", "label_complement"], separator=" ", ignore_nulls=True
        ),
        amount=pl.col("amount").cast(pl.Float64),
        mcc="mcc",
        counterparty_name="counterparty_name",
        transaction_type="transaction_type",
        intermediary="intermediary",
        customer_id="customer_id",
        dialect="dialect",
        merchant_id="merchant_id",
        true_subcategory="subcategory",
        true_category="category",
    )


def _rank_split(values: pl.Series, share: float, seed: int) -> set[str]:
    uniq = np.array(sorted(values.drop_nulls().unique().to_list()))
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(uniq.size)[: round(share * uniq.size)]
    return set(uniq[chosen].tolist())


@dataclass
class Splits:
    train: pl.DataFrame
    slices: dict[str, pl.DataFrame]


def make_splits(df: pl.DataFrame, seed: int) -> Splits:
    """Train on 8 of 11 dialects, 70 % of merchants (all sources), 80 % of customers."""
    train_merchants = _rank_split(df["merchant_id"], TRAIN_MERCHANT_SHARE, seed)
    train_customers = _rank_split(df["customer_id"], TRAIN_CUSTOMER_SHARE, seed + 1)
    df = df.with_columns(
        seen_dialect=~pl.col("dialect").is_in(HELD_OUT_DIALECTS),
        seen_merchant=pl.col("merchant_id").is_null()
        | pl.col("merchant_id").is_in(list(train_merchants)),
        train_customer=pl.col("customer_id").is_in(list(train_customers)),
    )
    train = df.filter("train_customer", "seen_dialect", "seen_merchant")
    test = df.filter(~pl.col("train_customer"))
    local = pl.col("merchant_id").str.contains(r"^(loc|abr):").fill_null(False)
    slices = {
        "in_distribution": test.filter("seen_dialect", "seen_merchant"),
        "held_out_dialects": test.filter(~pl.col("seen_dialect"), pl.col("seen_merchant")),
        "held_out_merchants": test.filter(pl.col("seen_dialect"), ~pl.col("seen_merchant")),
        "held_out_local_merchants": test.filter(
            pl.col("seen_dialect"), ~pl.col("seen_merchant"), local
        ),
        "held_out_both": test.filter(~pl.col("seen_dialect"), ~pl.col("seen_merchant")),
        "held_out_any": test.filter(~(pl.col("seen_dialect") & pl.col("seen_merchant"))),
    }
    return Splits(train, slices)


def macro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    labels = np.unique(truth)
    return float(f1_score(truth, pred, labels=labels, average="macro", zero_division=0))


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.mean() * abs(conf[mask].mean() - correct[mask].mean())
    return float(total)


def score(frame: pl.DataFrame, sub: np.ndarray, conf: np.ndarray | None) -> dict[str, float]:
    truth = frame["true_subcategory"].to_numpy()
    truth_cat = frame["true_category"].to_numpy()
    cat = np.array([SUB_TO_CAT.get(s, "other") for s in sub])
    correct = sub == truth
    out = {
        "n": float(frame.height),
        "acc_l1": float(np.mean(cat == truth_cat)),
        "acc_l2": float(np.mean(correct)),
        "macro_f1_l2": macro_f1(truth, sub),
    }
    if conf is not None:
        out["ece"] = ece(conf, correct)
    return out


# --- approaches -------------------------------------------------------------------------

Predictor = Callable[[pl.DataFrame], tuple[np.ndarray, np.ndarray | None]]


def approach_rules(train: pl.DataFrame) -> Predictor:
    del train  # rules learn nothing

    def predict(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        out = rule_subcategories(frame, mcc_map())
        sub = out["rule_subcategory"].fill_null("uncategorised").to_numpy()
        return sub, None

    return predict


def mcc_map() -> dict[str, str]:
    return dict(load_mcc_codes().select("mcc", "subcategory").iter_rows())


def _features(frame: pl.DataFrame, spec: FeatureSpec) -> tuple[object, np.ndarray, pl.DataFrame]:
    keys, row_key = unique_keys(frame, mcc_map())
    matrix = hash_features(keys["text"], keys["context"], spec)
    return matrix, row_key, keys


def _key_labels(
    frame: pl.DataFrame, row_key: np.ndarray, n_keys: int
) -> tuple[np.ndarray, np.ndarray]:
    """Majority true subcategory per key and the key's row count."""
    tmp = pl.DataFrame({"k": row_key, "y": frame["true_subcategory"]})
    agg = tmp.group_by("k").agg(pl.col("y").mode().first(), n=pl.len()).sort("k")
    assert agg.height == n_keys
    return agg["y"].to_numpy(), agg["n"].to_numpy().astype(np.float64)


def approach_linear(train: pl.DataFrame, spec: FeatureSpec | None = None) -> Predictor:
    spec = spec or FeatureSpec()
    drop = [c for c in ("merchant_subcategory", "merchant_confidence") if c in train.columns]
    train = train.drop(drop)
    matrix, row_key, keys = _features(train, spec)
    y, n = _key_labels(train, row_key, keys.height)
    scorer = fit_linear(matrix, y, np.sqrt(n))

    def predict(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        frame = frame.drop([c for c in drop if c in frame.columns])
        m, rk, _ = _features(frame, spec)
        proba = softmax(scorer.logits(m))
        best = proba.argmax(axis=1)
        classes = np.array(scorer.classes)
        return classes[best][rk], proba.max(axis=1)[rk]

    return predict


def approach_torch(train: pl.DataFrame, epochs: int = 8, dim: int = 64) -> Predictor | None:
    """fastText-style: mean of hashed n-gram embeddings (weighted) -> linear -> softmax."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(2)
    spec = FeatureSpec(n_bits=20)
    drop = [c for c in ("merchant_subcategory", "merchant_confidence") if c in train.columns]
    train = train.drop(drop)
    matrix, row_key, keys = _features(train, spec)
    y, n = _key_labels(train, row_key, keys.height)
    classes, y_idx = np.unique(y, return_inverse=True)
    buckets = 2**spec.n_bits
    emb = torch.nn.EmbeddingBag(buckets, dim, mode="sum", sparse=True)
    head = torch.nn.Linear(dim, classes.size)
    opt_emb = torch.optim.SparseAdam(list(emb.parameters()), lr=0.02)
    opt_head = torch.optim.Adam(list(head.parameters()), lr=0.02)
    m = matrix.tocsr()
    weights = torch.tensor(np.sqrt(n), dtype=torch.float32)
    order_rng = np.random.default_rng(0)

    def batch(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        sub = m[rows]
        return (
            torch.from_numpy(sub.indices.astype(np.int64)),
            torch.from_numpy(sub.indptr[:-1].astype(np.int64)),
            torch.from_numpy(sub.data.astype(np.float32)),
        )

    yt = torch.from_numpy(y_idx.astype(np.int64))
    for _ in range(epochs):
        for rows in np.array_split(order_rng.permutation(m.shape[0]), max(1, m.shape[0] // 512)):
            idx, off, w = batch(rows)
            logits = head(emb(idx, off, per_sample_weights=w))
            loss = (
                torch.nn.functional.cross_entropy(logits, yt[rows], reduction="none")
                * weights[rows]
            ).sum() / weights[rows].sum()
            opt_emb.zero_grad()
            opt_head.zero_grad()
            loss.backward()
            opt_emb.step()
            opt_head.step()

    def predict(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        frame = frame.drop([c for c in drop if c in frame.columns])
        mm, rk, _ = _features(frame, spec)
        mm = mm.tocsr()
        with torch.no_grad():
            idx, off, w = (
                torch.from_numpy(mm.indices.astype(np.int64)),
                torch.from_numpy(mm.indptr[:-1].astype(np.int64)),
                torch.from_numpy(mm.data.astype(np.float32)),
            )
            proba = torch.softmax(head(emb(idx, off, per_sample_weights=w)), dim=1).numpy()
        return classes[proba.argmax(axis=1)][rk], proba.max(axis=1)[rk]

    return predict


SHIPPED: list[CategoryModel] = []


def approach_shipped(train: pl.DataFrame) -> Predictor:
    model = CategoryModel(seed=0).fit(train, train["true_subcategory"])
    SHIPPED.append(model)

    def predict(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        out = model.predict(frame)
        return out["subcategory"].to_numpy(), out["category_confidence"].to_numpy()

    return predict


APPROACHES: dict[str, Callable[[pl.DataFrame], Predictor | None]] = {
    "rules": approach_rules,
    "linear": approach_linear,
    "torch": approach_torch,
    "shipped": approach_shipped,
}


def load_frames(bank_dir: Path, small: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    if small:
        bank = generate_bank(SynthConfig(customers=200, months=6, seed=42))
        main = working_frame(bank.transactions, bank.ground_truth)
    else:
        tables = load_bank(bank_dir)
        main = working_frame(tables["transactions"].collect(), tables["ground_truth"].collect())
    other = generate_bank(SynthConfig(customers=300, months=6, seed=1234))
    return main, working_frame(other.transactions, other.ground_truth)


def throughput(bank_dir: Path, model: CategoryModel, rows: int = 1_000_000) -> dict[str, float]:
    """Rows per second of ``CategoryModel.predict`` on ``rows`` rows of two 1000 x 12 banks.

    The label text is given as ``clean_label`` (the model's normaliser applied beforehand,
    standing in for the cleaning step) so that only the category step is timed.
    """
    from ledgerlens.enrich.categories._features import model_text_expr

    tables = load_bank(bank_dir)
    first = working_frame(tables["transactions"].collect(), tables["ground_truth"].collect())
    other = generate_bank(SynthConfig(customers=1000, months=12, seed=43))
    frame = pl.concat([first, working_frame(other.transactions, other.ground_truth)]).head(rows)
    frame = (
        simulate_matcher(frame, seed=3)
        .with_columns(clean_label=model_text_expr("raw_label"))
        .drop(
            "raw_label",
            "merchant_id",
            "true_subcategory",
            "true_category",
            "dialect",
            "customer_id",
        )
    )
    model.predict(frame.head(1000))
    t0, c0 = time.perf_counter(), time.process_time()
    model.predict(frame)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    keys, _ = unique_keys(frame, mcc_map())
    return {
        "rows": frame.height,
        "unique_keys": keys.height,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(frame.height / elapsed),
        "cpu_s": round(cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bank-dir", type=Path, default=Path("/tmp/llbank"))
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--only", default=",".join(APPROACHES))
    parser.add_argument(
        "--throughput", action="store_true", help="also time the shipped model on 1M rows"
    )
    parser.add_argument("--out", type=Path, default=Path("experiments/results/categorization.json"))
    args = parser.parse_args()
    main_df, other_df = load_frames(args.bank_dir, args.small)
    main_df = simulate_matcher(main_df, seed=1)
    other_df = simulate_matcher(other_df, seed=2)
    splits = make_splits(main_df, seed=0)
    slices = {**splits.slices, "other_bank_seed1234": other_df}
    print(
        f"train rows {splits.train.height}; "
        + ", ".join(f"{k} {v.height}" for k, v in slices.items())
    )
    results: dict[str, dict[str, object]] = {}
    for name in args.only.split(","):
        t0, c0 = time.perf_counter(), time.process_time()
        predictor = APPROACHES[name](splits.train)
        train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
        if predictor is None:
            print(f"{name}: skipped (torch is not installed)")
            continue
        row: dict[str, object] = {"train_s": round(train_s, 1), "train_cpu_s": round(train_cpu, 1)}
        for slice_name, frame in slices.items():
            t0, c0 = time.perf_counter(), time.process_time()
            sub, conf = predictor(frame)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            row[slice_name] = score(frame, sub, conf)
            if slice_name == "other_bank_seed1234":
                row["rows_per_s"] = round(frame.height / elapsed)
                row["rows_per_cpu_s"] = round(frame.height / cpu)
        results[name] = row
        if name == "shipped" and args.throughput:
            row["throughput_1m"] = throughput(args.bank_dir, SHIPPED[-1])
        print(name, json.dumps(row, indent=None, default=lambda v: round(v, 4)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
