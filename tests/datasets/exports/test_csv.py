"""CSV exports of the synthetic bank read back exactly, in every bank's layout."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pytest

from ledgerlens.datasets import DIALECT_IDS, SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._csv import export_csv, layout_for_bank
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.ingest.readers._csv import read_csv_statement, sniff_csv_layout
from ledgerlens.ingest.readers._csv_layouts import BUILTIN_LAYOUTS, LAYOUT_FOR_DIALECT

D = decimal.Decimal


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def statement(bank: SyntheticBank, dialect: str) -> tuple[StatementAccount, pl.DataFrame]:
    """The account of ``dialect`` with the most movements, as a statement account."""
    numbers = bank.account_numbers.filter(pl.col("dialect") == dialect)
    counts = bank.transactions.group_by("account_id").len()
    row = numbers.join(counts, on="account_id").sort("len", descending=True).row(0, named=True)
    account = StatementAccount(
        iban=row["iban"], customer_ref=row["customer_ref"], currency=row["currency"],
        bank_id=dialect, bic="BANKFRPPXXX", holder=f"M CLIENT {row['customer_ref'][3:]}",
        opening_balance=D("1500.00"), opening_date=dt.date(2024, 12, 31))
    transactions = (bank.transactions.filter(pl.col("account_id") == row["account_id"])
                    .sort("booking_date", maintain_order=True))
    return account, transactions


def test_every_dialect_has_a_builtin_layout() -> None:
    assert set(LAYOUT_FOR_DIALECT) == set(DIALECT_IDS)
    assert set(LAYOUT_FOR_DIALECT.values()) <= set(BUILTIN_LAYOUTS)


@pytest.mark.parametrize("dialect", DIALECT_IDS)
def test_export_reads_back_exactly_in_each_banks_layout(bank: SyntheticBank,
                                                        dialect: str) -> None:
    account, transactions = statement(bank, dialect)
    data = export_csv(account, transactions)
    layout = layout_for_bank(dialect)
    sniffed = sniff_csv_layout(data)
    assert sniffed is not None
    assert sniffed.name == layout.name
    result = read_csv_statement(data, f"{dialect}.csv")
    assert result.rejects.is_empty()
    columns = ["booking_date", "amount", "currency", "raw_label", "label_complement"]
    if layout.value_date:
        columns.append("value_date")
    assert result.records.select(columns).equals(transactions.select(columns))
    assert result.records["account_ref"].unique().to_list() == [account.iban]
    if layout.counterparty:
        assert result.records["counterparty_name"].equals(transactions["counterparty_name"])


def test_two_line_banks_keep_their_complements(bank: SyntheticBank) -> None:
    account, transactions = statement(bank, "mutualist_two_line")
    assert transactions["label_complement"].is_not_null().any()
    records = read_csv_statement(export_csv(account, transactions), "ca.csv").records
    assert records["label_complement"].equals(transactions["label_complement"])


def test_export_uses_the_layout_encoding_and_conventions(bank: SyntheticBank) -> None:
    account, transactions = statement(bank, "national_facture")
    data = export_csv(account, transactions)
    assert data.startswith("Numéro de compte;".encode("cp1252"))
    assert b"\r\n" in data
    online = export_csv(*statement(bank, "online_bank"))
    assert online.startswith(b"\xef\xbb\xbf\"dateOp\";")
    neobank = export_csv(*statement(bank, "neobank")).decode("utf-8")
    assert neobank.splitlines()[1].startswith('"20')


def _one(amount: str, label: str = "VIR SEPA RECU PRIME") -> pl.DataFrame:
    return pl.DataFrame({
        "booking_date": [dt.date(2025, 1, 2)], "value_date": [dt.date(2025, 1, 3)],
        "amount": [D(amount)], "currency": ["EUR"], "raw_label": [label],
        "label_complement": [None], "counterparty_name": [None],
        "bank_transaction_code": [None],
    }, schema_overrides={"amount": pl.Decimal(18, 2), "label_complement": pl.String,
                         "counterparty_name": pl.String, "bank_transaction_code": pl.String})


def _account(bank_id: str, currency: str = "EUR") -> StatementAccount:
    return StatementAccount("FR7630004000031234567890143", "CLI000000001", currency, bank_id,
                            "BANKFRPPXXX", "M CLIENT 1", D("0.00"), dt.date(2024, 12, 31))


@pytest.mark.parametrize(("bank_id", "written"), [
    ("national_facture", "02/01/2025;03/01/2025;VIR SEPA RECU PRIME;-1 234 567,50;EUR"),
    ("mutualist_50", "02/01/2025;03/01/2025;-1.234.567,50;;VIR SEPA RECU PRIME;-1.234.567,50"),
    ("mutualist_two_line", "02/01/2025;VIR SEPA RECU PRIME;;1 234 567,50;"),
    ("network_32", "02/01/25;-1234567,50;;FR7630004000031234567890143;VIR SEPA RECU PRIME;"),
])
def test_amounts_dates_and_debit_columns_follow_the_layout(bank_id: str, written: str) -> None:
    """Debits are positive in the Crédit Agricole-like layout, negative in the CIC-like."""
    amount = "-1234567.50"
    data = export_csv(_account(bank_id), _one(amount))
    assert data.decode("cp1252").splitlines()[-1] == written
    assert read_csv_statement(data, "x.csv").records["amount"].to_list() == [D(amount)]


def test_text_the_8bit_encoding_cannot_hold_is_written_as_utf8_with_bom() -> None:
    frame = _one("-3.20", "CB CAFÉ ☕ ŁÓDŹ")
    data = export_csv(_account("national_facture"), frame)
    assert data.startswith(b"\xef\xbb\xbf")
    records = read_csv_statement(data, "x.csv").records
    assert records["raw_label"].to_list() == ["CB CAFÉ ☕ ŁÓDŹ"]


def test_label_with_delimiter_and_quotes_round_trips() -> None:
    frame = _one("-3.20", 'CB "CHEZ PAUL"; PARIS, 15')
    for bank_id in ("national_facture", "neobank", "mobile_40"):
        data = export_csv(_account(bank_id), frame)
        assert read_csv_statement(data, "x.csv").records["raw_label"].to_list() == [
            'CB "CHEZ PAUL"; PARIS, 15']


def test_no_transactions_gives_a_header_only_file() -> None:
    data = export_csv(_account("postal_50"), _one("1.00").clear())
    result = read_csv_statement(data, "x.csv")
    assert result.n_found == 0
    assert data.decode("cp1252").rstrip().endswith("Date;Libellé;Montant(EUROS)")


def test_unknown_bank_exports_in_the_generic_layout() -> None:
    data = export_csv(_account("aggregated"), _one("1.00"))
    sniffed = sniff_csv_layout(data)
    assert sniffed is not None
    assert sniffed.name == "generic"


def test_layout_that_cannot_carry_the_data_raises_configuration_error() -> None:
    with_complement = _one("1.00").with_columns(label_complement=pl.lit("DETAIL"))
    with pytest.raises(ConfigurationError, match="no label complement column"):
        export_csv(_account("national_facture"), with_complement)
    with pytest.raises(ConfigurationError, match="no currency column"):
        export_csv(_account("postal_50", "USD"), _one("1.00").with_columns(currency=pl.lit("USD")))
