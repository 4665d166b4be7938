"""Behaviour of the category step: fit/predict, generalisation, abstention, rules, persistence."""

from __future__ import annotations

import copy
import io

import numpy as np
import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich.categories import (
    OUTPUT_COLUMNS,
    CategoryModel,
    NotFittedError,
    rule_subcategories,
    synthetic_training_frame,
)
from ledgerlens.enrich.categories._rules import line_word_rule, scope_mask
from ledgerlens.exceptions import ConfigurationError, DataError
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES


@pytest.fixture(scope="module")
def train_frame() -> pl.DataFrame:
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    return synthetic_training_frame(bank.transactions, bank.ground_truth, seed=7)


@pytest.fixture(scope="module")
def model(train_frame: pl.DataFrame) -> CategoryModel:
    return CategoryModel(max_iter=30, n_bits=20).fit(train_frame, train_frame["true_subcategory"])


def _one(label: str | None, **columns: object) -> pl.DataFrame:
    row: dict[str, object] = {
        "raw_label": label,
        "amount": -5.0,
        "transaction_type": "card_in_store",
        "mcc": None,
    }
    row.update(columns)
    return pl.DataFrame(
        [row],
        schema_overrides={"raw_label": pl.String, "mcc": pl.String, "transaction_type": pl.String},
    )


def test_predict_adds_consistent_taxonomy_columns(
    model: CategoryModel, train_frame: pl.DataFrame
) -> None:
    out = model.predict(train_frame)
    assert out.height == train_frame.height
    assert set(train_frame.columns) < set(out.columns)
    assert set(OUTPUT_COLUMNS) <= set(out.columns)
    assert set(out["category"].unique()) <= set(CATEGORIES)
    assert set(out["subcategory"].unique()) <= set(SUBCATEGORIES)
    parent = out["subcategory"].replace_strict({k: v.category for k, v in SUBCATEGORIES.items()})
    assert (parent == out["category"]).all()
    assert out["category_confidence"].is_between(0.0, 1.0).all()
    assert out["category_evidence"].null_count() == 0


def test_unseen_bank_is_mostly_right(model: CategoryModel) -> None:
    # Measured 0.97 L2 (4,160 rows, seed 99); a fall below 0.9 means a regression.
    bank = generate_bank(SynthConfig(customers=30, months=3, seed=99))
    frame = synthetic_training_frame(bank.transactions, bank.ground_truth, seed=99)
    out = model.predict(frame)
    assert (out["subcategory"] == frame["true_subcategory"]).mean() > 0.9


def test_a_label_seen_under_two_categories_is_learnt_in_proportion(
        train_frame: pl.DataFrame) -> None:
    # The same bare label, amount and context: 70 payments at the supermarket, 30 at its
    # fuel station. The model's confidence is about 0.7, not the certainty that learning
    # the majority only would give.
    mixed = pl.concat([_one("CB QWERTZMARKT 02/03", amount=-47.0)] * 100).with_columns(
        true_subcategory=pl.Series(["supermarket"] * 70 + ["fuel"] * 30))
    frame = pl.concat([train_frame, mixed], how="diagonal_relaxed")
    fitted = CategoryModel(max_iter=60, n_bits=20, calibration_share=0.0).fit(
        frame, frame["true_subcategory"])
    out = fitted.predict(_one("CB QWERTZMARKT 09/03", amount=-47.0))
    assert out["subcategory"].item() == "supermarket"
    assert 0.55 < out["category_confidence"].item() < 0.85


def test_an_owner_s_name_is_not_read_as_a_trade_word() -> None:
    # Common first and last names are dropped from the model's text; trade words that are
    # also surnames and names that are a merchant's own spelling stay.
    from ledgerlens.enrich.categories._features import model_text_expr
    from ledgerlens.enrich.categories._row import model_text

    labels = ["CB SAS LE ROUX 12/03", "CB BOULANGERIE MARTIN", "CB BOUCHERIE BOUCHER",
              "CB LECLERC 12/03", "VIR JEAN DUPONT LOYER"]
    table = pl.select(model_text_expr(pl.Series(labels))).to_series().to_list()
    assert table == ["SAS", "BOULANGERIE", "BOUCHERIE BOUCHER", "LECLERC", "LOYER"]
    assert [model_text(label) for label in labels] == table


