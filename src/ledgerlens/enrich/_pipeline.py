"""``enrich``: the whole enrichment as one pure function over a table.

clean label -> intermediary -> transaction type -> merchant -> category -> (corrections) ->
recurring streams -> income (and its category) -> (corrections again) -> explanation. No I/O:
the models come in as an ``EnrichmentModel`` (loaded once by the caller, or the default one
shipped with the package).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from ledgerlens.enrich._clean import clean_labels, finish_clean_labels
from ledgerlens.enrich._explain import explain
from ledgerlens.enrich._few_rows import constant, rounded, with_values
from ledgerlens.enrich._frame import ENGINE, attach, prepare
from ledgerlens.enrich._income import detect_income, income_category, salary_without_merchant
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._model import EnrichmentModel
from ledgerlens.enrich._parallel import beside, parts_count
from ledgerlens.enrich._recurring import detect_recurring, stream_keys, streams_as_enriched
from ledgerlens.enrich._types import (
    LOAN_BY_DIRECT_DEBIT,
    classify_types,
    online_merchant_channel,
)
from ledgerlens.enrich.categories._bank_lines import bank_line_rule
from ledgerlens.enrich.categories._rules import (
    bare_intermediary_rule,
    biller_refund_rule,
    dealer_purchase_rule,
    fee_line_rule,
    interest_sign_rule,
    line_word_rule,
    nameless_card_rule,
    place_phrase_rule,
    public_checkout_rule,
    returned_transfer_rule,
    savings_word_rule,
    top_up_rule,
    trade_word_rule,
    transfer_line_rule,
)
from ledgerlens.enrich.categories._station import station_fuel_rule
from ledgerlens.enrich.merchants._matcher import MERCHANT_COLUMNS

__all__ = ["EnrichmentResult", "enrich", "enrich_with_streams"]


@dataclass(frozen=True)
class EnrichmentResult:
    """The enriched table and the recurring streams found in it."""

    transactions: pl.DataFrame
    streams: pl.DataFrame
    working: pl.DataFrame  # every intermediate column, for evaluation and debugging


@functools.cache
def _abstain_exprs() -> tuple[pl.Expr, ...]:
    """A label with no word, no MCC and no counterparty says nothing: answer ``other`` with a
    low confidence rather than trust what the amount alone suggests (built once). A merchant
    found in it did say something (``H&M``, ``C&A``)."""
    blind = (~pl.col("raw_label").str.contains(r"[A-Za-z]{2}") & pl.col("mcc").is_null()
             & pl.col("counterparty_name").is_null() & pl.col("merchant_id").is_null()
             & ~pl.col("transaction_type").is_in(["cash_withdrawal", "cash_deposit", "cheque",
                                                   "cheque_deposit"]))
    return (
        pl.when(blind).then(pl.lit("other")).otherwise("category").alias("category"),
        pl.when(blind).then(pl.lit("uncategorised")).otherwise("subcategory")
        .alias("subcategory"),
        pl.when(blind).then(pl.min_horizontal("category_confidence", pl.lit(0.1)))
        .otherwise("category_confidence").alias("category_confidence"),
        pl.when(blind).then(pl.lit("rule: no usable label text"))
        .otherwise("category_evidence").alias("category_evidence"),
    )


def _abstain_without_text(frame: pl.DataFrame) -> pl.DataFrame:
    """A label with no word, no MCC and no counterparty says nothing: answer ``other`` with a
    low confidence rather than trust what the amount alone suggests."""
    return frame.with_columns(*_abstain_exprs())


def _rounded_and_abstained(frame: pl.DataFrame) -> pl.DataFrame:
    """Confidences rounded to 6 decimals, then ``_abstain_without_text``: one query."""
    # Sparse products sum in thread order: round away the last bits so that the same input
    # always gives the same output, byte for byte.
    if frame.height <= _FEW_ROWS and not _any_blind(frame):
        # A few rows, none without text: only the rounding, on plain values (no query).
        values = {n: frame.get_column(n).to_list() for n in _CONFIDENCES}
        if all(v is None or 0.0 <= v <= 1.0 for vs in values.values() for v in vs):
            return with_values(frame, {n: [None if v is None else rounded(v, 6) for v in vs]
                                       for n, vs in values.items()},
                               dict.fromkeys(_CONFIDENCES, pl.Float64()))
    return (frame.lazy()
            .with_columns(pl.col("merchant_confidence", "category_confidence").round(6))
            .with_columns(*_abstain_exprs()).collect(engine=ENGINE))


_FEW_ROWS = 8  # up to this many rows, ``_rounded_and_abstained`` reads plain values first
_CONFIDENCES = ("merchant_confidence", "category_confidence")


_WORDY = re.compile(r"[A-Za-z]{2}")
_COUNTED = ("cash_withdrawal", "cash_deposit", "cheque", "cheque_deposit")


def _any_blind(frame: pl.DataFrame) -> bool:
    """Whether some row may be one ``_abstain_exprs`` answers for (True, the query, when
    unsure: a missing column, a label or type that is not a String, a row without text)."""
    schema = dict(zip(frame.columns, frame.dtypes, strict=True))  # a fifth of ``.schema``
    strings = ("raw_label", "transaction_type", "category", "subcategory", "category_evidence")
    names = (*strings, "mcc", "counterparty_name", "merchant_confidence", "category_confidence")
    # Other types may come out of the query retyped (a Categorical category as a String).
    if (not all(n in schema for n in names) or any(schema[c] != pl.String for c in strings)
            or any(schema[c] != pl.Float64 for c in _CONFIDENCES)):
        return True
    rows = zip(frame.get_column("raw_label").to_list(), frame.get_column("mcc").to_list(),
               frame.get_column("counterparty_name").to_list(),
               frame.get_column("transaction_type").to_list(), strict=True)
    return any(label is None or (_WORDY.search(label) is None and mcc is None and cp is None
                                 and ttype is not None and ttype not in _COUNTED)
               for label, mcc, cp, ttype in rows)


def _categorised(frame: pl.DataFrame, model: EnrichmentModel,
                 profiles: pl.Series | None) -> pl.DataFrame:
    """The category model and the rules after it. A loan instalment that another bank takes
    by direct debit (``PRELEVEMENT DE LCL ECHEANCE PRET``) is typed a direct debit, as the
    ground truth has it, and categorised as the loan repayment it is: in the loans' scope,
    where the bank's fee line (LCL's account fees) or the model's reading of ``IMMOBILIER``
    (rent) had decided."""
    loans = _loans_by_direct_debit(frame.get_column("type_evidence"))
    typed = frame.get_column("transaction_type")
    if loans is not None:
        as_loan = pl.Series("transaction_type", ["loan_repayment"] * frame.height,
                            dtype=typed.dtype)
        frame = frame.with_columns(typed.zip_with(~loans, as_loan))
    frame = station_fuel_rule(model.categories.predict(frame, profiles),
                              model.merchants.name_words, model.merchants.station_ids)
    frame = line_word_rule(frame, model.merchants.brand_words, model.merchants.name_words)
    frame = bank_line_rule(frame, model.merchants.name_words)
    frame = bare_intermediary_rule(model.merchants.settle_lines(frame))
    frame = place_phrase_rule(top_up_rule(biller_refund_rule(frame)))
    frame = trade_word_rule(dealer_purchase_rule(returned_transfer_rule(frame)))
    frame = savings_word_rule(frame)
    frame = nameless_card_rule(public_checkout_rule(frame))
    frame = fee_line_rule(interest_sign_rule(transfer_line_rule(frame)))
    return frame.with_columns(typed) if loans is not None else frame


def _loans_by_direct_debit(evidence: pl.Series) -> pl.Series | None:
    """The rows typed as a loan instalment taken by direct debit, or None when no row is
    (a few rows are read on plain values: each Series method is a query of 0.1 ms)."""
    if evidence.len() <= _FEW_ROWS and evidence.dtype == pl.String and not any(
            e is not None and e.startswith(LOAN_BY_DIRECT_DEBIT) for e in evidence.to_list()):
        return None
    loans = evidence.str.starts_with(LOAN_BY_DIRECT_DEBIT).fill_null(False)
    return loans if loans.any() else None


def enrich_with_streams(
    table: pl.DataFrame | pl.LazyFrame | pa.Table,
    model: EnrichmentModel | None = None,
    *,
    corrections: object | None = None,
    as_of: dt.date | None = None,
) -> EnrichmentResult:
    """Enrich ``table`` and also return the recurring streams table.

    Recurring streams are found within the table: pass an account's whole history (or a
    partition holding whole accounts) for them to be right.
    """
    from ledgerlens.enrich._corrections import CorrectionSet, apply_corrections

    model = model or EnrichmentModel.default()
    prepared = prepare(table)
    town_names = model.merchants.town_names
    cleaned = clean_labels(prepared.working, town_names=town_names)
    typed = classify_types(detect_intermediaries(cleaned), town_names=town_names)
    profiles = None
    if parts_count(typed.height) > 1:  # the shop profiles need no merchant: made beside
        frame, profiles = beside(lambda: model.merchants.match(typed),
                                 lambda: model.categories.shop_profiles(typed))
    else:
        frame = model.merchants.match(typed)
    frame = online_merchant_channel(frame, model.merchants.online_ids)
    frame = _rounded_and_abstained(_categorised(frame, model, profiles))
    if corrections is not None and not isinstance(corrections, CorrectionSet):
        raise TypeError(f"corrections must be a CorrectionSet, got {type(corrections).__name__}")
    if corrections is not None:
        # A corrected merchant, type or category also regroups the recurring streams and
        # decides income: apply before those steps, and again after them for the
        # is_recurring / is_income corrections (the same set applies identically twice).
        frame = apply_corrections(frame, corrections)
    frame, streams = detect_recurring(stream_keys(frame), as_of=as_of)
    frame = salary_without_merchant(income_category(detect_income(frame)),
                                    list(MERCHANT_COLUMNS))
    if corrections is not None:
        frame = apply_corrections(frame, corrections)
    elif "correction_id" in frame.columns:
        frame = frame.with_columns(correction_id=pl.lit(None, dtype=pl.String))
    else:
        frame = frame.hstack([constant("correction_id", None, frame.height, pl.String())])
    frame = explain(finish_clean_labels(frame))
    streams = streams_as_enriched(streams, frame)
    return EnrichmentResult(attach(prepared, frame), streams, frame)


def enrich(
    table: pl.DataFrame | pl.LazyFrame | pa.Table,
    model: EnrichmentModel | None = None,
    *,
    corrections: object | None = None,
    as_of: dt.date | None = None,
) -> pl.DataFrame:
    """The input table with the enrichment columns added (see ``ENRICHMENT_COLUMNS``).

    Works for one transaction or millions; extra input columns pass through untouched.
    """
    return enrich_with_streams(table, model, corrections=corrections, as_of=as_of).transactions
