"""Brands valid in France, built from the OpenStreetMap name-suggestion-index (NSI).

NSI lists chain brands per OSM tag (``brands/shop/bakery.json``) with where they trade.
``build_brand_table`` keeps those a card holder in France can pay, maps each tag to a
level-2 subcategory and writes rows of the ``merchants`` table (plus ``osm_tag``, ``scope``
and ``aliases``); ``python -m ledgerlens.datasets._brands ../shared/data/name-suggestion-index``
rebuilds the bundled ``reference/nsi_brands.csv`` and ``load_brands`` reads it back.

>>> OSM_TAG_SUBCATEGORY["shop=bakery"]
'bakery'
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens.datasets._mcc import TYPICAL_MCC
from ledgerlens.datasets._nsi_tags import (
    DROPPED_OSM_TAGS,
    NSI_ID_OVERRIDES,
    NSI_LABEL_SPELLINGS,
    NSI_NAME_OVERRIDES,
    ORGANIC_FROM,
    OSM_TAG_MCC,
    OSM_TAG_SUBCATEGORY,
)
from ledgerlens.exceptions import ReferenceDataError
from ledgerlens.schema import MERCHANTS, validate
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = [
    "BRAND_COLUMNS",
    "DROPPED_OSM_TAGS",
    "NSI_ID_OVERRIDES",
    "NSI_LABEL_SPELLINGS",
    "OSM_TAG_MCC",
    "OSM_TAG_SUBCATEGORY",
    "build_brand_table",
    "is_generic_shop_name",
    "is_valid_in_france",
    "load_brands",
    "write_brand_table",
]

_BRANDS_FILE = "nsi_brands.csv"
_LICENSE_FILE = "LICENSE-name-suggestion-index.md"

#: Output columns, in order: the ``merchants`` columns, then what only NSI brands carry.
BRAND_COLUMNS: dict[str, pl.DataType] = {
    **{c.name: c.dtype for c in MERCHANTS.columns},
    "osm_tag": pl.String(),
    "scope": pl.String(),
    "aliases": pl.String(),
}

# Location codes (NSI's location-conflation) that are France: the country, metropolitan
# France (fx), the overseas departments and the euro-using collectivities. New Caledonia,
# French Polynesia and Wallis-and-Futuna (XPF, own banking system) are left out.
_FRANCE_CODES = frozenset({"fr", "fx", "gp", "mq", "gf", "re", "yt", "pm", "bl", "mf"})
_FRENCH_REGION = re.compile(r"fr-[a-z]+\.geojson")
_SCOPE_CODES = {"150": "europe", "001": "world"}

# Coarse (about 20 km) outline of metropolitan France and Corsica as (lon, lat), only used
# for the few local brands (city bike schemes) NSI locates by a point instead of a code.
_MAINLAND = (
    (2.55, 51.09), (3.15, 50.78), (3.3, 50.52), (3.7, 50.37), (4.2, 50.3), (4.85, 50.15),
    (4.75, 49.95), (5.1, 49.75), (5.8, 49.55), (6.1, 49.46), (6.4, 49.46), (6.7, 49.2),
    (7.1, 49.12), (7.6, 49.08), (8.2, 48.97), (7.8, 48.58), (7.57, 48.1), (7.58, 47.6),
    (7.1, 47.5), (6.95, 47.45), (6.45, 46.95), (6.1, 46.57), (6.0, 46.15), (6.3, 46.25),
    (6.5, 46.4), (6.8, 46.38), (7.04, 45.92), (6.8, 45.7), (7.15, 45.4), (6.63, 45.1),
    (7.0, 44.7), (6.9, 44.35), (7.7, 44.15), (7.53, 43.78), (7.0, 43.45), (6.5, 43.1),
    (5.9, 43.05), (5.3, 43.2), (4.6, 43.35), (3.7, 43.35), (3.1, 43.05), (3.17, 42.45),
    (2.5, 42.35), (1.78, 42.45), (1.78, 42.6), (1.42, 42.65), (0.7, 42.85), (-0.3, 42.8),
    (-1.0, 43.05), (-1.78, 43.37), (-1.25, 44.6), (-1.2, 45.7), (-2.2, 46.9), (-2.8, 47.45),
    (-4.4, 47.8), (-4.8, 48.4), (-4.4, 48.7), (-3.0, 48.85), (-1.4, 48.65), (-1.95, 49.7),
    (-1.2, 49.65), (-0.2, 49.3), (0.1, 49.5), (1.4, 50.1), (1.6, 50.9), (1.9, 51.0),
)
_CORSICA = ((8.5, 41.35), (9.6, 41.35), (9.6, 43.05), (8.5, 43.05))

_NAME_TAGS = (
    "brand", "brand:fr", "brand:en", "brand:short", "name", "name:fr", "name:en",
    "short_name", "alt_name", "official_name", "official_name:fr",
    "old_name",  # shop fronts and card terminals keep a former name for years (NICOLAS)
)
_DISAMBIGUATOR = re.compile(r"^(?P<base>.+?)\s*\([^()]*\)$")


def _in_polygon(lon: float, lat: float, polygon: Sequence[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, (*polygon[1:], polygon[0]), strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _is_french(location: Any) -> bool:
    if isinstance(location, str):
        code = location.lower()
        return code in _FRANCE_CODES or bool(_FRENCH_REGION.fullmatch(code))
    if isinstance(location, list) and len(location) >= 2:
        lon, lat = float(location[0]), float(location[1])
        return _in_polygon(lon, lat, _MAINLAND) or _in_polygon(lon, lat, _CORSICA)
    return False


def is_valid_in_france(location_set: dict[str, Any]) -> str | None:
    """The scope that makes an NSI ``locationSet`` valid in France, or None when it is not.

    ``"fr"`` when France (or a French region, overseas department or point) is listed,
    else ``"europe"`` for ``150`` or ``"world"`` for ``001``; None when France, metropolitan
    France, Europe or the world is excluded.

    >>> is_valid_in_france({"include": ["001"], "exclude": ["us"]})
    'world'
    >>> is_valid_in_france({"include": ["001"], "exclude": ["fr"]}) is None
    True
    """
    exclude = {str(c).lower() for c in location_set.get("exclude", []) if isinstance(c, str)}
    if exclude & {"fr", "fx", "150", "001"}:
        return None
    include = location_set.get("include", [])
    if any(_is_french(c) for c in include):
        return "fr"
    codes = {c.lower() for c in include if isinstance(c, str)}
    for code, scope in _SCOPE_CODES.items():
        if code in codes:
            return scope
    return None


def _display_name(item: dict[str, Any]) -> str:
    # "McDonald's (France)" -> "McDonald's": NSI adds a parenthesis to tell entries apart.
    if item.get("id") in NSI_NAME_OVERRIDES:
        return NSI_NAME_OVERRIDES[item["id"]]
    name = str(item["displayName"]).strip()
    match = _DISAMBIGUATOR.match(name)
    tags = item.get("tags", {})
    if match and match["base"] in {tags.get("brand"), tags.get("name")}:
        return match["base"]
    return name


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _aliases(item: dict[str, Any], name: str, generic: Sequence[re.Pattern[str]]) -> str:
    """Other spellings a bank label may carry, upper-cased, sorted, joined by "|"."""
    tags = item.get("tags", {})
    raw: list[str] = [*item.get("matchNames", []), *NSI_LABEL_SPELLINGS.get(item["id"], ())]
    for key in _NAME_TAGS:
        raw.extend(str(tags.get(key, "")).split(";"))
    seen = {name.upper()}
    out: set[str] = set()
    for alias in raw:
        text = " ".join(alias.replace("|", " ").split())
        if not text or not _is_latin(text) or any(p.search(text) for p in generic):
            continue
        upper = text.upper()
        if upper not in seen:
            out.add(upper)
    return "|".join(sorted(out))


@functools.cache
def _name_fillers() -> frozenset[str]:
    """The particles and words owners add to a trade word (``DU``, ``CENTRE``, ``CHATEAU``,
    ``ROYAL``)."""
    from ledgerlens.datasets._vocab import load_name_words

    filler = set(_PARTICLES)
    for words in load_name_words()["word"].to_list():
        filler.update(words.split())
    return frozenset(filler)


_PARTICLES = ("DE", "DU", "DES", "D", "LA", "LE", "LES", "L", "A", "AU", "AUX", "ET")


def is_generic_shop_name(name: str, subcategory: str) -> bool:
    """Whether ``name`` only says what the shop is: a spelling of its own trade and the
    particles, places and adjectives owners add (``Pharmacie du Château``, ``Café du Centre``,
    ``Royal Kebab``, ``Laboratoire de biologie médicale``). NSI lists such names without a
    brand so that mappers tag the many independent shops carrying them; in a bank label they
    name a local shop, never a chain.

    >>> is_generic_shop_name("Pharmacie du Château", "pharmacy")
    True
    >>> is_generic_shop_name("Pharmacie Lafayette", "pharmacy")
    False
    """
    from ledgerlens.datasets._vocab import trade_spellings

    spellings, filler = trade_spellings(), _name_fillers()
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    tokens = re.sub(r"[^A-Z0-9]+", " ", plain).split()
    # reach[i]: the ways the first i words can be read (False: fillers only, True: with
    # a trade spelling); the name is generic when all its words read with one.
    reach: list[set[bool]] = [{False}] + [set() for _ in tokens]
    for i in range(len(tokens)):
        if not reach[i]:
            continue
        if tokens[i] in filler:
            reach[i + 1] |= reach[i]
        for j in range(i + 1, len(tokens) + 1):
            if subcategory in spellings.get(" ".join(tokens[i:j]), ()):
                reach[j].add(True)
    return True in reach[len(tokens)]


def _compile(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"cannot read NSI file {path}: {exc}") from exc


def build_brand_table(nsi_dir: Path) -> pl.DataFrame:
    """Read every NSI brand file under ``nsi_dir`` and return the brands valid in France.

    One row per NSI item (``merchant_id`` = ``"nsi:" + id``), sorted by ``merchant_id``,
    in ``BRAND_COLUMNS``; validated against ``MERCHANTS`` (raises ``SchemaValidationError``).
    A tag neither mapped nor dropped raises ``ReferenceDataError``, so that a new NSI
    category is a decision, not a silent loss.
    """
    nsi_dir = Path(nsi_dir)
    brand_dir = nsi_dir / "data" / "brands"
    paths = sorted(brand_dir.glob("*/*.json"))
    if not paths:
        raise ReferenceDataError(f"no NSI brand files under {brand_dir}")
    generic_words = _read_json(nsi_dir / "config" / "genericWords.json")["genericWords"]
    word_patterns = _compile(generic_words)
    rows: list[dict[str, str | None]] = []
    organic: set[str] = set()  # brands (wikidata, else NSI id) that sell organic food only
    for path in paths:
        tag = f"{path.parent.name}={path.stem}"
        if tag in DROPPED_OSM_TAGS:
            continue
        if tag not in OSM_TAG_SUBCATEGORY:
            raise ReferenceDataError(f"NSI tag {tag!r} ({path}) is neither mapped nor dropped")
        data = _read_json(path)
        exclude = data.get("properties", {}).get("exclude", {})
        generic = word_patterns + _compile(exclude.get("generic", []))
        for item in data.get("items", []):
            if "id" not in item or "locationSet" not in item:
                continue  # template entries that copy another file
            scope = is_valid_in_france(item["locationSet"])
            if scope is None:
                continue
            sub = NSI_ID_OVERRIDES.get(item["id"], OSM_TAG_SUBCATEGORY[tag])
            name = _display_name(item)
            if sub is None or any(p.search(name) for p in word_patterns):
                continue
            include = item["locationSet"].get("include", [])
            wikidata = item.get("tags", {}).get("brand:wikidata")
            if not wikidata and is_generic_shop_name(name, sub):
                continue
            if item.get("tags", {}).get("organic") == "only":
                organic.add(wikidata or f"nsi:{item['id']}")
            rows.append({
                "merchant_id": f"nsi:{item['id']}",
                "name": name,
                "brand_wikidata": wikidata if wikidata else None,
                "website": None,
                "category": SUBCATEGORIES[sub].category,
                "subcategory": sub,
                "mcc": OSM_TAG_MCC.get(tag) if sub == OSM_TAG_SUBCATEGORY[tag] else None,
                "country": "FR" if all(_is_french(c) for c in include) else None,
                "source": "nsi",
                "osm_tag": tag,
                "scope": scope,
                "aliases": _aliases(item, name, generic),
            })
    frame = (
        pl.DataFrame(rows, schema=BRAND_COLUMNS)
        .with_columns(_organic_shops(organic))
        .with_columns(
            mcc=pl.coalesce(
                "mcc",
                pl.col("subcategory").replace_strict(TYPICAL_MCC, default=None,
                                                     return_dtype=pl.String),
            ),
        )
        .sort("merchant_id")
    )
    validate(frame, MERCHANTS).raise_for_errors()
    return frame


def _organic_shops(organic: set[str]) -> pl.Expr:
    """The taxonomy files organic shops under ``specialty_food``: a brand tagged
    ``organic=only`` in any of its entries (Biocoop is listed as a supermarket with the tag
    and as a convenience store without it) leaves supermarkets and convenience stores."""
    brand = pl.coalesce("brand_wikidata", "merchant_id")
    return pl.when(brand.is_in(sorted(organic))
                   & pl.col("subcategory").is_in(sorted(ORGANIC_FROM))).then(
        pl.lit("specialty_food")).otherwise(pl.col("subcategory")).alias("subcategory")


def _reference_dir() -> Path:
    return Path(__file__).resolve().parent / "reference"


def write_brand_table(nsi_dir: Path, output: Path | None = None) -> pl.DataFrame:
    """Build the brand table, write it as UTF-8 CSV and copy the NSI licence beside it."""
    output = output or _reference_dir() / _BRANDS_FILE
    frame = build_brand_table(nsi_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(output)
    shutil.copyfile(Path(nsi_dir) / "LICENSE.md", output.parent / _LICENSE_FILE)
    return frame


@functools.cache
def _load_brands() -> pl.DataFrame:
    resource = files("ledgerlens.datasets").joinpath("reference", _BRANDS_FILE)
    try:
        raw = resource.read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(
            f"bundled brand table {_BRANDS_FILE!r} is missing from ledgerlens/datasets/reference; "
            "rebuild it with: python -m ledgerlens.datasets._brands "
            "../shared/data/name-suggestion-index"
        ) from None
    frame = pl.read_csv(io.BytesIO(raw), infer_schema=False)  # every column is a string
    if frame.columns != list(BRAND_COLUMNS):
        raise ReferenceDataError(
            f"bundled brand table {_BRANDS_FILE!r} has columns {frame.columns}; "
            f"expected {list(BRAND_COLUMNS)}"
        )
    return frame.cast(pl.Schema(BRAND_COLUMNS)).with_columns(pl.col("aliases").fill_null(""))


def load_brands() -> pl.DataFrame:
    """The bundled NSI brands valid in France (``BRAND_COLUMNS``), one row per brand and tag.

    Read once per process (cached); each call returns a cheap copy sharing the same
    buffers, so a caller's in-place change never leaks into another caller's frame.
    Raises ``ReferenceDataError`` when the bundled file is missing.
    """
    return _load_brands().clone()


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild ``reference/nsi_brands.csv`` from an NSI checkout and print a summary."""
    parser = argparse.ArgumentParser(prog="python -m ledgerlens.datasets._brands",
                                     description=main.__doc__)
    parser.add_argument("nsi_dir", type=Path, help="name-suggestion-index folder")
    parser.add_argument("--output", type=Path, default=None, help="CSV to write")
    args = parser.parse_args(argv)
    frame = write_brand_table(args.nsi_dir, args.output)
    counts = frame.group_by("category").len().sort(["len", "category"],
                                                     descending=[True, False])
    print(f"{frame.height} brands valid in France")
    for category, n in counts.iter_rows():
        print(f"  {category:<20} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
