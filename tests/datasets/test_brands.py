"""NSI brands valid in France: the bundled table, its build and its tag mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ledgerlens.datasets import _brands
from ledgerlens.datasets._brands import (
    BRAND_COLUMNS,
    DROPPED_OSM_TAGS,
    NSI_ID_OVERRIDES,
    NSI_LABEL_SPELLINGS,
    OSM_TAG_MCC,
    OSM_TAG_SUBCATEGORY,
    build_brand_table,
    is_valid_in_france,
    load_brands,
    write_brand_table,
)
from ledgerlens.datasets._mcc import mcc_to_subcategory
from ledgerlens.exceptions import ReferenceDataError
from ledgerlens.schema import MERCHANTS, validate
from ledgerlens.taxonomy import SUBCATEGORIES, category_of

SHARED_NSI = Path(__file__).parents[2].parent / "shared" / "data" / "name-suggestion-index"
REFERENCE = Path(_brands.__file__).parent / "reference"


@pytest.fixture(scope="module")
def nsi_dir() -> Path:
    if not (SHARED_NSI / "data" / "brands").is_dir():
        pytest.skip("../shared/data/name-suggestion-index is not next to the repository")
    return SHARED_NSI


@pytest.fixture(scope="module")
def brands() -> pl.DataFrame:
    return load_brands()


def _row(brands: pl.DataFrame, name: str, osm_tag: str) -> dict[str, Any]:
    rows = brands.filter((pl.col("name") == name) & (pl.col("osm_tag") == osm_tag))
    assert rows.height == 1, f"expected one {name} under {osm_tag}, got {rows.height}"
    return rows.row(0, named=True)


def test_bundled_brands_validate_against_the_merchants_schema(brands: pl.DataFrame) -> None:
    report = validate(brands, MERCHANTS)
    assert report.ok, report.summary()


def test_bundled_brands_have_the_documented_columns_all_strings(brands: pl.DataFrame) -> None:
    assert brands.columns == list(BRAND_COLUMNS)
    assert all(dtype == pl.String for dtype in brands.dtypes)
    assert brands["aliases"].null_count() == 0
    assert brands["website"].null_count() == brands.height
    assert (brands["source"] == "nsi").all()


def test_bundled_brands_are_unique_sorted_and_of_plausible_size(brands: pl.DataFrame) -> None:
    ids = brands["merchant_id"]
    assert ids.n_unique() == brands.height
    assert ids.str.starts_with("nsi:").all()
    assert ids.to_list() == sorted(ids.to_list())
    assert 1_500 <= brands.height <= 2_500


@pytest.mark.parametrize(
    ("name", "osm_tag", "subcategory", "mcc"),
    [
        ("Carrefour", "shop=supermarket", "supermarket", "5411"),
        ("Carrefour", "amenity=fuel", "fuel", "5541"),
        ("Decathlon", "shop=sports", "sport_equipment", "5941"),
        ("McDonald's", "amenity=fast_food", "fast_food", "5814"),
        ("E.Leclerc", "shop=supermarket", "supermarket", "5411"),
        ("Boulanger", "shop=electronics", "electronics", "5732"),
        ("Sixt", "amenity=car_rental", "vehicle_purchase_rental", "7512"),
        ("Vélib' Métropole", "amenity=bicycle_rental", "bike_scooter_sharing", "4789"),
    ],
)
def test_well_known_brands_have_their_subcategory_and_mcc(
    brands: pl.DataFrame, name: str, osm_tag: str, subcategory: str, mcc: str
) -> None:
    row = _row(brands, name, osm_tag)
    assert row["subcategory"] == subcategory
    assert row["category"] == category_of(subcategory)
    assert row["mcc"] == mcc


def test_keeps_the_french_mcdonalds_entry_not_the_world_one(brands: pl.DataFrame) -> None:
    row = _row(brands, "McDonald's", "amenity=fast_food")
    assert row["merchant_id"] == "nsi:mcdonalds-e4dee6"  # NSI displayName "McDonald's (France)"
    assert (row["scope"], row["country"]) == ("fr", "FR")
    assert "nsi:mcdonalds-c9aa1b" not in brands["merchant_id"].to_list()  # world, excludes fr


def test_scope_and_country_are_consistent(brands: pl.DataFrame) -> None:
    assert set(brands["scope"]) == {"fr", "europe", "world"}
    french_only = brands.filter(pl.col("country") == "FR")
    assert set(french_only["scope"]) == {"fr"}
    assert set(brands["country"].drop_nulls()) == {"FR"}


def test_dropped_tags_never_reach_the_bundle(brands: pl.DataFrame) -> None:
    assert not set(brands["osm_tag"]) & DROPPED_OSM_TAGS
    assert "amenity=bank" not in set(brands["osm_tag"])
    assert set(brands["osm_tag"]) <= set(OSM_TAG_SUBCATEGORY)


def test_aliases_are_upper_case_and_never_repeat_the_name(brands: pl.DataFrame) -> None:
    with_aliases = brands.filter(pl.col("aliases") != "")
    assert with_aliases.height > 100
    for name, aliases in with_aliases.select("name", "aliases").iter_rows():
        parts = aliases.split("|")
        assert aliases == aliases.upper()
        assert name.upper() not in parts
        assert all(parts)
        assert parts == sorted(set(parts))


def test_each_call_returns_an_independent_frame() -> None:
    first = load_brands()
    first.drop_in_place("name")
    assert "name" in load_brands().columns


def test_missing_bundled_table_raises_reference_data_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_brands, "_BRANDS_FILE", "no_such_brands.csv")
    _brands._load_brands.cache_clear()
    try:
        with pytest.raises(ReferenceDataError, match=r"no_such_brands\.csv.*rebuild"):
            load_brands()
    finally:
        _brands._load_brands.cache_clear()


# --------------------------------------------------------------------------- mapping


def test_tag_mapping_names_known_subcategories_and_never_drops_a_mapped_tag() -> None:
    assert set(OSM_TAG_SUBCATEGORY.values()) <= set(SUBCATEGORIES)
    assert not set(OSM_TAG_SUBCATEGORY) & DROPPED_OSM_TAGS
    assert {v for v in NSI_ID_OVERRIDES.values() if v is not None} <= set(SUBCATEGORIES)


def test_tag_specific_mcc_stays_in_the_tag_level_1() -> None:
    for tag, mcc in OSM_TAG_MCC.items():
        assert category_of(mcc_to_subcategory(mcc)) == category_of(OSM_TAG_SUBCATEGORY[tag]), tag


@pytest.mark.parametrize(
    ("location_set", "scope"),
    [
        ({"include": ["fr"]}, "fr"),
        ({"include": ["fx"]}, "fr"),
        ({"include": ["re"]}, "fr"),
        ({"include": ["fr-idf.geojson"]}, "fr"),
        ({"include": ["be", "FR"]}, "fr"),
        ({"include": ["150"]}, "europe"),
        ({"include": ["001"], "exclude": ["us"]}, "world"),
        ({"include": ["001"], "exclude": ["fr"]}, None),
        ({"include": ["001"], "exclude": ["fx"]}, None),
        ({"include": ["001"], "exclude": ["fr-idf.geojson"]}, "world"),
        ({"include": ["de", "nc"]}, None),
        ({"include": [[2.2869, 48.8588]]}, "fr"),  # Paris
        ({"include": [[7.75, 48.583328, 20]]}, "fr"),  # Strasbourg
        ({"include": [[9.15, 42.15]]}, "fr"),  # Corsica
        ({"include": [[6.14, 46.2]]}, None),  # Geneva
        ({"include": [[4.38, 50.83, 11]]}, None),  # Brussels
        ({"include": [[7.85, 48.0, 10]]}, None),  # Freiburg im Breisgau
        ({"include": [[2.16, 41.41, 30]]}, None),  # Barcelona
    ],
)
def test_valid_in_france_by_code_region_or_point(
    location_set: dict[str, Any], scope: str | None
) -> None:
    assert is_valid_in_france(location_set) == scope


# --------------------------------------------------------------------------- build


def _write_nsi(root: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    (root / "config").mkdir(parents=True)
    generic = {"genericWords": ["^(shops?|stores?)$"]}
    (root / "config" / "genericWords.json").write_text(json.dumps(generic), encoding="utf-8")
    (root / "LICENSE.md").write_text("BSD-3-Clause\n", encoding="utf-8")
    for tag, items in files.items():
        key, value = tag.split("=")
        path = root / "data" / "brands" / key / f"{value}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"properties": {"exclude": {"generic": ["^boulangerie$"]}}, "items": items}
        path.write_text(json.dumps(body), encoding="utf-8")
    return root


def _item(id_: str, name: str, include: list[Any], **extra: Any) -> dict[str, Any]:
    tags = {"brand": name, "name": name, "brand:wikidata": "Q1"}
    return {"displayName": name, "id": id_, "locationSet": {"include": include}, "tags": tags,
            **extra}


def test_build_keeps_french_brands_maps_tags_and_cleans_names(tmp_path: Path) -> None:
    nsi = _write_nsi(tmp_path, {
        "shop=bakery": [
            {**_item("painfr-1", "Pain (France)", ["fr"]),
             "matchNames": ["pain co", "boulangerie", "Пекарня"],
             "tags": {"brand": "Pain", "name": "Pain", "name:fr": "Le Pain"}},
            _item("painde-1", "Brot", ["de"]),
            {**_item("world-1", "World Bread", ["001"]),
             "locationSet": {"include": ["001"], "exclude": ["fr"]}},
            {"templateSource": "brands/shop/bakery", "templateTags": {}},
        ],
        "amenity=bank": [_item("bank-1", "Banque", ["fr"])],
        "amenity=car_rental": [_item("rent-1", "Rent", ["150"])],
    })
    out = build_brand_table(nsi)
    assert out["merchant_id"].to_list() == ["nsi:painfr-1", "nsi:rent-1"]
    pain, rent = out.rows(named=True)
    assert (pain["name"], pain["subcategory"], pain["mcc"]) == ("Pain", "bakery", "5462")
    assert pain["brand_wikidata"] is None  # the item's own tags carry no wikidata id
    assert (pain["scope"], pain["country"], pain["osm_tag"]) == ("fr", "FR", "shop=bakery")
    assert pain["aliases"] == "LE PAIN|PAIN CO"  # generic, Cyrillic and the name itself dropped
    assert (rent["subcategory"], rent["mcc"], rent["scope"]) == (
        "vehicle_purchase_rental", "7512", "europe")
    assert rent["country"] is None


def test_an_organic_only_brand_is_a_specialised_food_shop_in_all_its_entries(
        tmp_path: Path) -> None:
    organic = _item("bio-1", "Bio Panier", ["fr"])
    organic["tags"] |= {"organic": "only", "brand:wikidata": "Q7"}
    plain = _item("bio-2", "Bio Panier", ["fr"])  # the same brand, listed without the tag
    plain["tags"] |= {"brand:wikidata": "Q7"}
    nsi = _write_nsi(tmp_path, {"shop=supermarket": [organic, _item("sup-1", "Super", ["fr"])],
                                "shop=convenience": [plain]})
    out = build_brand_table(nsi)
    assert dict(zip(out["merchant_id"], out["subcategory"], strict=True)) == {
        "nsi:bio-1": "specialty_food", "nsi:bio-2": "specialty_food", "nsi:sup-1": "supermarket"}


def test_former_names_and_label_spellings_are_aliases(brands: pl.DataFrame) -> None:
    aliases = dict(zip(brands["merchant_id"], brands["aliases"], strict=True))
    # the name labels know wins over NSI's new one, which stays a spelling
    nicolas = brands.filter(pl.col("merchant_id") == "nsi:maisonnicolas-44f3b7")
    assert nicolas["name"].item() == "Nicolas"
    assert "MAISON NICOLAS" in aliases["nsi:maisonnicolas-44f3b7"].split("|")
    assert "CRF MARKET" in aliases["nsi:carrefourmarket-9ebf62"].split("|")
    assert set(NSI_LABEL_SPELLINGS) <= {s.removeprefix("nsi:") for s in aliases}


def test_build_refuses_a_tag_that_is_neither_mapped_nor_dropped(tmp_path: Path) -> None:
    nsi = _write_nsi(tmp_path, {"shop=spaceships": [_item("x-1", "X", ["fr"])]})
    with pytest.raises(ReferenceDataError, match=r"'shop=spaceships' .* neither mapped nor"):
        build_brand_table(nsi)


def test_build_refuses_a_folder_without_brand_files(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="no NSI brand files"):
        build_brand_table(tmp_path)


def test_every_shared_nsi_tag_is_mapped_or_dropped(nsi_dir: Path) -> None:
    tags = {f"{p.parent.name}={p.stem}" for p in (nsi_dir / "data" / "brands").glob("*/*.json")}
    assert tags == (tags & set(OSM_TAG_SUBCATEGORY)) | (tags & DROPPED_OSM_TAGS)


def test_overrides_name_existing_nsi_ids(nsi_dir: Path) -> None:
    ids: set[str] = set()
    for path in (nsi_dir / "data" / "brands").glob("*/*.json"):
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        ids |= {item["id"] for item in items if "id" in item}
    assert set(NSI_ID_OVERRIDES) <= ids


def test_building_from_shared_data_reproduces_the_bundled_csv(
    nsi_dir: Path, brands: pl.DataFrame, tmp_path: Path
) -> None:
    output = tmp_path / "nsi_brands.csv"
    built = write_brand_table(nsi_dir, output)
    assert_frame_equal(built, brands)
    assert output.read_bytes() == (REFERENCE / "nsi_brands.csv").read_bytes()
    licence = (REFERENCE / "LICENSE-name-suggestion-index.md").read_bytes()
    assert licence == (nsi_dir / "LICENSE.md").read_bytes()
    assert (tmp_path / "LICENSE-name-suggestion-index.md").read_bytes() == licence


@pytest.mark.parametrize(("name", "subcategory", "generic"), [
    ("Pharmacie du Château", "pharmacy", True),
    ("Café du Centre", "cafe_bar", True),
    ("Royal Kebab", "fast_food", True),
    ("Laboratoire de biologie médicale", "laboratory", True),  # two spellings of one trade
    ("Pharmacie Lafayette", "pharmacy", False),  # a name of its own
    ("Maison de la Presse", "tobacco_press", False),
    ("Café du Centre", "pharmacy", False),  # another trade's word is a name here
])
def test_a_name_that_only_says_the_trade_is_generic(name: str, subcategory: str,
                                                    generic: bool) -> None:
    assert _brands.is_generic_shop_name(name, subcategory) is generic


def test_the_bundled_brands_hold_no_generic_name_without_a_brand() -> None:
    # NSI lists Pharmacie du Château for mappers, not as a chain: a label carrying it is a
    # local pharmacy, which the directory must not claim for a brand.
    brands = load_brands().filter(pl.col("brand_wikidata").is_null())
    generic = [name for name, sub in brands.select("name", "subcategory").iter_rows()
               if _brands.is_generic_shop_name(name, sub)]
    assert generic == []
