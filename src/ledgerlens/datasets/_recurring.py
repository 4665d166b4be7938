"""Recurring streams: salaries, pensions, benefits, rent, loans, bills, subscriptions, savings.

Each customer gets the streams their persona implies; a stream has a counterparty, a
cadence, a day of the month, an amount, a start and an end (subscriptions are taken up
and cancelled), price changes (decided per merchant, so every Netflix subscriber sees the
same rise the same month), and occasional missed or duplicated payments. Streams are then
expanded into occurrences, shifted to business days as banks do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._event_frame import masked, strings
from ledgerlens.datasets._occurrences import expand_streams
from ledgerlens.datasets._people import People
from ledgerlens.datasets._personas import ACCOUNT_SLOTS, Population
from ledgerlens.datasets._vocab import load_curated_merchants

__all__ = ["EMPLOYER_SUFFIXES", "pick_curated", "pick_spellings", "recurring_streams"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

#: What follows a company's name (an employer's, a freelancer's client's).
EMPLOYER_SUFFIXES = ("SAS", "SARL", "SA", "ET ASSOCIES", "CONSEIL", "INDUSTRIES", "TRANSPORTS",
                     "BTP", "LOGISTIQUE", "INFORMATIQUE", "DISTRIBUTION", "SERVICES")
_PUBLIC_EMPLOYERS = ("DRFIP PAYE", "DDFIP PAIE AGENTS", "CENTRE HOSPITALIER", "MAIRIE DE",
                     "CONSEIL DEPARTEMENTAL", "EDUCATION NATIONALE PAIE")
_SOCIAL_LANDLORDS = ("PARIS HABITAT", "ICF HABITAT", "IMMOBILIERE 3F", "LOGIREP", "VILOGIA",
                     "CDC HABITAT", "OPH", "HABITAT 76", "ACTION LOGEMENT", "ERILIA")
#: A student's regional student-welfare office: it pays grants (``BOURSE``) and lets rooms in
#: its halls of residence, taking the rent by direct debit.
_CROUS = ("CROUS PARIS", "CROUS DE LYON", "CROUS BORDEAUX AQUITAINE", "CROUS DE LILLE",
          "CROUS TOULOUSE OCCITANIE", "CROUS MONTPELLIER", "CROUS DE RENNES", "CROUS NANTES")
#: How a social landlord with a town in its name prints it (``{C}``: the customer's town),
#: for half the social tenants: the words OPAC, OPH, HLM and HABITAT say rent, not the name.
_SOCIAL_LANDLORD_FORMS = ("OPAC {C}", "OPAC DE {C}", "OPH {C}", "OPH DE {C}", "{C} HABITAT",
                          "HABITAT {C}", "SA HLM {C}", "HLM {C}", "OFFICE PUBLIC HABITAT {C}",
                          "{C} METROPOLE HABITAT", "LOGEMENT {C}", "SEM HABITAT {C}")
#: A private landlord's company (a societe civile immobiliere) paid by transfer, for one
#: private landlord in four (``{L}``: a family name).
_SCI_FORMS = ("SCI {L}", "SCI {L} IMMO", "SCI FAMILLE {L}", "SCI {L} ET FILS", "SCI {L} PATRIMOINE",
              "SCI LES TILLEULS", "SCI DU MOULIN", "SCI LA ROSERAIE", "SCI LES CHENES",
              "SCI DES LILAS", "SCI LE CLOS", "SCI DES PINS", "SCI LES ACACIAS", "SCI DU PARC",
              "SCI LES GLYCINES", "SCI DE LA GARE", "SCI LES ERABLES", "SCI LE VERGER")
_SCI_SHARE = 0.25
_AGENCIES = ("FONCIA", "NEXITY LAMY", "CENTURY 21", "ORPI GESTION", "LAFORET", "CITYA",
             "SQUARE HABITAT", "IMMO DE FRANCE")


@dataclass(frozen=True)
class _Streams:
    """Columns of a batch of streams (one entry per stream)."""

    cust: IntArray
    slot: IntArray
    kind: str
    label_kind: str
    transaction_type: str
    subcategory: StrArray | str
    amount: FloatArray  # signed
    dom: IntArray
    cadence: str | npt.NDArray[np.str_]  # monthly, quarterly, yearly
    sigma: float = 0.0
    descriptor: StrArray | None = None
    merchant_id: StrArray | None = None
    mcc: StrArray | None = None
    creditor_id: StrArray | None = None
    person: bool = False
    motif: str | None = None
    is_income: bool = False
    shift: str = "next"  # business-day shift: next, previous
    churn: float = 0.0  # chance the stream ends within the window
    uptake: float = 0.0  # chance the stream starts within the window
    code: str = "PMNT-RDDT-ESDD"


def pick_curated(rng: np.random.Generator, subcategory: str, n: int,
                 kinds: tuple[str, ...] | None = None, billing: str = "direct_debit",
                 *, regular_only: bool = True) -> pl.DataFrame:
    """``n`` merchants of a subcategory billed the given way (``""``: any way), drawn by
    popularity; ``regular_only`` leaves out those billed irregularly (a marketplace)."""
    cur = load_curated_merchants().filter(
        (pl.col("subcategory") == subcategory) & pl.col("billing").str.contains(billing)
        & ((pl.col("cadence") != "irregular") | (not regular_only)))
    if kinds is not None:
        cur = cur.filter(pl.col("kind").is_in(kinds))
    if cur.height == 0:
        raise LookupError(f"no curated merchant for subcategory {subcategory!r}")
    w = cur["popularity"].cast(pl.Float64).to_numpy() + 0.01
    return cur[rng.choice(cur.height, size=n, p=w / w.sum())]


def pick_spellings(rng: np.random.Generator, merchants: pl.DataFrame) -> StrArray:
    """One of each curated merchant's label spellings (``descriptors``), drawn uniformly."""
    descriptors = merchants["descriptors"].str.split("|")
    pick = (rng.random(merchants.height) * descriptors.list.len().to_numpy()).astype(np.int64)
    return np.asarray([d[k] for d, k in zip(descriptors.to_list(), pick.tolist(), strict=True)],
                      dtype=object)


