"""The boundary of enrichment: any input table becomes the working frame, and back.

Enrichment accepts the lake's canonical transactions or a plain table with at least
``date, amount, label`` (a CSV exported from anywhere). ``prepare`` validates the table once
and builds the *working frame* every step reads; ``attach`` puts the enrichment columns back
next to the caller's own columns, which pass through untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl
import pyarrow as pa

from ledgerlens.exceptions import DataError

__all__ = ["ENRICHMENT_COLUMNS", "MAX_LABEL_CHARS", "UNKNOWN_ACCOUNT", "PreparedInput",
           "attach", "names_a_label", "parse_text_amounts", "parse_text_dates", "prepare",
           "to_frame"]

#: Labels longer than this are cut for enrichment only (the raw label stays whole in the output);
#: no bank writes a 500-character label, and a 10 MB one must not slow the batch down.
MAX_LABEL_CHARS = 500
#: The account (and customer) of rows whose input gives neither: one table of labels without
#: ids. Its rows may be one person's statement or many people's labels pooled; what needs
#: to know who pays (shop profiles) treats it as no account.
UNKNOWN_ACCOUNT = "unknown"

#: The working frame every step reads, with its dtypes.
WORKING_SCHEMA = pl.Schema({
    "raw_label": pl.String,
    "label_complement": pl.String,
    "amount": pl.Float64,
    "booking_date": pl.Date,
    "currency": pl.String,
    "account_id": pl.String,
    "customer_id": pl.String,
    "mcc": pl.String,
    "counterparty_name": pl.String,
    "bank_transaction_code": pl.String,
    "transaction_id": pl.String,
    "tenant_id": pl.String,
    # whether the row names the counterparty's account (an IBAN, kept out of the working
    # frame): a card payment has none
    "counterparty_account": pl.Boolean,
})

#: What enrichment adds to a table, in output order.
ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "clean_label", "transaction_type", "intermediary",
    "merchant_id", "merchant_name", "merchant_website", "merchant_confidence",
    "category", "subcategory", "category_confidence",
    "is_recurring", "recurrence_period", "recurring_stream_id",
    "is_income", "income_type", "income_payer",
    "correction_id", "explanation",
)

# Plain-table column names and the aliases accepted for them.
_ALIASES: dict[str, tuple[str, ...]] = {
    "raw_label": ("raw_label", "label", "description", "libelle", "libellé"),
    "booking_date": ("booking_date", "date", "transaction_date"),
    "amount": ("amount", "montant"),
}


#: The engine of every query the enrichment collects. Since Polars 2 ``collect`` defaults to
#: the streaming engine, which returns its result in many chunks; every later step over a
#: frame of unevenly chunked columns pays to realign them (about a tenth of a 1M-row batch).
ENGINE: Final = "in-memory"


@dataclass(frozen=True)
class PreparedInput:
    """The working frame and the caller's table, row for row in the same order."""

    working: pl.DataFrame
    original: pl.DataFrame


def to_frame(table: pl.DataFrame | pl.LazyFrame | pa.Table) -> pl.DataFrame:
    """A Polars frame of any supported table type; a clear error for anything else."""
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    if isinstance(table, pa.Table):
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame
    raise DataError(f"enrichment takes a Polars DataFrame/LazyFrame or an Arrow table, "
                    f"got {type(table).__name__}")


def _find(frame: pl.DataFrame, target: str) -> str | None:
    lowered = {c.lower(): c for c in frame.columns}
    for alias in _ALIASES.get(target, (target,)):
        if alias in lowered:
            return lowered[alias]
    return None


# The header names of bank exports, matched without case, accents or punctuation (read
# only when a name above is missing): ``Date opération``, ``Libellé de l'opération``,
# ``Montant (EUR)``, or a debit and a credit column in place of the amount.
_EXPORT_NAMES: dict[str, tuple[str, ...]] = {
    "raw_label": ("libelle operation", "libelle de l operation", "libelle simplifie",
                  "intitule", "wording", "transaction description", "details",
                  "payment reference"),
    "booking_date": ("date operation", "date de l operation", "date d operation",
                     "date comptable", "booking date", "date de comptabilisation", "dateop",
                     "completed date"),
    "amount": ("montant eur", "montant euros", "montant en euros", "montant en eur",
               "amount eur", "montant de l operation", "montant operation",
               "montant de l ecriture", "montant du mouvement"),
    "label_complement": ("libelle complementaire", "complement", "complement libelle",
                         "complement de libelle", "detail de l ecriture", "detail", "details",
                         "informations complementaires"),
    "counterparty_name": ("partner name", "payee", "beneficiaire", "tiers", "nom du tiers",
                          "counterparty", "supplierfound"),
    "bank_transaction_code": ("type d operation", "type operation", "transaction type",
                              "type"),
    "debit": ("debit", "debit eur", "debit euros", "debits"),
    "credit": ("credit", "credit eur", "credit euros", "credits"),
}


