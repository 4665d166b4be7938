"""Card spending: who buys where, how often, how much, when, and how it is paid.

The model, per customer and subcategory: the customer is active in the subcategory or
not (persona-driven), has one to a few favourite merchants (loyalty) with a time window
each (adoption and lapse, so that churn and propensity carry real signal), and visits
them at a persona-scaled rate shaped by the shop's opening days, the weekday and the
season. Everything is vectorized over relationships and visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._event_frame import event_frame, masked, strings
from ledgerlens.datasets._foreign import (
    CHAIN_SHARE,
    COUNTRIES,
    INTERNATIONAL_CHAINS,
    ONLINE_SEATS,
)
from ledgerlens.datasets._personas import ACCOUNT_SLOTS, Population
from ledgerlens.datasets._towns import shown_towns
from ledgerlens.datasets._universe import SPEND_PROFILES, MerchantUniverse
from ledgerlens.datasets._vocab import STATION_WORDS, load_places

__all__ = ["SpendingModel", "card_spending"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_REFUNDABLE = ("clothing_shoes", "electronics", "marketplace", "general_merchandise",
               "sport_equipment", "department_store", "furniture_home_equipment", "second_hand")
# The trades of a trip's card payments; trains and department stores only where the country
# has a chain of them (RENFE, EL CORTE INGLES): elsewhere the draw is dropped.
_ABROAD_SUBCATS = ("restaurant", "cafe_bar", "supermarket", "hotels", "museums_culture",
                   "clothing_shoes", "pharmacy", "taxi_ride_hailing", "bakery", "fast_food",
                   "fuel", "parking", "butcher_fishmonger", "hairdresser", "books_media",
                   "gifts_flowers", "trains_coaches", "department_store")
_ABROAD_MIX = np.array([0.25, 0.19, 0.13, 0.07, 0.07, 0.05, 0.03, 0.03, 0.05, 0.03,
                        0.04, 0.02, 0.01, 0.005, 0.01, 0.015, 0.02, 0.01])
# Share of a trade's payments abroad at chains where ``CHAIN_SHARE`` names none.
_CHAIN_SHARE_DEFAULT = 0.25


@dataclass(frozen=True)
class SpendingModel:
    """Lookup structures over the merchant universe, built once per bank."""

    calendar: Calendar
    merchants: pl.DataFrame
    sub_names: tuple[str, ...]
    brand_pos: IntArray  # merchant_idx of brands, grouped by subcategory
    brand_key: FloatArray  # subcategory rank + normalised cumulative weight
    brand_count: IntArray  # brands per subcategory rank
    local_keys: pl.DataFrame  # (city, subcategory) -> start, count in local_pos
    local_pos: IntArray
    local_any: pl.DataFrame  # subcategory -> start, count in local_pos (national fallback)
    profile_of: IntArray  # per merchant_idx: activity profile id
    activity_cum: FloatArray  # profiles x (n_days + 1): cumulative normalised activity
    abroad: pl.DataFrame  # foreign independents with country
    chains: pl.DataFrame  # chains abroad: merchant_idx, country, subcategory
    town_salt: int  # the bank's seed: which made-up towns its shops show (``_towns.py``)

    @classmethod
    def build(cls, universe: MerchantUniverse, calendar: Calendar,
              town_salt: int = 0) -> SpendingModel:
        m = universe.merchants
        subs = tuple(SPEND_PROFILES["subcategory"].to_list())
        sub_rank = {s: i for i, s in enumerate(subs)}
        home = m.filter(pl.col("country").is_null() | (pl.col("channel") != "abroad"))
        brands = home.filter(~pl.col("is_local") & pl.col("card_pool")
                             & pl.col("subcategory").is_in(subs)).with_columns(
            rank=pl.col("subcategory").replace_strict(sub_rank, return_dtype=pl.Int64)
        ).sort("rank", "merchant_idx")
        brands = brands.with_columns(
            key=pl.col("rank") + pl.col("weight").cum_sum().over("rank")
            / pl.col("weight").sum().over("rank"))
        count = np.bincount(brands["rank"].to_numpy(), minlength=len(subs)).astype(np.int64)
        locals_ = home.filter(pl.col("is_local")).sort("city", "subcategory", "merchant_idx")
        locals_ = locals_.with_row_index("pos")
        keys = locals_.group_by("city", "subcategory").agg(
            start=pl.col("pos").min(), count=pl.len())
        anywhere = locals_.sort("subcategory", "pos").with_row_index("pos2")
        any_keys = anywhere.group_by("subcategory").agg(start=pl.col("pos2").min(),
                                                        count=pl.len())
        # The national fallback indexes a second ordering; append it after the first.
        local_pos = np.concatenate([locals_["merchant_idx"].to_numpy(),
                                    anywhere["merchant_idx"].to_numpy()]).astype(np.int64)
        any_keys = any_keys.with_columns(start=pl.col("start") + locals_.height)

        profiles = m.select("seasonality", "opening_days").unique(maintain_order=True)
        profiles = profiles.with_row_index("profile")
        profile_of = m.join(profiles, on=["seasonality", "opening_days"], how="left").sort(
            "merchant_idx")["profile"].to_numpy().astype(np.int64)
        cum = np.zeros((profiles.height, calendar.n_days + 1))
        for i, (season, opening) in enumerate(profiles.select("seasonality", "opening_days")
                                              .iter_rows()):
            act = calendar.activity(season, opening)
            cum[i, 1:] = np.cumsum(act / max(act.mean(), 1e-9))
        return cls(
            calendar=calendar, merchants=m, sub_names=subs,
            brand_pos=brands["merchant_idx"].to_numpy().astype(np.int64),
            brand_key=brands["key"].to_numpy().astype(np.float64), brand_count=count,
            local_keys=keys, local_pos=local_pos, local_any=any_keys,
            profile_of=profile_of, activity_cum=cum,
            abroad=m.filter((pl.col("channel") == "abroad") & (pl.col("source") == "local")),
            chains=_chains_abroad(m), town_salt=town_salt,
        )


def _chains_abroad(m: pl.DataFrame) -> pl.DataFrame:
    """Chains of each trip country (``merchant_idx``, ``country``, ``subcategory``): the
    international brands of ``INTERNATIONAL_CHAINS`` and the country's own chains."""
    everywhere = list(COUNTRIES)
    spread = {name: list(codes or everywhere) for name, codes in INTERNATIONAL_CHAINS.items()}
    brands = m.filter((pl.col("source") == "nsi") & pl.col("name").is_in(list(spread))
                      & (pl.col("channel") != "abroad")).with_columns(
        country=pl.col("name").replace_strict(spread, return_dtype=pl.List(pl.String)),
    ).explode("country")
    own = m.filter((pl.col("channel") == "abroad") & (pl.col("source") == "curated"))
    cols = ["merchant_idx", "country", "subcategory"]
    return pl.concat([brands.select(cols), own.select(cols)]).filter(
        pl.col("subcategory").is_in(list(_ABROAD_SUBCATS)))


