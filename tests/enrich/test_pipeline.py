"""``enrich``: one pure function from a table to the same table with enrichment columns."""

from __future__ import annotations

import datetime as dt
import pickle

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich import (
    ENRICHMENT_COLUMNS,
    Correction,
    CorrectionSet,
    EnrichmentModel,
    enrich,
    enrich_with_streams,
)
from ledgerlens.schema import TRANSACTION_TYPES
from ledgerlens.taxonomy import CATEGORIES, SUBCATEGORIES


@pytest.fixture(scope="module")
def bank_tx() -> pl.DataFrame:
    return generate_bank(SynthConfig(customers=40, months=4, seed=21)).transactions


@pytest.fixture(scope="module")
def enriched(bank_tx: pl.DataFrame) -> pl.DataFrame:
    return enrich(bank_tx)


def test_adds_every_enrichment_column_and_keeps_the_input(bank_tx: pl.DataFrame,
                                                          enriched: pl.DataFrame) -> None:
    assert enriched.height == bank_tx.height
    assert enriched.columns == [*bank_tx.columns, *ENRICHMENT_COLUMNS]
    assert enriched.select(bank_tx.columns).equals(bank_tx)


def test_outputs_stay_in_their_vocabularies(enriched: pl.DataFrame) -> None:
    assert set(enriched["transaction_type"].unique()) <= set(TRANSACTION_TYPES)
    assert set(enriched["category"].unique()) <= set(CATEGORIES)
    assert set(enriched["subcategory"].unique()) <= set(SUBCATEGORIES)
    conf = enriched["category_confidence"]
    assert conf.null_count() == 0
    assert conf.min() >= 0.0  # type: ignore[operator]
    assert conf.max() <= 1.0  # type: ignore[operator]
    assert enriched["explanation"].null_count() == 0
    assert (enriched["explanation"].str.len_chars() > 0).all()


def test_a_returned_merchant_comes_with_its_name_and_evidence(enriched: pl.DataFrame) -> None:
    found = enriched.filter(pl.col("merchant_id").is_not_null())
    assert found.height > 0
    assert found["merchant_name"].null_count() == 0
    assert found["explanation"].str.contains("->").all()


def test_same_input_same_output(bank_tx: pl.DataFrame, enriched: pl.DataFrame) -> None:
    assert enrich(bank_tx).equals(enriched)


def test_a_table_read_in_pieces_gives_the_same_answer(bank_tx: pl.DataFrame,
                                                      enriched: pl.DataFrame) -> None:
    half = bank_tx.height // 2
    pieces = pl.concat([bank_tx.slice(0, half), bank_tx.slice(half)], rechunk=False)
    assert pieces["raw_label"].n_chunks() == 2  # as a file is read: in several chunks
    assert enrich(pieces).equals(enriched)


def test_work_split_over_threads_gives_the_same_answer(
        bank_tx: pl.DataFrame, enriched: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerlens.enrich import _parallel

    # Slices of 50 distinct labels or keys, three at a time: every split step cuts its work.
    monkeypatch.setattr(_parallel, "MIN_PART_ROWS", 50)
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: 3)
    assert _parallel.parts_count(bank_tx.height) == 3
    assert enrich(bank_tx).equals(enriched)


def test_one_plain_transaction() -> None:
    out = enrich(pl.DataFrame({"date": ["2025-03-12"], "amount": ["-54,20"],
                               "label": ["PRLV SEPA EDF SA"], "my_id": [7]}))
    row = out.row(0, named=True)
    assert row["my_id"] == 7
    assert row["transaction_type"] == "direct_debit"
    assert row["is_recurring"] is False


@pytest.mark.parametrize("rows", [1, 3])
def test_a_party_given_apart_from_a_bare_label_is_read_as_the_label_s_name(rows: int) -> None:
    # An aggregator's or a PSD2 API's export: the remittance text names no one, the
    # counterparty column does (the model had read no word at all: other at 0.24).
    frame = pl.DataFrame({"date": ["2025-03-12"] * 3, "amount": [-6.4, -80.0, 23.0],
                          "label": ["Achat CB", "PRLV SEPA", "Remboursement"],
                          "counterparty_name": ["BOULANGERIE DU PARC", "EDF SA",
                                                "CPAM DE PARIS"]}).head(rows)
    out = enrich(frame)
    assert out["subcategory"].to_list() == ["bakery", "electricity",
                                            "health_reimbursement"][:rows]
    assert out["clean_label"][0] == "BOULANGERIE DU PARC"
    if rows > 1:
        assert out["merchant_name"][1] == "EDF"


@pytest.mark.parametrize("rows", [1, 4])
def test_a_p2p_app_paid_with_nothing_behind_it_is_a_transfer_to_a_person(rows: int) -> None:
    # A card top-up of Lydia: no shop behind the app, whatever the card context suggests; a
    # hairdresser called Lydia stays a hairdresser.
    labels = ["CB LYDIA 26/11", "PAIEMENT CB LYDIA SOLUTIONS", "CB LYDIA COIFFURE 26/11",
              "CB CARREFOUR 12/03"][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": [-15.0] * rows,
                               "label": labels}))
    # By the P2P-app rule, or by the app's own directory entry when the scorer returns it.
    assert out["subcategory"][0] == "p2p_transfer"
    assert "lydia" in out["explanation"][0].lower()
    if rows > 1:
        assert out["subcategory"].to_list()[1:3] == ["p2p_transfer", "hairdresser"]


@pytest.mark.parametrize("rows", [1, 4])
def test_a_p2p_app_paid_to_a_friend_the_model_cannot_read_is_a_transfer_to_a_person(
        rows: int) -> None:
    # A friend's name behind the app (the model had read nothing in MARTIN JULIE, 0.13);
    # a reason the model reads surely keeps its line.
    # A friend called Paul is not the Paul bakeries.
    labels = ["CB PAYLIB*MARTIN JULIE", "CB LYDIA*MARIE DUPONT",
              "VIR SEPA EMIS /VERS LYDIA SOLUTIONS /MOTIF LOYER", "CB LYDIA 0903 PAUL MARTIN"]
    labels = labels[:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": [-20.0] * rows,
                               "label": labels}))
    assert out["intermediary"].to_list() == ["paylib", "lydia", "lydia", "lydia"][:rows]
    assert out["subcategory"].to_list()[:2] == ["p2p_transfer", "p2p_transfer"][:rows]
    assert out["merchant_id"].to_list() == [None] * rows
    if rows > 2:
        assert out["subcategory"].to_list()[2:] == ["rent", "p2p_transfer"]


