"""The merchant universe of a synthetic bank: brands, curated merchants, local businesses.

Card spending draws from it by subcategory. Brands come from the name-suggestion-index,
curated merchants from the project's own list, and local independents (most real card
payments) are generated per town with plausible, often uninformative names. Regional public
bodies (CPAM, CAF, CARSAT...) are named, for some customers, by their local office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._brands import load_brands
from ledgerlens.datasets._event_frame import masked, strings
from ledgerlens.datasets._foreign import COUNTRIES, foreign_merchants
from ledgerlens.datasets._mcc import typical_mcc
from ledgerlens.datasets._vocab import (
    generate_local_merchants,
    load_curated_merchants,
    load_european_merchants,
    load_places,
    sells_at_a_distance,
)
from ledgerlens.schema import MERCHANTS
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["REGIONAL_NETWORKS", "SPEND_PROFILES", "MerchantUniverse", "build_universe",
           "descriptor_of", "regional_office_spellings"]

# subcategory: (share of customers active, visits per month when active, ticket median EUR,
#               ticket log-sigma, share of visits to local independents, seasonality,
#               opening days Mon..Sun, favourite merchants, driver)
# The driver scales the share of active customers: digital affinity, car, children, youth.
_PROFILE_ROWS: tuple[tuple[str, float, float, float, float, float, str, str, int, str], ...] = (
    ("supermarket", 0.97, 5.5, 42.0, 0.8, 0.15, "festive", "1111110", 3, "none"),
    ("convenience_store", 0.6, 3.0, 14.0, 0.6, 0.6, "flat", "1111111", 2, "none"),
    ("bakery", 0.8, 6.0, 6.5, 0.5, 0.92, "flat", "0111111", 2, "none"),
    ("butcher_fishmonger", 0.35, 1.5, 28.0, 0.6, 0.9, "festive", "0111111", 1, "none"),
    ("market_greengrocer", 0.3, 2.0, 18.0, 0.6, 0.95, "summer", "0111111", 1, "none"),
    ("specialty_food", 0.35, 1.0, 30.0, 0.7, 0.6, "festive", "0111111", 2, "none"),
    ("restaurant", 0.75, 2.2, 38.0, 0.6, 0.85, "summer", "1111111", 3, "none"),
    ("fast_food", 0.65, 2.5, 12.0, 0.5, 0.5, "flat", "1111111", 2, "young"),
    ("cafe_bar", 0.6, 3.0, 7.0, 0.7, 0.85, "summer", "1111111", 2, "none"),
    ("food_delivery", 0.45, 1.5, 28.0, 0.5, 0.0, "winter", "1111111", 2, "digital"),
    ("canteen", 0.25, 8.0, 7.0, 0.3, 0.7, "flat", "1111100", 1, "employed"),
    ("clothing_shoes", 0.75, 1.0, 55.0, 0.8, 0.35, "sales", "1111110", 3, "none"),
    ("electronics", 0.4, 0.3, 120.0, 1.0, 0.1, "christmas", "1111110", 2, "none"),
    ("department_store", 0.3, 0.4, 60.0, 0.8, 0.05, "christmas", "1111110", 1, "none"),
    ("general_merchandise", 0.5, 0.8, 25.0, 0.7, 0.2, "christmas", "1111110", 2, "none"),
    ("marketplace", 0.8, 1.5, 35.0, 0.9, 0.0, "christmas", "1111111", 2, "digital"),
    ("books_media", 0.35, 0.5, 22.0, 0.6, 0.4, "christmas", "1111110", 2, "none"),
    ("gifts_flowers", 0.3, 0.3, 35.0, 0.6, 0.85, "christmas", "1111111", 1, "none"),
    ("tobacco_press", 0.35, 4.0, 10.0, 0.6, 0.9, "flat", "1111111", 1, "none"),
    ("pets", 0.25, 0.8, 35.0, 0.7, 0.5, "flat", "1111110", 1, "none"),
    ("jewellery_watches", 0.1, 0.2, 90.0, 0.9, 0.5, "christmas", "1111110", 1, "none"),
    ("second_hand", 0.3, 0.5, 25.0, 0.8, 0.3, "flat", "1111111", 1, "digital"),
    ("diy_home_improvement", 0.45, 0.7, 45.0, 0.9, 0.15, "summer", "1111110", 2, "none"),
    ("garden", 0.2, 0.4, 40.0, 0.8, 0.4, "summer", "1111111", 1, "none"),
    ("furniture_home_equipment", 0.3, 0.3, 90.0, 1.0, 0.1, "flat", "1111110", 2, "none"),
    ("home_services", 0.1, 0.2, 110.0, 0.7, 0.9, "flat", "1111100", 1, "none"),
    ("fuel", 0.95, 2.5, 55.0, 0.35, 0.1, "summer", "1111111", 2, "car"),
    ("ev_charging", 0.05, 3.0, 15.0, 0.5, 0.1, "flat", "1111111", 1, "car"),
    ("public_transport", 0.35, 2.0, 12.0, 0.7, 0.0, "flat", "1111111", 1, "no_car"),
    ("taxi_ride_hailing", 0.25, 0.8, 22.0, 0.5, 0.2, "flat", "1111111", 2, "young"),
    ("bike_scooter_sharing", 0.08, 2.0, 4.0, 0.5, 0.0, "summer", "1111111", 1, "young"),
    ("parking", 0.45, 1.2, 6.0, 0.7, 0.3, "flat", "1111110", 2, "car"),
    ("tolls", 0.45, 0.8, 12.0, 0.7, 0.2, "summer", "1111111", 2, "car"),
    ("vehicle_maintenance", 0.45, 0.15, 180.0, 0.9, 0.6, "flat", "1111100", 1, "car"),
    ("flights", 0.2, 0.08, 180.0, 0.7, 0.0, "summer", "1111111", 2, "none"),
    ("trains_coaches", 0.35, 0.3, 55.0, 0.6, 0.0, "summer", "1111111", 1, "none"),
    ("hotels", 0.2, 0.1, 160.0, 0.6, 0.2, "summer", "1111111", 2, "none"),
    ("holiday_rentals", 0.12, 0.06, 450.0, 0.6, 0.1, "summer", "1111111", 1, "none"),
    ("travel_agencies", 0.04, 0.05, 700.0, 0.6, 0.3, "summer", "1111110", 1, "none"),
    ("pharmacy", 0.85, 1.5, 18.0, 0.8, 0.85, "winter", "1111110", 2, "none"),
    ("doctor", 0.6, 0.35, 30.0, 0.3, 0.95, "winter", "1111100", 1, "none"),
    ("dentist", 0.25, 0.15, 70.0, 0.8, 1.0, "flat", "1111100", 1, "none"),
    ("optician", 0.12, 0.08, 180.0, 0.8, 0.5, "flat", "1111110", 1, "none"),
    ("laboratory", 0.12, 0.1, 25.0, 0.6, 0.7, "flat", "1111110", 1, "none"),
    ("paramedical", 0.15, 0.5, 35.0, 0.3, 1.0, "flat", "1111100", 1, "none"),
    ("hospital_clinic", 0.1, 0.1, 40.0, 0.8, 0.95, "winter", "1111111", 1, "none"),
    ("hairdresser", 0.6, 0.5, 32.0, 0.5, 0.8, "flat", "0111110", 1, "none"),
    ("beauty_salon", 0.2, 0.4, 45.0, 0.6, 0.9, "flat", "0111110", 1, "none"),
    ("cosmetics_perfume", 0.4, 0.5, 35.0, 0.7, 0.15, "christmas", "1111110", 2, "none"),
    ("spa_wellness", 0.05, 0.2, 70.0, 0.5, 0.8, "flat", "1111111", 1, "none"),
    ("cinema", 0.35, 0.6, 12.0, 0.5, 0.3, "winter", "1111111", 1, "none"),
    ("concerts_shows", 0.15, 0.15, 55.0, 0.7, 0.3, "flat", "1111111", 2, "none"),
    ("museums_culture", 0.15, 0.15, 25.0, 0.7, 0.4, "summer", "1111111", 2, "none"),
    ("sport_equipment", 0.35, 0.3, 45.0, 0.9, 0.1, "back_to_school", "1111110", 1, "none"),
    ("video_games", 0.15, 0.5, 25.0, 0.8, 0.0, "christmas", "1111111", 1, "young"),
    ("hobbies", 0.15, 0.3, 30.0, 0.8, 0.5, "flat", "1111110", 1, "none"),
    ("betting_lottery", 0.15, 2.0, 8.0, 0.8, 0.2, "flat", "1111111", 1, "none"),
    ("nightlife", 0.12, 1.0, 35.0, 0.6, 0.9, "weekend", "0001111", 1, "young"),
    ("toys", 0.6, 0.3, 35.0, 0.8, 0.3, "christmas", "1111110", 2, "children"),
    ("children_activities", 0.3, 0.2, 80.0, 0.6, 0.9, "back_to_school", "1111110", 1, "children"),
    ("post_courier", 0.3, 0.3, 9.0, 0.6, 0.0, "christmas", "1111110", 1, "none"),
    ("laundry_tailoring", 0.12, 0.4, 18.0, 0.5, 0.95, "flat", "1111110", 1, "none"),
    ("professional_services", 0.05, 0.1, 150.0, 0.8, 0.9, "flat", "1111100", 1, "none"),
    # Paid at the counter or online: a town hall, a pool, a ski pass, a fine, a passport.
    ("sport_clubs_gyms", 0.3, 0.7, 14.0, 0.9, 0.85, "flat", "1111111", 1, "none"),
    ("administrative_fees", 0.15, 0.05, 45.0, 0.8, 0.4, "flat", "1111110", 1, "none"),
    ("fines", 0.12, 0.05, 60.0, 0.6, 0.1, "flat", "1111111", 1, "car"),
    ("charity_donations", 0.05, 0.1, 30.0, 0.6, 0.0, "christmas", "1111111", 1, "none"),
)

SPEND_PROFILES = pl.DataFrame(
    _PROFILE_ROWS,
    schema=["subcategory", "p_active", "visits_per_month", "ticket_median", "ticket_sigma",
            "local_share", "seasonality", "opening_days", "favourites", "driver"],
    orient="row",
)

#: Kinds of curated merchants that card holders pay by card in ordinary spending (those
#: billed by card: a public body's online payments, ANTS or ANTAI, are among them).
_CARD_KINDS = ("online_retail", "food_delivery", "transport", "mobility_app", "travel",
               "betting", "service", "charity", "store", "public_body")


def descriptor_of(names: pl.Expr) -> pl.Expr:
    """Upper-case ASCII merchant descriptor from a display name, as acquirers write it."""
    return (
        names.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
        .str.replace_all(r"[’'`]", " ")
        .str.replace_all(r"[^A-Z0-9&*.\- ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.slice(0, 22)
        .str.strip_chars()
    )


@dataclass(frozen=True)
class MerchantUniverse:
    """Every merchant the bank's customers can meet, plus lookup structures for sampling.

    ``merchants`` holds the canonical merchant columns plus generator-only columns
    (``descriptor``, ``ticket_median``, ``ticket_sigma``, ``weight``, ``is_local``,
    ``city``, ``channel``, ``seasonality``, ``opening_days``).
    """

    merchants: pl.DataFrame

    def directory(self) -> pl.DataFrame:
        """The canonical ``merchants`` table (what a merchant directory would hold)."""
        return MERCHANTS.conform(self.merchants)


#: The chains that take most of French card spending in their trade (market knowledge, not
#: data): they get a large share of their subcategory, as in real statements.
MAJOR_BRANDS = frozenset({
    "CARREFOUR", "CARREFOUR MARKET", "CARREFOUR CITY", "CARREFOUR EXPRESS", "E LECLERC",
    "INTERMARCHE", "INTERMARCHE SUPER", "AUCHAN", "LIDL", "SUPER U", "HYPER U", "U EXPRESS",
    "CASINO", "MONOPRIX", "FRANPRIX", "ALDI", "NETTO", "PICARD", "BIOCOOP", "COCCINELLE",
    "SPAR", "VIVAL", "MCDONALD S", "BURGER KING", "KFC", "QUICK", "SUBWAY", "STARBUCKS",
    "PAUL", "BRIOCHE DOREE", "DOMINO S", "O TACOS", "BUFFALO GRILL", "COURTEPAILLE",
    "HIPPOPOTAMUS", "TOTALENERGIES", "ESSO", "BP", "SHELL", "AVIA", "DECATHLON", "FNAC",
    "DARTY", "BOULANGER", "LEROY MERLIN", "CASTORAMA", "BRICOMARCHE", "BRICO DEPOT", "IKEA",
    "CONFORAMA", "BUT", "H&M", "ZARA", "KIABI", "JULES", "CELIO", "PRIMARK", "UNIQLO",
    "ACTION", "GIFI", "LA FOIR FOUILLE", "SEPHORA", "NOCIBE", "MARIONNAUD", "YVES ROCHER",
    "CULTURA", "MAXI ZOO", "JARDILAND", "TRUFFAUT", "KING JOUET", "LA GRANDE RECRE",
    "KRYS", "AFFLELOU", "OPTIC 2000", "NORAUTO", "FEU VERT", "MIDAS", "SPEEDY", "PATHE",
    "UGC", "CGR", "BASIC FIT", "LA POSTE", "RELAY", "NICOLAS", "GRAND FRAIS", "CHRONODRIVE",
    "CARREFOUR CONTACT", "INTERMARCHE CONTACT", "INTERMARCHE EXPRESS", "INTERMARCHE HYPER",
    "AUCHAN SUPERMARCHE", "MY AUCHAN", "LEADER PRICE", "CORA",
    # the car makers whose dealers service most of the cars on French roads
    "RENAULT", "PEUGEOT", "CITROEN", "DACIA", "TOYOTA", "VOLKSWAGEN",
})


#: Share of fuel payments made at grocers' stations (French supermarkets sell about 60 % of
#: road fuel; market knowledge, not data).
GROCER_FUEL_SHARE = 0.5


def _grocer_stations_follow_their_shops(brands: pl.DataFrame) -> pl.DataFrame:
    """A grocer's fuel stations weigh among stations what its shops weigh among shops.

    Customers fill up where they shop: drawn apart, one bank could make Intermarché's
    stations a top fuel brand and its shops a minor grocer, so that most payments labelled
    with the bare name were fuel (81 % in one bank), where in a real bank they are mostly
    the shop. A grocer is a brand with a supermarket, or whose name starts with one's
    (``Carrefour Contact``); oil companies with shops (Esso, Shell) keep their own rank. A
    station named after its grocer (``Station Service E.Leclerc``) is the grocer's: it
    weighs as its shops do and its labels spell the shops' name (``label_name``), as the
    other grocers' stations do (``E.LECLERC STATION``).
    """
    # A brand's share of the supermarkets' and convenience stores' draws, summed.
    grocery = brands.filter(pl.col("subcategory").is_in(["supermarket", "convenience_store"])
                            ).with_columns(
        share=pl.col("weight") / pl.col("weight").sum().over("subcategory") / 2.0)
    markets = grocery.filter(pl.col("subcategory") == "supermarket")["name"].unique()
    names = "|".join(re.escape(m) for m in markets.sort().to_list())
    pattern = "^(?:" + names + r")\b"
    shops = grocery.filter(pl.col("name").str.contains(pattern)).group_by("name").agg(
        shop_share=pl.col("share").sum())
    fuel = pl.col("subcategory") == "fuel"
    brands = brands.with_columns(label_name=pl.when(
        fuel & ~pl.col("name").str.contains(pattern)).then(
        pl.col("name").str.extract(r"\s(" + names + r")$", 1)))
    out = brands.join(shops, left_on=pl.coalesce("label_name", "name"), right_on="name",
                      how="left", maintain_order="left")
    grocer = fuel & pl.col("shop_share").is_not_null()
    others = float(out.filter(fuel & ~grocer)["weight"].sum())
    shares = float(out.filter(grocer)["shop_share"].sum())
    # Their shops' shares, scaled so that grocers' stations take GROCER_FUEL_SHARE of fuel.
    scale = GROCER_FUEL_SHARE / (1.0 - GROCER_FUEL_SHARE) * others / max(shares, 1e-12)
    return out.with_columns(
        weight=pl.when(grocer).then(pl.col("shop_share") * scale).otherwise(pl.col("weight")),
        grocer_station=grocer,
    ).drop("shop_share")


#: Most card payments at an oil company's station pay the fuel; its shop alone (a coffee, a
#: sandwich) takes at most ``STATION_SHOP_RATIO`` payments per payment at the pumps, and its
#: chargers at most ``STATION_CHARGER_RATIO`` (market knowledge, not data: electric cars are a
#: few per cent of those on the road, and their drivers charge mostly at home or on networks
#: of their own).
STATION_SHOP_RATIO = 1.0 / 3.0
STATION_CHARGER_RATIO = 1.0 / 20.0
_STATION_LINES = {"convenience_store": STATION_SHOP_RATIO, "ev_charging": STATION_CHARGER_RATIO}


def _station_lines_follow_their_pumps(brands: pl.DataFrame) -> pl.DataFrame:
    """A convenience or charging line named as a fuel brand (Shell's, Esso's, Avia's shops;
    TotalEnergies' chargers) takes at most its ``_STATION_LINES`` ratio of payments per
    payment at the brand's pumps.

    NSI lists oil companies' shops as convenience stores of their own, ranked among the
    chains: drawn so, Avia's and Shell's shops took 435 and 249 of one bank's payments
    against 117 and 102 at their pumps (a small bank, but the weights themselves made
    TotalEnergies' and Esso's shops weigh about as much as their pumps). TotalEnergies'
    chargers, a major charging brand, took 519 of a test bank's payments at its name
    against 2,675 at its pumps, which taught the category model that a small payment there
    is a charge. Grocers' shops (Carrefour Contact, Casino) are left: their stations follow
    them (``grocer_station``)."""
    rate = SPEND_PROFILES.select(
        "subcategory",
        rate=pl.col("p_active") * pl.col("visits_per_month") * (1.0 - pl.col("local_share")))
    rates = dict(rate.iter_rows())
    pumps = brands.filter(pl.col("subcategory") == "fuel").with_columns(
        _share=pl.col("weight") / pl.col("weight").sum()).filter(
        ~pl.col("grocer_station")).group_by("name").agg(_pumps=pl.col("_share").sum())
    out = brands.join(pumps, on="name", how="left", maintain_order="left")
    capped = out["weight"].to_numpy().copy()
    for line, ratio in _STATION_LINES.items():
        mine = (out["subcategory"] == line).to_numpy()
        # The most share of the line's visits each brand may take, from its pumps' share.
        cap = out["_pumps"].fill_null(np.inf).to_numpy() * ratio * rates["fuel"] / rates[line]
        weight = capped.copy()
        # Capping shrinks the line's total, which raises every share: a few rounds settle it.
        for _ in range(50):
            limit = np.where(mine, cap * capped[mine].sum(), np.inf)
            settled = np.minimum(weight, limit)
            if np.allclose(settled, capped, rtol=1e-12, atol=0.0):
                break
            capped = settled
    return out.with_columns(weight=pl.Series(capped)).drop("_pumps")


def _brand_rows(rng: np.random.Generator) -> pl.DataFrame:
    brands = load_brands().join(
        SPEND_PROFILES.select("subcategory", "ticket_median", "ticket_sigma", "seasonality",
                              "opening_days"),
        on="subcategory", how="inner")
    n = brands.height
    # Brand reach follows a Zipf law within a subcategory: the big French chains first,
    # then other brands present in France, then brands merely valid here.
    name = descriptor_of(pl.col("name")).str.replace_all(r"[.\-]", " ")
    major = name.str.replace_all(r"\s+", " ").is_in(sorted(MAJOR_BRANDS))
    tier = pl.when(major).then(0.0).when(pl.col("scope") == "fr").then(1.0).otherwise(2.0)
    brands = brands.with_columns(_tier=tier, _rank_key=tier + pl.Series(rng.random(n)))
    brands = brands.with_columns(
        weight=pl.col("_tier").replace_strict({0.0: 25.0, 1.0: 1.0, 2.0: 0.1},
                                              return_dtype=pl.Float64)
        / (pl.col("_rank_key").rank("ordinal").over("subcategory") ** 1.1),
        ticket_median=pl.col("ticket_median") * pl.Series(rng.lognormal(0.0, 0.25, n)),
    ).drop("_rank_key", "_tier")
    brands = _grocer_stations_follow_their_shops(brands)
    brands = _station_lines_follow_their_pumps(brands)
    return brands.select(
        *MERCHANTS.names,
        descriptor=descriptor_of(pl.coalesce("label_name", "name")),
        ticket_median=pl.col("ticket_median"),
        ticket_sigma=pl.col("ticket_sigma"),
        weight=pl.col("weight"),
        is_local=pl.lit(False),
        city=pl.lit(None, dtype=pl.String),
        channel=pl.lit("in_store"),
        seasonality=pl.col("seasonality"),
        opening_days=pl.col("opening_days"),
        card_pool=pl.lit(True),
        visit_factor=pl.lit(1.0),
    )


def _listed_rows(listed: pl.DataFrame, **drawn: pl.Expr) -> pl.DataFrame:
    """Universe rows of a merchant list of ``curated_merchants.csv``'s columns: what the
    list says, and ``drawn`` (``weight``, ``channel``, ``seasonality``, ``opening_days``,
    ``card_pool``): how the synthetic customers meet them."""
    return listed.select(
        "merchant_id", "name",
        brand_wikidata=pl.lit(None, dtype=pl.String),
        website=pl.when(pl.col("website") == "").then(None).otherwise(pl.col("website")),
        category=pl.col("subcategory").replace_strict(
            {k: v.category for k, v in SUBCATEGORIES.items()}, return_dtype=pl.String),
        subcategory=pl.col("subcategory"), mcc=pl.col("mcc"), country=pl.col("country"),
        source=pl.lit("curated"),
        descriptor=pl.col("descriptors").str.split("|").list.first(),
        ticket_median=pl.col("amount_median").cast(pl.Float64),
        ticket_sigma=pl.col("amount_sigma").cast(pl.Float64),
        weight=drawn["weight"],
        is_local=pl.lit(False),
        city=pl.lit(None, dtype=pl.String),
        channel=drawn["channel"],
        seasonality=drawn["seasonality"],
        opening_days=drawn["opening_days"],
        card_pool=drawn["card_pool"],
        visit_factor=pl.lit(1.0),
    )


def _curated_rows() -> pl.DataFrame:
    # Every curated merchant is in the directory; only card-paid ones are in the card pool
    # (subscriptions, bills and public bodies come through recurring streams instead).
    cur = load_curated_merchants().join(
        SPEND_PROFILES.select("subcategory", "seasonality", "opening_days"),
        on="subcategory", how="left")
    online = sells_at_a_distance()
    return _listed_rows(
        cur, weight=pl.col("popularity").cast(pl.Float64) * 20.0,
        channel=pl.when(online).then(pl.lit("online")).otherwise(pl.lit("in_store")),
        seasonality=pl.col("seasonality").fill_null("flat"),
        opening_days=pl.col("opening_days").fill_null("1111111"),
        card_pool=pl.col("kind").is_in(_CARD_KINDS) & pl.col("billing").str.contains("card"))


def _local_rows(n: int, seed: int) -> pl.DataFrame:
    # Each shop's visit rhythm relative to its subcategory's average (a bakery is visited
    # more often than a pastry shop; the subcategory's overall rate stays calibrated).
    loc = generate_local_merchants(n, seed)
    return loc.select(
        "merchant_id", "name",
        brand_wikidata=pl.lit(None, dtype=pl.String),
        website=pl.lit(None, dtype=pl.String),
        category="category", subcategory="subcategory", mcc="mcc",
        country=pl.lit("FR"), source=pl.lit("local"),
        descriptor="descriptor",
        ticket_median=pl.col("ticket_median").cast(pl.Float64),
        ticket_sigma=pl.col("ticket_sigma").cast(pl.Float64),
        weight=pl.lit(1.0),
        is_local=pl.lit(True),
        city="city",
        channel=pl.lit("in_store"),
        seasonality="seasonality",
        opening_days="opening_days",
        card_pool=pl.lit(True),
        visit_factor=(pl.col("visits_per_month").cast(pl.Float64)
                      / pl.col("visits_per_month").cast(pl.Float64).mean().over("subcategory"))
        .fill_nan(1.0).fill_null(1.0).clip(0.3, 3.0),
    )


def _foreign_rows(seed: int) -> pl.DataFrame:
    abroad = foreign_merchants(seed)
    mcc = {s: typical_mcc(s) for s in abroad["subcategory"].unique().to_list()}
    return abroad.select(
        "merchant_id", "name",
        brand_wikidata=pl.lit(None, dtype=pl.String),
        website=pl.lit(None, dtype=pl.String),
        category="category", subcategory="subcategory",
        mcc=pl.col("subcategory").replace_strict(mcc, return_dtype=pl.String),
        country="country", source=pl.lit("local"),
        descriptor=descriptor_of(pl.col("name")),
        ticket_median="ticket_median", ticket_sigma="ticket_sigma",
        weight=pl.lit(1.0), is_local=pl.lit(False), city="city",
        channel=pl.lit("abroad"), seasonality=pl.lit("summer"), opening_days=pl.lit("1111111"),
        card_pool=pl.lit(False),
        visit_factor=pl.lit(1.0),
    )


def _european_rows() -> pl.DataFrame:
    """The chains of the countries customers travel to (``european_merchants.csv``: shops and
    transport paid by card), drawn only on trips; the town is the trip's."""
    eu = load_european_merchants().filter(
        pl.col("country").is_in(list(COUNTRIES)) & pl.col("billing").str.contains("card")
        & pl.col("kind").is_in(["store", "transport"]))
    return _listed_rows(eu, weight=pl.lit(0.0), channel=pl.lit("abroad"),
                        seasonality=pl.lit("summer"), opening_days=pl.lit("1111111"),
                        card_pool=pl.lit(False))


#: Card terminals of small shops often belong to a payment intermediary, which then
#: shows in the label before the shop's name.
_TERMINALS = (("sumup", "SUMUP *", 0.45), ("zettle", "ZETTLE_*", 0.25), ("square", "SQ *", 0.15),
              ("lyf_pay", "LYF*", 0.05), ("stripe", "STRIPE *", 0.10))
#: Local businesses that run their own acquirer's terminal (pumps, car-park machines,
#: hospital tills, canteen registers), never a payment intermediary's.
_OWN_TERMINALS = ("fuel", "parking", "canteen", "hospital_clinic")


def _with_intermediaries(merchants: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    n = merchants.height
    names = np.asarray([t[0] for t in _TERMINALS])
    prefixes = np.asarray([t[1] for t in _TERMINALS])
    p = np.asarray([t[2] for t in _TERMINALS])
    which = rng.choice(len(_TERMINALS), size=n, p=p / p.sum())
    own = merchants["subcategory"].is_in(_OWN_TERMINALS).to_numpy()
    wrapped = merchants["is_local"].to_numpy() & (rng.random(n) < 0.15) & ~own
    inter = masked(wrapped, names[which])
    prefix = strings(np.where(wrapped, prefixes[which], ""))
    return merchants.with_columns(
        intermediary=inter,
        descriptor=pl.concat_str([prefix, pl.col("descriptor")]).str.slice(0, 25),
    )


def identify_named_counterparties(events: pl.DataFrame) -> pl.DataFrame:
    """Fill ``merchant_id`` of events whose descriptor spells a curated merchant.

    Payers and payees named only by their label (CAF, CNAV, FRANCE TRAVAIL, CPAM) are
    directory merchants too, so the ground truth names them; a spelling shared by two
    merchants resolves to the one of the event's subcategory.
    """
    cur = load_curated_merchants().select(
        "merchant_id", "subcategory",
        descriptor=pl.concat_list(pl.col("descriptors").str.split("|"),
                                  pl.col("name").str.to_uppercase()),
    ).explode("descriptor")
    exact = cur.unique(["descriptor", "subcategory"], keep="first", maintain_order=True).rename(
        {"merchant_id": "_exact"})
    loose = cur.unique("descriptor", keep="first", maintain_order=True).select(
        "descriptor", _loose="merchant_id")
    return (
        events.join(exact, on=["descriptor", "subcategory"], how="left", maintain_order="left")
        .join(loose, on="descriptor", how="left", maintain_order="left")
        .with_columns(merchant_id=pl.coalesce("merchant_id", "_exact", "_loose"))
        .drop("_exact", "_loose")
    )


#: Public bodies with a local office per département or region, and which of the two a
#: statement names: ``CPAM DU RHONE``, ``CAF DE LA GIRONDE``, ``CARSAT BRETAGNE``.
REGIONAL_NETWORKS: dict[str, str] = {"CPAM": "department", "CAF": "department",
                                     "MSA": "department", "URSSAF": "region",
                                     "CARSAT": "region"}
#: Share of customers whose labels name their local office rather than the bare network.
_REGIONAL_SHARE = 0.45
#: Département names as "of the département" (de l'Ain, du Rhône, des Hauts-de-Seine, de
#: Paris), upper-case ASCII, by département code (the ``department`` column of places.csv).
_DEPARTMENTS: dict[str, str] = {
    "01": "DE L AIN", "02": "DE L AISNE", "03": "DE L ALLIER",
    "04": "DES ALPES DE HAUTE PROVENCE", "05": "DES HAUTES ALPES", "06": "DES ALPES MARITIMES",
    "07": "DE L ARDECHE", "08": "DES ARDENNES", "09": "DE L ARIEGE", "10": "DE L AUBE",
    "11": "DE L AUDE", "12": "DE L AVEYRON", "13": "DES BOUCHES DU RHONE", "14": "DU CALVADOS",
    "15": "DU CANTAL", "16": "DE LA CHARENTE", "17": "DE LA CHARENTE MARITIME",
    "18": "DU CHER", "19": "DE LA CORREZE", "21": "DE LA COTE D OR", "22": "DES COTES D ARMOR",
    "23": "DE LA CREUSE", "24": "DE LA DORDOGNE", "25": "DU DOUBS", "26": "DE LA DROME",
    "27": "DE L EURE", "28": "D EURE ET LOIR", "29": "DU FINISTERE",
    "2A": "DE LA CORSE DU SUD", "2B": "DE LA HAUTE CORSE", "30": "DU GARD",
    "31": "DE LA HAUTE GARONNE", "32": "DU GERS", "33": "DE LA GIRONDE", "34": "DE L HERAULT",
    "35": "D ILLE ET VILAINE", "36": "DE L INDRE", "37": "D INDRE ET LOIRE",
    "38": "DE L ISERE", "39": "DU JURA", "40": "DES LANDES", "41": "DE LOIR ET CHER",
    "42": "DE LA LOIRE", "43": "DE LA HAUTE LOIRE", "44": "DE LA LOIRE ATLANTIQUE",
    "45": "DU LOIRET", "46": "DU LOT", "47": "DE LOT ET GARONNE", "48": "DE LA LOZERE",
    "49": "DE MAINE ET LOIRE", "50": "DE LA MANCHE", "51": "DE LA MARNE",
    "52": "DE LA HAUTE MARNE", "53": "DE LA MAYENNE", "54": "DE MEURTHE ET MOSELLE",
    "55": "DE LA MEUSE", "56": "DU MORBIHAN", "57": "DE LA MOSELLE", "58": "DE LA NIEVRE",
    "59": "DU NORD", "60": "DE L OISE", "61": "DE L ORNE", "62": "DU PAS DE CALAIS",
    "63": "DU PUY DE DOME", "64": "DES PYRENEES ATLANTIQUES", "65": "DES HAUTES PYRENEES",
    "66": "DES PYRENEES ORIENTALES", "67": "DU BAS RHIN", "68": "DU HAUT RHIN",
    "69": "DU RHONE", "70": "DE LA HAUTE SAONE", "71": "DE SAONE ET LOIRE",
    "72": "DE LA SARTHE", "73": "DE LA SAVOIE", "74": "DE LA HAUTE SAVOIE", "75": "DE PARIS",
    "76": "DE LA SEINE MARITIME", "77": "DE SEINE ET MARNE", "78": "DES YVELINES",
    "79": "DES DEUX SEVRES", "80": "DE LA SOMME", "81": "DU TARN", "82": "DE TARN ET GARONNE",
    "83": "DU VAR", "84": "DE VAUCLUSE", "85": "DE LA VENDEE", "86": "DE LA VIENNE",
    "87": "DE LA HAUTE VIENNE", "88": "DES VOSGES", "89": "DE L YONNE",
    "90": "DU TERRITOIRE DE BELFORT", "91": "DE L ESSONNE", "92": "DES HAUTS DE SEINE",
    "93": "DE LA SEINE SAINT DENIS", "94": "DU VAL DE MARNE", "95": "DU VAL D OISE",
    "971": "DE LA GUADELOUPE", "972": "DE LA MARTINIQUE", "973": "DE LA GUYANE",
    "974": "DE LA REUNION", "976": "DE MAYOTTE",
}
#: Region names as "of the region" (d'Île-de-France, de Bretagne, des Hauts-de-France).
_REGIONS: dict[str, str] = {
    "AUVERGNE RHONE ALPES": "D AUVERGNE RHONE ALPES",
    "BOURGOGNE FRANCHE COMTE": "DE BOURGOGNE FRANCHE COMTE", "BRETAGNE": "DE BRETAGNE",
    "CENTRE VAL DE LOIRE": "DU CENTRE VAL DE LOIRE", "CORSE": "DE CORSE",
    "GRAND EST": "DU GRAND EST", "GUADELOUPE": "DE LA GUADELOUPE", "GUYANE": "DE LA GUYANE",
    "HAUTS DE FRANCE": "DES HAUTS DE FRANCE", "ILE DE FRANCE": "D ILE DE FRANCE",
    "LA REUNION": "DE LA REUNION", "MARTINIQUE": "DE LA MARTINIQUE", "MAYOTTE": "DE MAYOTTE",
    "NORMANDIE": "DE NORMANDIE", "NOUVELLE AQUITAINE": "DE NOUVELLE AQUITAINE",
    "OCCITANIE": "D OCCITANIE", "PAYS DE LA LOIRE": "DES PAYS DE LA LOIRE",
    "PROVENCE ALPES COTE D AZUR": "DE PROVENCE ALPES COTE D AZUR",
}


def _mix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64 finaliser: a well-spread, platform-independent hash of each number."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(x ^ (x >> np.uint64(31)), dtype=np.uint64)


def _local_offices() -> pl.DataFrame:
    """Per row of places.csv: its département and region as a statement names an office."""
    return load_places().with_row_index("_place").select(
        pl.col("_place").cast(pl.Int64),
        _department=pl.col("department").replace_strict(_DEPARTMENTS, return_dtype=pl.String),
        _region_of=pl.col("region").replace_strict(_REGIONS, return_dtype=pl.String),
        _region=pl.col("region").str.strip_prefix("LA "),
    )


def regional_office_spellings(
    frame: pl.DataFrame, customer_idx: npt.ArrayLike, place_idx: npt.ArrayLike, seed: int,
    *, customer: str = "customer_idx",
) -> pl.DataFrame:
    """Name the local office of a regional public body in some customers' labels.

    A payment from or to a bare network name (``CPAM``, ``CAF``, ``URSSAF``, ``CARSAT``,
    ``MSA``) reads, for about 45 % of customers, as the office of their home département
    (``CPAM DU RHONE``, ``CAF DES HAUTS DE SEINE``, ``CAF DE PARIS``) or region (``CARSAT
    BRETAGNE``, ``URSSAF D ILE DE FRANCE``), the same on every label of a customer and
    network. ``customer_idx`` and ``place_idx`` give each customer's home (a row of
    places.csv); ``customer`` names the frame's customer column. Only transfers and direct
    debits change, so that a ground truth joined on the bare name (``merchant_id``) holds.
    """
    homes = pl.DataFrame({
        customer: np.asarray(customer_idx, dtype=np.int64),
        "_place": np.asarray(place_idx, dtype=np.int64),
    }).with_columns(pl.col(customer).cast(frame.schema[customer])).join(
        _local_offices(), on="_place", how="left")
    out = frame.with_row_index("_row").join(homes, on=customer, how="left").sort("_row")
    network_no = out["descriptor"].replace_strict(
        {n: i + 1 for i, n in enumerate(REGIONAL_NETWORKS)}, default=0, return_dtype=pl.UInt64
    ).fill_null(0).to_numpy()
    # One hash per (seed, customer, network): a customer's labels keep one spelling.
    key = out[customer].cast(pl.UInt64).fill_null(0).to_numpy() * np.uint64(16) + network_no
    h = _mix64(key ^ _mix64(np.full(key.size, seed, dtype=np.uint64)))
    level = pl.col("descriptor").replace_strict(REGIONAL_NETWORKS, default=None,
                                                return_dtype=pl.String)
    office = (pl.when(level == "department").then(pl.col("_department"))
              .when(pl.col("_article")).then(pl.col("_region_of"))
              .otherwise(pl.col("_region")))
    eligible = (level.is_not_null() & office.is_not_null()
                & pl.col("transaction_type").is_in(["transfer_in", "direct_debit"])
                & (pl.col("_u") < _REGIONAL_SHARE))
    return out.with_columns(
        _u=pl.Series((h % np.uint64(1000)).astype(np.float64) / 1000.0),
        _article=pl.Series(((h >> np.uint64(20)) % np.uint64(2)).astype(bool)),
    ).with_columns(
        descriptor=pl.when(eligible).then(pl.concat_str([pl.col("descriptor"), office],
                                                        separator=" "))
        .otherwise(pl.col("descriptor"))
    ).select(frame.columns)


def build_universe(n_customers: int, seed: int) -> MerchantUniverse:
    """All merchants of a bank of ``n_customers``: brands, curated, and generated locals.

    Local independents scale with the bank (about 0.8 per customer, at least 400), so
    that customers of one town share their bakeries and bars, as in real life.
    """
    rng = np.random.default_rng([seed, 7_001])
    n_local = int(min(max(400, n_customers * 0.8), 80_000))
    frames = [_brand_rows(rng), _curated_rows(), _local_rows(n_local, seed), _foreign_rows(seed),
              _european_rows()]
    merchants = pl.concat(frames, how="vertical_relaxed").unique(
        "merchant_id", keep="first", maintain_order=True)
    merchants = merchants.filter(pl.col("subcategory").is_in(list(SUBCATEGORIES)))
    merchants = _with_intermediaries(merchants, rng)
    return MerchantUniverse(merchants.with_row_index("merchant_idx"))

