"""Small frames (one transaction, a few) take shortcuts in recurring detection and income:
the answers must be those of the general path."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._income import detect_income
from ledgerlens.enrich._recurring import _FEW_ROWS, detect_recurring, stream_keys


@pytest.fixture(scope="module")
def working() -> pl.DataFrame:
    bank = generate_bank(SynthConfig(customers=30, months=6, seed=9))
    return prepare(bank.transactions).working.with_columns(
        # Some merchant ids, blank ones included, as the matcher leaves them.
        merchant_id=pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("nsi:x"))
        .when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit(" ")))


def test_stream_keys_of_a_few_rows_are_those_of_the_table(working: pl.DataFrame) -> None:
    whole = stream_keys(working)["stream_key"]
    assert working.height > _FEW_ROWS
    parts = [stream_keys(working.slice(i, _FEW_ROWS))["stream_key"]
             for i in range(0, working.height, _FEW_ROWS)]
    assert pl.concat(parts).equals(whole)


def test_one_transaction_is_flagged_as_next_to_another_account(working: pl.DataFrame) -> None:
    """Alone, a row takes the shortcut (no group of two payments); next to another
    account's monthly payments the full search runs: same flags, same streams."""
    filler = working.filter(pl.col("account_id") == working["account_id"][0]).with_columns(
        account_id=pl.lit("acc_filler"))
    sample = working.sample(60, seed=4)
    for i in range(sample.height):
        one = stream_keys(sample.slice(i, 1))
        alone, alone_streams = detect_recurring(one)
        both, both_streams = detect_recurring(pl.concat([one, stream_keys(filler)]),
                                              as_of=one["booking_date"].cast(pl.Date)[0])
        assert alone.equals(both.head(1))
        assert alone_streams.equals(both_streams.filter(pl.col("account_id") != "acc_filler"))
        assert detect_income(alone).equals(detect_income(both).head(1))
