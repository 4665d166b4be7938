"""PSD2 entries to statement records: per-entry field gathering, then vectorized checks.

The loop over JSON entries only picks strings out of each object (``stet_fields``,
``berlin_fields``); parsing amounts and dates, checking currencies and choosing the
reject reason happen once per file over whole columns (``finish``). The rules are
documented in ``ledgerlens.ingest.readers._psd2``.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ledgerlens.ingest._records import QUARANTINE_RECORD, STATEMENT_RECORD, ReadResult
from ledgerlens.schema import AMOUNT_DTYPE, ISO_4217

__all__ = ["COLUMNS", "ENTRY_FIELDS", "Fields", "Reject", "berlin_fields", "finish", "kind",
           "stet_fields"]

#: What the extractors return, in this order.
ENTRY_FIELDS = ("amount_text", "indicator", "currency", "booking_text", "value_text",
                "raw_label", "label_complement", "counterparty_name", "counterparty_iban",
                "mcc", "bank_transaction_code", "end_to_end_id")
#: One row per entry found: position, raw text, account, the entry fields, and the reason
#: and detail when the entry was rejected while gathering.
COLUMNS = ("source_position", "raw_record", "account_ref", *ENTRY_FIELDS,
           "pre_reason", "pre_detail")

Fields = tuple[str | None, ...]

_AMOUNT_RE = r"^[+-]?[0-9]{1,16}(?:\.[0-9]{1,2}0*)?$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]{2,18}(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
# Values that may be quoted in a reject detail: short, and no room for a name or an IBAN.
_SHOWABLE = r"^[0-9A-Za-z +\-.,:/]{1,24}$"
_SHOWABLE_PY = re.compile(_SHOWABLE)
_ISO_CURRENCIES = sorted(ISO_4217)


class Reject(Exception):  # noqa: N818 - a signal caught per entry, never leaves the readers
    """An entry or page cannot be used; ``detail`` names the field, never a personal value."""

    def __init__(self, detail: str, reason: str = "malformed_record") -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def kind(value: Any) -> str:
    """The JSON type of a parsed value with its article ("an array"), for messages."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


# --------------------------------------------------------------------------- gathering


def _text(obj: dict[str, Any], key: str, path: str = "") -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if type(value) is str:
        return value
    raise Reject(f"{path}{key} is {kind(value)}, expected a string")


def _object(obj: dict[str, Any], key: str, path: str = "") -> dict[str, Any]:
    """The nested object at ``key``, an empty one when absent."""
    value = obj.get(key)
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise Reject(f"{path}{key} is {kind(value)}, expected an object")


