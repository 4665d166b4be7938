"""Corrections: validation, the store, deterministic precedence, scoping and export."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import random
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.enrich._corrections import (
    Correction,
    CorrectionSet,
    CorrectionStore,
    apply_corrections,
    export_training_data,
)
from ledgerlens.exceptions import ConfigurationError, DataError

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def _enriched() -> pl.DataFrame:
    return pl.DataFrame({
        "tenant_id": ["bank_a", "bank_a", "bank_a", "bank_b", "bank_a"],
        "transaction_id": ["t1", "t2", "t3", "t4", "t5"],
        "customer_id": ["c1", "c2", "c1", "c1", "c3"],
        "clean_label": ["BOULANGERIE DU MARCHE", "BOULANGERIE DU MARCHE", "CARREFOUR CITY",
                        "BOULANGERIE DU MARCHE", "BAR DU PORT"],
        "amount": [-3.2, -4.1, -25.0, -2.9, -6.0],
        "mcc": ["5462", "5462", "5411", None, "5813"],
        "transaction_type": ["card_in_store"] * 5,
        "merchant_id": [None, None, "nsi:carrefour_city", None, None],
        "merchant_name": [None, None, "Carrefour City", None, None],
        "category": ["food_and_drink", "food_and_drink", "groceries", "food_and_drink",
                     "food_and_drink"],
        "subcategory": ["restaurant", "restaurant", "supermarket", "restaurant", "cafe_bar"],
        "category_confidence": [0.41, 0.41, 0.97, 0.41, 0.88],
        "explanation": ["model: trade word", "model: trade word", "alias", None, "model"],
    })


def _apply(*corrections: Correction, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    return apply_corrections(_enriched() if frame is None else frame,
                             CorrectionSet(corrections))


# --------------------------------------------------------------------------- validation

def test_subcategory_implies_its_category_and_literal_patterns_are_upper_cased() -> None:
    c = Correction(scope="pattern", target=" boulangerie du marche ", subcategory="bakery")
    assert c.category == "groceries"
    assert c.target == "BOULANGERIE DU MARCHE"
    assert len(c.correction_id) == 16


def test_rejects_an_invalid_regex_with_the_reason() -> None:
    with pytest.raises(ConfigurationError, match=r"invalid regex '\(oops'.*unclosed group"):
        Correction(scope="pattern", target="(oops", regex=True, category="groceries")


def test_rejects_an_unknown_category_naming_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown category 'food'.*groceries"):
        Correction(scope="merchant", target="loc:1", category="food")


def test_rejects_an_unknown_subcategory_and_a_mismatched_pair() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown subcategory 'boulangerie'.*bakery"):
        Correction(scope="merchant", target="loc:1", subcategory="boulangerie")
    with pytest.raises(ConfigurationError, match="'bakery' belongs to 'groceries'"):
        Correction(scope="merchant", target="loc:1", category="leisure", subcategory="bakery")


def test_rejects_an_unknown_transaction_type_and_scope() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown transaction type 'card'.*card_online"):
        Correction(scope="merchant", target="loc:1", transaction_type="card")
    with pytest.raises(ConfigurationError, match="unknown correction scope 'label'"):
        Correction(scope="label", target="x", category="other")  # type: ignore[arg-type]


def test_rejects_a_correction_that_sets_nothing_or_targets_nothing() -> None:
    with pytest.raises(ConfigurationError, match="must set at least one of category"):
        Correction(scope="transaction", target="t1")
    with pytest.raises(ConfigurationError, match="non-empty target"):
        Correction(scope="transaction", target="  ", category="other")
    with pytest.raises(ConfigurationError, match="regex=True only applies to pattern"):
        Correction(scope="merchant", target="m", regex=True, category="other")


def test_id_depends_on_what_the_correction_does_not_on_who_or_when() -> None:
    a = Correction(scope="merchant", target="loc:1", category="groceries", author="ann",
                   note="first", created_at=_at(0))
    b = Correction(scope="merchant", target="loc:1", category="groceries", author="bob",
                   created_at=_at(5))
    c = Correction(scope="merchant", target="loc:1", category="groceries", customer_id="c1")
    assert a.correction_id == b.correction_id != c.correction_id


def test_a_record_whose_content_was_altered_is_refused() -> None:
    record = Correction(scope="merchant", target="loc:1", category="groceries").to_record()
    record["category"] = "leisure"
    with pytest.raises(DataError, match="does not match its content"):
        Correction.from_record(record)


# --------------------------------------------------------------------------- precedence

def test_transaction_beats_pattern_beats_merchant() -> None:
    merchant = Correction(scope="merchant", target="nsi:carrefour_city", category="shopping",
                          created_at=_at(3))
    pattern = Correction(scope="pattern", target="CARREFOUR", category="leisure",
                         created_at=_at(2))
    transaction = Correction(scope="transaction", target="t3", category="housing",
                             created_at=_at(1))
    assert _apply(merchant)["category"][2] == "shopping"
    assert _apply(merchant, pattern)["category"][2] == "leisure"
    out = _apply(merchant, pattern, transaction)
    assert out["category"][2] == "housing"
    assert out["correction_id"][2] == transaction.correction_id


def test_customer_beats_tenant_beats_global() -> None:
    everyone = Correction(scope="pattern", target="BOULANGERIE", subcategory="bakery",
                          created_at=_at(3))
    tenant = Correction(scope="pattern", target="BOULANGERIE", subcategory="specialty_food",
                        tenant_id="bank_a", created_at=_at(2))
    customer = Correction(scope="pattern", target="BOULANGERIE", category="food_and_drink",
                          subcategory="cafe_bar", customer_id="c1", created_at=_at(1))
    out = _apply(everyone, tenant, customer)
    # t1: c1 at bank_a; t2: c2 at bank_a; t4: c1 at bank_b (customer ids are not per tenant)
    assert out["subcategory"].to_list()[:4] == ["cafe_bar", "specialty_food", "supermarket",
                                                "cafe_bar"]
    assert _apply(everyone, tenant)["subcategory"][3] == "bakery"


def test_scope_outranks_applicability() -> None:
    customer_merchant = Correction(scope="pattern", target="CARREFOUR", category="leisure",
                                   customer_id="c1")
    global_transaction = Correction(scope="transaction", target="t3", category="housing")
    assert _apply(customer_merchant, global_transaction)["category"][2] == "housing"


def test_newest_wins_then_the_smallest_id() -> None:
    old = Correction(scope="pattern", target="BAR", category="leisure", created_at=_at(1))
    new = Correction(scope="pattern", target="PORT", category="transport", created_at=_at(2))
    assert _apply(old, new)["category"][4] == "transport"
    same_time = [Correction(scope="pattern", target=t, category=c, created_at=_at(1))
                 for t, c in (("BAR", "leisure"), ("PORT", "transport"))]
    winner = min(same_time, key=lambda c: c.correction_id)
    assert _apply(*same_time)["category"][4] == winner.category


def test_each_field_comes_from_the_best_correction_that_sets_it() -> None:
    merchant = Correction(scope="merchant", target="nsi:carrefour_city",
                          subcategory="convenience_store")
    transaction = Correction(scope="transaction", target="t3", is_recurring=True)
    out = _apply(merchant, transaction).row(2, named=True)
    assert (out["subcategory"], out["is_recurring"]) == ("convenience_store", True)
    assert out["correction_id"] == transaction.correction_id
    assert out["explanation"].startswith(
        f"correction {transaction.correction_id[:8]} (transaction); "
        f"correction {merchant.correction_id[:8]} (merchant); alias")


def test_result_does_not_depend_on_the_order_corrections_come_in(tmp_path: Path) -> None:
    corrections = [
        Correction(scope="pattern", target="MARCHE", subcategory="bakery", created_at=_at(1)),
        Correction(scope="pattern", target=r"^boul", regex=True, subcategory="specialty_food",
                   created_at=_at(1)),
        Correction(scope="merchant", target="nsi:carrefour_city", is_recurring=False),
        Correction(scope="transaction", target="t2", is_income=False, created_at=_at(1)),
        Correction(scope="pattern", target="DU", category="leisure", tenant_id="bank_a",
                   created_at=_at(1)),
    ]
    expected = apply_corrections(_enriched(), CorrectionSet(tuple(corrections)))
    for seed in range(3):
        shuffled = corrections[:]
        random.Random(seed).shuffle(shuffled)
        store = CorrectionStore(tmp_path / f"store{seed}")
        for c in shuffled:
            store.add(c)
        assert apply_corrections(_enriched(), store.load()).equals(expected)


# --------------------------------------------------------------------------- scoping and effects

def test_customer_scoped_correction_leaves_other_customers_alone() -> None:
    c = Correction(scope="pattern", target="BOULANGERIE", subcategory="bakery", customer_id="c2")
    before, after = _enriched(), _apply(c)
    assert after["subcategory"].to_list() == ["restaurant", "bakery", "supermarket",
                                              "restaurant", "cafe_bar"]
    others = pl.col("customer_id") != "c2"
    assert after.filter(others).select(before.columns).equals(before.filter(others))
    assert after.filter(others)["correction_id"].null_count() == 4


def test_tenant_scoped_correction_only_touches_its_tenant() -> None:
    c = Correction(scope="pattern", target="BOULANGERIE", subcategory="bakery",
                   tenant_id="bank_b")
    assert _apply(c)["subcategory"].to_list()[:4] == ["restaurant", "restaurant",
                                                      "supermarket", "bakery"]


def test_without_customer_or_tenant_columns_only_global_corrections_apply() -> None:
    frame = _enriched().drop("customer_id", "tenant_id")
    scoped = Correction(scope="pattern", target="BAR", category="leisure", customer_id="c3")
    tenant = Correction(scope="pattern", target="BAR", category="shopping", tenant_id="bank_a")
    everyone = Correction(scope="transaction", target="t1", subcategory="bakery")
    out = _apply(scoped, tenant, everyone, frame=frame)
    assert out["category"].to_list()[0] == "groceries"
    assert out["category"].to_list()[4] == "food_and_drink"


def test_corrected_rows_get_full_confidence_and_an_explanation() -> None:
    c = Correction(scope="pattern", target="boulangerie", subcategory="bakery",
                   tenant_id="bank_a")
    out = _apply(c)
    assert out["category_confidence"].to_list() == [1.0, 1.0, 0.97, 0.41, 0.88]
    assert out["explanation"].to_list()[:2] == [
        f"correction {c.correction_id[:8]} (pattern, tenant); model: trade word"] * 2
    assert out["explanation"][3] is None
    assert out["correction_id"].to_list() == [c.correction_id, c.correction_id,
                                              None, None, None]


def test_values_of_the_wrong_type_are_refused_naming_the_field(tmp_path: Path) -> None:
    # A caller's or a hand-edited store's value of another type: named, never a traceback;
    # ids are stripped (" C1 " would match nothing), a blank merchant id refused.
    wrong: tuple[tuple[dict[str, object], str], ...] = (
        ({"is_recurring": "no"}, "is_recurring"), ({"target": 123}, "target"),
        ({"created_at": "2026-01-01"}, "created_at"))
    for fields, named in wrong:
        values = {"scope": "pattern", "target": "ZINC", "category": "leisure", **fields}
        with pytest.raises(ConfigurationError, match=named):
            Correction(**values)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="merchant_id must be non-empty"):
        Correction(scope="merchant", target="m1", merchant_id="  ", category="leisure")
    assert Correction(scope="pattern", target="ZINC", customer_id=" c1 ",
                      category="leisure").customer_id == "c1"
    with pytest.raises(ConfigurationError, match="holds Correction objects"):
        CorrectionSet(("x",))  # type: ignore[arg-type]
    store = CorrectionStore(tmp_path)
    store.add(Correction(scope="pattern", target="ZINC", category="leisure"))
    record = json.loads(store.file.read_text())
    store.file.write_text(json.dumps({**record, "created_at": 12345}) + "\n")
    with pytest.raises(DataError, match=r"line 1: .*created_at must be a date-time"):
        store.load()
    store.file.write_bytes(b'"a string"\n')
    with pytest.raises(DataError, match=r"line 1: a correction is a JSON object"):
        store.load()
    store.file.write_bytes(b"\xff\n")
    with pytest.raises(DataError, match="not UTF-8"):
        store.load()


def test_a_merchant_correction_that_moves_the_merchant_keeps_its_id_when_applied_again(
        ) -> None:
    # The pipeline applies the set twice; the second pass no longer finds Carrefour City on
    # the row the first moved to another merchant: the row keeps the correction's id (and so
    # its explanation and its place in the training export).
    c = Correction(scope="merchant", target="nsi:carrefour_city", merchant_id="loc:city",
                   merchant_name="City Marché")
    once = _apply(c)
    twice = apply_corrections(once, CorrectionSet((c,)))
    assert twice["merchant_id"][2] == "loc:city"
    assert twice["correction_id"].to_list() == [None, None, c.correction_id, None, None]
    assert export_training_data(twice, CorrectionSet((c,))).height == 1


def test_a_literal_pattern_matches_whatever_its_accents() -> None:
    # The clean label folds accents (CAFE); a support agent types CAFÉ.
    frame = _enriched().with_columns(clean_label=pl.lit("CAFE DE LA GARE"))
    c = Correction(scope="pattern", target="Café de la gare", subcategory="cafe_bar")
    assert _apply(c, frame=frame)["subcategory"].to_list() == ["cafe_bar"] * 5


def test_a_category_without_subcategory_keeps_only_a_matching_subcategory() -> None:
    same = Correction(scope="transaction", target="t3", category="groceries")
    other = Correction(scope="transaction", target="t1", category="shopping")
    out = _apply(same, other)
    assert out["subcategory"][2] == "supermarket"
    assert (out["category"][0], out["subcategory"][0]) == ("shopping", None)


def test_merchant_correction_sets_id_and_name_and_adds_missing_columns() -> None:
    frame = _enriched().drop("merchant_id", "merchant_name", "category_confidence")
    c = Correction(scope="pattern", target="BAR DU PORT", merchant_id="disc:bar-du-port",
                   merchant_name="Bar du Port")
    out = _apply(c, frame=frame)
    assert out.row(4, named=True)["merchant_name"] == "Bar du Port"
    assert out["merchant_id"].to_list() == [None, None, None, None, "disc:bar-du-port"]
    assert {"is_recurring", "is_income", "transaction_type"} <= set(out.columns)


def test_apply_is_pure_and_keeps_row_order() -> None:
    frame = _enriched()
    copy = frame.clone()
    out = _apply(Correction(scope="transaction", target="t1", category="other"), frame=frame)
    assert frame.equals(copy)
    assert out["transaction_id"].to_list() == frame["transaction_id"].to_list()
    assert out.columns[: len(frame.columns)] == frame.columns


def test_no_corrections_or_no_match_adds_a_null_correction_id() -> None:
    for corrections in ((), (Correction(scope="transaction", target="zz", category="other"),)):
        out = _apply(*corrections)
        assert out["correction_id"].null_count() == out.height
        assert out.select(_enriched().columns).equals(_enriched())


def test_bad_labels_and_all_null_columns_do_not_crash() -> None:
    frame = pl.DataFrame({
        "transaction_id": ["a", "b", "c", "d"],
        "clean_label": [None, "", "X" * 10_000 + " BAR", "CAF\ufffd DU COIN"],
        "merchant_id": [None, None, None, None],
        "amount": [0.0, 0.0, -1.0, -2.0],
    })
    out = _apply(Correction(scope="pattern", target="BAR", category="leisure"),
                 Correction(scope="pattern", target=r"caf.\s+du", regex=True,
                            category="food_and_drink"),
                 Correction(scope="merchant", target="m", category="other"), frame=frame)
    assert out["category"].to_list() == [None, None, "leisure", "food_and_drink"]
    assert _apply(frame=frame.head(0))["correction_id"].len() == 0


def test_correction_set_pickles() -> None:
    cs = CorrectionSet((Correction(scope="transaction", target="t1", category="other"),))
    assert pickle.loads(pickle.dumps(cs)) == cs


# --------------------------------------------------------------------------- store

def test_store_add_list_remove_round_trip(tmp_path: Path) -> None:
    store = CorrectionStore(tmp_path / "corrections")
    a = store.add(Correction(scope="merchant", target="loc:1", category="groceries",
                             created_at=_at(1)))
    b = store.add(Correction(scope="pattern", target="bar", category="leisure",
                             customer_id="c1", created_at=_at(2)))
    listed = store.list()
    assert listed["correction_id"].to_list() == [a.correction_id, b.correction_id]
    assert store.list(customer_id="c1")["correction_id"].to_list() == [b.correction_id]
    assert store.remove(a.correction_id[:8]) == a
    assert [c.correction_id for c in store.load()] == [b.correction_id]


def test_adding_the_same_correction_again_replaces_it(tmp_path: Path) -> None:
    store = CorrectionStore(tmp_path)
    store.add(Correction(scope="merchant", target="loc:1", category="groceries", note="old"))
    store.add(Correction(scope="merchant", target="loc:1", category="groceries", note="new"))
    assert store.list()["note"].to_list() == ["new"]


def test_removing_an_unknown_id_names_it(tmp_path: Path) -> None:
    store = CorrectionStore(tmp_path)
    store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    with pytest.raises(ConfigurationError, match=r"unknown correction id 'deadbeef'.*holds 1"):
        store.remove("deadbeef")


def test_store_file_is_valid_after_each_write_and_a_failed_write_keeps_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CorrectionStore(tmp_path)
    first = store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    lines = store.file.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["correction_id"] for line in lines] == [first.correction_id]

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.add(Correction(scope="merchant", target="loc:2", category="leisure"))
    monkeypatch.undo()
    assert [c.correction_id for c in store.load()] == [first.correction_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrections.jsonl"]


def test_a_corrupt_store_line_is_reported_with_its_number(tmp_path: Path) -> None:
    store = CorrectionStore(tmp_path)
    store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    with store.file.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(DataError, match="line 2"):
        store.load()


def test_an_empty_store_loads_as_an_empty_set(tmp_path: Path) -> None:
    store = CorrectionStore(tmp_path / "missing")
    assert len(store.load()) == 0
    assert store.list().height == 0


# --------------------------------------------------------------------------- export

def test_export_gives_one_training_row_per_corrected_transaction() -> None:
    pattern = Correction(scope="pattern", target="BOULANGERIE", subcategory="bakery")
    transaction = Correction(scope="transaction", target="t5", merchant_id="disc:bar",
                             merchant_name="Bar du Port")
    rows = export_training_data(_enriched(), CorrectionSet((pattern, transaction)))
    assert rows.columns == ["clean_label", "amount", "mcc", "transaction_type", "merchant_id",
                            "category", "subcategory", "source", "correction_id"]
    assert rows.height == 4
    assert set(rows["source"]) == {"correction"}
    bar = rows.filter(pl.col("correction_id") == transaction.correction_id).row(0, named=True)
    assert (bar["clean_label"], bar["merchant_id"], bar["subcategory"]) == (
        "BAR DU PORT", "disc:bar", "cafe_bar")
    assert rows.filter(pl.col("correction_id") == pattern.correction_id)[
        "subcategory"].to_list() == ["bakery"] * 3


def test_a_merchant_correction_regroups_the_recurring_streams() -> None:
    # The landlord is paid each month under two spellings, in no order: apart they are no
    # stream (alternating, each would be one every two months); once a correction names one
    # merchant for both, enrichment finds one monthly stream.
    from ledgerlens.enrich import enrich_with_streams

    dates = [f"2025-{m:02d}-05" for m in range(1, 9)]
    labels = ["VIR SEPA EMIS LOYER SCI LES TILLEULS" if m in (1, 2, 4, 7) else
              "VIR SEPA EMIS GESTION IMMO LES TILLEULS" for m in range(1, 9)]
    table = pl.DataFrame({"date": dates, "amount": [-780.0] * 8, "label": labels,
                          "account_id": ["a1"] * 8})
    plain = enrich_with_streams(table)
    assert not plain.transactions["is_recurring"].any()
    fix = CorrectionSet([Correction(scope="pattern", target="LES TILLEULS",
                                    merchant_id="disc:sci-les-tilleuls",
                                    merchant_name="SCI Les Tilleuls")])
    fixed = enrich_with_streams(table, corrections=fix)
    assert fixed.transactions["is_recurring"].all()
    assert fixed.streams.height == 1
    assert fixed.transactions["correction_id"].is_not_null().all()
