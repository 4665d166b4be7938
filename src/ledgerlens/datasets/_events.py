"""Everything else on a current account: cash, cheques, transfers between people, bank
fees and interest, health reimbursements, tax refunds, side income (sales on a marketplace,
platform and freelance work, holiday lets) and deferred card statements."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._event_frame import event_frame, masked, strings
from ledgerlens.datasets._identifiers import french_ibans
from ledgerlens.datasets._people import People
from ledgerlens.datasets._personas import ACCOUNT_SLOTS, Population

__all__ = ["deferred_card_totals", "other_events", "reimbursements"]

IntArray = npt.NDArray[np.int64]

_CASH_AMOUNTS = np.array([20, 30, 40, 50, 60, 80, 100, 150, 200, 300], dtype=np.float64)
_CASH_P = np.array([0.2, 0.06, 0.14, 0.2, 0.08, 0.06, 0.16, 0.04, 0.05, 0.01])
_P2P_MOTIFS_OUT = np.array(["RESTO", "COURSES", "CADEAU", "REMBOURSEMENT", "VACANCES",
                            "WEEKEND", "CINEMA", "ANNIVERSAIRE", "PART COLOC", "COVOITURAGE",
                            "", ""])
#: A person paid for a service or a thing, the motif saying which (a babysitter, a private
#: tutor, a cleaner, a landlord, a seller on Leboncoin): (motif, subcategory, median
#: amount). The payee's name is a person's as for any transfer to a friend; the motif, not
#: the name, tells these from gifts and shared bills.
_P2P_SERVICES: tuple[tuple[str, str, float], ...] = (
    ("BABYSITTING", "childcare", 50.0), ("BABY SITTING", "childcare", 50.0),
    ("GARDE ENFANTS", "childcare", 80.0), ("MENAGE", "home_help", 70.0),
    ("REPASSAGE", "home_help", 40.0), ("AIDE MENAGERE", "home_help", 90.0),
    ("JARDINAGE", "home_services", 60.0), ("TONTE PELOUSE", "home_services", 40.0),
    ("COURS PARTICULIERS", "school_fees", 60.0), ("SOUTIEN SCOLAIRE", "school_fees", 50.0),
    ("COURS DE MATHS", "school_fees", 45.0), ("COURS DE PIANO", "children_activities", 60.0),
    ("COURS DE GUITARE", "children_activities", 50.0),
    ("COURS DE TENNIS", "sport_clubs_gyms", 50.0),
    ("COACH SPORTIF", "sport_clubs_gyms", 60.0), ("ACHAT LEBONCOIN", "second_hand", 40.0),
    ("ACHAT VINTED", "second_hand", 25.0), ("ACHAT VELO", "second_hand", 120.0),
    ("LOYER", "rent", 600.0), ("LOYER GARAGE", "rent", 80.0),
    ("ACHAT VOITURE", "vehicle_purchase_rental", 5000.0),
)
_P2P_SERVICE_SHARE = 0.05  # of transfers out to a person, not through an app
_P2P_MOTIFS_IN = np.array(["REMBOURSEMENT", "REMB RESTO", "CADEAU", "MERCI", "PART COURSES",
                           "VENTE LEBONCOIN", "", ""])
_P2P_APPS = np.array(["LYDIA", "WERO", "PAYLIB"])


def _per_customer_counts(rng: np.random.Generator, rate_per_month: npt.NDArray[np.float64],
                         cal: Calendar) -> IntArray:
    return rng.poisson(rate_per_month * cal.n_days / 30.44).astype(np.int64)


def _fixed_choice(customer_idx: npt.ArrayLike, n: int) -> IntArray:
    """One of ``n`` options per customer, always the same for a customer (a hash of the
    customer number, no draw): their mutuelle, the platform they sell on."""
    out: IntArray = ((np.asarray(customer_idx, dtype=np.int64) * 2_654_435_761) % 1_000_003) % n
    return out


def _uniform_days(rng: np.random.Generator, n: int, cal: Calendar) -> IntArray:
    return rng.integers(0, cal.n_days, n).astype(np.int64)


def _phone(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    digits = rng.integers(10_000_000, 100_000_000, n).astype(str)
    prefix = np.where(rng.random(n) < 0.5, "06", "07")
    spaced = rng.random(n) < 0.4
    plain = np.char.add(prefix, digits)
    intl = np.char.add("+33", np.char.add(np.char.lstrip(prefix, "0"), digits))
    with_spaces = np.asarray([" ".join(p[i:i + 2] for i in range(0, 10, 2)) for p in plain])
    return np.where(spaced, with_spaces, np.where(rng.random(n) < 0.3, intl, plain))


def _national_id(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """French social security numbers (NIR) with a valid key, as people type them:
    ``1 84 12 75 123 456 78``."""
    parts = [rng.integers(1, 3, n), rng.integers(40, 100, n), rng.integers(1, 13, n),
             rng.integers(1, 96, n), rng.integers(1, 990, n), rng.integers(1, 999, n)]
    widths = [1, 2, 2, 2, 3, 3]
    text = [np.char.zfill(p.astype(str), w) for p, w in zip(parts, widths, strict=True)]
    number = np.zeros(n, dtype=np.int64)
    for p, w in zip(parts, widths, strict=True):
        number = number * 10**w + p
    text.append(np.char.zfill((97 - number % 97).astype(str), 2))
    out = text[0]
    for t in text[1:]:
        out = np.char.add(np.char.add(out, " "), t)
    return np.asarray(out)


def _card_number(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """Luhn-valid 16-digit card numbers (made up), as someone might paste one in a reason."""
    digits = rng.integers(0, 10, (n, 15))
    digits[:, 0] = 4
    # Luhn: double every second digit from the right of the full 16-digit number.
    doubled = digits.copy()
    doubled[:, ::2] *= 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    check = (10 - doubled.sum(axis=1) % 10) % 10
    full = np.concatenate([digits, check[:, None]], axis=1)
    return np.asarray(["".join(map(str, row)) for row in full.tolist()], dtype=str)


def _iban(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """Checksum-valid French IBANs of made-up accounts."""
    return french_ibans(rng.integers(10000, 99999, n), rng.integers(10000, 99999, n),
                        rng.integers(10**10, 10**11 - 1, n))


def _email(first: npt.NDArray[np.str_], last: npt.NDArray[np.str_],
           rng: np.random.Generator) -> npt.NDArray[np.str_]:
    domains = np.array(["GMAIL.COM", "HOTMAIL.FR", "ORANGE.FR", "FREE.FR", "YAHOO.FR",
                        "LAPOSTE.NET", "SFR.FR", "OUTLOOK.FR"])
    dom = domains[rng.integers(0, domains.size, first.size)]
    sep = np.where(rng.random(first.size) < 0.7, ".", "")
    local = np.char.add(np.char.add(np.char.replace(first.astype(str), " ", ""), sep),
                        np.char.replace(last.astype(str), " ", ""))
    return np.char.add(np.char.add(local, "@"), dom)


def other_events(pop: Population, cal: Calendar, rng: np.random.Generator,
                 people: People) -> pl.DataFrame:
    """Cash, cheques, P2P transfers, incident fees, yearly interest, refunds, side income and
    transfers to tradespeople of the block."""
    return pl.concat([
        _cash(pop, cal, rng), _cheques(pop, cal, rng), _p2p(pop, cal, rng, people),
        _incidents(pop, cal, rng), _interest(pop, cal, rng), _tax_refunds(pop, cal, rng),
        _biller_refunds(pop, cal, rng), _side_income(pop, cal, rng, people),
        _trade_transfers(pop, cal, rng, people), _service_fees(pop, cal, rng),
        _benefit_repayments(pop, cal, rng),
    ])


def _cash(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    counts = _per_customer_counts(rng, 1.2 * pop.cash_affinity, cal)
    cust = np.repeat(np.arange(pop.size), counts).astype(np.int64)
    n = cust.size
    day = _uniform_days(rng, n, cal)
    amount = -rng.choice(_CASH_AMOUNTS, size=n, p=_CASH_P)
    elsewhere = rng.random(n) < 0.12
    city = np.where(elsewhere, pop.city[rng.integers(0, pop.size, n)], pop.city[cust])
    booking = cal.next_business_day[np.minimum(day + rng.integers(0, 2, n), cal.n_days - 1)]
    withdrawals = event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=booking, op_day=day, operation_minute=rng.integers(8 * 60, 22 * 60, n),
        amount=amount, transaction_type="cash_withdrawal", label_kind="cash_withdrawal",
        city=city, card_last4=pop.card_last4[cust], card_bin=pop.card_bin[cust],
        subcategory="cash_withdrawal", is_income=False, mcc="6011",
        bank_transaction_code="PMNT-CCRD-CWDL")
    dep = np.flatnonzero(rng.random(pop.size) < 0.06).astype(np.int64)
    d_day = cal.next_business_day[_uniform_days(rng, dep.size, cal)]
    deposits = event_frame(
        dep.size, customer_idx=pop.customer_idx[dep], account_idx=pop.customer_idx[dep] * 4,
        day=d_day, op_day=d_day, amount=np.round(rng.uniform(50, 800, dep.size), -1),
        transaction_type="cash_deposit", label_kind="cash_deposit", city=pop.city[dep],
        subcategory="cash_deposit", is_income=False, bank_transaction_code="PMNT-CNTR-CDPT")
    return pl.concat([withdrawals, deposits])


def _cheques(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    rate = np.where(pop.age > 60, 0.8, np.where(pop.age > 40, 0.25, 0.05))
    counts = _per_customer_counts(rng, rate, cal)
    cust = np.repeat(np.arange(pop.size), counts).astype(np.int64)
    n = cust.size
    written = cal.next_business_day[_uniform_days(rng, n, cal)]
    # Cheque numbers follow each other within a chequebook.
    first_no = rng.integers(1_000_000, 9_000_000, pop.size)
    seq = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    number = (first_no[cust] + seq).astype(str)
    cheques = event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=written, op_day=written, amount=-np.round(rng.lognormal(np.log(70), 0.8, n), 2),
        transaction_type="cheque", label_kind="cheque", cheque_number=number,
        subcategory="cheque", is_income=False, bank_transaction_code="PMNT-ICHQ-CCHQ")
    dep = np.repeat(np.arange(pop.size), rng.poisson(0.15 * cal.n_days / 30.44, pop.size))
    dep = dep.astype(np.int64)
    d_day = cal.next_business_day[_uniform_days(rng, dep.size, cal)]
    deposits = event_frame(
        dep.size, customer_idx=pop.customer_idx[dep], account_idx=pop.customer_idx[dep] * 4,
        day=d_day, op_day=d_day, amount=np.round(rng.lognormal(np.log(90), 0.8, dep.size), 2),
        transaction_type="cheque_deposit", label_kind="cheque_deposit",
        cheque_number=rng.integers(1_000_000, 9_999_999, dep.size).astype(str),
        subcategory="cheque", is_income=False, bank_transaction_code="PMNT-RCHQ-BCHQ")
    return pl.concat([cheques, deposits])


def _p2p(pop: Population, cal: Calendar, rng: np.random.Generator, people: People
         ) -> pl.DataFrame:
    rate = 0.3 + 2.2 * pop.digital * np.where(pop.age < 35, 1.6, 0.7)
    counts = _per_customer_counts(rng, rate, cal)
    cust = np.repeat(np.arange(pop.size), counts).astype(np.int64)
    n = cust.size
    # Friends come back: each customer mostly pays the same six people.
    f_title, f_first, f_last = people.draw(rng, pop.size * 6)
    friend = cust * 6 + rng.integers(0, 6, n)
    title, first, last = f_title[friend], f_first[friend], f_last[friend]
    incoming = rng.random(n) < 0.45
    instant = rng.random(n) < 0.35 * pop.digital[cust] + 0.1
    app = (rng.random(n) < 0.4 * pop.digital[cust]) & ~incoming
    raw = rng.lognormal(np.log(35), 0.9, n)
    amount = np.where(rng.random(n) < 0.5, np.round(raw), np.round(raw, 2))
    amount = np.where(incoming, amount, -amount)
    ttype = np.where(incoming, np.where(instant, "instant_transfer_in", "transfer_in"),
                     np.where(instant, "instant_transfer_out", "transfer_out"))
    label_kind = np.where(app, "p2p_app", ttype)
    motif = np.where(incoming, _P2P_MOTIFS_IN[rng.integers(0, _P2P_MOTIFS_IN.size, n)],
                     _P2P_MOTIFS_OUT[rng.integers(0, _P2P_MOTIFS_OUT.size, n)])
    service = ~incoming & ~app & (rng.random(n) < _P2P_SERVICE_SHARE)
    which = rng.integers(0, len(_P2P_SERVICES), n)
    service_motif, service_sub, service_median = (np.asarray(c) for c in zip(*_P2P_SERVICES,
                                                                            strict=True))
    motif = np.where(service, service_motif[which], motif)
    subcategory = np.where(service, service_sub[which], "p2p_transfer")
    amount = np.where(service, -np.round(service_median[which].astype(np.float64)
                                         * rng.lognormal(0.0, 0.4, n)), amount)
    # People write their own reason text, and sometimes put contact details or an IBAN in it.
    u = rng.random(n)
    pii_kind = np.select([u < 0.03, u < 0.05, u < 0.065, u < 0.07, u < 0.072],
                         ["phone", "email", "iban", "national_id", "card_number"], default="")
    value = np.full(n, "", dtype=object)
    for kind, make in (("phone", _phone), ("iban", _iban), ("national_id", _national_id),
                       ("card_number", _card_number)):
        rows = pii_kind == kind
        if rows.any():
            value[rows] = make(rng, int(rows.sum()))
    rows = pii_kind == "email"
    if rows.any():
        value[rows] = _email(first[rows].astype(str), last[rows].astype(str), rng)
    day = cal.next_business_day[_uniform_days(rng, n, cal)]
    day = np.where(instant, _uniform_days(rng, n, cal), day)
    p2p_app = _P2P_APPS[rng.integers(0, _P2P_APPS.size, n)]
    return event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=amount, transaction_type=ttype, label_kind=label_kind,
        descriptor=masked(app, p2p_app),
        intermediary=masked(app, np.char.lower(p2p_app)),
        person_title=title, person_first=first, person_last=last,
        motif=pl.Series(motif).replace("", None),
        motif_pii_kind=pl.Series(pii_kind).replace("", None),
        motif_pii_value=strings(value).replace("", None),
        reference=rng.integers(10**9, 10**10, n).astype(str),
        counterparty_iban=np.char.add("FR76****", np.char.zfill(
            rng.integers(0, 10000, n).astype(str), 4)),
        subcategory=subcategory, is_income=False,
        bank_transaction_code=np.where(instant, "PMNT-ICDT-ESCT", "PMNT-ICDT-STDO"))


def _incidents(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    fragile = np.where(pop.income_band == "low", 0.5, np.where(pop.income_band == "middle",
                                                                 0.12, 0.03))
    counts = _per_customer_counts(rng, fragile, cal)
    cust = np.repeat(np.arange(pop.size), counts).astype(np.int64)
    n = cust.size
    kinds = np.array(["COMMISSION D INTERVENTION", "FRAIS LETTRE INFORMATION",
                      "FRAIS REJET PRELEVEMENT", "AGIOS", "INTERETS DEBITEURS"])
    which = rng.choice(kinds.size, size=n, p=[0.45, 0.15, 0.15, 0.15, 0.10])
    sub = np.where(which >= 3, "overdraft_interest", "incident_fees")
    amount = np.where(which == 0, 8.0, np.where(which == 1, 15.0, np.where(
        which == 2, 20.0, np.round(rng.uniform(1.5, 25.0, n), 2))))
    day = cal.next_business_day[_uniform_days(rng, n, cal)]
    label_kind = np.where(which >= 3, "interest", "bank_fee")
    ttype = np.where(which >= 3, "interest", "fee")
    return event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=-amount, transaction_type=ttype, label_kind=label_kind,
        descriptor=kinds[which], subcategory=sub, is_income=False,
        bank_transaction_code="ACMT-MDOP-CHRG")


#: A bank's fees for one service, now and then: (label, subcategory, amount). ``FRAIS``
#: opens most of them, so the words after it say which fee (a transfer or a chequebook is
#: the account's, a card's replacement the card's, a bounced cheque an incident, a
#: withdrawal abroad a foreign fee).
_SERVICE_FEES: tuple[tuple[str, str, float], ...] = (
    ("FRAIS DE VIREMENT", "account_fees", 3.5),
    ("FRAIS VIREMENT OCCASIONNEL", "account_fees", 4.0),
    ("FRAIS ENVOI CHEQUIER", "account_fees", 2.0),
    ("FRAIS RECHERCHE DOCUMENT", "account_fees", 12.0),
    ("FRAIS RETRAIT DAB HORS RESEAU", "account_fees", 1.0),
    ("FRAIS ALERTES SMS", "account_fees", 2.5),
    ("COMMISSION DE MOUVEMENT", "account_fees", 5.0),
    ("FRAIS EDITION RELEVE", "account_fees", 3.0),
    ("FRAIS OPPOSITION CARTE", "card_fees", 15.0),
    ("FRAIS REFABRICATION CARTE", "card_fees", 12.0),
    ("FRAIS CARTE SUPPLEMENTAIRE", "card_fees", 20.0),
    ("FRAIS REEDITION CODE CARTE", "card_fees", 9.0),
    ("FRAIS CHEQUE IMPAYE", "incident_fees", 30.0),
    ("FRAIS SAISIE ATD", "incident_fees", 95.0),
    ("FRAIS PRELEVEMENT IMPAYE", "incident_fees", 20.0),
    ("FRAIS DEPASSEMENT DECOUVERT", "incident_fees", 8.0),
    ("FRAIS VIREMENT INTERNATIONAL", "foreign_fees", 15.0),
    ("FRAIS RETRAIT DAB ETRANGER", "foreign_fees", 3.0),
    ("COMMISSION RETRAIT DEVISES", "foreign_fees", 3.5),
)
_SERVICE_FEE_RATE = 0.4  # per customer and year


def _service_fees(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """A bank's fee for one service (``_SERVICE_FEES``), a few a year per customer."""
    counts = _per_customer_counts(rng, np.full(pop.size, _SERVICE_FEE_RATE / 12), cal)
    cust = np.repeat(np.arange(pop.size), counts).astype(np.int64)
    n = cust.size
    if n == 0:
        return event_frame(0)
    which = rng.integers(0, len(_SERVICE_FEES), n)
    label, sub, fee = (np.asarray(c) for c in zip(*_SERVICE_FEES, strict=True))
    day = cal.next_business_day[_uniform_days(rng, n, cal)]
    return event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=-fee[which].astype(np.float64), transaction_type="fee",
        label_kind="bank_fee", descriptor=label[which], subcategory=sub[which], is_income=False,
        bank_transaction_code="ACMT-MDOP-CHRG")


