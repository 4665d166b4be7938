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

__all__ = ["Exporter", "StatementAccount"]


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
