"""ISO 18245 merchant category codes (MCC) and how they map to the level-2 taxonomy.

Card transactions often carry the acquirer's MCC; it is the strongest category hint a
card payment has, so every code of the bundled list (``reference/mcc_codes.csv``, public
domain, 981 codes) maps to one level-2 subcategory. ``MCC_RANGES`` holds that mapping as
sorted, non-overlapping blocks of codes; ``TYPICAL_MCC`` goes the other way and gives the
code a merchant of a subcategory usually has (used to fill ``merchants.mcc``).

>>> mcc_to_subcategory("5462")
'bakery'
>>> typical_mcc("supermarket")
'5411'
"""

from __future__ import annotations

import bisect
import functools
import io
import re
from importlib.resources import files

import polars as pl

from ledgerlens.exceptions import DataError, ReferenceDataError
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = [
    "MCC_RANGES",
    "TYPICAL_MCC",
    "load_mcc_codes",
    "mcc_codes_of",
    "mcc_subcategory_expr",
    "mcc_to_subcategory",
    "typical_mcc",
]

_MCC_FILE = "mcc_codes.csv"
_MCC_PATTERN = re.compile(r"[0-9]{4}")
_FALLBACK = "uncategorised"

#: (first, last, subcategory): every MCC from ``first`` to ``last`` inclusive maps to the
#: subcategory. Sorted and non-overlapping; codes in no block map to ``uncategorised``.
#: Choices that are not obvious: bus lines and charters (4131) and transport n.e.c. (4789)
#: are public transport; 5499 (convenience and specialty food) is a convenience store;
#: 6012 (card-funded payments to financial institutions: wallet and neobank top-ups) is a
#: transfer between own accounts; 6051 (quasi-cash: currency, money orders, also used by
#: crypto exchanges) is cash; direct marketing (5961-5969) is online shopping; 7273
#: (dating services, nowadays apps) and 7372/7375 (software, online information) are
#: digital subscriptions; 9700-9950 are network-internal codes.
MCC_RANGES: tuple[tuple[str, str, str], ...] = (
    ("0742", "0742", "pets"),
    ("0763", "0780", "garden"),
    ("1520", "1520", "diy_home_improvement"),
    ("1711", "1731", "home_services"),
    ("1740", "1799", "diy_home_improvement"),
    ("2741", "2791", "professional_services"),
    ("2842", "2842", "general_merchandise"),
    ("3000", "3350", "flights"),
    ("3351", "3500", "vehicle_purchase_rental"),
    ("3501", "3999", "hotels"),
    ("4011", "4011", "trains_coaches"),
    ("4111", "4111", "public_transport"),
    ("4112", "4112", "trains_coaches"),
    ("4119", "4119", "hospital_clinic"),
    ("4121", "4121", "taxi_ride_hailing"),
    ("4131", "4131", "public_transport"),
    ("4214", "4214", "home_services"),
    ("4215", "4215", "post_courier"),
    ("4225", "4225", "home_services"),
    ("4411", "4411", "travel_agencies"),
    ("4457", "4457", "vehicle_purchase_rental"),
    ("4468", "4468", "vehicle_maintenance"),
    ("4511", "4582", "flights"),
    ("4722", "4723", "travel_agencies"),
    ("4784", "4784", "tolls"),
    ("4789", "4789", "public_transport"),
    ("4812", "4812", "electronics"),
    ("4814", "4815", "mobile_phone"),
    ("4816", "4821", "internet_tv"),
    ("4829", "4829", "p2p_transfer"),
    ("4899", "4899", "streaming_digital"),
    ("4900", "4900", "electricity"),
    ("5013", "5013", "vehicle_maintenance"),
    ("5021", "5021", "furniture_home_equipment"),
    ("5039", "5039", "diy_home_improvement"),
    ("5044", "5045", "electronics"),
    ("5046", "5046", "general_merchandise"),
    ("5047", "5047", "pharmacy"),
    ("5051", "5085", "diy_home_improvement"),
    ("5094", "5094", "jewellery_watches"),
    ("5099", "5099", "general_merchandise"),
    ("5111", "5111", "books_media"),
    ("5122", "5122", "pharmacy"),
    ("5131", "5131", "hobbies"),
    ("5137", "5139", "clothing_shoes"),
    ("5169", "5169", "general_merchandise"),
    ("5172", "5172", "fuel"),
    ("5192", "5192", "books_media"),
    ("5193", "5193", "gifts_flowers"),
    ("5198", "5198", "diy_home_improvement"),
    ("5199", "5199", "general_merchandise"),
    ("5200", "5251", "diy_home_improvement"),
    ("5261", "5261", "garden"),
    ("5271", "5271", "vehicle_purchase_rental"),
    ("5300", "5300", "supermarket"),
    ("5309", "5310", "general_merchandise"),
    ("5311", "5311", "department_store"),
    ("5331", "5399", "general_merchandise"),
    ("5411", "5411", "supermarket"),
    ("5422", "5422", "butcher_fishmonger"),
    ("5441", "5451", "specialty_food"),
    ("5462", "5462", "bakery"),
    ("5499", "5499", "convenience_store"),
    ("5511", "5521", "vehicle_purchase_rental"),
    ("5531", "5533", "vehicle_maintenance"),
    ("5541", "5542", "fuel"),
    ("5551", "5599", "vehicle_purchase_rental"),
    ("5611", "5651", "clothing_shoes"),
    ("5655", "5655", "sport_equipment"),
    ("5661", "5691", "clothing_shoes"),
    ("5697", "5697", "laundry_tailoring"),
    ("5698", "5698", "beauty_salon"),
    ("5699", "5699", "clothing_shoes"),
    ("5712", "5712", "furniture_home_equipment"),
    ("5713", "5713", "diy_home_improvement"),
    ("5714", "5722", "furniture_home_equipment"),
    ("5732", "5732", "electronics"),
    ("5733", "5733", "hobbies"),
    ("5734", "5734", "electronics"),
    ("5735", "5735", "books_media"),
    ("5811", "5812", "restaurant"),
    ("5813", "5813", "cafe_bar"),
    ("5814", "5814", "fast_food"),
    ("5815", "5815", "streaming_digital"),
    ("5816", "5816", "video_games"),
    ("5817", "5818", "streaming_digital"),
    ("5832", "5832", "second_hand"),
    ("5912", "5912", "pharmacy"),
    ("5921", "5921", "specialty_food"),
    ("5931", "5933", "second_hand"),
    ("5935", "5935", "vehicle_maintenance"),
    ("5937", "5937", "furniture_home_equipment"),
    ("5940", "5941", "sport_equipment"),
    ("5942", "5943", "books_media"),
    ("5944", "5944", "jewellery_watches"),
    ("5945", "5945", "toys"),
    ("5946", "5946", "electronics"),
    ("5947", "5947", "gifts_flowers"),
    ("5948", "5948", "clothing_shoes"),
    ("5949", "5949", "hobbies"),
    ("5950", "5950", "furniture_home_equipment"),
    ("5960", "5960", "other_insurance"),
    ("5961", "5961", "marketplace"),
    ("5962", "5962", "travel_agencies"),
    ("5963", "5963", "general_merchandise"),
    ("5964", "5966", "marketplace"),
    ("5967", "5967", "uncategorised"),
    ("5968", "5968", "streaming_digital"),
    ("5969", "5969", "marketplace"),
    ("5970", "5972", "hobbies"),
    ("5973", "5973", "gifts_flowers"),
    ("5975", "5975", "optician"),
    ("5976", "5976", "pharmacy"),
    ("5977", "5977", "cosmetics_perfume"),
    ("5978", "5978", "electronics"),
    ("5983", "5983", "gas_heating"),
    ("5992", "5992", "gifts_flowers"),
    ("5993", "5994", "tobacco_press"),
    ("5995", "5995", "pets"),
    ("5996", "5996", "garden"),
    ("5997", "5997", "electronics"),
    ("5998", "5998", "garden"),
    ("5999", "5999", "general_merchandise"),
    ("6010", "6011", "cash_withdrawal"),
    ("6012", "6012", "own_account_transfer"),
    ("6051", "6051", "cash_withdrawal"),
    ("6211", "6211", "securities"),
    ("6300", "6399", "other_insurance"),
    ("6513", "6513", "rent"),
    ("7011", "7011", "hotels"),
    ("7012", "7012", "holiday_rentals"),
    ("7032", "7032", "children_activities"),
    ("7033", "7033", "holiday_rentals"),
    ("7210", "7216", "laundry_tailoring"),
    ("7217", "7217", "home_help"),
    ("7221", "7221", "professional_services"),
    ("7230", "7230", "hairdresser"),
    ("7251", "7251", "laundry_tailoring"),
    ("7261", "7261", "funeral_services"),
    ("7273", "7273", "streaming_digital"),
    ("7276", "7277", "professional_services"),
    ("7278", "7278", "general_merchandise"),
    ("7296", "7296", "clothing_shoes"),
    ("7297", "7298", "spa_wellness"),
    ("7299", "7339", "professional_services"),
    ("7342", "7342", "home_services"),
    ("7349", "7349", "home_help"),
    ("7361", "7361", "professional_services"),
    ("7372", "7375", "streaming_digital"),
    ("7379", "7379", "laundry_tailoring"),
    ("7392", "7393", "professional_services"),
    ("7394", "7394", "diy_home_improvement"),
    ("7395", "7399", "professional_services"),
    ("7511", "7511", "fuel"),
    ("7512", "7519", "vehicle_purchase_rental"),
    ("7523", "7523", "parking"),
    ("7531", "7549", "vehicle_maintenance"),
    ("7622", "7622", "laundry_tailoring"),
    ("7623", "7623", "home_services"),
    ("7629", "7641", "laundry_tailoring"),
    ("7692", "7699", "home_services"),
    ("7800", "7802", "betting_lottery"),
    ("7829", "7829", "streaming_digital"),
    ("7832", "7832", "cinema"),
    ("7841", "7841", "books_media"),
    ("7911", "7911", "sport_clubs_gyms"),
    ("7922", "7929", "concerts_shows"),
    ("7932", "7932", "nightlife"),
    ("7933", "7933", "museums_culture"),
    ("7941", "7941", "sport_clubs_gyms"),
    ("7991", "7991", "museums_culture"),
    ("7992", "7992", "sport_clubs_gyms"),
    ("7993", "7994", "video_games"),
    ("7995", "7995", "betting_lottery"),
    ("7996", "7996", "museums_culture"),
    ("7997", "7997", "sport_clubs_gyms"),
    ("7998", "7999", "museums_culture"),
    ("8011", "8011", "doctor"),
    ("8021", "8021", "dentist"),
    ("8031", "8041", "paramedical"),
    ("8042", "8042", "doctor"),
    ("8043", "8044", "optician"),
    ("8049", "8049", "paramedical"),
    ("8050", "8062", "hospital_clinic"),
    ("8071", "8071", "laboratory"),
    ("8099", "8099", "paramedical"),
    ("8111", "8111", "professional_services"),
    ("8211", "8299", "school_fees"),
    ("8351", "8351", "childcare"),
    ("8398", "8661", "charity_donations"),
    ("8675", "8675", "other_insurance"),
    ("8699", "8699", "charity_donations"),
    ("8734", "8999", "professional_services"),
    ("9211", "9211", "child_support"),
    ("9222", "9223", "fines"),
    ("9311", "9311", "income_tax"),
    ("9399", "9399", "administrative_fees"),
    ("9402", "9402", "post_courier"),
    ("9405", "9405", "administrative_fees"),
    ("9700", "9950", "uncategorised"),
)