def test_local_trade_words_generalise_to_unseen_names(model: CategoryModel) -> None:
    frame = pl.concat(
        [
            _one("CB BOULANGERIE DU MARCHE 28/11", mcc="5462"),
            _one("BOULANGERIE DU MARCHE"),
            _one("PAIEMENT CB PHARMACIE DES TILLEULS LYON", amount=-12.3),
            _one("CARTE X1234 BOUCHERIE DUPUIS 12/03", amount=-24.0),
        ]
    )
    out = model.predict(frame)
    assert out["subcategory"].to_list() == ["bakery", "bakery", "pharmacy", "butcher_fishmonger"]
    assert "BOULANGERIE" in out["category_evidence"][1]


def test_abbreviated_trade_word_is_understood(model: CategoryModel) -> None:
    out = model.predict(_one("BOUL DU MARCHE"))
    assert out["subcategory"].item() == "bakery"
    # The model read it (from the word, or its character n-grams when this small bank's
    # few BOUL labels leave the word's own weight pruned), and is not unsure.
    evidence = out["category_evidence"].item()
    assert evidence.startswith(("model: words BOUL", "model: context"))


def test_gibberish_card_payment_gets_a_low_confidence_context_guess_at_most() -> None:
    # The shipped model (this module's 60-customer model is too small to vouch for it).
    from ledgerlens.enrich import EnrichmentModel

    model = EnrichmentModel.default().categories
    # A name that says nothing: no word decides; the amount and the payment type alone may
    # guess, at a low confidence, and the evidence says so. On the 400-customer test bank
    # without MCC such context-only guesses at 0.3-0.4 are right 41 % of the time, at
    # 0.4-0.5 44 % (docs/experiments/0008); far above that would be a defect. At 5 EUR in
    # store the shipped model says bakery at 0.77 where bakeries are 47 % of such payments
    # at local shops: over-confident there (noted in experiments/0008), bounded here.
    for amount, bound in ((-25.0, 0.4), (-40.0, 0.4), (-5.0, 0.8)):
        out = model.predict(_one("QXZJW PLKRT VVBNQ", amount=amount))
        assert out["category_evidence"].item().startswith(("model: context", "model: unsure"))
        assert out["category_confidence"].item() < bound
    # Below the abstention bar it is "other", uncategorised (here at 40 EUR).
    out = model.predict(_one("QXZJW PLKRT VVBNQ", amount=-40.0))
    assert out["category_confidence"].item() < model.abstain_below
    assert (out["category"].item(), out["subcategory"].item()) == ("other", "uncategorised")
    assert out["category_evidence"].item().startswith("model: unsure")


def test_empty_label_without_context_abstains(model: CategoryModel) -> None:
    out = model.predict(_one("", transaction_type=None, amount=None))
    assert out["subcategory"].item() == "uncategorised"
    assert out["category_confidence"].item() == 0.0
    assert out["category_evidence"].item() == "rule: empty label"


def test_type_rules_decide_before_the_model(model: CategoryModel) -> None:
    frame = pl.concat(
        [
            _one("RETRAIT DAB 28/11 PARIS", transaction_type="cash_withdrawal", amount=-50.0),
            _one("RELEVE CARTE X1234 DIFF", transaction_type="deferred_card_total"),
            _one("FRAIS TENUE DE COMPTE", transaction_type="fee", amount=-2.0),
            _one("DEBLOCAGE PRET PERSONNEL", transaction_type="loan_disbursement",
                 amount=5000.0),
        ]
    )
    out = model.predict(frame)
    assert out["category"].to_list() == ["cash", "transfers", "bank_fees", "loans"]
    assert out["category_evidence"][0] == "rule: cash withdrawal"
    assert out["subcategory"][3] == "loan_disbursement"


def test_confident_merchant_gives_its_category(model: CategoryModel) -> None:
    frame = _one(
        "CB ZORGLUB 28/11",
        merchant_subcategory="supermarket",
        merchant_confidence=0.98,
        merchant_name="Zorglub",
    )
    out = model.predict(frame)
    assert out["subcategory"].item() == "supermarket"
    assert out["category_evidence"].item() == "merchant Zorglub -> supermarket"
    # a merchant less sure than the model's own answer does not decide
    unsure = model.predict(frame.with_columns(merchant_confidence=pl.lit(0.01)))
    assert unsure["category_confidence"].item() > 0.01
    assert not unsure["category_evidence"].item().startswith("merchant")


