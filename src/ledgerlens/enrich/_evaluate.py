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
from pathlib import Path

import polars as pl

from ledgerlens.exceptions import DataError
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES

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

#: Merchant id prefixes of the merchants a directory can know (the others are small shops).
KNOWN_MERCHANT_PREFIXES: tuple[str, ...] = ("nsi:", "cur:")
#: Card types merged in the lenient type accuracy: a label rarely says "contactless".
_MERGED_TYPES: Mapping[str, str] = {"card_contactless": "card_in_store"}
_ECE_BINS = 15
#: A true stream is found by a predicted one holding this share of it, at this purity.
_STREAM_SHARE = 0.8
_TOP_CONFUSIONS = 15
_WORST_ERRORS = 20
_CSV_REQUIRED = ("label", "amount", "date")
_CSV_TRUTH = ("category", "subcategory", "merchant_name")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")
_NONE = "<none>"
#: Compared as text whatever their dtype (an Enum or Categorical column compares as its values).
#: The enriched columns an evaluation reads (others are left out of the join, for speed).
_PRED_COLUMNS = ("tenant_id", "transaction_id", "account_id", "amount", "clean_label", "category",
                 "subcategory", "category_confidence", "merchant_id", "merchant_name",
                 "merchant_confidence", "transaction_type", "is_recurring",
                 "recurring_stream_id", "is_income", "intermediary")
_STRING_COLUMNS = ("category", "subcategory", "merchant_id", "merchant_name", "transaction_type",
                   "intermediary", "recurring_stream_id")


# --------------------------------------------------------------------------- results


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


@dataclass(frozen=True, slots=True)
class MerchantMetrics:
    """Merchant quality; ``basis`` is ``merchant_id`` (synthetic truth) or ``merchant_name``."""

    basis: str
    n: int
    n_returned: int
    #: Correct among returned merchants.
    precision: float | None
    #: Correct among transactions at a known (nsi/cur) merchant, or any named merchant (CSV).
    recall: float | None
    #: Correct merchant on card payments at known merchants (None for CSV truth).
    known_coverage: float | None
    #: Any merchant returned on card payments at known merchants.
    known_coverage_any: float | None
    n_card_known: int
    #: A wrong merchant returned where the true one is unknown to any directory (loc/abr)
    #: or there is none (for CSV truth: where no merchant name is given).
    false_merchant_rate: float | None
    n_unknown: int
    calibration: Calibration | None
    #: Exact merchant id among returned merchants (same as precision without brand keys).
    precision_exact_id: float | None = None


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


@dataclass(frozen=True, slots=True)
class RecurringMetrics:
    """Recurring payments at transaction level and at stream level.

    A true stream is found when at least 80 % of its transactions fall in one predicted
    stream that is itself at least 80 % made of that true stream's transactions.
    """

    n: int
    tx_precision: float | None
    tx_recall: float | None
    tx_f1: float | None
    n_true_streams: int | None
    n_predicted_streams: int | None
    n_found: int | None
    stream_precision: float | None
    stream_recall: float | None
    stream_f1: float | None
    #: Stream recall per true stream kind (needs ``true_streams``).
    by_kind: pl.DataFrame | None
    #: Cadence equal to the true one, among found streams (needs both stream tables).
    cadence_accuracy: float | None


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


# --------------------------------------------------------------------------- truth input


