"""One transaction takes plain-string paths for steps 1-3: exactly the table paths' output."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich import _clean_row, _intermediary, _types_row
from ledgerlens.enrich._clean import DEFAULT_WRAP_WIDTHS, clean_labels
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._types import classify_types

# Labels the generator does not write: accents, odd spacing, cut lines, wrappers, junk.
_EDGE_LABELS: list[tuple[str | None, str | None]] = [
    ("", None), (None, "X"), ("CB " + "SUPERMARCHE " * 900, None),
    ("Paiement Par Carte Boulangerie Du Marché Lyon 3", None), ("12/03/25 1234", None),
    ("  CB  LIDL  ", "12 PARIS"), ("CB CAFÉ DE LA GARE 12/03", "Œuvre"),
    ("VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE", "PARIS 15"),
    ("PAIEMENT SANS CONTACT X6325 LA FOIR FOUILLE MARSEI", "LLE 12 16/01"),
    ("PAIEMENT SANS CONTACT X6325 LA FOIR FOUILLE MARSEI", "PARIS 16/01"),
    ("CB TASCA LISBOA LISBOA PT", None), ("2811 PARIS 15 CARREFOUR", None),
    ("CB BAR 12,99 USD 1 EURO = 1,0712 USD", None), ("CB L’ÉPICERIE «BIO» 12/03", "  "),
    ("PAYPAL *SPOTIFY", None), ("CB GOOGLE *YOUTUBE", None), ("VIR INST LYDIA VERS M X", None),
    ("VIR M DUPONT MOTIF LYDIA", None), ("CB MARKET06000NICE", None), ("CB X\u00a0Y", None),
    ("CB \x1c CAFE", None), ("CB CAFE\tDU PORT", "\n"), ("CB µ CAFE 中", None),
    ("CB OSTEO BORDEAUX CENTRE 24/10", None), ("CB PARIS CENTRE", None),
    ("CB BOULANGERIE DE L EST", None), ("EDF", None), ("Free Mobile", None),
    ("PRELEVEMENT DE LCL ECHEANCE PRET", None), ("DEPOT ESPECES GAB", None),
    ("CARTE X1234 11/03", "CARTE  X1234 11/03 CARREFOUR CITY"), ("VIR", "VIREMENT DE ACME"),
]


@pytest.fixture(scope="module")
def labels() -> pl.DataFrame:
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7)).transactions
    pairs = bank.select("raw_label", "label_complement").unique().sort("raw_label")
    edges = pl.DataFrame({"raw_label": [e[0] for e in _EDGE_LABELS],
                          "label_complement": [e[1] for e in _EDGE_LABELS]},
                         schema=pairs.schema)
    return pl.concat([pairs, edges])


def test_one_label_cleans_as_in_a_table(labels: pl.DataFrame) -> None:
    table = clean_labels(labels)
    expected = table.select("full_label", "clean_label").rows()
    rows = [_clean_row.clean_one(raw, comp, DEFAULT_WRAP_WIDTHS)
            for raw, comp in labels.select("raw_label", "label_complement").iter_rows()]
    taken = [(row, want) for row, want in zip(rows, expected, strict=True) if row is not None]
    assert len(taken) >= labels.height - 5  # only odd characters go the table way
    assert [row for row, _ in taken] == [want for _, want in taken]
    # and through the public function, one row at a time
    for i in range(labels.height - len(_EDGE_LABELS), labels.height):
        one = clean_labels(labels.slice(i, 1))
        assert one.select("full_label", "clean_label").row(0) == expected[i]


def test_unsafe_characters_take_the_table_path() -> None:
    assert _clean_row.safe_text("CB CAFÉ l’été", None)
    assert not _clean_row.safe_text("CB \x1c CAFE")
    assert not _clean_row.safe_text("CB", "A\tB")
    assert _clean_row.clean_one("CB µ CAFE", None, DEFAULT_WRAP_WIDTHS) is None


def test_one_label_finds_its_intermediary_as_in_a_table(labels: pl.DataFrame) -> None:
    table = detect_intermediaries(clean_labels(labels))
    pairs = table.select("clean_label", "full_label").rows()
    expected = table.select("intermediary", "merchant_text").rows()
    rows = [_intermediary._resolve_one(label, full) for label, full in pairs]
    assert sum(r is not None and r[0] is not None for r in rows) >= 20
    assert all(r == want for r, want in zip(rows, expected, strict=True) if r is not None)


def test_one_transaction_types_as_the_one_row_table_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bank = generate_bank(SynthConfig(customers=20, months=3, seed=3)).transactions
    frame = bank.with_columns(pl.col("amount").cast(pl.Float64))
    sample = pl.concat([
        frame.group_by("bank_transaction_code", maintain_order=True).head(3),
        frame.sample(60, seed=1),
        frame.head(12).with_columns(
            bank_transaction_code=pl.lit(None, pl.String), mcc=pl.lit(None, pl.String),
            amount=pl.Series([0.0, -0.0, 50.0, -50.0, -50.01, None] * 2, dtype=pl.Float64)),
        pl.DataFrame({"raw_label": [e[0] for e in _EDGE_LABELS],
                      "label_complement": [e[1] for e in _EDGE_LABELS],
                      "amount": [-12.0] * len(_EDGE_LABELS)}),
        # a counterparty apart from a label naming no operation (a PSD2 API's creditor)
        pl.DataFrame({"raw_label": ["Loyer mars", "Facture", "Cadeau", "Facture", "Cadeau"],
                      "counterparty_name": ["DUPONT JEAN", "EDF", "Mme Léa Roux", "ACME SAS",
                                            "Paul Durand"],
                      "amount": [-850.0, -80.0, -50.0, -80.0, 50.0],
                      "counterparty_account": [False, False, False, True, True]}),
    ], how="diagonal_relaxed")
    columns = ["raw_label", "label_complement", "amount", "mcc", "bank_transaction_code",
               "account_id", "counterparty_name", "counterparty_account"]
    sample = sample.select(columns)
    fast = [classify_types(sample.slice(i, 1)).select("transaction_type", "type_evidence")
            .row(0) for i in range(sample.height)]
    monkeypatch.setattr(_types_row, "classify_row", lambda frame, *names: None)
    slow = [classify_types(sample.slice(i, 1)).select("transaction_type", "type_evidence")
            .row(0) for i in range(sample.height)]
    assert fast == slow


def test_zero_digits_is_the_regex_and_the_token_rule() -> None:
    from ledgerlens.enrich._clean import _canonical_digits
    from ledgerlens.enrich._distinct import zero_digits

    texts = pl.Series("t", ["", " ", "1234", "123", "12 34 56 78", "A1B2C3D4 x", " 1234 ",
                            "  12345  6", "é1234é", "中1234 5", "1 2 3 4", None,
                            "CAFÉ 12/03/2025 1", "CB CARREFOUR 12/03 X4974", "FACT 281124 49"])
    for part in (texts, texts.slice(3, 9)):  # a slice starts inside the buffers
        assert zero_digits(part).to_list() == part.str.replace_all("[0-9]", "0").to_list()
        tokens = part.to_frame().select(_canonical_digits(pl.col("t"))).to_series()
        assert zero_digits(part, per_token=4).to_list() == tokens.to_list()
    assert zero_digits(pl.Series("t", [], pl.String)).to_list() == []
    assert zero_digits(pl.Series("t", [None, ""], pl.String)).to_list() == [None, ""]


def testdistinct_rows_survive_a_hash_collision() -> None:
    from ledgerlens.enrich._distinct import distinct_rows

    keys = pl.DataFrame({"_raw": ["A", "B", "A", "C", "B"],
                         "_comp": [None, "x", None, None, None]})
    for hashes in (None, pl.Series([0, 0, 0, 0, 0], dtype=pl.UInt64)):
        pairs, at = distinct_rows(keys, hashes)
        assert pairs.height == 4
        assert pairs[at.to_list()].rows() == keys.rows()


def test_one_row_steps_replace_columns_they_already_find() -> None:
    frame = pl.DataFrame({"raw_label": ["CB PAYPAL *SPOTIFY 12/03"], "amount": [-9.99]})
    once = classify_types(frame)
    again = classify_types(clean_labels(detect_intermediaries(once)))
    assert again.columns == once.columns
    assert again.row(0) == once.row(0)
    odd = pl.DataFrame({"raw_label": pl.Series(["CB SPOTIFY"], dtype=pl.Categorical),
                        "amount": pl.Series(["-9.99"])})  # text amount: the table path
    assert classify_types(odd)["transaction_type"].to_list() == ["card_online"]