def test_round_trip_through_numpy_arrays_gives_identical_predictions(
    model: CategoryModel, train_frame: pl.DataFrame
) -> None:
    arrays, metadata = model.to_arrays()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        restored = CategoryModel.from_arrays(dict(loaded), metadata)
    sample = train_frame.head(500)
    before = model.predict(sample).select(OUTPUT_COLUMNS)
    after = restored.predict(sample).select(OUTPUT_COLUMNS)
    assert before.equals(after)


def test_bad_input_never_crashes(model: CategoryModel) -> None:
    frame = pl.DataFrame(
        {
            "raw_label": ["", None, "A" * 10_000, "CAF\ufffd \ufffd BAR", "   ", "12/11 1234"],
            "amount": [0.0, None, -3.0, -2.5, 1e12, float("nan")],
        }
    )
    out = model.predict(frame)
    assert out.height == frame.height
    assert out["subcategory"].null_count() == 0
    assert out["category_confidence"].is_between(0.0, 1.0).all()


def test_only_a_label_column_is_enough(model: CategoryModel) -> None:
    out = model.predict(pl.DataFrame({"raw_label": ["PHARMACIE DU CENTRE"]}))
    assert out["category"].item() in CATEGORIES


def test_empty_frame_gives_empty_output(model: CategoryModel) -> None:
    frame = pl.DataFrame(schema={"raw_label": pl.String, "amount": pl.Float64})
    out = model.predict(frame)
    assert out.height == 0
    assert set(OUTPUT_COLUMNS) <= set(out.columns)


def test_fit_rejects_unknown_subcategory_ids(train_frame: pl.DataFrame) -> None:
    labels = train_frame["true_subcategory"].clone()
    labels[0] = "groceries_and_more"
    with pytest.raises(DataError, match="groceries_and_more"):
        CategoryModel().fit(train_frame, labels)


def test_fit_rejects_labels_of_another_length(train_frame: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="values for"):
        CategoryModel().fit(train_frame, train_frame["true_subcategory"].head(3))


def test_invalid_parameter_is_named(train_frame: pl.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="abstain_below"):
        CategoryModel(abstain_below=2.0).fit(train_frame, train_frame["true_subcategory"])


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        CategoryModel().predict(pl.DataFrame({"raw_label": ["X"]}))


def test_from_arrays_rejects_foreign_metadata(model: CategoryModel) -> None:
    arrays, metadata = model.to_arrays()
    with pytest.raises(DataError, match="not a category model"):
        CategoryModel.from_arrays(arrays, {**metadata, "format": "something_else"})


def test_rules_use_type_then_mcc_then_keywords() -> None:
    frame = pl.DataFrame(
        {
            "raw_label": [
                "RETRAIT DAB PARIS",
                "CB CARREFOUR 12/11",
                "PRLV SEPA EDF CLIENTS",
                "QXZJW",
            ],
            "transaction_type": ["cash_withdrawal", "card_in_store", "direct_debit", None],
            "mcc": [None, "5541", None, None],
        }
    )
    out = rule_subcategories(frame, {"5541": "fuel"})
    assert out["rule_subcategory"].to_list() == ["cash_withdrawal", "fuel", "electricity", None]
    assert out["rule_evidence"].to_list()[:2] == ["rule: cash withdrawal", "rule: MCC 5541"]


def test_money_moved_by_transfer_is_never_a_bank_fee() -> None:
    # A bank takes its fees itself: COTISATION in a transfer to a music school is no card fee.
    classes = ["card_fees", "account_fees", "children_activities", "p2p_transfer"]
    mask = scope_mask(classes, np.array(["transfer_out", "direct_debit", "fee"]))
    assert mask.tolist() == [[False, False, True, True], [True] * 4,
                             [True, True, False, False]]


def test_the_model_never_reads_a_card_payment_as_a_move_between_own_accounts() -> None:
    # GITE DU MOULIN at 250 EUR had read as an own-account transfer: only the directory's
    # neobank line or the top-up rule says a card payment feeds the customer's own account.
    classes = ["own_account_transfer", "holiday_rentals", "p2p_transfer"]
    mask = scope_mask(classes, np.array(["card_in_store", "card_online", "transfer_out"]))
    assert mask.tolist() == [[False, True, True], [False, True, True], [True, True, True]]