def _curated_streams(rng: np.random.Generator, pop: Population, mask: BoolArray,
                     subcategory: str, *, kind: str, label_kind: str = "direct_debit",
                     transaction_type: str = "direct_debit", cadence: str | None = None,
                     scale: float | FloatArray = 1.0, sigma: float = 0.0, churn: float = 0.05,
                     uptake: float = 0.05, kinds: tuple[str, ...] | None = None,
                     code: str = "PMNT-RDDT-ESDD") -> _Streams:
    cust = np.flatnonzero(mask).astype(np.int64)
    m = pick_curated(rng, subcategory, cust.size, kinds)
    factor = np.broadcast_to(np.asarray(scale, dtype=np.float64), (pop.size,))[cust]
    base = m["amount_median"].cast(pl.Float64).to_numpy() * rng.lognormal(
        0.0, 0.25, cust.size) * factor
    descriptor = pick_spellings(rng, m)
    creditor = m["creditor_id"].replace("", None)
    return _Streams(
        cust=cust, slot=np.zeros(cust.size, np.int64), kind=kind, label_kind=label_kind,
        transaction_type=transaction_type, subcategory=subcategory,
        amount=-np.round(base, 2).astype(np.float64), dom=rng.integers(1, 29, cust.size),
        cadence=cadence if cadence is not None else m["cadence"].to_numpy().astype(str),
        sigma=sigma, descriptor=descriptor, merchant_id=m["merchant_id"].to_numpy(),
        mcc=m["mcc"].to_numpy(), creditor_id=creditor.to_numpy(),
        churn=churn, uptake=uptake, code=code)


#: The savings account a standing order feeds, as banks name it on the statement.
_SAVINGS_ACCOUNTS = ("LIVRET A", "LDDS", "LIVRET DEVELOPPEMENT DURABLE", "LEP", "PEL",
                     "COMPTE EPARGNE", "LIVRET JEUNE", "CEL", "COMPTE SUR LIVRET",
                     "LIVRET EPARGNE")
_SAVINGS_WEIGHTS = np.array([0.40, 0.12, 0.06, 0.05, 0.09, 0.08, 0.05, 0.03, 0.06, 0.06])
#: One saver in five feeds an investment held at the bank instead: (as the statement names
#: it, subcategory). Chosen by customer number, so the savers' other draws are unchanged.
_INVESTMENT_ACCOUNTS = (("ASSURANCE VIE", "life_insurance"), ("PEA", "securities"),
                        ("CONTRAT ASSURANCE VIE", "life_insurance"),
                        ("COMPTE TITRES", "securities"), ("VERSEMENT ASSURANCE VIE",
                                                          "life_insurance"))
_INVESTOR_EVERY = 5


def _named_streams(cust: IntArray, *, kind: str, label_kind: str, transaction_type: str,
                   subcategory: str, amount: npt.ArrayLike, dom: IntArray, descriptor: StrArray,
                   is_income: bool = False, motif: str | None = None, shift: str = "next",
                   sigma: float = 0.0, code: str = "PMNT-ICDT-ESCT", cadence: str = "monthly",
                   churn: float = 0.0) -> _Streams:
    return _Streams(cust=cust, slot=np.zeros(cust.size, np.int64), kind=kind,
                    label_kind=label_kind, transaction_type=transaction_type,
                    subcategory=subcategory, amount=np.asarray(amount, dtype=np.float64),
                    dom=dom, cadence=cadence,
                    sigma=sigma, descriptor=descriptor, motif=motif, is_income=is_income,
                    shift=shift, code=code, churn=churn)


def _person_streams(cust: IntArray, *, kind: str, label_kind: str, transaction_type: str,
                    subcategory: str, amount: npt.ArrayLike, dom: IntArray, motif: str,
                    cadence: str = "monthly", is_income: bool = False) -> _Streams:
    return _Streams(cust=cust, slot=np.zeros(cust.size, np.int64), kind=kind,
                    label_kind=label_kind, transaction_type=transaction_type,
                    subcategory=subcategory, amount=np.asarray(amount, dtype=np.float64),
                    dom=dom, cadence=cadence,
                    person=True, motif=motif, is_income=is_income, code="PMNT-ICDT-STDO")


def receives_family_benefits(pop: Population) -> BoolArray:
    """The customers the CAF pays family benefits: two children, or one on a low income."""
    low = np.asarray(pop.income_band == "low", dtype=bool)
    return np.asarray((pop.n_children >= 2) | ((pop.n_children >= 1) & low), dtype=bool)