def _driver_factor(pop: Population, driver: str) -> FloatArray:
    young = np.where(pop.age < 30, 1.5, np.where(pop.age > 60, 0.35, 1.0))
    factors = {
        "none": np.ones(pop.size),
        "digital": 0.25 + pop.digital,
        "car": np.where(pop.has_car, 1.0, 0.04),
        "no_car": np.where(pop.has_car, 0.5, 2.0),
        "children": np.where(pop.n_children > 0, 1.0, 0.08),
        "young": young,
        "employed": np.where(pop.status == "employed", 1.0, 0.0),
    }
    return np.asarray(factors[driver], dtype=np.float64)


def _draw_days(
    model: SpendingModel, rng: np.random.Generator, profile: IntArray, start: IntArray,
    end: IntArray,
) -> IntArray:
    """One day per row in [start, end), weighted by the row's activity profile."""
    cum = model.activity_cum
    n_days = model.calendar.n_days
    lo = cum[profile, start]
    hi = cum[profile, end]
    target = lo + rng.random(profile.size) * (hi - lo)
    width = float(cum[:, -1].max()) + 1.0
    flat = (cum[:, 1:] + np.arange(cum.shape[0])[:, None] * width).ravel()
    pos = np.searchsorted(flat, target + profile * width, side="right")
    return np.asarray(np.clip(pos - profile * n_days, start, end - 1), dtype=np.int64)