@pytest.mark.parametrize("copies", [1, 3])  # a few rows on plain values; more by query
def test_line_words_choose_a_line_only_when_they_name_exactly_one(copies: int) -> None:
    frame = pl.DataFrame({
        "clean_label": ["SYNDIC CITYA", "CITYA", "CITYA LOYER ET SYNDIC", "EDF GAZ",
                        "CITYA IMMOBILIER CHARGES"],
        "merchant_id": ["m1", "m1", "m1", "m2", "m1"],
        "merchant_lines": ["building_charges|rent"] * 3 + ["electricity|gas_heating",
                                                           "building_charges|rent"],
        "category": ["housing"] * 3 + ["utilities", "housing"],
        "subcategory": ["rent"] * 3 + ["electricity", "rent"],
        "category_confidence": [0.9] * 5,
        "category_evidence": ["model"] * 5,
    })
    frame = pl.concat([frame] * copies)
    # EDF is the brand's own name (both lines spell it): it names no line; GAZ does, and a
    # property manager's CHARGES are the building's.
    names = {"m1": frozenset({"CITYA"}), "m2": frozenset({"EDF"})}
    out = line_word_rule(frame, lambda mid, lines: names[mid])
    assert out.schema == frame.schema
    assert out["subcategory"].to_list() == [
        "building_charges", "rent", "rent", "gas_heating", "building_charges"] * copies
    assert out["category"].to_list() == ["housing", "housing", "housing", "utilities",
                                         "housing"] * copies
    assert out["category_evidence"].to_list() == [
        'rule: line word "SYNDIC"', "model", "model", 'rule: line word "GAZ"',
        'rule: line word "CHARGES"'] * copies
    assert out["category_confidence"].to_list() == [0.95, 0.9, 0.9, 0.95, 0.95] * copies
    assert line_word_rule(frame.drop("merchant_lines"), lambda mid, lines: frozenset()).equals(
        frame.drop("merchant_lines"))


@pytest.mark.parametrize("copies", [1, 3])
def test_the_tax_office_s_income_tax_words_name_its_line(copies: int) -> None:
    # DGFIP and IMPOT are the office's name, which its property-tax line shares; REVENU
    # names the income tax, TF the property tax.
    frame = pl.DataFrame({
        "clean_label": ["DGFIP SOLDE IMPOT REVENU", "DGFIP TF 2025"],
        "merchant_id": ["m1", "m1"],
        "merchant_lines": ["income_tax|property_housing_tax"] * 2,
        "category": ["taxes"] * 2,
        "subcategory": ["property_housing_tax", "income_tax"],
        "category_confidence": [0.7] * 2,
        "category_evidence": ["model"] * 2,
    })
    out = line_word_rule(pl.concat([frame] * copies),
                         lambda mid, lines: frozenset({"DGFIP", "IMPOT"}))
    assert out["subcategory"].to_list() == ["income_tax", "property_housing_tax"] * copies


@pytest.mark.parametrize("copies", [1, 3])  # a few rows on plain values; more by query
def test_an_insurer_s_label_may_name_a_line_the_directory_does_not_list(copies: int) -> None:
    # MACIF insures cars, homes and health; ASSURANCE VIE is a life contract all the same. The
    # words of the insurer's own aliases (GAN VIE spells Groupama's health line) name none,
    # nor does a brand of one line (its name is its words: MUTUELLE DES MOTARDS).
    frame = pl.DataFrame({
        "clean_label": ["MACIF ASSURANCE VIE", "MACIF PREVOYANCE", "GROUPAMA GAN VIE",
                        "MUTUELLE DES MOTARDS", "MACIF HABITATION ET AUTO",
                        # the life company's name beside the contract's words
                        "MAAF VIE VERSEMENT PROGRAMME ASSURANCE VIE"],
        "merchant_id": ["m1", "m1", "m2", "m3", "m1", "m4"],
        "merchant_lines": ["car_insurance|home_insurance", None, None, None,
                           "car_insurance|health_insurance", "car_insurance|home_insurance"],
        "merchant_subcategory": [None, "car_insurance", "health_insurance", "car_insurance",
                                 None, None],
        "category": ["insurance"] * 6,
        "subcategory": ["car_insurance", "car_insurance", "health_insurance", "car_insurance",
                        "car_insurance", "car_insurance"],
        "category_confidence": [0.9] * 6,
        "category_evidence": ["model"] * 6,
    })
    frame = pl.concat([frame] * copies)
    words = {"m1": frozenset({"MACIF"}), "m2": frozenset({"GROUPAMA", "GAN", "VIE"}),
             "m3": frozenset(), "m4": frozenset({"MAAF"})}
    out = line_word_rule(frame, lambda mid, lines: words[mid])
    assert out["subcategory"].to_list() == [
        "life_insurance", "life_provident_insurance", "health_insurance", "car_insurance",
        "car_insurance", "life_insurance"] * copies
    assert out["category"].to_list()[:2] == ["savings_investments", "insurance"]
    assert out["category_evidence"].to_list()[:3] == [
        'rule: line word "ASSURANCE VIE"', 'rule: line word "PREVOYANCE"', "model"]