def _income_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    n = pop.size
    out: list[_Streams] = []
    emp = np.flatnonzero(pop.status == "employed").astype(np.int64)
    people = People()
    _, _, last = people.draw(rng, emp.size)
    suffix = np.asarray(EMPLOYER_SUFFIXES)[rng.integers(0, len(EMPLOYER_SUFFIXES), emp.size)]
    public = np.asarray(_PUBLIC_EMPLOYERS)[rng.integers(0, len(_PUBLIC_EMPLOYERS), emp.size)]
    employer = np.where(rng.random(emp.size) < 0.2, public,
                        np.char.add(np.char.add(last.astype(str), " "), suffix))
    out.append(_named_streams(
        emp, kind="salary", label_kind="salary", transaction_type="transfer_in",
        subcategory="salary", amount=np.round(pop.income[emp], 2),
        dom=rng.choice([25, 26, 27, 28, 30, 31], emp.size), descriptor=employer, is_income=True,
        motif="SALAIRE {MONTH} {YEAR}", shift="previous", sigma=0.02, churn=0.04))
    ret = np.flatnonzero(pop.status == "retired").astype(np.int64)
    out.append(_named_streams(
        ret, kind="pension", label_kind="pension", transaction_type="transfer_in",
        subcategory="pension", amount=np.round(pop.income[ret] * 0.62, 2),
        dom=np.full(ret.size, 9), descriptor=np.where(rng.random(ret.size) < 0.5, "CNAV",
                                                      "CARSAT"),
        is_income=True, motif="RETRAITE {MONTH} {YEAR}"))
    out.append(_named_streams(
        ret, kind="pension", label_kind="pension", transaction_type="transfer_in",
        subcategory="pension", amount=np.round(pop.income[ret] * 0.38, 2),
        dom=np.ones(ret.size, np.int64), descriptor=np.full(ret.size, "AGIRC ARRCO"),
        is_income=True, motif="RETRAITE COMPLEMENTAIRE {MONTH}"))
    une = np.flatnonzero(pop.status == "unemployed").astype(np.int64)
    out.append(_named_streams(
        une, kind="unemployment", label_kind="benefit", transaction_type="transfer_in",
        subcategory="unemployment_benefits", amount=np.round(pop.income[une], 2),
        dom=rng.integers(2, 7, une.size), descriptor=np.full(une.size, "FRANCE TRAVAIL"),
        is_income=True, motif="ALLOCATION {MONTH} {YEAR}", sigma=0.03, churn=0.25))
    caf = np.flatnonzero(receives_family_benefits(pop))
    out.append(_named_streams(
        caf.astype(np.int64), kind="family_benefits", label_kind="benefit",
        transaction_type="transfer_in", subcategory="family_benefits",
        amount=np.round(np.maximum(pop.n_children[caf] - 1, 0.5) * 141.99, 2),
        dom=np.full(caf.size, 5), descriptor=np.full(caf.size, "CAF"), is_income=True,
        motif="PRESTATIONS FAMILIALES {MONTH}"))
    rent_in = np.flatnonzero((pop.housing == "owner") & (pop.income_band == "high")
                             & (rng.random(n) < 0.3)).astype(np.int64)
    out.append(_person_streams(
        rent_in, kind="rental_income", label_kind="transfer_in", transaction_type="transfer_in",
        subcategory="rental_income", amount=np.round(rng.uniform(450, 1200, rent_in.size)),
        dom=rng.integers(1, 8, rent_in.size), motif="LOYER {MONTH}", is_income=True))
    stud = np.flatnonzero(pop.status == "student").astype(np.int64)
    out.append(_person_streams(
        stud, kind="parents_support", label_kind="transfer_in", transaction_type="transfer_in",
        subcategory="p2p_transfer", amount=np.round(rng.uniform(150, 500, stud.size) / 10) * 10,
        dom=rng.integers(1, 10, stud.size), motif="VIREMENT MENSUEL"))
    # Means-tested grants (bourse sur criteres sociaux), paid monthly by the CROUS.
    grant = stud[rng.random(stud.size) < 0.35]
    out.append(_named_streams(
        grant, kind="grant", label_kind="benefit", transaction_type="transfer_in",
        subcategory="other_income", amount=np.round(rng.uniform(110, 600, grant.size)),
        dom=rng.integers(5, 11, grant.size),
        descriptor=np.asarray(_CROUS)[rng.integers(0, len(_CROUS), grant.size)],
        is_income=True, motif="BOURSE {MONTH}"))
    return out


def _housing_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    n = pop.size
    out: list[_Streams] = []
    rent = np.clip(pop.income * rng.uniform(0.22, 0.38, n), 320, 2200)
    private = pop.housing == "tenant_private"
    via_agency = private & (rng.random(n) < 0.4)
    sci = private & ~via_agency & (rng.random(n) < _SCI_SHARE)
    landlord = np.flatnonzero(private & ~via_agency & ~sci).astype(np.int64)
    out.append(_person_streams(
        landlord, kind="rent", label_kind="transfer_out", transaction_type="transfer_out",
        subcategory="rent", amount=-np.round(rent[landlord]), dom=rng.integers(1, 6, landlord.size),
        motif="LOYER {MONTH}"))
    # half the tenants of an SCI write the month in the motif, half leave it empty
    sci_idx = np.flatnonzero(sci).astype(np.int64)
    family = People().draw(rng, sci_idx.size)[2]
    sci_name = np.asarray([_SCI_FORMS[k].replace("{L}", str(f)) for k, f in zip(
        rng.integers(0, len(_SCI_FORMS), sci_idx.size).tolist(), family, strict=True)])
    with_motif = rng.random(sci_idx.size) < 0.5
    for keep, motif in ((with_motif, "LOYER {MONTH}"), (~with_motif, None)):
        out.append(_named_streams(
            sci_idx[keep], kind="rent", label_kind="transfer_out", transaction_type="transfer_out",
            subcategory="rent", amount=-np.round(rent[sci_idx[keep]]),
            dom=rng.integers(1, 6, int(keep.sum())), descriptor=sci_name[keep], motif=motif,
            code="PMNT-ICDT-STDO"))
    agency = np.flatnonzero(via_agency).astype(np.int64)
    out.append(_named_streams(
        agency, kind="rent", label_kind="direct_debit", transaction_type="direct_debit",
        subcategory="rent", amount=-np.round(rent[agency], 2), dom=rng.integers(1, 6, agency.size),
        # a student's landlord taking the rent by direct debit is a hall of residence
        descriptor=np.where(
            pop.status[agency] == "student",
            np.asarray(_CROUS)[rng.integers(0, len(_CROUS), agency.size)],
            np.asarray(_AGENCIES)[rng.integers(0, len(_AGENCIES), agency.size)]),
        motif="LOYER {MONTH} {YEAR}", code="PMNT-RDDT-ESDD"))
    social = np.flatnonzero(pop.housing == "tenant_social").astype(np.int64)
    out.append(_named_streams(
        social, kind="rent", label_kind="direct_debit", transaction_type="direct_debit",
        subcategory="rent", amount=-np.round(np.clip(rent[social] * 0.7, 250, 800), 2),
        dom=rng.integers(3, 11, social.size),
        descriptor=np.where(
            rng.random(social.size) < 0.5,
            np.asarray(_SOCIAL_LANDLORDS)[rng.integers(0, len(_SOCIAL_LANDLORDS), social.size)],
            [_SOCIAL_LANDLORD_FORMS[k].replace("{C}", str(c)) for k, c in zip(
                rng.integers(0, len(_SOCIAL_LANDLORD_FORMS), social.size).tolist(),
                # a landlord names the town, not its district (PARIS 13)
                np.char.rstrip(pop.city[social].astype(str), " 0123456789"), strict=True)]),
        motif="LOYER {MONTH}", code="PMNT-RDDT-ESDD"))
    owner = pop.housing == "owner_mortgage"
    instalment = np.clip(pop.income * rng.uniform(0.2, 0.35, n), 350, 3000)
    # One mortgage in four is held at another bank, which takes it by direct debit under its
    # name (PRLV SEPA CREDIT AGRICOLE PRET IMMO); the others are the account bank's own loan.
    elsewhere = owner & (rng.random(n) < 0.25)
    mort = np.flatnonzero(owner & ~elsewhere).astype(np.int64)
    out.append(_named_streams(
        mort, kind="mortgage", label_kind="loan_repayment", transaction_type="loan_repayment",
        subcategory="mortgage", amount=-np.round(instalment[mort], 2),
        dom=rng.choice([5, 10, 15], mort.size),
        descriptor=np.full(mort.size, "PRET IMMOBILIER"), code="LDAS-CSLN-RPMT"))
    if elsewhere.any():
        out.append(_curated_streams(
            rng, pop, elsewhere, "mortgage", kind="mortgage", kinds=("lender",),
            scale=instalment / _MORTGAGE_MEDIAN, churn=0.0, uptake=0.0))
    return out


