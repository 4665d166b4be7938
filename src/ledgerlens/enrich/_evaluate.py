"""Score an enriched table against the truth: categories, merchants, calibration, types, recurring.

The truth is either the synthetic bank's ground truth (joined on ``tenant_id, transaction_id``)
or a person's labelled CSV (``label, amount, date`` and true ``category`` / ``subcategory`` /
``merchant_name``, aligned row by row). Every metric is a vectorized Polars aggregate, so a
million rows score in seconds. A section whose columns are missing is skipped with a note
rather than failing the whole evaluation.

>>> import polars as pl
>>> enriched = pl.DataFrame({"transaction_id": ["a", "b"], "category": ["groceries", "cash"]})
>>> truth = pl.DataFrame({"transaction_id": ["a", "b"], "category": ["groceries", "other"]})
>>> evaluate_enrichment(enriched, truth).headline()["category_l1_accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from ledgerlens.enrich._category_metrics import CategoryMetrics, category_metrics
from ledgerlens.enrich._merchant_metrics import MerchantMetrics, merchant_metrics
from ledgerlens.enrich._recurring_metrics import RecurringMetrics, recurring_metrics
from ledgerlens.enrich._scoring import NONE_LABEL, Calibration
from ledgerlens.enrich._truth import align_truth, load_truth_csv, normalize_merchant_name
from ledgerlens.enrich._type_metrics import (
    IncomeMetrics,
    IntermediaryMetrics,
    TypeMetrics,
    income_metrics,
    intermediary_metrics,
    type_metrics,
)
from ledgerlens.exceptions import DataError

__all__ = [
    "HEADLINE_TARGETS",
    "Calibration",
    "CategoryMetrics",
    "EnrichmentEvaluation",
    "IncomeMetrics",
    "IntermediaryMetrics",
    "MerchantMetrics",
    "RecurringMetrics",
    "TypeMetrics",
    "align_truth",
    "evaluate_enrichment",
    "load_truth_csv",
    "normalize_merchant_name",
]

#: Issue 4's quality targets, keyed like ``EnrichmentEvaluation.headline()``.
HEADLINE_TARGETS: Mapping[str, float] = {
    "category_l1_accuracy": 0.95,
    "category_l2_accuracy": 0.90,
    "merchant_precision": 0.99,
    "known_merchant_coverage": 0.95,
    "recurring_stream_f1": 0.95,
    "type_accuracy": 0.99,
}

#: The enriched columns an evaluation reads (others are left out of the join, for speed).
_PRED_COLUMNS = ("tenant_id", "transaction_id", "account_id", "amount", "clean_label", "category",
                 "subcategory", "category_confidence", "merchant_id", "merchant_name",
                 "merchant_confidence", "transaction_type", "is_recurring",
                 "recurring_stream_id", "is_income", "intermediary")


@dataclass(frozen=True, slots=True)
class EnrichmentEvaluation:
    """Every figure of one evaluation; a section is None when its columns were missing."""

    truth_kind: str
    n_rows: int
    n_enriched_unmatched: int
    n_truth_unmatched: int
    category: CategoryMetrics | None
    merchant: MerchantMetrics | None
    types: TypeMetrics | None
    intermediary: IntermediaryMetrics | None
    income: IncomeMetrics | None
    recurring: RecurringMetrics | None
    #: Per-slice accuracy tables, keyed by slice name (transaction_type, dialect, ...).
    slices: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def headline(self) -> dict[str, float]:
        """The figures a comparison shows; a metric that could not be computed is absent."""
        c, m, t, r = self.category, self.merchant, self.types, self.recurring
        values: dict[str, float | None] = {
            "category_l1_accuracy": c.l1_accuracy if c else None,
            "category_l2_accuracy": c.l2_accuracy if c else None,
            "category_l1_macro_f1": c.l1_macro_f1 if c else None,
            "category_l2_macro_f1": c.l2_macro_f1 if c else None,
            "category_abstention_rate": c.abstention_rate if c else None,
            "category_ece": c.calibration.ece if c and c.calibration else None,
            "merchant_precision": m.precision if m else None,
            "merchant_precision_exact_id": m.precision_exact_id if m else None,
            "merchant_recall": m.recall if m else None,
            "known_merchant_coverage": m.known_coverage if m else None,
            "false_merchant_rate": m.false_merchant_rate if m else None,
            "merchant_ece": m.calibration.ece if m and m.calibration else None,
            "type_accuracy": t.accuracy if t else None,
            "type_accuracy_card_merged": t.accuracy_card_merged if t else None,
            "intermediary_precision": self.intermediary.precision if self.intermediary else None,
            "intermediary_recall": self.intermediary.recall if self.intermediary else None,
            "income_accuracy": self.income.accuracy if self.income else None,
            "recurring_tx_f1": r.tx_f1 if r else None,
            "recurring_stream_f1": r.stream_f1 if r else None,
        }
        return {k: v for k, v in values.items() if v is not None}


def _flags(a: pl.DataFrame, notes: list[str],
           brands: pl.DataFrame | None = None) -> tuple[pl.DataFrame, str | None]:
    """Per-row correctness columns (``_l1_ok``, ``_l2_ok``, ``_type_ok``, ``_m_ret``,
    ``_m_ok``), null where the row has no truth; returns the merchant basis used.

    With ``brands`` (merchant_id, brand_key), a merchant is right when it is the true one or
    another directory entry of the same brand (``_m_ok_id`` keeps the exact-id answer)."""
    cols = set(a.columns)
    exprs: list[pl.Expr] = []

    def ok(pred: str, true: str, name: str) -> None:
        exprs.append(
            pl.when(pl.col(true).is_not_null())
            .then(pl.col(pred).fill_null(NONE_LABEL) == pl.col(true)).alias(name))

    for pred, name in (("category", "_l1_ok"), ("subcategory", "_l2_ok"),
                       ("transaction_type", "_type_ok")):
        if {pred, f"true_{pred}"} <= cols:
            ok(pred, f"true_{pred}", name)
    basis: str | None = None
    if {"merchant_id", "true_merchant_id"} <= cols:
        basis = "merchant_id"
        exact = (pl.col("merchant_id") == pl.col("true_merchant_id")).fill_null(False)
        same = exact
        if brands is not None:
            mapping = dict(zip(brands["merchant_id"].to_list(), brands["brand_key"].to_list(),
                               strict=True))

            def brand(c: str) -> pl.Expr:
                return pl.col(c).replace(mapping)

            same = (brand("merchant_id") == brand("true_merchant_id")).fill_null(False)
            notes.append("Merchants compared by brand: another directory entry of the same "
                         "brand (e.g. an insurer's home and car lines) counts as right; the "
                         "exact-id precision is given next to it.")
        exprs += [pl.col("merchant_id").is_not_null().alias("_m_ret"), same.alias("_m_ok"),
                  exact.alias("_m_ok_id")]
    elif {"merchant_name", "true_merchant_name"} <= cols:
        basis = "merchant_name"
        p_name, t_name = (normalize_merchant_name(pl.col(c)).replace("", None)
                          for c in ("merchant_name", "true_merchant_name"))
        exprs += [p_name.is_not_null().alias("_m_ret"),
                  (p_name == t_name).fill_null(False).alias("_m_ok"),
                  t_name.is_not_null().alias("_m_true")]
    elif "true_merchant_id" in cols or "true_merchant_name" in cols:
        notes.append("Merchants skipped: the enriched table has no merchant_id / merchant_name.")
    return a.with_columns(exprs), basis

def _slice_metrics(a: pl.DataFrame) -> list[pl.Expr]:
    exprs = [pl.len().alias("n")]
    names = {"_l1_ok": "l1_accuracy", "_l2_ok": "l2_accuracy", "_type_ok": "type_accuracy"}
    exprs += [pl.col(c).mean().alias(n) for c, n in names.items() if c in a.columns]
    if "_m_ret" in a.columns:
        exprs += [pl.col("_m_ret").mean().alias("merchant_returned"),
                  (pl.col("_m_ok").sum() / pl.col("_m_ret").sum()).fill_nan(None)
                  .alias("merchant_precision")]
    return exprs


def _slices(a: pl.DataFrame, slices: Sequence[str], notes: list[str]) -> dict[str, pl.DataFrame]:
    keyed: dict[str, pl.Expr] = {}
    for name in slices:
        if f"true_{name}" in a.columns:
            keyed[name] = pl.col(f"true_{name}")
        elif name in a.columns:
            keyed[f"{name} (predicted)"] = pl.col(name)
        else:
            notes.append(f"Slice {name!r} skipped: no such column in the truth or the table.")
    if "true_merchant_id" in a.columns:
        keyed["merchant_source"] = (pl.col("true_merchant_id").str.split(":").list.first()
                                    .fill_null("none"))
    metrics = _slice_metrics(a)
    return {
        name: a.group_by(key.cast(pl.String).fill_null("none").alias(name)).agg(metrics)
        .sort(["n", name], descending=[True, False])
        for name, key in keyed.items()
    }


def evaluate_enrichment(
    enriched: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    streams: pl.DataFrame | None = None,
    true_streams: pl.DataFrame | None = None,
    slices: Sequence[str] = ("transaction_type", "dialect"),
    merchant_brands: pl.DataFrame | None = None,
) -> EnrichmentEvaluation:
    """Score ``enriched`` against ``truth`` (see ``align_truth`` for how rows are matched).

    ``streams`` (the predicted recurring streams, with a period column) and ``true_streams``
    (the generator's ``recurring_streams``) add stream recall per kind and cadence accuracy.
    ``merchant_brands`` (``MerchantDirectory.brand_keys()``) scores merchants by brand.
    Raises ``DataError`` when no enriched row matches the truth.
    """
    wanted = {*_PRED_COLUMNS, *slices}
    aligned = align_truth(enriched.select(c for c in enriched.columns if c in wanted), truth)
    if aligned.is_empty():
        raise DataError("no enriched row matches the truth: nothing to evaluate")
    notes: list[str] = []
    a, basis = _flags(aligned, notes, merchant_brands)
    category = category_metrics(a, notes)
    merchant = merchant_metrics(a, basis, notes)
    types = type_metrics(a, notes)
    intermediary = intermediary_metrics(a, notes)
    income = income_metrics(a, notes)
    recurring = recurring_metrics(a, streams, true_streams, notes)
    return EnrichmentEvaluation(
        truth_kind="synthetic" if "transaction_id" in truth.columns else "labelled_csv",
        n_rows=a.height,
        n_enriched_unmatched=max(enriched.height - a.height, 0),
        n_truth_unmatched=max(truth.height - a.height, 0),
        category=category, merchant=merchant, types=types, intermediary=intermediary,
        income=income, recurring=recurring, slices=_slices(a, slices, notes),
        notes=tuple(notes),
    )
