"""camt.053 exporter: every synthetic account reads back exactly, in 001.02 and 001.08."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pytest

from ledgerlens.datasets import DIALECT_IDS, SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._camt import CAMT_VERSIONS, export_camt053
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.ingest.readers._camt import read_camt
from ledgerlens.testing import statement_accounts

ROUND_TRIP = ["booking_date", "value_date", "amount", "currency", "raw_label",
              "label_complement", "counterparty_name", "counterparty_iban",
              "bank_transaction_code"]
D = decimal.Decimal


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def accounts(bank: SyntheticBank) -> list[tuple[StatementAccount, pl.DataFrame]]:
    return statement_accounts(bank, D("-25.00"))


@pytest.mark.parametrize("version", ["001.02", "001.08"])
def test_every_account_round_trips_exactly(bank: SyntheticBank, version: str) -> None:
    dialects, counterparties = set(), 0
    for account, transactions in accounts(bank):
        result = read_camt(export_camt053(account, transactions, version), "x.xml")
        assert result.rejects.is_empty()  # no reject, hence no balance_mismatch either
        assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
        assert result.records["account_ref"].unique().to_list() == [account.iban]
        assert result.records["end_to_end_id"].to_list() == transactions["transaction_id"].to_list()
        dialects.add(account.bank_id)
        counterparties += transactions["counterparty_iban"].is_not_null().sum()
    assert dialects == set(DIALECT_IDS)
    assert counterparties > 0  # masked counterparty IBANs were exercised


def test_one_statement_per_month_with_chained_balances(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    result = read_camt(export_camt053(account, transactions), "x.xml")
    months = transactions["booking_date"].dt.truncate("1mo").unique(maintain_order=True)
    balances = result.balances
    assert balances["source_position"].to_list() == [f"Stmt[{i + 1}]" for i in range(len(months))]
    assert balances["opening_date"].to_list() == months.to_list()
    assert balances["opening_balance"][0] == account.opening_balance
    assert balances["opening_balance"][1:].to_list() == balances["closing_balance"][:-1].to_list()
    assert balances["closing_balance"][-1] == account.opening_balance + transactions["amount"].sum()
    assert result.records["source_position"][0] == "Stmt[1]/Ntry[1]"


@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_every_version_round_trips(bank: SyntheticBank, version: str) -> None:
    account, transactions = accounts(bank)[0]
    data = export_camt053(account, transactions, version)
    assert f"urn:iso:std:iso:20022:tech:xsd:camt.053.{version}".encode() in data
    result = read_camt(data, "x.xml")
    assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))


def test_version_specific_elements(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    old, new = (export_camt053(account, transactions, v) for v in ("001.02", "001.08"))
    assert b"<Sts>BOOK</Sts>" in old
    assert b"<Sts><Cd>BOOK</Cd></Sts>" in new
    assert b"<BIC>TESTFRPPXXX</BIC>" in old
    assert b"<BICFI>TESTFRPPXXX</BICFI>" in new
    assert b"<Pty><Nm>" not in old
    assert b"<Pty><Nm>" in new


def _frame(**columns: list[object]) -> pl.DataFrame:
    from ledgerlens.schema import TRANSACTIONS

    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "transaction_id": [f"{i:032x}" for i in range(n)],
        "booking_date": [dt.date(2025, 3, 1)] * n, "amount": [D("-9.99")] * n,
        "currency": ["EUR"] * n, "raw_label": ["CB X"] * n}
    frame = pl.DataFrame(base | columns)
    return frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in TRANSACTIONS.polars_schema.items()
        if name not in frame.columns).cast(TRANSACTIONS.polars_schema).select(
        TRANSACTIONS.names)


def _account(opening: str = "10.00") -> StatementAccount:
    return StatementAccount("FR7630004000010001234567830", "CLI1", "EUR", "national_facture",
                            "NATIFRPPXXX", "M CLIENT 1", D(opening), dt.date(2025, 2, 28))


def test_codes_parties_and_labels_that_need_care_round_trip() -> None:
    frame = _frame(
        raw_label=["CB H&M <PARIS> &amp;", "  VIR  ", "Prlv Sepa Électricité"],
        label_complement=[None, "MOTIF > LOYER", "ÉCH/050325"],
        amount=[D("-1.00"), D("250.00"), D("0.00")],
        counterparty_name=[None, "MME MARIE MARTIN", "EDF"],
        counterparty_iban=[None, "FR7630003012340009876543264", "FR76****1234"],
        bank_transaction_code=["PMNT-CCRD-POSD", "VIR-PERSO", None])
    data = export_camt053(_account(), frame)
    assert b"<IBAN>FR7630003012340009876543264</IBAN>" in data
    assert b"<Othr><Id>FR76****1234</Id></Othr>" in data  # a masked IBAN is not an IBAN
    assert b"<Prtry><Cd>VIR-PERSO</Cd></Prtry>" in data
    result = read_camt(data, "x.xml")
    assert result.records.select(ROUND_TRIP).equals(frame.select(ROUND_TRIP))


def test_negative_balances_are_written_as_debits() -> None:
    data = export_camt053(_account("-10.00"), _frame(amount=[D("-5.00")]))
    assert b'<Amt Ccy="EUR">15.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>' in data
    balances = read_camt(data, "x.xml").balances
    assert balances.select("opening_balance", "closing_balance").row(0) == (D("-10.00"),
                                                                            D("-15.00"))


def test_account_without_transactions_gives_one_empty_statement() -> None:
    result = read_camt(export_camt053(_account(), _frame(amount=[D("1")]).clear()), "x.xml")
    assert result.records.is_empty()
    assert result.rejects.is_empty()
    assert result.balances.select("opening_date", "closing_balance").row(0) == (
        dt.date(2025, 3, 1), D("10.00"))


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"got '001\.09'"):
        export_camt053(_account(), _frame(amount=[D("1")]), "001.09")
