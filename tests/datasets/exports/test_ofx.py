"""OFX exporter: every synthetic account reads back exactly, in OFX 1.0.2 (SGML) and 2.2 (XML)."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import warnings

import polars as pl
import pytest

from ledgerlens.datasets import DIALECT_IDS, SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._ofx import export_ofx
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.ingest.readers._ofx import read_ofx
from ledgerlens.testing import statement_accounts

ROUND_TRIP = ["booking_date", "value_date", "amount", "currency", "raw_label",
              "label_complement", "mcc"]


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def accounts(bank: SyntheticBank) -> list[tuple[StatementAccount, pl.DataFrame]]:
    return statement_accounts(bank, decimal.Decimal("1000.00"))


@pytest.mark.parametrize("version", [1, 2])
def test_every_account_round_trips_exactly(bank: SyntheticBank, version: int) -> None:
    dialects = set()
    for account, transactions in accounts(bank):
        result = read_ofx(export_ofx(account, transactions, version), "x.ofx")
        assert result.rejects.is_empty()
        assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
        assert result.records["account_ref"].unique().to_list() == [account.iban]
        assert result.records["end_to_end_id"].to_list() == transactions["transaction_id"].to_list()
        dialects.add(account.bank_id)
    assert dialects == set(DIALECT_IDS)  # every label dialect, the mixed-case one included


def test_ledger_balance_is_the_opening_balance_plus_every_movement(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    balance = read_ofx(export_ofx(account, transactions), "x.ofx").balances.row(0, named=True)
    assert balance["closing_balance"] == account.opening_balance + transactions["amount"].sum()
    assert balance["closing_date"] == transactions["booking_date"].max()


def test_version_1_is_sgml_with_unclosed_leaves_in_windows_1252(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    data = export_ofx(account, transactions, 1)
    assert data.startswith(b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\n")
    assert b"CHARSET:1252" in data
    assert b"</TRNAMT>" not in data
    assert b"</STMTTRN>" in data


def test_version_2_is_xml_with_closed_leaves(bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    data = export_ofx(account, transactions, 2)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    assert b'<?OFX OFXHEADER="200" VERSION="220"' in data
    assert b"</TRNAMT>" in data


@pytest.mark.parametrize("version", [1, 2])
def test_files_are_accepted_by_ofxtools(bank: SyntheticBank, version: int) -> None:
    from ofxtools.Parser import OFXTree

    account, transactions = accounts(bank)[0]
    tree = OFXTree()
    tree.parse(io.BytesIO(export_ofx(account, transactions, version)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NAME past OFX's 32 characters, as French banks do
        statement = tree.convert().statements[0]
    assert len(statement.banktranlist) == transactions.height
    assert statement.account.acctid == account.iban[14:]


def _one(label: str, complement: str | None = None, currency: str = "EUR") -> pl.DataFrame:
    from ledgerlens.schema import TRANSACTIONS

    row = {"transaction_id": "0" * 32, "booking_date": dt.date(2025, 3, 1),
           "amount": decimal.Decimal("-9.99"), "currency": currency, "raw_label": label,
           "label_complement": complement, "bank_transaction_code": "PMNT-CCRD-POSD"}
    return pl.DataFrame([row]).with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in TRANSACTIONS.polars_schema.items()
        if name not in row).cast(TRANSACTIONS.polars_schema).select(TRANSACTIONS.names)


def _account() -> StatementAccount:
    return StatementAccount("FR7630004000010001234567830", "CLI1", "EUR", "online_bank",
                            "ONLIFRPPXXX", "M CLIENT 1", decimal.Decimal("0.00"),
                            dt.date(2025, 2, 28))


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(("label", "complement"), [
    ("CB H&M <PARIS> &amp;", "A > B"), ("Paiement  Par Carte", None), ("CB ŁÓDŹ ŻABKA", "€ 5")])
def test_markup_spaces_and_any_character_round_trip(version: int, label: str,
                                                    complement: str | None) -> None:
    data = export_ofx(_account(), _one(label, complement), version)
    record = read_ofx(data, "x.ofx").records.row(0, named=True)
    assert (record["raw_label"], record["label_complement"]) == (label, complement)


def test_labels_outside_windows_1252_switch_version_1_to_utf8() -> None:
    data = export_ofx(_account(), _one("CB ŁÓDŹ"), 1)
    assert b"ENCODING:UTF-8\r\nCHARSET:NONE" in data


def test_foreign_currency_movement_keeps_its_currency() -> None:
    data = export_ofx(_account(), _one("CB AMAZON US", currency="USD"))
    assert read_ofx(data, "x.ofx").records["currency"].to_list() == ["USD"]


def test_transaction_types_follow_the_bank_transaction_codes() -> None:
    frame = pl.concat([_one("A"), _one("B").with_columns(bank_transaction_code=pl.lit(
        "PMNT-RDDT-ESDD")), _one("C").with_columns(bank_transaction_code=pl.lit(None,
                                                                                 pl.String))])
    codes = read_ofx(export_ofx(_account(), frame), "x.ofx").records["bank_transaction_code"]
    assert codes.to_list() == ["POS", "DIRECTDEBIT", "DEBIT"]


def test_account_without_transactions_gives_an_empty_statement() -> None:
    result = read_ofx(export_ofx(_account(), _one("X").clear()), "x.ofx")
    assert result.records.is_empty()
    assert result.balances["closing_balance"].to_list() == [
        decimal.Decimal("0.00")]


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="OFX version must be 1 or 2, got 3"):
        export_ofx(_account(), _one("X"), 3)
