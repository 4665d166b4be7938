"""Hypothesis strategies for canonical transactions and bank labels, for property tests.

Needs the ``dev`` extra (hypothesis). Example:

>>> from hypothesis import given
>>> @given(transactions_frames(max_rows=5))
... def test_valid(frame): assert validate(frame, TRANSACTIONS).ok
"""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
from hypothesis import strategies as st

from ledgerlens.datasets import SyntheticBank
from ledgerlens.datasets.exports import StatementAccount
from ledgerlens.schema import TRANSACTIONS, validate

__all__ = ["bank_labels", "statement_accounts", "transactions_frames", "validate"]

_LABEL_ALPHABET = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /*.-:'")
_PREFIXES = ("CB ", "CARTE X1234 ", "PRLV SEPA ", "VIR SEPA RECU /DE ", "RETRAIT DAB ", "")


@st.composite
def bank_labels(draw: st.DrawFn, max_size: int = 60) -> str:
    """Upper-case labels in the shape banks print them: a type prefix, then free text."""
    prefix = draw(st.sampled_from(_PREFIXES))
    body = draw(st.text(_LABEL_ALPHABET, min_size=1, max_size=max_size)).strip() or "X"
    return (prefix + body)[:max_size].strip() or "X"


@st.composite
def transactions_frames(draw: st.DrawFn, min_rows: int = 0, max_rows: int = 20) -> pl.DataFrame:
    """Canonical ``transactions`` tables that pass ``validate``."""
    n = draw(st.integers(min_rows, max_rows))
    cents = st.integers(-10_000_000, 10_000_000)
    rows = {
        "tenant_id": ["t1"] * n,
        "transaction_id": [f"{i:032x}" for i in range(n)],
        "account_id": [f"acc_{draw(st.integers(0, 3))}" for _ in range(n)],
        "customer_id": ["cus_1"] * n,
        "booking_date": [draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)))
                         for _ in range(n)],
        "value_date": [None] * n,
        "amount": [decimal.Decimal(draw(cents)) / 100 for _ in range(n)],
        "currency": [draw(st.sampled_from(["EUR", "USD", "GBP", "CHF"])) for _ in range(n)],
        "raw_label": [draw(bank_labels()) for _ in range(n)],
        "label_complement": [None] * n,
        "counterparty_name": [None] * n,
        "counterparty_iban": [None] * n,
        "mcc": [draw(st.one_of(st.none(), st.from_regex(r"\A[0-9]{4}\Z"))) for _ in range(n)],
        "bank_transaction_code": [None] * n,
        "source_format": ["synthetic"] * n,
        "source_file": [None] * n,
        "ingested_at": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)] * n,
    }
    return pl.DataFrame(rows, schema=TRANSACTIONS.polars_schema)


def statement_accounts(bank: SyntheticBank, opening_balance: decimal.Decimal = decimal.Decimal(
        "0.00")) -> list[tuple[StatementAccount, pl.DataFrame]]:
    """Every account of a synthetic bank as an exporter sees it: its ``StatementAccount``
    and its transactions sorted by booking date (stable)."""
    numbers = {row["account_id"]: row for row in bank.account_numbers.iter_rows(named=True)}
    by_date = bank.transactions.sort("booking_date", maintain_order=True)
    found = []
    for (account_id,), group in by_date.group_by(["account_id"], maintain_order=True):
        row = numbers[account_id]
        found.append((StatementAccount(
            iban=row["iban"], customer_ref=row["customer_ref"], currency=row["currency"],
            bank_id=row["dialect"], bic="TESTFRPPXXX", holder=f"M {row['customer_ref']}",
            opening_balance=opening_balance,
            opening_date=group["booking_date"][0] - dt.timedelta(days=1)), group))
    return found
