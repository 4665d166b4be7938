"""The bundled MCC list and its mapping to the level-2 taxonomy."""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import _mcc
from ledgerlens.datasets._mcc import (
    MCC_RANGES,
    TYPICAL_MCC,
    load_mcc_codes,
    mcc_codes_of,
    mcc_subcategory_expr,
    mcc_to_subcategory,
    typical_mcc,
)
from ledgerlens.exceptions import DataError, ReferenceDataError
from ledgerlens.taxonomy import SUBCATEGORIES, category_of

SHARED_MCC = Path(__file__).parents[2].parent / "shared" / "data" / "mcc-codes"
REFERENCE = Path(_mcc.__file__).parent / "reference"


def test_bundled_list_is_an_exact_copy_of_the_shared_one_with_its_licence() -> None:
    if not SHARED_MCC.is_dir():
        pytest.skip("../shared/data/mcc-codes is not next to the repository")
    bundled = (REFERENCE / "mcc_codes.csv").read_bytes()
    assert bundled == (SHARED_MCC / "mcc_codes.csv").read_bytes()
    licence = (REFERENCE / "LICENSE-mcc-codes.txt").read_bytes()
    assert licence == (SHARED_MCC / "LICENSE.txt").read_bytes()


def test_loads_every_code_as_four_digit_strings_with_known_categories() -> None:
    codes = load_mcc_codes()
    assert codes.columns == ["mcc", "description", "subcategory", "category"]
    assert all(dtype == pl.String for dtype in codes.dtypes)
    assert codes.height == 981
    assert codes["mcc"].n_unique() == codes.height
    assert codes["mcc"].str.contains(r"^[0-9]{4}$").all()
    assert codes.filter(pl.col("mcc") == "0742")["description"].item() == "Veterinary Services"
    assert set(codes["subcategory"]) <= set(SUBCATEGORIES)
    expected = [category_of(s) for s in codes["subcategory"]]
    assert codes["category"].to_list() == expected


def test_only_network_internal_codes_stay_uncategorised() -> None:
    codes = load_mcc_codes()
    left = codes.filter(pl.col("subcategory") == "uncategorised")["mcc"].to_list()
    assert left == ["5967", "9700", "9701", "9702", "9950"]


@pytest.mark.parametrize(
    ("mcc", "subcategory"),
    [
        ("3000", "flights"), ("3350", "flights"), ("3351", "vehicle_purchase_rental"),
        ("3500", "vehicle_purchase_rental"), ("3501", "hotels"), ("3999", "hotels"),
        ("5411", "supermarket"), ("5462", "bakery"), ("5812", "restaurant"),
        ("5814", "fast_food"), ("5541", "fuel"), ("5542", "fuel"),
        ("6011", "cash_withdrawal"), ("4111", "public_transport"), ("4131", "public_transport"),
        ("4112", "trains_coaches"), ("4121", "taxi_ride_hailing"), ("4784", "tolls"),
        ("7523", "parking"), ("5912", "pharmacy"), ("8011", "doctor"), ("8021", "dentist"),
        ("7230", "hairdresser"), ("4899", "streaming_digital"), ("4814", "mobile_phone"),
        ("4900", "electricity"), ("6300", "other_insurance"), ("9311", "income_tax"),
        ("5941", "sport_equipment"), ("9211", "child_support"), ("0742", "pets"),
    ],
)
def test_maps_well_known_codes_to_their_subcategory(mcc: str, subcategory: str) -> None:
    assert mcc_to_subcategory(mcc) == subcategory


def test_well_formed_code_outside_every_block_is_uncategorised() -> None:
    assert mcc_to_subcategory("0001") == "uncategorised"
    assert mcc_to_subcategory("9999") == "uncategorised"


@pytest.mark.parametrize("bad", ["541", "54111", "abcd", " 5411", ""])
def test_rejects_a_code_that_is_not_four_digits(bad: str) -> None:
    with pytest.raises(DataError, match=r"four digits .* got"):
        mcc_to_subcategory(bad)


def test_rejects_an_integer_code() -> None:
    with pytest.raises(ValueError, match="four digits"):
        mcc_to_subcategory(5411)  # type: ignore[arg-type]


def test_blocks_are_sorted_disjoint_and_name_known_subcategories() -> None:
    bounds = [(int(a), int(b)) for a, b, _ in MCC_RANGES]
    assert all(a <= b for a, b in bounds)
    assert all(prev[1] < nxt[0] for prev, nxt in itertools.pairwise(bounds))
    assert {sub for _, _, sub in MCC_RANGES} <= set(SUBCATEGORIES)
    assert mcc_codes_of("flights") == (("3000", "3350"), ("4511", "4582"))


def test_vectorized_lookup_agrees_with_the_scalar_one() -> None:
    codes = [*load_mcc_codes()["mcc"].to_list(), "0001", "9999"]
    frame = pl.DataFrame({"mcc": [*codes, None, "12", "x123"]})
    got = frame.select(mcc_subcategory_expr("mcc"))["mcc"].to_list()
    assert got == [mcc_to_subcategory(c) for c in codes] + [None, None, None]


def test_typical_codes_are_listed_and_stay_in_their_level_1_but_for_documented_cases() -> None:
    listed = set(load_mcc_codes()["mcc"])
    crossing = {
        sub for sub, code in TYPICAL_MCC.items()
        if category_of(mcc_to_subcategory(code)) != category_of(sub)
    }
    assert set(TYPICAL_MCC.values()) <= listed
    assert crossing == {"nightlife", "crypto"}


def test_typical_code_maps_back_exactly_for_single_code_subcategories() -> None:
    for sub in ("supermarket", "bakery", "restaurant", "fast_food", "fuel", "hotels",
                "flights", "pharmacy", "hairdresser", "cinema", "parking", "tolls"):
        code = typical_mcc(sub)
        assert code is not None
        assert mcc_to_subcategory(code) == sub


def test_typical_code_is_none_where_no_card_merchant_exists() -> None:
    for sub in ("salary", "own_account_transfer", "mortgage", "account_fees", "cheque"):
        assert typical_mcc(sub) is None


def test_typical_code_of_an_unknown_subcategory_raises_key_error() -> None:
    with pytest.raises(KeyError, match="groceries"):
        typical_mcc("groceries")


def test_each_call_returns_an_independent_frame() -> None:
    first = load_mcc_codes()
    first.drop_in_place("description")
    assert "description" in load_mcc_codes().columns


def test_missing_bundled_file_raises_reference_data_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_mcc, "_MCC_FILE", "no_such_file.csv")
    _mcc._load_mcc_codes.cache_clear()
    try:
        with pytest.raises(ReferenceDataError, match=r"no_such_file\.csv"):
            load_mcc_codes()
    finally:
        _mcc._load_mcc_codes.cache_clear()
