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


def test_two_digit_years_typographic_minus_signs_and_times_are_read() -> None:
    # 12/03/25 read with a four-digit year had been the year 25, silently.
    table = pl.DataFrame({"date": ["12/03/25", "1.3.25", "2025-03-12T10:11:12", "12-03-2025"],
                          "amount": ["\u22124,20", "4,20-", "(1 234,56)", "+3.5"],
                          "label": ["CB A", "CB B", "CB C", "CB D"]})
    working = prepare(table).working
    assert working["booking_date"].to_list() == [
        dt.date(2025, 3, 12), dt.date(2025, 3, 1), dt.date(2025, 3, 12), dt.date(2025, 3, 12)]
    assert working["amount"].to_list() == [-4.2, -4.2, -1234.56, 3.5]


def test_a_bank_export_header_and_debit_credit_columns() -> None:
    # A bank's own export: other header names, and the amount split into a debit and a
    # credit column (both written positive); the caller's columns are kept as they are. A
    # row with neither is no amount (not 0): refused, naming it.
    table = pl.DataFrame({"Date opération": ["12/03/2025", "13/03/2025", "14/03/2025"],
                          "Libellé de l'opération": ["CB CARREFOUR", "VIR SALAIRE", "X"],
                          "Débit euros": ["12,50", None, "0,00"],
                          "Crédit euros": [None, "1 234,56", None]})
    prepared = prepare(table)
    assert prepared.working["amount"].to_list() == [-12.5, 1234.56, 0.0]
    assert prepared.working["raw_label"].to_list() == ["CB CARREFOUR", "VIR SALAIRE", "X"]
    assert prepared.original.columns == table.columns
    with pytest.raises(DataError, match=r"'Crédit euros - Débit euros'.*'abc' in data row 2"):
        prepare(table.with_columns(pl.Series("Crédit euros", [None, "abc", None])))
    with pytest.raises(DataError, match=r"1 row\(s\) have no amount \(first: data row 3\)"):
        prepare(table.with_columns(pl.Series("Débit euros", ["12,50", None, None])))


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"lacks raw_label .*booking_date.*it has columns: amount"):
        prepare(pl.DataFrame({"amount": [1.0]}))


def test_unreadable_amounts_and_dates_name_the_rows() -> None:
    # Rows counted from 1 after the header. A file's empty amount cell or its "NaN" is no
    # amount; a typed table's null or NaN amount is read (as 0 and NaN) all the same.
    with pytest.raises(DataError, match=r"'amount'.*'abc' in data row 2"):
        prepare(pl.DataFrame({"date": ["2025-01-01"] * 2, "amount": ["1", "abc"],
                              "label": ["x", "y"]}))
    with pytest.raises(DataError, match=r"'date'.*'31/02/2024' in data row 1"):
        prepare(pl.DataFrame({"date": ["31/02/2024"], "amount": [1.0], "label": ["x"]}))
    with pytest.raises(DataError, match=r"'amount': 1 row\(s\) have no amount \(first: data row 2"):
        prepare(pl.DataFrame({"date": ["2025-01-01"] * 2, "amount": ["1", None],
                              "label": ["x", "y"]}))
    with pytest.raises(DataError, match=r"'NaN' in data row 1, 'inf' in data row 2"):
        prepare(pl.DataFrame({"date": ["2025-01-01"] * 2, "amount": ["NaN", "inf"],
                              "label": ["x", "y"]}))
    typed = prepare(pl.DataFrame({"date": ["2025-01-01"] * 2, "amount": [None, 1.0],
                                  "label": ["x", "y"]}))
    assert typed.working["amount"].to_list() == [0.0, 1.0]


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


