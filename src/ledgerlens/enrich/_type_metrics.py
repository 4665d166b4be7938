"""Per-row detections scored: transaction type, intermediary and income."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from ledgerlens.enrich._scoring import (
    NONE_LABEL,
    TOP_CONFUSIONS,
    count_where,
    mean_or_zero,
    ratio,
    top_confusions,
)

__all__ = [
    "IncomeMetrics",
    "IntermediaryMetrics",
    "TypeMetrics",
    "income_metrics",
    "intermediary_metrics",
    "type_metrics",
]

#: Card types merged in the lenient type accuracy: a label rarely says "contactless".
_MERGED_TYPES: Mapping[str, str] = {"card_contactless": "card_in_store"}


@dataclass(frozen=True, slots=True)
class TypeMetrics:
    """Transaction type accuracy; ``accuracy_card_merged`` counts contactless as in store."""

    n: int
    accuracy: float
    accuracy_card_merged: float
    top_confusions: pl.DataFrame


@dataclass(frozen=True, slots=True)
class IntermediaryMetrics:
    """Intermediary detection: exact id equality on the rows where one is predicted / true."""

    n_true: int
    n_predicted: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True, slots=True)
class IncomeMetrics:
    """``is_income`` as a binary classifier (a missing prediction counts as False)."""

    n: int
    accuracy: float
    precision: float | None
    recall: float | None


def type_metrics(a: pl.DataFrame, notes: list[str]) -> TypeMetrics | None:
    if "_type_ok" not in a.columns:
        if "true_transaction_type" in a.columns:
            notes.append("Transaction types skipped: the enriched table has none.")
        return None
    rows = a.filter(pl.col("true_transaction_type").is_not_null())
    if rows.is_empty():
        return None
    merged = (pl.col("transaction_type").fill_null(NONE_LABEL).replace(_MERGED_TYPES)
              == pl.col("true_transaction_type").replace(_MERGED_TYPES))
    return TypeMetrics(
        n=rows.height,
        accuracy=mean_or_zero(rows["_type_ok"]),
        accuracy_card_merged=mean_or_zero(rows.select(merged.mean())),
        top_confusions=top_confusions(rows, "true_transaction_type", "transaction_type",
                                       TOP_CONFUSIONS),
    )


def intermediary_metrics(a: pl.DataFrame, notes: list[str]) -> IntermediaryMetrics | None:
    if not {"intermediary", "true_intermediary"} <= set(a.columns):
        if "true_intermediary" in a.columns:
            notes.append("Intermediaries skipped: the enriched table has no intermediary.")
        return None
    pred, true = pl.col("intermediary"), pl.col("true_intermediary")
    hit = (pred == true).fill_null(False)
    n_pred, n_true = count_where(a, pred.is_not_null()), count_where(a, true.is_not_null())
    return IntermediaryMetrics(n_true=n_true, n_predicted=n_pred,
                               precision=ratio(count_where(a, hit), n_pred),
                               recall=ratio(count_where(a, hit), n_true))


def income_metrics(a: pl.DataFrame, notes: list[str]) -> IncomeMetrics | None:
    if not {"is_income", "true_is_income"} <= set(a.columns):
        if "true_is_income" in a.columns:
            notes.append("Income skipped: the enriched table has no is_income.")
        return None
    rows = a.filter(pl.col("true_is_income").is_not_null())
    if rows.is_empty():
        return None
    pred, true = pl.col("is_income").fill_null(False), pl.col("true_is_income")
    tp = count_where(rows, pred & true)
    return IncomeMetrics(n=rows.height, accuracy=mean_or_zero(rows.select((pred == true).mean())),
                         precision=ratio(tp, count_where(rows, pred)),
                         recall=ratio(tp, count_where(rows, true)))
