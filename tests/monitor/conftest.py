"""A small hand-made synthetic bank, in canonical tables, shared by the monitor tests.

26 transactions over January to March 2024 for 3 customers; every figure the tests
assert (counts, money in and out, shares) can be checked by hand from ``_ROWS``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from ledgerlens.monitor import BankProfile, profile_bank
from ledgerlens.schema import ACCOUNTS, GROUND_TRUTH, MERCHANTS, TRANSACTIONS

TENANT = "demo"
EVIL_NAME = "<script>alert('x')</script> Bistro"
PII_LABEL = "VIR SEPA INSTANTANE M JEAN DUPONT REMBOURSEMENT WEEKEND"

# (day, customer, account, amount, label, merchant, subcategory, type, stream, income, dialect)
_Row = tuple[date, str, str, str, str, str | None, str, str, str | None, bool, str]

_CARREFOUR = [
    (date(2024, 1, d), "c1", "a1", "-23.45", "CB CARREFOUR MARKET 1234", "m_carrefour",
     "supermarket", "card_in_store", None, False, "bnp")
    for d in (3, 10, 17, 24)
] + [
    (date(2024, m, d), "c2", "a2", "-23.45", "CARTE X1234 CARREFOUR", "m_carrefour",
     "supermarket", "card_contactless", None, False, "sg")
    for m, d in ((2, 2), (2, 9), (2, 16), (3, 1), (3, 8), (3, 15))
]

_ROWS: list[_Row] = [
    *_CARREFOUR,
    (date(2024, 2, 20), "c2", "a2", "23.45", "AVOIR CARREFOUR", "m_carrefour", "supermarket",
     "refund", None, False, "sg"),
    *[
        (date(2024, m, 5), "c1", "a1", "-120.00", "CB SNCF CONNECT", "m_sncf", "trains_coaches",
         "card_online", None, False, "bnp")
        for m in (1, 2, 3)
    ],
    (date(2024, 1, 12), "c1", "a1", "-15.50", f"CB {EVIL_NAME}", "m_evil", "restaurant",
     "card_contactless", None, False, "bnp"),
    (date(2024, 3, 12), "c2", "a2", "-15.50", f"CARTE {EVIL_NAME}", "m_evil", "restaurant",
     "card_contactless", None, False, "sg"),
    *[
        (date(2024, m, 28), "c1", "a1", "2500.00", "VIR ACME SA SALAIRE", "m_acme", "salary",
         "transfer_in", "s_salary", True, "bnp")
        for m in (1, 2, 3)
    ],
    *[
        (date(2024, m, 2), "c1", "a1", "-850.00", "PRLV SEPA LOYER", None, "rent",
         "direct_debit", "s_rent", False, "bnp")
        for m in (1, 2, 3)
    ],
    (date(2024, 1, 20), "c2", "a2", "-60.00", "RETRAIT DAB 20/01", None, "cash_withdrawal",
     "cash_withdrawal", None, False, "sg"),
    (date(2024, 2, 21), "c2", "a2", "-60.00", "RETRAIT DAB 21/02", None, "cash_withdrawal",
     "cash_withdrawal", None, False, "sg"),
    (date(2024, 3, 30), "c3", "a3", "-200.00", PII_LABEL, None, "p2p_transfer",
     "instant_transfer_out", None, False, "bnp"),
]

#: A transaction the ground truth does not know.
_NO_TRUTH = (date(2024, 3, 31), "c3", "a3", "-9.99", "PRLV INCONNU", None)

_CATEGORY = {
    "supermarket": "groceries", "trains_coaches": "travel", "restaurant": "food_and_drink",
    "salary": "income", "rent": "housing", "cash_withdrawal": "cash",
    "p2p_transfer": "transfers",
}


def _txid(i: int) -> str:
    return hashlib.sha256(f"tx-{i}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Bank:
    """The canonical tables of the hand-made bank."""

    transactions: pl.DataFrame
    ground_truth: pl.DataFrame
    merchants: pl.DataFrame
    accounts: pl.DataFrame


def make_bank() -> Bank:
    """Build the tables; values satisfy ``schema.validate`` for every table."""
    tx_rows = [r[:5] for r in _ROWS] + [_NO_TRUTH[:5]]
    n = len(tx_rows)
    transactions = pl.DataFrame(
        {
            "tenant_id": [TENANT] * n,
            "transaction_id": [_txid(i) for i in range(n)],
            "account_id": [r[2] for r in tx_rows],
            "customer_id": [r[1] for r in tx_rows],
            "booking_date": [r[0] for r in tx_rows],
            "value_date": [r[0] for r in tx_rows],
            "amount": [Decimal(r[3]) for r in tx_rows],
            "currency": ["EUR"] * n,
            "raw_label": [r[4] for r in tx_rows],
            "label_complement": [None] * n,
            "counterparty_name": [None] * n,
            "counterparty_iban": [None] * n,
            "mcc": [None] * n,
            "bank_transaction_code": [None] * n,
            "source_format": ["synthetic"] * n,
            "source_file": [None] * n,
            "ingested_at": [datetime(2024, 4, 1, tzinfo=UTC)] * n,
        },
        schema=TRANSACTIONS.polars_schema,
    )
    start = PII_LABEL.index("JEAN DUPONT")
    span = {"start": start, "end": start + len("JEAN DUPONT"), "kind": "name"}
    ground_truth = pl.DataFrame(
        {
            "tenant_id": [TENANT] * len(_ROWS),
            "transaction_id": [_txid(i) for i in range(len(_ROWS))],
            "merchant_id": [r[5] for r in _ROWS],
            "category": [_CATEGORY[r[6]] for r in _ROWS],
            "subcategory": [r[6] for r in _ROWS],
            "transaction_type": [r[7] for r in _ROWS],
            "intermediary": [None] * len(_ROWS),
            "recurring_stream_id": [r[8] for r in _ROWS],
            "is_income": [r[9] for r in _ROWS],
            "dialect": [r[10] for r in _ROWS],
            "pii_spans": [[span] if r[4] == PII_LABEL else [] for r in _ROWS],
            "complement_pii_spans": [[] for _ in _ROWS],
        },
        schema=GROUND_TRUTH.polars_schema,
    )
    merchants = pl.DataFrame(
        {
            "merchant_id": ["m_carrefour", "m_sncf", "m_evil", "m_acme", "m_unused"],
            "name": ["Carrefour", "SNCF", EVIL_NAME, "ACME SA", "Never Used"],
            "brand_wikidata": ["Q217599", "Q13646", None, None, None],
            "website": ["carrefour.fr", "sncf.com", None, None, None],
            "category": ["groceries", "travel", "food_and_drink", "income", "shopping"],
            "subcategory": ["supermarket", "trains_coaches", "restaurant", "salary",
                            "electronics"],
            "mcc": ["5411", "4112", "5812", None, "5732"],
            "country": ["FR"] * 5,
            "source": ["nsi", "nsi", "local", "manual", "curated"],
        },
        schema=MERCHANTS.polars_schema,
    )
    accounts = pl.DataFrame(
        {
            "tenant_id": [TENANT] * 4,
            "account_id": ["a1", "a2", "a3", "a4"],
            "customer_id": ["c1", "c2", "c3", "c3"],
            "bank_id": ["bnp", "sg", "bnp", "bnp"],
            "account_type": ["current", "current", "current", "savings"],
            "currency": ["EUR"] * 4,
            "opening_date": [date(2020, 1, 1)] * 4,
        },
        schema=ACCOUNTS.polars_schema,
    )
    return Bank(transactions, ground_truth, merchants, accounts)


@pytest.fixture(scope="session")
def bank() -> Bank:
    return make_bank()


@pytest.fixture(scope="session")
def profile(bank: Bank) -> BankProfile:
    return profile_bank(bank.transactions, bank.ground_truth, bank.merchants, bank.accounts)
