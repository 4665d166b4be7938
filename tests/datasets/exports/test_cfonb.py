"""CFONB 120 exporter: every synthetic account reads back exactly, labels cut at any place."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets import SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._cfonb import export_cfonb
from ledgerlens.exceptions import DataError
from ledgerlens.ingest.readers._cfonb import read_cfonb
from ledgerlens.testing import statement_accounts

ROUND_TRIP = ["booking_date", "value_date", "amount", "currency", "raw_label",
              "label_complement"]


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def accounts(bank: SyntheticBank) -> list[tuple[StatementAccount, pl.DataFrame]]:
    return statement_accounts(bank, decimal.Decimal("-250.00"))


def test_every_account_round_trips_exactly(bank: SyntheticBank) -> None:
    dialects = set()
    for account, transactions in accounts(bank):
        result = read_cfonb(export_cfonb(account, transactions), f"{account.bank_id}.cfo")
        assert result.rejects.is_empty()
        assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
        assert result.records["account_ref"].unique().to_list() == [account.iban]
        dialects.add(account.bank_id)
    assert len(dialects) == 11


def test_records_are_120_characters_with_one_balance_pair_per_month(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    lines = export_cfonb(account, transactions).decode().split("\r\n")[:-1]
    assert {len(line) for line in lines} == {120}
    codes = [line[:2] for line in lines]
    assert codes.count("01") == codes.count("07") == 2
    assert codes.count("04") == transactions.height
    balances = read_cfonb("\r\n".join(lines).encode(), "x").balances
    assert balances["opening_balance"][0] == account.opening_balance
    assert balances["opening_balance"][1] == balances["closing_balance"][0]
    moved = decimal.Decimal(transactions["amount"].sum())
    assert balances["closing_balance"][-1] == account.opening_balance + moved


def test_counterparty_names_and_null_value_dates_come_back(bank: SyntheticBank) -> None:
    account, transactions = next((a, t) for a, t in accounts(bank)
                                 if t["counterparty_name"].null_count() < t.height)
    blanked = transactions.with_columns(pl.lit(None, pl.Date).alias("value_date"))
    records = read_cfonb(export_cfonb(account, blanked), "x").records
    assert records["value_date"].null_count() == transactions.height
    assert records["counterparty_name"].equals(transactions["counterparty_name"])


def test_labels_with_spaces_at_the_cut_come_back_exactly() -> None:
    labels = ["A" * 30 + " B", "A" * 30 + "  B", "A" * 31 + " B", "A" * 29 + "   " + "B" * 80,
              "A B C D E F G H I J K L M N O P Q R S T", "x" * 31 + " " * 40 + "y"]
    transactions = _frame(labels, [None, "C" * 69 + " D", "", None, "E  F", None])
    records = read_cfonb(export_cfonb(ACCOUNT, transactions), "x").records
    assert records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))


def test_foreign_iban_and_unrepresentable_labels_are_refused() -> None:
    transactions = _frame(["OK"], [None])
    foreign = StatementAccount(**{**ACCOUNT.__dict__, "iban": "DE89370400440532013000"})
    with pytest.raises(DataError, match="27-character FR or MC IBAN"):
        export_cfonb(foreign, transactions)
    with pytest.raises(DataError, match="cannot be cut"):
        export_cfonb(ACCOUNT, _frame([" " * 40 + "X"], [None]))


ACCOUNT = StatementAccount(iban="FR7630006000011234567890189", customer_ref="CLI000000001",
                           currency="EUR", bank_id="test", bic="TESTFRPPXXX", holder="M X",
                           opening_balance=decimal.Decimal("0.00"),
                           opening_date=dt.date(2024, 12, 31))


def _frame(labels: list[str], complements: list[str | None]) -> pl.DataFrame:
    n = len(labels)
    return pl.DataFrame({
        "booking_date": [dt.date(2025, 1, 1 + i) for i in range(n)],
        "value_date": [dt.date(2025, 1, 2 + i) for i in range(n)],
        "amount": pl.Series([decimal.Decimal("12.34")] * n, dtype=pl.Decimal(18, 2)),
        "currency": ["EUR"] * n,
        "raw_label": labels,
        "label_complement": pl.Series(complements, dtype=pl.String),
        "counterparty_name": pl.Series([None] * n, dtype=pl.String),
        "bank_transaction_code": ["PMNT-CCRD-POSD"] * n,
    })


_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=120)
_TEXT = st.lists(st.one_of(_ASCII, st.sampled_from([" ", "  ", "   "])), min_size=1,
                 max_size=6).map(lambda parts: "".join(parts)[:120].rstrip(" ")).filter(
    lambda text: text.strip() != "" and " " * 31 not in text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, st.one_of(st.none(), _TEXT.map(lambda t: t[:80]))),
                min_size=1, max_size=5))
def test_any_ascii_label_round_trips(labels: list[tuple[str, str | None]]) -> None:
    transactions = _frame([label for label, _ in labels], [c for _, c in labels])
    records = read_cfonb(export_cfonb(ACCOUNT, transactions), "x").records
    assert records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
