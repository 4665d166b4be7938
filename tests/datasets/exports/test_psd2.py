"""PSD2 exporters: STET and Berlin Group pages that the readers give back exactly."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, SyntheticBank, generate_bank
from ledgerlens.datasets.exports._base import StatementAccount
from ledgerlens.datasets.exports._psd2 import export_berlin_group, export_stet
from ledgerlens.ingest._records import ReadResult
from ledgerlens.ingest.readers._psd2 import read_berlin_group, read_stet

ROUND_TRIP = ["booking_date", "value_date", "amount", "currency", "raw_label",
              "label_complement", "counterparty_name", "counterparty_iban", "mcc",
              "bank_transaction_code"]
FLAVOURS = [pytest.param(export_stet, read_stet, id="stet"),
            pytest.param(export_berlin_group, read_berlin_group, id="berlin")]

Export = Callable[..., bytes]
Read = Callable[..., ReadResult]


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    return generate_bank(SynthConfig(customers=20, months=2, seed=1))


def accounts(bank: SyntheticBank) -> list[tuple[StatementAccount, pl.DataFrame]]:
    """Every account of the bank with its transactions sorted by booking date."""
    numbers = {row["account_id"]: row for row in bank.account_numbers.iter_rows(named=True)}
    found = []
    by_date = bank.transactions.sort("booking_date", maintain_order=True)
    for (account_id,), group in by_date.group_by(["account_id"], maintain_order=True):
        row = numbers[account_id]
        first: dt.date = group["booking_date"][0]
        found.append((StatementAccount(
            iban=row["iban"], customer_ref=row["customer_ref"], currency=row["currency"],
            bank_id=row["dialect"], bic="TESTFRPPXXX", holder=f"M {row['customer_ref']}",
            opening_balance=decimal.Decimal("1000.00"),
            opening_date=first - dt.timedelta(days=1)), group))
    return found


@pytest.mark.parametrize(("export", "read"), FLAVOURS)
def test_every_account_round_trips_exactly(bank: SyntheticBank, export: Export,
                                           read: Read) -> None:
    pairs = accounts(bank)
    assert sum(group.height for _, group in pairs) == bank.transactions.height
    with_complement = 0
    for account, transactions in pairs:
        result = read(export(account, transactions, page_size=40), f"{account.bank_id}.json")
        # the exporter adds pending entries: counted as quarantined, never booked
        assert set(result.rejects["reason"].to_list()) <= {"pending_not_booked"}
        assert result.records.select(ROUND_TRIP).equals(transactions.select(ROUND_TRIP))
        assert result.records["account_ref"].unique().to_list() == [account.iban]
        with_complement += result.records.filter(pl.col("label_complement").is_not_null()).height
    assert with_complement > 0  # the complement path was exercised


@pytest.mark.parametrize(("export", "read"), FLAVOURS)
def test_pages_are_concatenated_documents_with_one_marked_pending_entry(
        bank: SyntheticBank, export: Export, read: Read) -> None:
    account, transactions = max(accounts(bank), key=lambda pair: pair[1].height)
    data = export(account, transactions, page_size=25)
    documents = [json.loads(line) for line in data.decode().splitlines()]
    assert len(documents) == -(-transactions.height // 25)
    assert b"LEDGERLENS SYNTHETIC PENDING ENTRY" in data
    assert data.count(b"LEDGERLENS SYNTHETIC PENDING ENTRY") == len(documents)
    result = read(data, "big.json")
    assert result.records.height == transactions.height
    assert result.records["source_position"][25].startswith("page 2 / ")


@pytest.mark.parametrize(("export", "read"), FLAVOURS)
def test_account_without_transactions_is_one_empty_page(bank: SyntheticBank, export: Export,
                                                        read: Read) -> None:
    account, transactions = accounts(bank)[0]
    data = export(account, transactions.clear())
    assert len(data.splitlines()) == 1
    result = read(data, "empty.json")
    assert result.records.height == 0
    # the page's synthetic pending entry is the only thing read: quarantined, never booked
    assert result.rejects["reason"].to_list() == ["pending_not_booked"]


def test_stet_names_the_account_only_in_links_and_berlin_in_the_body(
        bank: SyntheticBank) -> None:
    account, transactions = accounts(bank)[0]
    stet = json.loads(export_stet(account, transactions).splitlines()[0])
    assert "account" not in stet
    assert stet["_links"]["self"]["href"].startswith(f"/v1/accounts/{account.iban}/")
    berlin = json.loads(export_berlin_group(account, transactions).splitlines()[0])
    assert berlin["account"] == {"iban": account.iban, "currency": account.currency}
    assert account.iban not in json.dumps(berlin["transactions"]["_links"])


@pytest.mark.parametrize(("export", "read"), FLAVOURS)
def test_export_is_deterministic_and_rejects_bad_page_size(bank: SyntheticBank, export: Export,
                                                          read: Read) -> None:
    account, transactions = accounts(bank)[1]
    assert export(account, transactions) == export(account, transactions)
    with pytest.raises(ValueError, match="page_size must be at least 1, got 0"):
        export(account, transactions, page_size=0)