#: The curated mortgage lines' ``amount_median``: ``_curated_streams`` scales it to each
#: household's instalment.
_MORTGAGE_MEDIAN = 900.0


def _bill_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    n = pop.size

    def u() -> FloatArray:
        return rng.random(n)

    own_home = pop.housing != "with_parents"
    family = pop.n_children > 0
    size = np.where(family, 1.0 + 0.2 * pop.n_children, np.where(pop.household == "couple",
                                                                 1.3, 1.0))
    specs: list[tuple[BoolArray, str, dict[str, object]]] = [
        (own_home & (u() < 0.95), "electricity", {"kind": "utility", "scale": size}),
        (own_home & (u() < 0.35), "gas_heating", {"kind": "utility", "scale": size}),
        (own_home & (pop.housing != "tenant_social") & (u() < 0.35), "water",
         {"kind": "utility", "cadence": "quarterly", "scale": size}),
        (own_home & (u() < 0.85), "internet_tv", {"kind": "telecom", "churn": 0.08}),
        (u() < 0.97, "mobile_phone", {"kind": "telecom", "sigma": 0.08, "churn": 0.1,
                                      "scale": np.where(family, 2.0, 1.0)}),
        (own_home & (u() < 0.9), "home_insurance", {"kind": "insurer"}),
        (pop.has_car & (u() < 0.97), "car_insurance", {"kind": "insurer"}),
        ((pop.status != "employed") & (u() < 0.75) | (u() < 0.2), "health_insurance",
         {"kind": "insurer", "scale": size}),
        (u() < 0.2, "life_provident_insurance", {"kind": "insurer"}),
        ((pop.n_children > 0) & (u() < 0.5), "school_canteen",
         {"kind": "public_body", "scale": pop.n_children.astype(np.float64), "sigma": 0.2}),
        ((pop.status == "employed") & (pop.n_children > 0) & (pop.age < 42) & (u() < 0.25),
         "childcare", {"kind": "service"}),
        (~pop.has_car & (u() < 0.4), "public_transport", {"kind": "transport"}),
        (u() < 0.18 + 0.15 * (pop.age < 40), "sport_clubs_gyms", {"kind": "gym", "churn": 0.3,
                                                                  "uptake": 0.2}),
        (u() < 0.06, "charity_donations", {"kind": "charity"}),
        ((pop.status == "employed") & np.isin(pop.income_band, ["upper", "high"]) & (u() < 0.5),
         "income_tax", {"kind": "public_body", "scale": pop.income / 3000.0}),
        (np.isin(pop.housing, ["owner", "owner_mortgage"]) & (u() < 0.9), "property_housing_tax",
         {"kind": "public_body", "cadence": "yearly"}),
        (u() < 0.15, "consumer_loan", {"kind": "lender", "churn": 0.3, "uptake": 0.15,
                                       "label_kind": "loan_repayment",
                                       "transaction_type": "loan_repayment",
                                       "code": "LDAS-CSLN-RPMT"}),
        (pop.has_car & (u() < 0.12), "car_loan", {"kind": "lender", "churn": 0.2,
                                                  "label_kind": "loan_repayment",
                                                  "transaction_type": "loan_repayment",
                                                  "code": "LDAS-CSLN-RPMT"}),
        (pop.has_savings & (u() < 0.15), "life_insurance", {"kind": "investment"}),
        # Young workers repaying the loan of their studies, as their bank's own loan line.
        ((pop.status == "employed") & (pop.age < 32) & (u() < 0.1), "student_loan",
         {"kind": "lender", "churn": 0.1, "uptake": 0.05, "label_kind": "loan_repayment",
          "transaction_type": "loan_repayment", "code": "LDAS-CSLN-RPMT"}),
    ]
    out: list[_Streams] = []
    for mask, sub, kw in specs:
        kind = str(kw.pop("kind"))
        if not mask.any():
            continue
        try:
            out.append(_curated_streams(rng, pop, mask, sub, kind=kind, **kw))  # type: ignore[arg-type]
        except LookupError:
            continue
    # Tax on the tax office's schedule: income tax monthly on the 15th, property tax mid-October.
    for s in out:
        if s.subcategory in ("income_tax", "property_housing_tax"):
            object.__setattr__(s, "dom", np.full(s.cust.size, 15))
            object.__setattr__(s, "label_kind", "tax")
    return out