def _find_export_names(frame: pl.DataFrame,
                       found: dict[str, str | None]) -> tuple[pl.DataFrame, dict[str, str | None]]:
    """``found`` completed from a bank export's header names; an amount made of the debit
    and credit columns (credit minus debit, each read as an amount) when neither an amount
    nor its export names are there. The frame gains that column only."""
    from ledgerlens.ingest.readers._csv import normalize_name

    normal = {normalize_name(c): c for c in reversed(frame.columns)}
    found = dict(found)
    for target in ("raw_label", "booking_date", "amount"):
        if found[target] is None:
            found[target] = next((normal[n] for n in _EXPORT_NAMES[target] if n in normal),
                                 None)
    debit, credit = ([normal[n] for n in _EXPORT_NAMES[side] if n in normal]
                     for side in ("debit", "credit"))
    name = f"{credit[0]} - {debit[0]}" if debit and credit else ""
    if found["amount"] is None and name and name not in frame.columns:
        out, into = (_amount_expr(c, frame.schema[c]).abs() for c in (debit[0], credit[0]))
        both_null = pl.col(debit[0]).is_null() & pl.col(credit[0]).is_null()
        # A cell with no readable amount keeps its text for ``_refuse_unreadable``.
        unreadable = ((out.is_null() & pl.col(debit[0]).is_not_null())
                      | (into.is_null() & pl.col(credit[0]).is_not_null()))
        amount = (pl.when(unreadable).then(pl.concat_str(
            pl.col(debit[0]).cast(pl.String), pl.col(credit[0]).cast(pl.String),
            separator=" / ", ignore_nulls=True))
            .when(both_null).then(pl.lit(None, dtype=pl.String))
            .otherwise((into.fill_null(0.0) - out.fill_null(0.0)).cast(pl.String)))
        frame = frame.with_columns(amount.alias(name))
        found["amount"] = name
    return frame, found


def names_a_label(columns: Sequence[str]) -> bool:
    """Whether a CSV line names a label column as :func:`prepare` finds one (``label``,
    ``Libellé``, ``Libellé opération``): the header of a bank export, after its account
    lines."""
    from ledgerlens.ingest.readers._csv import normalize_name

    names = {normalize_name(c) for c in columns}
    return bool(names & {normalize_name(a) for a in (*_ALIASES["raw_label"],
                                                    *_EXPORT_NAMES["raw_label"])})


#: The optional columns a bank export names its own way (see ``_EXPORT_NAMES``).
_EXPORT_OPTIONAL = ("label_complement", "counterparty_name", "bank_transaction_code")


def _with_export_columns(frame: pl.DataFrame, used: Sequence[str]) -> pl.DataFrame:
    """``frame`` with a bank export's optional columns under the working names, for those it
    has no column of: its second label line (``Libellé complémentaire``, ``Détail de
    l'écriture``: the payer and motif after ``VIREMENT EN VOTRE FAVEUR``, or the whole label
    again, see ``clean_labels``), its party (``Partner Name``, ``Tiers``) and its kind of
    operation (``Type d'opération``: read where it is a bank transaction code). ``used``:
    the label, date and amount columns, never renamed; nor is a column named as one the
    enrichment writes (a truth table's ``transaction_type`` is no input)."""
    renames = _export_renames(tuple(frame.columns), tuple(used))
    return frame.rename(dict(renames)) if renames else frame


@functools.lru_cache(maxsize=256)
def _export_renames(columns: tuple[str, ...], used: tuple[str, ...]
                    ) -> tuple[tuple[str, str], ...]:
    """``_with_export_columns``' renames for a table's columns, found once per header."""
    from ledgerlens.ingest.readers._csv import normalize_name

    lowered = {c.lower() for c in columns}
    normal = {normalize_name(c): c for c in reversed(columns)
              if c not in used and c.lower() not in ENRICHMENT_COLUMNS}
    renames: dict[str, str] = {}
    for target in _EXPORT_OPTIONAL:
        if target in lowered:
            continue
        column = next((normal[n] for n in _EXPORT_NAMES[target]
                       if n in normal and normal[n] not in renames), None)
        if column is not None:
            renames[column] = target
    return tuple(renames.items())


