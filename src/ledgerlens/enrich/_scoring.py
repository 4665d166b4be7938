"""Scoring primitives the metric families share: ratios, F1, per-class tables, calibration."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = [
    "NONE_LABEL",
    "TOP_CONFUSIONS",
    "Calibration",
    "calibration_of",
    "count_where",
    "f1_score",
    "mean_or_zero",
    "per_class_table",
    "ratio",
    "top_confusions",
]

#: How a missing prediction reads when compared with a true value.
NONE_LABEL = "<none>"
#: Rows in a top-confusions table.
TOP_CONFUSIONS = 15
_ECE_BINS = 15


@dataclass(frozen=True, slots=True)
class Calibration:
    """Expected calibration error over 15 equal-width bins, with the reliability diagram data.

    ``reliability`` has one row per non-empty bin: bin, lower, upper, n, mean_confidence,
    accuracy.
    """

    ece: float
    n: int
    mean_confidence: float
    accuracy: float
    reliability: pl.DataFrame


def ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def f1_score(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def mean_or_zero(values: pl.Series | pl.DataFrame) -> float:
    """Mean of a Boolean or numeric series (or a one-cell frame); 0.0 when empty."""
    value = values.mean() if isinstance(values, pl.Series) else values.item()
    return float(value) if isinstance(value, (int, float)) else 0.0


def count_where(frame: pl.DataFrame, expr: pl.Expr) -> int:
    return int(frame.select(expr.cast(pl.Int64).sum()).item() or 0)


def per_class_table(truth: pl.Series, pred: pl.Series) -> pl.DataFrame:
    """Support, predicted count, precision, recall and F1 per class (union of both sides)."""
    df = pl.DataFrame({"t": truth, "p": pred.fill_null(NONE_LABEL)})
    support = df.group_by("t").len("support").rename({"t": "label"})
    predicted = df.group_by("p").len("predicted").rename({"p": "label"})
    tp = df.filter(pl.col("t") == pl.col("p")).group_by("t").len("tp").rename({"t": "label"})
    table = (
        support.join(predicted, on="label", how="full", coalesce=True)
        .join(tp, on="label", how="left")
        .filter(pl.col("label") != NONE_LABEL)
        .with_columns(pl.col("support", "predicted", "tp").fill_null(0))
    )
    return table.with_columns(
        (pl.col("tp") / pl.col("predicted")).fill_nan(None).alias("precision"),
        (pl.col("tp") / pl.col("support")).fill_nan(None).alias("recall"),
        (2 * pl.col("tp") / (pl.col("support") + pl.col("predicted"))).alias("f1"),
    ).sort("support", "label", descending=[True, False])


def calibration_of(confidence: pl.Series, correct: pl.Series) -> Calibration | None:
    """ECE = sum over bins of (share of rows) x |accuracy - mean confidence|."""
    df = pl.DataFrame({"c": confidence.cast(pl.Float64), "ok": correct.cast(pl.Float64)}
                      ).drop_nulls().filter(pl.col("c").is_not_nan())
    if df.is_empty():
        return None
    df = df.with_columns(pl.col("c").clip(0.0, 1.0))
    table = (
        df.with_columns((pl.col("c") * _ECE_BINS).floor().cast(pl.Int64)
                        .clip(0, _ECE_BINS - 1).alias("bin"))
        .group_by("bin")
        .agg(pl.len().alias("n"), pl.col("c").mean().alias("mean_confidence"),
             pl.col("ok").mean().alias("accuracy"))
        .sort("bin")
        .with_columns((pl.col("bin") / _ECE_BINS).alias("lower"),
                      ((pl.col("bin") + 1) / _ECE_BINS).alias("upper"))
        .select("bin", "lower", "upper", "n", "mean_confidence", "accuracy")
    )
    n = df.height
    ece = table.select(
        ((pl.col("n") / n) * (pl.col("accuracy") - pl.col("mean_confidence")).abs()).sum()
    ).item()
    return Calibration(ece=float(ece), n=n, mean_confidence=mean_or_zero(df["c"]),
                       accuracy=mean_or_zero(df["ok"]), reliability=table)


def top_confusions(frame: pl.DataFrame, true: str, pred: str, k: int) -> pl.DataFrame:
    support = frame.group_by(true).len("support")
    return (
        frame.filter(pl.col(true) != pl.col(pred).fill_null(NONE_LABEL))
        .with_columns(pl.col(pred).fill_null(NONE_LABEL))
        .group_by(true, pred).len("n")
        .join(support, on=true, how="left")
        .with_columns((pl.col("n") / pl.col("support")).alias("share_of_true"))
        .sort(["n", true, pred], descending=[True, False, False])
        .head(k)
    )