def normalize_merchant_name(names: pl.Expr) -> pl.Expr:
    """Upper case, accents and punctuation removed, spaces collapsed: how names are compared."""
    return (
        names.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_uppercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def _bad_lines(frame: pl.DataFrame, bad: pl.Expr, column: str) -> str:
    """``'x' (line 3), 'y' (line 7)``: the first offending values, lines counted with the header."""
    rows = (
        frame.with_row_index("_line", offset=2)
        .filter(bad)
        .head(5)
        .select("_line", column)
        .iter_rows()
    )
    return ", ".join(f"{value!r} (line {line})" for line, value in rows)


def _parse_ids(frame: pl.DataFrame, column: str, allowed: Sequence[str]) -> pl.DataFrame:
    frame = frame.with_columns(
        pl.col(column).str.strip_chars().str.to_lowercase().replace("", None).alias(column)
    )
    bad = pl.col(column).is_not_null() & ~pl.col(column).is_in(list(allowed))
    if frame.select(bad.any()).item():
        raise DataError(
            f"truth CSV: unknown {column} id(s): {_bad_lines(frame, bad, column)}; "
            f"expected the ids of ledgerlens.taxonomy"
        )
    return frame


def load_truth_csv(path: Path) -> pl.DataFrame:
    """Read a labelled CSV: ``label, amount, date`` and at least one of ``category``,
    ``subcategory``, ``merchant_name``; ids are checked against the taxonomy.

    Column names are matched case-insensitively. Empty truth cells become null (not scored).
    Raises ``DataError`` naming missing columns, unknown ids and unparsable amounts or dates.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"truth CSV {path}: no such file")
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"truth CSV {path}: cannot read as CSV: {exc}") from exc
    names = [c.strip().lower() for c in frame.columns]
    if len(set(names)) < len(names):
        raise DataError(f"truth CSV {path}: duplicate column names (case-insensitive): "
                        f"{', '.join(frame.columns)}")
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    missing = [c for c in _CSV_REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(
            f"truth CSV {path}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(frame.columns) or 'none'}"
        )
    truth_cols = [c for c in _CSV_TRUTH if c in frame.columns]
    if not truth_cols:
        raise DataError(
            f"truth CSV {path}: missing truth column(s): needs at least one of "
            f"{', '.join(_CSV_TRUTH)}; found {', '.join(frame.columns)}"
        )
    frame = frame.select(*_CSV_REQUIRED, *truth_cols).with_columns(
        pl.col("label").fill_null(""),
        pl.col("amount").str.replace_all(r"[\s\u00a0]", "").str.replace(",", ".")
        .cast(pl.Float64, strict=False).alias("_amount"),
        pl.coalesce(
            pl.col("date").str.strip_chars().str.to_date(fmt, strict=False)
            for fmt in _DATE_FORMATS
        ).alias("_date"),
    )
    for column in ("amount", "date"):
        bad = pl.col(f"_{column}").is_null()
        if frame.select(bad.any()).item():
            raise DataError(f"truth CSV {path}: unreadable {column}: "
                            f"{_bad_lines(frame, bad, column)}")
    frame = frame.drop("amount", "date").rename({"_amount": "amount", "_date": "date"})
    if "category" in frame.columns:
        frame = _parse_ids(frame, "category", CATEGORIES)
    if "subcategory" in frame.columns:
        frame = _parse_ids(frame, "subcategory", list(SUBCATEGORIES))
        parent = pl.col("subcategory").replace_strict(_PARENTS, default=None)
        if "category" in frame.columns:
            bad = parent.is_not_null() & pl.col("category").is_not_null() & (
                parent != pl.col("category"))
            if frame.select(bad.any()).item():
                raise DataError(f"truth CSV {path}: subcategory not under its category: "
                                f"{_bad_lines(frame, bad, 'subcategory')}")
    if "merchant_name" in frame.columns:
        frame = frame.with_columns(
            pl.col("merchant_name").str.strip_chars().replace("", None))
    return frame.select("label", "amount", "date", *truth_cols)


_PARENTS: dict[str, str] = {sid: sub.category for sid, sub in SUBCATEGORIES.items()}


def _keys(enriched: pl.DataFrame, truth: pl.DataFrame) -> list[str]:
    keys: list[str] = [k for k in ("tenant_id", "transaction_id") if k in truth.columns]
    missing = [k for k in keys if k not in enriched.columns]
    if missing:
        raise DataError(f"enriched table lacks the join column(s) {', '.join(missing)} "
                        "that the ground truth has")
    return keys


def align_truth(enriched: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """The enriched rows next to their truth: every truth column is prefixed ``true_``.

    Ground truth with ``transaction_id`` is joined on ``(tenant_id, transaction_id)`` (inner
    join); a labelled CSV (no ``transaction_id``) is aligned row by row, and must have as
    many rows as ``enriched`` and, when ``enriched`` has ``amount``, the same amounts.
    A true ``category`` is derived from a true ``subcategory`` when only the latter is given.
    """
    # Nested columns (PII spans) are never scored: leave them out of the join.
    truth = truth.select(c for c, dtype in truth.schema.items() if not dtype.is_nested())
    if "transaction_id" in truth.columns:
        keys = _keys(enriched, truth)
        if truth.select(pl.struct(keys).is_duplicated().any()).item():
            raise DataError(f"ground truth has duplicate ({', '.join(keys)}) keys")
        renamed = truth.rename({c: f"true_{c}" for c in truth.columns if c not in keys})
        clash = [c for c in renamed.columns if c in enriched.columns and c not in keys]
        aligned = enriched.drop(clash).join(renamed, on=keys, how="inner",
                                            maintain_order="left")
    else:
        if truth.height != enriched.height:
            raise DataError(f"labelled truth has {truth.height} rows but the enriched table "
                            f"has {enriched.height}; they are aligned row by row")
        renamed = truth.rename({c: f"true_{c}" for c in truth.columns})
        aligned = pl.concat(
            [enriched.drop([c for c in renamed.columns if c in enriched.columns]), renamed],
            how="horizontal",
        )
        if "amount" in enriched.columns:
            bad = (pl.col("amount").cast(pl.Float64) - pl.col("true_amount")).abs() > 0.005
            if aligned.select(bad.any()).item():
                rows = aligned.with_row_index("_row").filter(bad).head(5)["_row"].to_list()
                raise DataError("labelled truth is not in the enriched table's order: amounts "
                                f"differ at row(s) {', '.join(map(str, rows))} (0-based)")
    aligned = aligned.with_columns(
        pl.col(c).cast(pl.String)
        for name in _STRING_COLUMNS for c in (name, f"true_{name}") if c in aligned.columns
    )
    if "true_subcategory" in aligned.columns:
        derived = pl.col("true_subcategory").replace_strict(_PARENTS, default=None)
        aligned = aligned.with_columns(
            pl.coalesce(pl.col("true_category"), derived).alias("true_category")
            if "true_category" in aligned.columns else derived.alias("true_category"))
    return aligned


# --------------------------------------------------------------------------- helpers


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _mean(values: pl.Series | pl.DataFrame) -> float:
    """Mean of a Boolean or numeric series (or a one-cell frame); 0.0 when empty."""
    value = values.mean() if isinstance(values, pl.Series) else values.item()
    return float(value) if isinstance(value, (int, float)) else 0.0


def _sum(frame: pl.DataFrame, expr: pl.Expr) -> int:
    return int(frame.select(expr.cast(pl.Int64).sum()).item() or 0)


def _per_class(truth: pl.Series, pred: pl.Series) -> pl.DataFrame:
    """Support, predicted count, precision, recall and F1 per class (union of both sides)."""
    df = pl.DataFrame({"t": truth, "p": pred.fill_null(_NONE)})
    support = df.group_by("t").len("support").rename({"t": "label"})
    predicted = df.group_by("p").len("predicted").rename({"p": "label"})
    tp = df.filter(pl.col("t") == pl.col("p")).group_by("t").len("tp").rename({"t": "label"})
    table = (
        support.join(predicted, on="label", how="full", coalesce=True)
        .join(tp, on="label", how="left")
        .filter(pl.col("label") != _NONE)
        .with_columns(pl.col("support", "predicted", "tp").fill_null(0))
    )
    return table.with_columns(
        (pl.col("tp") / pl.col("predicted")).fill_nan(None).alias("precision"),
        (pl.col("tp") / pl.col("support")).fill_nan(None).alias("recall"),
        (2 * pl.col("tp") / (pl.col("support") + pl.col("predicted"))).alias("f1"),
    ).sort("support", "label", descending=[True, False])


def _calibration(confidence: pl.Series, correct: pl.Series) -> Calibration | None:
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
    return Calibration(ece=float(ece), n=n, mean_confidence=_mean(df["c"]),
                       accuracy=_mean(df["ok"]), reliability=table)


def _top_confusions(frame: pl.DataFrame, true: str, pred: str, k: int) -> pl.DataFrame:
    support = frame.group_by(true).len("support")
    return (
        frame.filter(pl.col(true) != pl.col(pred).fill_null(_NONE))
        .with_columns(pl.col(pred).fill_null(_NONE))
        .group_by(true, pred).len("n")
        .join(support, on=true, how="left")
        .with_columns((pl.col("n") / pl.col("support")).alias("share_of_true"))
        .sort(["n", true, pred], descending=[True, False, False])
        .head(k)
    )


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
            .then(pl.col(pred).fill_null(_NONE) == pl.col(true)).alias(name))

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


def _category(a: pl.DataFrame, notes: list[str]) -> CategoryMetrics | None:
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
    per_class = _per_class(rows["true_category"], rows["category"])
    l2_f1: float | None = None
    top_l2: pl.DataFrame | None = None
    if has_l2:
        l2_rows = rows.filter(pl.col("true_subcategory").is_not_null())
        l2_f1 = _mean(_per_class(l2_rows["true_subcategory"], l2_rows["subcategory"])["f1"])
        top_l2 = _top_confusions(l2_rows, "true_subcategory", "subcategory", _TOP_CONFUSIONS)
    else:
        notes.append("Level 2 skipped: subcategories missing on one side.")
    correct = "_l2_ok" if has_l2 else "_l1_ok"
    calibration = None
    if "category_confidence" in rows.columns:
        graded = rows.filter(pl.col(correct).is_not_null())
        calibration = _calibration(graded["category_confidence"], graded[correct])
    else:
        notes.append("Category calibration skipped: no category_confidence column.")
    answered = rows.filter(~pl.col("_abstain"))
    return CategoryMetrics(
        n=rows.height,
        l1_accuracy=_mean(rows["_l1_ok"]),
        l1_macro_f1=_mean(per_class["f1"]),
        l2_accuracy=_mean(rows["_l2_ok"]) if has_l2 else None,
        l2_macro_f1=l2_f1,
        abstention_rate=_mean(rows["_abstain"]),
        answered_l1_accuracy=_mean(answered["_l1_ok"])
        if answered.height else None,
        per_class_l1=per_class,
        confusion_l1=rows.group_by("true_category", pl.col("category").fill_null(_NONE))
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


def _merchant(a: pl.DataFrame, basis: str | None, notes: list[str]) -> MerchantMetrics | None:
    if basis is None:
        return None
    returned, ok = pl.col("_m_ret"), pl.col("_m_ok")
    card_known: pl.Expr | None = None
    if basis == "merchant_id":
        true = pl.col("true_merchant_id")
        known = true.str.starts_with(KNOWN_MERCHANT_PREFIXES[0])
        for prefix in KNOWN_MERCHANT_PREFIXES[1:]:
            known = known | true.str.starts_with(prefix)
        known = known.fill_null(False)
        unknown = ~known
        if "true_transaction_type" in a.columns:
            card_known = known & pl.col("true_transaction_type").str.starts_with("card_")
        else:
            notes.append("Known-merchant coverage skipped: the truth has no transaction_type.")
    else:
        known = pl.col("_m_true")
        unknown = ~known
        notes.append("Known-merchant coverage skipped: a labelled CSV does not say which "
                     "merchants a directory knows; merchants compared by normalized name.")
    has_card = card_known is not None
    card = card_known if card_known is not None else pl.lit(False)
    counts = a.select(
        (expr.cast(pl.Int64).sum().alias(name)) for name, expr in {
            "returned": returned, "ok": ok, "known": known, "unknown": unknown, "card": card,
            "ok_known": ok & known, "ok_card": ok & card, "returned_card": returned & card,
            "ok_id": pl.col("_m_ok_id") if "_m_ok_id" in a.columns else ok,
            "false": returned & ~ok & unknown}.items()
    ).row(0, named=True)
    n_returned, n_ok, n_card = counts["returned"], counts["ok"], counts["card"]
    calibration = None
    if "merchant_confidence" in a.columns:
        graded = a.select("merchant_confidence", "_m_ok", "_m_ret").filter("_m_ret")
        calibration = _calibration(graded["merchant_confidence"], graded["_m_ok"])
    return MerchantMetrics(
        basis=basis,
        n=a.height,
        n_returned=n_returned,
        precision=_ratio(n_ok, n_returned),
        recall=_ratio(counts["ok_known"], counts["known"]),
        known_coverage=_ratio(counts["ok_card"], n_card) if has_card else None,
        known_coverage_any=_ratio(counts["returned_card"], n_card) if has_card else None,
        n_card_known=n_card,
        false_merchant_rate=_ratio(counts["false"], counts["unknown"]),
        n_unknown=counts["unknown"],
        calibration=calibration,
        precision_exact_id=_ratio(counts["ok_id"], n_returned),
    )


def _types(a: pl.DataFrame, notes: list[str]) -> TypeMetrics | None:
    if "_type_ok" not in a.columns:
        if "true_transaction_type" in a.columns:
            notes.append("Transaction types skipped: the enriched table has none.")
        return None
    rows = a.filter(pl.col("true_transaction_type").is_not_null())
    if rows.is_empty():
        return None
    merged = (pl.col("transaction_type").fill_null(_NONE).replace(_MERGED_TYPES)
              == pl.col("true_transaction_type").replace(_MERGED_TYPES))
    return TypeMetrics(
        n=rows.height,
        accuracy=_mean(rows["_type_ok"]),
        accuracy_card_merged=_mean(rows.select(merged.mean())),
        top_confusions=_top_confusions(rows, "true_transaction_type", "transaction_type",
                                       _TOP_CONFUSIONS),
    )


def _intermediary(a: pl.DataFrame, notes: list[str]) -> IntermediaryMetrics | None:
    if not {"intermediary", "true_intermediary"} <= set(a.columns):
        if "true_intermediary" in a.columns:
            notes.append("Intermediaries skipped: the enriched table has no intermediary.")
        return None
    pred, true = pl.col("intermediary"), pl.col("true_intermediary")
    hit = (pred == true).fill_null(False)
    n_pred, n_true = _sum(a, pred.is_not_null()), _sum(a, true.is_not_null())
    return IntermediaryMetrics(n_true=n_true, n_predicted=n_pred,
                               precision=_ratio(_sum(a, hit), n_pred),
                               recall=_ratio(_sum(a, hit), n_true))


def _income(a: pl.DataFrame, notes: list[str]) -> IncomeMetrics | None:
    if not {"is_income", "true_is_income"} <= set(a.columns):
        if "true_is_income" in a.columns:
            notes.append("Income skipped: the enriched table has no is_income.")
        return None
    rows = a.filter(pl.col("true_is_income").is_not_null())
    if rows.is_empty():
        return None
    pred, true = pl.col("is_income").fill_null(False), pl.col("true_is_income")
    tp = _sum(rows, pred & true)
    return IncomeMetrics(n=rows.height, accuracy=_mean(rows.select((pred == true).mean())),
                         precision=_ratio(tp, _sum(rows, pred)),
                         recall=_ratio(tp, _sum(rows, true)))


def _stream_matches(a: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Per true stream: its best predicted stream, share and purity, and whether it is found;
    plus the numbers of true and predicted streams.

    A true stream is taken per account when the table has ``account_id``: a transfer to
    savings is one stream of the generator but a debit stream on one account and a credit
    stream on the other, and a detector works per account."""
    account = pl.col("account_id") if "account_id" in a.columns else pl.lit("")
    r = a.select(t=pl.col("true_recurring_stream_id"), acct=account,
                 p=pl.col("recurring_stream_id"))
    p_size = r.filter(pl.col("p").is_not_null()).group_by("p").len("n_p")
    t_size = r.filter(pl.col("t").is_not_null()).group_by("t", "acct").len("n_t")
    best = (
        r.filter(pl.col("t").is_not_null() & pl.col("p").is_not_null())
        .group_by("t", "acct", "p").len("c")
        .sort(["t", "acct", "c", "p"], descending=[False, False, True, False])
        .group_by("t", "acct", maintain_order=True).first()
    )
    matches = (
        t_size.join(best, on=["t", "acct"], how="left", nulls_equal=True)
        .join(p_size, on="p", how="left")
        .with_columns(
            ((pl.col("c") / pl.col("n_t") >= _STREAM_SHARE)
             & (pl.col("c") / pl.col("n_p") >= _STREAM_SHARE)).fill_null(False).alias("found"))
    )
    return matches, t_size.height, p_size.height


def _first_column(frame: pl.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _recurring(a: pl.DataFrame, streams: pl.DataFrame | None, true_streams: pl.DataFrame | None,
               notes: list[str]) -> RecurringMetrics | None:
    if "true_recurring_stream_id" not in a.columns:
        return None
    if "is_recurring" in a.columns:
        pred = pl.col("is_recurring").fill_null(False)
    elif "recurring_stream_id" in a.columns:
        pred = pl.col("recurring_stream_id").is_not_null()
    else:
        notes.append("Recurring skipped: the enriched table has no is_recurring.")
        return None
    true = pl.col("true_recurring_stream_id").is_not_null()
    tp = _sum(a, pred & true)
    precision, recall = _ratio(tp, _sum(a, pred)), _ratio(tp, _sum(a, true))
    if "recurring_stream_id" not in a.columns:
        notes.append("Recurring streams skipped: the enriched table has no recurring_stream_id.")
        return RecurringMetrics(a.height, precision, recall, _f1(precision, recall),
                                None, None, None, None, None, None, None, None)
    matches, n_true, n_pred = _stream_matches(a)
    n_found = int(matches["found"].sum())
    s_precision, s_recall = _ratio(n_found, n_pred), _ratio(n_found, n_true)
    by_kind = cadence = None
    if true_streams is not None and {"stream_id", "kind"} <= set(true_streams.columns):
        by_kind = (
            matches.join(true_streams.select(t="stream_id", kind="kind"), on="t", how="left")
            .group_by(pl.col("kind").fill_null("unknown"))
            .agg(pl.len().alias("n_streams"), pl.col("found").mean().alias("recall"))
            .sort("n_streams", "kind", descending=[True, False])
        )
    period = _first_column(streams, ("recurrence_period", "period", "cadence")) \
        if streams is not None else None
    sid = _first_column(streams, ("recurring_stream_id", "stream_id")) \
        if streams is not None else None
    if (streams is not None and period and sid and true_streams is not None
            and {"stream_id", "cadence"} <= set(true_streams.columns)):
        found = (
            matches.filter("found")
            .join(streams.select(p=pl.col(sid), period=pl.col(period)), on="p", how="left")
            .join(true_streams.select(t="stream_id", cadence="cadence"), on="t", how="left")
        )
        if found.height:
            cadence = float(found.select((pl.col("period") == pl.col("cadence"))
                                         .fill_null(False).mean()).item())
    return RecurringMetrics(
        n=a.height, tx_precision=precision, tx_recall=recall, tx_f1=_f1(precision, recall),
        n_true_streams=n_true, n_predicted_streams=n_pred, n_found=n_found,
        stream_precision=s_precision, stream_recall=s_recall,
        stream_f1=_f1(s_precision, s_recall), by_kind=by_kind, cadence_accuracy=cadence,
    )


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
    category = _category(a, notes)
    merchant = _merchant(a, basis, notes)
    types = _types(a, notes)
    intermediary = _intermediary(a, notes)
    income = _income(a, notes)
    recurring = _recurring(a, streams, true_streams, notes)
    return EnrichmentEvaluation(
        truth_kind="synthetic" if "transaction_id" in truth.columns else "labelled_csv",
        n_rows=a.height,
        n_enriched_unmatched=max(enriched.height - a.height, 0),
        n_truth_unmatched=max(truth.height - a.height, 0),
        category=category, merchant=merchant, types=types, intermediary=intermediary,
        income=income, recurring=recurring, slices=_slices(a, slices, notes),
        notes=tuple(notes),
    )