def _amount_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if dtype.is_numeric():
        return col.cast(pl.Float64)
    # Text amounts from a CSV: "1 234,56", "1.234,56", "-12.50", "12,50 EUR"; a typographic
    # minus or dash ("−4,20"), a minus after the number ("4,20-") or brackets ("(4,20)").
    text = (col.cast(pl.String).str.replace_all(r"[\s\u00a0\u202f€]|EUR", "")
            .str.replace_all(r"[\u2212\u2012\u2013\u2014]", "-").str.replace(r"^\+", ""))
    text = text.str.replace(r"^\((.+)\)$", "-$1").str.replace(r"^([^-].*)-$", "-$1")
    comma_decimal = text.str.contains(r",\d{1,2}$")
    normalized = (pl.when(comma_decimal)
                  .then(text.str.replace_all(r"\.", "").str.replace(",", "."))
                  .otherwise(text.str.replace_all(",", "")))
    parsed = normalized.cast(pl.Float64, strict=False)
    # "NaN", "inf" and the like are no amounts a file holds
    return pl.when(parsed.is_finite()).then(parsed)


def _date_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if dtype == pl.Date:
        return col
    if isinstance(dtype, pl.Datetime):
        return col.dt.date()
    text = col.cast(pl.String).str.strip_chars()
    # A two-digit year (12/03/25, as many French exports print it) read with %Y is the year
    # 25: the character three from the end tells the two forms apart.
    short_year = text.str.slice(-3, 1).is_in(["/", ".", "-"])
    return pl.coalesce(
        # an ISO date, with a time after it or not
        text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        pl.when(~short_year).then(pl.coalesce(
            text.str.strptime(pl.Date, "%d/%m/%Y", strict=False),
            text.str.strptime(pl.Date, "%d.%m.%Y", strict=False),
            text.str.strptime(pl.Date, "%d-%m-%Y", strict=False))),
        pl.when(short_year).then(pl.coalesce(
            text.str.strptime(pl.Date, "%d/%m/%y", strict=False),
            text.str.strptime(pl.Date, "%d.%m.%y", strict=False),
            text.str.strptime(pl.Date, "%d-%m-%y", strict=False))),
    )


def _bad_rows(frame: pl.DataFrame, parsed: pl.Series, column: str, what: str) -> None:
    bad = (parsed.is_null() & frame[column].is_not_null()).arg_true()
    if bad.len():
        first = bad.head(3).to_list()
        examples = ", ".join(f"{frame[column][i]!r} in data row {i + 1}" for i in first)
        raise DataError(f"column {column!r}: {bad.len()} value(s) are not {what}: {examples}")


def prepare(table: pl.DataFrame | pl.LazyFrame | pa.Table) -> PreparedInput:
    """Validate an input table and build the working frame.

    A table without a label, amount or date column is refused with the names it has; amounts
    or dates that cannot be read are refused naming the first rows. Missing labels become
    empty, missing ids become ``unknown``: those rows still get a (low-confidence) result.
    """
    frame = original = to_frame(table)
    found = {target: _find(frame, target) for target in _ALIASES}
    if None in found.values():
        frame, found = _find_export_names(frame, found)
    missing = [t for t, c in found.items() if c is None]
    if missing:
        wanted = ", ".join(f"{t} (or {'/'.join(_ALIASES[t][1:])})" for t in missing)
        debit_credit = " or debit and credit" if "amount" in missing else ""
        raise DataError(f"input table lacks {wanted}{debit_credit}; it has columns: "
                        f"{', '.join(original.columns)}")
    label_col, date_col, amount_col = found["raw_label"], found["booking_date"], found["amount"]
    assert label_col is not None
    assert date_col is not None
    assert amount_col is not None
    frame = _with_export_columns(frame, (label_col, date_col, amount_col))
    schema = tuple(zip(frame.columns, frame.dtypes, strict=True))
    if frame.height <= _FEW_ROWS:
        few = _working_few(frame, schema, label_col, date_col, amount_col)
        if few is not None:
            return PreparedInput(working=few, original=original)
    working = frame.select(*_working_exprs(schema, label_col, date_col, amount_col))
    if working.drop_in_place("_unreadable").any():  # a fresh frame: dropped in place
        _refuse_unreadable(frame, amount_col, date_col)
    # One chunk per column from here on (a file is read in several; see ``ENGINE``).
    return PreparedInput(working=working.rechunk(), original=original)