@pytest.mark.parametrize("rows", [1, 4])
def test_a_person_behind_an_online_checkout_is_paid_as_a_person(rows: int) -> None:
    # Two names, or a first name glued to a surname as the wallet squeezes an account
    # holder's name (JEANDUPONT had read as a video game at 0.69); a lone name may be a
    # shop's, and a known shop stays itself.
    labels = ["CB PAYPAL *JEANDUPONT", "CB PAYPAL *JEAN DUPONT", "CB PAYPAL *PAULETTE",
              "CB PAYPAL *SPOTIFY"][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": [-30.0] * rows,
                               "label": labels}))
    assert out["subcategory"][0] == "p2p_transfer"
    assert "person behind the online checkout" in out["explanation"][0]
    if rows > 1:
        assert out["subcategory"].to_list()[1:] == ["p2p_transfer", "uncategorised",
                                                    "streaming_digital"]


@pytest.mark.parametrize("rows", [1, 4])
def test_an_online_checkouts_own_debit_is_an_online_purchase_of_unknown_shop(rows: int) -> None:
    # PayPal's direct debit names no shop: the model read an insurer in EUROPE (0.68) and
    # the spaced legal form's ``C A`` spelt C&A. It is PayPal's line at half confidence;
    # PayPal paying money out is no purchase, and a shop behind PayPal keeps its own line.
    labels = ["PRLV SEPA PAYPAL EUROPE S.A.R.L. ET CIE S.C.A 1039658283422 PAYPAL",
              "PRLV PAYPAL EUROPE SARL", "VIR SEPA PAYPAL EUROPE", "CB PAYPAL *STEAM"][:rows]
    amounts = [-60.0, -20.0, 50.0, -10.0][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": amounts,
                               "label": labels}))
    first = out.row(0, named=True)
    assert (first["intermediary"], first["subcategory"]) == ("paypal", "marketplace")
    assert first["category_confidence"] == pytest.approx(0.5)
    assert first["merchant_name"] != "C&A"
    assert "online checkout paypal" in first["explanation"]
    if rows > 1:
        rest = out.slice(1)
        assert rest["subcategory"].to_list()[0] == "marketplace"
        assert "online checkout" not in rest["explanation"][1]
        assert (rest["merchant_name"][2], rest["subcategory"][2]) == ("Steam", "video_games")


@pytest.mark.parametrize("rows", [1, 3])
def test_an_online_wallet_paying_out_its_balance_moves_the_customer_s_own_money(
        rows: int) -> None:
    # The model read a marketplace purchase at 1.0; a refund says so and keeps its reading.
    out = _enriched_cycle(["VIR SEPA RECU /DE PAYPAL EUROPE /MOTIF RETRAIT",
                           "VIR PAYPAL REMBOURSEMENT", "PRLV PAYPAL EUROPE SARL"],
                          [80.0, 35.0, -20.0], rows, "2025-11-28")
    first = out.row(0, named=True)
    assert (first["intermediary"], first["subcategory"]) == ("paypal", "own_account_transfer")
    assert first["category_confidence"] == pytest.approx(0.6)
    assert "online wallet paid out" in first["explanation"]
    if rows > 1:
        assert "wallet" not in out["explanation"][1]
        assert out["subcategory"][2] == "marketplace"


@pytest.mark.parametrize("rows", [1, 3])
def test_a_card_processors_payout_is_the_shop_owners_income(rows: int) -> None:
    # A terminal's takings paid to the shop owner's account, the processor's name alone
    # (the model read a marketplace purchase in PAYMENTS at 0.99); a shop paid through the
    # processor keeps its own reading.
    out = _enriched_cycle(["VIR SEPA RECU /DE SUMUP PAYMENTS /MOTIF PAYOUT",
                           "VIR SEPA RECU /DE STRIPE PAYMENTS EUROPE /MOTIF STRIPE PAYOUT",
                           "CB SUMUP *BOULANGERIE DU PARC"], [310.0, 95.0, -6.0], rows,
                          "2025-11-28")
    assert out.row(0, named=True)["subcategory"] == "other_income"
    assert "card takings paid out" in out["explanation"][0]
    if rows > 1:
        assert out["subcategory"].to_list()[1:] == ["other_income", "bakery"]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_salary_s_employer_is_its_payer_not_a_merchant(rows: int) -> None:
    # Decathlon paying a salary is no purchase at Decathlon; a benefit keeps its public
    # payer's entry, and the chain's own card payment its merchant.
    labels = ["VIR SEPA RECU /DE DECATHLON SE /MOTIF SALAIRE", "VIR SEPA CAF DE PARIS",
              "CB DECATHLON 12/03"][:rows]
    amounts = [2100.0, 200.0, -40.0][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": amounts,
                               "label": labels}))
    first = out.row(0, named=True)
    assert (first["income_type"], first["income_payer"]) == ("salary", "DECATHLON SE")
    assert first["merchant_name"] is None
    assert "Decathlon" not in first["explanation"]
    if rows > 1:
        assert out["merchant_name"].to_list()[1:] == ["CAF", "Decathlon"]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_biller_paying_back_by_transfer_keeps_its_line(rows: int) -> None:
    # EDF in a transfer is too unsure to return (employers are named like billers), and the
    # model read REMBOURSEMENT as a friend paying back; the biller's words and the refund
    # word say electricity. A person paying back stays a transfer between people.
    labels = ["VIR EDF REMBOURSEMENT", "VIR SEPA M DUPONT REMBOURSEMENT",
              "VIR SEPA RECU /DE EDF /MOTIF REMBOURSEMENT"][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": [45.0] * rows,
                               "label": labels}))
    first = out.row(0, named=True)
    assert first["subcategory"] == "electricity"
    # By the rule when EDF is too unsure to return, or by EDF's own entry when it is.
    assert ("refund from a biller of electricity" in first["explanation"]
            or first["merchant_name"] == "EDF")
    if rows > 1:
        assert out["subcategory"].to_list()[1:] == ["p2p_transfer", "electricity"]