def card_spending(
    model: SpendingModel, pop: Population, rng: np.random.Generator
) -> pl.DataFrame:
    """Every card payment, refund and reversal of the block's customers, as events."""
    home = _home_spending(model, pop, rng)
    abroad = _abroad_spending(model, pop, rng)
    return pl.concat([home, abroad])


def _pick_merchants(
    model: SpendingModel, rng: np.random.Generator, city: npt.NDArray[np.str_], sub: IntArray
) -> IntArray:
    n = sub.size
    profiles = SPEND_PROFILES
    local_share = profiles["local_share"].to_numpy()[sub]
    sub_name = np.asarray(model.sub_names)[sub]
    frame = pl.DataFrame({"city": city, "subcategory": sub_name, "i": np.arange(n)})
    near = frame.join(model.local_keys, on=["city", "subcategory"], how="left").sort("i")
    anywhere = frame.join(model.local_any, on="subcategory", how="left").sort("i")
    near_start = near["start"].fill_null(0).to_numpy().astype(np.int64)
    near_count = near["count"].fill_null(0).to_numpy().astype(np.int64)
    any_start = anywhere["start"].fill_null(0).to_numpy().astype(np.int64)
    any_count = anywhere["count"].fill_null(0).to_numpy().astype(np.int64)
    has_brand = model.brand_count[sub] > 0
    want_local = (rng.random(n) < local_share) | ~has_brand
    # Local wanted: a shop in town, else a shop anywhere; brand wanted and none: local.
    use_near = want_local & (near_count > 0)
    use_any = want_local & ~use_near & (any_count > 0)
    u = rng.random(n)
    local_pick = np.where(use_near, near_start + (u * near_count).astype(np.int64),
                          any_start + (u * np.maximum(any_count, 1)).astype(np.int64))
    brand_idx = np.searchsorted(model.brand_key, sub + rng.random(n), side="right")
    brand_idx = np.clip(brand_idx, 0, max(model.brand_pos.size - 1, 0))
    brand_pick = model.brand_pos[brand_idx] if model.brand_pos.size else np.zeros(n, np.int64)
    local_merchant = model.local_pos[np.clip(local_pick, 0, model.local_pos.size - 1)]
    result = np.where(use_near | use_any, local_merchant, brand_pick)
    return np.where(~(use_near | use_any) & ~has_brand, -1, result).astype(np.int64)


def _home_spending(model: SpendingModel, pop: Population, rng: np.random.Generator) -> pl.DataFrame:
    cal = model.calendar
    prof = SPEND_PROFILES
    p_active = prof["p_active"].to_numpy()
    drivers = prof["driver"].to_list()
    factor = np.stack([_driver_factor(pop, d) for d in drivers], axis=1)
    active = rng.random((pop.size, len(drivers))) < np.clip(p_active[None, :] * factor, 0, 0.99)
    cust, sub = np.nonzero(active)
    cust = cust.astype(np.int64)
    sub = sub.astype(np.int64)
    household = np.where(np.isin(pop.household, ["couple_children", "single_parent"]), 1.3, 1.0)
    rate = (prof["visits_per_month"].to_numpy()[sub] * rng.lognormal(-0.125, 0.5, sub.size)
            * np.sqrt(pop.spend_mult[cust]) * household[cust])

    # Favourite merchants: one to `favourites`, each with its own time window.
    k = rng.integers(1, prof["favourites"].to_numpy()[sub] + 1)
    pair = np.repeat(np.arange(sub.size), k)
    r_cust, r_sub = cust[pair], sub[pair]
    merchant = _pick_merchants(model, rng, pop.city[r_cust], r_sub)
    keep = merchant >= 0
    pair, r_cust, r_sub, merchant = pair[keep], r_cust[keep], r_sub[keep], merchant[keep]
    share = rng.gamma(1.0, 1.0, pair.size)
    share = share / np.bincount(pair, weights=share, minlength=sub.size)[pair]
    n_days = cal.n_days
    start = np.where(rng.random(pair.size) < 0.8, 0, rng.integers(0, n_days, pair.size))
    lapse = rng.random(pair.size) < 0.22
    end = np.where(lapse, start + ((n_days - start) * rng.random(pair.size)).astype(np.int64),
                   n_days)
    end = np.maximum(end, start + 1)
    profile = model.profile_of[merchant]
    visit_factor = model.merchants["visit_factor"].to_numpy()[merchant]
    expected = rate[pair] * share * visit_factor * (model.activity_cum[profile, end]
                                     - model.activity_cum[profile, start]) / 30.44
    visits = rng.poisson(expected)

    rel = np.repeat(np.arange(pair.size), visits)
    v_cust, v_merchant = r_cust[rel], merchant[rel]
    v_day = _draw_days(model, rng, profile[rel], start[rel], end[rel])
    return _card_events(model, pop, rng, v_cust, v_merchant, v_day, abroad=False)