def _subscription_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    count = rng.poisson(0.4 + 2.0 * pop.digital)
    cust = np.repeat(np.arange(pop.size), count).astype(np.int64)
    if cust.size == 0:
        return []
    streams = []
    # Subscriptions are paid by card online, taken up and cancelled over the year.
    idx = cust
    m = pick_curated(rng, "streaming_digital", idx.size, billing="card")
    descriptors = m["descriptors"].str.split("|").list.first().to_numpy().astype(object)
    streams.append(_Streams(
        cust=idx, slot=np.zeros(idx.size, np.int64), kind="subscription",
        label_kind="card_online", transaction_type="card_online", subcategory="streaming_digital",
        amount=-m["amount_median"].cast(pl.Float64).to_numpy().round(2),
        dom=rng.integers(1, 29, idx.size), cadence=m["cadence"].to_numpy().astype(str),
        descriptor=descriptors,
        merchant_id=m["merchant_id"].to_numpy(), mcc=m["mcc"].to_numpy(), churn=0.25,
        uptake=0.25, code="PMNT-CCRD-POSD"))
    return streams


#: Monthly account package fees: a "cotisation" is an account fee as often as a card fee,
#: the words after it (offer, package, account, services) tell which.
_ACCOUNT_FEE_LABELS = (
    "FRAIS TENUE DE COMPTE", "COTIS. OFFRE ESSENTIEL", "COTISATION PACKAGE",
    "FORFAIT SERVICES BANCAIRES", "COTISATION FORMULE DE COMPTE",
    "COTIS OFFRE GROUPEE DE SERVICES", "COTIS. CONVENTION DE COMPTE", "FRAIS GESTION DE COMPTE",
    "COTISATION OFFRE SERENITE", "ABONNEMENT SERVICES BANCAIRES", "COTIS PACK FAMILLE",
)
#: Yearly card fees and their amounts.
_CARD_FEE_LABELS = (
    ("COTISATION CARTE VISA CLASSIC", 45.0), ("COTISATION CARTE VISA PREMIER", 134.0),
    ("COTIS CARTE MASTERCARD", 48.0), ("COTISATION CARTE GOLD MC", 140.0),
    ("COTIS CARTE BLEUE", 42.0), ("COTISATION CB VISA", 46.0),
    ("COTISATION CARTE VISA INFINITE", 330.0), ("COTISATION ANNUELLE CARTE", 39.0),
)


def _bank_fee_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    cust = np.arange(pop.size, dtype=np.int64)
    neobank = rng.random(pop.size) < 0.15
    monthly = cust[~neobank]
    fees = np.asarray(_ACCOUNT_FEE_LABELS)
    out = [_named_streams(
        monthly, kind="account_fee", label_kind="bank_fee", transaction_type="fee",
        subcategory="account_fees", amount=-rng.choice([2.0, 3.5, 5.9, 8.2, 11.5], monthly.size),
        dom=np.full(monthly.size, 3), descriptor=fees[rng.integers(0, fees.size, monthly.size)],
        code="ACMT-MDOP-CHRG")]
    cards = np.asarray([label for label, _ in _CARD_FEE_LABELS])
    which = rng.integers(0, cards.size, pop.size)
    out.append(_Streams(
        cust=cust, slot=np.zeros(cust.size, np.int64), kind="card_fee", label_kind="bank_fee",
        transaction_type="fee", subcategory="card_fees",
        amount=-np.asarray([fee for _, fee in _CARD_FEE_LABELS])[which],
        dom=rng.integers(1, 29, cust.size),
        cadence="yearly", descriptor=cards[which], code="ACMT-MDOP-CHRG"))
    return out