#: The code a merchant of each subcategory usually has. Subcategories that no card
#: merchant has (income, transfers between own accounts, savings, loans, bank fees, cheques,
#: health reimbursements, pocket money, uncategorised) are absent: their movements are not
#: card payments, so no MCC is typical of them. Most codes map back to their subcategory
#: through ``MCC_RANGES``; where one code serves several subcategories (4900 for all
#: utilities, 6300 for every insurance, 5499 for every small food shop) it maps back to one
#: of them in the same level-1 category (the bundled list has no charging code, so charging
#: stations keep the service-station code 5541). Two typical codes map back to another
#: level-1 category because the card networks do not separate them: nightclubs share 5813
#: with bars, and crypto exchanges use the quasi-cash code 6051.
TYPICAL_MCC: dict[str, str] = {
    "p2p_transfer": "4829",
    "securities": "6211",
    "crypto": "6051",
    "rent": "6513",
    "building_charges": "6513",
    "diy_home_improvement": "5200",
    "garden": "5261",
    "furniture_home_equipment": "5712",
    "home_services": "1711",
    "electricity": "4900",
    "gas_heating": "4900",
    "water": "4900",
    "internet_tv": "4816",
    "mobile_phone": "4814",
    "supermarket": "5411",
    "convenience_store": "5499",
    "bakery": "5462",
    "butcher_fishmonger": "5422",
    "market_greengrocer": "5499",
    "specialty_food": "5499",
    "restaurant": "5812",
    "fast_food": "5814",
    "cafe_bar": "5813",
    "food_delivery": "5814",
    "canteen": "5812",
    "clothing_shoes": "5651",
    "electronics": "5732",
    "department_store": "5311",
    "general_merchandise": "5310",
    "marketplace": "5964",
    "books_media": "5942",
    "gifts_flowers": "5947",
    "tobacco_press": "5993",
    "pets": "5995",
    "jewellery_watches": "5944",
    "second_hand": "5931",
    "fuel": "5541",
    "ev_charging": "5541",
    "public_transport": "4111",
    "taxi_ride_hailing": "4121",
    "bike_scooter_sharing": "4789",
    "parking": "7523",
    "tolls": "4784",
    "vehicle_maintenance": "7538",
    "vehicle_purchase_rental": "5511",
    "flights": "4511",
    "trains_coaches": "4112",
    "hotels": "7011",
    "holiday_rentals": "7033",
    "travel_agencies": "4722",
    "pharmacy": "5912",
    "doctor": "8011",
    "dentist": "8021",
    "hospital_clinic": "8062",
    "optician": "8043",
    "laboratory": "8071",
    "paramedical": "8099",
    "hairdresser": "7230",
    "beauty_salon": "7230",
    "cosmetics_perfume": "5977",
    "spa_wellness": "7298",
    "cinema": "7832",
    "concerts_shows": "7922",
    "museums_culture": "7991",
    "sport_clubs_gyms": "7997",
    "sport_equipment": "5941",
    "streaming_digital": "4899",
    "video_games": "5816",
    "hobbies": "5970",
    "betting_lottery": "7995",
    "nightlife": "5813",
    "school_fees": "8299",
    "school_canteen": "8211",
    "childcare": "8351",
    "children_activities": "7032",
    "toys": "5945",
    "child_support": "9211",
    "car_insurance": "6300",
    "home_insurance": "6300",
    "health_insurance": "6300",
    "life_provident_insurance": "6300",
    "other_insurance": "6300",
    "income_tax": "9311",
    "property_housing_tax": "9311",
    "social_contributions": "9399",
    "fines": "9222",
    "administrative_fees": "9399",
    "cash_withdrawal": "6011",
    "post_courier": "9402",
    "professional_services": "8999",
    "home_help": "7349",
    "charity_donations": "8398",
    "laundry_tailoring": "7210",
    "funeral_services": "7261",
}


