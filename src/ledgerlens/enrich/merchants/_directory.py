"""The merchant directory: known merchants (NSI brands, curated list) and their aliases.

A bank label spells a merchant in many ways (``E.LECLERC``, ``E LECLERC``, ``LECLERC``,
``H&M``, ``H ET M``, ``INTERMARCHESUPER``). The directory stores each merchant once and
every normalized spelling as an *alias* row, with how many merchants share it, so that the
matcher can join label n-grams against the aliases in one hash join.

>>> d = MerchantDirectory.default()
>>> "E LECLERC" in set(d.aliases["alias"].to_list())
True
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl

from ledgerlens.datasets._brands import load_brands
from ledgerlens.datasets._foreign import foreign_trade_words
from ledgerlens.datasets._vocab import (
    STATION_WORDS,
    load_english_words,
    load_first_names,
    load_last_names,
    load_listed_merchants,
    load_local_trades,
    load_name_words,
    load_places,
    trade_spellings,
)
from ledgerlens.exceptions import DataError
from ledgerlens.taxonomy import SUBCATEGORIES

_T = TypeVar("_T")

__all__ = [
    "DIRECTORY_COLUMNS",
    "LINE_LEAD_CATEGORIES",
    "MONEY_IN_LINES",
    "NAME_PARTICLES",
    "OTHER_LINE_CATEGORIES",
    "PERSON_TITLES",
    "MerchantDirectory",
    "alias_variants",
    "canonical_text",
    "canonical_text_expr",
    "display_name",
    "display_name_expr",
    "english_words",
    "foreign_lead_categories",
    "lead_word_categories",
    "line_lead_subcategories",
    "trade_lead_categories",
    "trade_word_subcategories",
    "trail_word_categories",
    "trail_word_lines",
]

#: Columns of ``MerchantDirectory.to_frame()``.
DIRECTORY_COLUMNS: dict[str, pl.DataType] = {
    "merchant_id": pl.String(), "name": pl.String(), "website": pl.String(),
    "category": pl.String(), "subcategory": pl.String(), "mcc": pl.String(),
    "country": pl.String(), "source": pl.String(), "brand": pl.String(), "kind": pl.String(),
    "is_online": pl.Boolean(), "is_intermediary": pl.Boolean(),
    "brand_key": pl.String(), "aliases": pl.List(pl.String()),
    # whether the merchant takes card payments: False for curated entries billed only by
    # direct debit or transfer (an energy supplier, a tax office); null when not known
    "card_billing": pl.Boolean(),
}

#: Lines of business that pay the customer (a benefits office, a health insurer's refunds):
#: a direct debit or card payment is never theirs (MGEN's contributions, not its refunds).
MONEY_IN_LINES: frozenset[str] = frozenset(
    [k for k, v in SUBCATEGORIES.items() if v.category == "income"] + ["health_reimbursement"])


def business_key() -> pl.Expr:
    """One business behind several brands: brands whose curated entries share a web site
    (an insurer's car and home lines, the tax office's taxes) are one, keyed by the site;
    any other brand is its own (``brand_key``). Never finer than the brand."""
    site = pl.when(pl.col("source") == "curated").then(pl.col("website"))
    return (pl.coalesce(pl.lit("web:") + site.min().over("brand_key"), pl.col("brand_key"))
            .alias("business_key"))


# Origin of an alias: the merchant's display name, a listed spelling, its web site.
ORIGIN_NAME, ORIGIN_LISTED, ORIGIN_WEBSITE = 0, 1, 2
_ONLINE_KINDS = frozenset({"online_retail", "food_delivery", "travel", "betting", "charity",
                           "subscription", "mobility_app"})
_PAREN = re.compile(r"\s*\([^()]*\)")
# Letters that Unicode does not decompose into a base letter and a mark (Søstrene Grene
# is written SOSTRENE in labels).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o",
                            "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d",
                            "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i"})
_NOT_KEPT = re.compile(r"[^A-Z0-9&]+")
_JOINERS = re.compile(r"[.'’`\-]")
_APOSTROPHES = re.compile(r"['’]")
_OTHER_JOINERS = re.compile(r"[.`\-]")
# Words of French bank labels and company names that carry no merchant identity.
_BANK_WORDS = (
    "CB CARTE CARTES PAIEMENT PAIEMENTS PAR SANS CONTACT ACHAT ACHATS FACTURE FACT FACTURES "
    "PRLV PRELEVEMENT PRELEVEMENTS SEPA EUROPEEN VIR VIREMENT VIREMENTS RECU EMIS INST "
    "INSTANTANE PERMANENT RETRAIT RETRAITS DAB GAB ESPECES VERSEMENT CHEQUE CHQ REMISE "
    "AVOIR REMB REMBOURSEMENT ANNULATION ANNUL EXTOURNE FRAIS COMMISSION COTISATION "
    "ECHEANCE PRET INTERETS AGIOS DE DU DES LA LE LES L D A AU AUX ET EN POUR VERS SUR "
    "MOTIF REF MDT MANDAT ID EMETTEUR NUMERO NO N LE DATE SA SAS SARL SASU EURL SCI "
    "SOCIETE STE ETS CIE FRANCE PARIS EURO EUR HORS ZONE MOBILE PAY WWW COM FR NET "
    "CLIENT CLIENTS PARTICULIERS SERVICE SERVICES MAGASIN CENTRE "
    # shop words a label may put before a chain's name (SUPERMARCHE CASINO, PEAGE APRR)
    "SUPERMARCHE HYPERMARCHE DRIVE PEAGE AUTOROUTE "
    # what a loan or a letting is for (ECHEANCE PRET IMMOBILIER: no cut IMMOBILIERE 3F)
    "IMMOBILIER IMMOBILIERE"
)


#: The months, which a transfer's motif names (``LOYER AVRIL``): in a transfer they are no
#: brand's name (Avril's), as a person's name is not (``name_like``).
MONTHS = frozenset({"JANVIER", "FEVRIER", "MARS", "AVRIL", "MAI", "JUIN", "JUILLET", "AOUT",
                    "SEPTEMBRE", "OCTOBRE", "NOVEMBRE", "DECEMBRE"})


def canonical_text(text: str) -> str:
    """Upper case, accents and ligatures folded, ``&`` kept as a word, other marks as spaces.

    >>> canonical_text("E.Leclerc Cœur d'Alène & Co")
    'E LECLERC COEUR D ALENE & CO'
    """
    folded = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).upper()
    return " ".join(_NOT_KEPT.sub(" ", plain.replace("&", " & ")).split())


def canonical_text_expr(expr: pl.Expr) -> pl.Expr:
    """``canonical_text`` as a vectorized Polars expression (null stays null)."""
    return (
        expr.str.replace_all("[œŒ]", "OE").str.replace_all("[æÆ]", "AE")
        .str.replace_all("ß", "SS")
        .str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
        .str.replace_all("&", " & ", literal=True)
        .str.replace_all(r"[^A-Z0-9&]+", " ")
        .str.strip_chars()
    )


def alias_variants(spelling: str) -> list[tuple[str, bool]]:
    """Normalized spellings a label may carry for one written form, with ``derived`` flags.

    The canonical form first (not derived), then: punctuation glued instead of spaced
    (``ELECLERC``), ``&`` as ``ET``, ``AND`` or dropped (``H ET M``, ``MARKS AND SPENCER``,
    ``H M``), the words squashed
    together (``INTERMARCHESUPER``) and a leading initial dropped (``LECLERC``). Apostrophes
    dropped are as much the name's spelling as spaces (``MCDONALDS``, ``DOMINOS``: what card
    labels write), not a derived one.

    >>> [v for v, _ in alias_variants("E.Leclerc")]
    ['E LECLERC', 'ELECLERC', 'LECLERC']
    >>> alias_variants("McDonald's")
    [('MCDONALD S', False), ('MCDONALDS', False), ('MC DONALD S', False), ('MC DONALDS', False)]
    """
    base = canonical_text(spelling)
    if not base:
        return []
    out: dict[str, bool] = {base: False}
    glued = canonical_text(_JOINERS.sub("", spelling))
    if _APOSTROPHES.search(spelling) and not _OTHER_JOINERS.search(spelling):
        out.setdefault(glued, False)
    forms = [base, glued]
    if "&" in base:
        forms += [" ".join(f.replace("&", word).split()) for f in (base, glued)
                  for word in ("ET", "AND")]
        forms += [" ".join(f.replace("&", " ").split()) for f in (base, glued)]
    for form in forms:
        out.setdefault(form, True)
        tokens = form.split()
        squashed = "".join(tokens)
        if len(tokens) > 1 and len(squashed) >= 6 and "&" not in squashed:
            out.setdefault(squashed, True)
        if len(tokens) > 1 and len(tokens[0]) == 1 and tokens[1] not in ("&", "ET", "AND"):
            rest = " ".join(tokens[1:])
            if len(rest) >= 4:
                out.setdefault(rest, True)
    # Mc and Mac names as card labels split them (``MC DONALD S``, ``MC DONALDS``).
    for form, derived in list(out.items()):
        split = _MC_NAME.sub(r"\1 \2", form)
        if split != form:
            out.setdefault(split, derived)
    return [(form, derived) for form, derived in out.items() if form and form != "&"]


_MC_NAME = re.compile(r"^(MC)([A-Z]{4,})")


def _split(values: str | None) -> list[str]:
    return [v for v in (values or "").split("|") if v.strip()]


def display_name(name: str) -> str:
    """A merchant's name as labels and people say it: ``MAE (assurance scolaire)`` -> ``MAE``,
    ``Orange (mobile)`` -> ``Orange``. The parenthesis tells a brand's directory entries
    apart (its lines, its town); ``merchant_id`` and the subcategory keep that."""
    return _PAREN.sub("", name).strip() or name


def display_name_expr(names: pl.Expr) -> pl.Expr:
    """:func:`display_name` of a column."""
    shown = names.str.replace_all(_PAREN.pattern, "").str.strip_chars()
    return pl.when(shown == "").then(names).otherwise(shown)


def _brand_rows() -> pl.DataFrame:
    brands = load_brands()
    return brands.select(
        "merchant_id", "name", "website", "category", "subcategory", "mcc", "country",
        source=pl.lit("nsi"),
        brand=pl.coalesce("brand_wikidata", "merchant_id"),
        kind=pl.col("osm_tag"),
        is_online=pl.lit(False),
        is_intermediary=pl.lit(False),
        listed=pl.col("aliases").str.split("|"),
        card_billing=pl.lit(None, dtype=pl.Boolean),
    )


def _curated_rows() -> pl.DataFrame:
    cur = load_listed_merchants()
    category = {k: v.category for k, v in SUBCATEGORIES.items()}
    return cur.select(
        "merchant_id", "name",
        website=pl.when(pl.col("website") == "").then(None).otherwise(pl.col("website")),
        category=pl.col("subcategory").replace_strict(category, default=None,
                                                      return_dtype=pl.String),
        subcategory="subcategory", mcc="mcc", country="country",
        source=pl.lit("curated"),
        brand=pl.col("merchant_id"),
        kind="kind",
        is_online=pl.col("kind").is_in(sorted(_ONLINE_KINDS)),
        is_intermediary=pl.col("kind") == "intermediary",
        listed=pl.col("descriptors").str.split("|"),
        card_billing=pl.col("billing").str.split("|").list.contains("card"),
    )


def _website_spellings(website: str | None) -> list[str]:
    """``www.amazon.fr`` -> ``AMAZON.FR`` and, when distinctive enough, ``AMAZON``."""
    if not website:
        return []
    host = website.lower().removeprefix("https://").removeprefix("http://")
    host = host.split("/")[0].removeprefix("www.")
    stem = host.rsplit(".", 1)[0]
    out = [host]
    if len(stem) >= 5 and "." not in stem:
        out.append(stem)
    return out


def _brand_keys(merchants: pl.DataFrame) -> pl.Series:
    """Group merchants a label cannot tell apart: same brand (wikidata id), or the same
    spelling (display name or listed) in the same category, a fuel station counting as a
    grocer (Intermarché's stations list ``INTERMARCHE SUPER``, the name of its supermarkets).
    Union-find over the few thousand merchants; each group is keyed by its smallest
    ``merchant_id``."""
    ids = merchants["merchant_id"].to_list()
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str, str], int] = {}
    rows = merchants.select("brand", "merchant_id", "name", "category", "subcategory",
                            "listed").iter_rows()
    for i, (brand, merchant_id, name, category, subcategory, listed) in enumerate(rows):
        keys = [("brand", brand or merchant_id, "")]
        # A chain's fuel stations under its name are the chain (Casino, Netto: NSI gives
        # their stations another wikidata brand, or none), as for every other grocer.
        family = "groceries" if subcategory == "fuel" else category
        keys.append(("text", canonical_text(display_name(name or "")), family or ""))
        keys += [("text", canonical_text(x), family or "") for x in (listed or []) if x]
        for key in keys:
            if not key[1]:
                continue
            j = first.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, str] = {}
    for i, merchant_id in enumerate(ids):
        root = find(i)
        if root not in groups or merchant_id < groups[root]:
            groups[root] = merchant_id
    return pl.Series("brand_key", [groups[find(i)] for i in range(len(ids))], dtype=pl.String)


def _site_owners(rows: list[tuple[Any, ...]]) -> dict[str, tuple[int, ...]]:
    """Web sites several merchants share -> the merchants that spell it: those whose display
    name is the site's name (``Amazon`` for amazon.fr, not ``Kindle Unlimited``, whose labels
    read ``AMAZON KINDLE``); all of them when none is."""
    by_site: dict[str, list[tuple[int, str]]] = {}
    for idx, name, website, _ in rows:
        if website:
            by_site.setdefault(website, []).append((idx, canonical_text(display_name(name or ""))))
    owners: dict[str, tuple[int, ...]] = {}
    for website, members in by_site.items():
        if len(members) < 2:
            continue
        spellings = {canonical_text(s) for s in _website_spellings(website)}
        named = tuple(idx for idx, name in members if name in spellings)
        owners[website] = named or tuple(idx for idx, _ in members)
    return owners


_AFTER_INITIAL = re.compile(r"^[A-Za-z]\.\s*([A-Za-z]{5,}(?:\s.*)?)$")


#: A company's legal form alone is no brand's spelling: ``SUMUP *SAS LE DU`` is a shop whose
#: name the line cut, not the shoe brand SAS (San Antonio Shoes). SPA stays: the animal
#: protection society's name.
_LEGAL_FORMS = frozenset({"SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SELARL",
                          "GMBH", "LTD", "BV"})


def _alias_rows(merchants: pl.DataFrame) -> pl.DataFrame:
    """One row per (alias, merchant): loops over the few thousand merchants, not labels."""
    alias_col: list[str] = []
    idx_col: list[int] = []
    origin_col: list[int] = []
    derived_col: list[bool] = []
    rows = list(merchants.select("merchant_idx", "name", "website", "listed").iter_rows())
    site_owners = _site_owners(rows)
    nsi = set(merchants.filter(pl.col("source") == "nsi")["merchant_idx"].to_list())
    fuel = set(merchants.filter(pl.col("subcategory") == "fuel")["merchant_idx"].to_list())
    trade = _trade_words()
    for idx, name, website, listed in rows:
        sources = [(display_name(name or ""), ORIGIN_NAME)]
        # The index's other spellings may be what the shop is, not its name (E.Leclerc's
        # stations list STATION-SERVICE, Pret A Manger PRET): not spellings of the brand.
        sources += [(s, ORIGIN_LISTED) for s in (listed or []) if s and s.strip()
                    and not (idx in nsi and set(canonical_text(s).split()) <= trade)]
        # A station's name and a station word spell that station, not the brand's shops (a
        # bare E.LECLERC is the supermarket; E.LECLERC STATION had read as one all the same).
        if idx in fuel:
            sources += [(f"{text} {word}", ORIGIN_LISTED) for text, _ in list(sources)
                        for word in STATION_WORDS]
        if idx in site_owners.get(website, (idx,)):
            sources += [(s, ORIGIN_WEBSITE) for s in _website_spellings(website)]
        seen: dict[str, tuple[int, bool]] = {}
        for text, origin in sources:
            for form, derived in alias_variants(text):
                if origin == ORIGIN_WEBSITE and derived and " " not in form:
                    continue  # a squashed domain name is no spelling a bank writes
                best = seen.get(form)
                if best is None or (origin, derived) < best:
                    seen[form] = (origin, derived)
        # A name after its founder's initial is what labels write (E.Leclerc -> LECLERC):
        # the name's own spelling, not a derived one.
        initial = _AFTER_INITIAL.match(display_name(name or ""))
        if initial is not None:
            bare = canonical_text(initial.group(1))
            if seen.get(bare) == (ORIGIN_NAME, True):
                seen[bare] = (ORIGIN_NAME, False)
        for form, (origin, derived) in seen.items():
            # A number is no spelling a label can be trusted on: the US stations 76 were
            # found in a telephone number (``... 06 89 26 80 76``), 711 is a store number.
            if form in _LEGAL_FORMS or form.replace(" ", "").isdigit():
                continue
            alias_col.append(form)
            idx_col.append(idx)
            origin_col.append(origin)
            derived_col.append(derived)
    table = pl.DataFrame({"alias": alias_col, "merchant_idx": idx_col,
                          "origin": origin_col, "derived": derived_col},
                         schema={"alias": pl.String, "merchant_idx": pl.UInt32,
                                 "origin": pl.Int8, "derived": pl.Boolean})
    # A line that pays the customer (MGEN's refunds, Vinted's payouts) does not make its
    # brand's name ambiguous: the money's direction tells them apart, so sharing is counted
    # among lines of the same direction.
    brand = merchants.select("merchant_idx", brand="brand_key",
                             _in=pl.col("subcategory").is_in(sorted(MONEY_IN_LINES)))
    return (
        table.join(brand, on="merchant_idx", how="left")
        .with_columns(
            n_tokens=pl.col("alias").str.count_matches(" ").cast(pl.Int32) + 1,
            n_chars=pl.col("alias").str.replace_all(" ", "", literal=True).str.len_chars()
            .cast(pl.Int32),
            n_merchants=pl.col("merchant_idx").n_unique().over("alias", "_in").cast(pl.Int32),
            n_brands=pl.col("brand").n_unique().over("alias", "_in").cast(pl.Int32),
        )
        .drop("brand", "_in")
        .sort("alias", "merchant_idx")
    )


@functools.cache
def _trade_words() -> frozenset[str]:
    """The words of the local trades' label spellings (BOULANGERIE, STATION, SERVICE)."""
    return frozenset(word for spelled in load_local_trades()["words"].to_list()
                     for form in _split(spelled) for word in canonical_text(form).split())