def _transfer_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    n = pop.size
    out: list[_Streams] = []
    saver = np.flatnonzero(pop.has_savings & (rng.random(n) < 0.6)).astype(np.int64)
    amount = np.round(np.clip(pop.income[saver] * rng.uniform(0.03, 0.15, saver.size), 20, 1500),
                      -1)
    dom = rng.integers(2, 12, saver.size)
    account = rng.choice(np.asarray(_SAVINGS_ACCOUNTS), saver.size, p=_SAVINGS_WEIGHTS)
    investor = saver % _INVESTOR_EVERY == 0
    out.append(_named_streams(
        saver[~investor], kind="savings", label_kind="own_account_transfer",
        transaction_type="own_account_transfer", subcategory="savings_transfer",
        amount=-amount[~investor], dom=dom[~investor], descriptor=account[~investor],
        motif="EPARGNE", code="PMNT-ICDT-BOOK"))
    which = (saver[investor] // _INVESTOR_EVERY) % len(_INVESTMENT_ACCOUNTS)
    for k, (name, sub) in enumerate(_INVESTMENT_ACCOUNTS):
        chosen = which == k
        if not chosen.any():
            continue
        out.append(_named_streams(
            saver[investor][chosen], kind="savings", label_kind="own_account_transfer",
            transaction_type="own_account_transfer", subcategory=sub,
            amount=-amount[investor][chosen], dom=dom[investor][chosen],
            descriptor=np.full(int(chosen.sum()), name, dtype=object),
            motif="EPARGNE", code="PMNT-ICDT-BOOK"))
    payer = np.flatnonzero((pop.household == "single") & (pop.age > 30) & (pop.age < 60)
                           & (rng.random(n) < 0.1)).astype(np.int64)
    out.append(_person_streams(
        payer, kind="child_support", label_kind="transfer_out", transaction_type="transfer_out",
        subcategory="child_support", amount=-np.round(rng.uniform(120, 450, payer.size)),
        dom=rng.integers(1, 10, payer.size), motif="PENSION ALIMENTAIRE {MONTH}"))
    parent = np.flatnonzero((pop.n_children > 0) & (pop.age > 40) & (rng.random(n) < 0.3)
                            ).astype(np.int64)
    out.append(_person_streams(
        parent, kind="pocket_money", label_kind="transfer_out", transaction_type="transfer_out",
        subcategory="pocket_money", amount=-np.round(rng.uniform(15, 80, parent.size)),
        dom=rng.integers(1, 28, parent.size), motif="ARGENT DE POCHE"))
    # A childminder (assistante maternelle) paid by transfer each month, as her employer:
    # the motif names the care, the beneficiary is a person.
    minder = np.flatnonzero((pop.status == "employed") & (pop.n_children > 0) & (pop.age < 42)
                            & (rng.random(n) < 0.2)).astype(np.int64)
    wording = rng.integers(0, len(_CHILDMINDER_MOTIFS), minder.size)
    for k, motif in enumerate(_CHILDMINDER_MOTIFS):
        mine = minder[wording == k]
        out.append(_person_streams(
            mine, kind="childcare", label_kind="transfer_out", transaction_type="transfer_out",
            subcategory="childcare", amount=-np.round(rng.uniform(350, 900, mine.size)),
            dom=rng.integers(1, 8, mine.size), motif=motif))
    out.extend(_current_account_streams(rng, pop))
    out.extend(_neobank_streams(rng, pop))
    return out


#: How statements name a customer's other current account (a couple's joint account, a
#: second everyday account): money moved there is no saving (``transfers``), unlike the
#: ``_SAVINGS_ACCOUNTS`` it must be told from.
_CURRENT_ACCOUNTS = ("COMPTE JOINT", "CPT JOINT", "CPTE JOINT", "COMPTE COURANT",
                     "CPTE COURANT", "COMPTE CHEQUES", "COMPTE PRINCIPAL", "CPT COMMUN")
_JOINT_SHARE = 0.3  # of couples, feeding their joint account each month
_SECOND_ACCOUNT_SHARE = 0.06  # of customers, moving money to another account of theirs


def _current_account_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    """Monthly own-account transfers between current accounts: a couple's partner feeds
    the joint account (the first three wordings) or, one in five, is paid from it; others
    top up a second account."""
    couple = np.isin(pop.household, ["couple", "couple_children"])
    joint = couple & (rng.random(pop.size) < _JOINT_SHARE)
    second = ~joint & (rng.random(pop.size) < _SECOND_ACCOUNT_SHARE)
    cust = np.flatnonzero(joint | second).astype(np.int64)
    names = np.asarray(_CURRENT_ACCOUNTS)
    descriptor = np.where(joint[cust], names[rng.integers(0, 3, cust.size)],
                          names[rng.integers(0, names.size, cust.size)])
    amount = np.round(np.clip(pop.income[cust] * rng.uniform(0.1, 0.4, cust.size), 50, 2500),
                      -1)
    # One joint account in five is the one paid into: money comes back from it.
    back = joint[cust] & (rng.random(cust.size) < 0.2)
    return [_named_streams(
        cust, kind="own_transfer", label_kind="own_account_transfer",
        transaction_type="own_account_transfer", subcategory="own_account_transfer",
        amount=np.where(back, amount, -amount), dom=rng.integers(1, 6, cust.size),
        descriptor=descriptor,
        code="PMNT-ICDT-BOOK")]


#: Neobanks whose account customers feed from their main bank: (curated merchant, share of
#: such customers, spellings of a SEPA transfer to the bank, card spelling of an app top-up
#: with ``{n}`` the card's last digits).
_NEOBANKS: tuple[tuple[str, float, tuple[str, ...], str], ...] = (
    ("cur:revolut", 0.8, ("REVOLUT BANK UAB", "REVOLUT", "REVOLUT LTD"), "REVOLUT**{n}*"),
    ("cur:n26", 0.2, ("N26 BANK AG", "N26 BANK", "N26"), "N26 BANK"),
)
_NEOBANK_SHARE = 0.05  # of customers (more of the digital ones), a monthly top-up each
_NEOBANK_BY_CARD = 0.5  # of top-ups, made by card from the neobank's app


def _neobank_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    """A monthly top-up of the customer's own neobank account (Revolut, N26): by card from
    the app (``CB REVOLUT**1234*``) or by SEPA transfer to the bank's name (``VIR SEPA EMIS
    VERS REVOLUT BANK UAB``). Money between own accounts, whatever the payment says."""
    cust = np.flatnonzero(rng.random(pop.size) < _NEOBANK_SHARE * 2 * pop.digital
                          ).astype(np.int64)
    bank = rng.choice(len(_NEOBANKS), cust.size, p=[share for _, share, _, _ in _NEOBANKS])
    by_card = rng.random(cust.size) < _NEOBANK_BY_CARD
    amount = -np.round(np.clip(pop.income[cust] * rng.uniform(0.03, 0.12, cust.size), 20, 800),
                       -1)
    dom = rng.integers(1, 29, cust.size)
    digits = rng.integers(1000, 10000, cust.size)
    out: list[_Streams] = []
    for k, (merchant_id, _, spellings, card) in enumerate(_NEOBANKS):
        for card_paid in (True, False):
            mine = (bank == k) & (by_card == card_paid)
            if not mine.any():
                continue
            n = int(mine.sum())
            descriptor = (np.asarray([card.format(n=d) for d in digits[mine].tolist()],
                                     dtype=object) if card_paid
                          else np.asarray(spellings, dtype=object)[rng.integers(
                              0, len(spellings), n)])
            kind = "card_online" if card_paid else "transfer_out"
            out.append(_Streams(
                cust=cust[mine], slot=np.zeros(n, np.int64), kind="own_transfer",
                label_kind=kind, transaction_type=kind, subcategory="own_account_transfer",
                amount=amount[mine], dom=dom[mine], cadence="monthly", descriptor=descriptor,
                merchant_id=np.full(n, merchant_id, dtype=object),
                mcc=np.full(n, "6012" if card_paid else None, dtype=object),
                code="PMNT-CCRD-POSD" if card_paid else "PMNT-ICDT-ESCT"))
    return out


#: How parents word the monthly transfer to their childminder.
_CHILDMINDER_MOTIFS = ("GARDE ENFANT {MONTH}", "ASSMAT {MONTH}", "NOUNOU {MONTH}",
                       "SALAIRE ASSISTANTE MATERNELLE", "GARDE {MONTH} {YEAR}")


#: Billers no merchant list names, taking a monthly direct debit: (subcategory, trade words
#: their names may carry, median amount). Half of them say their trade (``HORIZON
#: ASSURANCES``), the others a bare name (``DUBOIS SAS``, ``CPMS``): an unknown creditor
#: can be any of these, and the model must not read every one as a gym.
_UNLISTED_BILLERS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("other_insurance", ("ASSURANCES", "ASSURANCE", "COURTAGE", "PROTECTION JURIDIQUE"), 12.0),
    ("health_insurance", ("MUTUELLE", "MUTUELLE SANTE", "PREVOYANCE SANTE"), 45.0),
    # SERVICES and ABONNEMENT name any trade: several rows print them
    ("home_services", ("SERVICES", "ENTRETIEN", "MAINTENANCE", "TELESURVEILLANCE"), 30.0),
    ("sport_clubs_gyms", ("CLUB", "SPORT", "FITNESS", "ASSOCIATION SPORTIVE", "ABONNEMENT"),
     30.0),
    ("school_fees", ("ECOLE", "INSTITUT", "COURS", "FORMATION", "LYCEE PRIVE", "COLLEGE",
                     "BUSINESS SCHOOL", "ECOLE DE COMMERCE", "ENSEIGNEMENT"), 90.0),
    # A private school's canteen (``OGEC ECOLE SAINT JOSEPH CANTINE``): the canteen word
    # says what the school's direct debit pays.
    ("school_canteen", ("CANTINE", "ECOLE CANTINE", "CANTINE SCOLAIRE",
                        "RESTAURATION SCOLAIRE", "RESTAURANT SCOLAIRE"), 55.0),
    ("childcare", ("CRECHE", "MICRO CRECHE", "GARDERIE", "PETITE ENFANCE"), 250.0),
    ("children_activities", ("CONSERVATOIRE", "ECOLE DE MUSIQUE", "PERISCOLAIRE",
                             "CENTRE AERE"), 40.0),
    ("charity_donations", ("ASSOCIATION", "FONDATION", "SOLIDARITE", "PAROISSE", "DIOCESE",
                           "DENIER DU CULTE"), 15.0),
    ("streaming_digital", ("ABONNEMENT", "DIGITAL", "APP", "PREMIUM"), 9.0),
    ("internet_tv", ("TELECOM", "FIBRE", "NET", "ABONNEMENT"), 30.0),
    ("home_help", ("AIDE A DOMICILE", "SERVICES A LA PERSONNE", "MENAGE"), 150.0),
    ("professional_services", ("CONSEIL", "CABINET", "EXPERTISE", "SERVICES"), 40.0),
    # A small letting agency or a private landlord's manager taking the rent, and a car
    # leased from a lessor no list names: unknown names of large monthly debits are not
    # all childcare (the one large line above).
    ("rent", ("IMMOBILIER", "GESTION LOCATIVE", "IMMO", "RESIDENCE", "LOCATION"), 620.0),
    ("vehicle_purchase_rental", ("LEASING", "LEASE", "AUTOMOTIVE", "LOCATION AUTO",
                                 "LOCATION VEHICULE"), 320.0),
    ("building_charges", ("SYNDIC", "SYNDIC DE COPROPRIETE", "COPROPRIETE",
                          "GESTION IMMOBILIERE"), 120.0),
    ("consumer_loan", ("FINANCE", "CREDIT", "FINANCEMENT"), 120.0),
    # A local tax office the directory does not name (``SIP PARIS 15 IMPOT``).
    ("income_tax", ("IMPOT", "IMPOTS", "SERVICE DES IMPOTS", "CENTRE DES FINANCES PUBLIQUES",
                    "TRESORERIE"), 120.0),
    ("life_provident_insurance", ("PREVOYANCE", "OBSEQUES", "ASSURANCE OBSEQUES",
                                  "DEPENDANCE"), 20.0),
)
_UNLISTED_SHARE = 0.3  # of customers, one such biller each
_LEGAL_SUFFIXES = ("SAS", "SARL", "SA", "EURL", "SASU")
_NO_SUFFIX = ("rent", "vehicle_purchase_rental")


