"""Frames of a few rows take plain-value paths in the last steps (stream keys, recurring,
income, explanation): each row, and runs of 2-3 rows, must equal the whole table's rows."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich import _explain, _pipeline, _recurring_row
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._explain import explain
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._income import detect_income, income_category
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._model import EnrichmentModel
from ledgerlens.enrich._recurring import detect_recurring, stream_keys
from ledgerlens.enrich._types import classify_types

# Rows the generator does not write: credits of every income kind, odd text, empty labels.
_EDGES: list[tuple[str | None, float | None, str | None]] = [
    ("VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE", 2400.0, None),
    ("VIR SEPA RECU /DE MME ANAIS ROSSI /MOTIF LOYER MARS /REF 42", 650.0, None),
    ("VIREMENT EN VOTRE FAVEUR CARSAT RETRAITE AVRIL 2025", 1200.0, None),
    ("VIR SEPA CAF ALLOCATIONS FAMILIALES", 310.2, None),
    ("VIR SEPA DE FRANCE TRAVAIL ALLOC", 980.0, "France Travail"),
    ("VIREMENT EN VOTRE FAVEUR", 1800.0, "Lecomte Sa"), ("VIR DE JEAN MARTIN", 50.0, None),
    ("VIR M DUPONT MOTIF LYDIA", 20.0, "M. Dupont"), ("INTERETS CREDITEURS 2025", 12.3, None),
    ("VIR SEPA RECU /DE CAFÉ DE LA GARE /MOTIF RÉMUNÉRATION", 1500.0, "Café Œuvre"),
    ("VIR SALAIRE \u00a0ACME µ", 2000.0, None), ("VIR CAF 中", 100.0, "中"),
    ("", 100.0, None), (None, 100.0, None), ("   ", -3.0, None), ("VIR PAIE", float("nan"), None),
    ("VIR PAIE", None, None), ("VIR PAIE", 0.0, None), ("REMBOURSEMENT SALAIRE", 40.0, None),
    ("COTISATION CARTE VISA PREMIER", -134.0, None), ("TAXE FONCIERE 2025", -900.0, None),
    ("CB CAFE\tDU PORT 12/03", -4.5, None), ("PRLV SEPA EDF CLIENTS PARTICULIERS", -80.0, None),
    ("1234 5678", -10.0, "12"), ("VIR SEPA RECU /DE   /MOTIF PAIE", 10.0, " "),
]


@pytest.fixture(scope="module")
def stages() -> dict[str, pl.DataFrame]:
    """The whole table before each step (as the pipeline computes it)."""
    bank = generate_bank(SynthConfig(customers=12, months=4, seed=11)).transactions
    edges = pl.DataFrame({"raw_label": [e[0] for e in _EDGES], "amount": [e[1] for e in _EDGES],
                          "counterparty_name": [e[2] for e in _EDGES]})
    edges = edges.with_columns(
        account_id=pl.lit("acc_edges"), booking_date=pl.date(2025, 3, 1) + pl.duration(
            days=pl.int_range(pl.len())))
    table = pl.concat([bank, edges], how="diagonal_relaxed")
    model = EnrichmentModel.default()
    frame = classify_types(detect_intermediaries(clean_labels(prepare(table).working)))
    out: dict[str, pl.DataFrame] = {}
    out["round"] = model.categories.predict(model.merchants.match(frame))
    out["keys"] = _pipeline._rounded_and_abstained(out["round"])
    out["recurring"] = stream_keys(out["keys"])
    out["income"] = detect_recurring(out["recurring"])[0]
    out["category"] = detect_income(out["income"])
    out["explain"] = income_category(out["category"]).with_columns(
        correction_id=pl.lit(None, pl.String))
    return out


_STEPS = {
    "round": _pipeline._rounded_and_abstained, "keys": stream_keys,
    "income": detect_income,
    "category": income_category, "explain": explain,
}


@pytest.mark.parametrize("step", list(_STEPS))
@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_few_rows_give_the_table_rows(stages: dict[str, pl.DataFrame], step: str,
                                        size: int) -> None:
    frame = stages[step]
    assert frame.height >= 1_000
    whole = _STEPS[step](frame)
    starts = range(0, frame.height, size) if size == 1 else range(0, frame.height, 7 * size)
    for i in starts:
        part = _STEPS[step](frame.slice(i, size))
        assert part.equals(whole.slice(i, size), null_equal=True), (step, i)
        assert part.schema == whole.schema


def test_one_row_has_no_stream_unless_an_annual_charge(stages: dict[str, pl.DataFrame]
                                                       ) -> None:
    frame = stages["recurring"]
    found = 0
    for i in range(frame.height - len(_EDGES), frame.height):
        out, streams = detect_recurring(frame.slice(i, 1))
        assert streams.columns == detect_recurring(frame.head(0))[1].columns
        found += streams.height
        assert out["is_recurring"][0] is (streams.height == 1)
    assert found == 2  # the card fee and the property tax


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_few_rows_are_flagged_as_by_the_search(stages: dict[str, pl.DataFrame], size: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A few rows the plain-value check lets through: the answer of the full search."""
    frame = stages["recurring"]
    starts = list(range(0, frame.height, 3 * size)) + list(
        range(frame.height - len(_EDGES), frame.height - size + 1))
    fast = [detect_recurring(frame.slice(i, size)) for i in starts]
    monkeypatch.setattr(_recurring_row, "ROW_PATH_MAX_ROWS", 0)
    for i, (out, streams) in zip(starts, fast, strict=True):
        want_out, want_streams = detect_recurring(frame.slice(i, size))
        assert out.equals(want_out, null_equal=True), i
        assert out.schema == want_out.schema
        assert streams.equals(want_streams, null_equal=True), i
        assert streams.schema == want_streams.schema


