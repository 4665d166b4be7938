"""What a statement exporter receives: one account and its transactions.

Exporters write the synthetic bank's movements as bank-native files (CSV exports, OFX,
camt.053, MT940, CFONB 120, PSD2 JSON) so that ingestion can be tested end to end: reading
an exported file must give back exactly the movements that were written.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ledgerlens.exceptions import DataError

__all__ = ["Exporter", "StatementAccount", "movements_by_month"]


@dataclass(frozen=True)
class StatementAccount:
    """The account a statement file is about, as the bank knows it."""

    iban: str  # e.g. FR7630006000011234567890189; the reader's ``account_ref``
    customer_ref: str  # the bank's customer number, e.g. CLI000000042
    currency: str  # ISO 4217
    bank_id: str  # the bank (dialect id for the synthetic bank, e.g. "cooperative_32")
    bic: str  # e.g. "AGRIFRPPXXX" (made up per bank)
    holder: str  # account holder name as printed on statements, e.g. "M CLIENT 000000042"
    opening_balance: decimal.Decimal  # balance before the first transaction
    opening_date: dt.date  # day before the first booking date (or the window start)


#: ``exporter(account, transactions) -> file bytes``. ``transactions`` has the canonical
#: ``ledgerlens.schema.TRANSACTIONS`` columns for that one account, sorted by booking date
#: (stable), amounts as Decimal(18, 2).
Exporter = Callable[[StatementAccount, pl.DataFrame], bytes]


def movements_by_month(account: StatementAccount, transactions: pl.DataFrame, fmt: str
                       ) -> list[tuple[tuple[int, int], list[tuple[object, ...]]]]:
    """The account's movements as rows (booking_date, value_date, amount, raw_label,
    label_complement, counterparty_name, bank_transaction_code) per calendar month
    ``(year, month)``, in order; one empty month when there is none. Statements in formats with one
    currency (MT940, CFONB) refuse movements in another currency."""
    other = transactions.filter(pl.col("currency") != account.currency).height
    if other:
        raise DataError(f"a {fmt} statement holds one currency: {other} transaction(s) are "
                        f"not in the account currency {account.currency!r}")
    rows = transactions.select("booking_date", "value_date", "amount", "raw_label",
                               "label_complement", "counterparty_name",
                               "bank_transaction_code").rows()
    months: dict[tuple[int, int], list[tuple[object, ...]]] = {}
    for row in rows:
        booked = row[0]
        if not isinstance(booked, dt.date):
            raise DataError(f"a {fmt} statement needs a booking date on every movement")
        months.setdefault((booked.year, booked.month), []).append(row)
    if not months:
        months[(account.opening_date.year, account.opening_date.month)] = []
    return sorted(months.items())
