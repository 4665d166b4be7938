"""Statements of other European banks: their operation words give the type, the cleaning
drops them, income words name the income, and the directory knows their chains."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from ledgerlens.datasets import (
    load_curated_merchants,
    load_directory_merchants,
    load_european_merchants,
)
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._types import classify_types
from ledgerlens.taxonomy import SUBCATEGORIES

_LABELS: list[tuple[str, float, str, str]] = [
    # label, amount, type, clean label
    ("KARTENZAHLUNG REWE SAGT DANKE 12345", -34.2, "card_in_store", "REWE SAGT DANKE"),
    ("SEPA-LASTSCHRIFT TELEKOM DEUTSCHLAND GMBH", -39.95, "direct_debit",
     "TELEKOM DEUTSCHLAND GMBH"),
    ("FOLGELASTSCHRIFT VODAFONE GMBH", -29.99, "direct_debit", "VODAFONE GMBH"),
    ("DOMICILIACION ORANGE ESPAGNE", -39.95, "direct_debit", "ORANGE ESPAGNE"),
    ("UEBERWEISUNG MIETE MAERZ", -850.0, "transfer_out", "MIETE MAERZ"),
    ("ECHTZEIT-UEBERWEISUNG ANNA SCHMIDT", -20.0, "instant_transfer_out", "ANNA SCHMIDT"),
    ("GUTSCHRIFT LOHN GEHALT ACME GMBH", 2400.0, "transfer_in", "LOHN GEHALT ACME GMBH"),
    ("BARGELDAUSZAHLUNG SPARKASSE", -100.0, "cash_withdrawal", "SPARKASSE"),
    ("ENTGELT KONTOFUEHRUNG", -4.95, "fee", "ENTGELT KONTOFUEHRUNG"),
    ("POS PURCHASE TESCO STORES", -23.5, "card_in_store", "TESCO STORES"),
    ("ENTGELTABSCHLUSS KONTOFUEHRUNG", -4.95, "fee", "ENTGELTABSCHLUSS KONTOFUEHRUNG"),
    ("COMPRA TARJ. MERCADONA", -45.3, "card_in_store", "MERCADONA"),
    ("RECIBO IBERDROLA CLIENTES", -60.12, "direct_debit", "IBERDROLA CLIENTES"),
    ("TRANSFERENCIA RECIBIDA NOMINA", 1800.0, "transfer_in", "NOMINA"),
    ("BIZUM ENVIADO CENA", -15.0, "instant_transfer_out", "ENVIADO CENA"),
    ("PAGAMENTO POS ESSELUNGA", -50.2, "card_in_store", "ESSELUNGA"),
    ("ADDEBITO DIRETTO SDD ENEL ENERGIA", -72.0, "direct_debit", "ENEL ENERGIA"),
    ("PRELIEVO BANCOMAT UNICREDIT", -100.0, "cash_withdrawal", "UNICREDIT"),
    ("BETAALAUTOMAAT ALBERT HEIJN 1234", -23.1, "card_in_store", "ALBERT HEIJN"),
    # a Portuguese bank's purchase word alone: a card payment at home, not abroad
    ("COMPRA PINGO DOCE LISBOA", -62.3, "card_in_store", "PINGO DOCE"),
    # a Spanish bank's phone payment: a contactless one
    ("PAGO MOVIL EN MERCADONA VALENCIA", -23.4, "card_contactless", "MERCADONA"),
    ("INCASSO ZIGGO SERVICES BV", -55.0, "direct_debit", "ZIGGO SERVICES BV"),
    ("CARD PAYMENT TO TESCO STORES 2345", -28.4, "card_in_store", "TESCO STORES"),
    ("DIRECT DEBIT BRITISH GAS", -65.0, "direct_debit", "BRITISH GAS"),
    ("PAIEMENT BANCONTACT DELHAIZE", -81.2, "card_in_store", "DELHAIZE"),
    # a Belgian bank's French
    ("PAIEMENT AVEC LA CARTE DE DEBIT NUMERO 6703 XXXX XXXX 1234 DELHAIZE BRUXELLES",
     -81.2, "card_in_store", "DELHAIZE"),
    ("PAIEMENT PAR CARTE DE DEBIT NUMERO 1234 ALDI NAMUR", -64.0, "card_in_store", "ALDI"),
    ("ACHAT BANCONTACT COLRUYT WAVRE", -73.5, "card_in_store", "COLRUYT WAVRE"),
    ("DOMICILIATION EUROPEENNE CREANCIER PROXIMUS REFERENCE DU MANDAT 123456", -45.0,
     "direct_debit", "PROXIMUS"),
    ("ORDRE PERMANENT VERS BE12 3456 7890 1234 LOYER", -800.0, "transfer_out", "LOYER"),
    ("VIREMENT EUROPEEN EN FAVEUR DE JEAN DUPONT", -50.0, "transfer_out", "JEAN DUPONT"),
    # Flemish, and a Dutch bank's card and cash codes with its card number after the town
    ("BETALING MET DEBETKAART NUMMER 4871 04XX XXXX 1234 COLRUYT LEUVEN 12-11", -56.2,
     "card_in_store", "COLRUYT"),
    ("Betaling Bancontact ALDI GENT", -62.1, "card_in_store", "ALDI GENT"),
    ("AANKOOP BANCONTACT DELHAIZE BRUSSEL", -70.0, "card_in_store", "DELHAIZE"),
    ("BEA NR:5X8F72 12.11.24/14.32 JUMBO UTRECHT,PAS123", -65.1, "card_in_store", "JUMBO"),
    ("BEA, Betaalpas JUMBO UTRECHT,PAS123 NR:5X8F72, 12.11.24/14:32 UTRECHT", -65.1,
     "card_in_store", "JUMBO"),
    ("GEA NR:00000000 12.11.24/10.00 ING BANK AMSTERDAM,PAS 123", -50.0, "cash_withdrawal",
     "ING BANK"),
    # a German bank's cash machine line (Geldautomat, the machine's bank code, date and time)
    ("GA NR00002318 BLZ70070024 0/28.01/17.13UHR MUENCHEN", -50.0, "cash_withdrawal",
     "MUENCHEN"),
    # a Portuguese bank's card payment on the Multibanco network
    ("COMPRA MB CONTINENTE", -71.0, "card_in_store", "CONTINENTE"),
    # an instant transfer and its payee's connector: the payee stays
    ("BONIFICO ISTANTANEO A FAVORE DI MARIO ROSSI", -50.0, "instant_transfer_out",
     "MARIO ROSSI"),
    ("TRANSFERENCIA INMEDIATA A FAVOR DE ANA LOPEZ", -50.0, "instant_transfer_out",
     "ANA LOPEZ"),
    # Flemish, Portuguese, Irish and Italian banks' short or less common words
    ("BETALING VIA BANCONTACT LIDL BELGIUM ANTWERPEN", -23.4, "card_in_store",
     "LIDL BELGIUM"),
    ("GELDOPNEMING KBC BRUGGE", -60.0, "cash_withdrawal", "KBC"),
    ("DOORLOPENDE OPDRACHT HUUR APPARTEMENT", -750.0, "transfer_out", "HUUR APPARTEMENT"),
    ("BEHEERSKOSTEN ZICHTREKENING", -2.5, "fee", "BEHEERSKOSTEN ZICHTREKENING"),
    ("DD EDP COMERCIAL", -64.3, "direct_debit", "EDP COMERCIAL"),
    ("D/D ELECTRIC IRELAND", -88.0, "direct_debit", "ELECTRIC IRELAND"),
    ("VDP-DUNNES STORES", -45.6, "card_in_store", "DUNNES STORES"),
    ("ADDEBITO DELEGA F24 AGENZIA ENTRATE", -230.0, "direct_debit",
     "DELEGA F24 AGENZIA ENTRATE"),
    # the type after the shop, as an export's column joined to it
    ("KPN B.V. INCASSO ALGEMEEN DOORLOPEND", -45.0, "direct_debit",
     "KPN B.V. INCASSO ALGEMEEN DOORLOPEND"),
]


@pytest.mark.parametrize(("label", "amount", "expected", "_clean"), _LABELS)
def test_other_european_banks_words_give_the_type(label: str, amount: float, expected: str,
                                                   _clean: str) -> None:
    # Amounts above the contactless ceiling's reach: an unmarked bank's small payment
    # would read contactless; these read in store.
    frame = pl.DataFrame({"raw_label": [label, label], "amount": [amount, amount],
                          "account_id": ["a", "b"]})
    out = classify_types(frame)["transaction_type"].to_list()
    want = "card_contactless" if expected == "card_in_store" and abs(amount) <= 50 else expected
    assert out == [want, want]


@pytest.mark.parametrize(("label", "amount", "_type", "expected"), _LABELS)
def test_cleaning_drops_the_operation_words(label: str, amount: float, _type: str,
                                             expected: str) -> None:
    frame = pl.DataFrame({"raw_label": [label], "amount": [amount]})
    assert clean_labels(frame)["clean_label"].item() == expected


def test_a_foreign_banks_card_payment_in_its_own_country_is_not_abroad() -> None:
    frame = pl.DataFrame({"raw_label": ["KARTENZAHLUNG EDEKA CENTER MUENCHEN",
                                        "CARTE X1234 12/03 EDEKA MUENCHEN"],
                          "amount": [-156.1, -156.1]})
    assert classify_types(frame)["transaction_type"].to_list() == ["card_in_store",
                                                                   "card_abroad"]


def test_an_iban_in_groups_of_four_leaves_no_trace_in_the_clean_label() -> None:
    labels = ["VIR SEPA EMIS VERS FR76 3000 6000 0112 3456 7890 189 LOYER",
              "VIREMENT A DE89 3704 0044 0532 0130 00 REMBOURSEMENT"]
    frame = pl.DataFrame({"raw_label": labels, "amount": [-800.0, -20.0]})
    assert clean_labels(frame)["clean_label"].to_list() == ["LOYER", "REMBOURSEMENT"]


def test_french_labels_keep_their_types() -> None:
    frame = pl.DataFrame({"raw_label": ["CB CARREFOUR 12/03", "PRLV SEPA EDF",
                                        "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE"],
                          "amount": [-80.0, -60.0, 2100.0]})
    assert classify_types(frame)["transaction_type"].to_list() == [
        "card_in_store", "direct_debit", "transfer_in"]


@pytest.mark.parametrize("loader", [load_european_merchants, load_directory_merchants])
def test_directory_only_merchants_are_well_formed_and_apart_from_the_curated_list(
        loader: Callable[[], pl.DataFrame]) -> None:
    eu = loader()
    assert eu.columns == load_curated_merchants().columns
    assert eu["merchant_id"].n_unique() == eu.height
    assert eu["merchant_id"].str.contains(r"^cur:[a-z0-9][a-z0-9-]*$").all()
    others = pl.concat([load_curated_merchants(), load_european_merchants(),
                        load_directory_merchants()])
    assert others["merchant_id"].n_unique() == others.height
    assert set(eu["subcategory"]) <= set(SUBCATEGORIES)
    if loader is load_european_merchants:
        assert (eu["country"] != "FR").all()
    assert (eu["popularity"] == 0).all()
    for descriptors in eu["descriptors"]:
        variants = descriptors.split("|")
        assert 1 <= len(variants) <= 5
        assert all(v == v.strip().upper() and v.isascii() for v in variants)


@pytest.mark.parametrize(("label", "merchant", "subcategory"), [
    ("DOMICILIATION EUROPEENNE CREANCIER PROXIMUS REFERENCE DU MANDAT 123456", "Proximus",
     "internet_tv"),
    ("PAIEMENT AVEC LA CARTE DE DEBIT NUMERO 6703 XXXX XXXX 1234 DELHAIZE BRUXELLES",
     "Delhaize", "supermarket"),
    ("LASTSCHRIFT AOK PLUS BEITRAG", "AOK", "health_insurance"),
    ("SEPA-LASTSCHRIFT RUNDFUNK ARD ZDF DRADIO BEITRAGSSERVICE",
     "ARD ZDF Deutschlandradio Beitragsservice", "administrative_fees"),
    ("IDEAL BOL.COM BV", "bol.com", "marketplace"),
    ("COMPRA MB CONTINENTE LISBOA", "Continente", "supermarket"),
    # chains the name-suggestion index knows in France only by their fuel stations
    ("CB WALMART 12/03", "Walmart", "supermarket"),
    ("CB SAFEWAY 1234", "Safeway", "supermarket"),
    # online services the curated list lacks; a number that is part of the name
    ("CB MIDJOURNEY INC", "Midjourney", "streaming_digital"),
    ("CB BITDEFENDER", "Bitdefender", "streaming_digital"),
    ("CB QARE", "Qare", "doctor"),
    ("CB MICROSOFT*MICROSOFT 365", "Microsoft 365", "streaming_digital"),
    # car service networks, online car parts, grocery and labs the lists lacked; a longer
    # name before a one-letter one (COURSES U is no U station), initials joined by ET
    ("CB RENAULT MINUTE 12/03", "Renault Minute", "vehicle_maintenance"),
    ("CB EUROREPAR 12/03", "Eurorepar Car Service", "vehicle_maintenance"),
    ("CB OSCARO.COM", "Oscaro", "vehicle_maintenance"),
    ("CB COURSES U 12/03", "Courses U", "supermarket"),
    ("CB EUROFINS BIOMNIS 12/03", "Eurofins Biologie médicale", "laboratory"),
    ("CB B ET M 12/03", "B&M", "general_merchandise"),
    # energy suppliers the lists lacked; a curated biller's bare name
    ("PRLV SEPA PRIMEO ENERGIE", "Primeo Energie", "electricity"),
    ("PRLV SEPA VEOLIA", "Veolia Eau", "water"),
    # other countries' chains, billers and insurers (a Spanish insurer billed by direct
    # debit: the name-suggestion index knows only its offices)
    ("KARTENZAHLUNG HORNBACH BAUMARKT AG", "Hornbach", "diy_home_improvement"),
    ("KARTENZAHLUNG MEDIA MARKT BERLIN", "MediaMarkt", "electronics"),
    ("LASTSCHRIFT HUK-COBURG KFZ-VERSICHERUNG", "HUK-COBURG", "car_insurance"),
    ("RECIBO MAPFRE SEGUROS AUTO", "Mapfre", "car_insurance"),
    ("ADDEBITO SEPA DD AUTOSTRADE PER L ITALIA TELEPASS", "Telepass", "tolls"),
    ("BANCONTACT STIB MIVB", "STIB-MIVB", "public_transport"),
    # tax offices (SPF, the Belgian finance ministry, is no Secours populaire français)
    ("VIREMENT SPF FINANCES IMPOT 2024", "SPF Finances", "income_tax"),
    ("SEPA-LASTSCHRIFT FINANZAMT MUENCHEN STEUERNR 143/123/45678", "Finanzamt", "income_tax"),
    # Belgian and Luxembourg billers and health funds; spellings of online services
    ("DOMICILIATION EUROPEENNE VIVAQUA REFERENCE DU MANDAT 123", "Vivaqua", "water"),
    ("DOMICILIATION ENOVOS LUXEMBOURG S.A. ACOMPTE ELECTRICITE", "Enovos", "electricity"),
    ("DOMICILIATION EUROPEENNE SOLIDARIS MUTUALITE COTISATION", "Solidaris",
     "health_insurance"),
    ("CB AMZ MKTP FR", "Amazon", "marketplace"),
    ("CB MSFT *E0400ABCDE", "Microsoft 365", "streaming_digital"),
])
def test_other_european_banks_billers_and_chains_are_found(label: str, merchant: str,
                                                          subcategory: str) -> None:
    from ledgerlens.enrich import EnrichmentModel, enrich

    out = enrich(pl.DataFrame({"date": ["2025-03-05"], "amount": [-55.0], "label": [label]}),
                 EnrichmentModel.default())
    assert (out["merchant_name"].item(), out["subcategory"].item()) == (merchant, subcategory)