def _abroad_spending(model: SpendingModel, pop: Population, rng: np.random.Generator
                     ) -> pl.DataFrame:
    cal = model.calendar
    trips = rng.poisson(pop.travel * cal.n_days / 365.0)
    t_cust = np.repeat(np.arange(pop.size), trips).astype(np.int64)
    if t_cust.size == 0 or model.abroad.height == 0:
        return _card_events(model, pop, rng, t_cust, t_cust, t_cust, abroad=True)
    codes = list(COUNTRIES)
    weights = np.array([COUNTRIES[c][2] for c in codes])
    country = np.asarray(codes)[rng.choice(len(codes), size=t_cust.size, p=weights / weights.sum())]
    length = rng.integers(3, 15, t_cust.size)
    # Trips cluster in the summer and around year-end holidays.
    season = cal.activity("summer") ** 2 + 0.3
    start = rng.choice(cal.n_days, size=t_cust.size, p=season / season.sum())
    per_day = rng.uniform(1.5, 4.0, t_cust.size)
    n_tx = rng.poisson(length * per_day)
    trip = np.repeat(np.arange(t_cust.size), n_tx)
    v_day = np.minimum(start[trip] + rng.integers(0, length[trip]), cal.n_days - 1)
    v_sub = np.asarray(_ABROAD_SUBCATS)[rng.choice(len(_ABROAD_SUBCATS), size=trip.size,
                                                   p=_ABROAD_MIX / _ABROAD_MIX.sum())]
    want = pl.DataFrame({"country": country[trip], "subcategory": v_sub,
                         "i": np.arange(trip.size)})
    local, has_local = _pick(model.abroad, want, rng)
    chain, has_chain = _pick(model.chains, want, rng)
    share = pl.Series(v_sub).replace_strict(CHAIN_SHARE, default=_CHAIN_SHARE_DEFAULT,
                                            return_dtype=pl.Float64).to_numpy()
    to_chain = has_chain & ((rng.random(trip.size) < share) | ~has_local)
    ok = has_local | has_chain
    v_merchant = np.where(to_chain, chain, local)
    # A chain's shop stands in one of the trip country's towns; an independent has its own.
    flat = np.asarray([t for c in codes for t in COUNTRIES[c][3]], dtype=object)
    n_towns = np.asarray([len(COUNTRIES[c][3]) for c in codes], dtype=np.int64)
    first = np.cumsum(n_towns) - n_towns
    code_no = pl.Series(country[trip]).replace_strict(
        {c: i for i, c in enumerate(codes)}, return_dtype=pl.Int64).to_numpy()
    towns = flat[first[code_no] + rng.integers(0, 1_000, trip.size) % n_towns[code_no]]
    own_town = model.merchants["city"].to_numpy()[v_merchant]
    town = np.where(to_chain, towns, own_town)
    return _card_events(model, pop, rng, t_cust[trip][ok], v_merchant[ok], v_day[ok], abroad=True,
                        where=(country[trip][ok], town[ok]))