def _check_tables() -> tuple[list[int], list[int], list[str]]:
    """Validate ``MCC_RANGES`` and ``TYPICAL_MCC`` at import; return the bisect arrays."""
    firsts: list[int] = []
    lasts: list[int] = []
    subs: list[str] = []
    for first, last, sub in MCC_RANGES:
        if not (_MCC_PATTERN.fullmatch(first) and _MCC_PATTERN.fullmatch(last)):
            raise ValueError(f"MCC_RANGES block {first}-{last} is not two 4-digit codes")
        if sub not in SUBCATEGORIES:
            raise ValueError(f"MCC_RANGES block {first}-{last} names unknown subcategory {sub!r}")
        lo, hi = int(first), int(last)
        if lo > hi or (lasts and lo <= lasts[-1]):
            raise ValueError(f"MCC_RANGES block {first}-{last} is reversed, unsorted or overlaps")
        firsts.append(lo)
        lasts.append(hi)
        subs.append(sub)
    for sub, code in TYPICAL_MCC.items():
        if sub not in SUBCATEGORIES or not _MCC_PATTERN.fullmatch(code):
            raise ValueError(f"TYPICAL_MCC entry {sub!r}: {code!r} is not a subcategory and MCC")
    return firsts, lasts, subs


_FIRSTS, _LASTS, _SUBS = _check_tables()