@functools.lru_cache(maxsize=256)
def _working_exprs(schema: tuple[tuple[str, pl.DataType], ...], label_col: str,
                   date_col: str, amount_col: str) -> tuple[pl.Expr, ...]:
    """The working frame's columns, then ``_unreadable`` (an amount or a date that cannot
    be read): one query for the whole boundary, its expressions built once per input
    schema (building them costs more than running them on one transaction)."""
    dtypes = dict(schema)
    amount = _amount_expr(amount_col, dtypes[amount_col])
    dates = _date_expr(date_col, dtypes[date_col])
    lowered = {c.lower(): c for c in dtypes}

    def optional(name: str) -> pl.Expr:
        column = next((lowered[a] for a in _ALIASES.get(name, (name,)) if a in lowered), None)
        if column is None:
            return pl.lit(None, dtype=pl.String).alias(name)
        return pl.col(column).cast(pl.String).alias(name)

    label = pl.col(label_col).cast(pl.String).fill_null("").str.slice(0, MAX_LABEL_CHARS)
    account, customer = optional("account_id"), optional("customer_id")
    mcc = optional("mcc").str.strip_chars()
    columns = (
        label.alias("raw_label"),
        optional("label_complement").str.slice(0, MAX_LABEL_CHARS),
        amount.fill_null(0.0).alias("amount"),
        dates.alias("booking_date"),
        optional("currency").str.strip_chars().str.to_uppercase().fill_null("EUR"),
        pl.coalesce(account, customer, pl.lit(UNKNOWN_ACCOUNT)).alias("account_id"),
        pl.coalesce(customer, account, pl.lit(UNKNOWN_ACCOUNT)).alias("customer_id"),
        pl.when(mcc.str.contains(r"^\d{4}$")).then(mcc).alias("mcc"),
        optional("counterparty_name"), optional("bank_transaction_code"),
        optional("transaction_id"), optional("tenant_id"),
        optional("counterparty_iban").str.contains(r"\S").fill_null(False)
        .alias("counterparty_account"),
    )
    # A text amount (a file's) must be there: an empty cell is no amount, not 0.
    given = (pl.lit(True) if not dtypes[amount_col].is_numeric()
             else pl.col(amount_col).is_not_null())
    unreadable = (amount.is_null() & given) | dates.is_null()
    return (*(c.cast(WORKING_SCHEMA[c.meta.output_name()]) for c in columns),
            unreadable.alias("_unreadable"))


_FEW_ROWS = 8  # up to this many rows, ``prepare`` reads plain values first
_ASCII_TEXT = frozenset(chr(i) for i in range(0x20, 0x7F))


def _working_few(frame: pl.DataFrame, schema: tuple[tuple[str, pl.DataType], ...],
                 label_col: str, date_col: str, amount_col: str) -> pl.DataFrame | None:
    """``_working_exprs`` of a few rows on plain values, without a query; None (the query
    decides, and refuses) unless the label and the optional columns are String, the date a
    Date, the amount a Float64 or a Decimal with every row readable, and the stripped
    columns printable ASCII (where Python's and Rust's whitespace and digits agree)."""
    dtypes = dict(schema)
    lowered = {c.lower(): c for c in dtypes}
    optional = {name: next((lowered[a] for a in _ALIASES.get(name, (name,)) if a in lowered),
                           None) for name in (*_OPTIONAL, "counterparty_iban")}
    texts = [label_col, *(c for c in optional.values() if c is not None)]
    amount_type = dtypes[amount_col]
    if (dtypes[date_col] != pl.Date or any(dtypes[c] != pl.String for c in texts)
            or not (amount_type == pl.Float64 or isinstance(amount_type, pl.Decimal))):
        return None

    def values(column: str | None) -> list[Any]:
        return [None] * frame.height if column is None else frame.get_column(column).to_list()

    read = {name: values(column) for name, column in optional.items()}
    dates = values(date_col)
    stripped = [v for name in ("currency", "mcc") for v in read[name] if v is not None]
    if any(d is None for d in dates) or not all(_ASCII_TEXT.issuperset(v) for v in stripped):
        return None
    mccs = [None if v is None else v.strip() for v in read["mcc"]]
    out = {
        "raw_label": [(v or "")[:MAX_LABEL_CHARS] for v in values(label_col)],
        "label_complement": [None if v is None else v[:MAX_LABEL_CHARS]
                             for v in read["label_complement"]],
        "amount": [0.0 if v is None else float(v) for v in values(amount_col)],
        "booking_date": dates,
        "currency": [("EUR" if v is None else v.strip().upper())
                     for v in read["currency"]],
        "account_id": [a if a is not None else c if c is not None else UNKNOWN_ACCOUNT
                       for a, c in zip(read["account_id"], read["customer_id"], strict=True)],
        "customer_id": [c if c is not None else a if a is not None else UNKNOWN_ACCOUNT
                        for a, c in zip(read["account_id"], read["customer_id"], strict=True)],
        "mcc": [m if m is not None and len(m) == 4 and m.isdigit() else None for m in mccs],
        **{name: read[name] for name in _OPTIONAL[5:]},
        "counterparty_account": [v is not None and not v.isspace() and v != ""
                                 for v in read["counterparty_iban"]],
    }
    return pl.from_dicts([dict(zip(out, row, strict=True)) for row in zip(*out.values(),
                                                                       strict=True)],
                         schema=WORKING_SCHEMA)