def test_a_few_rows_are_read_as_the_table_query_reads_them() -> None:
    from decimal import Decimal

    from ledgerlens.enrich._frame import _working_exprs, _working_few

    table = pl.DataFrame({
        "booking_date": [dt.date(2025, 1, 2)] * 5,
        "amount": [Decimal("-12.34"), None, Decimal("1000000.01"), Decimal("0"),
                   Decimal("-0.10")],
        "raw_label": ["CB CARREFOUR", None, "x" * (MAX_LABEL_CHARS + 10), "é à", ""],
        "label_complement": [None, "y" * (MAX_LABEL_CHARS + 1), "SUITE", None, " "],
        "currency": [" eur ", None, "usd", "EUR", ""],
        "customer_id": ["c1", None, "c3", None, "c5"],
        "mcc": [" 5411 ", "54111", None, "54a1", "0000"],
        "counterparty_name": [None, "SNCF", None, None, None],
    }, schema_overrides={"amount": pl.Decimal(18, 2)})
    schema = tuple(zip(table.columns, table.dtypes, strict=True))
    few = _working_few(table, schema, "raw_label", "booking_date", "amount")
    query = table.select(*_working_exprs(schema, "raw_label", "booking_date", "amount")
                         ).drop("_unreadable")
    assert few is not None
    assert few.equals(query)  # same values and dtypes, nulls included
    assert few["account_id"].to_list() == ["c1", "unknown", "c3", "unknown", "c5"]


def test_a_few_rows_the_plain_reading_cannot_vouch_for_go_to_the_query() -> None:
    from ledgerlens.enrich._frame import _working_few

    def few(**columns: list[object]) -> pl.DataFrame | None:
        table = pl.DataFrame({"date": [dt.date(2025, 1, 2)], "amount": [1.0],
                              "label": ["x"], **columns})
        schema = tuple(zip(table.columns, table.dtypes, strict=True))
        return _working_few(table, schema, "label", "date", "amount")

    assert few() is not None
    assert few(mcc=[5411]) is None  # not text
    assert few(currency=["\u00a0EUR"]) is None  # whitespace the two engines may strip apart
    assert few(mcc=["\u0665\u0664\u0661\u0661"]) is None  # digits of another script


def test_the_working_frame_is_one_chunk_a_column_whatever_the_input_s_pieces() -> None:
    # A file is read in several chunks; later steps over unevenly chunked columns would pay
    # to realign them on every query (see _frame.ENGINE).
    part = pl.DataFrame({"label": ["CB BOULANGERIE 12/03", "PRLV SEPA EDF"] * 10,
                         "amount": [-4.5, -60.0] * 10, "date": ["2025-03-12"] * 20})
    pieces = pl.concat([part, part, part], rechunk=False)
    assert pieces["label"].n_chunks() == 3
    working = prepare(pieces).working
    assert working.height == 60
    assert {working[c].n_chunks() for c in working.columns} == {1}


@pytest.mark.parametrize("rows", [2, 12])
def test_a_counterparty_s_iban_says_only_that_an_account_is_named(rows: int) -> None:
    # The working frame holds no IBAN, only whether one is given (a card payment has none);
    # a few rows read plainly as the query reads them.
    table = pl.DataFrame({"date": [dt.date(2025, 3, 12)] * rows, "amount": [-10.0] * rows,
                          "label": ["Facture"] * rows,
                          "counterparty_iban": (["FR76****1234", " "] * rows)[:rows]})
    working = prepare(table).working
    assert "counterparty_iban" not in working.columns
    assert working["counterparty_account"].to_list() == ([True, False] * rows)[:rows]


def test_an_exports_own_column_names_are_read() -> None:
    # the party, the kind of operation and the second label line of bank exports
    table = pl.DataFrame({"Date": ["12/03/2025"], "Montant": ["-10,00"], "Libellé": ["VIR"],
                          "Libellé complémentaire": ["ACME"], "Partner Name": ["ACME SAS"],
                          "Type d'opération": ["Virement"]})
    working = prepare(table).working.row(0, named=True)
    assert (working["label_complement"], working["counterparty_name"],
            working["bank_transaction_code"]) == ("ACME", "ACME SAS", "Virement")