def _interest(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """Savings interest is credited once a year, on the last business day of December."""
    december = np.flatnonzero((cal.month == 11) & (cal.day_of_month == 31))
    if december.size == 0:
        return event_frame(0)
    day = int(cal.previous_business_day[december[0]])
    cust = np.flatnonzero(pop.has_savings).astype(np.int64)
    return event_frame(
        cust.size, customer_idx=pop.customer_idx[cust],
        account_idx=pop.customer_idx[cust] * 4 + ACCOUNT_SLOTS["savings"], day=day, op_day=day,
        amount=np.round(rng.lognormal(np.log(60), 1.0, cust.size), 2),
        transaction_type="interest", label_kind="interest", descriptor="INTERETS CREDITEURS",
        subcategory="interest_dividends", is_income=True, bank_transaction_code="ACMT-MDOP-INTR")


_TAX_REFUND_PAYERS = np.array(["DGFIP REMBOURSEMENT IMPOT", "DGFIP", "DRFIP",
                               "DRFIP REMBOURSEMENT IR", "TRESOR PUBLIC",
                               "DIRECTION GENERALE DES FINANCES PUBLIQUES"])


def _tax_refunds(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    july = np.flatnonzero((cal.month == 6) & (cal.day_of_month == 24))
    if july.size == 0:
        return event_frame(0)
    cust = np.flatnonzero(rng.random(pop.size) < 0.2).astype(np.int64)
    day = int(cal.next_business_day[july[0]])
    # The regional office's name or the national one, as the customer's bank prints it.
    spelled = _TAX_REFUND_PAYERS[(pop.customer_idx[cust] * 2_654_435_761) % 1_000
                                 % len(_TAX_REFUND_PAYERS)]
    return event_frame(
        cust.size, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=np.round(rng.lognormal(np.log(250), 0.9, cust.size), 2),
        transaction_type="transfer_in", label_kind="benefit",
        descriptor=spelled, motif="REMBOURSEMENT IMPOT SUR LE REVENU",
        # The tax office pays it: the income-tax balance line of the directory's DGFIP.
        merchant_id="cur:dgfip-ir-solde",
        subcategory="income_tax", is_income=False, bank_transaction_code="PMNT-RCDT-ESCT")


#: Firms and professionals of no merchant list paid by transfer, as a household pays a
#: builder's invoice or a notary's fees: (subcategory, payee forms with ``{L}`` a last name,
#: motifs with ``{N}`` an invoice number, median amount). Their words say the trade on a
#: transfer as on a card payment (``VIR ... VERS MAITRE DUBOIS HONORAIRES`` is no gift).
_TRADE_TRANSFERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], float], ...] = (
    ("diy_home_improvement", ("ENTREPRISE {L}", "{L} RENOVATION", "SARL {L} BATIMENT",
                              "{L} MENUISERIE", "{L} PEINTURE", "{L} MACONNERIE",
                              "SARL {L} RENOV", "{L} TOITURE", "COUVREUR {L}",
                              "SAS {L} CARRELAGE"),
     ("FACTURE TRAVAUX", "ACOMPTE TRAVAUX", "SOLDE TRAVAUX", "FACTURE {N}", "DEVIS {N}"), 1400.0),
    ("home_services", ("{L} PLOMBERIE", "{L} ELECTRICITE", "{L} CHAUFFAGE", "{L} SERRURERIE",
                       "ARTISAN PLOMBIER {L}", "PLOMBIER {L}", "ELECTRICIEN {L}",
                       "SARL {L} ELEC", "{L} ELEC RENOV", "{L} CHAUFFAGE SANITAIRE",
                       "PAYSAGISTE {L}"),
     ("FACTURE {N}", "DEPANNAGE", "ENTRETIEN CHAUDIERE", "INTERVENTION"), 220.0),
    ("professional_services", ("MAITRE {L}", "SCP {L} NOTAIRES", "CABINET {L} AVOCATS",
                               "ETUDE {L} NOTAIRE", "CABINET {L} EXPERT COMPTABLE",
                               "AVOCAT ME {L}", "ME {L} AVOCAT", "SELARL {L} AVOCATS",
                               "{L} GEOMETRE EXPERT"),
     ("HONORAIRES", "PROVISION SUR FRAIS", "FACTURE {N}", "FRAIS D ACTE"), 700.0),
    ("doctor", ("DR {L}", "DOCTEUR {L}"), ("CONSULTATION", "HONORAIRES"), 55.0),
    ("paramedical", ("{L} KINE", "CABINET {L} OSTEOPATHE", "{L} PSYCHOLOGUE",
                     "{L} ORTHOPHONISTE"), ("SEANCES", "CONSULTATION", "HONORAIRES"), 60.0),
    ("vehicle_maintenance", ("GARAGE {L}", "{L} AUTOMOBILES", "CARROSSERIE {L}"),
     ("FACTURE REPARATION", "FACTURE {N}", "ENTRETIEN VEHICULE"), 450.0),
    ("sport_clubs_gyms", ("ASSOCIATION SPORTIVE", "TENNIS CLUB", "JUDO CLUB", "CLUB DE FOOT"),
     ("LICENCE", "COTISATION ANNUELLE", "ADHESION"), 160.0),
    ("children_activities", ("ECOLE DE MUSIQUE", "CENTRE DE LOISIRS", "ECOLE DE DANSE"),
     ("INSCRIPTION", "COTISATION", "STAGE VACANCES"), 120.0),
    # A gift to a parish or a local association is no transfer to a person.
    ("charity_donations", ("PAROISSE SAINT PIERRE", "PAROISSE NOTRE DAME", "PAROISSE SAINT JOSEPH",
                           "PAROISSE SAINTE THERESE", "PAROISSE DU SACRE COEUR",
                           "ASSOCIATION LES AMIS DE {L}"),
     ("DON", "OFFRANDE", "QUETE", "DON ANNUEL"), 60.0),
    # Schools, nurseries, caterers, kitchen fitters, holiday lets and the rest that a family
    # pays by transfer, often a deposit first: ACOMPTE says when, the payee's word what.
    ("school_fees", ("LYCEE SAINT JOSEPH", "COLLEGE SAINTE MARIE", "ECOLE NOTRE DAME",
                     "INSTITUTION JEANNE D ARC", "LYCEE PRIVE SAINT LOUIS", "ECOLE PRIVEE {L}",
                     "AUTO ECOLE {L}", "ECOLE DE CONDUITE {L}"),
     ("FRAIS DE SCOLARITE", "SCOLARITE", "CONTRIBUTION DES FAMILLES", "INSCRIPTION",
      "ACOMPTE", "FORFAIT PERMIS"), 380.0),
    ("childcare", ("CRECHE LES LUTINS", "MICRO CRECHE LES P TITS LOUPS", "CRECHE {L}",
                   "MAM LES P TITS BOUTS", "HALTE GARDERIE LES CALINS"),
     ("FRAIS DE GARDE", "GARDE", "PARTICIPATION FAMILLE", "FACTURE {N}"), 420.0),
    ("restaurant", ("TRAITEUR {L}", "{L} TRAITEUR", "TRAITEUR RECEPTIONS {L}"),
     ("ACOMPTE MARIAGE", "ACOMPTE", "SOLDE RECEPTION", "FACTURE {N}"), 900.0),
    ("furniture_home_equipment", ("CUISINES {L}", "CUISINISTE {L}", "{L} CUISINES ET BAINS",
                                  "{L} AMEUBLEMENT", "LITERIE {L}"),
     ("ACOMPTE CUISINE", "ACOMPTE", "SOLDE COMMANDE", "FACTURE {N}"), 2200.0),
    ("holiday_rentals", ("CAMPING LES PINS", "CAMPING DU LAC", "GITE {L}", "GITES DE {L}",
                         "{L} LOCATION VACANCES", "CHAMBRES D HOTES {L}"),
     ("ACOMPTE SEJOUR", "ACOMPTE", "SOLDE SEJOUR", "RESERVATION", "LOCATION"), 450.0),
    ("travel_agencies", ("AGENCE DE VOYAGES {L}", "{L} VOYAGES"),
     ("ACOMPTE VOYAGE", "SOLDE VOYAGE", "SEJOUR", "FACTURE {N}"), 1500.0),
    ("building_charges", ("SYNDIC {L}", "SYNDICAT DES COPROPRIETAIRES", "CABINET {L} SYNDIC"),
     ("APPEL DE FONDS", "CHARGES", "APPEL DE CHARGES", "TRAVAUX COPROPRIETE"), 550.0),
    ("funeral_services", ("POMPES FUNEBRES {L}", "PF {L}", "MARBRERIE {L}"),
     ("OBSEQUES", "FACTURE {N}", "ACOMPTE OBSEQUES"), 3000.0),
    ("pets", ("CLINIQUE VETERINAIRE DU PARC", "VETERINAIRE {L}", "DR {L} VETERINAIRE"),
     ("CONSULTATION", "SOINS", "FACTURE {N}"), 120.0),
    # A house heated by oil or wood pays its local supplier per delivery.
    ("gas_heating", ("{L} FIOUL", "FIOUL SERVICE {L}", "{L} COMBUSTIBLES",
                     "SARL {L} COMBUSTIBLES", "BOIS DE CHAUFFAGE {L}", "{L} GRANULES BOIS"),
     ("LIVRAISON FIOUL", "FIOUL DOMESTIQUE", "FACTURE {N}", "LIVRAISON GRANULES",
      "STERES DE BOIS"), 850.0),
    # The school's own canteen, paid to the school: the motif, not the payee, says which.
    ("school_canteen", ("LYCEE SAINT JOSEPH", "COLLEGE SAINTE MARIE", "ECOLE NOTRE DAME",
                        "INSTITUTION JEANNE D ARC", "OGEC {L}"),
     ("CANTINE", "DEMI PENSION", "RESTAURATION SCOLAIRE", "FACTURE CANTINE"), 90.0),
    ("vehicle_purchase_rental", ("CONCESSION {L}", "{L} AUTO OCCASIONS",
                                 "{L} AUTOMOBILES OCCASION"),
     ("ACHAT VEHICULE", "ACOMPTE VEHICULE", "SOLDE VEHICULE", "ACHAT VOITURE"), 9000.0),
)
# per customer and year: one in 60 per trade (stop 35's 0.3 over 18 trades), so that adding
# a trade keeps the others' counts
_TRADE_TRANSFER_RATE = len(_TRADE_TRANSFERS) / 60