@functools.cache
def _lexicon() -> frozenset[str]:
    """Common words of French labels: first and last names, places, trade and shop words,
    months."""
    words: set[str] = set(_BANK_WORDS.split()) | MONTHS
    words.update(load_first_names()["first_name"].to_list())
    words.update(load_last_names()["last_name"].to_list())
    words.update(load_name_words()["word"].to_list())
    for forms in load_places()["label_forms"].to_list():
        for form in _split(forms):
            words.update(canonical_text(form).split())
    words.update(_trade_words())
    # Shops abroad name themselves with trade words of their language (SUPERMERCADO,
    # GASTHAUS): a lone one is that word, not a cut chain name (SUPERMERCADOS DIA).
    words.update(foreign_trade_words())
    return frozenset(w for w in (canonical_text(x) for x in words) if w and " " not in w)


#: Titles before a person's name in a payee (``ME DURAND AVOCAT``: Maître Durand, a lawyer,
#: not the hotel brand ME): an alias of these words alone is a person's, like a name, and
#: so is the word after one in a transfer (``VIR ... MME LIVI SARAH``: Mrs Livi, not the
#: teleconsultation app).
PERSON_TITLES = frozenset({"M", "MME", "MLLE", "MR", "ME", "MAITRE"})


@functools.cache
def first_names() -> frozenset[str]:
    """First names (DAVID, MARIE): a word after one in a transfer is the person's surname."""
    return _one_word_names(load_first_names()["first_name"].to_list())


