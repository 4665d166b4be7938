"""A labelled truth CSV reads its amounts and dates as enrichment reads the bank's table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._truth import load_truth_csv


def test_truth_csv_amounts_and_dates_read_as_enrichment_reads_them(tmp_path: Path) -> None:
    rows = [("CB A", "1 234,56", "2024-01-02"), ("CB B", "1.234,56", "02/01/2024"),
            ("CB C", "-12,50 EUR", "02.01.2024"), ("CB D", "-19.99", "02-01-2024")]
    path = tmp_path / "truth.csv"
    body = "".join(f'{label},"{amount}",{date},groceries\n' for label, amount, date in rows)
    path.write_text("label,amount,date,category\n" + body, encoding="utf-8")
    truth = load_truth_csv(path)
    table = pl.DataFrame({"label": [r[0] for r in rows], "amount": [r[1] for r in rows],
                          "date": [r[2] for r in rows]})
    working = prepare(table).working
    assert truth["amount"].to_list() == working["amount"].to_list() == [
        1234.56, 1234.56, -12.5, -19.99]
    assert truth["date"].to_list() == working["booking_date"].to_list()


def test_truth_csv_also_reads_year_first_slashed_dates(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("label,amount,date,category\nCB A,-1.00,2024/01/02,groceries\n",
                    encoding="utf-8")
    assert load_truth_csv(path)["date"].to_list() == [dt.date(2024, 1, 2)]


def test_truth_csv_with_semicolons_in_windows_1252(tmp_path: Path) -> None:
    # A truth file saved by a French spreadsheet: semicolons, decimal commas, cp1252.
    path = tmp_path / "truth.csv"
    path.write_bytes("Label;Amount;Date;Category;Merchant_name\n"
                     "CB BOULANGERIE 12/03;-4,20;12/03/2025;groceries;Boulangerie Hélène\n"
                     .encode("cp1252"))
    truth = load_truth_csv(path)
    assert truth["amount"].to_list() == [-4.2]
    assert truth["merchant_name"].to_list() == ["Boulangerie Hélène"]