def _trade_transfers(pop: Population, cal: Calendar, rng: np.random.Generator,
                     people: People) -> pl.DataFrame:
    """Transfers out to the tradespeople and professionals of ``_TRADE_TRANSFERS``."""
    years = cal.n_days / 365.0
    cust = np.flatnonzero(rng.random(pop.size) < _TRADE_TRANSFER_RATE * years).astype(np.int64)
    n = cust.size
    if n == 0:
        return event_frame(0)
    which = rng.integers(0, len(_TRADE_TRANSFERS), n)
    _, _, last = people.draw(rng, n)
    payee, motif, amount = [], [], np.empty(n)
    invoice = rng.integers(100, 10_000, n)
    for i, k in enumerate(which):
        _sub, forms, motifs, median = _TRADE_TRANSFERS[k]
        payee.append(forms[rng.integers(0, len(forms))].replace("{L}", str(last[i])))
        motif.append(motifs[rng.integers(0, len(motifs))].replace("{N}", str(invoice[i])))
        amount[i] = -round(median * float(rng.lognormal(0.0, 0.6)), 2)
    day = cal.next_business_day[_uniform_days(rng, n, cal)]
    return event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=amount, transaction_type="transfer_out",
        label_kind="transfer_out", descriptor=np.asarray(payee), motif=np.asarray(motif),
        subcategory=np.asarray([_TRADE_TRANSFERS[k][0] for k in which]), is_income=False,
        bank_transaction_code="PMNT-ICDT-ESCT")


