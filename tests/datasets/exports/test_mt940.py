"""MT940 exporter: every synthetic account, in every :86: style, reads back exactly."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets import SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._mt940 import DetailsStyle, export_mt940
from ledgerlens.exceptions import DataError
from ledgerlens.ingest.readers._mt940 import read_mt940
from ledgerlens.ingest.readers._mt940_details import SEPARATORS
from ledgerlens.testing import statement_accounts

ROUND_TRIP = ["booking_date", "value_date", "amount", "currency", "raw_label",
              "label_complement"]
STYLES: list[DetailsStyle | None] = ["free", "slash", "structured", None]


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def accounts(bank: SyntheticBank) -> list[tuple[StatementAccount, pl.DataFrame]]:
    return statement_accounts(bank, decimal.Decimal("1000.00"))


@pytest.mark.parametrize("style", STYLES)
def test_every_account_round_trips_exactly(bank: SyntheticBank,
                                           style: DetailsStyle | None) -> None:
    pairs = accounts(bank)
    dialects = set()
    for account, transactions in pairs:
        result = read_mt940(export_mt940(account, transactions, details_style=style),
                            f"{account.bank_id}.sta")
        assert result.rejects.is_empty()
        assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
        assert result.records["account_ref"].unique().to_list() == [account.iban]
        dialects.add(account.bank_id)
    assert len(dialects) == 11  # every label dialect, the mixed-case aggregator included


def test_counterparty_names_survive_the_styles_that_carry_them(bank: SyntheticBank) -> None:
    account, transactions = next((a, t) for a, t in accounts(bank)
                                 if t["counterparty_name"].null_count() < t.height)
    styles: list[DetailsStyle] = ["slash", "structured"]
    for style in styles:
        records = read_mt940(export_mt940(account, transactions, details_style=style), "x").records
        named = transactions["counterparty_name"].str.len_chars() <= 54
        assert records.filter(named)["counterparty_name"].equals(
            transactions.filter(named)["counterparty_name"])


def test_one_statement_per_month_with_chained_balances(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    text = export_mt940(account, transactions).decode()
    months = transactions["booking_date"].dt.strftime("%Y%m").n_unique()
    assert text.count(":20:") == months == 2
    balances = read_mt940(text.encode(), "x").balances
    assert balances["opening_balance"][0] == account.opening_balance
    assert balances["opening_balance"][1] == balances["closing_balance"][0]
    moved = decimal.Decimal(transactions["amount"].sum())
    assert balances["closing_balance"][-1] == account.opening_balance + moved
    assert all(len(line) <= 4 + 65 for line in text.splitlines())


def test_the_mt940_library_parses_the_export(bank: SyntheticBank) -> None:
    import mt940

    account, transactions = accounts(bank)[3]
    parsed = mt940.parse(export_mt940(account, transactions, details_style="structured"))
    assert [t.data["amount"].amount for t in parsed] == transactions["amount"].to_list()
    assert [t.data["entry_date"] for t in parsed] == transactions["booking_date"].to_list()


def test_a_null_value_date_comes_back_as_the_booking_date(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    blanked = transactions.with_columns(pl.lit(None, pl.Date).alias("value_date"))
    records = read_mt940(export_mt940(account, blanked), "x").records
    assert records["value_date"].equals(transactions["booking_date"], check_names=False)


def test_other_currency_or_line_breaks_are_refused(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    with pytest.raises(DataError, match="one currency"):
        export_mt940(account, transactions.with_columns(pl.lit("USD").alias("currency")))
    broken = transactions.with_columns(pl.lit("TWO\nLINES").alias("raw_label"))
    with pytest.raises(DataError, match="line break"):
        export_mt940(account, broken)


ACCOUNT = StatementAccount(iban="FR7630006000011234567890189", customer_ref="CLI000000001",
                           currency="EUR", bank_id="test", bic="TESTFRPPXXX", holder="M X",
                           opening_balance=decimal.Decimal("0.00"),
                           opening_date=dt.date(2024, 12, 31))
_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=120)
_TOKENS = st.sampled_from(["  ", " ", "/REMI/", "/ADDI/", "?20", ":61:", "-", "USTD//", "{"])
_TEXT = st.lists(st.one_of(_ASCII, _TOKENS), min_size=1, max_size=6).map(
    lambda parts: "".join(parts)[:120].rstrip(" ")).filter(bool)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels=st.lists(st.tuples(_TEXT, st.one_of(st.none(), _TEXT.map(lambda t: t[:80]))),
                       min_size=1, max_size=5),
       style=st.sampled_from(["free", "slash", "structured"]))
def test_any_ascii_label_round_trips(labels: list[tuple[str, str | None]],
                                     style: DetailsStyle) -> None:
    for label, complement in labels:
        assume(not all(s in label + (complement or "") for s in SEPARATORS))
    transactions = pl.DataFrame({
        "booking_date": [dt.date(2025, 1, 1 + i) for i in range(len(labels))],
        "value_date": [dt.date(2025, 1, 1 + i) for i in range(len(labels))],
        "amount": pl.Series([decimal.Decimal("-1.25")] * len(labels), dtype=pl.Decimal(18, 2)),
        "currency": ["EUR"] * len(labels),
        "raw_label": [label for label, _ in labels],
        "label_complement": pl.Series([c for _, c in labels], dtype=pl.String),
        "counterparty_name": pl.Series([None] * len(labels), dtype=pl.String),
        "bank_transaction_code": ["PMNT-RCDT-ESCT"] * len(labels),
    })
    records = read_mt940(export_mt940(ACCOUNT, transactions, details_style=style), "x").records
    assert records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