@pytest.mark.parametrize("copies", [1, 3])  # a few rows on plain values; more by query
def test_an_insurer_of_one_line_takes_the_line_words_outside_its_own_names(copies: int) -> None:
    # Credit Agricole Assurances is listed on its home line; AUTO, outside its own names,
    # names its car contract. MUTUELLE DES MOTARDS spells MUTUELLE in its own name, and
    # MGEN SANTE names the line it is on.
    frame = pl.DataFrame({
        "clean_label": ["CREDIT AGRICOLE ASSURANCES AUTO", "MUTUELLE DES MOTARDS",
                        "MGEN SANTE", "CREDIT AGRICOLE ASSURANCES"],
        "merchant_id": ["ca", "mdm", "mgen", "ca"],
        "merchant_lines": [None] * 4,
        "merchant_subcategory": ["home_insurance", "car_insurance", "health_insurance",
                                 "home_insurance"],
        "category": ["insurance"] * 4,
        "subcategory": ["home_insurance", "car_insurance", "health_insurance",
                        "home_insurance"],
        "category_confidence": [0.9] * 4,
        "category_evidence": ["model"] * 4,
    })
    frame = pl.concat([frame] * copies)
    own = {"ca": frozenset({"CREDIT", "AGRICOLE", "ASSURANCES", "CA"}),
           "mdm": frozenset({"MUTUELLE", "DES", "MOTARDS"}), "mgen": frozenset({"MGEN"})}
    out = line_word_rule(frame, lambda mid, lines: frozenset(), own.__getitem__)
    assert out["subcategory"].to_list() == [
        "car_insurance", "car_insurance", "health_insurance", "home_insurance"] * copies
    assert out["category_evidence"].to_list()[:2] == ['rule: line word "AUTO"', "model"]
    # Without its names' words, a brand of one line keeps the directory's line.
    kept = line_word_rule(frame, lambda mid, lines: frozenset())
    assert kept["subcategory"].to_list() == frame["subcategory"].to_list()


def test_fitted_model_pickles_for_spark_workers(
    model: CategoryModel, train_frame: pl.DataFrame
) -> None:
    import pickle

    restored = pickle.loads(pickle.dumps(model))
    sample = train_frame.head(200)
    assert model.predict(sample).equals(restored.predict(sample))


def test_brand_lines_limit_the_choice_to_the_brand_s_lines(model: CategoryModel) -> None:
    # A known chain without MCC: shop or fuel station, the model picks between the two only.
    frame = _one("CB INTERMARCHE 28/11", amount=-42.0, merchant_lines="fuel|supermarket")
    out = model.predict(frame)
    assert out["subcategory"].item() in {"fuel", "supermarket"}
    free = model.predict(_one("CB INTERMARCHE 28/11", amount=-42.0))
    assert free["subcategory"].item() in SUBCATEGORIES



def test_an_amount_among_a_brand_s_lines_is_a_feature_of_its_own() -> None:
    # What 60 EUR says between a brand's fuel station and its supermarket is learnt among
    # such labels, not from the amounts of every other class.
    from ledgerlens.enrich.categories._features import unique_keys

    frame = pl.DataFrame({"clean_label": ["AUCHAN", "AUCHAN"], "amount": [-60.0, -60.0],
                          "merchant_lines": ["fuel|supermarket", None]})
    keys, _ = unique_keys(frame, {})
    multi, single = keys.sort("lines", nulls_last=True)["context"].to_list()
    assert "ML_fuel+supermarket" in multi.split()
    assert "MA_fuel+supermarket_d5" in multi.split()
    assert "MER_multi" in multi.split()
    assert not any(tok.startswith(("ML_", "MA_")) for tok in single.split())