# The optional working columns read from the caller's table (``_working_exprs``' order).
_OPTIONAL = ("label_complement", "currency", "account_id", "customer_id", "mcc",
             "counterparty_name", "bank_transaction_code", "transaction_id", "tenant_id")


def _refuse_unreadable(frame: pl.DataFrame, amount_col: str, date_col: str) -> None:
    """Raise a ``DataError`` naming the first rows whose amount or date cannot be read (rows
    counted from 1, the header aside)."""
    amount = frame.select(_amount_expr(amount_col, frame.schema[amount_col])).to_series()
    _bad_rows(frame, amount, amount_col, "amounts")
    if not frame.schema[amount_col].is_numeric() and amount.null_count():
        raise DataError(f"column {amount_col!r}: {amount.null_count()} row(s) have no amount "
                        f"(first: data row {amount.is_null().arg_true()[0] + 1})")
    dates = frame.select(_date_expr(date_col, frame.schema[date_col])).to_series()
    _bad_rows(frame, dates, date_col, "dates (YYYY-MM-DD or DD/MM/YYYY)")
    raise DataError(f"column {date_col!r}: {dates.null_count()} row(s) have no date "
                    f"(first: data row {dates.is_null().arg_true()[0] + 1})")


#: The prefix a caller's column takes when the enrichment writes one of its name.
INPUT_PREFIX = "input_"


def attach(prepared: PreparedInput, enriched: pl.DataFrame) -> pl.DataFrame:
    """The caller's columns, then the enrichment columns. A caller's column of the same name
    as one the enrichment writes (a bank export's own ``category``) is kept, renamed
    ``input_<name>`` (one already so named gives way); a table enriched before (it has an
    ``explanation``) has its old enrichment replaced."""
    have, original = set(enriched.columns), prepared.original.columns
    added = [c for c in ENRICHMENT_COLUMNS if c in have]
    clashing = [c for c in added if c in original]
    kept = prepared.original
    if clashing and "explanation" in original:
        kept = kept.drop(clashing)
    elif clashing:
        kept = kept.drop([f"{INPUT_PREFIX}{c}" for c in clashing
                          if f"{INPUT_PREFIX}{c}" in original])
        kept = kept.rename({c: f"{INPUT_PREFIX}{c}" for c in clashing})
    return kept.hstack([enriched.get_column(c) for c in added])


def parse_text_amounts(column: str) -> pl.Expr:
    """A text column of amounts read as ``prepare`` reads them ("1 234,56", "1.234,56",
    "-12.50", "12,50 EUR", "−4,20", "4,20-", "(4,20)"): Float64, null where unreadable."""
    return _amount_expr(column, pl.String())


def parse_text_dates(column: str) -> pl.Expr:
    """A text column of dates read as ``prepare`` reads them (YYYY-MM-DD with or without a
    time, DD/MM/YYYY, DD.MM.YYYY, DD-MM-YYYY, and those with a two-digit year): Date, null
    where unreadable."""
    return _date_expr(column, pl.String())