def _pick(pool: pl.DataFrame, want: pl.DataFrame, rng: np.random.Generator
          ) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """One merchant of ``pool`` (``merchant_idx``, ``country``, ``subcategory``) per row of
    ``want``, uniformly within its country and subcategory, and whether there was one."""
    ranked = pool.sort("country", "subcategory", "merchant_idx").with_row_index("pos")
    keys = ranked.group_by("country", "subcategory").agg(start=pl.col("pos").min(),
                                                          count=pl.len())
    found = want.join(keys, on=["country", "subcategory"], how="left").sort("i")
    pos = (found["start"].fill_null(0).to_numpy()
           + (rng.random(want.height) * found["count"].fill_null(1).to_numpy()).astype(np.int64))
    idx = ranked["merchant_idx"].to_numpy().astype(np.int64)
    merchant = idx[np.minimum(pos, idx.size - 1)] if idx.size else np.zeros(want.height,
                                                                             dtype=np.int64)
    return merchant, found["count"].is_not_null().to_numpy()


def _card_events(
    model: SpendingModel, pop: Population, rng: np.random.Generator, cust: IntArray,
    merchant: IntArray, day: IntArray, *, abroad: bool,
    where: tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]] | None = None,
) -> pl.DataFrame:
    """Turn visits into card payments (+ fx fees, refunds, reversals, duplicates).

    ``where``: the country and town of each payment abroad (a chain's shop is in the trip's
    country, whatever the brand's home)."""
    cal = model.calendar
    n = cust.size
    m = model.merchants[merchant] if n else model.merchants.clear()
    median = m["ticket_median"].to_numpy()
    sigma = m["ticket_sigma"].to_numpy()
    amount_eur = np.round(np.maximum(median * np.sqrt(pop.spend_mult[cust]) * np.exp(
        rng.normal(0.0, 1.0, n) * sigma), 0.5), 2)
    channel = m["channel"].to_numpy()
    online = channel == "online"
    contactless = (~online) & (amount_eur <= 50) & (rng.random(n) < 0.35 + 0.5 * pop.digital[cust])
    if abroad:
        ttype = np.full(n, "card_abroad")
    else:
        ttype = np.where(online, "card_online",
                         np.where(contactless, "card_contactless", "card_in_store"))
    lag = rng.choice([0, 1, 1, 2, 3], size=n)
    booking = cal.next_business_day[np.minimum(day + lag, cal.n_days - 1)]
    slot = np.where(pop.deferred_card[cust], ACCOUNT_SLOTS["card"], ACCOUNT_SLOTS["current"])
    second = pop.has_second_bank[cust] & (rng.random(n) < 0.3)
    slot = np.where(second, ACCOUNT_SLOTS["second_bank"], slot)
    account = pop.customer_idx[cust] * 4 + slot

    shop_city = np.where(rng.random(n) < 0.15, pop.city[rng.integers(0, pop.size, n)],
                         pop.city[cust])
    if where is not None:
        shop_city = np.asarray(where[1], dtype=str)
    in_france_contactless = contactless & (not abroad)
    labels = _descriptors(m, merchant, cust, pop, shop_city, online, in_france_contactless, rng,
                          model.town_salt)
    if where is not None:  # made-up towns are French ones: a shop abroad shows its own
        labels = labels.with_columns(city=pl.Series(shop_city, dtype=pl.String))

    codes: list[str] = (list(where[0]) if where is not None
                        else m["country"].to_list()) if abroad else []
    country = np.asarray(codes, dtype=object) if abroad else None
    original_amount = original_currency = fx_rate = None
    if abroad:
        currency = np.asarray([COUNTRIES[c][0] for c in codes], dtype=object)
        rate = np.asarray([COUNTRIES[c][1] for c in codes], dtype=np.float64)
        rate = np.round(rate * rng.normal(1.0, 0.01, n), 4)
        original_amount = np.where(currency != "EUR", np.round(amount_eur * rate, 2), np.nan)
        original_currency = masked(currency != "EUR", currency)
        fx_rate = np.where(currency != "EUR", rate, np.nan)
    minute = np.where(rng.random(n) < 0.5, rng.integers(7 * 60, 22 * 60, n), -1)
    events = event_frame(
        n, customer_idx=pop.customer_idx[cust], account_idx=account, day=booking, op_day=day,
        operation_minute=pl.Series(minute).replace(-1, None),
        amount=-amount_eur,
        original_amount=pl.Series(original_amount).fill_nan(None) if abroad else None,
        original_currency=original_currency,
        fx_rate=pl.Series(fx_rate).fill_nan(None) if abroad else None,
        transaction_type=ttype, label_kind=ttype,
        descriptor=labels["descriptor"], city=labels["city"],
        country=strings(country) if abroad else None,
        card_last4=pop.card_last4[cust], card_bin=pop.card_bin[cust],
        merchant_id=m["merchant_id"], subcategory=m["subcategory"],
        intermediary=labels["intermediary"],
        is_income=False, mcc=m["mcc"], bank_transaction_code="PMNT-CCRD-POSD",
    )
    extras = [events]
    if abroad and n:
        extras.append(_fx_fees(events))
    extras.append(_refunds(events, rng, cal))
    extras.append(_reversals_and_duplicates(events, rng, cal))
    return pl.concat(extras)