def _amount(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    holder = _object(entry, "transactionAmount")
    value = holder.get("amount")
    if value is None or type(value) is str:
        amount = value or None
    elif type(value) in (int, float):
        amount = repr(value)  # a JSON number: checked like a string below
    else:
        raise Reject(f"transactionAmount.amount is {kind(value)}, expected a string")
    return amount, _text(holder, "currency", "transactionAmount.")


def _lines(value: Any, path: str) -> tuple[str | None, str | None]:
    """Unstructured remittance: first line = label, the others joined = complement."""
    if value is None:
        return None, None
    if type(value) is str:
        return value or None, None
    if type(value) is not list:
        raise Reject(f"{path} is {kind(value)}, expected an array of strings")
    lines = []
    for line in value:
        if type(line) is not str:
            raise Reject(f"{path} holds {kind(line)}, expected strings")
        if line:
            lines.append(line)
    if not lines:
        return None, None
    return lines[0], " ".join(lines[1:]) or None


def _reference(value: Any) -> str | None:
    """The first structured remittance reference, whatever shape the bank gives it."""
    if type(value) is list:
        value = value[0] if value else None
    if type(value) is str:
        return value or None
    if type(value) is dict:
        for key in ("reference", "creditorReferenceInformation"):
            inner = value.get(key)
            if type(inner) is dict:
                inner = inner.get("reference")
            if type(inner) is str and inner:
                return inner
    return None


def _show(value: Any) -> str:
    if type(value) is str and _SHOWABLE_PY.match(value):
        return repr(value)
    return f"{kind(value)} that is not shown"


def stet_fields(entry: dict[str, Any]) -> Fields:
    """The fields of a booked STET entry (status ``BOOK``); pending ones never get here."""
    status = entry.get("status")
    if status != "BOOK":
        if status is None:
            raise Reject("status is missing", "missing_field")
        raise Reject(f"got {_show(status)} for status, expected BOOK, PDNG or OTHR")
    amount, currency = _amount(entry)
    indicator = _text(entry, "creditDebitIndicator")
    remittance = entry.get("remittanceInformation")
    if type(remittance) is dict:
        label, complement = _lines(remittance.get("unstructured"),
                                   "remittanceInformation.unstructured")
        if label is None:
            label = _reference(remittance.get("structured"))
    else:
        label, complement = _lines(remittance, "remittanceInformation")
    side = "creditor" if indicator == "DBIT" else "debtor"
    related = _object(entry, "relatedParties")
    name = iban = None
    account_key = f"{side}Account"
    for holder, path in ((related, "relatedParties."), (entry, "")):
        if side not in holder and account_key not in holder:
            continue
        name = name or _text(_object(holder, side, path), "name", f"{path}{side}.")
        iban = iban or _text(_object(holder, account_key, path), "iban", f"{path}{account_key}.")
    return (amount, indicator, currency, _text(entry, "bookingDate"), _text(entry, "valueDate"),
            label, complement, name, iban, _text(entry, "merchantCategoryCode"),
            _stet_code(entry), _text(entry, "endToEndId"))


def _stet_code(entry: dict[str, Any]) -> str | None:
    code = entry.get("bankTransactionCode")
    if code is None or type(code) is str:
        return code or None
    if type(code) is not dict:
        raise Reject(f"bankTransactionCode is {kind(code)}, expected an object")
    path = "bankTransactionCode."
    domain, family = _text(code, "domain", path), _text(code, "family", path)
    sub_family = _text(code, "subFamily", path)
    if domain and family and sub_family:
        return f"{domain}-{family}-{sub_family}"
    return _text(code, "code", path)


def berlin_fields(entry: dict[str, Any]) -> Fields:
    """The fields of a Berlin Group booked entry."""
    amount, currency = _amount(entry)
    label, complement = _lines(entry.get("remittanceInformationUnstructuredArray"),
                               "remittanceInformationUnstructuredArray")
    if label is None:
        label = (_text(entry, "remittanceInformationUnstructured")
                 or _reference(entry.get("remittanceInformationStructured"))
                 or _reference(entry.get("remittanceInformationStructuredArray")))
    side = "creditor" if amount is not None and amount.startswith("-") else "debtor"
    iban = _text(_object(entry, f"{side}Account"), "iban", f"{side}Account.")
    code = (_text(entry, "bankTransactionCode")
            or _text(entry, "proprietaryBankTransactionCode"))
    return (amount, None, currency, _text(entry, "bookingDate"), _text(entry, "valueDate"),
            label, complement, _text(entry, f"{side}Name"), iban,
            _text(entry, "merchantCategoryCode"), code, _text(entry, "endToEndId"))


# --------------------------------------------------------------------------- checks


def _quoted(value: pl.Expr) -> pl.Expr:
    return (pl.when(value.str.contains(_SHOWABLE))
            .then(pl.concat_str(pl.lit("'"), value, pl.lit("'")))
            .otherwise(pl.lit("a value that is not shown")))


def _date(name: str) -> pl.Expr:
    text = pl.col(name)
    return (pl.when(text.str.contains(_DATE_RE))
            .then(text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)))


