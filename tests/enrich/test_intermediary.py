"""Intermediaries: named apart, and the merchant behind them handed on."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.exceptions import DataError


def _detect(*labels: str) -> list[tuple[str | None, str]]:
    frame = clean_labels(pl.DataFrame({"raw_label": list(labels)}))
    return detect_intermediaries(frame).select("intermediary", "merchant_text").rows()


@pytest.mark.parametrize(("label", "intermediary", "merchant"), [
    ("PAYPAL *SPOTIFY", "paypal", "SPOTIFY"),
    ("CB SQ *BOULANGERIE X 12/03", "square", "BOULANGERIE X"),
    ("CARTE X1234 SUMUP *CAFE DU PORT 12/03", "sumup", "CAFE DU PORT"),
    ("CB ZETTLE_*LE PETIT ZINC", "zettle", "LE PETIT ZINC"),
    ("CB IZ *FROMAGERIE MARTIN", "zettle", "FROMAGERIE MARTIN"),
    ("CB STRIPE *CABINET KINE", "stripe", "CABINET KINE"),
    ("CARTE 10/01/25 APPLE PAY DECATHLON CB*1234", "apple_pay", "DECATHLON"),
    ("PAIEMENT SANS CONTACT GOOGLE PAY KFC", "google_pay", "KFC"),
    ("CB LYF*LE CASINO", "lyf_pay", "LE CASINO"),
    # the app's acceptance for shops: a checkout, not money sent to a friend
    ("LYDIA PRO *LE BISTROT", "lydia_pro", "LE BISTROT"),
    ("CB GOOGLE *ROBLOX.COM", "google", "ROBLOX.COM"),
    # Shopify Payments' web shops; a processor paying a shop's takings has none behind it
    ("CB SP *LOUISE MISHA 12/03", "shopify", "LOUISE MISHA"),
    ("CB SHOPIFY *SEZANE", "shopify", "SEZANE"),
    ("VIR SEPA RECU /DE SUMUP PAYMENTS /MOTIF PAYOUT", "sumup", "SUMUP PAYMENTS PAYOUT"),
    ("VIR INST LYDIA VERS MARIE MARTIN", "lydia", "MARIE MARTIN"),
    ("VIR INST PAYLIB VERS M JEAN DUPONT", "paylib", "M JEAN DUPONT"),
    ("VIR INST WERO VERS MME ANNE NOEL", "wero", "MME ANNE NOEL"),
    ("CB LYDIA 26/11", "lydia", "LYDIA"),  # a card top-up: nothing behind the app
    ("PAIEMENT CB LYDIA SOLUTIONS", "lydia", "LYDIA SOLUTIONS"),
    ("CB LYDIA*MARIE DUPONT", "lydia", "MARIE DUPONT"),  # to a friend, by card
    ("CB LYDIA 0903 PAUL MARTIN", "lydia", "PAUL MARTIN"),
    ("CB PAYLIB*MARTIN JULIE", "paylib", "MARTIN JULIE"),
    # the app as the transfer's payer: its company name is no merchant text
    ("VIR SEPA RECU /DE LYDIA SOLUTIONS", "lydia", "LYDIA SOLUTIONS"),
    ("VIR SEPA RECU /DE LYDIA SOLUTIONS /MOTIF WEEKEND", "lydia", "WEEKEND"),
    # the shop's name cut off at 50 characters: the terminal is still there
    ("PAIEMENT PSC 1709 SAINT ETIENNE DU ROUVRAY STRIPE", "stripe", "STRIPE"),
    ("CB SUMUP 12/03", "sumup", "SUMUP"),
    # PayPal Europe's direct debit names the shop in a German bank's reference
    ("FOLGELASTSCHRIFT PayPal Europe S.a.r.l. et Cie S.C.A 1035618826469/PP.3342.PP/. "
     "Netflix International B.V., Ihr Einkauf bei Netflix International B.V.", "paypal",
     "NETFLIX INTERNATIONAL B.V."),
    # the shop glued to its postcode went with the codes
    ("FACTURE CARTE DU 100225 SQ *STAR51100REIMS REIMS CARTE 4976XXXXXXXX1054", "square", "SQ"),
    # after a town no list holds, printed first by the bank: the star marks the wrapper
    ("PAIEMENT CB 1904 BARON SUMUP *CITY MARKET", "sumup", "CITY MARKET"),
    ("PAIEMENT PSC 1204 ST PRIEST DU LAC ZETTLE_*CAFE DU MARCHE", "zettle", "CAFE DU MARCHE"),
    ("PAIEMENT PSC 0401 CHANOLE LYF*BAR TABAC DU BOIS VA", "lyf_pay", "BAR TABAC DU BOIS VA"),
    # other acquirers and pay-later checkouts, by their star
    ("CB ADYEN*UBER", "adyen", "UBER"),
    ("CB VIVA WALLET*LA CANTINE", "viva_wallet", "LA CANTINE"),
    ("CB MOLLIE*VEEPEE", "mollie", "VEEPEE"),
    ("CB YAVIN*BISTROT DES AMIS", "yavin", "BISTROT DES AMIS"),
    ("CB ALMA*LA REDOUTE", "alma", "LA REDOUTE"),
    ("CB AMAZON PAYMENTS *DELIVEROO", "amazon_pay", "DELIVEROO"),
    ("CB SCALAPAY*SEZANE", "scalapay", "SEZANE"),
    # the public bodies' checkout: the town hall, hospital or water board follows
    ("CB PAYFIP CH DE ROUEN 12/03", "payfip", "CH DE ROUEN"),
    ("CB TIPI REGIE CANTINE 12/03", "payfip", "CANTINE"),
    # ... and the Treasury collecting for a town's service
    ("PRLV SEPA TRESOR PUBLIC REGIE CANTINE SCOLAIRE", "payfip", "CANTINE SCOLAIRE"),
])
def test_names_the_intermediary_and_unwraps_the_merchant(label: str, intermediary: str,
                                                          merchant: str) -> None:
    assert _detect(label) == [(intermediary, merchant)]


@pytest.mark.parametrize("label", [
    "CB CARREFOUR 12/03",
    "CB CAFE SUMUP 12/03",  # no star: a word of the shop's name
    "VIR SEPA DE LYDIA MARTIN",  # a person called Lydia, not the app
    "VIREMENT DE LYDIA DURAND",
    "CB LYDIA COIFFURE 26/11",  # a hairdresser called Lydia
    "CB GOOGLE *YOUTUBEPREMIUM",  # Google billing its own service
    "AMAZON PAYMENTS",
    "PRLV SEPA ALMA SAS",  # the lender billing an instalment: no shop behind it
    "",
])
def test_leaves_direct_payments_alone(label: str) -> None:
    rows = _detect(label)
    assert rows[0][0] is None
    assert rows[0][1] == clean_labels(pl.DataFrame({"raw_label": [label]}))["clean_label"][0]


def test_finds_a_p2p_app_named_in_the_transfer_reason() -> None:
    frame = pl.DataFrame({"raw_label": ["VIR INST EMIS 1234567 POUR M PAUL DURAND 2"],
                          "label_complement": ["MOTIF: LYDIA CINEMA"]})
    out = detect_intermediaries(clean_labels(frame))
    assert out.select("intermediary", "merchant_text").rows() == [("lydia",
                                                                   "M PAUL DURAND 2 CINEMA")]


def test_refuses_a_frame_without_clean_label() -> None:
    with pytest.raises(DataError, match="clean_label"):
        detect_intermediaries(pl.DataFrame({"raw_label": ["X"]}))


def test_matches_the_synthetic_ground_truth() -> None:
    # Measured P = R = 1.000 on this bank (seed 7) and on seeds 3 and 42
    # (benchmarks/eval_label_steps.py); the floor keeps a margin.
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    tx = bank.transactions.join(bank.ground_truth, on=["tenant_id", "transaction_id"])
    out = detect_intermediaries(clean_labels(tx.select("raw_label", "label_complement")))
    pred, truth = out["intermediary"], tx["intermediary"]
    hit = (pred.is_not_null() & (pred == truth)).sum()
    assert hit / max(pred.is_not_null().sum(), 1) >= 0.98
    assert hit / max(truth.is_not_null().sum(), 1) >= 0.98


def test_labels_no_rule_matches_skip_the_rules_with_the_same_result() -> None:
    labels = ["PAYPAL *SPOTIFY", "CARREFOUR CITY", "SQ *BOULANGERIE MARTIN", "FNAC", "",
              "LYDIA VERS PAUL", "GOOGLE *YOUTUBE"]
    frame = pl.DataFrame({"clean_label": labels, "full_label": labels})
    batch = detect_intermediaries(frame)  # some rule matches: every rule runs
    for i in range(frame.height):  # alone, most labels take the no-match shortcut
        assert detect_intermediaries(frame[i]).row(0) == batch.row(i)


def test_a_clean_label_shared_by_different_full_labels_reads_each_full_label() -> None:
    # Rules with a context read full_label; the rest are resolved once per clean label.
    clean = ["M PAUL DURAND LYDIA", "M PAUL DURAND LYDIA", "LYDIA", "PAYPAL *SPOTIFY",
             "PAYPAL *SPOTIFY", "M PAUL DURAND LYDIA"]
    full = ["VIR POUR M PAUL DURAND MOTIF: LYDIA", "VIR POUR M PAUL DURAND LYDIA", "LYDIA",
            "CB PAYPAL *SPOTIFY 12/03", "PAYPAL *SPOTIFY", None]
    frame = pl.DataFrame({"clean_label": clean, "full_label": full})
    batch = detect_intermediaries(frame)
    assert batch.get_column("intermediary").to_list()[:2] == ["lydia", None]
    for i in range(frame.height):
        assert detect_intermediaries(frame[i]).row(0) == batch.row(i)
