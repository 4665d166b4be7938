"""The enrichment boundary: which tables are accepted, how they are read, what is refused."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ledgerlens.enrich._frame import MAX_LABEL_CHARS, attach, prepare
from ledgerlens.exceptions import DataError


def test_plain_table_with_text_amounts_and_french_dates() -> None:
    table = pl.DataFrame({"Date": ["2025-01-02", "03/02/2025"],
                          "Montant": ["-1 234,56", "12.50"],
                          "Libellé": ["CB CARREFOUR", None], "note": ["a", "b"]})
    working = prepare(table).working
    assert working["amount"].to_list() == [-1234.56, 12.5]
    assert working["booking_date"].to_list() == [dt.date(2025, 1, 2), dt.date(2025, 2, 3)]
    assert working["raw_label"].to_list() == ["CB CARREFOUR", ""]
    assert working["currency"].to_list() == ["EUR", "EUR"]
    assert working["account_id"].to_list() == ["unknown", "unknown"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"lacks raw_label .*booking_date.*it has columns: amount"):
        prepare(pl.DataFrame({"amount": [1.0]}))


def test_unreadable_amounts_and_dates_name_the_rows() -> None:
    with pytest.raises(DataError, match=r"'amount'.*'abc' in row 1"):
        prepare(pl.DataFrame({"date": ["2025-01-01"] * 2, "amount": ["1", "abc"],
                              "label": ["x", "y"]}))
    with pytest.raises(DataError, match=r"'date'.*'31/02/2024' in row 0"):
        prepare(pl.DataFrame({"date": ["31/02/2024"], "amount": [1.0], "label": ["x"]}))


def test_huge_labels_are_cut_for_enrichment_only() -> None:
    table = pl.DataFrame({"date": [dt.date(2025, 1, 1)], "amount": [0.0],
                          "label": ["A" * 10_000], "mcc": ["12x"]})
    prepared = prepare(table)
    assert prepared.working["raw_label"].str.len_chars()[0] == MAX_LABEL_CHARS
    assert prepared.working["mcc"][0] is None
    out = attach(prepared, prepared.working.with_columns(clean_label=pl.lit("A")))
    assert out["label"].str.len_chars()[0] == 10_000
    assert out.columns == ["date", "amount", "label", "mcc", "clean_label"]


def test_rejects_what_is_not_a_table() -> None:
    with pytest.raises(DataError, match="got list"):
        prepare([1, 2])  # type: ignore[arg-type]