@functools.cache
def person_names() -> frozenset[str]:
    """First and last names (LECLERC, PICARD, NICOLAS, JULES: chains named after a person)."""
    return first_names() | _one_word_names(load_last_names()["last_name"].to_list())


def _one_word_names(names: list[str]) -> frozenset[str]:
    return frozenset(w for w in (canonical_text(x) for x in names) if w and " " not in w)


#: Articles and prepositions of French shop names: a name after one is a place or a
#: person in the shop's name (``BAR DE LA PLACE``), not a chain after a shop word.
NAME_PARTICLES = frozenset({"DE", "DU", "DES", "D", "LA", "LE", "LES", "L", "A", "AU", "AUX",
                            "ET", "CHEZ", "EN", "SUR", "SOUS"})

# Shop words of chains that no local trade uses alone.
_CHAIN_SHOP_WORDS = {"SUPERMARCHE": "groceries", "HYPERMARCHE": "groceries",
                     "DRIVE": "groceries", "PEAGE": "transport", "AUTOROUTE": "transport"}


# Trade words that follow a chain's own name in its labels (AUCHAN STATION, RELAY PRESSE is
# one category anyway; BOUTIQUE ORANGE, NIKE SPORT, AMAZON MUSIC, STAR VELO are the chain):
# they say nothing against the chain. SPA after a name is an Italian company's legal form
# (AUTOGRILL SPA, ENI SPA: S.p.A.) as often as a hotel's spa.
_CHAIN_SUFFIX_WORDS = frozenset({"BOUTIQUE", "DEPOT", "MODE", "RELAIS", "STATION", "SPORT",
                                 "SPORTS", "VELO", "VELOS", "CYCLE", "CYCLES", "MUSIC",
                                 "MUSIQUE", "SPA"})
