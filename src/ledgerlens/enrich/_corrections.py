"""Corrections that stay fixed: record a person's fix once, apply it on every enrichment.

A :class:`Correction` targets one transaction, a label pattern or a merchant, for one
customer, one tenant or everyone, and sets some of the enriched fields (see
``_correction_records``). A :class:`CorrectionStore` keeps them in a folder (see
``_correction_store``); :func:`apply_corrections` applies a :class:`CorrectionSet` to an
enriched table with a fixed precedence, so the same corrections always give the same result:

1. target: transaction > pattern > merchant;
2. applicability: customer > tenant > global;
3. the newest ``created_at``, then the smallest ``correction_id``.

Each field group (category + subcategory, merchant id + name, transaction type,
is_recurring, is_income) is taken from the first correction in that order that sets it,
so a merchant-wide category fix and a one-transaction "is recurring" fix both hold.
"""

from __future__ import annotations

from functools import reduce

import polars as pl

from ledgerlens.enrich._correction_records import (
    CORRECTABLE_COLUMNS,
    SCOPES,
    Correction,
    CorrectionSet,
)
from ledgerlens.enrich._correction_store import CorrectionStore
from ledgerlens.enrich._recurring import fold_accents
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = [
    "CORRECTABLE_COLUMNS",
    "SCOPES",
    "Correction",
    "CorrectionSet",
    "CorrectionStore",
    "apply_corrections",
    "export_training_data",
]

_ROW = "_cx_row"
_GROUPS: dict[str, tuple[str, ...]] = {
    "category": ("category", "subcategory"),
    "merchant": ("merchant_id", "merchant_name"),
    "transaction_type": ("transaction_type",),
    "is_recurring": ("is_recurring",),
    "is_income": ("is_income",),
}


def _ranked(corrections: CorrectionSet) -> pl.DataFrame:
    frame = corrections.to_frame()
    return frame.with_columns(
        _scope_rank=pl.col("scope").replace_strict(
            {s: i for i, s in enumerate(SCOPES)}, return_dtype=pl.Int8),
        _applies_rank=pl.when(pl.col("customer_id").is_not_null()).then(pl.lit(0, pl.Int8))
        .when(pl.col("tenant_id").is_not_null()).then(pl.lit(1, pl.Int8))
        .otherwise(pl.lit(2, pl.Int8)),
        _label=pl.format(
            "correction {} ({}{})", pl.col("correction_id").str.slice(0, 8), pl.col("scope"),
            pl.when(pl.col("customer_id").is_not_null()).then(pl.lit(", customer"))
            .when(pl.col("tenant_id").is_not_null()).then(pl.lit(", tenant"))
            .otherwise(pl.lit(""))),
    )