def _lookup(code: int) -> str:
    i = bisect.bisect_right(_FIRSTS, code) - 1
    return _SUBS[i] if i >= 0 and code <= _LASTS[i] else _FALLBACK


def mcc_to_subcategory(mcc: str) -> str:
    """The level-2 subcategory of a 4-digit MCC (``uncategorised`` for an unassigned code).

    Raises ``DataError`` (a ``ValueError``) when ``mcc`` is not four digits.

    >>> mcc_to_subcategory("4121")
    'taxi_ride_hailing'
    """
    if not isinstance(mcc, str) or not _MCC_PATTERN.fullmatch(mcc):
        raise DataError(f"an MCC is four digits such as '5411'; got {mcc!r}")
    return _lookup(int(mcc))


def typical_mcc(subcategory: str) -> str | None:
    """The most typical MCC of a subcategory's merchants, or None when it has none.

    Raises ``KeyError`` for an id that is not in the taxonomy.

    >>> typical_mcc("salary") is None
    True
    """
    if subcategory not in SUBCATEGORIES:
        raise KeyError(f"unknown subcategory {subcategory!r}")
    return TYPICAL_MCC.get(subcategory)


def mcc_codes_of(subcategory: str) -> tuple[tuple[str, str], ...]:
    """The ``(first, last)`` MCC blocks of ``MCC_RANGES`` that map to ``subcategory``."""
    return tuple((first, last) for first, last, sub in MCC_RANGES if sub == subcategory)


