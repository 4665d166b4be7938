"""The truth an evaluation scores against: a labelled CSV read and checked, then aligned.

The truth is either the synthetic bank's ground truth (joined on ``tenant_id, transaction_id``)
or a person's labelled CSV (``label, amount, date`` and true ``category`` / ``subcategory`` /
``merchant_name``, aligned row by row).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ledgerlens.enrich._frame import parse_text_amounts, parse_text_dates
from ledgerlens.exceptions import DataError
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES

__all__ = ["align_truth", "load_truth_csv", "normalize_merchant_name"]

_CSV_REQUIRED = ("label", "amount", "date")
_CSV_TRUTH = ("category", "subcategory", "merchant_name")
#: Read in a truth CSV besides the date formats ``prepare`` reads.
_EXTRA_DATE_FORMAT = "%Y/%m/%d"
#: Compared as text whatever their dtype (an Enum or Categorical column compares as its values).
_STRING_COLUMNS = ("category", "subcategory", "merchant_id", "merchant_name", "transaction_type",
                   "intermediary", "recurring_stream_id")


def normalize_merchant_name(names: pl.Expr) -> pl.Expr:
    """Upper case, accents and punctuation removed, spaces collapsed, a parenthesis dropped
    (``Orange (mobile)`` is Orange): how names are compared."""
    return (
        names.str.replace_all(r"\s*\([^()]*\)", "")
        .str.normalize("NFKD")
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

    Column names are matched case-insensitively; fields may be separated by commas or
    semicolons, the file UTF-8 or Windows-1252. Empty truth cells become null (not scored).
    Raises ``DataError`` naming missing columns, unknown ids and unparsable amounts or dates.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"truth CSV {path}: no such file")
    from ledgerlens.enrich._io import scan_table

    try:
        # As ``ledgerlens enrich`` reads a CSV: comma or semicolon, UTF-8 or Windows-1252.
        frame = (scan_table(path).collect() if path.suffix.lower() in (".csv", ".txt")
                 else pl.read_csv(path, infer_schema=False, encoding="utf8-lossy"))
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
        parse_text_amounts("amount").alias("_amount"),
        pl.coalesce(
            parse_text_dates("date"),
            pl.col("date").str.strip_chars().str.to_date(_EXTRA_DATE_FORMAT, strict=False),
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