@pytest.mark.parametrize("copies", [1, 12], ids=["few rows", "table"])
def test_an_mcc_the_model_never_saw_reads_as_a_known_code_of_its_line(copies: int) -> None:
    # The synthetic banks print 5541 for fuel, never 5542 (automated dispensers): its token
    # had no weight and the MCC said nothing. A known code reads as itself.
    from ledgerlens.enrich._model import EnrichmentModel

    model = EnrichmentModel.default().categories
    read_as = model.mcc_read_as()
    assert read_as["5542"] == "5541"
    assert "5541" not in read_as
    frame = pl.DataFrame({"clean_label": ["KRYLOR"] * 2 * copies, "amount": [-50.0] * 2 * copies,
                          "mcc": ["5541", "5542"] * copies,
                          "transaction_type": ["card_in_store"] * 2 * copies})
    out = model.predict(frame).head(2)
    assert out["subcategory"].to_list() == ["fuel", "fuel"]


def test_an_intermediary_the_banks_never_print_reads_as_one_they_do() -> None:
    # The model never saw Mollie's or GoCardless's token: a shop's online checkout reads as
    # Stripe's, a direct-debit collector as none; the row path builds the same context.
    from ledgerlens.enrich.categories._features import unique_keys
    from ledgerlens.enrich.categories._row import _key

    frame = pl.DataFrame({"clean_label": ["LA FOURCHE"] * 3, "amount": [-54.0] * 3,
                          "intermediary": ["mollie", "gocardless", "sumup"]})
    keys, row_key = unique_keys(frame, {})
    contexts = [keys["context"][int(k)].split() for k in row_key]
    assert [next(t for t in c if t.startswith("I_")) for c in contexts] == [
        "I_stripe", "I_none", "I_sumup"]
    for row, context in zip(frame.iter_rows(named=True), contexts, strict=True):
        assert _key(row, "clean_label", True, {}).context.split() == context


def test_a_few_rows_decide_as_in_a_table() -> None:
    # Small frames take the plain-value path (_row.py): exactly the table path's output.
    from ledgerlens.enrich._model import EnrichmentModel
    from ledgerlens.enrich._train import label_steps
    from ledgerlens.enrich.categories._row import ROW_PATH_MAX_ROWS

    model = EnrichmentModel.default()
    bank = generate_bank(SynthConfig(customers=40, months=3, seed=11)).transactions
    frame = model.merchants.match(label_steps(bank))
    edges = frame.head(8).with_columns(
        clean_label=pl.Series(["", None, "CB Café de la Gare", "VIR 12/03",
                               "PRLV SEPA ÉLECTRICITÉ", "X" * 300, "CB VELO2", "CB SHOP"]),
        amount=pl.Series([0.0, None, float("-inf"), float("inf"), float("nan"), -1e9, -3.0,
                          -9.0]),
        merchant_lines=pl.Series([None, "fuel|supermarket", None, None, "x|y", None, None,
                                  None]),
        # A merchant's name of any script, or empty, is only shown in the evidence.
        merchant_name=pl.Series([*frame["merchant_name"].head(6), "VélO²", ""]),
        merchant_subcategory=pl.Series([*frame["merchant_subcategory"].head(6),
                                        "bike_scooter_sharing", "clothing_shoes"]),
        merchant_confidence=pl.Series([*frame["merchant_confidence"].head(6), 0.999, 0.999]),
        transaction_type=pl.Series([*frame["transaction_type"].head(6), "card_in_store",
                                    "card_in_store"]),
    )
    frame = pl.concat([frame.sample(1500, seed=1), edges], how="vertical_relaxed")
    # One row alone has no shop profile (a label needs 6 payments in the batch): compare
    # with the table path of a batch read without profiles.
    categories = copy.copy(model.categories)
    categories.profile_min_rows = 0
    table = categories.predict(frame)
    assert frame.height > ROW_PATH_MAX_ROWS
    rows = pl.concat([model.categories.predict(frame.slice(i, 1))
                      for i in range(frame.height)])
    assert rows.select(OUTPUT_COLUMNS).equals(table.select(OUTPUT_COLUMNS))
    assert rows["category_evidence"].tail(2).to_list() == [
        "merchant VélO² -> bike_scooter_sharing", "merchant  -> clothing_shoes"]