def _pattern_matches(labels: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """(clean_label, correction_id) pairs, evaluated once per distinct label."""
    unique = labels.select(pl.col("clean_label").unique())
    parts: list[pl.DataFrame] = []
    # Accents folded on both sides: ``CAFÉ`` matches the clean label's ``CAFE``.
    literal = rules.filter(~pl.col("regex")).with_columns(target=fold_accents(pl.col("target")))
    if literal.height:
        patterns = literal["target"].unique().sort().to_list()
        hits = (unique.with_columns(
            _hit=fold_accents(pl.col("clean_label").str.to_uppercase()).str.extract_many(
                patterns, overlapping=True, ascii_case_insensitive=True))
            .explode("_hit").drop_nulls("_hit").unique())
        parts.append(hits.join(literal.select("target", "correction_id"),
                               left_on="_hit", right_on="target")
                     .select("clean_label", "correction_id"))
    for target, ids in (rules.filter(pl.col("regex")).group_by("target")
                        .agg("correction_id").sort("target").iter_rows()):
        matched = unique.filter(pl.col("clean_label").str.contains(f"(?i){target}"))
        if matched.height:
            parts.append(matched.join(pl.DataFrame({"correction_id": ids},
                                                   schema={"correction_id": pl.String}),
                                      how="cross"))
    if not parts:
        return pl.DataFrame(schema={"clean_label": pl.String, "correction_id": pl.String})
    return pl.concat(parts).unique()


def _matches(rows: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """Every (row, correction) pair whose target and applicability match."""
    schema = {_ROW: pl.UInt32, "correction_id": pl.String}
    parts: list[pl.DataFrame] = []
    for scope, column in (("transaction", "transaction_id"), ("merchant", "merchant_id")):
        rules = ranked.filter(pl.col("scope") == scope)
        if rules.height and column in rows.columns:
            parts.append(rows.select(_ROW, pl.col(column).cast(pl.String)).join(
                rules.select("target", "correction_id"), left_on=column, right_on="target")
                .select(_ROW, "correction_id"))
    rules = ranked.filter(pl.col("scope") == "pattern")
    if rules.height and "clean_label" in rows.columns:
        labels = rows.select(_ROW, pl.col("clean_label").cast(pl.String).fill_null(""))
        pairs = _pattern_matches(labels, rules)
        if pairs.height:
            parts.append(labels.join(pairs, on="clean_label").select(_ROW, "correction_id"))
    if not parts:
        return pl.DataFrame(schema=schema)
    pairs = pl.concat(parts)
    index = pairs[_ROW]
    who = {c: rows[c].cast(pl.String).gather(index).alias(f"_row_{c}")
           for c in ("customer_id", "tenant_id") if c in rows.columns}
    pairs = pairs.with_columns(list(who.values())).join(ranked, on="correction_id")
    for c in ("customer_id", "tenant_id"):
        ok = pl.col(c).is_null()
        if c in who:
            ok = ok | (pl.col(c) == pl.col(f"_row_{c}")).fill_null(False)
        pairs = pairs.filter(ok)
    return pairs


def _resolve(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per row, each field group from the first correction in precedence order that sets it."""
    keys = [_ROW, "_scope_rank", "_applies_rank", "created_at", "correction_id"]
    descending = [False, False, False, True, False]
    ordered = pairs.sort(keys, descending=descending)
    winners: list[pl.DataFrame] = []
    for group, cols in _GROUPS.items():
        sets = reduce(lambda a, b: a | b, [pl.col(c).is_not_null() for c in cols])
        winners.append(
            ordered.filter(sets).unique(_ROW, keep="first", maintain_order=True)
            .select(*keys, "_label", *[pl.col(c).alias(f"_new_{c}") for c in cols],
                    pl.lit(True).alias(f"_set_{group}")))
    contributors = (pl.concat([w.select(*keys, "_label") for w in winners])
                    .unique([_ROW, "correction_id"]).sort(keys, descending=descending))
    resolved = contributors.group_by(_ROW, maintain_order=True).agg(
        pl.col("correction_id").first().alias("_cid"), pl.col("_label").alias("_labels"))
    for win in winners:
        resolved = resolved.join(win.drop(*keys[1:], "_label"), on=_ROW, how="left")
    return resolved


def apply_corrections(enriched: pl.DataFrame, corrections: CorrectionSet) -> pl.DataFrame:
    """Apply ``corrections`` to an enriched table; pure, vectorized and deterministic.

    Corrected columns take the winning correction's value (see the module docstring for
    precedence); ``category_confidence`` (and ``merchant_confidence``) become 1.0 where a
    correction set them, ``category_evidence`` and ``explanation`` (when present) name the
    correction (``correction <id8> (<scope>)``), and a ``correction_id`` column names the
    leading correction (null when none applied). The correctable columns are added (null)
    when the input lacks them. A category set without a subcategory keeps the row's
    subcategory only when it belongs to that category.
    """
    # Rows a correction already changed keep its id where none applies now: a merchant
    # correction that moved a row to another merchant no longer matches it on a second pass
    # (the pipeline applies the set before and after the recurring step).
    before = (enriched.get_column("correction_id").cast(pl.String)
              if "correction_id" in enriched.columns else None)
    out = enriched.drop("correction_id", strict=False)
    wanted = {**CORRECTABLE_COLUMNS, "category_confidence": pl.Float64(),
              "merchant_confidence": pl.Float64(), "category_evidence": pl.String(),
              "explanation": pl.String()}
    out = out.with_columns(
        [pl.lit(None, dtype).alias(name) for name, dtype in CORRECTABLE_COLUMNS.items()
         if name not in out.columns]
        + [pl.col(name).cast(dtype) for name, dtype in wanted.items()
           if name in out.columns and out.schema[name] == pl.Null])
    no_id = (before.alias("correction_id") if before is not None
             else pl.repeat(None, out.height, dtype=pl.String, eager=True).alias("correction_id"))
    if not len(corrections) or not out.height:
        return out.with_columns(no_id)
    pairs = _matches(out.with_row_index(_ROW), _ranked(corrections))
    if not pairs.height:
        return out.with_columns(no_id)
    resolved = _resolve(pairs)
    index = resolved[_ROW]
    touched = [c for c in (*CORRECTABLE_COLUMNS, "category_confidence", "merchant_confidence",
                           "category_evidence", "merchant_evidence", "explanation")
               if c in out.columns]
    small = pl.concat([resolved, out.select(touched).gather(index)], how="horizontal")
    new = small.select(_corrected_values(out.schema))
    columns = [out[name].clone().scatter(index, new[name]) for name in new.columns]
    columns.append(no_id.clone().scatter(index, small["_cid"]))
    return out.with_columns(columns)


def _corrected_values(schema: pl.Schema) -> list[pl.Expr]:
    """Expressions over the corrected rows (resolved values next to current ones)."""
    set_cat = pl.col("_set_category").fill_null(False)
    set_merchant = pl.col("_set_merchant").fill_null(False)
    named = pl.col("_labels").list.join("; ")  # the corrections that set the row's values
    subcat_parent = pl.col("subcategory").cast(pl.String).replace_strict(
        {k: v.category for k, v in SUBCATEGORIES.items()}, default=None, return_dtype=pl.String)
    kept_subcategory = pl.when(subcat_parent == pl.col("_new_category")).then(
        pl.col("subcategory").cast(pl.String))
    updates: dict[str, tuple[pl.Expr, pl.Expr]] = {
        "category": (set_cat, pl.col("_new_category")),
        "subcategory": (set_cat, pl.coalesce(pl.col("_new_subcategory"), kept_subcategory)),
        "merchant_id": (set_merchant, pl.col("_new_merchant_id")),
        "merchant_name": (set_merchant, pl.coalesce(
            pl.col("_new_merchant_name"),
            pl.when(pl.col("merchant_id").cast(pl.String) == pl.col("_new_merchant_id"))
            .then(pl.col("merchant_name").cast(pl.String)))),
    }
    for name in ("transaction_type", "is_recurring", "is_income"):
        updates[name] = (pl.col(f"_set_{name}").fill_null(False), pl.col(f"_new_{name}"))
    if "category_confidence" in schema:
        updates["category_confidence"] = (set_cat, pl.lit(1.0))
    if "merchant_confidence" in schema:
        updates["merchant_confidence"] = (set_merchant, pl.lit(1.0))
    if schema.get("category_evidence") == pl.String:
        updates["category_evidence"] = (set_cat, named)
    if schema.get("merchant_evidence") == pl.String:  # not the alias of the merchant it had
        updates["merchant_evidence"] = (set_merchant, named)
    exprs = [pl.when(flag).then(value.cast(schema[name])).otherwise(pl.col(name)).alias(name)
             for name, (flag, value) in updates.items()]
    if schema.get("explanation") == pl.String:
        prefix = named
        old = pl.col("explanation")
        exprs.append(pl.when(old.is_null() | (old == "")).then(prefix)
                     .otherwise(pl.concat_str([prefix, old], separator="; "))
                     .alias("explanation"))
    return exprs


def export_training_data(enriched: pl.DataFrame, corrections: CorrectionSet) -> pl.DataFrame:
    """Corrected transactions as labelled rows for the next training run.

    Columns: clean_label, amount, mcc, transaction_type, merchant_id, category,
    subcategory, source (``"correction"``) and correction_id; one row per transaction that
    at least one correction changed. Missing inputs (say, no mcc) come out null.
    """
    corrected = apply_corrections(enriched, corrections).filter(
        pl.col("correction_id").is_not_null())
    wanted: dict[str, pl.DataType] = {
        "clean_label": pl.String(), "amount": pl.Float64(), "mcc": pl.String(),
        "transaction_type": pl.String(), "merchant_id": pl.String(), "category": pl.String(),
        "subcategory": pl.String(),
    }
    cols = [(pl.col(n) if n in corrected.columns else pl.lit(None)).cast(t).alias(n)
            for n, t in wanted.items()]
    return corrected.select(*cols, pl.lit("correction").alias("source"),
                            pl.col("correction_id"))