#: Dialects of digital banks, which show the phone wallet in the label.
_WALLET_DIALECTS = ("neobank", "online_bank", "mobile_40", "aggregator")
_GOOGLE_SUBCATS = ("streaming_digital", "video_games")
#: Shop words some acquirers put before a chain's name (``SUPERMARCHE CASINO``,
#: ``PEAGE APRR``), by subcategory; fixed per shop, for one in ten.
_LEAD_WORDS: dict[str, tuple[str, ...]] = {
    "supermarket": ("SUPERMARCHE", "DRIVE", "MAGASIN", "HYPERMARCHE"),
    "convenience_store": ("SUPERETTE", "MAGASIN"),
    "restaurant": ("RESTAURANT", "RESTO"), "fast_food": ("RESTAURANT", "RESTO"),
    "cafe_bar": ("CAFE", "BAR"), "bakery": ("BOULANGERIE",), "hotels": ("HOTEL",),
    "cinema": ("CINEMA",), "pharmacy": ("PHARMACIE",), "optician": ("OPTIQUE", "OPTICIEN"),
    "hairdresser": ("SALON", "COIFFURE"), "beauty_salon": ("INSTITUT",),
    "clothing_shoes": ("BOUTIQUE", "MAGASIN"), "sport_equipment": ("MAGASIN",),
    "books_media": ("LIBRAIRIE",), "vehicle_maintenance": ("GARAGE", "CENTRE AUTO"),
    "parking": ("PARKING",), "diy_home_improvement": ("MAGASIN",),
    "furniture_home_equipment": ("MAGASIN",), "electronics": ("MAGASIN", "BOUTIQUE"),
    "tolls": ("PEAGE", "AUTOROUTE"), "sport_clubs_gyms": ("SALLE", "CLUB"),
    "cosmetics_perfume": ("PARFUMERIE", "BOUTIQUE"), "toys": ("MAGASIN",),
    "pets": ("ANIMALERIE",), "garden": ("JARDINERIE",),
}
_LEAD_SHARE = 10  # per cent of a chain's shops
_SEAT_SHARE = 35  # per cent of the online sellers seated abroad that print their town
#: A chain name's opening initial and its dot (``E.`` of ``E.LECLERC``) before a word of 3+
#: letters, after the shop words put before the name: groups 1 and 2 are kept.
_INITIAL = r"^((?:[A-Z]+ )*)[A-Z]\. ?([A-Z]{3})"


