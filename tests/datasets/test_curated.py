"""The curated merchant list: online merchants, billers and payers that no OSM brand list covers."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import ledgerlens
from ledgerlens.taxonomy import SUBCATEGORIES

REFERENCE = Path(ledgerlens.__file__).parent / "datasets" / "reference"
CURATED = REFERENCE / "curated_merchants.csv"

COLUMNS = [
    "merchant_id",
    "name",
    "website",
    "subcategory",
    "mcc",
    "country",
    "kind",
    "descriptors",
    "billing",
    "cadence",
    "amount_median",
    "amount_sigma",
    "popularity",
    "creditor_id",
]
KINDS = {
    "online_retail",
    "subscription",
    "utility",
    "telecom",
    "insurer",
    "lender",
    "investment",
    "public_body",
    "intermediary",
    "transport",
    "mobility_app",
    "travel",
    "food_delivery",
    "betting",
    "charity",
    "gym",
    "service",
    "store",
    "bank",
}
BILLINGS = {"card", "direct_debit", "transfer_in", "card|direct_debit"}
CADENCES = {"monthly", "yearly", "quarterly", "irregular"}
CREDITOR_ID = re.compile(r"[A-Z]{2}[0-9]{2}ZZZ[0-9A-Z]{6}")
#: Subcategories the synthetic bank draws recurring payments from: each needs a choice.
WELL_STOCKED = (
    "streaming_digital",
    "electricity",
    "internet_tv",
    "mobile_phone",
    "home_insurance",
    "car_insurance",
    "health_insurance",
    "consumer_loan",
    "marketplace",
    "sport_clubs_gyms",
    "public_transport",
    "trains_coaches",
    "flights",
    "hotels",
    "food_delivery",
    "betting_lottery",
    "charity_donations",
    "tolls",
    "parking",
)


@pytest.fixture(scope="module")
def curated() -> pl.DataFrame:
    return pl.read_csv(
        CURATED,
        schema_overrides={
            "merchant_id": pl.String,
            "website": pl.String,
            "mcc": pl.String,
            "country": pl.String,
            "descriptors": pl.String,
            "creditor_id": pl.String,
            "amount_median": pl.Float64,
            "amount_sigma": pl.Float64,
            "popularity": pl.Float64,
        },
    )


def _ics_check_digits_valid(creditor_id: str) -> bool:
    """ISO 7064 MOD 97-10 over the national id and country code, skipping the business code."""
    country, check, national = creditor_id[:2], creditor_id[2:4], creditor_id[7:]
    digits = "".join(str(int(c, 36)) for c in national + country) + check
    return int(digits) % 97 == 1


def test_curated_list_has_the_documented_columns_in_order(curated: pl.DataFrame) -> None:
    assert curated.columns == COLUMNS


def test_curated_list_holds_at_least_300_merchants(curated: pl.DataFrame) -> None:
    assert curated.height >= 300


def test_merchant_ids_are_unique_and_prefixed_cur(curated: pl.DataFrame) -> None:
    ids = curated["merchant_id"]
    assert ids.null_count() == 0
    assert ids.n_unique() == curated.height
    assert ids.str.contains(r"^cur:[a-z0-9][a-z0-9-]*$").all()


def test_names_are_present(curated: pl.DataFrame) -> None:
    assert curated["name"].null_count() == 0
    assert (curated["name"].str.strip_chars().str.len_chars() > 0).all()


def test_every_subcategory_is_a_taxonomy_level_two_id(curated: pl.DataFrame) -> None:
    unknown = set(curated["subcategory"].unique().to_list()) - set(SUBCATEGORIES)
    assert not unknown


def test_mcc_is_four_digits_and_listed_in_the_bundled_codes(curated: pl.DataFrame) -> None:
    assert curated["mcc"].str.contains(r"^[0-9]{4}$").all()
    known = set(
        pl.read_csv(REFERENCE / "mcc_codes.csv", schema_overrides={"mcc": pl.String})["mcc"]
    )
    assert set(curated["mcc"].to_list()) <= known


def test_country_is_an_alpha_2_code(curated: pl.DataFrame) -> None:
    assert curated["country"].str.contains(r"^[A-Z]{2}$").all()


def test_kind_billing_and_cadence_take_allowed_values(curated: pl.DataFrame) -> None:
    assert set(curated["kind"].to_list()) <= KINDS
    assert set(curated["billing"].to_list()) <= BILLINGS
    assert set(curated["cadence"].to_list()) <= CADENCES


def test_descriptors_are_non_empty_upper_case_ascii_variants(curated: pl.DataFrame) -> None:
    for merchant_id, descriptors in curated.select("merchant_id", "descriptors").iter_rows():
        variants = descriptors.split("|")
        assert 1 <= len(variants) <= 5, merchant_id
        for variant in variants:
            assert variant, merchant_id
            assert variant == variant.strip(), merchant_id
            assert variant.isascii(), merchant_id
            assert variant == variant.upper(), merchant_id


def test_only_website_and_creditor_id_may_be_empty(curated: pl.DataFrame) -> None:
    required = curated.drop("website", "creditor_id")
    assert required.null_count().sum_horizontal().item() == 0


def test_amounts_are_positive_and_popularity_a_share(curated: pl.DataFrame) -> None:
    assert (curated["amount_median"] > 0).all()
    assert (curated["amount_sigma"] > 0).all()
    assert curated["popularity"].is_between(0.0, 1.0).all()


def test_direct_debit_merchants_carry_a_well_formed_creditor_id(curated: pl.DataFrame) -> None:
    debited = curated.filter(pl.col("billing").str.contains("direct_debit"))
    assert debited.height > 0
    for merchant_id, creditor_id in debited.select("merchant_id", "creditor_id").iter_rows():
        assert creditor_id is not None, merchant_id
        assert CREDITOR_ID.fullmatch(creditor_id), merchant_id
        assert _ics_check_digits_valid(creditor_id), merchant_id


def test_only_direct_debit_merchants_carry_a_creditor_id(curated: pl.DataFrame) -> None:
    others = curated.filter(~pl.col("billing").str.contains("direct_debit"))
    assert others["creditor_id"].null_count() == others.height


def test_creditor_id_check_digits_follow_iso_7064() -> None:
    assert _ics_check_digits_valid("FR72ZZZ123456")
    assert not _ics_check_digits_valid("FR73ZZZ123456")


@pytest.mark.parametrize("subcategory", WELL_STOCKED)
def test_recurring_subcategories_offer_at_least_three_merchants(
    curated: pl.DataFrame, subcategory: str
) -> None:
    assert curated.filter(pl.col("subcategory") == subcategory).height >= 3


def test_streaming_subscriptions_are_card_paid_and_plentiful(curated: pl.DataFrame) -> None:
    streaming = curated.filter(
        (pl.col("subcategory") == "streaming_digital") & (pl.col("kind") == "subscription")
    )
    assert streaming.height >= 25
    assert streaming["billing"].str.contains("card").all()
    assert set(streaming["cadence"].to_list()) <= {"monthly", "yearly"}


def test_p2p_apps_are_intermediaries_under_p2p_transfer(curated: pl.DataFrame) -> None:
    p2p = curated.filter(pl.col("subcategory") == "p2p_transfer")
    assert {"cur:lydia", "cur:paylib", "cur:wero"} <= set(p2p["merchant_id"].to_list())
    assert (p2p["kind"] == "intermediary").all()
