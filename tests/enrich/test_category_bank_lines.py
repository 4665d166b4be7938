"""A bank's or insurer's product named in its label decides the row's line."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.enrich.categories._bank_lines import (
    BANK_LINE_CONFIDENCE,
    bank_line_rule,
    named_bank_line,
)

_OWN = {"m:fortuneo": frozenset({"FORTUNEO"}),
        "m:caisse": frozenset({"CAISSE", "D", "EPARGNE"}),
        "m:bp-pret": frozenset({"BANQUE", "POPULAIRE", "PRET", "IMMO"})}


@pytest.mark.parametrize(("text", "own", "type_", "line"), [
    ("FORTUNEO PEA", "m:fortuneo", "direct_debit", "securities"),
    ("CAISSE D EPARGNE LIVRET A", "m:caisse", "direct_debit", "savings_transfer"),
    ("BANQUE POPULAIRE PRET AUTO", "m:bp-pret", "direct_debit", "car_loan"),
    ("BANQUE POPULAIRE PRET AUTO", "m:bp-pret", "loan_repayment", "car_loan"),
    ("FORTUNEO ASSURANCE HABITATION", "m:fortuneo", "direct_debit", "home_insurance"),
    ("FORTUNEO ASSURANCE EMPRUNTEUR", "m:fortuneo", "direct_debit",
     "life_provident_insurance"),
])
def test_a_product_s_words_name_its_line(text: str, own: str, type_: str, line: str) -> None:
    found = named_bank_line(text, _OWN[own], type_)
    assert found is not None
    assert found[0] == line


@pytest.mark.parametrize(("text", "own", "type_"), [
    ("CAISSE D EPARGNE", "m:caisse", "direct_debit"),  # the bank's own name
    ("BANQUE POPULAIRE PRET IMMO", "m:bp-pret", "direct_debit"),  # its own product's words
    ("FORTUNEO PEA LIVRET", "m:fortuneo", "direct_debit"),  # two products: no choice
    ("FORTUNEO ASSURANCE VIE", "m:fortuneo", "loan_repayment"),  # a repayment is a loan
    ("FORTUNEO AUTO", "m:fortuneo", "direct_debit"),  # a bare insurance word
])
def test_no_single_product_or_one_the_type_forbids_names_nothing(
        text: str, own: str, type_: str) -> None:
    assert named_bank_line(text, _OWN[own], type_) is None


def test_a_matched_phrase_names_no_second_line() -> None:
    # PRET AUTO is a car loan; its AUTO names no car insurance after it.
    assert named_bank_line("FORTUNEO PRET AUTO ASSURANCE", _OWN["m:fortuneo"],
                           "direct_debit") == ("car_loan", "PRET AUTO")


def _frame(rows: list[tuple[str, str | None, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"merchant_text": [r[0] for r in rows], "merchant_id": [r[1] for r in rows],
         "merchant_subcategory": [r[2] for r in rows],
         "transaction_type": [r[3] for r in rows],
         "category": ["bank_fees"] * len(rows), "subcategory": ["card_fees"] * len(rows),
         "category_confidence": [0.7] * len(rows),
         "category_evidence": ["merchant"] * len(rows)},
        schema_overrides={"merchant_id": pl.String, "merchant_subcategory": pl.String})


@pytest.mark.parametrize("copies", [1, 5])  # a few rows on plain values, a batch by query
def test_bank_rows_take_the_named_product_and_others_stay(copies: int) -> None:
    rows = [("FORTUNEO PEA", "m:fortuneo", "card_fees", "direct_debit"),
            ("FORTUNEO PEA", "m:fortuneo", "card_fees", "card_online"),  # a card payment
            ("FORTUNEO PEA", None, None, "direct_debit"),  # no merchant
            ("NETFLIX PEA", "m:netflix", "streaming_digital", "direct_debit"),  # no bank
            ("FORTUNEO", "m:fortuneo", "card_fees", "direct_debit")] * copies
    frame = _frame(rows)
    out = bank_line_rule(frame, lambda mid: _OWN.get(mid, frozenset()))
    changed = [i for i in range(out.height) if out["subcategory"][i] != "card_fees"]
    assert changed == list(range(0, len(rows), 5))
    first = out.row(0, named=True)
    assert (first["category"], first["subcategory"]) == ("savings_investments", "securities")
    assert first["category_confidence"] == BANK_LINE_CONFIDENCE
    assert first["category_evidence"] == 'rule: product words "PEA"'
    assert out.drop("category", "subcategory", "category_confidence",
                    "category_evidence").equals(frame.drop(
                        "category", "subcategory", "category_confidence",
                        "category_evidence"))


def test_a_frame_without_the_columns_is_left_as_it_is() -> None:
    frame = _frame([("FORTUNEO PEA", "m:fortuneo", "card_fees", "direct_debit")])
    assert bank_line_rule(frame.drop("merchant_subcategory"), lambda mid: frozenset()).equals(
        frame.drop("merchant_subcategory"))