def _descriptors(
    m: pl.DataFrame, merchant: IntArray, cust: IntArray, pop: Population,
    shop_city: npt.NDArray[np.str_], online: npt.NDArray[np.bool_],
    contactless: npt.NDArray[np.bool_], rng: np.random.Generator, town_salt: int,
) -> pl.DataFrame:
    """The descriptor, intermediary and city each payment shows.

    Chains print a store number for some brands; some online purchases go through PayPal,
    Android app purchases through Google; digital banks show the phone wallet (Apple Pay,
    Google Pay) of contactless payments made with it. Some online sellers seated abroad
    print their town after their name (``ONLINE_SEATS``): still an online payment.
    """
    n = merchant.size
    # A customer's phone and wallet habit are fixed traits, derived from their number.
    knuth = (pop.customer_idx[cust] * 2_654_435_761) % 1_000
    android = knuth < 550
    wallet_user = (knuth % 100) < (60 * pop.digital[cust])
    shows_wallet = np.isin(pop.dialect[cust], _WALLET_DIALECTS)
    store_brand = (merchant * 2_654_435_761) % 100 < 40
    city_code = _city_codes(shop_city)
    # A chain's fuel station often has its own acquirer name: STATION, CARBU... (fixed per
    # station, a merchant in a town, for half of them).
    station_pick = (merchant * 7_919 + city_code * 104_723) % 10
    station_word = np.where(station_pick < len(STATION_WORDS),
                            np.asarray(STATION_WORDS)[station_pick % len(STATION_WORDS)], "")
    frame = pl.DataFrame({
        "descriptor": m["descriptor"], "intermediary": m["intermediary"], "city": m["city"],
        "lead_pick": (merchant * 6_271 + city_code * 31_337) % 100,
        "subcategory": m["subcategory"], "source": m["source"],
        "store_no": (merchant * 7_919 + city_code * 104_729) % 9_000 + 1_000,
        "store_brand": store_brand, "shop_city": shop_city, "online": online,
        "station_word": station_word,
        "seat": m["country"].replace_strict(ONLINE_SEATS, default=None,
                                            return_dtype=pl.String),
        "shows_seat": (merchant * 5_303) % 100 < _SEAT_SHARE,
        "paypal": online & (rng.random(n) < 0.12),
        "google": online & android & (rng.random(n) < 0.3),
        "wallet": contactless & wallet_user & shows_wallet,
        "android": android,
    })
    no_inter = pl.col("intermediary").is_null()
    paypal = pl.col("paypal") & no_inter
    google = pl.col("google") & no_inter & pl.col("subcategory").is_in(_GOOGLE_SUBCATS)
    wallet = pl.col("wallet") & no_inter
    store = (pl.col("source") == "nsi") & pl.col("store_brand") & ~pl.col("online")
    station = ((pl.col("source") == "nsi") & (pl.col("subcategory") == "fuel")
               & (pl.col("station_word") != ""))
    wallet_name = pl.when(pl.col("android")).then(pl.lit("GOOGLE PAY ")).otherwise(
        pl.lit("APPLE PAY "))
    descriptor = (
        pl.when(paypal).then(pl.lit("PAYPAL *") + pl.col("descriptor"))
        .when(google).then(pl.lit("GOOGLE *") + pl.col("descriptor"))
        .when(station).then(pl.col("descriptor").str.slice(0, 17).str.strip_chars()
                            + pl.lit(" ") + pl.col("station_word"))
        .when(store).then(pl.col("descriptor").str.slice(0, 17).str.strip_chars()
                          + pl.lit(" ") + pl.col("store_no").cast(pl.String))
        .when(pl.col("online") & pl.col("shows_seat") & pl.col("seat").is_not_null())
        .then(pl.col("descriptor") + pl.lit(" ") + pl.col("seat"))
        .otherwise(pl.col("descriptor"))
    )
    # A shop word before a chain's name, unless the name already says it.
    words = pl.col("subcategory").replace_strict(
        {k: list(v) for k, v in _LEAD_WORDS.items()}, default=None,
        return_dtype=pl.List(pl.String))
    lead_word = words.list.get(pl.col("lead_pick") % words.list.len(), null_on_oob=True)
    lead = (pl.col("source").is_in(["nsi", "curated"]) & ~pl.col("online")
            & (pl.col("lead_pick") < _LEAD_SHARE) & lead_word.is_not_null()
            & ~pl.col("descriptor").str.starts_with(lead_word.fill_null("")))
    descriptor = pl.when(lead).then(lead_word + pl.lit(" ") + descriptor).otherwise(descriptor)
    # A chain whose name opens with an initial (E.LECLERC) prints its bare name at half of
    # its shops (LECLERC), as many acquirers do.
    initial = (pl.col("source") == "nsi") & (pl.col("lead_pick") % 2 == 0)
    descriptor = pl.when(initial).then(descriptor.str.replace(_INITIAL, "${1}${2}")).otherwise(
        descriptor)
    descriptor = pl.when(wallet).then(wallet_name + descriptor).otherwise(descriptor)
    intermediary = (
        pl.when(paypal).then(pl.lit("paypal"))
        .when(google).then(pl.lit("google"))
        .when(wallet & pl.col("android")).then(pl.lit("google_pay"))
        .when(wallet).then(pl.lit("apple_pay"))
        .otherwise(pl.col("intermediary"))
    )
    city = pl.coalesce("city", pl.when(~pl.col("online")).then(pl.col("shop_city")))
    out = frame.select(descriptor=descriptor.str.slice(0, 30), intermediary=intermediary,
                       city=city)
    # Some shops stand in a commune the places list does not hold (``_towns.py``).
    shop_key = merchant * 31 + _city_codes(out["city"].fill_null("").to_numpy())
    return out.with_columns(city=shown_towns(out["city"], shop_key, town_salt))


