"""Bank CSV exports of the synthetic bank, in the layout of each account's bank.

``export_csv`` writes what ``ledgerlens.ingest.readers`` reads back exactly: the same
booking and value dates, amounts, currency, label and complement (a null complement is an
empty cell). Dates, decimals, thousands separators, debit/credit columns, preamble lines,
quoting, line ends and encoding follow the layout (``LAYOUT_FOR_DIALECT`` of the account's
bank by default).
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.ingest.readers._csv_layouts import BUILTIN_LAYOUTS, LAYOUT_FOR_DIALECT, CsvLayout
from ledgerlens.schema import AMOUNT_DTYPE

__all__ = ["export_csv", "layout_for_bank"]

_FALLBACK_LAYOUT = "generic"


def layout_for_bank(bank_id: str) -> CsvLayout:
    """The builtin layout a synthetic bank exports in; ``generic`` for an unknown bank."""
    return BUILTIN_LAYOUTS[LAYOUT_FOR_DIALECT.get(bank_id, _FALLBACK_LAYOUT)]


def _format_amount(amount: pl.Expr, layout: CsvLayout) -> pl.Expr:
    """Decimal(18, 2) -> text with the layout's decimal and first thousands separator."""
    text = amount.cast(pl.String)
    negative = text.str.starts_with("-")
    parts = text.str.strip_prefix("-").str.split_exact(".", 1)
    whole, cents = parts.struct.field("field_0"), parts.struct.field("field_1")
    if layout.thousands_separators:
        sep = layout.thousands_separators[0]
        whole = (whole.str.reverse().str.replace_all(r"([0-9]{3})", "${1}" + sep)
                 .str.strip_chars_end(sep).str.reverse())
    return pl.concat_str([pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")), whole,
                          pl.lit(layout.decimal_separator), cents])


def _format_value(value: decimal.Decimal, layout: CsvLayout) -> str:
    series = pl.Series([value], dtype=AMOUNT_DTYPE)
    return str(pl.select(_format_amount(pl.lit(series), layout)).item())


def _check(account: StatementAccount, transactions: pl.DataFrame, layout: CsvLayout) -> None:
    if not layout.label_complement and transactions["label_complement"].is_not_null().any():
        raise ConfigurationError(f"CSV layout {layout.name!r} has no label complement column "
                                 "but the transactions have complements")
    if not layout.currency:
        currencies = set(transactions["currency"].unique().to_list()) | {account.currency}
        if currencies != {layout.default_currency}:
            raise ConfigurationError(f"CSV layout {layout.name!r} has no currency column and "
                                     f"only writes {layout.default_currency}, got "
                                     f"{sorted(currencies)}")


def _columns(account: StatementAccount, transactions: pl.DataFrame,
             layout: CsvLayout) -> dict[str, pl.Expr]:
    date = layout.date_formats[0]
    amount = pl.col("amount").cast(AMOUNT_DTYPE)
    empty = pl.lit(None, pl.String)  # written as an empty cell, never as ""
    values: dict[str, pl.Expr] = {
        "booking_date": pl.col("booking_date").dt.strftime(date),
        "value_date": pl.col("value_date").dt.strftime(date),
        "label": pl.col("raw_label"),
        "label_complement": pl.col("label_complement"),
        "amount": _format_amount(amount, layout),
        "debit": pl.when(amount < 0).then(_format_amount(
            amount if layout.debits_negative else amount.abs(), layout)).otherwise(empty),
        "credit": pl.when(amount >= 0).then(_format_amount(amount, layout)).otherwise(empty),
        "currency": pl.col("currency"),
        "counterparty": pl.col("counterparty_name"),
        "account": pl.lit(account.iban),
        "bank_transaction_code": pl.col("bank_transaction_code"),
    }
    by_name = {getattr(layout, key)[0]: expr for key, expr in values.items()
               if getattr(layout, key)}
    if layout.balance_column:
        opening = pl.lit(pl.Series([account.opening_balance], dtype=AMOUNT_DTYPE))
        by_name[layout.balance_column] = _format_amount(
            (opening + amount.cum_sum()).cast(AMOUNT_DTYPE), layout)
    by_name.update({name: pl.lit(value) for name, value in layout.constants})
    return {f"c{i}": by_name.get(name, empty) for i, name in enumerate(layout.header)}


def _quote(cell: str, layout: CsvLayout) -> str:
    quote = layout.quote_char
    if quote is None or not (layout.quote_all or layout.delimiter in cell or quote in cell):
        return cell
    return quote + cell.replace(quote, quote * 2) + quote


def export_csv(account: StatementAccount, transactions: pl.DataFrame,
               layout: CsvLayout | None = None) -> bytes:
    """The account's movements as its bank's CSV export (``layout`` overrides the bank's).

    ``transactions`` has the canonical columns, sorted by booking date. Raises
    ``ConfigurationError`` when the layout cannot carry the data (complements without a
    complement column, a currency other than the layout's without a currency column).
    Text the layout's 8-bit encoding cannot hold is written as UTF-8 with a BOM instead,
    so that the round trip stays exact.
    """
    layout = layout or layout_for_bank(account.bank_id)
    _check(account, transactions, layout)
    frame = transactions.select(**_columns(account, transactions, layout))
    dates = [d for d in (transactions["booking_date"].min(), transactions["booking_date"].max())
             if isinstance(d, dt.date)]
    start, end = dates if len(dates) == 2 else (account.opening_date, account.opening_date)
    closing = account.opening_balance + sum(transactions["amount"].to_list(), decimal.Decimal(0))
    fields = {
        "account": account.iban, "currency": account.currency,
        "start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}",
        "opening_balance": _format_value(account.opening_balance, layout),
        "closing_balance": _format_value(closing, layout),
    }
    lines = [line.format(**fields) for line in layout.preamble]
    lines.append(layout.delimiter.join(_quote(name, layout) for name in layout.header))
    body = frame.write_csv(include_header=False, separator=layout.delimiter,
                           quote_char=layout.quote_char or '"',
                           line_terminator=layout.line_terminator,
                           quote_style=("always" if layout.quote_all else
                                        "necessary" if layout.quote_char else "never"))
    text = layout.line_terminator.join(lines) + layout.line_terminator + body
    if layout.bom or codecs.lookup(layout.encoding).name == "utf-8":
        return (codecs.BOM_UTF8 if layout.bom else b"") + text.encode("utf-8")
    try:
        return text.encode(layout.encoding)
    except UnicodeEncodeError:
        return codecs.BOM_UTF8 + text.encode("utf-8")