@pytest.mark.parametrize("rows", [2, 12])
def test_the_biller_refund_rule_reads_the_unsure_candidate_s_line(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import biller_refund_rule

    # Money in, a refund word, an unsure biller candidate: the biller's line. A candidate
    # that was returned, a debit, or no refund word: left alone.
    base = {"transaction_type": ["transfer_in", "transfer_in", "transfer_in", "direct_debit"],
            "clean_label": ["EDF REMBOURSEMENT", "ORANGE REMBT", "EDF", "EDF REMBOURSEMENT"],
            "merchant_id": [None, "cur:orange", None, None],
            "merchant_hint": ["electricity", None, "electricity", "electricity"],
            "category": ["transfers"] * 4, "subcategory": ["p2p_transfer"] * 4,
            "category_confidence": [0.95] * 4, "category_evidence": ["model"] * 4}
    frame = pl.DataFrame({k: (v * rows)[:rows * 4] for k, v in base.items()})
    out = biller_refund_rule(frame)
    assert out["subcategory"].to_list()[:4] == ["electricity", "p2p_transfer", "p2p_transfer",
                                               "p2p_transfer"]
    assert out["category"][0] == "utilities"
    assert out["category_evidence"][0] == "rule: refund from a biller of electricity"
    assert out.columns == frame.columns


@pytest.mark.parametrize("rows", [1, 3])
def test_a_name_that_ends_in_a_town_keeps_it_and_finds_its_merchant(rows: int) -> None:
    labels = ["CB TAN NANTES 12/03", "PRLV SEPA EAU DU GRAND LYON", "CB KIKO MILANO 12/03"]
    out = enrich(pl.DataFrame({"date": ["2025-11-28"] * rows, "amount": [-12.0] * rows,
                               "label": labels[:rows]}))
    assert out["merchant_name"].to_list() == ["Naolib", "Eau du Grand Lyon",
                                              "KIKO Milano"][:rows]
    assert out["clean_label"][0] == "TAN NANTES"
    if rows > 1:
        assert out["transaction_type"][2] != "card_abroad"


def test_a_neobank_top_up_is_money_between_own_accounts_not_a_saving() -> None:
    # The banks' own-account moves mostly feed savings: a top-up has no word the model
    # knows, and must not read as one. A standing order to a savings book still does.
    out = enrich(pl.DataFrame({
        "date": ["2025-11-28"] * 4, "amount": [100.0, 50.0, -100.0, -100.0],
        "label": ["Top-up by *1234", "Apple Pay Top-Up by *4411", "VIR PERMANENT LIVRET A",
                  "Exchanged to EUR"]}))
    assert out["transaction_type"].to_list() == ["own_account_transfer"] * 4
    assert out["subcategory"].to_list() == ["own_account_transfer", "own_account_transfer",
                                            "savings_transfer", "own_account_transfer"]
    assert out["explanation"][0].startswith("rule: top-up")


@pytest.mark.parametrize("copies", [1, 3], ids=["few rows", "frame"])
def test_a_card_payment_that_names_no_shop_is_uncategorised(copies: int) -> None:
    # No shop in the label (the bank's words, a card number, a date, a French town alone, a
    # surname and a letter) and no merchant, intermediary or MCC: nothing says what was
    # bought. A shop's words, a
    # store number glued to a name, a restaurant named after a foreign city and an MCC do.
    labels = ["Achat CB", "CARTE X1234 12/03", "CB 12/03 PARIS 15", "CB NANTES 12/03",
              "PAIEMENT PAR CARTE X4821 LEROY M", "CB BOULANGERIE DUPONT",
              "CB AURELAISROYAL00000MONT", "CB 12/03 TOKYO", "CB 12/03 LYON",
              "PAIEMENT PSC 1306 CHARLEVILLE MEZIERES BOULANGER D",
              "PAIEMENT PAR CARTE X3485 L EUROPEEN"]
    mccs = [None] * 8 + ["5411", None, None]
    n = len(labels)
    out = enrich(pl.DataFrame({"date": ["2025-03-12"] * n * copies,
                               "amount": [-5.0] * n * copies, "label": labels * copies,
                               "mcc": mccs * copies})).head(n)
    sub = out["subcategory"].to_list()
    assert sub[:5] == ["uncategorised"] * 5
    assert out["category_confidence"].to_list()[:5] == [0.0] * 5
    assert out["explanation"][0].startswith("rule: no shop named")
    assert sub[5] == "bakery"
    # a name glued to a number, a foreign city, an MCC, a baker named by his trade and an
    # initial, a bar named like a bank's word: read by the model
    assert all("no shop named" not in e for e in out["explanation"].to_list()[6:])


@pytest.mark.parametrize("rows", [1, 12])
def test_a_returned_transfer_is_a_transfer_when_the_model_is_unsure(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import returned_transfer_rule

    # A reversal naming a transfer, no merchant, a model below 0.9 (a car at 0.66): a
    # transfer returned. A sure reading (rent from LOYER), a merchant, a card reversal or a
    # transfer in: left.
    base = {"transaction_type": ["reversal", "reversal", "reversal", "reversal", "transfer_in"],
            "raw_label": ["ANNULATION VIR SEPA M DUPONT", "RETOUR VIREMENT LOYER MARS",
                          "REJET VIR FREE", "ANNULATION CB FNAC", "VIR SEPA M DUPONT"],
            "merchant_id": [None, None, "cur:free", None, None],
            "category": ["shopping", "housing", "utilities", "shopping", "shopping"],
            "subcategory": ["second_hand", "rent", "internet_tv", "second_hand",
                            "second_hand"],
            "category_confidence": [0.66, 1.0, 0.4, 0.33, 0.33],
            "category_evidence": ["model"] * 5}
    frame = pl.DataFrame({k: (v * rows)[:rows * 5] for k, v in base.items()})
    out = returned_transfer_rule(frame)
    assert out["subcategory"].to_list()[:5] == ["p2p_transfer", "rent", "internet_tv",
                                               "second_hand", "second_hand"]
    assert out["category"][0] == "transfers"
    assert out["category_evidence"][0] == "rule: transfer returned"
    assert out.columns == frame.columns


@pytest.mark.parametrize("rows", [1, 12])
def test_a_health_insurer_read_on_money_received_is_care_paid_back(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import transfer_line_rule

    # The model's health insurer on a transfer received: a reimbursement, as a known
    # mutuelle's line is. Its premium by direct debit, a transfer sent, another line: left.
    base = {"transaction_type": ["transfer_in", "instant_transfer_in", "direct_debit",
                                 "transfer_out", "transfer_in"],
            "category": ["insurance", "insurance", "insurance", "insurance", "income"],
            "subcategory": ["health_insurance", "health_insurance", "health_insurance",
                            "health_insurance", "salary"],
            "category_confidence": [0.99, 0.6, 0.99, 0.99, 0.9],
            "category_evidence": ["model: words SANTE MUTUELLE (0.99)"] * 5}
    frame = pl.DataFrame({k: (v * rows)[:rows * 5] for k, v in base.items()})
    out = transfer_line_rule(frame)
    assert out["subcategory"].to_list()[:5] == ["health_reimbursement", "health_reimbursement",
                                               "health_insurance", "health_insurance",
                                               "salary"]
    assert out["category"][0] == "health"
    assert out["category_evidence"][0].startswith("model: words SANTE MUTUELLE (0.99); rule:")
    assert out.columns == frame.columns
    one = enrich(pl.DataFrame({"date": ["2025-03-12"], "amount": [18.5], "label": [
        "VIR SEPA RECU /DE MUTUELLE DES LILAS /MOTIF PRESTATIONS SANTE"]}))
    assert one["subcategory"][0] == "health_reimbursement"


@pytest.mark.parametrize("rows", [1, 12])
def test_a_large_transfer_to_a_car_dealer_is_a_car_bought(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import dealer_purchase_rule

    # A transfer of 3,000 EUR or more to a dealer of the servicing line read as servicing:
    # a car. Under that, by card, or without a merchant (a body shop): left.
    base = {"transaction_type": ["transfer_out", "transfer_out", "card_in_store",
                                 "transfer_out"],
            "amount": [-15000.0, -450.0, -3200.0, -4000.0],
            "merchant_id": ["nsi:peugeot", "nsi:peugeot", "nsi:peugeot", None],
            "merchant_subcategory": ["vehicle_maintenance"] * 3 + [None],
            "category": ["transport"] * 4, "subcategory": ["vehicle_maintenance"] * 4,
            "category_confidence": [0.8] * 4, "category_evidence": ["model"] * 4}
    frame = pl.DataFrame({k: v * rows for k, v in base.items()})
    out = dealer_purchase_rule(frame)
    assert out["subcategory"].to_list()[:4] == ["vehicle_purchase_rental", "vehicle_maintenance",
                                               "vehicle_maintenance", "vehicle_maintenance"]
    assert out["category_evidence"][0] == "rule: a car bought from its dealer"
    assert out.columns == frame.columns


@pytest.mark.parametrize("rows", [1, 8])
def test_an_opening_trade_word_before_a_link_word_decides_a_card_payment(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import trade_word_rule

    # A shop named after the place it stands by (PIZZERIA DU PARKING, BAR DE LA PHARMACIE)
    # is of its opening trade, however surely the model read the place's word; not a
    # direct debit (a student residence's rent: CROUS DE RENNES) nor an elided D
    # (RESTAURANT D ENTREPRISE: a company's canteen).
    base = {"transaction_type": ["card_in_store", "card_contactless", "direct_debit",
                                 "card_in_store"],
            "merchant_text": ["PIZZERIA DU PARKING", "BAR DE LA PHARMACIE", "CROUS DE RENNES",
                              "RESTAURANT D ENTREPRISE"],
            "merchant_id": [None] * 4,
            "category": ["transport", "health", "housing", "food_and_drink"],
            "subcategory": ["parking", "pharmacy", "rent", "canteen"],
            "category_confidence": [0.95, 1.0, 0.97, 0.99],
            "category_evidence": ["model"] * 4}
    frame = pl.DataFrame({k: (v * rows)[:rows] for k, v in base.items()})
    out = trade_word_rule(frame)
    assert out["subcategory"].to_list()[:4] == ["restaurant", "cafe_bar", "rent",
                                                "canteen"][:rows]
    assert out["category_evidence"][0] == "rule: opening trade word PIZZERIA"


@pytest.mark.parametrize("rows", [1, 12])
def test_an_opening_trade_word_decides_when_the_model_is_unsure(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import trade_word_rule

    # A purchase or a transfer sent without a merchant opening with one trade's word, read
    # below 0.9 as something else: that trade. A sure reading, a merchant, a transfer to a
    # person named like a trade (BOULANGER), a transfer received, a word of several trades
    # (INSTITUT) or a skipped one (CLUB; RELAIS, an inn's as often as a station's): left.
    base = {"transaction_type": ["direct_debit", "card_in_store", "card_in_store",
                                 "card_in_store", "transfer_out", "card_in_store",
                                 "card_in_store", "transfer_out", "transfer_in",
                                 "card_in_store"],
            "merchant_text": ["CENTRE HOSPITALIER DE LENS", "MAREE DU JOUR", "MAREE FRAICHE",
                              "BOULANGERIE PAUL", "BOULANGERIE DUPONT", "INSTITUT MARIE",
                              "CLUB ALPIN", "BOULANGER JEAN", "BOULANGERIE DUPONT",
                              "RELAIS DES ROUTIERS"],
            "merchant_id": [None, None, None, "nsi:paul", None, None, None, None, None, None],
            "category": ["leisure", "education_family", "education_family", "groceries",
                         "transfers", "personal_care", "leisure", "transfers", "transfers",
                         "food_and_drink"],
            "subcategory": ["sport_clubs_gyms", "toys", "toys", "supermarket", "p2p_transfer",
                            "beauty_salon", "sport_clubs_gyms", "p2p_transfer",
                            "p2p_transfer", "restaurant"],
            "category_confidence": [0.34, 0.55, 0.95, 0.5, 0.5, 0.4, 0.5, 0.5, 0.5, 0.5],
            "category_evidence": ["model"] * 10}
    frame = pl.DataFrame({k: (v * rows)[:rows] for k, v in base.items()})
    out = trade_word_rule(frame)
    expected = ["hospital_clinic", "butcher_fishmonger", "toys", "supermarket", "bakery",
                "beauty_salon", "sport_clubs_gyms", "p2p_transfer", "p2p_transfer",
                "restaurant"]
    assert out["subcategory"].to_list()[:10] == expected[:rows]
    assert out["category"][0] == "health"
    assert out["category_confidence"][0] == 0.65
    assert out["category_evidence"][0] == "rule: opening trade word CENTRE HOSPITALIER"
    assert out.columns == frame.columns
    # Through the pipeline, one transaction or a table.
    enriched = _enriched_cycle(["PRLV SEPA CENTRE HOSPITALIER DE LENS"], [-20.0], rows,
                               "2025-03-12")
    assert enriched["subcategory"].to_list() == ["hospital_clinic"] * rows
    # a care home, a word the synthetic lexicon lacks (the model read rent at 0.88)
    enriched = _enriched_cycle(["PRLV SEPA EHPAD LES TILLEULS FACTURE MARS"], [-2150.0],
                               rows, "2025-03-12")
    assert enriched["subcategory"].to_list() == ["hospital_clinic"] * rows
    # after a company's legal form too (the model read rent at 0.49)
    enriched = _enriched_cycle(["VIR SEPA EMIS VERS SARL ELEC RENOV FACTURE 12"], [-1250.0],
                               rows, "2025-03-12")
    assert enriched["subcategory"].to_list() == ["home_services"] * rows


def test_a_trade_word_of_another_country_decides_as_a_french_one() -> None:
    # A German town's utility by direct debit (read as home help at 0.32), a building's
    # manager paid by transfer, a chemist's abroad; child support named PENSION is no hotel.
    out = _enriched_cycle(["SEPA-LASTSCHRIFT STADTWERKE MUENCHEN STROM",
                           "UEBERWEISUNG HAUSVERWALTUNG SCHMIDT NEBENKOSTEN",
                           "KARTENZAHLUNG APOTHEKE AM MARKT", "VIR PENSION ALIMENTAIRE"],
                          [-65.0], 4, "2025-03-12")
    assert out["subcategory"].to_list() == ["electricity", "building_charges", "pharmacy",
                                            "child_support"]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_short_trade_word_decides_only_before_a_place(rows: int) -> None:
    from ledgerlens.enrich.categories._rules import trade_word_rule

    # CHU DE LILLE, CH DE ROUEN: a hospital's abbreviation before its town. CHU alone, CAF
    # DE LA MARNE (the benefits office) and a reading at 0.9 or above of a direct debit
    # (a card payment's trade before its place decides at any confidence): left. MAIRIE DE
    # PARIS, read at 0.7 as a bakery (the word PARIS), is the town hall.
    base = {"transaction_type": ["direct_debit", "card_online", "card_in_store", "direct_debit",
                                 "card_in_store", "direct_debit"],
            "merchant_text": ["CHU DE LILLE", "CH DE ROUEN", "CHU", "CAF DE LA MARNE",
                              "MAIRIE DE PARIS", "CHU DE NANTES"],
            "merchant_id": [None] * 6,
            "category": ["insurance", "food_and_drink", "other", "education_family",
                         "groceries", "groceries"],
            "subcategory": ["health_insurance", "restaurant", "uncategorised", "school_fees",
                            "bakery", "bakery"],
            "category_confidence": [0.33, 0.47, 0.2, 0.31, 0.7, 0.9],
            "category_evidence": ["model"] * 6}
    frame = pl.DataFrame({k: (v * rows)[:rows] for k, v in base.items()})
    expected = ["hospital_clinic", "hospital_clinic", "uncategorised", "school_fees",
                "administrative_fees", "bakery"]
    assert trade_word_rule(frame)["subcategory"].to_list()[:6] == expected[:rows]


@pytest.mark.parametrize("rows", [1, 12])
def test_an_opening_trade_word_before_a_public_place_decides_at_any_confidence(
        rows: int) -> None:
    from ledgerlens.enrich.categories._rules import trade_word_rule

    # A brasserie on the town hall's square, read at 0.92 as a town hall fee: a brasserie.
    # The town hall itself, read so, stays.
    base = {"transaction_type": ["card_in_store", "card_in_store"],
            "merchant_text": ["BRASSERIE DE L HOTEL DE VILLE", "HOTEL DE VILLE"],
            "merchant_id": [None, None],
            "category": ["taxes", "taxes"],
            "subcategory": ["administrative_fees", "administrative_fees"],
            "category_confidence": [0.92, 0.92],
            "category_evidence": ["model"] * 2}
    frame = pl.DataFrame({k: (v * rows)[:rows] for k, v in base.items()})
    expected = ["restaurant", "administrative_fees"] * rows
    assert trade_word_rule(frame)["subcategory"].to_list() == expected[:rows]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_canteen_behind_the_public_bodies_checkout_is_a_school_s(rows: int) -> None:
    out = _enriched_cycle(["CB PAYFIP CANTINE 12/03", "CB PAYFIP CH DE ROUEN 12/03"],
                          [-45.0, -45.0], rows, "2025-03-12")
    assert out["intermediary"].to_list()[:2] == ["payfip", "payfip"][:rows]
    assert out["transaction_type"].to_list()[:2] == ["card_online", "card_online"][:rows]
    assert out["subcategory"].to_list()[:2] == ["school_canteen", "hospital_clinic"][:rows]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_transfer_sent_back_reads_as_a_transfer(rows: int) -> None:
    out = _enriched_cycle(["ANNULATION VIR SEPA M DUPONT JEAN",
                           "RETOUR VIR SEPA IBAN INCORRECT"], [50.0, 120.0], rows, "2025-03-12")
    assert out["transaction_type"][0] == "reversal"
    assert out["subcategory"][0] == "p2p_transfer"
    if rows > 1:
        assert out["subcategory"][1] == "p2p_transfer"


def _enriched_cycle(labels: list[str], amounts: list[float], rows: int,
                    date: str) -> pl.DataFrame:
    """``rows`` transactions cycling through ``labels`` and ``amounts``, enriched: one row
    takes the one-transaction path, a dozen the table path."""
    return enrich(pl.DataFrame({"date": [date] * rows,
                                "amount": (amounts * rows)[:rows],
                                "label": (labels * rows)[:rows]}))


@pytest.mark.parametrize("rows", [1, 12])
def test_a_public_place_named_with_another_trade_s_word_is_that_place(rows: int) -> None:
    # HOTEL DE VILLE is the town hall, HOTEL DIEU a hospital: the model reads HOTEL; a
    # hotel named after its street or town stays a hotel.
    out = _enriched_cycle(["CB HOTEL DE VILLE 12/03 LYON", "CB HOTEL DIEU 12/03",
                           "CB HOTEL DU CENTRE 12/03"], [-20.0], rows, "2025-03-12")
    assert out["subcategory"][0] == "administrative_fees"
    assert out["explanation"][0].startswith("rule: place name")
    if rows > 1:
        assert out["subcategory"].to_list()[1:3] == ["hospital_clinic", "hotels"]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_shop_named_after_a_public_place_is_the_shop(rows: int) -> None:
    # The town hall after another word is where a car park or a cafe stands: the rule
    # leaves the shop's word to the model.
    out = _enriched_cycle(["CB PARKING HOTEL DE VILLE 14/03", "CB CAFE DE L HOTEL DE VILLE"],
                          [-4.2, -4.5], rows, "2025-03-14")
    assert out["subcategory"][0] == "parking"
    assert not out["explanation"][0].startswith("rule: place name")
    if rows > 1:
        assert out["subcategory"][1] == "cafe_bar"


@pytest.mark.parametrize("rows", [1, 12])
def test_interest_paid_is_a_bank_charge_and_interest_received_income(rows: int) -> None:
    # A German statement's closing interest, paid: the model had read it as income.
    out = _enriched_cycle(["ABSCHLUSS ZINSEN", "INTERETS CREDITEURS", "AGIOS"],
                          [-2.1, 4.5, -3.0], rows, "2025-03-31")
    assert out["transaction_type"].to_list() == ["interest"] * rows
    assert out["category"][0] == "bank_fees"
    if rows > 1:
        assert out["category"].to_list()[1:3] == ["income", "bank_fees"]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_foreign_bank_fee_takes_the_line_its_words_say(rows: int) -> None:
    # The model, taught on French fee lines, read these as incident fees; a French fee line
    # and a card payment holding a fee word keep what the model read.
    out = _enriched_cycle(["ENTGELT KONTOFUEHRUNG", "COMISION MANTENIMIENTO",
                           "ENTGELT AUSLANDSEINSATZ", "JAHRESGEBUEHR KREDITKARTE",
                           "FRAIS TENUE DE COMPTE", "CB MANTENIMIENTO AUTO",
                           # a French card pays a commission on a card payment abroad only
                           "COMMISSIONS FACTURE CARTE DU 021224 TESCO STORES 2345 LONDON"],
                          [-4.9], rows, "2025-03-31")
    assert out["subcategory"][0] == "account_fees"
    assert out["explanation"][0].startswith("rule: fee words")
    if rows > 1:
        assert out["subcategory"].to_list()[1:5] == ["account_fees", "foreign_fees",
                                                     "card_fees", "account_fees"]
        assert "fee words" not in out["explanation"][4]
        assert out["transaction_type"][5].startswith("card")
        assert out["category"][5] != "bank_fees"
        assert out["subcategory"][6] == "foreign_fees"


@pytest.mark.parametrize("copies", [1, 3], ids=["few rows", "frame"])
def test_care_paid_back_under_a_refund_word_is_a_health_reimbursement(copies: int) -> None:
    # A refund word before the CPAM's names (aggregators write them so): the CPAM, scored as
    # its transfers, and its line, whatever the model reads in SECURITE; a shop's refund
    # keeps the shop's line.
    labels = ["Remboursement Sécurité Sociale", "REMBOURSEMENT AMELI",
              "REMBOURSEMENT CB LECLERC"]
    out = enrich(pl.DataFrame({"date": ["2025-03-12"] * 3 * copies,
                               "amount": [23.0] * 3 * copies,
                               "label": labels * copies})).head(3)
    assert out["transaction_type"].to_list() == ["refund"] * 3
    assert out["merchant_id"].to_list()[:2] == ["cur:cpam"] * 2
    assert out["subcategory"].to_list() == ["health_reimbursement"] * 2 + ["supermarket"]


def test_a_french_fee_for_an_incident_is_an_incident_fee() -> None:
    # The model read a garnishment's and a stopped cheque's fees as a card's; a card's
    # stopping and the plural COMMISSIONS keep the model's reading.
    out = _enriched_cycle(["FRAIS SAISIE ATTRIBUTION", "FRAIS OPPOSITION CHEQUE",
                           "FRAIS AVIS A TIERS DETENTEUR", "FRAIS OPPOSITION CARTE",
                           "COMMISSIONS D INTERVENTION 2 OPERATIONS"], [-16.0], 5,
                          "2025-03-31")
    assert out["transaction_type"].to_list() == ["fee"] * 5
    assert out["subcategory"].to_list() == ["incident_fees"] * 3 + ["card_fees",
                                                                    "incident_fees"]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_transfer_s_fee_at_home_is_an_account_fee(rows: int) -> None:
    # The model read COMMISSION as a currency commission; a foreign transfer's fee stays.
    out = _enriched_cycle(["COMMISSION VIREMENT INSTANTANE", "FRAIS VIREMENT SEPA EMIS",
                           "FRAIS PAIEMENT HORS ZONE EURO"], [-0.8], rows, "2025-03-31")
    assert out["subcategory"].to_list() == ["account_fees", "account_fees",
                                            "foreign_fees"][:rows]


def test_a_neobank_s_english_fee_takes_the_line_its_words_say() -> None:
    out = _enriched_cycle(["Metal plan fee", "Card delivery fee", "FX fee"], [-5.0], 3,
                          "2025-03-31")
    assert out["transaction_type"].to_list() == ["fee"] * 3
    assert out["subcategory"].to_list() == ["account_fees", "card_fees", "foreign_fees"]


@pytest.mark.parametrize("rows", [1, 4])
def test_a_word_of_the_label_chooses_among_a_brand_s_lines(rows: int) -> None:
    # Citya manages rentals and buildings: SYNDIC before its name says which, and the line's
    # merchant follows; the brand's own name (CITYA) or no line word leaves the model's choice.
    labels = ["PRLV SEPA SYNDIC CITYA", "PRLV SEPA FONCIA CHARGES COPROPRIETE",
              "PRLV SEPA DIRECTION GENERALE DES FINANCES PUBLIQUES TAXE FONCIERE",
              "PRLV SEPA CITYA"][:rows]
    out = enrich(pl.DataFrame({"date": ["2024-11-28"] * rows, "amount": [-310.0] * rows,
                               "label": labels}))
    first = out.row(0, named=True)
    assert (first["merchant_id"], first["merchant_name"], first["subcategory"]) == (
        "cur:citya-syndic", "Citya", "building_charges")
    # The line word decides, by the rule when the matcher leaves the lines open, or in the
    # scorer's and the model's own reading.
    assert "SYNDIC" in first["explanation"]
    if rows > 1:
        assert out["subcategory"].to_list()[1:3] == ["building_charges",
                                                     "property_housing_tax"]
        assert out["merchant_id"][2] == "cur:dgfip-taxe-fonciere"
        assert "line word" not in out["explanation"][3]


@pytest.mark.parametrize("rows", [1, 3])
def test_the_tax_office_s_abbreviation_names_the_housing_tax(rows: int) -> None:
    # TH is the taxe d'habitation beside DGFIP (the cleaning took it for Thailand's code);
    # alone, or after a foreign town, it names no line.
    labels = ["PRLV SEPA DGFIP TH RESIDENCE SECONDAIRE", "PRLV SEPA DGFIP IMPOT 2025",
              "CB 7 ELEVEN BANGKOK TH"][:rows]
    out = enrich(pl.DataFrame({"date": ["2024-11-28"] * rows, "amount": [-420.0] * rows,
                               "label": labels}))
    assert out["clean_label"][0] == "DGFIP TH RESIDENCE SECONDAIRE"
    assert out["subcategory"][0] == "property_housing_tax"
    assert 'line word "TH"' in out["explanation"][0]
    if rows > 1:
        assert out["subcategory"][1] == "income_tax"
        assert out["clean_label"][2] == "7 ELEVEN"


@pytest.mark.parametrize("rows", [1, 8])
def test_a_lender_s_line_says_which_loan_an_instalment_pays(rows: int) -> None:
    # ECHEANCE PRET only says that a loan is paid; Cofidis lends to consumers (its direct
    # debit is a direct debit: the bank's own instalment is the loan repayment). A bank's
    # own line says nothing of the loan, so the words still decide there.
    out = _enriched_cycle(["PRLV SEPA COFIDIS ECHEANCE PRET", "ECHEANCE PRET 12345678 DU 05/11/24"],
                          [-150.0], rows, "2024-11-28")
    assert out["transaction_type"][0] == "direct_debit"
    assert out["subcategory"][0] == "consumer_loan"
    assert out["explanation"][0].startswith('alias "COFIDIS"')
    assert "merchant Cofidis -> consumer_loan" in out["explanation"][0]
    if rows > 1:
        assert out["transaction_type"][1] == "loan_repayment"
        assert out["category"][1] == "loans"
        assert "model:" in out["explanation"][1]


@pytest.mark.parametrize("copies", [1, 3], ids=["few rows", "frame"])
def test_a_loan_taken_by_another_bank_s_direct_debit_is_a_loan(copies: int) -> None:
    # Typed a direct debit (the ground truth's type), categorised as the loan it pays: not
    # the bank's account fees, nor rent for IMMOBILIER (nor a cut Immobiliere 3F).
    labels = ["PRELEVEMENT DE LCL ECHEANCE PRET", "PRLV SEPA CREDIT AGRICOLE ECHEANCE PRET",
              "Prélèvement Échéance prêt immobilier"]
    out = enrich(pl.DataFrame({"date": ["2025-03-12"] * 3 * copies,
                               "amount": [-650.0] * 3 * copies,
                               "label": labels * copies})).head(3)
    assert out["transaction_type"].to_list() == ["direct_debit"] * 3
    assert out["category"].to_list() == ["loans"] * 3
    assert out["merchant_name"][2] is None
    assert "loan instalment by direct debit" in out["explanation"][0]


def test_an_insurer_s_life_contract_is_no_car_contract() -> None:
    labels = ["PRLV SEPA AXA ASSURANCE VIE", "PRLV SEPA MAAF VIE", "PRLV SEPA MAIF AUTO"]
    out = enrich(pl.DataFrame({"date": ["2024-11-28"] * 3, "amount": [-100.0] * 3,
                               "label": labels}))
    assert out["subcategory"].to_list() == ["life_insurance", "life_provident_insurance",
                                            "car_insurance"]
    assert out["merchant_name"].str.split(" ").list.first().to_list() == ["AXA", "MAAF", "MAIF"]


@pytest.mark.parametrize("rows", [1, 12])
def test_a_bank_s_product_named_in_its_label_is_the_row_s_line(rows: int) -> None:
    # The directory files these banks under their fees or one product; the label's other
    # words name the product. A bank's own name (CAISSE D EPARGNE) names none.
    labels = ["PRLV SEPA FORTUNEO PEA", "PRLV SEPA CAISSE D EPARGNE LIVRET A",
              "PRLV SEPA BANQUE POPULAIRE PRET AUTO", "PRLV SEPA LA BANQUE POSTALE PRET PERSO",
              "PRLV SEPA CREDIT AGRICOLE ASSURANCE VIE", "PRLV SEPA CAISSE D EPARGNE",
              "PRLV SEPA SOCIETE GENERALE PEA", "PRLV SEPA CREDIT MUTUEL"]
    out = _enriched_cycle(labels, [-100.0], rows, "2025-03-05")
    assert out["subcategory"][0] == "securities"
    # The bank's brokerage is a brand of its business: the model chooses among the
    # business's lines (fees or securities) on the word PEA, and the line settles on it.
    assert (out["merchant_id"][0], out["merchant_name"][0]) == ("cur:fortuneo-bourse", "Fortuneo")
    assert "PEA" in out["explanation"][0]
    if rows > 1:
        assert out["subcategory"].to_list()[1:8] == [
            "savings_transfer", "car_loan", "consumer_loan", "life_insurance", "card_fees",
            "securities", "account_fees"]
        assert "product words" not in out["explanation"][5]
        # The bank itself, not its student loan (whose name it shared): a tie no more.
        assert out["merchant_name"].to_list()[6:8] == ["Société Générale", "Crédit Mutuel"]


def test_a_biller_paying_back_by_transfer_keeps_its_category() -> None:
    # A utility's true-up and a marketplace's refund are what they refund, not money from a
    # person; a person paying back is.
    labels = ["VIR SEPA RECU /DE EDF /MOTIF REMBOURSEMENT TROP PERCU",
              "VIR SEPA RECU /DE AMAZON /MOTIF REMBOURSEMENT",
              "VIR SEPA RECU /DE M DUPONT JEAN /MOTIF REMBOURSEMENT"]
    out = enrich(pl.DataFrame({"date": ["2024-11-28"] * 3, "amount": [85.0, 29.99, 20.0],
                               "label": labels}))
    assert out["subcategory"].to_list() == ["electricity", "marketplace", "p2p_transfer"]
    # Transfers read a calibration map of their own (a biller's name in a transfer is right
    # about half the time at this score): EDF is a clue here, no other merchant an answer.
    assert out["merchant_name"][0] in ("EDF", None)
    assert out["merchant_name"][1] is None
    assert not out["is_income"].any()


def test_bad_rows_get_a_low_confidence_answer_not_a_crash() -> None:
    table = pl.DataFrame({
        "date": [dt.date(2025, 1, 2)] * 4,
        "amount": [0.0, -12.0, 5.0, -3.0],
        "label": ["", "X" * 10_000, "\ufffd\ufffd??", None],
        "currency": ["EUR", "XXX", "usd", None],
    })
    out = enrich(table)
    assert out.height == 4
    assert out["label"][1] == "X" * 10_000
    unknown = out.filter(pl.col("category") == "other")
    assert unknown.height >= 2
    assert (unknown["category_confidence"] < 0.5).all()


@pytest.mark.parametrize("amount", [float("inf"), float("-inf"), float("nan"), 1e300])
def test_one_transaction_of_an_absurd_amount_is_enriched_not_a_crash(amount: float) -> None:
    # The one-transaction path once failed on an infinite amount (its log bin).
    out = enrich(pl.DataFrame({"date": ["2025-01-02"], "amount": [amount],
                               "label": ["CB CARREFOUR CITY 01/01"]}))
    assert out.height == 1
    assert out["category"][0] is not None


@pytest.mark.parametrize("rows", [1, 3])
def test_a_merchant_named_without_two_letters_in_a_row_is_not_a_blind_label(rows: int) -> None:
    # H&M has no word of two letters, but it names a shop: the shop's category, not "no text".
    labels = ["H&M 123", "1234 5678", "CB CARREFOUR 12/03"][:rows]
    out = enrich(pl.DataFrame({"date": ["2025-03-12"] * rows, "amount": [-29.0] * rows,
                               "label": labels}))
    assert (out["merchant_name"][0], out["subcategory"][0]) == ("H&M", "clothing_shoes")
    if rows > 1:
        assert out["subcategory"][1] == "uncategorised"
        assert "no usable label text" in out["explanation"][1]


def test_empty_table_gives_empty_columns() -> None:
    empty = pl.DataFrame(schema={"date": pl.Date, "amount": pl.Float64, "label": pl.String})
    out = enrich(empty)
    assert out.height == 0
    assert set(ENRICHMENT_COLUMNS) <= set(out.columns)


def test_streams_are_returned_with_the_table(bank_tx: pl.DataFrame) -> None:
    result = enrich_with_streams(bank_tx)
    flagged = result.transactions.filter(pl.col("is_recurring"))
    assert result.streams.height > 0
    assert set(flagged["recurring_stream_id"].unique()) <= set(
        result.streams["recurring_stream_id"].to_list())


def test_a_stream_reads_as_its_payments_finally_do(bank_tx: pl.DataFrame) -> None:
    # The income rules run after the streams are found: an employer named like a shop gave
    # a salary stream the bakery line of its name, while its payments read as salary.
    dates = [f"2025-{m:02d}-28" for m in range(1, 7)]
    salary = pl.DataFrame({"date": dates, "amount": [2150.0] * 6, "account_id": ["a1"] * 6,
                           "label": [f"VIR SEPA RECU /DE BOULANGERIE MARTIN SARL /MOTIF VIREMENT "
                                     f"{m:02d}/2025" for m in range(1, 7)]})
    result = enrich_with_streams(salary)
    assert result.transactions["subcategory"].to_list() == ["salary"] * 6
    assert result.streams.select("category", "subcategory", "merchant_id").rows() == [
        ("income", "salary", None)]
    whole = enrich_with_streams(bank_tx)
    lines = whole.transactions.filter(pl.col("is_recurring")).group_by(
        "recurring_stream_id").agg(pl.col("subcategory").mode().sort().first())
    joined = whole.streams.join(lines, on="recurring_stream_id", suffix="_rows")
    assert joined.height == whole.streams.height
    assert (joined["subcategory"] == joined["subcategory_rows"]).all()


def test_a_correction_applies_on_the_next_enrichment(bank_tx: pl.DataFrame,
                                                     enriched: pl.DataFrame) -> None:
    target = enriched.filter(pl.col("category") != "leisure").row(0, named=True)
    fix = Correction(scope="transaction", target=target["transaction_id"],
                     subcategory="cinema")
    out = enrich(bank_tx, corrections=CorrectionSet((fix,)))
    row = out.filter(pl.col("transaction_id") == target["transaction_id"]).row(0, named=True)
    assert (row["category"], row["subcategory"]) == ("leisure", "cinema")
    assert row["category_confidence"] == 1.0
    assert row["correction_id"] == fix.correction_id
    assert "correction" in row["explanation"]


def test_the_model_pickles_for_spark_and_workers() -> None:
    model = EnrichmentModel.default()
    clone = pickle.loads(pickle.dumps(model))
    table = pl.DataFrame({"date": ["2025-03-12"], "amount": [-9.99],
                          "label": ["PAYPAL *SPOTIFY"]})
    assert enrich(table, clone).equals(enrich(table, model))


def test_warm_up_builds_the_lazy_tables_first_calls_would_build() -> None:
    import dataclasses

    from ledgerlens.enrich.merchants import MerchantDirectory, MerchantMatcher

    fresh = pickle.loads(pickle.dumps(MerchantDirectory.default()))  # caches are not pickled
    model = dataclasses.replace(EnrichmentModel.default(),
                                merchants=MerchantMatcher.default(directory=fresh))
    assert not fresh._cache
    model.warm_up()
    assert {"candidates.lookup", "candidates.tfidf", "matcher.name_words"} <= set(fresh._cache)
    table = pl.DataFrame({"date": ["2025-03-12"], "amount": [-9.99],
                          "label": ["PAYPAL *SPOTIFY"]})
    cold = dataclasses.replace(EnrichmentModel.default(), merchants=MerchantMatcher.default())
    assert enrich(table, model).equals(enrich(table, cold))


@pytest.mark.parametrize("rows", [1, 12])
def test_a_car_maker_s_dealer_services_cars_paid_by_card_and_sells_them_by_transfer(
        rows: int) -> None:
    out = _enriched_cycle(["CB PEUGEOT 12/03", "VIR SEPA CONCESSION PEUGEOT ACOMPTE VEHICULE"],
                          [-180.0, -5000.0], rows, "2025-03-12")
    assert out["merchant_name"][0] == "Peugeot"
    assert out["subcategory"][0] == "vehicle_maintenance"
    if rows > 1:
        assert out["subcategory"][1] == "vehicle_purchase_rental"


@pytest.mark.parametrize("rows", [1, 3, 12])
def test_a_card_payment_at_a_merchant_selling_online_only_is_online(rows: int) -> None:
    # A spelling no list holds of a subscription's label, without any marker, was read in
    # store or contactless; the matched merchant sells online only. A station's machine
    # (SNCF, a counter's name too) stays in store.
    out = _enriched_cycle(["CB GOOGLE *GOOGLE STORAGE", "CB SNCF 12/03",
                           "CB NETFLIX INTERNATIONAL BV"], [-1.99, -62.0, -13.49], rows,
                          "2025-03-12")
    first = out.row(0, named=True)
    assert first["transaction_type"] == "card_online"
    assert "merchant sells online only" in first["explanation"]
    if rows > 1:
        assert out["transaction_type"].to_list()[1:3] == ["card_in_store", "card_online"]


@pytest.mark.parametrize("rows", [1, 4, 12])
def test_a_card_payment_through_a_terminal_with_no_shop_behind_names_no_merchant(
        rows: int) -> None:
    # The shop's name cut off leaves the terminal's: SumUp sold nothing (the merchant was
    # SumUp, the category a marketplace at 0.95). A shop behind the terminal keeps its
    # reading, PayPal's own payment its entry, and a refund from Stripe its payer.
    out = _enriched_cycle(["PAIEMENT PSC 2001 SAINT ETIENNE DU ROUVRAY SUMUP",
                           "CB SUMUP *LE ZINC", "CB PAYPAL 12/03", "CB ZETTLE_*"],
                          [-23.0, -4.5, -15.0, -8.0], rows, "2025-03-12")
    first = out.row(0, named=True)
    assert (first["intermediary"], first["merchant_name"]) == ("sumup", None)
    assert (first["subcategory"], first["category_confidence"]) == ("uncategorised", 0.0)
    if rows > 1:
        assert out["subcategory"].to_list()[1:4] == ["cafe_bar", "marketplace",
                                                     "uncategorised"]
        assert out["merchant_name"].to_list()[2:4] == ["PayPal", None]


@pytest.mark.parametrize("rows", [1, 3, 12])
def test_money_sent_with_a_savings_account_s_word_is_a_saving(rows: int) -> None:
    # To one's savings at another bank: the bank's lines read a mortgage at 0.39. Money
    # received with the word, and a saving read sure, keep their reading.
    out = _enriched_cycle(["VIR SEPA EMIS VERS BOURSORAMA /MOTIF EPARGNE",
                           "VIR SEPA RECU /DE BOURSORAMA /MOTIF EPARGNE",
                           "VIR SEPA EMIS VERS WISE EUROPE SA"], [-300.0, 300.0, -500.0],
                          rows, "2025-03-12")
    first = out.row(0, named=True)
    assert first["subcategory"] == "savings_transfer"
    assert "savings account's word" in first["explanation"]
    if rows > 2:
        assert "savings account's word" not in out["explanation"][1]
        assert out["subcategory"][2] == "own_account_transfer"


@pytest.mark.parametrize("rows", [1, 5, 12])
def test_a_top_up_at_an_oil_company_s_station_is_fuel(rows: int) -> None:
    # The model learnt fuel tickets around 55 EUR and read 25 EUR at a bare Esso as its
    # shop, and a station named with its operator's legal form as the shop at any amount.
    # A label that names the shop, a small payment and a grocer's convenience store with
    # pumps (Carrefour Contact) keep the model's reading.
    out = _enriched_cycle(["CB ESSO 12/03", "CB ESSO BOUTIQUE 12/03", "CB SHELL 12/03",
                           "CB CARREFOUR CONTACT 12/03", "CB SARL ESSO DU LAC"],
                          [-25.0, -25.0, -6.0, -25.0, -60.0], rows, "2025-03-12")
    first = out.row(0, named=True)
    assert (first["subcategory"], first["merchant_name"]) == ("fuel", "Esso")
    assert "station's payment of 20 EUR or more" in first["explanation"]
    if rows > 4:
        assert out["subcategory"].to_list()[1:5] == ["convenience_store"] * 3 + ["fuel"]
        assert not any("station's payment" in e for e in out["explanation"][1:4])