# Shop words of French shop fronts the local trades spell only inside longer phrases
# (PHONE SERVICE, MINI MARKET): ``SMART PHONE REPAIR`` is a phone shop, not the car maker
# Smart; ``MINI MARKET COULIBALY`` a grocer, not the car maker Mini (a retrained scorer
# returned it at 0.83 on 911 rows of the test bank without MCC).
_SHOP_FRONT_WORDS = {"PHONE": "shopping", "PHONES": "shopping", "SMARTPHONE": "shopping",
                     "SMARTPHONES": "shopping", "MARKET": "groceries", "MARCHE": "groceries"}
# Whole trade words of three letters, unlike the abbreviations (PAT, DR, SUP).
_SHORT_TRADE_WORDS = frozenset({"BAR", "PUB", "SPA", "GYM", "ZOO", "WOK"})


@functools.cache
def english_words() -> frozenset[str]:
    """Everyday English words of French shop names (``HOME``, ``SMART``, ``KIDS``)."""
    return frozenset(load_english_words()["word"].to_list())


@functools.cache
def trail_word_categories() -> dict[str, str]:
    """Trade words that, after a one-word alias, name another shop (``SMART COIFFURE`` is a
    hairdresser, not the car maker; ``STAR KEBAB`` no bus network): ``lead_word_categories``
    less the chains' shop words, the words chains put after their own name and the
    abbreviations of three letters or fewer (``PAT``, ``DR``, ``SUP``; ``BAR`` and the
    other whole short words stay)."""
    return {w: c for w, c in lead_word_categories().items()
            if (len(w) >= 4 or w in _SHORT_TRADE_WORDS)
            and w not in _CHAIN_SHOP_WORDS and w not in _CHAIN_SUFFIX_WORDS}


