"""The label dialects of the synthetic French banks: how each bank writes a movement.

The same purchase reads ``CB CARREFOUR CITY 28/11`` at one bank and
``FACTURE CARTE DU 281124 CARREFOUR CITY PARIS CARTE 4974XXXXXXXX1234`` at another
(see ``shared/french-bank-labels.md``). A :class:`Dialect` holds a bank's layout
parameters (truncation, two-line labels, date and card-reference styles, how it writes
person names) and its label templates; :func:`render_labels` renders an events frame
in each row's dialect. Banks are fictional archetypes, never real institutions.

Templates are small strings: literal text, ``{placeholder}`` or ``{placeholder:style}``
for event fields, ``[ ... ]`` for a part written only when every placeholder in it has
a value, and ``|`` where two-line dialects start the complement line (a space in
one-line dialects). Placeholders are listed in ``_labels.PLACEHOLDERS``.

>>> DIALECTS[0].template("card_in_store", "out")
'FACTURE CARTE DU {date} {merchant}[ {city}] CARTE {card}'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets import _labels
from ledgerlens.schema import TRANSACTION_TYPES

__all__ = [
    "AGGREGATOR_DIALECT_ID",
    "BANK_DIALECT_IDS",
    "DIALECTS",
    "DIALECT_IDS",
    "LABEL_KINDS",
    "Dialect",
    "dialect_weights",
    "render_labels",
]

CardRefStyle = Literal["x4", "cbstar", "pan", "last4"]
DateStyle = Literal["dd/mm", "dd/mm/yy", "ddmmyy", "ddmm", "dd.mm.yy", "dd/mm/yyyy"]
NameStyle = Literal["title_first_last", "title_last_first", "first_last", "last_first",
                    "last_initial"]

#: Finer label kinds on top of the transaction types; ``standing_order`` is an optional
#: transfer_out variant (``VIR PERMANENT``) the generator may use.
LABEL_KINDS: tuple[str, ...] = (*TRANSACTION_TYPES, "fx_fee", "bank_fee", "card_refund",
                                "salary", "pension", "benefit", "tax", "p2p_app",
                                "standing_order")

# A kind a dialect does not write specially reads like its parent.
_PARENT: dict[str, str] = {
    "card_online": "card_in_store",
    "card_contactless": "card_in_store",
    "instant_transfer_in": "transfer_in",
    "instant_transfer_out": "transfer_out",
    "salary": "transfer_in",
    "pension": "transfer_in",
    "benefit": "transfer_in",
    "standing_order": "transfer_out",
    "tax": "direct_debit",
    "bank_fee": "fee",
}

# Rarer kinds, written alike by most banks; dialect styles still vary dates and cards.
_COMMON: dict[str, str] = {
    "cash_deposit": "VERSEMENT ESPECES[ {city}]",
    "own_account_transfer_in": "VIR INTERNE[ DE {merchant}]",
    "own_account_transfer_out": "VIR INTERNE[ VERS {merchant}]",
    "cheque": "CHEQUE {cheque}",
    "cheque_deposit": "REMISE CHEQUE N {cheque}",
    "fee": "{merchant}",
    "fx_fee": "COMMISSION CARTE {card} {date}",
    "interest_in": "INTERETS CREDITEURS",
    "interest_out": "INTERETS DEBITEURS",
    "loan_repayment": "ECHEANCE PRET[ {loan}] DU {bdate:dd/mm/yy}",
    "loan_disbursement": "DEBLOCAGE PRET[ {loan}]",
    "deferred_card_total": "RELEVE CARTE {card} DIFF {bdate:dd/mm}",
    "card_refund": "REMBOURSEMENT CB {merchant} {date}",
    "refund": "REMBOURSEMENT[ {merchant}]",
    "reversal": "ANNULATION[ {merchant}]",
    "p2p_app_in": "VIR INST {merchant}[ DE {name}][ {motif}]",
    "p2p_app_out": "VIR INST {merchant}[ VERS {name}][ {motif}]",
    "standing_order": "VIR PERMANENT {party}[ {motif}]",
}


@dataclass(frozen=True)
class Dialect:
    """How one bank (or the aggregator) writes its labels.

    ``max_len`` cuts the main line (None: never cut); two-line dialects send what
    follows ``|`` in a template to ``label_complement``, cut at ``complement_len``.
    ``upper`` False means the aggregator's title case.
    """

    id: str
    bank_name: str
    market_share: float
    max_len: int | None
    two_lines: bool = False
    complement_len: int | None = None
    upper: bool = True
    card_ref_style: CardRefStyle = "x4"
    date_style: DateStyle = "dd/mm"
    name_style: NameStyle = "title_first_last"
    templates: Mapping[str, str] = field(default_factory=dict, hash=False)

    def template(self, kind: str, direction: str) -> str:
        """The template for a label kind and direction (``in``/``out``), falling back
        from the dialect to the common templates, then to the parent kind."""
        k: str | None = kind
        while k is not None:
            for source in (self.templates, _COMMON):
                for key in (f"{k}_{direction}", k):
                    if key in source:
                        return source[key]
            k = _PARENT.get(k)
        raise KeyError(f"dialect {self.id!r} has no template for label kind {kind!r}")


DIALECTS: tuple[Dialect, ...] = (
    Dialect(
        "national_facture", "national network bank, untruncated labels, masked PAN on cards",
        0.14, None, card_ref_style="pan", date_style="ddmmyy",
        templates={
            "card_in_store": "FACTURE CARTE DU {date} {merchant}[ {city}] CARTE {card}",
            "card_abroad": "FACTURE CARTE DU {date} {merchant}[ {city}][ {country}] CARTE"
                           " {card}[ {orig} {cur} 1 EURO = {fx} {cur}]",
            "fx_fee": "COMMISSION INTERNATIONALE CARTE {card} DU {date}",
            "card_refund": "AVOIR CARTE DU {date} {merchant}[ {city}] CARTE {card}",
            "cash_withdrawal": "RETRAIT DAB {date}[ {time}][ {city}] CARTE {card}",
            "direct_debit": "PRLV SEPA {merchant}[ ECH/{bdate}][ ID EMETTEUR/{ics}]"
                            "[ MDT/{mandate}][ REF/{ref}][ LIB/{motif}]",
            "transfer_in": "VIR SEPA RECU /DE {party}[ /MOTIF {motif}][ /REF {ref}]",
            "transfer_out": "VIR SEPA EMIS[ /MOTIF {motif}] /BEN {party}[ /REFDO {ref}]",
            "instant_transfer_in": "VIR SEPA INST RECU /DE {party}[ /MOTIF {motif}]"
                                   "[ /REF {ref}]",
            "instant_transfer_out": "VIR SEPA INST EMIS[ /MOTIF {motif}] /BEN {party}",
            "standing_order": "VIR PERMANENT[ /MOTIF {motif}] /BEN {party}",
            "own_account_transfer": "VIREMENT COMPTE A COMPTE[ {merchant}]",
            "deferred_card_total": "FACTURES CARTE {card} DIFFERE AU {bdate:dd/mm/yy}",
            "interest_out": "INTERETS DEBITEURS {bdate:dd/mm/yy}",
            "reversal": "ANNUL.[ {merchant}]",
        }),
    Dialect(
        "national_two_line", "national network bank, 40-char label plus a detail line",
        0.12, 40, two_lines=True, complement_len=120,
        templates={
            "card_in_store": "CARTE {card} {date} {merchant}",
            "card_abroad": "CARTE {card} {date} {merchant}[ {country}]"
                           "|[{orig} {cur} 1 EURO = {fx} {cur}]",
            "fx_fee": "COMMISSION CARTE {card} {date}|FRAIS PAIEMENT HORS ZONE EURO",
            "cash_withdrawal": "RETRAIT DAB {date:dd/mm/yy}[ {time}]|CARTE {card}[ {city}]",
            "direct_debit": "PRELEVEMENT EUROPEEN {seq}|DE: {merchant}[ ID: {ics}]"
                            "[ MOTIF: {motif}][ REF: {ref}][ MANDAT {mandate}]",
            "transfer_in": "VIR RECU {seq}|DE: {party}[ MOTIF: {motif}][ REF: {ref}]",
            "transfer_out": "VIR EUROPEEN EMIS {seq}|POUR: {party}[ MOTIF: {motif}]"
                            "[ REF: {ref}]",
            "instant_transfer_in": "VIR INST RE {seq} DE {party}|[MOTIF: {motif}][ REF: {ref}]",
            "p2p_app_in": "VIR INST RE {seq} DE {party}|MOTIF: {merchant}[ {motif}]",
            "p2p_app_out": "VIR INST EMIS {seq} POUR {party}|MOTIF: {merchant}[ {motif}]",
            "instant_transfer_out": "VIR INST EMIS {seq} POUR {party}|[MOTIF: {motif}]",
            "standing_order": "VIR PERM {seq}|POUR: {party}[ MOTIF: {motif}]",
            "loan_disbursement": "VIR RECU {seq}|[DE: {merchant} ]MOTIF: FONDS PRET[ {loan}]",
            "interest_out": "INTERETS DEBITEURS|ARRETE AU {bdate:dd/mm/yy}",
            "reversal": "EXTOURNE[ {merchant}]",
        }),
    Dialect(
        "mutualist_two_line", "mutualist regional bank, 50-char label plus a complement line",
        0.20, 50, two_lines=True, complement_len=50, name_style="title_last_first",
        templates={
            "card_in_store": "PAIEMENT PAR CARTE {card} {merchant}[ {city}] {date}",
            "card_contactless": "PAIEMENT SANS CONTACT {card} {merchant}"
                                "[ {city}] {date}",
            "card_abroad": "PAIEMENT PAR CARTE {card} {merchant}[ {city}] {date}"
                           "|[{country} ][{orig} {cur} 1 EURO = {fx} {cur}]",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO|CARTE {card} {date}",
            "card_refund": "AVOIR CARTE {card} {merchant} {date}",
            "cash_withdrawal": "RETRAIT AU DISTRIBUTEUR {card}[ {city}] {date}",
            "direct_debit": "PRELEVEMENT {merchant}|[{motif}][ {ref}]",
            "transfer_in": "VIREMENT EN VOTRE FAVEUR {party}|[{motif}]",
            "transfer_out": "VIREMENT EMIS VERS {party}|[{motif}]",
            "instant_transfer_in": "VIREMENT INSTANTANE EN VOTRE FAVEUR {party}|[{motif}]",
            "instant_transfer_out": "VIREMENT INSTANTANE EMIS VERS {party}|[{motif}]",
            "own_account_transfer": "VIREMENT COMPTE A COMPTE[ {merchant}]",
            "loan_repayment": "ECH PRET CAP {cap} INT {int} ASS {ass}|PRET[ {loan}]",
        }),
    Dialect(
        "mutualist_50", "mutualist bank, 50-char labels, date then city then merchant",
        0.14, 50, date_style="ddmm",
        templates={
            "card_in_store": "PAIEMENT CB {date}[ {city}] {merchant}",
            "card_contactless": "PAIEMENT PSC {date}[ {city}] {merchant}",
            "card_abroad": "PAIEMENT CB {date}[ {city}] {merchant}[ {orig} {cur}]",
            "fx_fee": "COMMISSION CB {date} HORS EURO",
            "card_refund": "REMB CB {date}[ {city}] {merchant}",
            "cash_withdrawal": "RETRAIT DAB {date}[ {city}]",
            "direct_debit": "PRLV SEPA {merchant}[ {motif}]",
            "transfer_in": "VIR DE {party}[ {motif}]",
            "transfer_out": "VIR {party}[ {motif}]",
            "instant_transfer_in": "VIR INST DE {party}[ {motif}]",
            "instant_transfer_out": "VIR INST {party}[ {motif}]",
            "cheque": "CHQ. {cheque}",
            "loan_repayment": "REMBOURSEMENT PRET[ {loan}]",
            "deferred_card_total": "FACTURES CB {card} DIFF {bdate}",
            "interest_out": "AGIOS ARRETE {bdate}",
        }),
    Dialect(
        "cooperative_32", "cooperative bank group, 32-char labels, FACT purchase date",
        0.18, 32, date_style="ddmmyy", name_style="first_last",
        templates={
            "card_in_store": "CB {merchant} FACT {date}",
            "card_abroad": "CB {merchant} FACT {date}[ {orig} {cur}]",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO",
            "card_refund": "AVOIR CB {merchant} FACT {date}",
            "cash_withdrawal": "RETRAIT DAB {date:dd/mm/yy}[ {city}]",
            "direct_debit": "PRLV {merchant}",
            "transfer_in": "VIR SEPA {party}[ {motif}]",
            "transfer_out": "VIR {party}[ {motif}]",
            "instant_transfer_in": "VIR INST {party}[ {motif}]",
            "cheque_deposit": "REM CHQ {cheque}",
            "deferred_card_total": "FACTURETTES CB {bdate}",
            "p2p_app": "{merchant}[ {name}][ {motif}]",
            "loan_repayment": "ECHEANCE PRET[ {loan}]",
        }),
    Dialect(
        "network_32", "national network bank, 32-char labels, short CB lines",
        0.06, 32, name_style="last_initial",
        templates={
            "card_in_store": "CB {merchant} {date}",
            "card_abroad": "CB {merchant} {date}[ {orig} {cur}]",
            "cash_withdrawal": "RET DAB {date}[ {city}]",
            "direct_debit": "PRLV SEPA {merchant}[ {ref}]",
            "tax": "PRLV SEPA {merchant} IMPOT[ {motif}]",
            "transfer_in": "VIR SEPA DE {party}[ {motif}]",
            "transfer_out": "VIR SEPA VERS {party}[ {motif}]",
            "instant_transfer_in": "VIR INST DE {party}[ {motif}]",
            "instant_transfer_out": "VIR INST VERS {party}[ {motif}]",
            "standing_order": "VIR.PERMANENT {party}[ {motif}]",
            "deferred_card_total": "CB {card} TOT DIF",
            "interest_out": "AGIOS",
        }),
    Dialect(
        "postal_50", "postal bank, 50-char labels, dotted dates",
        0.08, 50, card_ref_style="last4", date_style="dd.mm.yy",
        templates={
            "card_in_store": "ACHAT CB {merchant} {date} CARTE NUMERO {card}",
            "card_contactless": "ACHAT CB SANS CONTACT {merchant} {date}",
            "card_abroad": "ACHAT CB {merchant} {date}[ {orig} {cur} 1 EURO = {fx} {cur}]",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO {date}",
            "cash_withdrawal": "RETRAIT DAB {date}[ {city}] CARTE NUMERO {card}",
            "direct_debit": "PRELEVEMENT DE {merchant}[ REF : {ref}]",
            "transfer_in": "VIREMENT DE {party}[ {motif}]",
            "transfer_out": "VIREMENT POUR {party}[ {motif}]",
            "instant_transfer_in": "VIREMENT INSTANTANE DE {party}[ {motif}]",
            "instant_transfer_out": "VIREMENT INSTANTANE POUR {party}[ {motif}]",
            "own_account_transfer": "VIREMENT INTERNE[ {merchant}]",
            "cheque": "CHEQUE N {cheque}",
            "p2p_app_in": "VIREMENT INSTANTANE {merchant}[ DE {name}][ {motif}]",
            "p2p_app_out": "VIREMENT INSTANTANE {merchant}[ POUR {name}][ {motif}]",
            "loan_repayment": "ECHEANCE PRET[ {loan}] DU {bdate}",
        }),
    Dialect(
        "online_bank", "online bank, untruncated labels, CB*1234 card tag",
        0.04, None, card_ref_style="cbstar", date_style="dd/mm/yy", name_style="first_last",
        templates={
            "card_in_store": "CARTE {date} {merchant}[ {city}] {card}",
            "card_contactless": "CARTE {date} {merchant}"
                                "[ {city}] {card}",
            "card_abroad": "CARTE {date} {merchant}[ {city}][ {orig} {cur} 1 EURO = {fx}"
                           " {cur}] {card}",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO {date} {card}",
            "cash_withdrawal": "RETRAIT DAB {date}[ {city}] {card}",
            "direct_debit": "PRLV SEPA {merchant}[ : {motif}]",
            "transfer_in": "VIR SEPA {party}[ {motif}]",
            "transfer_out": "VIR SEPA {party}[ {motif}]",
            "instant_transfer_in": "VIR INST {party}[ {motif}]",
            "instant_transfer_out": "VIR INST {party}[ {motif}]",
        }),
    Dialect(
        "neobank", "app-only neobank, plain untruncated labels",
        0.03, None, date_style="dd/mm/yyyy", name_style="first_last",
        templates={
            "card_in_store": "{merchant}",
            "card_abroad": "{merchant}[ {orig} {cur}]",
            "fx_fee": "FRAIS DE CHANGE",
            "card_refund": "REMBOURSEMENT {merchant}",
            "cash_withdrawal": "RETRAIT DAB[ {city}]",
            "direct_debit": "PRELEVEMENT {merchant}",
            "transfer_in": "VIREMENT DE {party}[ - {motif}]",
            "transfer_out": "VIREMENT A {party}[ - {motif}]",
            "p2p_app_in": "{merchant}[ DE {name}][ - {motif}]",
            "p2p_app_out": "{merchant}[ A {name}][ - {motif}]",
        }),
    Dialect(
        "mobile_40", "mobile-first bank, 40-char labels, purchase time on cards",
        0.01, 40, date_style="dd/mm", name_style="title_last_first",
        templates={
            "card_in_store": "PAIEMENT CB {merchant}[ {city}] LE {date}[ A {time}]",
            "card_contactless": "PAIEMENT SANS CONTACT {merchant}[ {city}]"
                                " LE {date}",
            "card_abroad": "PAIEMENT CB {merchant}[ {country}] LE {date}[ {orig} {cur}]",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO",
            "cash_withdrawal": "RETRAIT {date:dd/mm/yy}[ {time}][ {city}]",
            "direct_debit": "PRLV SEPA {merchant}[ MDT/{mandate}]",
            "transfer_in": "VIR SEPA RECU DE {party}[ {motif}]",
            "transfer_out": "VIR SEPA EMIS VERS {party}[ {motif}]",
            "instant_transfer_in": "VIR INST RECU DE {party}[ {motif}]",
            "instant_transfer_out": "VIR INST EMIS VERS {party}[ {motif}]",
            "own_account_transfer_out": "VIR[ VERS {merchant}]",
        }),
    Dialect(
        "aggregator", "account aggregator: cleaned, title-cased, no dates or card refs",
        0.0, None, upper=False, name_style="first_last",
        templates={
            "card_in_store": "PAIEMENT PAR CARTE {merchant}[ {city}]",
            "card_online": "PAIEMENT PAR CARTE {merchant}",
            "card_contactless": "PAIEMENT SANS CONTACT {merchant}[ {city}]",
            "card_abroad": "PAIEMENT PAR CARTE {merchant}[ {city}][ {orig} {cur}]",
            "card_refund": "REMBOURSEMENT CARTE {merchant}",
            "fx_fee": "FRAIS PAIEMENT HORS ZONE EURO",
            "deferred_card_total": "RELEVE CARTE DIFFERE",
            "cash_withdrawal": "RETRAIT DAB[ {city}]",
            "direct_debit": "PRLV SEPA {merchant}",
            "transfer_in": "VIR SEPA RECU DE {party}[ {motif}]",
            "transfer_out": "VIREMENT EMIS {party}[ {motif}]",
            "instant_transfer_in": "VIR INST DE {party}[ {motif}]",
            "instant_transfer_out": "VIR INST A {party}[ {motif}]",
            "loan_repayment": "ECHEANCE PRET[ {loan}]",
        }),
)

#: The dialect of labels seen through an account aggregator rather than from a bank.
AGGREGATOR_DIALECT_ID = "aggregator"
DIALECT_IDS: tuple[str, ...] = tuple(d.id for d in DIALECTS)
BANK_DIALECT_IDS: tuple[str, ...] = tuple(d.id for d in DIALECTS
                                          if d.id != AGGREGATOR_DIALECT_ID)
_BY_ID: dict[str, Dialect] = {d.id: d for d in DIALECTS}


def dialect_weights() -> npt.NDArray[np.float64]:
    """Market shares of the bank dialects, in ``BANK_DIALECT_IDS`` order, summing to 1."""
    weights = np.array([_BY_ID[i].market_share for i in BANK_DIALECT_IDS], dtype=np.float64)
    shares: npt.NDArray[np.float64] = weights / weights.sum()
    return shares


def render_labels(events: pl.DataFrame) -> pl.DataFrame:
    """Write each event as its bank would: label, complement, counterparty and PII spans.

    Returns one row per event, in order: ``raw_label``, ``label_complement`` (two-line
    dialects only), ``counterparty_name`` (transfers, direct debits, loan disbursements:
    the person ``JEAN DUPONT`` or the company), ``pii_spans`` (character spans
    [start, end) in ``raw_label``) and ``complement_pii_spans`` (the same in
    ``label_complement``). A person's name is one span (``JEAN DUPONT``, ``DUPONT J``),
    without the title; a value cut by truncation keeps a clipped span, and one cut away
    has none. Pure and vectorized; raises ``DataError`` naming what is wrong in ``events``.
    """
    return _labels.render(events, _BY_ID, LABEL_KINDS)