def _unlisted_biller_streams(rng: np.random.Generator, pop: Population) -> list[_Streams]:
    """A monthly direct debit from a biller of no merchant list for some customers: a
    last name or an acronym, with its trade word half the time and a legal suffix a third
    of the time, but for agencies and lessors (shop-name nouns are left out: ``JARDIN`` says
    garden)."""
    cust = np.flatnonzero(rng.random(pop.size) < _UNLISTED_SHARE).astype(np.int64)
    which = rng.integers(0, len(_UNLISTED_BILLERS), cust.size)
    people, letters = People(), np.asarray(list("ABCDEFGHIJKLMNOPRSTV"))
    out: list[_Streams] = []
    for k, (sub, words, median) in enumerate(_UNLISTED_BILLERS):
        mine = cust[which == k]
        n = mine.size
        if n == 0:
            continue
        last = people.draw(rng, n)[2].astype(object)
        acronym = np.asarray(["".join(rng.choice(letters, int(rng.integers(3, 5))))
                              for _ in range(n)], dtype=object)
        base = np.where(rng.random(n) < 0.55, last, acronym)
        trade = np.asarray(words, dtype=object)[rng.integers(0, len(words), n)]
        named = np.where(rng.random(n) < 0.5, base + " " + trade, base)
        suffix = np.asarray(_LEGAL_SUFFIXES, dtype=object)[
            rng.integers(0, len(_LEGAL_SUFFIXES), n)]
        # a letting agency or a lessor prints no legal form: on the largest debits of this
        # list, a legal form alone had come to say rent (VIR SEPA SARL DUPONT at 1,200 EUR)
        suffixed = (rng.random(n) < 0.33) & (sub not in _NO_SUFFIX)
        descriptor = np.where(suffixed, named + " " + suffix, named)
        out.append(_named_streams(
            mine, kind="unlisted_biller", label_kind="direct_debit",
            transaction_type="direct_debit", subcategory=sub,
            amount=-np.round(rng.lognormal(np.log(median), 0.5, n), 2),
            dom=rng.integers(1, 29, n), descriptor=descriptor, code="PMNT-RDDT-ESDD",
            churn=0.1))
    return out