@functools.cache
def trade_word_subcategories() -> dict[str, frozenset[str]]:
    """One-word spellings of the local trades' words -> the subcategories they name."""
    seen: dict[str, set[str]] = {}
    for form, subs in trade_spellings().items():
        word = canonical_text(form)
        if word and " " not in word and not word.isdigit():
            seen.setdefault(word, set()).update(subs)
    return {w: frozenset(subs) for w, subs in seen.items()}


@functools.cache
def trail_word_lines() -> dict[str, str]:
    """Trade words of ``trail_word_categories`` that name one subcategory -> that line
    (``MARAICHER`` -> market_greengrocer, ``EARL`` -> market_greengrocer)."""
    trail = trail_word_categories()
    return {w: next(iter(subs)) for w, subs in trade_word_subcategories().items()
            if w in trail and len(subs) == 1}


@functools.cache
def _one_category_trade_words() -> dict[str, str]:
    """The local trades' words that name one level-1 category -> that category."""
    out: dict[str, str] = {}
    for word, subs in trade_word_subcategories().items():
        categories = {SUBCATEGORIES[sub].category for sub in subs}
        if len(categories) == 1:
            out[word] = next(iter(categories))
    return out


@functools.cache
def lead_word_categories() -> dict[str, str]:
    """One-word trade and shop words -> the level-1 category they name (``FROMAGERIE`` ->
    groceries, ``CINEMA`` -> leisure): the local trades' words that name one category, and
    the chains' shop words. A word naming several categories is left out."""
    out = dict(_one_category_trade_words())
    out.update(_SHOP_FRONT_WORDS)
    out.update(_CHAIN_SHOP_WORDS)
    for word, category in foreign_lead_categories().items():
        out.setdefault(word, category)
    return out


@functools.cache
def foreign_lead_categories() -> dict[str, str]:
    """Trade words of shops abroad that French labels do not use (``GASTHAUS``,
    ``SUPERMARKT``, ``FARMACIA``) -> the level-1 category they name; a word of the French
    lexicon (``BAR``, ``HOTEL``) or naming several categories is left out."""
    french = _trade_words() | frozenset(_CHAIN_SHOP_WORDS) | frozenset(_SHOP_FRONT_WORDS)
    out: dict[str, str] = {}
    for word, subs in foreign_trade_words().items():
        categories = {SUBCATEGORIES[sub].category for sub in subs}
        if len(categories) == 1 and word not in french:
            out[word] = next(iter(categories))
    return out