#: Billers that pay money back by transfer (a yearly true-up, an overpayment, a claim, a
#: returned order), with what they print as the motif. A refund keeps the category of what
#: it refunds (DESIGN.md): the biller's line, not a transfer from a person.
_BILLER_REFUNDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("electricity", ("REMBOURSEMENT TROP PERCU", "REGULARISATION", "AVOIR FACTURE")),
    ("gas_heating", ("REMBOURSEMENT TROP PERCU", "REGULARISATION ANNUELLE")),
    ("water", ("REMBOURSEMENT TROP PERCU", "AVOIR")),
    ("mobile_phone", ("REMBOURSEMENT", "AVOIR")),
    ("internet_tv", ("REMBOURSEMENT", "AVOIR RESILIATION")),
    ("home_insurance", ("INDEMNISATION SINISTRE", "REMBOURSEMENT COTISATION")),
    ("car_insurance", ("INDEMNISATION SINISTRE", "REMBOURSEMENT")),
    ("marketplace", ("REMBOURSEMENT", "REMBOURSEMENT COMMANDE")),
)
_BILLER_REFUND_SHARE = 0.15  # of customers, once a year
#: Share of those refunds whose label puts a short motif before the biller's name
#: (``REMBT TROP PERCU EDF``), and those short motifs.
_MOTIF_FIRST_SHARE = 0.3
_SHORT_REFUND_MOTIFS = ("REMBT TROP PERCU", "REMB", "REGUL", "AVOIR", "REMBOURSEMENT")