_BUILDERS: tuple[Callable[[np.random.Generator, Population], list[_Streams]], ...] = (
    _income_streams, _housing_streams, _bill_streams, _subscription_streams, _bank_fee_streams,
    _transfer_streams, _unlisted_biller_streams)


def recurring_streams(pop: Population, calendar: Calendar, rng: np.random.Generator,
                      people: People, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All recurring payments of the block as events, and the streams table (ground truth)."""
    batches = [b for build in _BUILDERS for b in build(rng, pop) if b.cust.size]
    frames = [_stream_frame(b, pop, rng, people) for b in batches]
    streams = pl.concat(frames, how="vertical_relaxed")
    streams = streams.with_columns(
        stream_id=pl.format("rs_{}_{}", pl.lit(seed), pl.col("cust_global"))
        + pl.lit("_") + pl.int_range(pl.len()).over("cust_global").cast(pl.String))
    events = expand_streams(streams, calendar, rng)
    return events, streams


#: The words a bank prints for what its loan is for (``ECHEANCE PRET IMMO 12345678``), on
#: about half its instalment lines; the others show the loan number alone.
_LOAN_WORDS: dict[str, tuple[str, ...]] = {
    "mortgage": ("IMMO", "IMMOBILIER", "HABITAT", "IMMO PTZ"),
    "consumer_loan": ("PERSO", "PERSONNEL", "CONSO", "TRAVAUX"),
    "car_loan": ("AUTO", "VEHICULE", "AUTO MOTO"),
    "student_loan": ("ETUDIANT", "ETUDES", "ETUDIANTS"),
}
_LOAN_WORD_SHARE = 0.5


def _loan_numbers(b: _Streams, rng: np.random.Generator) -> npt.NDArray[np.str_]:
    """Each stream's loan number, led by the loan's kind word on ``_LOAN_WORD_SHARE`` of the
    bank's own instalment lines."""
    k = b.cust.size
    numbers = rng.integers(10**7, 10**9, k).astype(str)
    words = _LOAN_WORDS.get(b.subcategory) if isinstance(b.subcategory, str) else None
    if b.transaction_type != "loan_repayment" or words is None:
        return numbers
    word = np.asarray(words)[rng.integers(0, len(words), k)]
    named = rng.random(k) < _LOAN_WORD_SHARE
    return np.where(named, np.char.add(np.char.add(word, " "), numbers), numbers)


def _stream_frame(b: _Streams, pop: Population, rng: np.random.Generator,
                  people: People) -> pl.DataFrame:
    k = b.cust.size
    title = first = last = None
    if b.person:
        title, first, last = people.draw(rng, k)
    iban_last4 = np.char.zfill(rng.integers(0, 10000, k).astype(str), 4)
    is_transfer = b.transaction_type in ("transfer_in", "transfer_out")
    counterparty_iban = masked(np.full(k, is_transfer), np.char.add("FR76****", iban_last4))
    return pl.DataFrame({
        "cust": b.cust,
        "cust_global": pop.customer_idx[b.cust],
        "account_idx": pop.customer_idx[b.cust] * 4 + ACCOUNT_SLOTS["current"],
        "savings_idx": np.where(pop.has_savings[b.cust],
                                pop.customer_idx[b.cust] * 4 + ACCOUNT_SLOTS["savings"], -1),
        "kind": b.kind, "label_kind": b.label_kind, "transaction_type": b.transaction_type,
        "subcategory": b.subcategory, "amount": b.amount.astype(np.float64),
        "dom": b.dom.astype(np.int64), "cadence": b.cadence, "sigma": b.sigma,
        "descriptor": strings(b.descriptor, k),
        "merchant_id": strings(b.merchant_id, k),
        "mcc": strings(b.mcc, k),
        "creditor_id": strings(b.creditor_id, k),
        "person_title": strings(title, k),
        "person_first": strings(first, k),
        "person_last": strings(last, k),
        "motif": b.motif, "is_income": b.is_income, "shift": b.shift,
        "churn": b.churn, "uptake": b.uptake, "code": b.code,
        "mandate_id": np.char.add("++R", rng.integers(10**6, 10**7, k).astype(str)),
        "loan_number": _loan_numbers(b, rng),
        "counterparty_iban": counterparty_iban,
        "card_last4": pop.card_last4[b.cust], "card_bin": pop.card_bin[b.cust],
        "phase": rng.integers(0, 12, k),
        "weekday": rng.integers(0, 5, k),
    }, strict=False)
