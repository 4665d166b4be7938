"""One short sentence per transaction: which rule, alias or model decided, on what evidence."""

from __future__ import annotations

import functools

import polars as pl

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
    return frame.with_columns(_explanation(frozenset(frame.columns)))


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
    income = pl.when(col("income_type").is_not_null()).then(
        pl.concat_str(pl.lit("income "), col("income_type"),
                      pl.lit(" from ") + col("income_payer"), ignore_nulls=True))
    parts = [
        _part("correction ", col("correction_id").str.slice(0, 8)),
        merchant,
        col("category_evidence"),
        _part("type: ", col("type_evidence")),
        recurring,
        income,
    ]
    return pl.concat_str(
        [p.fill_null("") for p in parts], separator="; "
    ).str.replace_all(r"(; )+", "; ").str.strip_chars("; ").alias("explanation")
