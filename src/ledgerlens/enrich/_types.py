"""Step 3 of enrichment: the transaction type, from the label first, then codes and amount.

French labels say what a movement is (``PRLV SEPA``, ``VIR INST``, ``RETRAIT DAB``,
``PAIEMENT SANS CONTACT``); ISO 20022 bank transaction codes and MCCs confirm it when
the bank sends them, and the amount's sign gives the direction. :func:`classify_types`
writes ``transaction_type`` (one of ``ledgerlens.schema.TRANSACTION_TYPES``) and
``type_evidence`` (which rule decided). Label rules run once per distinct label.

Card payments split four ways. *Abroad*: an amount in another currency, a foreign town
or country code, foreign trade words. *Online*: web markers (``.COM``, ``WWW``), online
intermediaries (PayPal, Google Play), online MCCs or a known online merchant.
*Contactless*: the bank's marker (``SANS CONTACT``, ``PSC``) or a phone wallet; a bank
that never marks contactless payments gets the French contactless ceiling (50 EUR) as
the best guess. *In store*: the rest.

>>> import polars as pl
>>> frame = pl.DataFrame({"raw_label": ["PRLV SEPA FREE MOBILE"], "amount": [-19.99]})
>>> classify_types(frame)["transaction_type"].to_list()
['direct_debit']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import polars as pl

from ledgerlens.enrich._clean import (
    FOREIGN_CITIES,
    TOWN_NAMING_TRADES,
    clean_labels,
    ends_with_name,
    french_city_forms,
    normalize_text,
)
from ledgerlens.enrich._distinct import distinct_rows, zero_digits
from ledgerlens.enrich._european import EUROPEAN_TYPE_WORDS as _EU
from ledgerlens.enrich._european import HOME_CARD_WORDS
from ledgerlens.enrich._few_rows import constant
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.schema import ISO_4217, TRANSACTION_TYPES

__all__ = ["CONTACTLESS_LIMIT_EUR", "LOAN_BY_DIRECT_DEBIT", "ONLINE_MCCS", "classify_types"]

#: Evidence of a debit whose label is only a biller paid by direct debit (``debit_names``).
DEBIT_BILLER_EVIDENCE = "biller paid by direct debit"
#: The evidence of a payment out whose label says nothing, typed by its counterparty.
PARTY_EVIDENCE = {"biller": "counterparty paid by direct debit",
                  "person": "counterparty is a person",
                  "account": "counterparty's account given"}
#: How ``type_evidence`` opens for a loan instalment taken by direct debit.
LOAN_BY_DIRECT_DEBIT = "loan instalment by direct debit"

#: French contactless ceiling: above it a card payment in a shop needs the PIN.
CONTACTLESS_LIMIT_EUR = 50.0

#: MCCs of merchants that sell at a distance (mail/phone order, digital goods, streaming).
ONLINE_MCCS: frozenset[str] = frozenset({
    "4816", "4899", "5815", "5816", "5817", "5818", "5960", "5961", "5962", "5963", "5964",
    "5965", "5966", "5967", "5968", "5969",
})

# Label rules in priority order: (type, regex on the normalised full label, evidence).
# ``{out}`` / ``{in}`` suffixes are resolved with the amount's sign afterwards.
_LABEL_RULES: tuple[tuple[str, str, str], ...] = (
    ("reversal", r"^(?:ANNULATION|ANNUL\.?|EXTOURNE|CONTRE[- ]PASSATION|REJET CB)\b"
     # a direct debit or transfer sent back (REJET PRLV SEPA EDF, IMPAYE PRLV, RETOUR VIR)
     r"|^(?:REJET|IMPAYE|RETOUR)\s+(?:DE\s+|DU\s+)?(?:PRLV|PRELEVEMENT|PRELEV|VIR|VIREMENT)\b"
     # ... the word after the operation's (PRELEVEMENT IMPAYE FREE MOBILE)
     r"|^(?:PRLV|PRELEVEMENT|PRELEV)\s+(?:SEPA\s+)?(?:IMPAYES?|REJETES?|RETOURNES?)\b"
     # ... or after the creditor's name (PRLV SEPA SFR IMPAYE, PRLV SEPA EDF REJETE)
     r"|^(?:PRLV|PRELEVEMENT|PRELEV)(?:\s+\S+){1,5}?\s+(?:IMPAYES?|REJETE?S?)(?:\s|$)"
     # a transfer sent back, said after the transfer's words (VIR SEPA RETOURNE MOTIF MS03,
     # VIREMENT REJETE); a reason saying a parcel was returned is no such word
     r"|^(?:VIR|VIREMENT)(?:\s+(?:SEPA|EUROPEEN|INST|INSTANTANE|EMIS|RECU))*"
     r"\s+(?:RETOURNES?|REJETES?|IMPAYES?)\b"
     + _EU["reversal"],
     "reversal word"),
    # a loan held at another bank, taken by direct debit (PRELEVEMENT DE LCL ECHEANCE PRET):
    # the category step reads it as a loan repayment (``LOAN_BY_DIRECT_DEBIT``)
    ("direct_debit", r"^(?:PRLV|PRELEVEMENT|PRELEV|PREL)\b.*\b(?:ECHEANCE|ECH)\s+PRET\b",
     "loan instalment by direct debit"),
    ("loan_repayment", r"^(?:ECHEANCE|ECH\.?)\s+(?:PRET|CREDIT)\b|^(?:REMBOURSEMENT|REMBT|REMB)"
     r"\.?\s+(?:(?:ANTICIPEE?|PARTIELL?E?|TOTALE?)\s+(?:DU\s+|DE\s+)?)?(?:PRET|CREDIT)\b"
     r"|\bECHEANCE\s+PRET\b"
     # the loan named before the word (``PRET ETUDIANT ECHEANCE``)
     r"|^PRET(?:\s+\S+){0,3}\s+(?:ECHEANCE|ECH)\b", "loan instalment"),
    ("refund", r"^(?:REMBOURSEMENT|REMB|AVOIR|RETOUR|REMBT)\b" + _EU["refund"], "refund word"),
    # the yearly fee of a deferred-debit card is a fee (COTISATION CARTE A DEBIT DIFFERE)
    ("fee", r"^(?:FRAIS|COTISATION|COTIS\.?|COMMISSIONS?|COMM\.?)\s.*\bDIFF(?:EREE?S?)?\b",
     "bank fee word"),
    ("deferred_card_total", r"^(?:RELEVE|FACTURES|FACTURETTES?|TOTAL|TOT)\b.*\b(?:CARTE|CB)\b"
     r".*\b(?:DIFF?|DIFFERES?|DEBIT DIFFERE)\b|\bTOT\.?\s+DIF|^FACTURETTES?\s+CB\b"
     r"|^RELEVE\s+(?:CARTE\s+)?DIFF|\b(?:CARTES?|CB)\s+(?:A\s+)?DEBIT\s+DIFFERE\b"
     # the card named, a few words on its deferred debit, in either gender (CARTE X1234
     # DEBIT DIFFERE, OPERATIONS CARTE DIFFEREES, PRLV CARTE BLEUE DIFFERE)
     r"|\b(?:CARTES?|CB)(?:\s+\S+){0,3}?\s+(?:A\s+)?(?:DEBIT\s+)?DIFFEREE?S?\b"
     # the month's card payments added up (TOTAL DES FACTURES CARTE, TOTAL OPERATIONS CB)
     r"|^(?:TOTAL|TOT\.?)\s+(?:DES\s+)?(?:FACTURES|FACTURETTES|OPERATIONS|ACHATS|PAIEMENTS)"
     r"\s+(?:CARTES?|CB)\b"
     # the card's month by its dates (TOTAL CARTE X1234 AU 31/03, FACTURES CARTE DU 01/03 AU
    # 31/03; a single FACTURE CARTE DU ... is one payment in some banks' wording)
    r"|^(?:TOTAL|TOT\.?|FACTURES)\s+(?:CARTES?|CB)\b.*\bAU\s+[0-9]"
    # ... by the card's number and the statement's date, no shop (FACTURES CARTE
    # 4974XXXXXXXX1234 DU 30/11/24), or closed (ARRETE CARTE 12345678 AU 30/11)
    r"|^FACTURES\s+(?:CARTES?|CB)(?:\s+[0-9X*]{4,})?(?:\s+DU)?\s+[0-9]{2}[/.]?[0-9]{2}"
    r"(?:[/.]?[0-9]{2,4})?\s*$|^ARRETE\s+(?:DE\s+)?(?:CARTES?|CB)\b"
    # DEBIT MENSUEL CARTE; a statement of the card with only its number or date after it
     # (RELEVE CARTE 02/25; RELEVE CARTE CARREFOUR is no total).
     r"|^DEBIT\s+MENSUEL\s+(?:CARTES?|CB)\b|^(?:CARTES?|CB)\b.*\bDEBIT\s+MENSUEL\b"
     r"|^RELEVE\s+(?:CARTES?|CB)(?:\s+[0-9X*/.\-]+)*$"
     # the month's total debited as such (PRELEVEMENT CARTE DIFFERE, DEBIT CB DIFFERE)
     r"|^(?:PRELEVEMENT|PRLV|DEBIT)\s+(?:CARTES?|CB)\s+(?:A\s+)?(?:DEBIT\s+)?DIFFERES?\b"
     # a charge card's month, taken by its issuer's direct debit (PRLV SEPA AMERICAN EXPRESS)
     r"|^(?:PRLV|PRELEVEMENT|PRELEV|PREL)\b.*\b(?:AMERICAN\s+EXPRESS|AMEX|DINERS\s+CLUB)\b",
     "deferred card statement"),
    ("interest", r"^(?:INTERETS?|INT\.?)\s+(?:DEBITEURS|CREDITEURS|ACQUIS|ANNUELS|CREDIT|DEB)"
     r"|^AGIOS\b|^INTERETS?\b|\bREMUNERATION\s+(?:LIVRET|COMPTE)"
     # the quarter's overdraft interest and charges, summed at the account's closing
     r"|^ARRETE\s+(?:DE\s+)?(?:COMPTE|CPTE)\b"
     # A neobank's English statement: Interest earned, Savings interest.
     r"|^INTEREST\s+(?:EARNED|PAID|PAYMENT|RECEIVED|CREDITED)\b"
     r"|^(?:SAVINGS|VAULT|POCKET)\s+INTEREST\b" + _EU["interest"], "interest word"),
    ("fee", r"^(?:FRAIS|COTISATION|COTIS\.?|COMMISSIONS?|COMM\.?|FORFAIT|TENUE DE COMPTE"
     r"|ABONNEMENT\s+(?:OFFRE|SERVICES?|BANQUE)|OFFRE\s+GROUPEE|CONVENTION\s+DE\s+COMPTE"
     r"|MINIMUM\s+FORFAITAIRE|PENALITE|DROITS\s+DE\s+GARDE"
     # the letter a bank charges for before it rejects a payment
     r"|LETTRE\s+(?:D\s*)?(?:INFORMATION|INFO|INFOS)(?:\s+PREALABLE)?)\b"
     r"|\b(?:PLAN|METAL|PREMIUM|ACCOUNT|CARD|MONTHLY|FX|EXCHANGE|ATM|WITHDRAWAL)\s+FEES?\b"
     r"|\bCARD\s+(?:DELIVERY|REPLACEMENT)\s+FEES?\b"
     # a neobank's plan (N26 Smart membership, N26 You membership)
     r"|\b(?:SMART|YOU|METAL|GO)\s+MEMBERSHIP\b" + _EU["fee"], "bank fee word"),
    # a deposit at a cash machine names the machine too (DEPOT ESPECES GAB)
    ("cash_deposit", r"^(?:VERSEMENT|DEPOT|VERST)\s+(?:ESPECES|ESP)\b|^VERSEMENT\b"
     + _EU["cash_deposit"],
     "cash deposit word"),
    ("cash_withdrawal", r"^(?:RETRAIT|RET\.?\s+DAB|RET\.?\s+GAB)\b|\bDAB\b|\bGAB\b"
     r"|\bDISTRIBUTEUR\b|\bATM\b|\bWITHDRAWAL\b|^CASH\s+AT\b" + _EU["cash_withdrawal"],
     "cash machine"),
    ("cheque_deposit", r"^(?:REMISE|REM\.?)\s+(?:DE\s+)?(?:CHEQUES?|CHQ\.?)\b"
     + _EU["cheque_deposit"], "cheque deposit"),
    ("cheque", r"^(?:CHEQUE|CHQ\.?|CHQ)\b" + _EU["cheque"], "cheque word"),
    ("loan_disbursement", r"\bDEBLOCAGE\s+(?:PRET|FONDS|CREDIT)\b|\bFONDS\s+PRET\b"
     r"|\bMISE\s+A\s+DISPOSITION\s+(?:PRET|FONDS|CREDIT)\b", "loan disbursement"),
    ("direct_debit", r"^(?:PRLV|PRELEVEMENT|PRELEV|PREL)\b|\bPRLV\s+SEPA\b" + _EU["direct_debit"],
     "direct debit"),
    ("own_account_transfer", r"^(?:VIR|VIREMENT)\S*(?:\s+(?:SEPA|INST|EMIS|RECU))*"
     r"\s+(?:INTERNE|COMPTE\s+A\s+COMPTE|DE\s+COMPTE\s+A\s+COMPTE)\b|^(?:VIR|VIREMENT)\S*"
     r"(?:\s+(?:PERMANENT|PERIODIQUE|SEPA|EMIS|RECU|INST))*"
     r"(?:\s+/?(?:VERS|DE|A|SUR|AU|DU|DEPUIS))?\s+"
     r"(?:LIVRET|LDDS?|LEP|PEL|CEL|PEA|COMPTE\s+(?:COURANT|EPARGNE|JOINT|TITRES|SUR\s+LIVRET)|CPTE?"
     # the saver's own pot (VIR PERMANENT EPARGNE LDD), not an employer's plan at a fund manager
     r"|EPARGNE(?:\s+(?:LDDS?|LIVRET|LEP|PEL|CEL|PEA|[0-9/.-]+))*$"
     r"|(?:VERSEMENT\s+|CONTRAT\s+)?ASSURANCE\s+VIE)\b"
     # the motif says so (VIR SEPA RECU /DE BOURSORAMA /MOTIF VIREMENT INTERNE, VIREMENT DE
     # BOURSORAMA VIREMENT INTERNE)
     r"|^(?:VIR|VIREMENT)\b.*\s/?(?:VIR|VIREMENT)\s+(?:INTERNE"
     r"|(?:DE\s+)?COMPTE\s+A\s+COMPTE|ENTRE\s+(?:MES\s+)?COMPTES)\b"
     # ... or names the saver's other account (/MOTIF VIREMENT DEPUIS MON COMPTE BNP, VERS MON
     # LIVRET)
     r"|^(?:VIR|VIREMENT)\b.*\b(?:(?:DEPUIS|DE|VERS|SUR|A)\s+(?:MON|MES)|DEPUIS)\s+"
     r"(?:AUTRES?\s+)?(?:COMPTES?|CPTE|LIVRETS?|EPARGNE)\b"
     # A neobank's English statement: a top-up, a currency exchange, a savings pocket.
     r"|^TOP[- ]?UP\b|\bTOP[- ]?UP\s+BY\b"
     # an account at a neobank topped up from or to this one (VIR INST RE ... REVOLUT TOP UP)
     r"|\b(?:REVOLUT|N26|WISE|TRANSFERWISE|BUNQ|VIVID|NICKEL)\b.*\bTOP[- ]?UP\b"
     r"|^EXCHANGED\s+TO\b|^(?:TO|FROM)\s+(?:[A-Z]{3}\s+)?(?:SAVINGS|POCKET|VAULT)\b"
     # a currency exchange within the account (Converted 100.00 GBP to 115.20 EUR), a
     # round-up or automatic saving (Auto save to Savings)
     r"|^(?:CONVERTED|EXCHANGE(?:D)?)\s+[0-9.,]+\s+[A-Z]{3}\s+(?:TO|FOR)\b"
     r"|^(?:AUTO[- ]?SAVE|ROUND[- ]?UP)S?\b"
     # ... and a French savings account named in it (Transfer to Livret A)
     r"|^(?:TRANSFER|PAYMENT)?\s*(?:TO|FROM)\s+(?:MY\s+)?(?:LIVRET|LDDS?|LEP|PEL|PEA)\b"
     + _EU["own_account_transfer"],
     "own account words"),
    ("transfer", r"^(?:VIR|VIREMENT|VRT|VIRT)\b|^(?:VIR|VIREMENT)\.|\bVIR\s+SEPA\b"
     r"|^(?:PAYMENT|TRANSFER|TRANSFERT)\s+(?:TO|FROM)\b"
     # A neobank's English statement names the person after To / From (``To John Smith``).
     r"|^(?:TO|FROM|SENT\s+TO|RECEIVED\s+FROM)\s+[A-Z][A-Z'.-]*\s+[A-Z]"
     + _EU["transfer"], "transfer word"),
    ("card", r"^(?:CB|CARTE|PAIEMENT|ACHAT|FACTURE\s+CARTE|PSC|TPE)\b|\bCB\*|\bCARTE\s+X"
     r"|\bSANS\s+CONTACT\b" + _EU["card"], "card payment word"),
)

_INSTANT = (r"\bINST\b|\bINSTANTANE\b|\bIMMEDIAT\b|\bSCT\s*INST\b|\bVIR\s+IP\b"
            r"|\bECHTZEIT|\bINMEDIATA\b|\bBIZUM\b|\bISTANTANEO\b|\bINSTANT\s+PAYMENT\b")
_CONTACTLESS = (r"\bSANS\s+CONTACT\b|\bPSC\b|\bNFC\b|\bCONTACTLESS\b|\bPAIEMENT\s+MOBILE\b"
                r"|\bKONTAKTLOS\b|\bSIN\s+CONTACTO\b|\bSENZA\s+CONTATTO\b|\bCONTACTLOOS\b|\bPAGO\s+MOVIL\b"
                r"|\bAPPLE\s*PAY\b|\bGOOGLE\s*PAY\b|\bSAMSUNG\s*PAY\b")
_ONLINE_MARK = (r"\.(?:COM|FR|NET|ORG|EU|IO|CO|DE|ES|IT|UK|TV|ME|NL|BE|PT|AT|LU|IE)\b"
                r"|\bWWW\b|\bHTTPS?\b|\bINTERNET\b|\bONLINE\b|\bEN\s+LIGNE\b|\bVAD\b|\bE-?COMMERCE\b|/BILL\b"
                r"|\bHELP\.|\bAMZN\b|\bAMAZON\b|\bMKTP\b|\bMARKETPLACE\b|\bABONNEMENT\b"
                r"|\bSUBSCRIPTION\b|\bMEMBERSHIP\b|\bPREMIUM\b")
_ONLINE_INTERMEDIARIES = ("paypal", "google", "amazon_pay", "klarna", "mollie", "payfip",
                          "shopify")
_WALLETS = ("apple_pay", "google_pay", "samsung_pay")

# Trade words that French shops do not use but shops abroad do (ES, IT, PT, DE, NL, EN).
# Not the Italian restaurants' words French restaurants take (``TRATTORIA DA LUIGI``,
# ``RISTORANTE DA VINCI``, ``OSTERIA``, ``CAFETERIA DU CHU``): alone they say nothing of
# where; with a foreign town (``TRATTORIA ROMA``) or country the payment is still abroad.
_FOREIGN_WORDS: tuple[str, ...] = (
    "RESTAURANTE", "TABERNA", "CERVECERIA", "MARISQUERIA", "TAPERIA", "SUPERMERCADO",
    "ZAPATERIA", "FARMACIA", "HOSTAL", "MUSEO", "MUSEU",
    "GELATERIA", "PASTICCERIA", "SUPERMERCATO", "CALZATURE", "ALBERGO",
    "GALLERIA", "TABACCHERIA", "CAFFE", "TASCA", "PASTELARIA", "SAPATARIA", "POUSADA",
    "GASTHAUS", "BIERGARTEN", "APOTHEKE", "BACKEREI", "BAECKEREI", "METZGEREI",
    "SCHUHE", "KONDITOREI", "IZAKAYA", "RYOKAN", "KISSATEN", "SUPERMARKT", "LEBENSMITTEL",
    "ALIMENTACION", "AUTOSERVICIO", "ALIMENTARI", "MINIMERCADO", "KONBINI", "CHEMIST",
    "MERCADONA", "PINGO DOCE",
    "CONTINENTE", "EDEKA", "REWE", "TESCO", "SAINSBURYS", "WALGREENS", "WHOLE FOODS",
    "DELHAIZE", "COLRUYT", "CONAD", "ESSELUNGA", "LAWSON", "FAMILYMART",
    "7-ELEVEN", "WALGREENS", "OUTFITTERS", "DRUGSTORE",
    "PANADERIA", "PANIFICIO", "PADARIA", "PANIFICACAO", "BAKKERIJ", "BANKETBAKKER",
    "BOCATERIA", "ROSTICCERIA", "PANINOTECA", "HAMBURGUERIA", "IMBISS", "DOENER", "SNACKBAR",
    "FRITUUR", "GASOLINERA", "DISTRIBUTORE", "CARBURANTI", "TANKSTELLE", "TANKSTATION",
    "APARCAMIENTO", "PARCHEGGIO", "ESTACIONAMENTO", "PARKHAUS", "PARKPLATZ", "PARKEERGARAGE",
    "CARNICERIA", "PESCADERIA", "MACELLERIA", "PESCHERIA", "TALHO", "PEIXARIA", "FLEISCHEREI",
    "SLAGERIJ", "VISHANDEL", "PELUQUERIA", "PARRUCCHIERE", "BARBIERE", "CABELEIREIRO",
    "BARBEARIA", "FRISEUR", "FRISOER", "KAPSALON", "LIBRERIA", "LIVRARIA", "BUCHHANDLUNG",
    "BOEKHANDEL", "RECUERDOS", "FLORISTERIA", "FIORAIO", "LEMBRANCAS", "FLORISTA",
    "CADEAUWINKEL", "APOTHEEK", "DROGISTERIJ", "EETHUIS", "KOFFIEBAR", "SCHOENEN",
    "LEVENSMIDDELEN",
)
# Country codes that end a label abroad; codes that are also French words, abbreviations,
# company forms or cut words (``DE``, ``SE``, ``MA``, ``CH``, ``TR``, ``MX`` of ``ISSY LES
# MX``) are left out: a town or currency tells instead.
_FOREIGN_CODES: tuple[str, ...] = (
    "ES", "ESP", "IT", "ITA", "PT", "PRT", "DEU", "BEL", "GR", "GRC", "GB", "GBR", "UK", "CHE",
    "USA", "CAN", "JP", "JPN", "NL", "NLD", "IE", "IRL", "AUT", "POL", "TUN", "DK",
)

# Codes that only count right after a foreign town (they are French words too).
_AFTER_TOWN: tuple[str, ...] = ("DE", "BE", "IT", "CA", "MA", "NO", "AT", "CH", "SE", "LU",
                                "US", "FI")

_CODE_TYPES: dict[str, str] = {
    "PMNT-CCRD-POSD": "card", "PMNT-CCRD-CWDL": "cash_withdrawal",
    "PMNT-CNTR-CWDL": "cash_withdrawal", "PMNT-CNTR-CDPT": "cash_deposit",
    "PMNT-ICHQ-CCHQ": "cheque", "PMNT-ICHQ-BCHQ": "cheque", "PMNT-RCHQ-BCHQ": "cheque_deposit",
    "PMNT-RCHQ-CCHQ": "cheque_deposit", "PMNT-RDDT-ESDD": "direct_debit",
    "PMNT-RDDT-BBDD": "direct_debit", "PMNT-IDDT-ESDD": "direct_debit",
    "PMNT-ICDT-ESCT": "transfer", "PMNT-RCDT-ESCT": "transfer", "PMNT-ICDT-STDO": "transfer",
    "PMNT-RCDT-STDO": "transfer", "PMNT-ICDT-DMCT": "transfer", "PMNT-RCDT-DMCT": "transfer",
    "PMNT-ICDT-BOOK": "own_account_transfer", "PMNT-RCDT-BOOK": "own_account_transfer",
    "PMNT-CCRD-RIMB": "refund", "PMNT-CCRD-RRTN": "reversal", "PMNT-ICDT-RRTN": "reversal",
    "PMNT-RDDT-RRTN": "reversal", "LDAS-CSLN-RPMT": "loan_repayment",
    "LDAS-CSLN-DDWN": "loan_disbursement", "ACMT-MDOP-CHRG": "fee", "ACMT-MDOP-INTR": "interest",
    "ACMT-MCOP-INTR": "interest",
    # the kinds of operation neobank and bank exports print in a column of their own
    "MASTERCARD PAYMENT": "card", "VISA PAYMENT": "card", "CARD_PAYMENT": "card",
    "CARD PAYMENT": "card", "CARTE": "card", "CARD_REFUND": "refund",
    "OUTGOING TRANSFER": "transfer", "INCOMING TRANSFER": "transfer", "INCOME": "transfer",
    "TRANSFER": "transfer", "VIREMENT": "transfer", "DIRECT DEBIT": "direct_debit",
    "PRELEVEMENT": "direct_debit", "ATM": "cash_withdrawal", "RETRAIT": "cash_withdrawal",
    "TOPUP": "own_account_transfer", "EXCHANGE": "own_account_transfer",
}


@functools.cache
def _curated_spellings() -> pl.DataFrame:
    """Every normalized name and listed spelling of the hand-listed merchants (curated,
    European and directory-only), with its merchant's ``kind``, whether it is paid by
    ``card``, only by ``direct_debit`` and whether only ``online`` (``sells_at_a_distance``,
    or a subscription)."""
    from ledgerlens.datasets import load_listed_merchants
    from ledgerlens.datasets._vocab import sells_at_a_distance

    return (load_listed_merchants().select(
        "kind", card=pl.col("billing").str.contains("card"),
        debit_only=pl.col("billing") == "direct_debit",
        online=sells_at_a_distance() | (pl.col("kind") == "subscription"),
        n=pl.concat_list(pl.col("name"), pl.col("descriptors").str.split("|")))
        .explode("n").select("kind", "card", "debit_only", "online",
                             normalize_text(pl.col("n")).alias("n"))
        .drop_nulls())


@functools.cache
def _offline_names() -> frozenset[str]:
    """Spellings of curated merchants paid by card at a counter or a machine (shops, post
    offices, regional trains, tolls): ``LA POSTE`` is a post office, whatever the
    ``LA POSTE COLISSIMO`` of the parcel site."""
    spelt = _curated_spellings()
    return frozenset(spelt.filter(~pl.col("online") & (pl.col("kind") != "intermediary")
                                  & pl.col("card"))["n"].to_list())


@functools.cache
def _online_names() -> frozenset[str]:
    """Spellings of merchants that only sell at a distance, from the curated directory
    (online retail, delivery, travel booking, betting, donations, subscriptions, transport
    paid in an app), minus names a physical chain or another curated merchant paid by card
    also uses (``SNCF`` is the online booking site's and the regional trains')."""
    spelt = _curated_spellings()
    online = set(spelt.filter(pl.col("online"))["n"].to_list())
    return frozenset(n for n in online - _offline_names()
                     if len(n) >= 3 and n not in _store_names())


@functools.cache
def debit_names() -> frozenset[str]:
    """Spellings of curated billers paid only by direct debit (utilities, telecoms,
    insurers, lenders), minus those a merchant paid by card, a shop or an online service
    also uses (a biller's line of money paid in, ``HARMONIE MUTUELLE``'s reimbursements, is
    no payment out): a debit whose label is one of them and says nothing else (an
    aggregator's ``EDF``, ``Free Mobile``) is their direct debit, not a card payment in
    store."""
    spelt = _curated_spellings()
    only = set(spelt.filter(pl.col("debit_only"))["n"].to_list())
    other = set(spelt.filter(pl.col("card"))["n"].to_list())
    return frozenset(n for n in only - other - _offline_names() - _online_names()
                     if len(n) >= 3 and n not in _store_names())


@functools.cache
def _store_names() -> frozenset[str]:
    """Names and listed spellings of chains with physical shops (name-suggestion-index
    brands): ``LECLERC`` is a shop, not a cut ``LECLERCVOYAGES.COM``."""
    from ledgerlens.datasets import load_brands

    brands = load_brands().select(pl.concat_list(
        pl.col("name"), pl.col("aliases").fill_null("").str.split("|")).alias("n"))
    return frozenset(brands.explode("n").select(normalize_text(pl.col("n"))).get_column("n")
                     .drop_nulls().to_list()) - {""}


@functools.cache
def _online_sets() -> tuple[pl.Series, pl.Series, pl.Series]:
    """Online names, their prefixes and their one-word names, as Series built once. A
    first name or an everyday English word is no one-word online name (``MARCEL`` opens a
    baker's name as well as the ride-hailing app's, ``WISH`` a boutique's)."""
    from ledgerlens.datasets import load_first_names
    from ledgerlens.enrich.merchants._directory import english_words

    names = sorted(_online_names())
    common = set(load_first_names()["first_name"].to_list()) | english_words()
    single = [n for n in names if " " not in n and len(n) >= 4 and n not in _store_names()
              and n not in common]
    return (pl.Series("n", names, dtype=pl.String).implode(),
            pl.Series("p", sorted(_online_prefixes()), dtype=pl.String).implode(),
            pl.Series("s", single, dtype=pl.String).implode())


@functools.cache
def _online_prefixes() -> frozenset[str]:
    """Every prefix (6+ characters) of an online name that is no shop's name: labels cut at
    32 still match."""
    out: set[str] = set()
    for name in _online_names():
        # ``MICROMANIA`` of ``MICROMANIA.FR`` is the shop's name too: no domain stems.
        out.update(name[:k] for k in range(6, len(name) + 1) if not name[k:].startswith("."))
    # Nor a shop's name cut inside a word: ``LEROY MER`` is Leroy Merlin's store as much as
    # the site ``LEROY MERLIN FRANCE``.
    store_cuts = {name[:k] for name in _store_names() | _offline_names()
                  for k in range(6, len(name)) if name[k].isalnum()}
    return frozenset(out - _store_names() - _offline_names() - store_cuts)


def _words(words: tuple[str, ...]) -> str:
    return "|".join(sorted({w.replace(".", r"\.").replace(" ", r"\s+") for w in words},
                           key=len, reverse=True))


@functools.cache
def _abroad_pattern() -> str:
    """Strong signs of a payment abroad: a foreign amount or country code."""
    currencies = "|".join(sorted(ISO_4217 - {"EUR"}))
    return (rf"[0-9],[0-9]{{2}}\s+(?:{currencies})\b|\b1\s+EURO?\s*=|\bHORS\s+ZONE\s+EURO\b"
            # an amount after the purchase date, its currency cut by the line width
            rf"|\b[0-9]{{2}}[/.]?[0-9]{{2}}[/.]?[0-9]{{2,4}}\s+[0-9]+(?:,[0-9]*)?(?:\s+[A-Z]{{1,3}})?$"
            rf"|\b[0-9]{{2}}[/.][0-9]{{2}}\s+[0-9]+,[0-9]*(?:\s+[A-Z]{{1,3}})?$"
            # a foreign town and its country (``FRANKFURT DE``)
            rf"|\b(?:{_words(FOREIGN_CITIES)})\s+(?:{'|'.join(_FOREIGN_CODES + _AFTER_TOWN)})\b"
            # a country code after a word (after a postcode it is a cut French town)
            rf"|[A-Z.')*-]\s(?:{'|'.join(_FOREIGN_CODES)})(?:\s+(?:LE\s+)?[0-9/.]+.*|\s+CARTE\b.*"
            rf"|\s+CB\*.*)?$")


# A foreign town or word right after a French article or preposition is a French shop's
# name (``LE NEW YORK``, ``HOTEL DE LONDRES``, ``BAR LE BRUXELLES``), not where it is.
_NAMING_WORDS: tuple[str, ...] = ("LE", "LA", "LES", "L", "DE", "DU", "DES", "D", "AU", "AUX",
                                  "CHEZ")
# Nor right after a French shop's trade word: ``KEBAB ISTANBUL``, ``PIZZERIA TRATTORIA``,
# ``SUSHI TOKYO`` are names of shops in France (a payment abroad shows its currency or
# country: those strong signs still count).
_NAMING_TRADES: tuple[str, ...] = TOWN_NAMING_TRADES
#: The words after which a foreign town or word names the shop (see above).
FOREIGN_NAMERS: tuple[str, ...] = _NAMING_WORDS + _NAMING_TRADES
#: The words before which a foreign town names the shop: ``ISTANBUL KEBAB``, ``NEW YORK
#: PIZZA``, ``TOKYO SUSHI``, ``LONDON PUB`` are French shops' names (a shop abroad is named by
#: its trade first, ``KEBAB HOUSE LONDON``, and its town follows the name). Not a foreign
#: trade word: ``RISTORANTE PIZZERIA DA MARIO`` is in Italy. Nor a town right after a
#: ``ddmm`` date, the slot where a mutualist bank prints the town before the shop's name
#: (``PAIEMENT CB 2811 GENT BOUTIQUE AZUL``).
TOWN_NAMED_BY: tuple[str, ...] = (*_NAMING_TRADES, "PUB", "THAI", "FOOD", "CURRY", "DINER",
                                   "CHICKEN")
#: The piece before a town in that slot (digits: the label's own or zeroed).
TOWN_SLOT_BEFORE = re.compile(r"^[0-9]{4}$")
# A country code right after an article is a word cut by the line width
# (``L ESPACE BEAUTE DU CHE``: CHENE, not Switzerland): joined to it, it is no code.
CUT_CODE = re.compile(rf"\b({'|'.join(_NAMING_WORDS)})\s+({'|'.join(_FOREIGN_CODES)})\b")
CUT_CODE_JOINED = r"\1_\2"


def _join_cut_codes(text: pl.Expr) -> pl.Expr:
    """``CUT_CODE`` matches joined (``DU_CHE``) before the abroad signs are read."""
    return text.str.replace_all(CUT_CODE.pattern, "${1}_${2}")


@functools.cache
def _foreign_words_pattern() -> str:
    """Weak signs: foreign trade words and towns, which French shop names also borrow
    (``PIZZERIA NAPOLI``, ``RESTAURANT HONG KONG``, ``ISTANBUL KEBAB``); each match keeps
    the French article or the date before it and the trade word after it, if any (see
    ``FOREIGN_NAMERS``, ``TOWN_NAMED_BY``)."""
    return (rf"\b(?:(?:{'|'.join(FOREIGN_NAMERS)}|[0-9]{{4}})\s+)?"
            rf"(?:{_words(_FOREIGN_WORDS + FOREIGN_CITIES)})\b"
            rf"(?:\s+(?:{'|'.join(TOWN_NAMED_BY)})\b)?")


@functools.cache
def _named_foreign_pattern() -> str:
    """A weak sign's match (``_foreign_words_pattern``) that names a French shop."""
    return (rf"^(?:{'|'.join(FOREIGN_NAMERS)})\s"
            rf"|^(?:{_words(FOREIGN_CITIES)})\s+(?:{'|'.join(TOWN_NAMED_BY)})$")


def _has_foreign_words(text: pl.Expr) -> pl.Expr:
    """A weak sign of abroad in ``text`` that no French article or trade word names."""
    return (text.str.extract_all(_foreign_words_pattern())
            .list.eval(~pl.element().str.contains(_named_foreign_pattern())).list.any())


@functools.cache
def _french_city_pattern() -> str:
    return rf"\b(?:{_words(french_city_forms())})\b"


@functools.cache
def _phrases(words: tuple[str, ...]) -> tuple[pl.Series, int]:
    """``words`` as one imploded Series row for ``is_in``, and the most word runs in one."""
    if not all(re.fullmatch(r"[A-Z0-9](?:[A-Z0-9 .'-]*[A-Z0-9])?", w) for w in words):
        raise ValueError("phrases must start and end with a letter or digit")
    most = max((len(re.findall(r"[A-Z0-9]+", w)) for w in words), default=1)
    return pl.Series("phrases", sorted(set(words)), dtype=pl.String).implode(), most


def _pieces(text: pl.Expr) -> pl.Expr:
    """``text`` cut into alternating runs of word and non-word characters."""
    return text.str.extract_all(r"\w+|\W+").alias("_pieces")


def _has_phrase_in(pieces: pl.Expr, words: tuple[str, ...],
                   not_after: tuple[str, ...] = (), not_before: tuple[str, ...] = ()
                   ) -> pl.Expr:
    """Whether the text cut into ``pieces`` holds one of ``words`` as whole words: a run of
    1..n words with the separators between them, starting and ending on word characters;
    not counted right after a word of ``not_after`` (and a blank), nor right before a word
    of ``not_before`` unless in the town slot (``TOWN_SLOT_BEFORE``)."""
    phrases, most = _phrases(words)
    piece = pl.element()

    def blank(shift: int) -> pl.Expr:
        return piece.shift(shift).str.contains(r"^\s+$").fill_null(False)

    def among(shift: int, values: tuple[str, ...]) -> pl.Expr:
        listed = pl.Series("words", list(values), dtype=pl.String).implode()
        return piece.shift(shift).is_in(listed).fill_null(False)

    windows = []
    for n in range(1, most + 1):
        window = pl.concat_str([piece.shift(-d) for d in range(2 * n - 1)]).is_in(phrases)
        if not_before:
            in_slot = blank(1) & piece.shift(2).str.contains(
                TOWN_SLOT_BEFORE.pattern).fill_null(False)
            window = window & ~(blank(-2 * n + 1) & among(-2 * n, not_before) & ~in_slot)
        windows.append(window)
    found = pl.any_horizontal(windows)
    if not_after:
        found = found & ~(among(2, not_after) & blank(1))
    return pieces.list.eval(found).list.any()


def _has_phrase(text: pl.Expr, words: tuple[str, ...]) -> pl.Expr:
    """Whether ``text`` (normalised: single spaces) holds one of ``words`` as whole words:
    the regex ``\\b(?:words)\\b`` as set lookups of runs of 1..n words with the text's own
    separators (no huge alternation to compile on every call)."""
    return _has_phrase_in(_pieces(text), words)


def _label_features(unique: pl.DataFrame) -> pl.DataFrame:
    """Per distinct label: the label rule's type and evidence, and the card sub-markers."""
    matches, features = _label_feature_exprs()
    # The town and trade-word alternations cost milliseconds to compile, and Polars' small
    # regex cache drops them between calls: a few labels are cheaper to look up word run by
    # word run (the same results, see ``_has_phrase``).
    if unique.height <= _FEW_LABELS:
        words = _word_lookups()
        unique = unique.with_columns(_pieces(pl.col("_u")))
    else:
        words = (pl.col("_u").str.contains(_french_city_pattern()).alias("_french_town"),
                 _has_foreign_words(pl.col("_u")).alias("_foreign_words"))
    # Each rule's match is made a column once: the type and its evidence both read it. A
    # card word of another country's bank says the shop is at that bank's home: its towns
    # and trade words count as a French town does for a French bank's label.
    return (unique.with_columns(*matches).with_columns(*features, *words)
            .with_columns(pl.col("_french_town") | pl.col("_u").str.contains(HOME_CARD_WORDS))
            .drop([m.meta.output_name() for m in matches] + ["_pieces"], strict=False))


# Up to this many distinct labels, word-run lookups beat compiling the town regex.
_FEW_LABELS = 64


@functools.cache
def _word_lookups() -> tuple[pl.Expr, pl.Expr]:
    """``_french_town`` and ``_foreign_words`` as set lookups over ``_pieces``."""
    pieces = pl.col("_pieces")
    return (_has_phrase_in(pieces, french_city_forms()).alias("_french_town"),
            (_has_phrase_in(pieces, _FOREIGN_WORDS, not_after=FOREIGN_NAMERS)
             | _has_phrase_in(pieces, FOREIGN_CITIES, not_after=FOREIGN_NAMERS,
                              not_before=TOWN_NAMED_BY)).alias("_foreign_words"))


@functools.cache
def _label_feature_exprs() -> tuple[tuple[pl.Expr, ...], tuple[pl.Expr, ...]]:
    """(each label rule's match, the features): the expressions of :func:`_label_features`,
    built once per process (building them costs about as much as running them on one
    label)."""
    text = pl.col("_u")
    kind: pl.Expr = pl.lit(None, pl.String)
    evidence: pl.Expr = pl.lit(None, pl.String)
    matches = tuple(text.str.extract(f"({pattern})", 1).alias(f"_rule{i}")
                    for i, (_, pattern, _) in enumerate(_LABEL_RULES))
    for i, (name, _, why) in reversed(list(enumerate(_LABEL_RULES))):
        match = pl.col(f"_rule{i}")
        hit = match.is_not_null()
        kind = pl.when(hit).then(pl.lit(name)).otherwise(kind)
        evidence = pl.when(hit).then(pl.format('{} "{}"', pl.lit(why),
                                               match.str.slice(0, 24))).otherwise(evidence)
    merchant = pl.col("_merchant")
    # The name without the star a processor prints after it (``SHOPIFY*``, ``CANVA*``).
    named = merchant.str.strip_chars_end("* ")
    names, prefixes, single = _online_sets()
    billers = pl.Series("d", sorted(debit_names()), dtype=pl.String).implode()
    online_name = (merchant.is_in(names) | named.is_in(names)
                   | named.str.extract(r"^([A-Z0-9.&' -]{6,})$", 1).is_in(prefixes)
                   | named.str.split(" ").list.first().is_in(single))
    return matches, (
        kind.alias("_kind"), evidence.alias("_evidence"),
        text.str.contains(_INSTANT).alias("_instant"),
        text.str.contains(_CONTACTLESS).alias("_contactless"),
        (merchant.str.contains(_ONLINE_MARK) | online_name.fill_null(False)).alias("_online"),
        (merchant.is_in(billers) | named.is_in(billers)).fill_null(False).alias("_debit_name"),
        _join_cut_codes(text).str.contains(_abroad_pattern()).alias("_abroad"),
    )


def _ensure_steps(frame: pl.DataFrame) -> pl.DataFrame:
    if "full_label" not in frame.columns or "clean_label" not in frame.columns:
        frame = clean_labels(frame)
    if "intermediary" not in frame.columns or "merchant_text" not in frame.columns:
        frame = detect_intermediaries(frame)
    return frame


def _optional(frame: pl.DataFrame, name: str) -> pl.Expr:
    return (pl.col(name).cast(pl.String) if name in frame.columns
            else pl.lit(None, pl.String))


#: The card channel's evidence where no marker chose it (see ``_card_channel_stages``).
_UNMARKED_CHANNELS = ("in store by default", "amount under contactless limit")
ONLINE_MERCHANT_EVIDENCE = "merchant sells online only"
_FEW_ROWS = 8  # up to this many rows, ``online_merchant_channel`` reads plain values


def online_merchant_channel(frame: pl.DataFrame, online_ids: frozenset[str]) -> pl.DataFrame:
    """A card payment read in store or contactless for want of any marker, whose matched
    merchant only sells at a distance (``online_ids``: ``NETFLIX INTERNATIONAL B.V.``,
    ``GOOGLE *GOOGLE STORAGE``, spellings no list holds), is ``card_online``, unless its
    name is also a counter's or a shop's (``SNCF``: the regional trains' machines) or a
    French town follows it (``SNCF VOYAGEURS ARGAGIEU SUR ORGE``: a station's). Reads
    ``transaction_type``, ``type_evidence``, ``merchant_id`` and ``merchant_text``; a frame
    without them is returned as it is."""
    needed = ("transaction_type", "type_evidence", "merchant_id", "merchant_text")
    if not online_ids or not set(needed) <= set(frame.columns):
        return frame
    counters = _counter_names()
    if frame.height <= _FEW_ROWS:
        from ledgerlens.enrich._types_row import names_a_town

        types, why, ids, texts = (frame.get_column(c).to_list() for c in needed)
        flips = [t in ("card_in_store", "card_contactless") and i in online_ids
                and w is not None and w.endswith(_UNMARKED_CHANNELS)
                and _counter_key(m) not in counters and not names_a_town(_counter_key(m))
                for t, w, i, m in zip(types, why, ids, texts, strict=True)]
        if not any(flips):
            return frame
        from ledgerlens.enrich._few_rows import with_values

        return with_values(frame, {
            "transaction_type": ["card_online" if f else t for f, t in zip(flips, types,
                                                                          strict=True)],
            "type_evidence": [_online_evidence(w) if f else w for f, w in zip(flips, why,
                                                                             strict=True)],
        }, {"transaction_type": pl.String(), "type_evidence": pl.String()})
    # The cheap tests on every row; the name's on the few rows they leave.
    unmarked = pl.col("type_evidence").str.ends_with(_UNMARKED_CHANNELS[0]) | pl.col(
        "type_evidence").str.ends_with(_UNMARKED_CHANNELS[1])
    scope = (pl.col("transaction_type").is_in(["card_in_store", "card_contactless"])
             & pl.col("merchant_id").is_in(sorted(online_ids)) & unmarked).fill_null(False)
    rows = frame.select(scope.arg_true()).to_series()
    if rows.len() == 0:
        return frame
    name = normalize_text(pl.col("merchant_text").fill_null(""))
    named = frame[rows].select(
        name.str.strip_chars_end("* ").is_in(_counter_series()).alias("counter"),
        _has_phrase(name, french_city_forms()).fill_null(False).alias("town"))
    rows = rows.filter(~(named.get_column("counter") | named.get_column("town")))
    if rows.len() == 0:
        return frame
    evidence = frame.get_column("type_evidence")
    new_why = evidence.gather(rows).str.replace(_LAST_REASON, f"; {ONLINE_MERCHANT_EVIDENCE}")
    return frame.with_columns(
        frame.get_column("transaction_type").scatter(rows, "card_online"),
        evidence.scatter(rows, new_why))


@functools.cache
def _counter_names() -> frozenset[str]:
    """Names of shops and of merchants paid at a counter or machine."""
    return _offline_names() | _store_names()


@functools.cache
def _counter_series() -> pl.Series:
    """``_counter_names`` as a Series for ``is_in``, built once."""
    return pl.Series("c", sorted(_counter_names()), dtype=pl.String).implode()


def _counter_key(text: str | None) -> str:
    from ledgerlens.enrich._clean_row import normalize_one

    return normalize_one(text or "").rstrip("* ")


_LAST_REASON = r";[^;]*$"  # the channel's reason, last in a card payment's type evidence


def _online_evidence(why: str) -> str:
    """The type evidence with its unmarked channel replaced by the merchant's."""
    return re.sub(_LAST_REASON, f"; {ONLINE_MERCHANT_EVIDENCE}", why, count=1)


#: Titles and links in a person's name as a counterparty field writes it
#: (``M OU MME DUPONT JEAN``).
PARTY_TITLES = frozenset({"M", "MME", "MLLE", "MR", "MRS", "MS", "MONSIEUR", "MADAME", "OU",
                          "ET"})
PARTY_CHARS = 80  # a counterparty's name is read up to this many characters


@functools.cache
def party_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(first names, first and last names, names of chains and listed merchants): a
    counterparty of first and last names only, one a first name, and no merchant's
    name, is a person (``LOUIS VUITTON`` is a shop)."""
    from ledgerlens.enrich.merchants._directory import first_names, person_names

    return first_names(), person_names(), _counter_names() | _online_names()


def party_kinds(parties: pl.Series) -> pl.Series:
    """What each counterparty given apart from the label (a PSD2 API's creditor) says of a
    payment out whose label names no operation: ``biller`` (a biller paid only by direct
    debit: ``EDF`` for ``Facture 2025-03``), ``person`` (a first name and a surname, titles
    aside: ``DUPONT JEAN`` for ``Loyer mars`` is a transfer, no card payment) or ``""``.
    Read once per distinct name; :func:`party_kind` is the same on one string."""
    distinct = parties.cast(pl.String).drop_nulls().unique()
    if distinct.len() == 0:
        return constant("_party", "", parties.len(), pl.String())
    first, people, shops = party_names()
    name = (normalize_text(pl.col("p").str.slice(0, PARTY_CHARS))
            .str.replace_all(r"[^A-Z ]", " ").str.replace_all(r"\s+", " ").str.strip_chars())
    words = name.str.split(" ").list.eval(
        pl.element().filter(~pl.element().is_in(sorted(PARTY_TITLES))))
    person = (words.list.len().is_between(2, 4)
              & words.list.eval(pl.element().is_in(sorted(people))).list.all()
              & words.list.eval(pl.element().is_in(sorted(first))).list.any()
              & ~words.list.join(" ").is_in(sorted(shops)))
    biller = name.is_in(sorted(debit_names()))
    kinds = distinct.to_frame("p").select(
        pl.when(biller).then(pl.lit("biller")).when(person).then(pl.lit("person"))
        .otherwise(pl.lit("")).alias("k")).get_column("k")
    return parties.cast(pl.String).replace_strict(distinct, kinds, default="",
                                                  return_dtype=pl.String).alias("_party")


def party_kind(party: str | None) -> str:
    """:func:`party_kinds` of one counterparty name (plain strings, no query)."""
    from ledgerlens.enrich._clean_row import normalize_one

    if party is None:
        return ""
    name = re.sub(r"\s+", " ", re.sub(r"[^A-Z ]", " ",
                                      normalize_one(party[:PARTY_CHARS]))).strip()
    if name in debit_names():
        return "biller"
    first, people, shops = party_names()
    words = [w for w in name.split(" ") if w not in PARTY_TITLES]
    person = (2 <= len(words) <= 4 and all(w in people for w in words)
              and any(w in first for w in words) and " ".join(words) not in shops)
    return "person" if person else ""


def classify_types(frame: pl.DataFrame, *, town_names: Iterable[str] = ()) -> pl.DataFrame:
    """Add ``transaction_type`` and ``type_evidence``.

    Reads ``full_label``/``clean_label``/``intermediary``/``merchant_text`` (computed
    here when missing), ``amount`` (negative = debit; null reads as 0), and when present
    ``bank_transaction_code``, ``mcc`` and ``account_id``. Labels decide first; a bank
    code fills in what the label does not say; the amount's sign gives the direction.
    A foreign town that ends one of ``town_names`` (``KIKO MILANO``, see
    ``clean_labels``) in the merchant text is the shop's name, no sign of a payment abroad.
    """
    frame = _ensure_steps(frame)
    town_names = frozenset(town_names)
    if frame.height == 1:  # one transaction: the same rules on plain values
        from ledgerlens.enrich._types_row import classify_row

        one = classify_row(frame, town_names)
        if one is not None:
            from ledgerlens.enrich._few_rows import with_row_values

            return with_row_values(frame, transaction_type=one[0], type_evidence=one[1])
    amount = (pl.col("amount").cast(pl.Float64).fill_null(0.0) if "amount" in frame.columns
              else pl.lit(0.0))
    # Digits only matter as digits: collapsing them makes dated labels share one key.
    # (Normalising commutes with it, so it runs on the distinct keys only.)
    keys = frame.select(pl.col("full_label").fill_null("").str.slice(0, 512).alias("_d"),
                        pl.col("merchant_text").fill_null("").alias("_merchant"))
    keys = keys.with_columns(zero_digits(keys.get_column("_d")))
    normalized = normalize_text(pl.col("_d")).alias("_u")
    if keys.height == 1:  # one transaction: its label is its one distinct label
        unique, at = keys, pl.Series("_li", [0], dtype=pl.UInt32)
    else:
        unique, at = distinct_rows(keys)
    labels = _label_part(unique.with_columns(normalized), town_names)
    rows = frame.select(
        at.alias("_li"),
        _amount_class(amount).alias("_amount"),
        _optional(frame, "bank_transaction_code").str.to_uppercase().str.strip_chars()
        .alias("_code"),
        _optional(frame, "mcc").str.strip_chars().fill_null("").alias("_mcc"),
        _optional(frame, "intermediary").fill_null("").alias("_inter"),
        _optional(frame, "account_id").fill_null("").alias("_account"),
    )
    party = (party_kinds(frame.get_column("counterparty_name"))
             if "counterparty_name" in frame.columns
             else constant("_party", "", frame.height, pl.String()))
    if "counterparty_account" in frame.columns:
        # the counterparty's account given, and no name that says more: a transfer's
        account = frame.get_column("counterparty_account").fill_null(False) & (party == "")
        if account.any():
            party = party.zip_with(~account, constant("_party", "account", frame.height,
                                                      pl.String()))
    rows = rows.with_columns(party.alias("_party"))
    days = frame.get_column("booking_date") if "booking_date" in frame.columns else None
    out = _decide(labels, rows.drop("_account"), rows.get_column("_account"), days)
    return frame.with_columns(out.get_column("transaction_type"),
                              out.get_column("type_evidence"))


def _amount_class(amount: pl.Expr) -> pl.Expr:
    """The amount as far as the type reads it: its sign (a debit, nothing, a credit) and
    whether it is under the contactless ceiling; -1, 0 or 1 under it, -100 or 100 over.
    Rows that differ only in the amount then share one decision."""
    return (pl.when(amount.abs() <= CONTACTLESS_LIMIT_EUR).then(amount.sign())
            .otherwise(amount.sign() * 100.0))


def _label_part(keys: pl.DataFrame, town_names: frozenset[str]) -> pl.DataFrame:
    """What the label says of each distinct label (and merchant text) in ``keys``."""
    flags = ["_instant", "_contactless", "_online", "_abroad", "_foreign_words", "_french_town",
             "_debit_name"]
    label_part = _label_features(keys).select("_kind", "_evidence", "_merchant",
                                              *(pl.col(f).fill_null(False) for f in flags))
    if town_names:
        named = ends_with_name(pl.col("_merchant").str.split(" "), town_names)
        label_part = label_part.with_columns(pl.col("_foreign_words") & ~named)
    return label_part


def _decide(labels: pl.DataFrame, rows: pl.DataFrame, account: pl.Series,
            days: pl.Series | None = None) -> pl.DataFrame:
    """Combine label, code, MCC and amount into a type per row (vectorized).

    ``labels`` holds what each distinct label says, ``rows`` each row's label (``_li``, its
    index in ``labels``), amount class, code, MCC and intermediary. Rows alike in all of
    these are decided once; the card channel also reads two windows (does the account's
    bank ever mark contactless payments, is the merchant seen abroad more than in France),
    taken over the rows, and rows alike in those too share the channel and the rest;
    ``days`` (the booking dates) tell which payments were made on a trip (``_on_trip``)."""
    stages = _decide_stages()
    own, windows, abroad, channel = _card_channel_stages()
    distinct, at = distinct_rows(rows)
    work = pl.concat([labels.gather(distinct.get_column("_li")), distinct.drop("_li")],
                     how="horizontal")
    for stage in stages[:3]:  # each intermediate becomes a column once, not a repeated subtree
        work = work.with_columns(*stage)
    work = work.with_columns(*own)
    merchant = labels.select(pl.col("_merchant").rank("dense").alias("_merchant"))
    per_row = (work.select("_w_marked", "_w_strong", "_w_french", "_w_card").gather(at)
               .with_columns(merchant.get_column("_merchant").gather(rows.get_column("_li")),
                             account))
    per_row = (per_row.with_columns(_on_trip(per_row, days))
               .select(at.alias("_k"), *windows))
    distinct, at = distinct_rows(per_row)
    work = (work.gather(distinct.get_column("_k")).hstack(distinct.drop("_k").get_columns())
            .with_columns(*abroad).with_columns(*channel).with_columns(*stages[3]))
    return work.select(*stages[4]).gather(at)


#: Days before or after a card payment abroad (a foreign amount or country on its label)
#: that the account's other payments count as made on the same trip; and the most months
#: in which an account pays a merchant it pays on trips only (a holiday place's shops,
#: a few trips a year).
TRIP_DAYS = 7
TRIP_MONTHS = 3


def _on_trip(rows: pl.DataFrame, days: pl.Series | None) -> pl.Series:
    """``_trip``: whether each row (``_w_strong``, ``_merchant``, ``_account``) may be
    vouched for as paid abroad. Where its account paid that merchant abroad itself (a
    foreign amount or country on the label), only a payment within ``TRIP_DAYS`` of one of
    the account's payments abroad: the others are a chain's at home (``MC DONALDS`` ten
    times here, twice in London). Where it never did, the merchant's other accounts may vouch
    for it (a shop abroad that the account's bank prints without a country), if the
    account paid it in ``TRIP_MONTHS`` months at most, as on trips: a chain paid all year
    is paid at home. Without dates, every row may be (as before dates were read)."""
    n = rows.height
    strong = rows.get_column("_w_strong")
    if days is None or days.dtype != pl.Date or not strong.any():
        return constant("_trip", True, n, pl.Boolean())
    pair = ["_account", "_merchant"]
    table = rows.select(*pair, "_w_strong").with_columns(
        _i=pl.int_range(n, dtype=pl.UInt32), _d=days)
    candidates = table.join(table.filter(pl.col("_w_strong")).select("_merchant").unique(),
                            on="_merchant", how="semi").filter(pl.col("_d").is_not_null())
    own = candidates.with_columns(
        _own=pl.col("_w_strong").any().over(pair),
        _months=pl.col("_d").dt.month_start().n_unique().over(pair))
    trips = (table.filter(pl.col("_w_strong") & pl.col("_d").is_not_null())
             .select("_account", "_d", _t=pl.col("_d")).unique().sort("_d"))
    near = (own.filter(pl.col("_own")).sort("_d")
            .join_asof(trips, on="_d", by="_account", strategy="nearest",
                       check_sortedness=False)
            .filter(pl.col("_t").is_null()
                    | ((pl.col("_t") - pl.col("_d")).dt.total_days().abs() > TRIP_DAYS)))
    home = pl.concat([near.get_column("_i"), own.filter(
        ~pl.col("_own") & (pl.col("_months") > TRIP_MONTHS)).get_column("_i")])
    trip = constant("_trip", True, n, pl.Boolean())
    return trip.scatter(home, False) if home.len() else trip


@functools.cache
def _decide_stages() -> tuple[tuple[pl.Expr, ...], ...]:
    """The expressions of :func:`_decide` in stages (each reads the columns of the ones
    before; the card channel comes between the third and the fourth), built once per
    process; the last stage is the output."""
    code_type = pl.col("_code_type")
    mcc = pl.col("_mcc")
    debit = pl.col("_amount") < 0
    kind = pl.col("_kind")
    # What the movement is, before direction and card channel.
    base = (pl.when(kind.is_not_null()).then(kind)
            .when(code_type.is_not_null()).then(code_type)
            .when(mcc == "6011").then(pl.lit("cash_withdrawal"))
            .when(mcc != "").then(pl.lit("card"))
            .when(pl.col("_inter").is_in(["lydia", "paylib", "wero"])).then(pl.lit("transfer"))
            .when(debit & pl.col("_debit_name") & (pl.col("_inter") == ""))
            .then(pl.lit("direct_debit"))
            # A label naming no operation, with a counterparty apart (a PSD2 API's creditor)
            .when(debit & (pl.col("_party") == "biller") & (pl.col("_inter") == ""))
            .then(pl.lit("direct_debit"))
            .when(debit & pl.col("_party").is_in(["person", "account"])).then(pl.lit("transfer"))
            .when(debit).then(pl.lit("card"))
            .otherwise(pl.lit("transfer")))
    evidence = (pl.when(kind.is_not_null()).then(pl.col("_evidence"))
                .when(code_type.is_not_null()).then(pl.format("bank code {}", pl.col("_code")))
                .when(mcc != "").then(pl.format("MCC {}", mcc))
                .when(pl.col("_inter") != "").then(
                    pl.format("intermediary {}", pl.col("_inter")))
                .when(debit & pl.col("_debit_name")).then(pl.lit(DEBIT_BILLER_EVIDENCE))
                .when(debit & pl.col("_party").is_in(list(PARTY_EVIDENCE)))
                .then(pl.col("_party").replace_strict(PARTY_EVIDENCE, default=None,
                                                      return_dtype=pl.String))
                .otherwise(pl.lit("amount sign")))
    # A label's type that contradicts the direction gives way to the code (a refund word on
    # a debit, a deposit on a debit); a card word on a credit is a refund.
    base0 = pl.col("_base0")
    wrong_way = ((base0.is_in(["refund", "cash_deposit", "cheque_deposit", "loan_disbursement"])
                  & debit)
                 | (base0.is_in(["cash_withdrawal", "cheque", "loan_repayment", "card"])
                    & ~debit & (pl.col("_amount") != 0)))
    base_final = (pl.when(wrong_way & (base0 == "card")).then(pl.lit("refund"))
                  .when(wrong_way & code_type.is_not_null() & (code_type != base0))
                  .then(code_type)
                  # VERSEMENT paid out is a contribution (to a life insurance, a PEA).
                  .when(wrong_way & (base0 == "cash_deposit")).then(pl.lit("transfer"))
                  .otherwise(base0))
    b = pl.col("_base")
    # SEPA standing orders (STDO) are never instant, whatever the label says.
    # P2P apps (Lydia, Paylib, Wero) move money instantly.
    p2p = pl.col("_inter").is_in(["lydia", "paylib", "wero"])
    instant = ((pl.col("_instant") | p2p)
               & ~pl.col("_code").fill_null("").str.ends_with("STDO"))
    ttype = (pl.when(b == "transfer").then(
                pl.when(instant & debit).then(pl.lit("instant_transfer_out"))
                .when(instant).then(pl.lit("instant_transfer_in"))
                .when(debit).then(pl.lit("transfer_out"))
                .otherwise(pl.lit("transfer_in")))
             .when(b == "card").then(pl.col("_channel"))
             .otherwise(b))
    tt = pl.col("_ttype")
    checked = pl.when(tt.is_in(list(TRANSACTION_TYPES))).then(tt).otherwise(
        pl.when(debit).then(pl.lit("transfer_out")).otherwise(pl.lit("transfer_in")))
    why = (pl.when(b == "card").then(pl.format("{}; {}", pl.col("_why"), pl.col("_channel_why")))
           .otherwise(pl.col("_why")))
    return (
        (pl.col("_code").replace_strict(_CODE_TYPES, default=None, return_dtype=pl.String)
         .alias("_code_type"),),
        (base.alias("_base0"), evidence.alias("_why")),
        (base_final.alias("_base"),),
        (ttype.alias("_ttype"),),
        (checked.alias("transaction_type"), why.alias("type_evidence")),
    )


@functools.cache
def _card_channel_stages() -> tuple[tuple[pl.Expr, ...], ...]:
    """The card channel's expressions: abroad, online, contactless or in store, for the
    rows whose base type is card, built once per process. In stages (intermediates made
    columns once): what a row says itself, with the inputs of the windows (``_w_``); the
    windows, over the rows (``_account``, ``_merchant``), their counts reduced to what is
    read of them; abroad; the channel and its evidence."""
    is_card = pl.col("_base") == "card"
    inter = pl.col("_inter")
    online = (pl.col("_online") | inter.is_in(list(_ONLINE_INTERMEDIARIES))
              | pl.col("_mcc").is_in(list(ONLINE_MCCS)))
    wallet = inter.is_in(list(_WALLETS))
    marked = pl.col("_contactless") | wallet
    small = pl.col("_amount").abs() <= CONTACTLESS_LIMIT_EUR
    # A shop is abroad or not: labels of the same merchant text that show a foreign amount
    # or country vouch for its cut labels (``CB BAR BELLA FACT 180325``), French towns
    # against; foreign words and towns count only for merchants never seen in France.
    strong = pl.col("_abroad")
    french = pl.col("_french_town") & ~strong
    own = (online.alias("_c_online"), marked.alias("_c_marked"), small.alias("_c_small"),
           (marked & is_card).alias("_w_marked"), (strong & is_card).alias("_w_strong"),
           (french & is_card).alias("_w_french"), is_card.alias("_w_card"))
    # Does this account's bank ever mark contactless payments? If not, small in-store
    # payments are most likely contactless (as most are in France under the ceiling).
    bank_marks = pl.col("_w_marked").any().over("_account")
    n_strong = pl.col("_w_strong").sum().over("_merchant")
    n_french = pl.col("_w_french").sum().over("_merchant")
    n_card = pl.col("_w_card").sum().over("_merchant")
    # Only whether each count is 0 and which is larger are read: 0 or 2 French labels;
    # 0, 1 (no more than the French) or 3 (more) foreign ones. The foreign ones vouch for the
    # merchant's other labels when they are more than the French and at least half of all
    # (one in ten where no French town shows): a chain paid on trips too (``ZARA BARCELONA
    # ES``) shows no town on most of its labels at home, and its foreign ones are the few;
    # a shop abroad is paid on trips only, its cut labels beside those with the country:
    # only a label paid on a trip of its account (``_on_trip``) is vouched for, so that a
    # chain's payments at home stay at home (``MC DONALDS`` twice in London, ten times here).
    windows = (bank_marks.alias("_c_bank_marks"),
               pl.when(n_french == 0).then(0).otherwise(2).cast(pl.Int8).alias("_c_n_french"),
               pl.when(n_strong == 0).then(0).when(n_strong > n_french).then(3).otherwise(1)
               .cast(pl.Int8).alias("_c_n_strong"),
               ((n_strong > n_french)
                & ((2 * n_strong >= n_card) | ((n_french == 0) & (10 * n_strong >= n_card))))
               .alias("_c_vouched"),
               pl.col("_trip").alias("_c_trip"))
    known = pl.col("_merchant") != ""
    online, marked, bank_marks, small = (pl.col("_c_online"), pl.col("_c_marked"),
                                         pl.col("_c_bank_marks"), pl.col("_c_small"))
    n_strong, n_french = pl.col("_c_n_strong"), pl.col("_c_n_french")
    # An online merchant's town is its seat, not where the customer is (``SPOTIFY
    # STOCKHOLM``, ``NETFLIX.COM AMSTERDAM``); only its own foreign amount or country says
    # abroad (``AMAZON US 12,99 USD``), never the other labels of its name.
    abroad = (strong
              | (~online & known & ~french & pl.col("_c_vouched") & pl.col("_c_trip"))
              | (~online & pl.col("_foreign_words") & ~french & (n_french == 0)))
    second = (abroad.alias("_c_abroad"),)
    abroad = pl.col("_c_abroad")
    channel = (pl.when(abroad).then(pl.lit("card_abroad"))
               .when(online & ~marked).then(pl.lit("card_online"))
               .when(marked).then(pl.lit("card_contactless"))
               .when(~bank_marks & small).then(pl.lit("card_contactless"))
               .otherwise(pl.lit("card_in_store")))
    why = (pl.when(strong).then(pl.lit("foreign marker"))
           .when(abroad & pl.col("_foreign_words") & (n_strong == 0)).then(
               pl.lit("foreign town or trade word"))
           .when(abroad).then(pl.lit("merchant seen abroad"))
           .when(online & ~marked).then(pl.lit("online marker"))
           .when(marked).then(pl.lit("contactless marker"))
           .when(~bank_marks & small).then(pl.lit("amount under contactless limit"))
           .otherwise(pl.lit("in store by default")))
    return own, windows, second, (channel.alias("_channel"), why.alias("_channel_why"))