def test_lone_annual_charges_make_the_search_s_streams(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    """Annual charges seen once take the plain-value path: the same rows and streams as the
    search, ended or not, on a leap day, beside other rows and without optional columns."""
    import datetime as dt

    frame = pl.DataFrame({
        "account_id": ["a1", "a1", "a2", "a2"], "customer_id": ["c1", "c1", None, "c2"],
        "booking_date": [dt.date(2024, 2, 29), dt.date(2024, 5, 2), dt.date(2024, 3, 1),
                         dt.date(2024, 3, 1)],
        "amount": [-45.0, -12.5, -901.255, -30.0],
        "clean_label": ["COTISATION CARTE VISA", "BOULANGERIE", "IMPOTS", "COTIS CB"],
        "merchant_name": [None, None, "DGFiP", None],
        "subcategory": [None, "bakery", "property_housing_tax", None],
        "stream_key": ["l:COTISATION CARTE VISA", "l:BOULANGERIE", "m:dgfip", "l:COTIS CB"],
    })
    variants = [(frame, None), (frame, dt.date(2025, 4, 15)), (frame.head(1), None),
                (frame.slice(2, 1).drop("customer_id", "merchant_name"), dt.date(2026, 1, 1)),
                (frame.with_columns(transaction_type=pl.lit("refund")), None)]
    fast = [detect_recurring(f, as_of=a) for f, a in variants]
    assert fast[0][1]["status"].to_list() == ["early", "early", "early"]
    # 29 February 2024 + 1 year = 28 February 2025, + 45 days of grace: ended on 15 April.
    assert fast[1][1]["status"].to_list() == ["ended", "early", "early"]
    assert fast[4][1].height == 0  # a refund is not a charge
    monkeypatch.setattr(_recurring_row, "ROW_PATH_MAX_ROWS", 0)
    for (f, a), (out, streams) in zip(variants, fast, strict=True):
        want_out, want_streams = detect_recurring(f, as_of=a)
        assert out.equals(want_out, null_equal=True)
        assert out.schema == want_out.schema
        assert streams.equals(want_streams, null_equal=True)
        assert streams.schema == want_streams.schema


def test_odd_explanation_inputs_read_as_in_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = pl.DataFrame({
        "correction_id": [None, "", "abcdefghijk", "é" * 10, None, None],
        "merchant_evidence": ["", None, 'alias "X"', "; ", None, "a;; b"],
        "merchant_name": ["Carrefour", "Lidl", None, "; ", "Fnac", "Ø"],
        "merchant_confidence": [0.99951, None, 1.0, -0.0, float("nan"), 1e300],
        "category_evidence": [None, "", "; ;", "model", " ", "rule"],
        "type_evidence": ["", None, "amount sign", "x", None, "y"],
        "recurrence_period": [None, "monthly", None, "", None, "yearly"],
        "income_type": ["salary", None, "pension", "", None, "x"],
        "income_payer": [None, "ACME", "", "P", "Q", None],
        "merchant_hint": ["bakery", None, "fuel", None, None, ""],
    })
    variants = [rows, rows.drop("merchant_confidence"), rows.select("income_type"),
                rows.with_columns(explanation=pl.lit("old")), rows.head(0)]
    for i in range(rows.height):
        variants.append(rows.slice(i, 1))
    fast = [explain(v) for v in variants]
    monkeypatch.setattr(_explain, "_FEW_ROWS", -1)
    for v, got in zip(variants, fast, strict=True):
        want = explain(v)
        assert got.equals(want, null_equal=True)
        assert got.schema == want.schema


def test_a_confidence_is_rounded_as_the_query_rounds_it(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # Halves on the third decimal, their float neighbours, and the ends of [0, 1].
    values = [0.0005, 0.0015, 0.0025, 0.1235, 0.9995, 0.12345, 1e-9, 0.0, -0.0, 1.0,
              0.0004999999, 0.6665, 0.9994999]
    rows = [pl.DataFrame({"merchant_name": ["Fnac"], "merchant_confidence": [v]})
            for v in values]
    fast = [explain(r)["explanation"].item() for r in rows]
    monkeypatch.setattr(_explain, "_FEW_ROWS", -1)
    assert fast == [explain(r)["explanation"].item() for r in rows]


def test_most_rows_take_the_plain_paths(stages: dict[str, pl.DataFrame]) -> None:
    """The plain paths are taken (not only the queries tested above), odd text aside."""
    from ledgerlens.enrich._income_row import income_rows

    keys, income = stages["keys"], stages["income"]
    n = keys.height
    plain_keys = sum(_recurring_row.stream_key_values(keys.slice(i, 1)) is not None
                     for i in range(n))
    plain_income = [income_rows(income.slice(i, 1), ["full_label"]) for i in range(n)]
    assert plain_keys >= n - 5
    assert sum(r is not None for r in plain_income) >= n - 5
    assert sum(r is not None and r[0] is not None for r in plain_income) >= 20  # credits
    assert income_rows(income.slice(n - len(_EDGES) + 10, 1), ["full_label"]) is None  # µ
    recurring = stages["recurring"]
    # All but about 1 % (a handful of rows of streams, which a model retraining moves).
    assert sum(_recurring_row.no_stream_possible(recurring.slice(i, 1), "stream_key")
               for i in range(n)) >= 0.99 * n


def test_rounding_of_odd_rows_is_the_query_s(stages: dict[str, pl.DataFrame],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows without text, other column types: the plain path steps aside or agrees."""
    frame = stages["round"].head(3).with_columns(
        merchant_confidence=pl.Series([0.1234564999, None, float("nan")]),
        category_confidence=pl.Series([0.98765450001, -0.0, 1e-9]))
    blind = frame.with_columns(raw_label=pl.Series(["", None, "12 34"]), mcc=pl.lit(None),
                               counterparty_name=pl.lit(None, pl.String))
    variants = [frame, blind, frame.with_columns(pl.col("category").cast(pl.Categorical)),
                frame.with_columns(pl.col("category_confidence").cast(pl.Float32),
                                   pl.col("merchant_confidence").cast(pl.Float32))]
    variants += [v.slice(i, 1) for v in variants[:2] for i in range(3)]
    fast = [_pipeline._rounded_and_abstained(v) for v in variants]
    monkeypatch.setattr(_pipeline, "_FEW_ROWS", -1)
    for v, got in zip(variants, fast, strict=True):
        want = _pipeline._rounded_and_abstained(v)
        assert got.equals(want, null_equal=True)
        assert got.schema == want.schema