#: Categories whose lines are distinct trades, so that a line's trade word before a name
#: names that line's shop (a health profession, a food trade, a car trade, a pet shop or a
#: jeweller: ``ANIMALERIE GEMO`` is no Gémo clothes shop, ``BIJOUTERIE CROC`` no cut Crocs).
LINE_LEAD_CATEGORIES: tuple[str, ...] = ("health", "groceries", "transport", "shopping")
#: Of those, the categories where any other line's trade word before a name drops the hit
#: (groceries only when the name is a common word: ``_scorer.OTHER_LINE_BEFORE``).
OTHER_LINE_CATEGORIES: tuple[str, ...] = ("health", "transport", "shopping")


@functools.cache
def line_lead_subcategories() -> dict[str, str]:
    """One-word trade words of a health or food line -> that line (``OPTIQUE`` -> optician,
    ``BOULANGERIE`` -> bakery): the local trades' words that name one subcategory of
    ``LINE_LEAD_CATEGORIES``. Such a word before a name names that line's shop (``OPTIQUE
    LAFAYETTE`` is an optician, not the Lafayette pharmacies; ``BOULANGERIE PICARD`` a
    baker, not the frozen-food chain)."""
    # Abbreviations of three letters or fewer (CH, INF, OPT) are left out: too many codes;
    # so are a shop's generic words, which chains of other lines print too (BOUTIQUE DARTY).
    return {w: next(iter(subs)) for w, subs in trade_word_subcategories().items()
            if len(w) >= 4 and len(subs) == 1 and w not in _NO_TRADE_LEADS
            and SUBCATEGORIES[next(iter(subs))].category in LINE_LEAD_CATEGORIES}


@functools.cache
def trade_lead_categories() -> dict[str, str]:
    """The local trades' own words (four letters or more, naming one level-1 category, no
    shop's generic word) -> that category: such a word before a chain's name of another
    category names a local shop of that trade (``PRESSING ZARA``, ``RESTAURANT IKEA``,
    ``TABAC CASINO``, ``PARKING CARREFOUR``), not the chain (``_scorer.OTHER_TRADE_BEFORE``).
    """
    return {word: category for word, category in _one_category_trade_words().items()
            if (len(word) >= 4 or word in _SHORT_TRADE_LEADS) and word not in _NO_TRADE_LEADS}


#: Trade words of three letters that name a shop before another name (``BAR SOL`` is a bar,
#: not the Sol fuel station); other short words are abbreviations that open other names.
_SHORT_TRADE_LEADS = frozenset({"BAR", "PUB"})


#: Shop words that say little of the line: a chain of another line prints them before its
#: name (``BOUTIQUE FNAC``, ``TABAC PRESSE RELAY``, ``PHOTO DARTY``).
_GENERIC_SHOP_WORDS = frozenset({
    "BOUTIQUE", "MODE", "DEPOT", "DISCOUNT", "BAZAR", "DESTOCK", "DESTOCKAGE", "SOLDERIE",
    "CADEAU", "CADEAUX", "SOUVENIRS", "PRESSE", "TABAC", "JOURNAUX", "KIOSQUE", "PHOT",
    "PHOTO", "MULTIMEDIA", "INFORMATIQUE", "TELEPHONIE", "ELECTRONIQUE", "TEXTILE",
    "CONFECTION", "JEANS", "HABILLEMENT", "VETEMENTS", "ANIMAL", "FLEUR", "FLEURS", "MANGA",
    "VAPE"})
#: ... nor are they, nor abbreviations that are English words of a neobank's statement
#: (``Refund from Zalando``: FROM, a cheese shop's abbreviation, had dropped Zalando).
_NO_TRADE_LEADS = _GENERIC_SHOP_WORDS | {"FROM"}


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col(c).cast(dtype) if c in frame.columns else pl.lit(None, dtype=dtype).alias(c)
        for c, dtype in {**DIRECTORY_COLUMNS, "listed": pl.List(pl.String())}.items()
        if c not in ("aliases", "brand_key")
    )


