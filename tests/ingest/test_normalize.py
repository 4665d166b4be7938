"""Normalisation gives back the synthetic bank's canonical rows and quarantines the rest."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.ingest._normalize import normalize
from ledgerlens.ingest._records import STATEMENT_RECORD, ReadResult
from ledgerlens.privacy import DEV_KEY, Pseudonymizer

NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
COMPARED = ["tenant_id", "transaction_id", "account_id", "customer_id", "booking_date",
            "value_date", "amount", "currency", "raw_label", "label_complement"]


@pytest.fixture(scope="module")
def bank():  # type: ignore[no-untyped-def]
    return generate_bank(SynthConfig(customers=15, months=2, seed=4))


def _records(bank) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    tx = bank.transactions.join(bank.account_numbers.select("account_id", "iban"),
                                on="account_id")
    return tx.select(
        account_ref="iban", booking_date="booking_date", value_date="value_date",
        amount="amount", currency="currency", raw_label="raw_label",
        label_complement="label_complement", counterparty_name="counterparty_name",
        counterparty_iban="counterparty_iban", mcc="mcc",
        bank_transaction_code="bank_transaction_code",
        end_to_end_id=pl.lit(None, dtype=pl.String),
        source_position=pl.format("row {}", pl.int_range(pl.len())),
        raw_record=pl.lit("..."),
    ).cast(dict(STATEMENT_RECORD))


def _normalize(bank, records: pl.DataFrame):  # type: ignore[no-untyped-def]
    refs = dict(zip(bank.account_numbers["iban"], bank.account_numbers["customer_ref"],
                    strict=True))
    return normalize(ReadResult("csv", records), tenant_id="synthetic", source_file="x.csv",
                     pseudonymizer=Pseudonymizer(DEV_KEY), ingested_at=NOW,
                     customer_refs=refs)


def test_reproduces_the_canonical_transactions_and_their_ids(bank) -> None:  # type: ignore[no-untyped-def]
    out = _normalize(bank, _records(bank))
    assert out.rejects.height == 0
    assert out.transactions.select(COMPARED).equals(bank.transactions.select(COMPARED))
    assert (out.transactions["source_format"] == "csv").all()


def test_quarantines_bad_currency_future_date_and_empty_label(bank) -> None:  # type: ignore[no-untyped-def]
    records = _records(bank).head(5).with_columns(
        currency=pl.Series(["EUR", "XXX1", None, "eur", "EUR"]),
        booking_date=pl.Series([dt.date(2025, 1, 2)] * 4 + [dt.date(2027, 1, 1)]),
        raw_label=pl.Series(["A", "B", "C", "  ", "E"]),
    )
    out = _normalize(bank, records)
    assert out.transactions.height == 1
    assert out.transactions["currency"].to_list() == ["EUR"]
    reasons = sorted(out.rejects["reason"].to_list())
    assert reasons == ["future_date", "missing_currency", "missing_field", "unknown_currency"]
    assert out.transactions.height + out.rejects.height == records.height


def test_a_bank_reference_repeated_in_a_file_is_a_duplicate(bank) -> None:  # type: ignore[no-untyped-def]
    one = _records(bank).head(1).with_columns(end_to_end_id=pl.lit("E2E-1"))
    out = _normalize(bank, pl.concat([one, one]))
    assert out.transactions.height == 1
    assert out.rejects["reason"].to_list() == ["duplicate_in_file"]


def test_identical_movements_without_reference_are_both_kept(bank) -> None:  # type: ignore[no-untyped-def]
    one = _records(bank).head(1).with_columns(
        amount=pl.lit(decimal.Decimal("-4.20")).cast(STATEMENT_RECORD["amount"]))
    out = _normalize(bank, pl.concat([one, one]))
    assert out.transactions.height == 2
    assert out.transactions["transaction_id"].n_unique() == 2