@functools.cache
def _code_table() -> dict[str, str]:
    # Every 4-digit code, so that the vectorized lookup is one hash join, no range search.
    return {f"{code:04d}": _lookup(code) for code in range(10_000)}


def mcc_subcategory_expr(mcc: pl.Expr | str) -> pl.Expr:
    """A Polars expression mapping an MCC column to subcategory ids, vectorized.

    Null or malformed codes give null (the caller decides what an unusable MCC means);
    well-formed unassigned codes give ``uncategorised``.

    >>> frame = pl.DataFrame({"mcc": ["5411", None, "12"]})
    >>> frame.select(mcc_subcategory_expr("mcc"))["mcc"].to_list()
    ['supermarket', None, None]
    """
    expr = pl.col(mcc) if isinstance(mcc, str) else mcc
    table = _code_table()
    return expr.replace_strict(
        list(table), list(table.values()), default=None, return_dtype=pl.String
    )


@functools.cache
def _load_mcc_codes() -> pl.DataFrame:
    resource = files("ledgerlens.datasets").joinpath("reference", _MCC_FILE)
    try:
        raw = resource.read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(
            f"bundled MCC list {_MCC_FILE!r} is missing from ledgerlens/datasets/reference; "
            "reinstall ledgerlens or copy it from ../shared/data/mcc-codes"
        ) from None
    codes = pl.read_csv(io.BytesIO(raw), infer_schema=False)
    missing = {"mcc", "edited_description"} - set(codes.columns)
    if missing:
        raise ReferenceDataError(f"{_MCC_FILE}: missing column(s) {sorted(missing)}")
    codes = codes.select("mcc", description="edited_description")
    bad = codes.filter(~pl.col("mcc").str.contains(r"^[0-9]{4}$"))
    if bad.height:
        raise ReferenceDataError(
            f"{_MCC_FILE}: mcc must be four digits; got {bad['mcc'].head(3).to_list()}"
        )
    category = {sub: row.category for sub, row in SUBCATEGORIES.items()}
    return codes.with_columns(subcategory=mcc_subcategory_expr("mcc")).with_columns(
        category=pl.col("subcategory").replace_strict(category, return_dtype=pl.String)
    )


def load_mcc_codes() -> pl.DataFrame:
    """The bundled MCC list: ``mcc``, ``description``, ``subcategory`` and ``category``.

    Read once per process (cached); each call returns a cheap copy sharing the same
    buffers, so a caller's in-place change never leaks into another caller's frame.
    Raises ``ReferenceDataError`` when the bundled file is missing.
    """
    return _load_mcc_codes().clone()