#: A benefit paid too much is taken back by direct debit (an "indu"): the body that paid it,
#: as the curated list spells it, and the motif. A repayment keeps the benefit's line.
_BENEFIT_REPAYERS = (("family_benefits", "cur:caf"),
                     ("unemployment_benefits", "cur:france-travail"),
                     ("unemployment_benefits", "cur:pole-emploi"))
_REPAYMENT_MOTIFS = ("REMBOURSEMENT INDU", "RETENUE INDU", "TROP PERCU", "INDU",
                     "REMBOURSEMENT TROP PERCU", "RECOUVREMENT INDU", "")
_REPAYMENT_SHARE = 0.15  # of the customers paid a benefit, once in the window


def _benefit_repayments(pop: Population, cal: Calendar,
                        rng: np.random.Generator) -> pl.DataFrame:
    """A benefit overpaid, taken back once by direct debit by the body that paid it."""
    from ledgerlens.datasets._recurring import pick_spellings, receives_family_benefits
    from ledgerlens.datasets._vocab import load_curated_merchants

    caf = receives_family_benefits(pop)
    paid = np.where(caf, 0, np.where(pop.status == "unemployed", 1 + (rng.random(pop.size) < 0.3),
                                     -1))
    cust = np.flatnonzero((paid >= 0) & (rng.random(pop.size) < _REPAYMENT_SHARE))
    if cust.size == 0:
        return event_frame(0)
    which = paid[cust]
    ids = np.asarray([merchant for _, merchant in _BENEFIT_REPAYERS])[which]
    curated = load_curated_merchants()
    body = pl.DataFrame({"merchant_id": ids}).join(curated, on="merchant_id", how="left")
    motif = np.asarray(_REPAYMENT_MOTIFS, dtype=object)[
        rng.integers(0, len(_REPAYMENT_MOTIFS), cust.size)]
    day = cal.next_business_day[_uniform_days(rng, cust.size, cal)]
    return event_frame(
        cust.size, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
        day=day, op_day=day, amount=-np.round(rng.lognormal(np.log(90), 0.8, cust.size), 2),
        transaction_type="direct_debit", label_kind="direct_debit",
        descriptor=strings(pick_spellings(rng, body)), motif=masked(motif != "", motif),
        mandate_id=np.char.add("++R", rng.integers(10**6, 10**7, cust.size).astype(str)),
        merchant_id=ids, subcategory=np.asarray([sub for sub, _ in _BENEFIT_REPAYERS])[which],
        is_income=False, bank_transaction_code="PMNT-RDDT-ESDD")