def test_calibration_leaves_out_whole_rare_texts_only() -> None:
    texts = pl.Series([f"SHOP {i // 3}" for i in range(3000)] + ["CARREFOUR"] * 500)
    weight = np.ones(texts.len())
    calib = CategoryModel(calibration_share=0.2)._calibration_keys(texts, weight)
    picked = pl.DataFrame({"t": texts, "c": calib})
    per_text = picked.group_by("t").agg(pl.col("c").all(), pl.col("c").any().alias("some"))
    assert per_text.filter(pl.col("some") != pl.col("c")).height == 0  # a text: all or none
    assert not picked.filter(pl.col("t") == "CARREFOUR")["c"].any()  # frequent: always fitted
    assert 0.15 < picked.filter(pl.col("t") != "CARREFOUR")["c"].mean() < 0.25


def test_merchant_dropout_copies_keys_without_their_merchant() -> None:
    keys = pl.DataFrame({"text": ["BOULANGERIE", "LE ZINC"],
                         "context": ["T_card_in_store M_5462 MS_bakery MER_bakery A_d2",
                                     "T_card_in_store M_none MS_none MER_none A_d3"],
                         "profile": ["", ""]})
    y, weight = np.array(["bakery", "cafe_bar"]), np.ones(2)
    model = CategoryModel(mcc_dropout=0.0, merchant_dropout=1.0)
    out, out_y, out_w = model._dropout_copies(keys, y, weight, np.random.default_rng(0))
    assert out["context"].to_list()[2:] == ["T_card_in_store M_5462 MS_bakery MER_none A_d2"]
    assert out_y.tolist() == ["bakery", "cafe_bar", "bakery"]
    assert out_w.size == 3
    with pytest.raises(ConfigurationError, match="merchant_dropout"):
        CategoryModel(merchant_dropout=1.5).fit(pl.DataFrame({"clean_label": ["X"]}), ["bakery"])


@pytest.mark.parametrize("copies", [1, 20])
def test_money_in_from_a_health_insurer_is_a_reimbursement(model: CategoryModel,
                                                           copies: int) -> None:
    # A mutuelle debits premiums and pays back care: the same merchant, two categories.
    insurer = {"merchant_subcategory": "health_insurance", "merchant_confidence": 0.999,
               "merchant_name": "Harmonie Mutuelle"}
    paid = _one("VIR HARMONIE MUTUELLE REMBT", amount=23.5, transaction_type="transfer_in",
                **insurer)
    premium = _one("PRLV SEPA HARMONIE MUTUELLE", amount=-56.0,
                   transaction_type="direct_debit", **insurer)
    assert model.predict(pl.concat([paid] * copies))["subcategory"].unique().to_list() == [
        "health_reimbursement"]
    assert model.predict(pl.concat([premium] * copies))["subcategory"].unique().to_list() == [
        "health_insurance"]


def test_money_in_from_a_bank_is_not_a_fee(model: CategoryModel) -> None:
    # A bank's directory line is its fees; the interest it pays is for the label to say.
    bank = {"merchant_subcategory": "card_fees", "merchant_confidence": 0.999,
            "merchant_name": "Caisse d'Epargne"}
    paid = model.predict(_one("VIR CAISSE D EPARGNE INTERETS", amount=12.4,
                              transaction_type="transfer_in", **bank))
    assert paid["subcategory"].item() != "card_fees"
    assert paid["category_evidence"].item().startswith("model")


def test_money_sent_by_transfer_to_a_bank_is_not_a_fee(model: CategoryModel) -> None:
    bank = {"merchant_subcategory": "card_fees", "merchant_confidence": 0.999,
            "merchant_name": "BoursoBank"}
    sent = model.predict(_one("VIR SEPA BOURSORAMA PEA", amount=-500.0,
                              transaction_type="transfer_out", **bank))
    assert sent["subcategory"].item() != "card_fees"
    assert sent["category_evidence"].item().startswith("model")


