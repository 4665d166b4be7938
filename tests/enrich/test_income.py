"""Behaviour of income detection: income types, payers, what is not income, edge cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._income import INCOME_TYPES, detect_income
from ledgerlens.enrich._recurring import detect_recurring, stream_keys


def _one(label: str | None, amount: float, **columns: object) -> dict[str, object]:
    out = detect_income(pl.DataFrame([{"raw_label": label, "amount": amount, **columns}]))
    return out.row(0, named=True)


def test_salary_transfer_names_its_payer() -> None:
    row = _one("VIR SEPA RECU /DE GODARD BTP /MOTIF SALAIRE NOVEMBRE /REF 4521", 2140.5)
    assert row["is_income"] is True
    assert row["income_type"] == "salary"
    assert row["income_payer"] == "GODARD BTP"


@pytest.mark.parametrize(("label", "payer"), [
    ("VIR DE NAVARRO TRANSPORTS SALAIRE JUIN 2025", "NAVARRO TRANSPORTS"),
    ("VIREMENT EN VOTRE FAVEUR ACME SAS PAIE MAI", "ACME SAS"),
    ("VIR SEPA CAF PRESTATIONS FAMILIA", "CAF"),
    # the income's word before the payer
    ("VIR RETRAITE CARSAT", "CARSAT"),
    ("VIR SALAIRE ACME SAS", "ACME SAS"),
])
def test_payer_is_read_from_the_label(label: str, payer: str) -> None:
    assert _one(label, 500.0)["income_payer"] == payer


@pytest.mark.parametrize("label", ["VIR SEPA RECU SALAIRE", "VIR SEPA RECU SALAIRE MARS 2025",
                                   "VIR PAIE MAI"])
def test_an_income_word_and_a_month_name_no_payer(label: str) -> None:
    row = _one(label, 2150.0)
    assert (row["income_type"], row["income_payer"]) == ("salary", None)


def test_counterparty_name_is_the_payer_when_given() -> None:
    row = _one("VIREMENT EN VOTRE FAVEUR", 1800.0, label_complement="SALAIRE MARS 2025",
               counterparty_name="Lecomte Sa")
    assert row["income_type"] == "salary"
    assert row["income_payer"] == "LECOMTE SA"


@pytest.mark.parametrize(("label", "income_type"), [
    ("VIREMENT EN VOTRE FAVEUR CARSAT RETRAITE AVRIL 2025", "pension"),
    ("VIR SEPA DE AGIRC ARRCO RETRAITE", "pension"),
    ("VIR SEPA RECU /DE AG2R LA MONDIALE /MOTIF RENTE", "pension"),
    ("VIR SEPA DE FRANCE TRAVAIL ALLOC", "unemployment_benefits"),
    ("VIREMENT POLE EMPLOI ALLOCATION", "unemployment_benefits"),
    ("VIR SEPA CAF ALLOCATIONS FAMILIALES", "family_benefits"),
    ("VIR SEPA RECU /DE DEPARTEMENT DU NORD /MOTIF RSA", "family_benefits"),
    ("VIR SEPA RECU /DE MME ANAIS ROSSI /MOTIF LOYER MARS /REF 42", "rental_income"),
    ("INTERETS CREDITEURS 2025", "interest_dividends"),
    ("VIR DRFIP PAYE AGENTS 2025", "salary"),
    ("VIR SEPA RECU /DE MINISTERE DES ARMEES /MOTIF SOLDE NOVEMBRE", "salary"),
    ("VIR SEPA RECU /DE ACME SAS /MOTIF SOLDE DE TOUT COMPTE", "salary"),
    ("VIR SEPA RECU /DE DUPONT CONSEIL /MOTIF FACTURE F0412", "other_income"),
    ("VIR SEPA RECU /DE EDITIONS DU SEUIL /MOTIF DROITS D AUTEUR", "other_income"),
    ("VIREMENT DE MARTIN ET ASSOCIES HONORAIRES MARS", "other_income"),
    # a savings account's pay is interest, not a salary
    ("REMUNERATION LDDS", "interest_dividends"),
    ("VIR REMUNERATION DU LIVRET A", "interest_dividends"),
    ("VIR SEPA RECU /DE SCI FAMILIALE /MOTIF REVENUS LOCATIFS", "rental_income"),
    # an employer's bonus or profit share; the CAF's activity bonus is a benefit
    ("VIR SEPA RECU /DE ACME SAS /MOTIF PRIME ANNUELLE 2024", "salary"),
    ("VIR SEPA RECU /DE LECLERC SCADIF /MOTIF PRIME PARTAGE VALEUR 2024", "salary"),
    ("VIREMENT DE ACME SAS INTERESSEMENT 2024", "salary"),
    ("VIR SEPA RECU /DE CAF 69 /MOTIF PRIME D ACTIVITE NOVEMBRE", "family_benefits"),
])
def test_income_keywords_give_the_income_type(label: str, income_type: str) -> None:
    row = _one(label, 812.3)
    assert row["is_income"] is True
    assert row["income_type"] == income_type


@pytest.mark.parametrize(("label", "columns"), [
    ("REMBOURSEMENT CB AMAZON", {}),
    ("AVOIR CARTE ZARA 12/03", {}),
    ("ANNULATION PAIEMENT SNCF", {}),
    ("VIR CPAM REMBOURSEMENT SOINS", {}),
    ("DGFIP REMBOURSEMENT IMPOT SUR LE REVENU", {}),
    ("VIR DE MAIF INDEMNISATION SINISTRE", {}),
    ("VIR SEPA RECU /DE ENGIE /MOTIF TROP PERCU", {}),
    ("VIR SEPA RECU /DE AIRBNB PAYMENTS /MOTIF REFUND", {}),  # a guest's refund, no payout
    ("VIR INTERNE DE LIVRET A", {}),
    ("VERSEMENT ESPECES AGENCE", {}),
    ("REMISE CHEQUE 1234567", {}),
    ("DEBLOCAGE PRET PERSO 889", {}),
    # an employer paying back expenses
    ("VIR SEPA RECU /DE ACME SAS /MOTIF NOTE DE FRAIS NOVEMBRE", {}),
    ("VIR SEPA RECU /DE ACME SAS /MOTIF FRAIS DE DEPLACEMENT OCTOBRE", {}),
    ("VIR INST RE 5551 DE MARC DUPONT", {"transaction_type": "instant_transfer_in"}),
    ("SALAIRE ENTREE", {"transaction_type": "refund"}),
])
def test_refunds_transfers_and_deposits_are_not_income(label: str, columns: dict[str, object]
                                                       ) -> None:
    row = _one(label, 120.0, **columns)
    assert row["is_income"] is False
    assert row["income_type"] is None
    assert row["income_payer"] is None


def test_debits_are_never_income() -> None:
    assert _one("VIR SEPA EMIS SALAIRE NOUNOU", -650.0)["is_income"] is False


def test_interest_type_makes_income_without_keywords() -> None:
    row = _one("CREDIT ANNUEL", 35.2, transaction_type="interest")
    assert row["income_type"] == "interest_dividends"


def test_categorised_income_is_kept() -> None:
    assert _one("VIR XYZ", 400.0, subcategory="other_income")["income_type"] == "other_income"


def test_a_word_naming_earnings_outranks_the_model() -> None:
    # The model read a company's transfer as other earnings; PAIE says it is a salary.
    row = _one("VIREMENT EN VOTRE FAVEUR DE DUPONT ET FILS SARL PAIE 11/2024", 1980.0,
               subcategory="other_income")
    assert row["income_type"] == "salary"
    assert row["income_payer"] == "DUPONT ET FILS SARL"


@pytest.mark.parametrize("label", ["VIR SEPA RECU /DE AMELI /MOTIF INDEMNITES JOURNALIERES",
                                   "VIR CPAM DU RHONE IJSS"])
def test_sick_pay_from_the_health_insurer_is_income(label: str) -> None:
    # The health insurer's transfers are refunds of care, except the daily allowances it
    # pays in place of a salary.
    row = _one(label, 450.0)
    assert row["income_type"] == "salary"
    assert _one("VIR CPAM DU RHONE REMBOURSEMENT SOINS", 18.4)["is_income"] is False


def _monthly(label: str, counterparty: str, amount: float,
             subcategory: str | None = None, months: int = 6) -> pl.DataFrame:
    days = [dt.date(2025, m, 27) for m in range(1, months + 1)]
    frame = pl.DataFrame({
        "account_id": "a", "customer_id": "c", "booking_date": days, "amount": amount,
        "raw_label": label, "counterparty_name": counterparty,
        "transaction_type": "transfer_in", "subcategory": subcategory},
        schema_overrides={"subcategory": pl.String})
    out, _ = detect_recurring(stream_keys(frame))
    return detect_income(out)


@pytest.mark.parametrize("months", [6, 3], ids=["frame", "few rows"])
def test_a_company_paying_monthly_without_a_motif_is_an_employer(months: int) -> None:
    # The model may read other earnings in a company's name (a freelancer's client); paid
    # every month with no word of what for, it is a salary. An invoice stays other earnings.
    plain = _monthly("VIR SEPA DE GUICHARD LOGISTIQUE", "GUICHARD LOGISTIQUE", 1950.0,
                     "other_income", months)
    assert set(plain["income_type"]) == {"salary"}
    billed = _monthly("VIR SEPA DE GUICHARD LOGISTIQUE FACTURE", "GUICHARD LOGISTIQUE",
                      1950.0, "other_income", months)
    assert set(billed["income_type"]) == {"other_income"}


@pytest.mark.parametrize("months", [6, 3], ids=["frame", "few rows"])
def test_a_company_paying_a_few_euros_monthly_is_no_employer(months: int) -> None:
    # A cashback or a reward of 23.50 a month is no salary; a salary said so is one.
    small = _monthly("VIR SEPA RECU /DE DECATHLON", "DECATHLON", 23.5, None, months)
    assert not small["is_income"].any()
    said = _monthly("VIR SEPA RECU /DE DECATHLON /MOTIF SALAIRE", "DECATHLON", 23.5, None,
                    months)
    assert set(said["income_type"]) == {"salary"}


def test_monthly_transfer_from_a_company_without_motif_is_salary() -> None:
    out = _monthly("VIR SEPA DE GUICHARD LOGISTIQUE", "GUICHARD LOGISTIQUE", 1950.0)
    assert out["is_recurring"].all()
    assert set(out["income_type"]) == {"salary"}
    assert set(out["income_payer"]) == {"GUICHARD LOGISTIQUE"}


def test_monthly_support_from_a_person_is_not_income() -> None:
    out = _monthly("VIR DE M JEAN FRANCOIS MOREAU VIREMENT MENSUEL", "JEAN FRANCOIS MOREAU",
                   300.0)
    assert out["is_recurring"].all()
    assert not out["is_income"].any()


def test_empty_frame_and_missing_labels() -> None:
    empty = detect_income(pl.DataFrame(schema={"raw_label": pl.String, "amount": pl.Float64}))
    assert empty.columns == ["raw_label", "amount", "is_income", "income_type", "income_payer"]
    row = _one(None, 10.0)
    assert row["is_income"] is False
    assert _one("x" * 10_000, 5.0)["is_income"] is False


def test_rows_keep_their_order_and_columns() -> None:
    frame = pl.DataFrame({"raw_label": ["CB FNAC", "VIR CNAV RETRAITE", "PRLV EDF"],
                          "amount": [-20.0, 900.0, -60.0], "extra": [1, 2, 3]})
    out = detect_income(frame)
    assert out["extra"].to_list() == [1, 2, 3]
    assert out["is_income"].to_list() == [False, True, False]


def test_matches_the_synthetic_bank_income() -> None:
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    truth = bank.transactions.select("tenant_id", "transaction_id").join(
        bank.ground_truth, on=["tenant_id", "transaction_id"], how="left", maintain_order="left")
    out, _ = detect_recurring(stream_keys(prepare(bank.transactions).working))
    out = detect_income(out)
    true = truth["is_income"].fill_null(False)
    assert (out["is_income"] == true).mean() >= 0.99
    found = out.filter(true & out["is_income"])
    assert set(found["income_type"]) <= set(INCOME_TYPES)
    types_right = (found["income_type"] == truth.filter(true & out["is_income"])["subcategory"])
    assert types_right.mean() >= 0.95


def test_debits_only_give_no_income_with_typed_columns() -> None:
    frame = pl.DataFrame({"raw_label": ["CB CARREFOUR CITY", "PRLV SEPA EDF"],
                          "amount": [-12.5, -60.0]})
    out = detect_income(frame)
    assert out["is_income"].to_list() == [False, False]
    assert out.schema["income_type"] == pl.String
    assert out.schema["income_payer"] == pl.String
    assert out["income_type"].null_count() == 2


def test_income_found_by_the_rules_sets_a_generic_category() -> None:
    from ledgerlens.enrich._income import INCOME_CATEGORY_CONFIDENCE, income_category

    frame = pl.DataFrame({
        "income_type": ["family_benefits", "rental_income", None, "salary"],
        "category": ["transfers", "housing", "groceries", "shopping"],
        "subcategory": ["p2p_transfer", "rent", "supermarket", "marketplace"],
        "category_confidence": [1.0, 0.9, 0.99, 0.8],
        "category_evidence": ["model: context (1.0)", "model: words LOYER (0.9)",
                              "merchant Lidl -> supermarket", "model: words X (0.8)"],
    })
    out = income_category(frame)
    assert out["category"].to_list() == ["income", "income", "groceries", "shopping"]
    assert out["subcategory"].to_list() == ["family_benefits", "rental_income", "supermarket",
                                            "marketplace"]
    assert out["category_confidence"].to_list()[:2] == [INCOME_CATEGORY_CONFIDENCE] * 2
    assert out["category_evidence"][0] == "income rule: family_benefits"
    assert income_category(frame.drop("income_type")).equals(frame.drop("income_type"))


@pytest.mark.parametrize("copies", [1, 4], ids=["few rows", "frame"])
def test_earnings_received_by_transfer_override_the_payer_s_line(copies: int) -> None:
    # SNCF and La Poste are merchants too: a salary they pay is a salary. A card payment
    # and a debit keep their category; rent received is no earning.
    from ledgerlens.enrich._income import income_category

    frame = pl.DataFrame({
        "income_type": ["salary", "pension", "salary", None, "rental_income",
                        "interest_dividends", "interest_dividends"],
        "transaction_type": ["transfer_in", "instant_transfer_in", "card_in_store",
                             "transfer_in", "transfer_in", "transfer_in", "interest"],
        "category": ["travel", "services", "travel", "travel", "housing", "utilities",
                     "bank_fees"],
        "subcategory": ["trains_coaches", "post_courier", "trains_coaches", "trains_coaches",
                        "building_charges", "gas_heating", "incident_fees"],
        "category_confidence": [0.94, 0.9, 0.9, 0.9, 0.9, 0.9, 0.88],
        "category_evidence": ["merchant SNCF Connect -> trains_coaches"] * 7,
    })
    frame = pl.concat([frame] * copies)  # 7 rows take the plain-values path, 28 the frame one
    out = income_category(frame).head(7)
    # Dividends TotalEnergies pays are no gas bill; interest credited by the bank is no fee
    # (``REMUNERATION LIVRET A`` had read as an incident fee).
    assert out["subcategory"].to_list() == ["salary", "pension", "trains_coaches",
                                            "trains_coaches", "building_charges",
                                            "interest_dividends", "interest_dividends"]
    assert out["category_evidence"][0] == "income rule: salary"


@pytest.mark.parametrize("rows", [2, 12])
def test_a_salary_names_no_merchant(rows: int) -> None:
    from ledgerlens.enrich._income import salary_without_merchant

    # One path for a few rows (plain values), another for more: the same answer.
    frame = pl.DataFrame({
        "income_type": (["salary", "family_benefits"] * rows)[:rows],
        "merchant_id": (["nsi:decathlon", "cur:caf"] * rows)[:rows],
        "merchant_name": (["Decathlon", "CAF"] * rows)[:rows],
        "merchant_confidence": ([0.88, 0.99] * rows)[:rows],
    })
    out = salary_without_merchant(frame, ["merchant_id", "merchant_name",
                                          "merchant_confidence", "merchant_website"])
    assert out["merchant_id"].to_list() == ([None, "cur:caf"] * rows)[:rows]
    assert out["merchant_confidence"].to_list() == ([None, 0.99] * rows)[:rows]
    assert out.columns == frame.columns
    assert salary_without_merchant(frame.drop("income_type"), ["merchant_id"]).equals(
        frame.drop("income_type"))