def _biller_refunds(pop: Population, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """A utility, telecom, insurer or marketplace paying a customer back by transfer, under
    one of the curated list's spellings of its name."""
    from ledgerlens.datasets._recurring import pick_curated, pick_spellings

    cust = np.flatnonzero(rng.random(pop.size) < _BILLER_REFUND_SHARE).astype(np.int64)
    if cust.size == 0:
        return event_frame(0)
    which = rng.integers(0, len(_BILLER_REFUNDS), cust.size)
    parts = []
    for k, (sub, motifs) in enumerate(_BILLER_REFUNDS):
        mine = cust[which == k]
        if mine.size == 0:
            continue
        try:
            pick = pick_curated(rng, sub, mine.size, billing="", regular_only=False)
        except LookupError:
            continue
        descriptor = pick_spellings(rng, pick)
        day = _uniform_days(rng, mine.size, cal)
        motif = np.asarray(motifs, dtype=object)[rng.integers(0, len(motifs), mine.size)]
        # Some banks print the motif's short form before the payer's name.
        first = rng.random(mine.size) < _MOTIF_FIRST_SHARE
        short = np.asarray(_SHORT_REFUND_MOTIFS, dtype=object)[
            rng.integers(0, len(_SHORT_REFUND_MOTIFS), mine.size)]
        descriptor = np.where(first, short + " " + descriptor, descriptor)
        motif = np.where(first, "", motif)
        parts.append(event_frame(
            mine.size, customer_idx=pop.customer_idx[mine], account_idx=pop.customer_idx[mine] * 4,
            day=day, op_day=day, amount=np.round(rng.lognormal(np.log(60), 0.9, mine.size), 2),
            transaction_type="transfer_in", label_kind="benefit",
            descriptor=strings(descriptor), motif=strings(motif),
            merchant_id=pick["merchant_id"], subcategory=sub, is_income=False,
            bank_transaction_code="PMNT-RCDT-ESCT"))
    return pl.concat(parts) if parts else event_frame(0)


#: Money earned outside a payslip, paid by transfer at irregular dates: (kind, subcategory,
#: curated payers or None for ``_GIG_PAYERS`` / a company, motifs, share of customers,
#: payments per month, median amount). A marketplace paying out a sale, a holiday-let
#: platform paying its host or a ride or delivery app paying its driver is the payer: the
#: curated list's money-in line of the brand (``cur:vinted-ventes``, spelt like its shop);
#: a client paying a freelancer's invoice is a company of its own.
_SIDE_INCOME: tuple[tuple[str, str, tuple[str, ...] | None, tuple[str, ...], float, float,
                          float], ...] = (
    ("sales", "other_income", ("cur:vinted-ventes", "cur:leboncoin-ventes", "cur:ebay-ventes",
                               "cur:rakuten-ventes"),
     ("VENTE", "PAIEMENT VENTE", "TRANSFERT PORTE MONNAIE", "VIREMENT SOLDE", "PAYOUT",
      "VERSEMENT VENDEUR", ""), 0.08, 0.5, 25.0),
    ("host", "rental_income", ("cur:airbnb-hotes", "cur:abritel-hotes"),
     ("PAYOUT", "VERSEMENT HOTE", "REVERSEMENT RESERVATION", ""), 0.015, 1.0, 420.0),
    ("gig", "other_income", ("cur:uber-chauffeurs", "cur:deliveroo-livreurs"),
     ("PAYOUT", "PAIEMENT PARTENAIRE", "VERSEMENT HEBDO", "PAIEMENT COURSES", ""), 0.015, 2.0,
     160.0),
    ("gig", "other_income", None,
     ("PAYOUT", "PAIEMENT MISSION", "VERSEMENT", "PAIEMENT PRESTATAIRE"), 0.015, 1.5, 180.0),
    ("freelance", "other_income", None,
     ("FACTURE {N}", "FACT {N}", "REGLEMENT FACTURE {N}", "HONORAIRES", "FACTURE N {N}"),
     0.03, 1.0, 650.0),
)
#: Platforms paying self-employed workers that no merchant list names.
_GIG_PAYERS = ("STUART", "MALT COMMUNITY", "FIVERR", "UPWORK", "FREENOW DRIVER", "BOLT DRIVER",
               "COMPTOIR DES FREELANCES", "CREME DE LA CREME", "STAFFME", "STUDENTPOP")


def _side_income(pop: Population, cal: Calendar, rng: np.random.Generator,
                 people: People) -> pl.DataFrame:
    """Earnings by transfer besides the salary: sales paid out by a marketplace, holiday-let
    payouts, platform work and freelance invoices (income, not transfers from people)."""
    from ledgerlens.datasets._recurring import EMPLOYER_SUFFIXES, pick_spellings
    from ledgerlens.datasets._vocab import load_curated_merchants

    curated = load_curated_merchants()
    parts = []
    for kind, sub, payers, motifs, share, per_month, median in _SIDE_INCOME:
        who = np.flatnonzero(rng.random(pop.size) < share * (0.5 + pop.digital)).astype(np.int64)
        counts = _per_customer_counts(rng, np.full(who.size, per_month), cal)
        cust = np.repeat(who, counts).astype(np.int64)
        if cust.size == 0:
            continue
        n = cust.size
        if payers is not None:
            rows = curated.filter(pl.col("merchant_id").is_in(payers))
            # Each customer sells on (or drives for) one platform.
            pick = rows[_fixed_choice(pop.customer_idx[cust], rows.height)]
            descriptor = pick_spellings(rng, pick)
            merchant = pick["merchant_id"]
        elif kind == "gig":
            descriptor = np.asarray(_GIG_PAYERS, dtype=object)[
                (pop.customer_idx[cust] * 40_503) % len(_GIG_PAYERS)]
            merchant = None
        else:  # a client company per invoice, named like employers
            names = np.asarray(people.draw(rng, n)[2], dtype=object)
            suffix = np.asarray(EMPLOYER_SUFFIXES, dtype=object)[
                rng.integers(0, len(EMPLOYER_SUFFIXES), n)]
            descriptor = names + " " + suffix
            merchant = None
        # An invoice number as a freelancer writes it: F412, 118, FA31, 2024-118.
        year = cal.start.year
        number = np.char.add(rng.choice(["F", "", "FA", f"{year - 1}-", f"{year}-"], n),
                             rng.integers(1, 999, n).astype(str))
        motif = np.asarray([m.replace("{N}", k) for m, k in zip(
            np.asarray(motifs)[rng.integers(0, len(motifs), n)].tolist(), number.tolist(),
            strict=True)], dtype=object)
        day = cal.next_business_day[_uniform_days(rng, n, cal)]
        parts.append(event_frame(
            n, customer_idx=pop.customer_idx[cust], account_idx=pop.customer_idx[cust] * 4,
            day=day, op_day=day,
            amount=np.round(rng.lognormal(np.log(median), 0.7, n), 2),
            transaction_type="transfer_in", label_kind="benefit",
            descriptor=strings(descriptor), motif=strings(motif),
            merchant_id=merchant, subcategory=sub,
            is_income=True, bank_transaction_code="PMNT-RCDT-ESCT"))
    return pl.concat(parts) if parts else event_frame(0)


def reimbursements(card: pl.DataFrame, cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """Health insurance pays back part of doctor, dentist and lab visits a few days later."""
    care = card.filter(pl.col("subcategory").is_in(["doctor", "dentist", "laboratory",
                                                    "paramedical", "optician"])
                       & (pl.col("amount") < 0))
    n = care.height
    delay = rng.integers(2, 9, n)
    day = care["day"].to_numpy() + delay
    cpam = care.with_columns(
        day=pl.Series(np.minimum(day, cal.n_days - 1)).cast(pl.Int32),
        op_day=pl.Series(np.minimum(day, cal.n_days - 1)).cast(pl.Int32),
        amount=(-pl.col("amount") * 0.7).round(2),
        transaction_type=pl.lit("transfer_in"), label_kind=pl.lit("benefit"),
        descriptor=pl.lit("CPAM"), motif=pl.lit("REMBOURSEMENT SOINS"),
        subcategory=pl.lit("health_reimbursement"), merchant_id=pl.lit(None, dtype=pl.String),
        intermediary=pl.lit(None, dtype=pl.String), mcc=pl.lit(None, dtype=pl.String),
        city=pl.lit(None, dtype=pl.String), operation_minute=pl.lit(None, dtype=pl.Int16),
        account_idx=(pl.col("customer_idx") * 4).cast(pl.Int64),
        bank_transaction_code=pl.lit("PMNT-RCDT-ESCT"),
    )
    cpam = cpam.filter(pl.Series(day < cal.n_days))
    return pl.concat([cpam, _mutuelle_top_ups(cpam, cal, rng)])


#: Share of Assurance Maladie refunds that the customer's mutuelle tops up (the rest of the
#: bill: most French households hold a complementary health insurance).
_TOP_UP_SHARE = 0.6
_TOP_UP_MOTIFS = ("REMBOURSEMENT", "PRESTATIONS SANTE", "REMBT SOINS", "DECOMPTE",
                  "REMBOURSEMENT COMPLEMENTAIRE")


def _mutuelle_top_ups(cpam: pl.DataFrame, cal: Calendar,
                      rng: np.random.Generator) -> pl.DataFrame:
    """The mutuelle's part of a care bill, a few days after the CPAM's: a transfer from the
    customer's own health insurer (the same one for all their refunds), named as the
    curated list spells its refunds."""
    from ledgerlens.datasets._vocab import load_curated_merchants

    insurers = load_curated_merchants().filter(
        (pl.col("subcategory") == "health_reimbursement") & (pl.col("kind") == "insurer"))
    if insurers.height == 0 or cpam.height == 0:
        return cpam.clear()
    top_up = cpam.filter(pl.Series(rng.random(cpam.height) < _TOP_UP_SHARE))
    n = top_up.height
    # The customer's insurer: a fixed choice from their number.
    which = _fixed_choice(top_up["customer_idx"].to_numpy(), insurers.height)
    spellings = insurers["descriptors"].str.split("|").to_list()
    pick = rng.random(n)
    descriptor = [spellings[w][int(k * len(spellings[w]))]
                  for w, k in zip(which.tolist(), pick.tolist(), strict=True)]
    day = np.minimum(top_up["day"].to_numpy() + rng.integers(1, 6, n), cal.n_days - 1)
    return top_up.with_columns(
        day=pl.Series(day).cast(pl.Int32), op_day=pl.Series(day).cast(pl.Int32),
        amount=(pl.col("amount") * 0.4).round(2),  # 0.7 of the bill -> its last 0.3
        descriptor=pl.Series(descriptor, dtype=pl.String),
        motif=pl.Series(rng.choice(_TOP_UP_MOTIFS, n), dtype=pl.String),
        merchant_id=pl.Series(insurers["merchant_id"].to_numpy()[which], dtype=pl.String),
    )


def deferred_card_totals(events: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    """The monthly total of a deferred-debit card, debited from the current account.

    Card payments of a month sit on the card account; the current account shows one
    line for all of them on the last business day of the month.
    """
    card_slot = ACCOUNT_SLOTS["card"]
    on_card = events.filter((pl.col("account_idx") % 4) == card_slot)
    if on_card.height == 0:
        return event_frame(0)
    month = pl.Series(cal.month_index[on_card["day"].to_numpy()])
    totals = on_card.with_columns(month=month).group_by("customer_idx", "month").agg(
        amount=pl.col("amount").sum().round(2), card_last4=pl.col("card_last4").first(),
        card_bin=pl.col("card_bin").first()).sort("customer_idx", "month")
    month_end = np.append(cal.month_starts[1:] - 1, cal.n_days - 1)
    day = cal.previous_business_day[month_end[totals["month"].to_numpy()]]
    return event_frame(
        totals.height, customer_idx=totals["customer_idx"],
        account_idx=totals["customer_idx"] * 4 + ACCOUNT_SLOTS["current"], day=day, op_day=day,
        amount=totals["amount"], transaction_type="deferred_card_total",
        label_kind="deferred_card_total", card_last4=totals["card_last4"],
        card_bin=totals["card_bin"], subcategory="deferred_card_total", is_income=False,
        bank_transaction_code="PMNT-CCRD-OTHR")
