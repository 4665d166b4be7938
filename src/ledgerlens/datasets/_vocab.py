"""Bundled vocabularies (people, places, trades) and a generator of local independent shops.

The synthetic bank needs the long tail of a French town: the bakery ``BOULANGERIE MARTIN``,
the bar ``LE PETIT ZINC``, the hairdresser ``CHEZ JULIE``. ``generate_local_merchants``
builds such shops from the curated files in ``reference/`` (trades with their card-terminal
abbreviations, name words, first and last names, communes), fully vectorized. About a
third of the names carry no trade word at all, as in real life, so that a categorisation
model has to use the MCC, the amounts and the context rather than the name alone.

>>> shops = generate_local_merchants(5, seed=1)
>>> shops.columns[:4]
['merchant_id', 'name', 'descriptor', 'trade']
"""

from __future__ import annotations

import functools
import io
from importlib.resources import files
from importlib.resources.abc import Traversable

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._calendar import SEASONALITY_PROFILES
from ledgerlens.exceptions import ConfigurationError, ReferenceDataError
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = [
    "NAME_STYLES",
    "STATION_WORDS",
    "TRADE_WORD_FREE_STYLES",
    "generate_local_merchants",
    "load_communes",
    "load_curated_merchants",
    "load_directory_merchants",
    "load_directory_spellings",
    "load_english_words",
    "load_european_merchants",
    "load_first_names",
    "load_last_names",
    "load_local_trades",
    "load_name_words",
    "load_places",
    "trade_spellings",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_S, _F, _I = pl.String, pl.Float64, pl.Int64
#: Columns of the hand-curated merchant lists (French and other European).
_MERCHANT_LIST: dict[str, type[pl.DataType]] = {
    "merchant_id": _S, "name": _S, "website": _S, "subcategory": _S, "mcc": _S, "country": _S,
    "kind": _S, "descriptors": _S, "billing": _S, "cadence": _S, "amount_median": _F,
    "amount_sigma": _F, "popularity": _F, "creditor_id": _S,
}
#: Columns and dtypes of each bundled file; extra columns are ignored.
_SCHEMAS: dict[str, dict[str, type[pl.DataType]]] = {
    "curated_merchants.csv": _MERCHANT_LIST,
    "european_merchants.csv": _MERCHANT_LIST,
    "directory_merchants.csv": _MERCHANT_LIST,
    "directory_spellings.csv": {"merchant_id": _S, "spellings": _S},
    "local_trades.csv": {
        "trade": _S, "subcategory": _S, "mcc": _S, "words": _S, "name_styles": _S,
        "fancy_names": _S, "ticket_median": _F, "ticket_sigma": _F, "visits_per_month": _F,
        "opening_days": _S, "seasonality": _S, "share": _F, "name_heads": _S,
    },
    "name_words.csv": {"kind": _S, "word": _S},
    "english_words.csv": {"word": _S},
    "first_names.csv": {"first_name": _S, "sex": _S, "weight": _F},
    "last_names.csv": {"last_name": _S, "weight": _F},
    "places.csv": {
        "city": _S, "label_forms": _S, "postcode": _S, "department": _S, "region": _S,
        "population": _I,
    },
    "communes.csv": {"city": _S, "label_forms": _S, "department": _S},
}

#: How a shop's name is built; the first three carry the trade word, the others do not.
#: Words acquirers put after a fuel station's name (``CARREFOUR STATION``, ``SUPER U CARBU``):
#: the synthetic banks write them, the merchant directory spells each station with them.
STATION_WORDS: tuple[str, ...] = ("STATION", "CARBU", "CARBURANT", "STATION SERVICE",
                                  "CARBURANTS")
NAME_STYLES: tuple[str, ...] = (
    "trade_owner", "trade_place", "owner_trade",
    "article_noun", "fancy", "first_name", "legal_owner",
)
TRADE_WORD_FREE_STYLES: frozenset[str] = frozenset(NAME_STYLES[3:])
#: Relative use of each style when a trade allows it; tuned so that 30-40 % of the
#: generated names hold no trade word once each trade's own restrictions apply.
_STYLE_WEIGHTS = np.array([0.30, 0.17, 0.12, 0.10, 0.14, 0.06, 0.07])
#: Adjectives that go before the noun (``LE PETIT PONT``); any other goes after it
#: (``AU PAIN DORE``). Three of them change form before a vowel.
_PRE_ADJECTIVES = ("PETIT", "GRAND", "VIEUX", "BON", "BEAU", "JOLI", "NOUVEAU", "GROS",
                   "VRAI", "JEUNE", "HAUT", "FAMEUX")
_ELIDED = {"BEAU": "BEL", "VIEUX": "VIEIL", "NOUVEAU": "NOUVEL"}
_FIRST_NAME_PATTERNS = ("CHEZ ", "L ATELIER DE ", "LA MAISON DE ", "LE COIN DE ",
                        "L UNIVERS DE ", "L ESPACE ")
_LEGAL_WEIGHTS = {"SARL": 6.0, "SAS": 5.0, "SASU": 3.0, "EURL": 3.0, "ETS": 3.0, "STE": 1.5,
                  "SNC": 1.0, "EI": 1.0, "SA": 0.5}
#: Regulated health professions, vets and the liberal professions (notaries, lawyers,
#: accountants) trade through their own company forms.
_REGULATED = frozenset({"pharmacy", "doctor", "dentist", "paramedical", "laboratory", "pets",
                        "professional_services"})
_REGULATED_LEGAL = ("SELARL", "SELARL", "SCM", "SELAS", "SCP")
_LEGAL_SUFFIXES = ("", "", "", "", " ET FILS", " FRERES", " ET CIE", " ET ASSOCIES")
#: Card terminals cut the merchant descriptor at these lengths (most at 22).
_CUTS, _CUT_P = np.array([22, 20, 25]), np.array([0.75, 0.1, 0.15])
_VOWEL = r"^[AEIOUY]"
#: Of the shops named in the fancy style whose trade has evocative heads (``name_heads``:
#: ``LE FOURNIL``, ``LA CIVETTE``), the share named on a head rather than from the trade's
#: whole fancy names.
_HEAD_SHARE = 0.5


def _reference_dir() -> Traversable:
    return files("ledgerlens.datasets") / "reference"


def _read_reference(name: str) -> pl.DataFrame:
    """Read one bundled CSV with the dtypes of ``_SCHEMAS``, or say what is wrong with it."""
    schema = _SCHEMAS[name]
    try:
        raw = (_reference_dir() / name).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ReferenceDataError(
            f"bundled reference file {name!r} is missing from ledgerlens/datasets/reference; "
            "reinstall ledgerlens"
        ) from None
    try:
        frame = pl.read_csv(io.BytesIO(raw), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ReferenceDataError(f"{name}: not a readable CSV file ({exc})") from None
    missing = [col for col in schema if col not in frame.columns]
    if missing:
        raise ReferenceDataError(
            f"{name}: missing column(s) {missing}; got {frame.columns}, expected {list(schema)}"
        )
    try:
        return frame.select(pl.col(col).cast(dtype, strict=True) for col, dtype in schema.items())
    except pl.exceptions.PolarsError as exc:
        raise ReferenceDataError(f"{name}: a column has values of the wrong type ({exc})") from None


_STYLE_LISTS = pl.col("name_styles").str.split("|")
#: Upper-case ASCII words, single-spaced, ``|`` between spellings (``ST LO|SAINT LO``).
_LABEL_FORMS = r"^[A-Z0-9]+(?: [A-Z0-9]+)*(?:\|[A-Z0-9]+(?: [A-Z0-9]+)*)*$"
#: A metropolitan department (``01``-``95``, ``2A``, ``2B``) or an overseas one (``971``-``976``).
_DEPARTMENT = r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$"
#: What each file's rows must satisfy: (expression true on a bad row, what is expected).
_CHECKS: dict[str, tuple[tuple[pl.Expr, str], ...]] = {
    "local_trades.csv": (
        (~pl.col("subcategory").is_in(list(SUBCATEGORIES)), "subcategory must be a taxonomy id"),
        (~pl.col("mcc").str.contains(r"^[0-9]{4}$"), "mcc must be 4 digits"),
        (~pl.col("opening_days").str.contains(r"^[01]{7}$"), "opening_days must be 7 of 0/1"),
        (~pl.col("seasonality").is_in(list(SEASONALITY_PROFILES)),
         f"seasonality must be one of {list(SEASONALITY_PROFILES)}"),
        (~_STYLE_LISTS.list.eval(pl.element().is_in(NAME_STYLES)).list.all(),
         f"name_styles must be taken from {list(NAME_STYLES)}"),
        (_STYLE_LISTS.list.contains("fancy") & pl.col("fancy_names").is_null(),
         "a trade with the fancy style needs fancy_names"),
        (pl.col("words").is_null() | (pl.col("share") <= 0),
         "words must be given and share must be positive"),
    ),
    "name_words.csv": ((~pl.col("kind").is_in(["adjective", "noun", "place", "legal"]),
                        "kind must be adjective, noun, place or legal"),),
    "english_words.csv": ((~pl.col("word").str.contains(r"^[A-Z]+$"),
                           "word must be one upper-case ASCII word"),),
    "first_names.csv": ((~pl.col("sex").is_in(["M", "F"]), "sex must be M or F"),),
    "directory_spellings.csv": (
        (pl.col("spellings").is_null(), "spellings must be given"),
        (pl.col("merchant_id").is_duplicated(), "merchant_id must be unique"),
    ),
    "places.csv": ((pl.col("postcode").str.len_chars() != 5, "postcode must have 5 characters"),
                   (pl.col("city").is_duplicated(), "city must be unique")),
    "communes.csv": (
        (~pl.col("label_forms").str.contains(_LABEL_FORMS).fill_null(False),
         "label_forms must be upper-case ASCII words, spellings separated by |"),
        (~pl.col("department").str.contains(_DEPARTMENT).fill_null(False),
         "department must be a department code (01-95, 2A, 2B, 971-976)"),
        (pl.struct("city", "department").is_duplicated(), "city must be unique in its department"),
    ),
}


@functools.cache
def _load(name: str) -> pl.DataFrame:
    """A bundled file, read and checked once per process."""
    frame = _read_reference(name)
    for bad, what in _CHECKS.get(name, ()):
        rows = frame.with_row_index("line", offset=2).filter(bad)
        if rows.height:
            raise ReferenceDataError(f"{name}: {what}; got {rows.head(3).to_dicts()}")
    return frame


def load_curated_merchants() -> pl.DataFrame:
    """Hand-curated national merchants and billers (``curated_merchants.csv``).

    Empty ``website`` and ``creditor_id`` read as null. Cached; each call returns a cheap
    copy. Raises ``ReferenceDataError`` naming the file when it is missing or malformed.
    """
    return _load("curated_merchants.csv").clone()


#: Curated kinds of merchant paid only at a distance (web shops, delivery, travel booking,
#: betting, donations, transport apps).
DISTANCE_KINDS = ("online_retail", "food_delivery", "travel", "betting", "charity",
                  "mobility_app")


def sells_at_a_distance() -> pl.Expr:
    """Over curated merchants: paid by card only at a distance, the ``DISTANCE_KINDS`` and
    public bodies with a website (ANTS, ANTAI's fines, CNED: the state's online services
    have no counter; a town hall's canteen has)."""
    return (pl.col("kind").is_in(DISTANCE_KINDS)
            | ((pl.col("kind") == "public_body") & pl.col("website").is_not_null()))


def load_european_merchants() -> pl.DataFrame:
    """Chains and billers of other European countries (``european_merchants.csv``, the
    columns of ``curated_merchants.csv``): the grocers, drugstores, railways, energy and
    telecom companies that German, Spanish, Italian, Dutch, Belgian, Portuguese, British and
    Swiss statements name, and the few chains of farther countries whose only entry in the
    name-suggestion index valid in France is another line (the index knows Walmart, Safeway
    and OXXO in France only by their fuel stations). The merchant directory holds them; the
    synthetic banks, whose customers live in France, draw only the shops and transport of
    the countries they travel to, on trips (``_foreign.COUNTRIES``). Their direct debits
    carry no creditor id. Cached; each call returns a cheap copy."""
    return _load("european_merchants.csv").clone()


def load_directory_merchants() -> pl.DataFrame:
    """Merchants French customers pay that the curated list, the synthetic banks' source,
    lacks (``directory_merchants.csv``, the columns of ``curated_merchants.csv``): software
    and security subscriptions, AI assistants, ticket platforms, teleconsultation and
    quick-commerce apps, towns' public transport networks, social landlords and student
    residences, toll bridges and tunnels, online driving schools, climbing gyms, museums and
    concert halls. The merchant directory holds
    them; the synthetic banks do not draw from them. Cached; each call returns a cheap
    copy."""
    return _load("directory_merchants.csv").clone()


def load_directory_spellings() -> pl.DataFrame:
    """More label spellings of curated merchants (``directory_spellings.csv``: ``merchant_id``,
    ``|``-joined ``spellings``) that the merchant directory knows and the synthetic banks do
    not print: the forms of real statements the generator leaves out (Amazon's other
    marketplaces, ``AMZN MKTP DE``). Cached; each call returns a cheap copy."""
    return _load("directory_spellings.csv").clone()


def load_listed_merchants() -> pl.DataFrame:
    """Every hand-listed merchant, the columns of ``curated_merchants.csv``: the curated
    list, the European and the directory-only merchants, each with the spellings of
    ``directory_spellings.csv`` added to its ``descriptors``: what the merchant directory
    and the transaction type read of named merchants (not the synthetic banks, which draw
    from the curated list only). Raises ``ReferenceDataError`` when a spelling names a
    merchant no list holds."""
    listed = pl.concat([load_curated_merchants(), load_european_merchants(),
                        load_directory_merchants()])
    more = load_directory_spellings()
    unknown = sorted(set(more["merchant_id"].to_list()) - set(listed["merchant_id"].to_list()))
    if unknown:
        raise ReferenceDataError(f"directory_spellings.csv names merchants the curated lists "
                                 f"lack: {', '.join(unknown)}")
    return listed.join(more, on="merchant_id", how="left", maintain_order="left").with_columns(
        descriptors=pl.concat_str(["descriptors", "spellings"], separator="|",
                                  ignore_nulls=True)).drop("spellings")


def load_local_trades() -> pl.DataFrame:
    """Trades of local independents with their words, name styles, tickets and shares."""
    return _load("local_trades.csv").clone()


@functools.cache
def trade_spellings() -> dict[str, frozenset[str]]:
    """Every label spelling of the local trades (``BOULANGERIE``, ``BOUL PAT``) -> the
    subcategories it names."""
    seen: dict[str, set[str]] = {}
    for spelled, sub in _load("local_trades.csv").select("words", "subcategory").iter_rows():
        for word in spelled.split("|"):
            if word.strip():
                seen.setdefault(word, set()).add(sub)
    return {word: frozenset(subs) for word, subs in seen.items()}


def load_name_words() -> pl.DataFrame:
    """Words that make shop names: ``kind`` is adjective, noun, place or legal."""
    return _load("name_words.csv").clone()


def load_english_words() -> pl.DataFrame:
    """Everyday English words that French shops take for their names (``HOME``, ``SMART``,
    ``FRESH``): one of them alone is no brand's own word (``HOME DECO`` is not @HOME)."""
    return _load("english_words.csv").clone()


def load_first_names() -> pl.DataFrame:
    """French first names (upper-case ASCII) with ``sex`` (M/F) and a frequency ``weight``."""
    return _load("first_names.csv").clone()


def load_last_names() -> pl.DataFrame:
    """French last names (upper-case ASCII) with a frequency ``weight``."""
    return _load("last_names.csv").clone()


def load_places() -> pl.DataFrame:
    """Communes and arrondissements: ``city``, ``label_forms`` (first = canonical), codes."""
    return _load("places.csv").clone()


def load_communes() -> pl.DataFrame:
    """Communes the places list lacks (``communes.csv``): ``city``, ``label_forms`` and
    ``department`` (``29``, ``2A``, ``971``).

    2,367 towns (most of those above about 8,000 inhabitants, sous-préfectures, resorts,
    the suburbs of the big cities, the overseas departments) in the spellings labels give
    them: upper-case ASCII, hyphens and apostrophes as spaces, ``ST``/``STE`` beside
    ``SAINT``/``SAINTE``, a few usual short forms (``PLOUGASTEL``, ``ALPE D HUEZ``). Only
    the label cleaning reads them, to strip a trailing town (``CB LECLERC GUIPAVAS``); the
    synthetic banks never draw from them, so the places list and every generated bank stay
    as they are. Spellings that are also words, names, brands or bank words are left out,
    and so are those the generator's made-up towns can spell (``_towns.unlisted_towns``).
    """
    return _load("communes.csv").clone()


def _draw(rng: np.random.Generator, weights: FloatArray, n: int) -> IntArray:
    return rng.choice(weights.size, size=n, p=weights / weights.sum()).astype(np.int64)


def _pick(lists: pl.Expr, u: pl.Expr) -> pl.Expr:
    """One element of each list, chosen by a uniform number in [0, 1)."""
    k = (u * lists.list.len()).floor().cast(pl.Int64).fill_null(0)
    return lists.list.get(k, null_on_oob=True)


def _words(kind: str) -> pl.Series:
    return _load("name_words.csv").filter(pl.col("kind") == kind)["word"]


def _styles(trades: pl.DataFrame, t: IntArray, rng: np.random.Generator) -> IntArray:
    """A name style per shop, among those its trade allows (inverse CDF, vectorized)."""
    allowed = np.stack([trades["name_styles"].str.split("|").list.contains(s).to_numpy()
                        for s in NAME_STYLES], axis=1)
    cdf = np.cumsum(allowed * _STYLE_WEIGHTS, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(t.size)
    picked = np.minimum((u[:, None] >= cdf[t]).sum(axis=1), len(NAME_STYLES) - 1)
    return np.asarray(picked, dtype=np.int64)


def _name_forms(trades: pl.DataFrame) -> pl.Series:
    """Per trade, the forms an owner writes on the shop front: the full word and the longer
    variants that contain it (``BOULANGERIE PATISSERIE``), never a terminal abbreviation."""
    forms = []
    for words in trades["words"].to_list():
        full, *rest = words.split("|")
        forms.append([full, *(w for w in rest if f" {full} " in f" {w} ")])
    return pl.Series("name_forms", forms, dtype=pl.List(pl.String))


def _article_noun(nouns: pl.Expr, adjectives: pl.Expr, u: pl.Expr) -> pl.Expr:
    """``LE PETIT PONT``, ``AU BEL ATELIER``, ``L OLIVIER DORE``, ``AU MOULIN``."""
    vowel = nouns.str.contains(_VOWEL)
    pre = adjectives.is_in(_PRE_ADJECTIVES)
    adjective = pl.when(vowel).then(adjectives.replace(_ELIDED)).otherwise(adjectives)
    article = pl.when(u < 0.55).then(pl.lit("LE")).otherwise(pl.lit("AU"))
    elided = pl.when(~vowel).then(article).when(article == "LE").then(pl.lit("L")).otherwise(
        pl.lit("A L"))
    return (pl.when(u > 0.85).then(pl.concat_str([elided, nouns], separator=" "))
            .when(pre).then(pl.concat_str([article, adjective, nouns], separator=" "))
            .otherwise(pl.concat_str([elided, nouns, adjectives], separator=" ")))


def _components(n: int, seed: int, even_words: bool = False,
                heads: bool = False) -> pl.DataFrame:
    """One row per shop: its trade, town, style and the parts its name is built from."""
    rng = np.random.default_rng([seed, 18_245])
    trades, places = _load("local_trades.csv"), _load("places.csv")
    # Evenly over the spellings: a trade as often as it has spellings (then one picked
    # uniformly, ``u_desc`` below), so PAINTBALL, the sixth of its trade's, is taught as
    # often as BOULANGERIE. With ``heads``, evenly over the evocative heads instead.
    if heads:  # a trade without heads is never drawn
        shares = trades["name_heads"].str.split("|").list.len().fill_null(0)
    elif even_words:
        shares = trades["words"].str.split("|").list.len()
    else:
        shares = trades["share"]
    t = _draw(rng, shares.cast(pl.Float64).to_numpy(), n)
    p = _draw(rng, places["population"].cast(pl.Float64).to_numpy(), n)
    style = (np.full(n, NAME_STYLES.index("fancy"), dtype=np.int64) if heads
             else _styles(trades, t, rng))
    last, first = _load("last_names.csv"), _load("first_names.csv")
    legal = _words("legal")
    legal_w = np.array([_LEGAL_WEIGHTS.get(w, 0.0) for w in legal.to_list()])
    regulated = trades["subcategory"].is_in(list(_REGULATED)).to_numpy()[t]
    legal_form = np.where(regulated, np.asarray(_REGULATED_LEGAL)[
        rng.integers(0, len(_REGULATED_LEGAL), n)], legal.gather(_draw(rng, legal_w, n)))
    nouns, adjectives, place_words = _words("noun"), _words("adjective"), _words("place")
    place_pos = rng.integers(0, place_words.len(), n)

    columns = [
        pl.Series("style", np.asarray(NAME_STYLES)[style]),
        last["last_name"].gather(_draw(rng, last["weight"].to_numpy(), n)).alias("owner"),
        first["first_name"].gather(_draw(rng, first["weight"].to_numpy(), n)).alias("first"),
        pl.Series("legal", legal_form),
        pl.Series("legal_suffix", np.asarray(_LEGAL_SUFFIXES)[
            rng.integers(0, len(_LEGAL_SUFFIXES), n)]),
        nouns.gather(rng.integers(0, nouns.len(), n)).alias("noun"),
        adjectives.gather(rng.integers(0, adjectives.len(), n)).alias("adjective"),
        place_words.gather(place_pos).alias("place_word"),
        pl.Series("place_pos", place_pos),
        pl.Series("pattern", np.asarray(_FIRST_NAME_PATTERNS)[
            rng.integers(0, len(_FIRST_NAME_PATTERNS), n)]),
        *(pl.Series(c, rng.random(n)) for c in ("u_name", "u_desc", "u_word", "u_fancy",
                                                 "u_art", "u_town", "u_var", "u_squeeze")),
        pl.Series("cut", rng.choice(_CUTS, size=n, p=_CUT_P)),
        pl.Series("jitter", rng.lognormal(0.0, 0.25, n)),
        *(pl.Series(c, rng.random(n)) for c in ("u_head", "u_head_pick", "u_head_tail")),
    ]
    trade_rows = trades.with_columns(_name_forms(trades))[t]
    place_rows = places.select("label_forms", "postcode", "region")[p]
    frame = pl.concat([trade_rows, place_rows, pl.DataFrame(columns)], how="horizontal")
    if heads:  # every shop named on one of its trade's heads
        frame = frame.with_columns(u_head=pl.lit(0.0))
    # u_desc >= 0.35 draws the terminal's spelling uniformly, not the first one most often.
    return frame.with_columns(u_desc=pl.lit(1.0)) if even_words else frame


def _with_name_parts(frame: pl.DataFrame) -> pl.DataFrame:
    """Split each name into ``lead``, trade ``word`` (and its terminal form ``dword``), ``tail``."""
    style = pl.col("style")
    words = pl.col("words").str.split("|")
    word = pl.when(pl.col("u_name") < 0.75).then(pl.col("name_forms").list.first()).otherwise(
        _pick(pl.col("name_forms"), pl.col("u_var")))
    dword = pl.when(pl.col("u_desc") < 0.35).then(words.list.first()).otherwise(
        _pick(words, pl.col("u_word")))
    first, pattern = pl.col("first"), pl.col("pattern")
    # "L ATELIER DE" + "ANNE" elides to "L ATELIER D ANNE".
    of_first = pl.when(pattern.str.ends_with(" DE ") & first.str.contains(_VOWEL)).then(
        pl.concat_str([pattern.str.strip_suffix("DE "), pl.lit("D "), first])).otherwise(
        pl.concat_str([pattern, first]))
    free = (
        pl.when(style == "article_noun").then(
            _article_noun(pl.col("noun"), pl.col("adjective"), pl.col("u_art")))
        .when((style == "fancy") & pl.col("name_heads").is_not_null()
              & (pl.col("u_head") < _HEAD_SHARE)).then(_headed_name())
        .when(style == "fancy").then(_pick(pl.col("fancy_names").str.split("|"),
                                           pl.col("u_fancy")))
        .when(style == "first_name").then(of_first)
        .when(style == "legal_owner").then(
            pl.concat_str([pl.col("legal"), pl.lit(" "), pl.col("owner"), pl.col("legal_suffix")]))
    )
    has_word = style.is_in(NAME_STYLES[:3])
    return frame.with_columns(
        lead=pl.when(style == "owner_trade").then(pl.col("owner")).otherwise(free),
        word=pl.when(has_word).then(word),
        dword=pl.when(has_word).then(dword),
        tail=pl.when(style == "trade_owner").then(pl.col("owner"))
        .when(style == "trade_place").then(pl.col("place_word")),
        suffix=pl.lit(None, dtype=pl.String),
    )


def _headed_name() -> pl.Expr:
    """A fancy name built on one of the trade's evocative heads: the head alone
    (``LE FOURNIL``), with a place (``LA CIVETTE DU MARCHE``) or with a first name
    (``LE DRESSING DE JULIE``, ``L ATELIER FLORAL D EMMA``). Across many shops only the head
    stays with the trade: a model learns the word, not the shop."""
    head = _pick(pl.col("name_heads").str.split("|"), pl.col("u_head_pick"))
    first = pl.col("first")
    of_first = pl.when(first.str.contains(_VOWEL)).then(pl.lit("D ")).otherwise(pl.lit("DE "))
    u = pl.col("u_head_tail")
    return (pl.when(u < 0.3).then(head)
            .when(u < 0.65).then(pl.concat_str([head, pl.col("place_word")], separator=" "))
            .otherwise(pl.concat_str([head, pl.lit(" "), of_first, first])))


def _name_expr() -> pl.Expr:
    return pl.concat_str(["lead", "word", "tail", "suffix"], separator=" ", ignore_nulls=True)


def _make_unique(frame: pl.DataFrame, place_words: pl.Series) -> pl.DataFrame:
    """Rename the second and later shops of a same name, deterministically, the way owners
    tell shops apart: the owner's first name (``BOULANGERIE JULIEN MARTIN``), another place
    (``BOULANGERIE DE LA GARE``), a place after the name (``LE BALTO DU PORT``), a number."""
    n_places = place_words.len()
    style = pl.col("style")
    with_first = pl.concat_str([pl.col("first"), pl.col("owner")], separator=" ")
    for attempt in range(12):
        frame = frame.with_columns(name=_name_expr())
        frame = frame.with_columns(_rank=pl.int_range(pl.len(), dtype=pl.Int64).over("name"))
        if not (frame["_rank"] > 0).any():
            return frame.drop("_rank")
        clash = pl.col("_rank") > 0
        other_place = pl.lit(place_words).gather(
            (pl.col("place_pos") + pl.col("_rank") * (attempt + 1)) % n_places)
        if attempt == 0:
            frame = frame.with_columns(
                tail=pl.when(clash & (style == "trade_owner")).then(with_first)
                .when(clash & (style == "trade_place")).then(other_place).otherwise("tail"),
                lead=pl.when(clash & (style == "owner_trade")).then(with_first)
                .when(clash & (style == "legal_owner")).then(pl.concat_str(
                    [pl.col("legal"), pl.lit(" "), with_first, pl.col("legal_suffix")]))
                .otherwise("lead"),
                suffix=pl.when(clash & style.is_in(["article_noun", "fancy", "first_name"]))
                .then(other_place).otherwise("suffix"),
            )
        elif attempt < 3:
            frame = frame.with_columns(
                tail=pl.when(clash & (style == "trade_place")).then(other_place)
                .otherwise("tail"),
                suffix=pl.when(clash & (style != "trade_place")).then(other_place)
                .otherwise("suffix"),
            )
        else:
            frame = frame.with_columns(suffix=pl.when(clash).then(pl.concat_str(
                [pl.col("suffix").fill_null(""), (pl.col("_rank") + 1).cast(pl.String)],
                separator=" ").str.strip_chars()).otherwise("suffix"))
    raise RuntimeError("could not make local merchant names unique")  # pragma: no cover


def _descriptor() -> pl.Expr:
    """The acquirer's descriptor: the terminal's word forms, sometimes the legal entity or the
    town, occasionally without spaces, cut at the terminal's length."""
    core = pl.concat_str(["lead", "dword", "tail", "suffix"], separator=" ", ignore_nulls=True)
    u = pl.col("u_town")
    legal = pl.concat_str([pl.col("legal"), pl.col("owner")], separator=" ")
    town = _pick(pl.col("label_forms").str.split("|"), pl.col("u_var"))
    text = (pl.when((u < 0.07) & (pl.col("style") != "legal_owner")).then(legal)
            .when(u > 0.78).then(pl.concat_str([core, town], separator=" "))
            .otherwise(core))
    text = pl.when(pl.col("u_squeeze") < 0.04).then(text.str.replace_all(" ", "")).otherwise(text)
    return text.str.slice(0, pl.col("cut")).str.strip_chars_end()


def generate_local_merchants(n: int, seed: int, *, even_words: bool = False,
                             heads: bool = False) -> pl.DataFrame:
    """``n`` local independent shops, deterministic for ``seed``, vectorized.

    Trades are drawn by ``share`` and towns by population. With ``even_words`` every
    spelling of every trade is drawn equally often (teaching rows for the rare trades' and
    rare spellings' words, not a bank); with ``heads`` every shop is named on one of its
    trade's evocative heads (``LE FOURNIL DE MARIE``), each head about equally often
    (teaching rows again); ``city`` is the
    town's first label form (``PARIS 15``), the key the generator joins customers to shops
    on. Names are unique; 30-40 % of them hold no trade word (``name_style`` says how each
    was built).
    """
    if not 0 <= n <= 999_999:
        raise ConfigurationError(f"n must be between 0 and 999999; got {n}")
    frame = _with_name_parts(_components(n, seed, even_words, heads))
    frame = _make_unique(frame, _words("place"))
    category = {key: sub.category for key, sub in SUBCATEGORIES.items()}
    return frame.select(
        merchant_id=pl.concat_str([pl.lit("loc:"),
                                   pl.int_range(pl.len()).cast(pl.String).str.zfill(6)]),
        name="name",
        descriptor=_descriptor(),
        trade="trade",
        subcategory="subcategory",
        category=pl.col("subcategory").replace_strict(category, return_dtype=pl.String),
        mcc="mcc",
        city=pl.col("label_forms").str.split("|").list.first(),
        postcode="postcode",
        region="region",
        ticket_median=(pl.col("ticket_median") * pl.col("jitter")).round(2),
        ticket_sigma="ticket_sigma",
        visits_per_month="visits_per_month",
        opening_days="opening_days",
        seasonality="seasonality",
        name_style="style",
    )