def finish(fmt: str, rows: list[tuple[str | None, ...]]) -> ReadResult:
    """Parse and check the gathered columns; split them into records and rejects."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    frame = pl.DataFrame([pl.Series(name, values, dtype=pl.String)
                          for name, values in zip(COLUMNS, columns, strict=True)])
    amount_text, indicator = pl.col("amount_text"), pl.col("indicator")
    currency = pl.col("currency")
    magnitude = (pl.when(amount_text.str.contains(_AMOUNT_RE))
                 .then(amount_text.str.strip_chars_start("+-"))
                 .cast(AMOUNT_DTYPE, strict=False))
    negative = indicator == "DBIT" if fmt == "stet" else amount_text.str.starts_with("-")
    frame = frame.with_columns(
        amount=pl.when(negative).then(-magnitude).otherwise(magnitude),
        booking_date=_date("booking_text"),
        value_date=_date("value_text"),
    )
    amount_expected = "a decimal number with a point and at most 2 decimals, e.g. '12.30'"
    checks: list[tuple[pl.Expr, str | pl.Expr, str | pl.Expr]] = [
        (pl.col("pre_reason").is_not_null(), pl.col("pre_reason"), pl.col("pre_detail")),
        (pl.col("booking_text").is_null(), "missing_field", "bookingDate is missing"),
        (amount_text.is_null(), "missing_field", "transactionAmount.amount is missing"),
        (pl.col("raw_label").is_null(), "missing_field",
         "no remittance information to use as the label"),
    ]
    if fmt == "stet":
        checks += [
            (indicator.is_null(), "missing_field", "creditDebitIndicator is missing"),
            (~indicator.is_in(["DBIT", "CRDT"]), "malformed_record",
             pl.format("got {} for creditDebitIndicator, expected DBIT or CRDT",
                       _quoted(indicator))),
        ]
    checks.append((magnitude.is_null(), "unparseable_amount",
                   pl.format("got {} for transactionAmount.amount, expected {}",
                             _quoted(amount_text), pl.lit(amount_expected))))
    if fmt == "stet":
        checks.append((amount_text.str.starts_with("-") & (indicator == "CRDT"),
                       "malformed_record",
                       "negative transactionAmount.amount contradicts creditDebitIndicator CRDT"))
    checks += [
        (currency.is_null(), "missing_currency", "transactionAmount.currency is missing"),
        (~currency.is_in(_ISO_CURRENCIES), "unknown_currency",
         pl.format("got {} for transactionAmount.currency, expected an ISO 4217 code",
                   _quoted(currency))),
        (pl.col("booking_date").is_null(), "unparseable_date",
         pl.format("got {} for bookingDate, expected a date YYYY-MM-DD",
                   _quoted(pl.col("booking_text")))),
        (pl.col("value_text").is_not_null() & pl.col("value_date").is_null(),
         "unparseable_date",
         pl.format("got {} for valueDate, expected a date YYYY-MM-DD",
                   _quoted(pl.col("value_text")))),
    ]

    # The first failing check decides; details are only built for the rows it rejects.
    failed = pl.coalesce([pl.when(check[0]).then(pl.lit(n, pl.UInt8))
                          for n, check in enumerate(checks)])
    frame = frame.with_columns(failed=failed)
    records = frame.filter(pl.col("failed").is_null()).select(STATEMENT_RECORD.names())
    rejects = frame.filter(pl.col("failed").is_not_null()).with_columns(
        reason=pl.coalesce([pl.when(pl.col("failed") == n).then(_lit(check[1]))
                            for n, check in enumerate(checks)]),
        detail=pl.coalesce([pl.when(pl.col("failed") == n).then(_lit(check[2]))
                            for n, check in enumerate(checks)]),
    ).select(QUARANTINE_RECORD.names())
    return ReadResult(fmt, records.cast(STATEMENT_RECORD), rejects.cast(QUARANTINE_RECORD))


def _lit(value: str | pl.Expr) -> pl.Expr:
    return pl.lit(value) if isinstance(value, str) else value
