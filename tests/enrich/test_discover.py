"""Merchant discovery: grouping label variants, the customer floor, accepting candidates."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._discover import (
    CANDIDATE_COLUMNS,
    DISCOVERED_COLUMNS,
    accept_candidates,
    discover_merchants,
    discovery_key,
)
from ledgerlens.exceptions import ConfigurationError, DataError

BAKERY_VARIANTS = ["BOULANGERIE DU MARCHE 12", "BOULANGERIE DU MARCHE 3",
                   "BOULANGERIE DU MARCHE LYON", "BOULANGERIE DU MARC",
                   "BOULANGERIE DU MARCHE", "Boulangerie du Marché 7"]


def _rows(label: str, customers: list[str], *, per_customer: int = 3, mcc: str | None = None,
          subcategory: str | None = None, amount: float = -4.0, merchant_id: str | None = None,
          transaction_type: str = "card_in_store") -> list[dict[str, object]]:
    return [{"clean_label": label, "customer_id": c, "mcc": mcc, "subcategory": subcategory,
             "category": None, "amount": amount, "merchant_id": merchant_id,
             "transaction_type": transaction_type}
            for c in customers for _ in range(per_customer)]


def _frame() -> pl.DataFrame:
    rows: list[dict[str, object]] = []
    for i, label in enumerate(BAKERY_VARIANTS):
        rows += _rows(label, [f"c{i}", f"c{i + 10}"], mcc="5462", subcategory="bakery",
                      amount=-3.0 - i)
    rows += _rows("JEAN DUPONT", ["c1"], per_customer=30)                    # one customer
    rows += _rows("CARREFOUR CITY", [f"c{i}" for i in range(9)],
                  merchant_id="nsi:carrefour_city")                          # known merchant
    rows += _rows("MME MARTIN LOYER", [f"c{i}" for i in range(9)],
                  transaction_type="transfer_out")                          # not a card payment
    rows += _rows("LE PETIT ZINC", [f"c{i}" for i in range(2, 8)], mcc="5813",
                  subcategory="cafe_bar", amount=-2.5)
    schema = {"clean_label": pl.String, "customer_id": pl.String, "mcc": pl.String,
              "subcategory": pl.String, "category": pl.String, "amount": pl.Float64,
              "merchant_id": pl.String, "transaction_type": pl.String}
    return pl.DataFrame(rows, schema=schema)


def test_key_drops_digits_accents_and_payment_words() -> None:
    keys = pl.select(discovery_key(pl.Series(["Boulangerie du Marché 7", "CB PHARMA 2 X1234",
                                              None, "12/03"]))).to_series()
    assert keys.to_list() == ["BOULANGERIE DU MARCHE", "PHARMA X", "", ""]


def test_groups_bakery_variants_across_customers_and_drops_single_customer_names() -> None:
    found = discover_merchants(_frame(), min_customers=5, min_transactions=10)
    assert found.schema == pl.Schema(CANDIDATE_COLUMNS)
    names = found["name"].to_list()
    assert len(names) == 2
    bakery = found.filter(pl.col("name").str.starts_with("BOULANGERIE")).row(0, named=True)
    assert bakery["name"] == "BOULANGERIE DU MARCHE"
    assert bakery["n_customers"] == 12
    assert bakery["n_transactions"] == 3 * 2 * len(BAKERY_VARIANTS)
    assert (bakery["mcc"], bakery["category"], bakery["subcategory"]) == (
        "5462", "groceries", "bakery")
    assert set(bakery["aliases"]) == set(BAKERY_VARIANTS)
    assert len(bakery["examples"]) == 3
    assert set(bakery["examples"]) <= set(BAKERY_VARIANTS)
    assert bakery["amount_median"] == pytest.approx(
        float(pl.Series([-3.0 - i for i in range(len(BAKERY_VARIANTS))]).median()))
    everything = " ".join(" ".join(a) for a in found["aliases"].to_list())
    for absent in ("JEAN DUPONT", "CARREFOUR", "MARTIN"):
        assert absent not in everything


def test_min_customers_is_a_floor() -> None:
    zinc = discover_merchants(_frame(), min_customers=6, min_transactions=1)
    assert "LE PETIT ZINC" in zinc["name"].to_list()
    assert "LE PETIT ZINC" not in discover_merchants(_frame(), min_customers=7)["name"]
    with pytest.raises(ConfigurationError, match="min_customers must be at least 2"):
        discover_merchants(_frame(), min_customers=1)


def test_a_trade_word_alone_is_not_a_merchant() -> None:
    rows: list[dict[str, object]] = []
    owners = ["MARTIN", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT", "MICHEL"]
    for i, owner in enumerate(owners):  # seven different restaurants, cut to the trade word
        rows += _rows(f"RESTAURANT {owner}", [f"c{i}", f"d{i}"])
        rows += _rows("RESTAURANT", [f"c{i}"])
    found = discover_merchants(pl.DataFrame(rows), min_customers=5, min_transactions=1)
    assert "RESTAURANT" not in found["name"].to_list()


def test_candidates_do_not_depend_on_row_order() -> None:
    frame = _frame()
    first = discover_merchants(frame, min_customers=5)
    again = discover_merchants(frame.sample(fraction=1.0, shuffle=True, seed=3), min_customers=5)
    assert first.equals(again)


def test_bad_input_gives_empty_results_or_clear_errors() -> None:
    empty = discover_merchants(_frame().head(0))
    assert empty.height == 0
    assert empty.schema == pl.Schema(CANDIDATE_COLUMNS)
    odd = pl.DataFrame({"clean_label": [None, "", "Z" * 10_000, "\ufffd\ufffd"] * 5,
                        "customer_id": [f"c{i}" for i in range(20)]})
    assert discover_merchants(odd, min_customers=2, min_transactions=1).height <= 1
    with pytest.raises(DataError, match="needs customer_id and clean_label"):
        discover_merchants(pl.DataFrame({"label": ["X"]}))


def test_accepted_candidates_become_directory_rows() -> None:
    found = discover_merchants(_frame(), min_customers=5)
    ids = found["candidate_id"].to_list()
    rows = accept_candidates(found, ids)
    assert rows.schema == pl.Schema(DISCOVERED_COLUMNS)
    assert set(rows["source"]) == {"discovered"}
    assert all(m.startswith("disc:") for m in rows["merchant_id"])
    assert "disc:le-petit-zinc" in rows["merchant_id"].to_list()
    with pytest.raises(ConfigurationError, match=r"unknown candidate id.*cand:nope"):
        accept_candidates(found, ["cand:nope"])


def test_accepted_rows_load_into_the_merchant_directory() -> None:
    from ledgerlens.enrich.merchants import MerchantDirectory

    found = discover_merchants(_frame(), min_customers=5)
    directory = MerchantDirectory.from_frame(accept_candidates(found, found["candidate_id"]))
    assert directory.merchants.height == found.height


def test_finds_local_merchants_of_a_synthetic_bank_with_pure_candidates() -> None:
    from ledgerlens.enrich._clean import clean_labels

    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    truth = bank.ground_truth.select("transaction_id", pl.col("merchant_id").alias("truth"),
                                     "transaction_type", "subcategory")
    frame = clean_labels(bank.transactions.select(
        "transaction_id", "customer_id", "raw_label", "label_complement", "mcc",
        pl.col("amount").cast(pl.Float64))).join(truth, on="transaction_id")
    frame = frame.with_columns(
        merchant_id=pl.when(pl.col("truth").str.contains("^(nsi|cur):")).then("truth"))
    found = discover_merchants(frame, min_customers=3, min_transactions=5)
    assert found.height > 0
    members = (found.select("candidate_id", "aliases").explode("aliases")
               .join(frame.filter(pl.col("merchant_id").is_null()),
                     left_on="aliases", right_on="clean_label"))
    counts = members.group_by("candidate_id", "truth").len()
    majority = counts.group_by("candidate_id").agg(pl.col("len").max(), pl.col("len").sum()
                                                   .alias("total"))
    assert majority["len"].sum() / majority["total"].sum() >= 0.9   # purity
    assert members["truth"].str.starts_with("nsi:").sum() == 0
    local = (frame.filter(pl.col("truth").str.starts_with("loc:")
                          & pl.col("transaction_type").str.starts_with("card"))
             .group_by("truth").agg(pl.col("customer_id").n_unique().alias("nc"), pl.len())
             .filter((pl.col("nc") >= 3) & (pl.col("len") >= 5)))
    majority_of = (counts.sort("len", descending=True).group_by("candidate_id")
                   .agg(pl.col("truth").first()))["truth"]
    recall = local["truth"].is_in(majority_of.implode()).mean()
    assert recall is not None
    assert recall >= 0.8
