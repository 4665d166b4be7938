"""Category quality: accuracy and macro-F1 at both levels, abstention, confusions, worst errors."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ledgerlens.enrich._scoring import (
    NONE_LABEL,
    TOP_CONFUSIONS,
    Calibration,
    calibration_of,
    mean_or_zero,
    per_class_table,
    top_confusions,
)

__all__ = ["CategoryMetrics", "category_metrics"]

_WORST_ERRORS = 20


@dataclass(frozen=True, slots=True)
class CategoryMetrics:
    """Category quality; level-2 fields are None when either side lacks subcategories."""

    n: int
    l1_accuracy: float
    l1_macro_f1: float
    l2_accuracy: float | None
    l2_macro_f1: float | None
    #: Share predicted ``other/uncategorised`` (or no category at all).
    abstention_rate: float
    #: Level-1 accuracy on the rows where the model did not abstain.
    answered_l1_accuracy: float | None
    per_class_l1: pl.DataFrame
    #: Long confusion counts at level 1: true_category, category, n.
    confusion_l1: pl.DataFrame
    top_confusions_l2: pl.DataFrame | None
    #: Highest-confidence wrong predictions, with the clean (PII-masked) label only.
    worst_errors: pl.DataFrame
    calibration: Calibration | None


def category_metrics(a: pl.DataFrame, notes: list[str]) -> CategoryMetrics | None:
    if "_l1_ok" not in a.columns:
        if "true_category" in a.columns:
            notes.append("Categories skipped: the enriched table has no category column.")
        return None
    rows = a.filter(pl.col("true_category").is_not_null())
    if rows.is_empty():
        notes.append("Categories skipped: no row has a true category.")
        return None
    has_l2 = "_l2_ok" in a.columns and rows["true_subcategory"].null_count() < rows.height
    abstain = pl.col("category").is_null()
    if "subcategory" in rows.columns:
        abstain = abstain | (pl.col("subcategory") == "uncategorised").fill_null(False)
    rows = rows.with_columns(abstain.alias("_abstain"))
    per_class = per_class_table(rows["true_category"], rows["category"])
    l2_f1: float | None = None
    top_l2: pl.DataFrame | None = None
    if has_l2:
        l2_rows = rows.filter(pl.col("true_subcategory").is_not_null())
        l2_f1 = mean_or_zero(
            per_class_table(l2_rows["true_subcategory"], l2_rows["subcategory"])["f1"])
        top_l2 = top_confusions(l2_rows, "true_subcategory", "subcategory", TOP_CONFUSIONS)
    else:
        notes.append("Level 2 skipped: subcategories missing on one side.")
    correct = "_l2_ok" if has_l2 else "_l1_ok"
    calibration = None
    if "category_confidence" in rows.columns:
        graded = rows.filter(pl.col(correct).is_not_null())
        calibration = calibration_of(graded["category_confidence"], graded[correct])
    else:
        notes.append("Category calibration skipped: no category_confidence column.")
    answered = rows.filter(~pl.col("_abstain"))
    return CategoryMetrics(
        n=rows.height,
        l1_accuracy=mean_or_zero(rows["_l1_ok"]),
        l1_macro_f1=mean_or_zero(per_class["f1"]),
        l2_accuracy=mean_or_zero(rows["_l2_ok"]) if has_l2 else None,
        l2_macro_f1=l2_f1,
        abstention_rate=mean_or_zero(rows["_abstain"]),
        answered_l1_accuracy=mean_or_zero(answered["_l1_ok"])
        if answered.height else None,
        per_class_l1=per_class,
        confusion_l1=rows.group_by("true_category", pl.col("category").fill_null(NONE_LABEL))
        .len("n").sort("true_category", "category"),
        top_confusions_l2=top_l2,
        worst_errors=_worst_errors(rows, correct),
        calibration=calibration,
    )


def _worst_errors(rows: pl.DataFrame, correct: str) -> pl.DataFrame:
    """The most confident wrong categories. Only the clean label is shown, masked again
    for personal data so a report can be shared."""
    wanted = ["clean_label", "amount", "transaction_type", "merchant_name", "true_category",
              "true_subcategory", "category", "subcategory", "category_confidence"]
    present = [c for c in wanted if c in rows.columns]
    wrong = rows.select(*present, correct).filter(~pl.col(correct))
    if "category_confidence" in wrong.columns:
        wrong = wrong.sort("category_confidence", descending=True, nulls_last=True,
                           maintain_order=True)
    worst = wrong.head(_WORST_ERRORS).select(present)
    if "clean_label" in worst.columns and worst.height:
        from ledgerlens.privacy import mask_text

        worst = worst.with_columns(mask_text(worst["clean_label"].fill_null(""))
                                   .alias("clean_label"))
    if "amount" in worst.columns:
        worst = worst.with_columns(pl.col("amount").cast(pl.Float64))
    return worst
