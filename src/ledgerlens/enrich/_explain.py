"""One short sentence per transaction: which rule, alias or model decided, on what evidence."""

from __future__ import annotations

import functools
import re

import polars as pl

from ledgerlens.enrich._distinct import row_hash
from ledgerlens.enrich._few_rows import rounded

__all__ = ["explain"]


def _part(prefix: str, body: pl.Expr) -> pl.Expr:
    return pl.when(body.is_not_null() & (body != "")).then(pl.lit(prefix) + body)


def explain(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``explanation`` from the evidence columns the steps left (missing ones are skipped).

    >>> row = pl.DataFrame({"merchant_evidence": ['alias "CARREFOUR CITY"'],
    ...                     "merchant_name": ["Carrefour City"], "merchant_confidence": [0.998],
    ...                     "category_evidence": ["category from merchant"]})
    >>> explain(row)["explanation"][0]
    'alias "CARREFOUR CITY" -> Carrefour City (0.998); category from merchant'
    """
    cols = frozenset(frame.columns)
    if "correction_id" in cols and frame.get_column("correction_id").null_count() == frame.height:
        cols -= {"correction_id"}  # no correction applied: its part of the sentence is empty
    inputs = [c for c in _INPUTS if c in cols]
    if frame.height <= _FEW_ROWS:
        texts = _explain_rows(frame, inputs)
        if texts is not None:  # a few rows, on plain strings (no query)
            column = pl.Series("explanation", texts, pl.String)
            return (frame.with_columns(column) if "explanation" in cols
                    else frame.hstack([column]))
    if frame.height < 2 or not inputs:
        return frame.with_columns(_explanation(cols))
    # Computed once per distinct combination of the inputs and joined back on a 64-bit
    # hash of them (checked free of collisions). Floats are keyed by their text, so values
    # that compare equal but print apart (0.0 and -0.0) stay apart.
    keys = [pl.col(c).cast(pl.String).alias(f"_k_{c}") if frame.schema[c].is_float()
            else pl.col(c) for c in inputs]
    key_names = [f"_k_{c}" if frame.schema[c].is_float() else c for c in inputs]
    keyed = frame.select(*inputs, *(k for k in keys if k.meta.output_name() not in inputs))
    keyed = keyed.with_columns(row_hash(key_names).alias("_key"))
    unique = keyed.unique(subset=key_names)
    if unique.get_column("_key").n_unique() != unique.height:
        return frame.with_columns(_explanation(cols))
    unique = unique.select("_key", _explanation(cols))
    joined = keyed.select("_key").join(unique, on="_key", how="left", maintain_order="left")
    return frame.with_columns(joined.get_column("explanation"))


#: How a correction names itself (``correction <id8>``; in evidence, with its scope).
_CORRECTION = "correction "

# The columns the explanation reads.
_INPUTS = ("correction_id", "merchant_evidence", "merchant_name", "merchant_confidence",
           "category_evidence", "type_evidence", "recurrence_period", "income_type",
           "income_payer", "merchant_hint")


@functools.cache
def _explanation(cols: frozenset[str]) -> pl.Expr:
    """The ``explanation`` expression for a frame with columns ``cols``, built once per
    column set (building it costs about as much as running it on one row)."""

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in cols else pl.lit(None, dtype=pl.String)

    def num(name: str) -> pl.Expr:
        return (pl.col(name).round(3).cast(pl.String) if name in cols
                else pl.lit(None, dtype=pl.String))

    merchant = pl.when(col("merchant_name").is_not_null()).then(
        pl.concat_str(col("merchant_evidence").fill_null("merchant"), pl.lit(" -> "),
                      col("merchant_name"), pl.lit(" ("), num("merchant_confidence").fill_null("?"),
                      pl.lit(")")))
    recurring = pl.when(col("recurrence_period").is_not_null()).then(
        pl.lit("recurring ") + col("recurrence_period"))
    # A merchant candidate too unsure to return, whose line the category model read.
    clue = pl.when(col("merchant_name").is_null() & col("merchant_hint").is_not_null()).then(
        pl.concat_str(pl.lit("merchant clue "), col("merchant_hint"), pl.lit(" ("),
                      num("merchant_confidence").fill_null("?"), pl.lit(", not returned)")))
    income = pl.when(col("income_type").is_not_null()).then(
        pl.concat_str(pl.lit("income "), col("income_type"),
                      pl.lit(" from ") + col("income_payer"), ignore_nulls=True))
    parts = [
        # a correction that set the category or the merchant names itself there (with its
        # scope)
        (pl.when(~col("category_evidence").fill_null("").str.starts_with(_CORRECTION)
                 & ~col("merchant_evidence").fill_null("").str.starts_with(_CORRECTION))
         .then(_part(_CORRECTION, col("correction_id").str.slice(0, 8)))
         if "correction_id" in cols else None),
        merchant,
        col("category_evidence"),
        clue,
        _part("type: ", col("type_evidence")),
        recurring,
        income,
    ]
    return pl.concat_str(
        [p.fill_null("") for p in parts if p is not None], separator="; "
    ).str.replace_all(r"(; )+", "; ").str.strip_chars("; ").alias("explanation")


_FEW_ROWS = 8  # up to this many rows, the explanation is built on plain strings
_REPEATS = re.compile(r"(; )+")


def _explain_rows(frame: pl.DataFrame, inputs: list[str]) -> list[str] | None:
    """``_explanation``'s values for a few rows, or None (the query) when an input is not
    a String column (or the confidence not a Float64 in [0, 1], whose rounding to 3
    decimals Python does as Polars does)."""
    values: dict[str, list[object]] = {}
    for name in inputs:
        column = frame.get_column(name)
        if name == "merchant_confidence":
            if column.dtype != pl.Float64:
                return None
            confidences = column.to_list()
            if any(v is not None and not 0.0 <= v <= 1.0 for v in confidences):
                return None  # Polars' round(3) of a confidence, half to even: the same
            values[name] = [None if v is None else repr(rounded(v, 3)) for v in confidences]
        elif column.dtype != pl.String:
            return None
        else:
            values[name] = column.to_list()
    none: list[object] = [None] * frame.height
    return [_sentence(*(values.get(c, none)[i] for c in _INPUTS))  # type: ignore[arg-type]
            for i in range(frame.height)]


def _sentence(correction: str | None, evidence: str | None, merchant: str | None,
              confidence: str | None, category: str | None, type_evidence: str | None,
              period: str | None, income: str | None, payer: str | None,
              hint: str | None = None) -> str:
    """One explanation, as ``_explanation`` builds it."""
    # a correction that set the category or the merchant names itself there (with its scope)
    named = any((text or "").startswith(_CORRECTION) for text in (category, evidence))
    correction = correction[:8] if correction and not named else None
    parts = [
        f"{_CORRECTION}{correction}" if correction else "",
        (f"{'merchant' if evidence is None else evidence} -> {merchant} ({confidence or '?'})"
         if merchant is not None else ""),
        category or "",
        (f"merchant clue {hint} ({confidence or '?'}, not returned)"
         if merchant is None and hint is not None else ""),
        f"type: {type_evidence}" if type_evidence else "",
        f"recurring {period}" if period is not None else "",
        ((f"income {income}" + ("" if payer is None else f" from {payer}"))
         if income is not None else ""),
    ]
    return _REPEATS.sub("; ", "; ".join(parts)).strip("; ")