@pytest.mark.parametrize("copies", [1, 20])
def test_a_merchant_surer_than_the_model_decides(model: CategoryModel, copies: int) -> None:
    # Under the merchant threshold, the merchant's line decides when it is surer than the
    # model's own answer (read with the merchant's context), and only then.
    for label, m_conf, by_merchant in (("CB ZORGLUB 28/11", 0.75, True),
                                       ("CB BOULANGERIE PATISSERIE", 0.85, False)):
        frame = _one(label, merchant_subcategory="pets", merchant_confidence=m_conf,
                     merchant_name="Zorglub")
        keys, row_key = model.predict_keys(frame)
        own = float(keys["category_confidence"][int(row_key[0])])
        assert (m_conf > own) == by_merchant  # the model's own answer, without the rule
        out = model.predict(pl.concat([frame] * copies))
        if by_merchant:
            assert out["category_evidence"].unique().to_list() == ["merchant Zorglub -> pets"]
            assert out["category_confidence"].unique().to_list() == [m_conf]
        else:
            assert out["subcategory"].unique().to_list() == ["bakery"]
            assert out["category_confidence"].unique().to_list() == [own]


def test_the_model_never_answers_what_only_a_type_decides() -> None:
    from ledgerlens.enrich.categories._rules import TYPE_ONLY, scope_mask

    classes = list(SUBCATEGORIES)
    types = np.array(["direct_debit", "card_in_store", "transfer_in", "fee", "cash_deposit"])
    mask = scope_mask(classes, types)
    only = np.isin(classes, TYPE_ONLY)
    assert set(TYPE_ONLY) == {"cash_withdrawal", "cash_deposit", "cheque", "deferred_card_total",
                              "loan_disbursement"}
    assert not mask[:3][:, only].any()  # a direct debit is never a cash deposit
    assert mask[3].sum() > 0
    assert mask[4][only].all()  # types of their own: the type rules answer before the model


def test_one_busy_local_shop_s_name_cannot_outweigh_many_shops() -> None:
    from ledgerlens.enrich.categories._model import _capped_shop_texts

    texts = pl.Series(["AU ZINC DORE"] * 3 + ["BOULANGERIE MARTIN", "", "CARREFOUR MARKET"])
    weight = np.array([6.0, 4.0, 2.0, 3.0, 9.0, 30.0])
    shop = np.array([True, True, True, True, True, False])
    out = _capped_shop_texts(texts, weight, shop, 8.0)
    assert out[:3].sum() == pytest.approx(8.0)  # the busy shop's keys, scaled together
    assert out[0] / out[2] == pytest.approx(3.0)  # ... keeping their proportions
    assert out[3] == 3.0  # under the cap: left alone
    assert out[4] == 9.0  # a key without text teaches its context
    assert out[5] == 30.0  # a chain's text is the signal itself: not capped


def test_local_shop_flags_must_match_the_rows(train_frame: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="local_shop has 1 values"):
        CategoryModel(max_iter=5).fit(train_frame, train_frame["true_subcategory"],
                                      local_shop=pl.Series([True]))


def test_a_weak_merchant_hint_gives_its_own_token_on_both_paths() -> None:
    # A candidate under SURE_HINT still gives its line (MH_), marked weak (MHW_) so that the
    # model learns how far to trust it; a sure one's line and no hint are as before. The
    # one-row path builds the same context as the table path.
    from ledgerlens.enrich.categories._features import unique_keys
    from ledgerlens.enrich.categories._row import _key

    frame = pl.DataFrame({
        "clean_label": ["LECLERC GUIPAVAS", "MAISONS DU MONDE", "ETS MARTIN"],
        "transaction_type": ["card_in_store"] * 3,
        "amount": [-77.4, -80.0, -5.0],
        "merchant_confidence": [0.46, 0.98, None],
        "merchant_subcategory": [None, None, None],
        "merchant_hint": ["supermarket", "furniture_home_equipment", None],
    }, schema_overrides={"merchant_subcategory": pl.String})
    keys, row_key = unique_keys(frame, {})
    table = keys["context"].gather(row_key).to_list()
    rows = [_key(row, "clean_label", True, {}).context for row in frame.iter_rows(named=True)]
    assert rows == table
    tokens = [set(context.split()) for context in table]
    assert {"MH_supermarket", "MHW_supermarket"} <= tokens[0]
    assert "MH_furniture_home_equipment" in tokens[1]
    assert not any(t.startswith("MHW_") for t in tokens[1] | tokens[2])
    assert "MH_none" in tokens[2]