@dataclass(frozen=True, eq=False)
class MerchantDirectory:
    """Known merchants (``merchants``) and their normalized spellings (``aliases``).

    ``merchants`` has ``DIRECTORY_COLUMNS`` (without ``aliases``) plus ``merchant_idx``
    and ``listed`` (the spellings given by the source); ``aliases`` has one row per
    (alias, merchant) with ``origin``, ``derived``, ``n_tokens``, ``n_chars``,
    ``n_merchants`` (how many merchants of the same money direction share the alias),
    ``n_brands``, ``common``
    (every word of the alias is a common word, or it is one everyday English word) and
    ``name_like`` (every word of it is a first or last name, a title or a month: LECLERC,
    PICARD, JULES, AVRIL).
    ``lexicon`` holds common words (names, places, trade words) used to judge how
    generic an alias is. Immutable and picklable.
    """

    merchants: pl.DataFrame
    aliases: pl.DataFrame
    lexicon: frozenset[str] = field(default_factory=frozenset)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False,
                                   compare=False)

    def cached(self, name: str, build: Callable[[MerchantDirectory], _T]) -> _T:
        """``build(self)``, computed once per directory (lookup tables, TF-IDF matrices):
        the directory is immutable, so derived structures live with it, not in globals."""
        if name not in self._cache:
            self._cache[name] = build(self)
        out: _T = self._cache[name]
        return out

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the data, not the derived caches (rebuilt on first use)."""
        return {"merchants": self.merchants, "aliases": self.aliases, "lexicon": self.lexicon}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_cache", {})

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> MerchantDirectory:
        """Build from merchant rows (``merchant_id`` and ``name`` required; ``listed`` or
        ``aliases`` as a list of spellings or a ``|``-joined string are optional)."""
        missing = {"merchant_id", "name"} - set(frame.columns)
        if missing:
            raise DataError(f"a merchant directory frame needs columns {sorted(missing)}; "
                            f"got {frame.columns}")
        if "listed" not in frame.columns and "aliases" in frame.columns:
            frame = frame.rename({"aliases": "listed"})
        if "listed" in frame.columns and frame.schema["listed"] == pl.String:
            frame = frame.with_columns(pl.col("listed").str.split("|"))
        dupes = frame.filter(pl.col("merchant_id").is_duplicated())["merchant_id"].unique()
        if dupes.len():
            raise DataError(f"merchant_id must be unique; got duplicates {dupes.head(3).to_list()}")
        bad = frame.filter(pl.col("merchant_id").is_null() | pl.col("name").is_null())
        if bad.height:
            raise DataError(f"merchant_id and name may not be null; got {bad.head(3).to_dicts()}")
        merchants = _conform(frame).with_columns(
            brand=pl.coalesce("brand", "merchant_id"),
            is_online=pl.col("is_online").fill_null(False),
            is_intermediary=pl.col("is_intermediary").fill_null(False),
            source=pl.col("source").fill_null("extra"),
        ).with_row_index("merchant_idx")
        merchants = merchants.with_columns(_brand_keys(merchants))
        lexicon = _lexicon()
        aliases = _alias_rows(merchants)
        # A one-word alias that is an everyday English word is as generic as a French one
        # (@HOME's HOME, Smart's SMART); longer aliases keep their phrase (BURGER KING).
        # Initials joined by ``&`` are a name, whatever the letters' other uses (``B ET M``
        # for B&M: B and M abbreviate words of the lexicon).
        english = pl.col("alias").is_in(sorted(english_words()))
        initials = pl.col("alias").str.contains(r"^[A-Z] (?:ET|AND) [A-Z]$")
        common = ((pl.col("alias").str.split(" ").list.eval(
            pl.element().is_in(sorted(lexicon))).list.all() & ~initials)
            | ((pl.col("n_tokens") == 1) & english))
        name_like = pl.col("alias").str.split(" ").list.eval(
            pl.element().is_in(sorted(person_names() | PERSON_TITLES | MONTHS))).list.all()
        return cls(merchants, aliases.with_columns(common=common, name_like=name_like), lexicon)

    @classmethod
    def default(cls) -> MerchantDirectory:
        """The directory of the bundled reference data (NSI brands + curated), cached."""
        return _default_directory()

    def with_extra(self, frame: pl.DataFrame) -> MerchantDirectory:
        """A new directory with ``frame``'s merchants added (e.g. accepted discoveries);
        a ``merchant_id`` already present is replaced by the new row."""
        if "merchant_id" not in frame.columns:
            raise DataError(f"with_extra needs a merchant_id column; got {frame.columns}")
        old = self.merchants.drop("merchant_idx", "brand_key").filter(
            ~pl.col("merchant_id").is_in(frame["merchant_id"].implode()))
        if "listed" not in frame.columns and "aliases" in frame.columns:
            frame = frame.rename({"aliases": "listed"})
        if "listed" in frame.columns and frame.schema["listed"] == pl.String:
            frame = frame.with_columns(pl.col("listed").str.split("|"))
        return MerchantDirectory.from_frame(pl.concat([old, _conform(frame)],
                                                      how="vertical_relaxed"))

    def to_frame(self) -> pl.DataFrame:
        """One row per merchant with ``DIRECTORY_COLUMNS`` (``aliases``: its normalized
        spellings, sorted)."""
        spellings = self.aliases.group_by("merchant_idx").agg(
            aliases=pl.col("alias").sort())
        return (self.merchants.join(spellings, on="merchant_idx", how="left")
                .sort("merchant_idx")
                .select(list(DIRECTORY_COLUMNS)))

    @property
    def size(self) -> int:
        """Number of merchants."""
        return self.merchants.height

    @property
    def town_names(self) -> frozenset[str]:
        """Spellings of two words or more that the label cleaning would cut, as they end in a
        town or country code (``TAN NANTES``, ``THE GAP``, ``PUPA MILANO``), where the cut
        text spells no name of the same merchant or the town is part of the merchant's
        name (``KIKO MILANO``, ``FLYING TIGER COPENHAGEN``): ``clean_labels`` keeps them
        whole, and their town is no sign of a payment abroad."""
        return self.cached("town_names", _town_names)

    @property
    def online_ids(self) -> frozenset[str]:
        """Ids of the merchants that only sell at a distance (web shops, subscriptions,
        delivery, booking, betting apps), of a brand with no shop (``IKEA``'s web shop is
        the chain's): a card payment to one is online."""
        def build(d: MerchantDirectory) -> frozenset[str]:
            shops = d.merchants.filter(~pl.col("is_online")).get_column("brand_key")
            return frozenset(d.merchants.filter(pl.col("is_online")
                                                & ~pl.col("brand_key").is_in(shops.implode()))
                             .get_column("merchant_id").to_list())

        return self.cached("online_ids", build)

    @property
    def station_ids(self) -> frozenset[str]:
        """Ids of the merchants of an oil company's brand: pumps and a shop or chargers
        under one brand (Esso, Shell, TotalEnergies), whose bare name a label cannot tell
        apart. A grocer's brand is left out, as the synthetic banks' universe reads one: a
        brand with a supermarket, or whose name opens with a supermarket's (``Carrefour
        Contact``): most payments at its name are the shop's."""
        def build(d: MerchantDirectory) -> frozenset[str]:
            m = d.merchants.select("merchant_id", "name", "subcategory", "brand_key")
            markets = m.filter(pl.col("subcategory") == "supermarket").get_column("name")
            grocer = pl.col("name").str.contains(
                "^(?:" + "|".join(re.escape(n) for n in sorted(set(markets.to_list()))) + r")\b")
            brands = m.group_by("brand_key").agg(
                fuel=(pl.col("subcategory") == "fuel").any(),
                shop=pl.col("subcategory").is_in(["convenience_store", "ev_charging"]).any(),
                grocer=(grocer | (pl.col("subcategory") == "supermarket")).any())
            oil = brands.filter("fuel", "shop", ~pl.col("grocer")).get_column("brand_key")
            return frozenset(m.filter(pl.col("brand_key").is_in(oil.implode()))
                             .get_column("merchant_id").to_list())

        return self.cached("station_ids", build)

    @property
    def intermediary_ids(self) -> frozenset[str]:
        """Ids of the intermediaries' own entries (SumUp, Stripe, PayPal...): the processor
        a label names when no shop follows it."""
        return self.cached("intermediary_ids", lambda d: frozenset(
            d.merchants.filter(pl.col("is_intermediary")).get_column("merchant_id").to_list()))

    @property
    def bank_ids(self) -> frozenset[str]:
        """Ids of the banks' own entries (a ``bank_fees`` line): the one merchant a fee may
        name (``Revolut Premium plan fee``); a card's foreign fee names the shop abroad
        (``COMMISSION CARTE X1234 AMAZON US``), which sold nothing on that line."""
        return self.cached("bank_ids", lambda d: frozenset(
            d.merchants.filter(pl.col("category") == "bank_fees").get_column("merchant_id")
            .to_list()))

    def brand_keys(self) -> pl.DataFrame:
        """``merchant_id`` -> ``brand_key``: merchants sharing a key are one business to a
        label (same wikidata brand, or same name or listed spelling in the same category);
        the key is the group's smallest merchant id. For brand-level evaluation."""
        return self.merchants.select("merchant_id", "brand_key")

    def merchant_ids(self) -> list[str]:
        """Every merchant id, in ``merchant_idx`` order."""
        return self.merchants["merchant_id"].to_list()

    def restricted(self, merchant_ids: Iterable[str]) -> MerchantDirectory:
        """The directory without the merchants not in ``merchant_ids`` (for held-out tests)."""
        keep = pl.Series(list(merchant_ids), dtype=pl.String)
        frame = self.merchants.drop("merchant_idx").filter(pl.col("merchant_id").is_in(keep))
        return MerchantDirectory.from_frame(frame)


def _town_names(directory: MerchantDirectory) -> frozenset[str]:
    from ledgerlens.enrich._clean import clean_labels

    aliases = directory.aliases.filter(pl.col("n_tokens") >= 2).select(
        "merchant_idx", "alias", "origin")
    cleaned = clean_labels(aliases.with_columns(raw_label=pl.col("alias")))
    own = directory.aliases.select("merchant_idx", pl.col("alias").alias("clean_label"),
                                   pl.lit(True).alias("_own"))
    # the cut text is another merchant's name too (``STAR RENNES`` cut is also the bicycles'
    # ``STAR``): the town tells them apart
    shared = (directory.aliases.group_by("alias").agg(pl.col("merchant_idx").n_unique() > 1)
              .filter(pl.col("merchant_idx")).select(clean_label="alias", _shared=pl.lit(True)))
    cut = (cleaned.filter(pl.col("clean_label") != pl.col("alias"))
           .join(own, on=["merchant_idx", "clean_label"], how="left")
           .join(shared, on="clean_label", how="left")
           .filter(pl.col("_own").is_null() | (pl.col("origin") == ORIGIN_NAME)
                   | pl.col("_shared").fill_null(False)))
    return frozenset(cut["alias"].to_list())


@functools.cache
def _default_directory() -> MerchantDirectory:
    frame = pl.concat([_brand_rows(), _curated_rows()], how="vertical_relaxed")
    frame = frame.unique("merchant_id", keep="first", maintain_order=True)
    return MerchantDirectory.from_frame(frame)
