"""Customers with personas, and their accounts.

A persona (age, occupation, income, household, housing, town, digital affinity) drives
everything a customer does: which recurring payments they have, how much and where they
spend, whether they use cash or cheques, travel abroad or pay with their phone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._dialects import AGGREGATOR_DIALECT_ID, BANK_DIALECT_IDS, dialect_weights
from ledgerlens.datasets._identifiers import customer_refs, french_ibans
from ledgerlens.datasets._vocab import load_places
from ledgerlens.privacy import DEV_KEY, Pseudonymizer

__all__ = ["ACCOUNT_SLOTS", "Population", "account_table", "draw_population"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

#: Account slots per customer: global account index = customer index * 4 + slot.
ACCOUNT_SLOTS = {"current": 0, "savings": 1, "card": 2, "second_bank": 3}

#: The synthetic bank pseudonymizes with the public development key, so that ingesting its
#: exported statements (in development mode) gives back the very same ids.
PSEUDONYMS = Pseudonymizer(DEV_KEY)
_BANK_ORDER = np.asarray(sorted((*BANK_DIALECT_IDS, AGGREGATOR_DIALECT_ID)))

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
_AGE_BAND_P = np.array([0.10, 0.15, 0.16, 0.17, 0.16, 0.14, 0.12])
_AGE_BAND_LOW = np.array([18, 25, 35, 45, 55, 65, 75])
_AGE_BAND_HIGH = np.array([24, 34, 44, 54, 64, 74, 92])

INCOME_BANDS = ("low", "middle", "upper", "high")
_INCOME_BAND_EDGES = np.array([1400.0, 2500.0, 4200.0])
_SPEND_BY_INCOME = np.array([0.65, 1.0, 1.45, 2.2])


@dataclass(frozen=True)
class Population:
    """The customers of one generation block: one entry per customer in every array."""

    customer_idx: IntArray
    customer_ref: StrArray  # the bank's customer number (personal data)
    customer_id: list[str]  # its pseudonym
    age: IntArray
    age_band: StrArray
    status: StrArray  # student, employed, unemployed, retired
    income: FloatArray  # monthly net income (EUR)
    income_band: StrArray
    household: StrArray  # single, couple, couple_children, single_parent
    n_children: IntArray
    housing: StrArray  # tenant_private, tenant_social, owner_mortgage, owner, with_parents
    place_idx: IntArray  # row in the places reference table
    city: StrArray  # town as merchant descriptors write it
    region: StrArray
    digital: FloatArray  # 0..1: online shopping, mobile payments, P2P apps
    spend_mult: FloatArray
    has_car: BoolArray
    travel: FloatArray  # expected trips abroad per year
    cash_affinity: FloatArray
    deferred_card: BoolArray
    has_savings: BoolArray
    has_second_bank: BoolArray
    dialect: StrArray
    dialect2: StrArray
    card_last4: StrArray
    card_bin: StrArray
    customer_since: IntArray  # day number (negative = before the window)

    @property
    def size(self) -> int:
        return int(self.customer_idx.size)


def _choice(rng: np.random.Generator, options: tuple[str, ...], p: FloatArray, n: int) -> StrArray:
    return np.asarray(options)[rng.choice(len(options), size=n, p=p / p.sum())]


def draw_population(
    rng: np.random.Generator, first_idx: int, n: int, calendar: Calendar, tenant_id: str
) -> Population:
    """Draw ``n`` customers numbered from ``first_idx``; vectorized over customers."""
    idx = np.arange(first_idx, first_idx + n, dtype=np.int64)
    refs = customer_refs(idx)
    band = rng.choice(len(AGE_BANDS), size=n, p=_AGE_BAND_P)
    age = rng.integers(_AGE_BAND_LOW[band], _AGE_BAND_HIGH[band] + 1)
    u = rng.random(n)
    status = np.where(
        age >= 65, np.where(u < 0.96, "retired", "employed"),
        np.where(age >= 60, np.where(u < 0.45, "retired", np.where(u < 0.52, "unemployed",
                                                                     "employed")),
                 np.where(age <= 23, np.where(u < 0.6, "student", np.where(u < 0.72, "unemployed",
                                                                           "employed")),
                          np.where(u < 0.075, "unemployed", "employed"))))
    base = np.select(
        [status == "student", status == "unemployed", status == "retired"],
        [450.0, 1100.0, 1550.0], default=2000.0 + 28.0 * np.clip(age - 25, 0, 30))
    income = np.round(base * rng.lognormal(0.0, 0.42, n), 2)
    income_band = np.asarray(INCOME_BANDS)[np.searchsorted(_INCOME_BAND_EDGES, income)]
    spend_mult = _SPEND_BY_INCOME[np.searchsorted(_INCOME_BAND_EDGES, income)] * rng.lognormal(
        0.0, 0.25, n)

    u = rng.random(n)
    household = np.where(
        age < 25, np.where(u < 0.85, "single", "couple"),
        np.where(age < 60,
                 np.where(u < 0.30, "single", np.where(u < 0.50, "couple",
                                                        np.where(u < 0.90, "couple_children",
                                                                 "single_parent"))),
                 np.where(u < 0.40, "single", "couple")))
    with_kids = (household == "couple_children") | (household == "single_parent")
    n_children = np.where(with_kids, rng.choice([1, 2, 3, 4], size=n, p=[0.4, 0.4, 0.15, 0.05]), 0)

    u = rng.random(n)
    owner_p = np.clip((age - 25) / 50.0, 0.05, 0.75)
    housing = np.where(
        (age < 26) & (u < 0.45), "with_parents",
        np.where(u < owner_p * 0.6, "owner_mortgage",
                 np.where(u < owner_p, "owner", np.where(u < owner_p + 0.17, "tenant_social",
                                                         "tenant_private"))))
    housing = np.where((housing == "owner_mortgage") & (age > 68), "owner", housing)

    places = load_places()
    weights = places["population"].cast(pl.Float64).to_numpy()
    place_idx = rng.choice(places.height, size=n, p=weights / weights.sum())
    forms = places["label_forms"].str.split("|").list.first().to_numpy()
    city = np.asarray(forms, dtype=str)[place_idx]
    region = np.asarray(places["region"].to_numpy(), dtype=str)[place_idx]

    digital = np.clip(rng.beta(4, 2, n) * (1.25 - np.clip(age - 20, 0, 60) / 80.0), 0.02, 1.0)
    in_paris = np.char.startswith(city, "PARIS ")
    has_car = rng.random(n) < np.where(in_paris, 0.35, 0.82) * np.where(age > 82, 0.4, 1.0)
    travel = rng.gamma(1.2, 0.6, n) * np.where(income_band == "low", 0.4, 1.0) * np.where(
        income_band == "high", 2.0, 1.0)
    cash_affinity = np.clip(rng.lognormal(0.0, 0.6, n) * (0.5 + age / 60.0), 0.05, 6.0)
    deferred_card = rng.random(n) < np.where(np.isin(income_band, ["upper", "high"]), 0.3, 0.04)
    has_savings = rng.random(n) < np.where(income_band == "low", 0.35, 0.7)
    has_second_bank = rng.random(n) < 0.12

    bank_ids = np.asarray(BANK_DIALECT_IDS)
    w = dialect_weights()
    dialect = bank_ids[rng.choice(bank_ids.size, size=n, p=w)]
    via_aggregator = rng.random(n) < 0.08
    dialect = np.where(via_aggregator, AGGREGATOR_DIALECT_ID, dialect)
    # A second bank is always another bank than the first.
    shift = rng.integers(1, bank_ids.size, size=n)
    first_pos = rng.choice(bank_ids.size, size=n, p=w)
    dialect2 = np.where(has_second_bank, bank_ids[(first_pos + shift) % bank_ids.size], "")
    dialect2 = np.where(has_second_bank & (dialect2 == dialect), bank_ids[first_pos], dialect2)

    card_last4 = np.char.zfill(rng.integers(0, 10000, n).astype(str), 4)
    bins = np.array(["497401", "497010", "497671", "513283", "535063", "497803", "453215"])
    card_bin = bins[rng.integers(0, bins.size, n)]
    since = -rng.integers(30, 365 * 25, n) + np.where(rng.random(n) < 0.05,
                                                      rng.integers(0, calendar.n_days // 2, n)
                                                      + 365 * 25, 0)
    since = np.minimum(since, calendar.n_days // 2)

    return Population(
        customer_idx=idx, customer_ref=refs,
        customer_id=PSEUDONYMS.customer_ids(pl.Series(refs), tenant_id).to_list(), age=age,
        age_band=np.asarray(AGE_BANDS)[band], status=status, income=income,
        income_band=income_band, household=household, n_children=n_children, housing=housing,
        place_idx=place_idx, city=city, region=region, digital=digital, spend_mult=spend_mult,
        has_car=has_car, travel=travel, cash_affinity=cash_affinity, deferred_card=deferred_card,
        has_savings=has_savings, has_second_bank=has_second_bank, dialect=dialect,
        dialect2=dialect2, card_last4=card_last4, card_bin=card_bin,
        customer_since=since.astype(np.int64),
    )


def account_table(pop: Population, calendar: Calendar, tenant_id: str) -> pl.DataFrame:
    """One row per account of the block, with its global ``account_idx``, ``dialect``, and
    the bank's identifiers (``iban``, ``customer_ref``) behind the pseudonymous ids."""
    slots = [
        ("current", np.ones(pop.size, dtype=bool), pop.dialect),
        ("savings", pop.has_savings, pop.dialect),
        ("card", pop.deferred_card, pop.dialect),
        ("second_bank", pop.has_second_bank, pop.dialect2),
    ]
    frames = []
    for slot, mask, dialect in slots:
        cust = np.flatnonzero(mask)
        acc_idx = pop.customer_idx[cust] * 4 + ACCOUNT_SLOTS[slot]
        opening = np.maximum(pop.customer_since[cust], -365 * 30)
        bank_code = 10_096 + 1_013 * np.searchsorted(_BANK_ORDER, dialect[cust])
        iban = french_ibans(bank_code.astype(np.int64), 10_000 + pop.place_idx[cust],
                            1_000_000_000 + acc_idx)
        frames.append(pl.DataFrame({
            "account_idx": acc_idx,
            "customer_idx": pop.customer_idx[cust],
            "tenant_id": tenant_id,
            "account_id": PSEUDONYMS.account_ids(pl.Series(iban), tenant_id),
            "iban": iban,
            "customer_ref": pop.customer_ref[cust],
            "customer_id": [pop.customer_id[i] for i in cust.tolist()],
            "bank_id": np.where(dialect[cust] == AGGREGATOR_DIALECT_ID, "aggregated",
                                dialect[cust]),
            "account_type": {"second_bank": "current"}.get(slot, slot),
            "currency": "EUR",
            "opening_date": np.datetime64(calendar.start, "D") + opening,
            "dialect": dialect[cust],
        }))
    return pl.concat(frames).sort("account_idx")