def _city_codes(cities: npt.NDArray[np.str_]) -> IntArray:
    """A stable number per town (its row in the places table), 0 when unknown."""
    forms = load_places()["label_forms"].str.split("|").list.first().to_list()
    index = {city: i + 1 for i, city in enumerate(forms)}
    unique, inverse = np.unique(cities.astype(str), return_inverse=True)
    codes = np.asarray([index.get(c, 0) for c in unique.tolist()], dtype=np.int64)
    return codes[inverse.reshape(-1)] if unique.size else np.zeros(0, dtype=np.int64)


def _fx_fees(events: pl.DataFrame) -> pl.DataFrame:
    fx = events.filter(pl.col("original_currency").is_not_null())
    fee = (-(fx["amount"].abs() * 0.022 + 0.25)).round(2)
    return fx.with_columns(
        amount=fee, transaction_type=pl.lit("fee"), label_kind=pl.lit("fx_fee"),
        subcategory=pl.lit("foreign_fees"), merchant_id=pl.lit(None, dtype=pl.String),
        intermediary=pl.lit(None, dtype=pl.String), mcc=pl.lit(None, dtype=pl.String),
        bank_transaction_code=pl.lit("ACMT-MDOP-CHRG"),
    )


def _refunds(events: pl.DataFrame, rng: np.random.Generator, cal: Calendar) -> pl.DataFrame:
    cand = events.filter(pl.col("subcategory").is_in(_REFUNDABLE))
    pick = rng.random(cand.height) < 0.04
    ref = cand.filter(pl.Series(pick))
    delay = rng.integers(3, 26, ref.height)
    full = rng.random(ref.height) < 0.7
    share = np.where(full, 1.0, rng.uniform(0.2, 0.8, ref.height))
    day = ref["day"].to_numpy() + delay
    ref = ref.with_columns(
        day=pl.Series(np.minimum(day, cal.n_days - 1)).cast(pl.Int32),
        op_day=pl.Series(np.minimum(day - 1, cal.n_days - 1)).cast(pl.Int32),
        amount=(-pl.col("amount") * pl.Series(share)).round(2),
        transaction_type=pl.lit("refund"), label_kind=pl.lit("card_refund"),
        bank_transaction_code=pl.lit("PMNT-CCRD-RIMB"),
        operation_minute=pl.lit(None, dtype=pl.Int16),
    )
    return ref.filter(pl.Series(day < cal.n_days))


def _reversals_and_duplicates(events: pl.DataFrame, rng: np.random.Generator, cal: Calendar
                              ) -> pl.DataFrame:
    card = events.filter(pl.col("transaction_type").str.starts_with("card"))
    u = rng.random(card.height)
    reversal = card.filter(pl.Series(u < 0.0015)).with_columns(
        day=pl.min_horizontal(pl.col("day") + 1, cal.n_days - 1).cast(pl.Int32),
        amount=-pl.col("amount"), transaction_type=pl.lit("reversal"),
        label_kind=pl.lit("reversal"), bank_transaction_code=pl.lit("PMNT-CCRD-RRTN"))
    # A merchant charging twice: the same movement twice, a real duplicate.
    duplicate = card.filter(pl.Series((u >= 0.0015) & (u < 0.0025)))
    return pl.concat([reversal, duplicate])

