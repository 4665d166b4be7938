"""Step 1 of enrichment: join a bank's two label lines and strip the dialect's noise.

French banks wrap the same purchase in very different noise (``CB CARREFOUR 12/03``,
``FACTURE CARTE DU 120325 CARREFOUR PARIS CARTE 4974XXXXXXXX1234``); what stays the same
is the merchant text. :func:`clean_labels` keeps the joined raw text (``full_label``) for
the type rules and writes the merchant-bearing remainder (``clean_label``) for merchant
matching and categorisation. The cleaning runs once per distinct text once the digits of
dates and codes are zeroed, and is joined back, so repeated labels cost nothing.

>>> import polars as pl
>>> frame = pl.DataFrame({"raw_label": ["CB CARREFOUR CITY 28/11"],
...                       "label_complement": [None]}, schema_overrides={
...                       "label_complement": pl.String})
>>> clean_labels(frame)["clean_label"].to_list()
['CARREFOUR CITY']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import polars as pl

from ledgerlens.enrich._clean_vocab import (
    ACCENTS,
    AMBIGUOUS_CITIES,
    CARD_PREFIXES,
    CONNECTORS,
    COUNTRY_CODES,
    COUNTRY_CODES_AFTER_TOWN,
    FOREIGN_CITIES,
    MONTH_WORDS,
    NUMBERED_NAMES,
    OPERATION_PREFIXES,
    REFERENCE,
    TOWN_NAMING_TRADES,
    numbered_name_regex,
)
from ledgerlens.enrich._distinct import distinct_rows, zero_digits
from ledgerlens.enrich._intermediary import TERMINALS
from ledgerlens.enrich._parallel import in_parts, stacked

__all__ = ["AMBIGUOUS_CITIES", "BARE_TYPE_LABELS", "DEFAULT_WRAP_WIDTHS", "FOREIGN_CITIES",
           "TOWN_NAMING_TRADES", "clean_labels", "ends_with_name", "finish_clean_labels",
           "french_city_forms", "normalize_text", "town_names"]

#: Line widths at which French banks cut a label mid-word and carry on in the complement.
DEFAULT_WRAP_WIDTHS: tuple[int, ...] = (32, 40, 50)

# Labels longer than this are cut before cleaning: the merchant is always near the start
# and regexes over 10,000-character junk would cost time for nothing.
_MAX_CLEAN_CHARS = 512

def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Upper case, accents and typographic quotes folded to ASCII, spaces collapsed; control
    characters read as spaces, and combining accents (``CAFE`` written with a separate
    acute accent, as some exports decompose it) and invisible format characters (a
    zero-width space) dropped."""
    return (expr.str.to_uppercase()
            .str.replace_many(list(ACCENTS), list(ACCENTS.values()))
            .str.replace_all(r"[\p{Mn}\p{Cf}]", "").str.replace_all(r"\p{Cc}", " ")
            .str.replace_all(r"\s+", " ").str.strip_chars())


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation, longest first so the leftmost-first engine prefers it."""
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(w.replace(".", r"\.").replace(" ", r"\s+") for w in unique)


@functools.cache
def _city_forms(*, ambiguous: bool = False, communes: bool = True) -> tuple[str, ...]:
    """Every French town spelling of the bundled places list and, unless ``communes`` is
    false, of the communes list, plus major foreign cities (``AMBIGUOUS_CITIES`` left out
    unless ``ambiguous``)."""
    from ledgerlens.datasets import load_communes, load_places

    lists = (load_places(), load_communes()) if communes else (load_places(),)
    forms = [form for towns in lists
             for form in towns.get_column("label_forms").str.split("|").explode()
             .drop_nulls().to_list()]
    cleaned = {f.upper().replace("-", " ").strip() for f in forms}
    cleaned |= {f.upper() for f in forms}
    cleaned |= set(FOREIGN_CITIES)
    return tuple(sorted(c for c in cleaned if c and (ambiguous or c not in AMBIGUOUS_CITIES)
                        and not c[:1].isdigit()))


@functools.cache
def town_names() -> frozenset[str]:
    """Spellings of French towns (places and communes), ``AMBIGUOUS_CITIES`` left out
    (``ORANGE`` is a telecom). Foreign cities are left out too: a restaurant may be named
    after one (``TOKYO``, ``ISTANBUL``)."""
    return frozenset(_city_forms()) - frozenset(FOREIGN_CITIES)


def french_city_forms() -> tuple[str, ...]:
    """Spellings of French towns in labels (bundled places list), ambiguous names included.

    The communes list is left out: with its 2,900 spellings the typing's town regex
    (``_types._french_city_pattern``) ran 1,000 times slower on 125,000 distinct labels
    (65 s instead of 0.06 s: the regex engine leaves its fast path) and the word lookups 8
    times slower. The communes serve the cleaning, which strips them."""
    foreign = set(FOREIGN_CITIES)
    return tuple(c for c in _city_forms(ambiguous=True, communes=False) if c not in foreign)


@functools.cache
def _single_word_cities() -> pl.Series:  # one row holding the list, for ``is_in``
    """First words of town names, for telling a wrapped word from a new one (a Series,
    built once: converting a list on every call costs more than cleaning one label). The
    places list only: the communes' first words (``L``, ``IS``, ``PONT``, ``YENNE``) are
    as often the pieces of a word the line width cut."""
    words = sorted({c.split(" ")[0] for c in _city_forms(ambiguous=True, communes=False)
                    if len(c) >= 4})
    return pl.Series("town_words", words, dtype=pl.String).implode()


@functools.cache
def _town_set(*, ambiguous: bool) -> pl.Series:
    """Town spellings as one imploded Series row, for ``is_in`` (a set lookup: a regex of
    every town would be recompiled whenever Polars' small regex cache turns over)."""
    return pl.Series("towns", _city_forms(ambiguous=ambiguous), dtype=pl.String).implode()


@functools.cache
def _code_sets() -> tuple[pl.Series, pl.Series]:
    """(codes that end a foreign label on their own, all codes allowed after a town)."""
    strong = pl.Series("c", COUNTRY_CODES, dtype=pl.String).implode()
    after_town = pl.Series("c", COUNTRY_CODES + COUNTRY_CODES_AFTER_TOWN,
                           dtype=pl.String).implode()
    return strong, after_town


_MAX_TOWN_WORDS = 5
#: A town after one of these words is part of the name (``CAF DE PARIS``, ``CAFE DU
#: PORT``): stripping it would leave the name with a dangling preposition.
_NAME_LINKS: tuple[str, ...] = ("DE", "DU", "DES", "D", "A", "AU", "AUX", "EN", "LA", "LE",
                                "LES", "L")
#: A wrapper glued before the shop's first word (``SQ *PIZZA``, ``ZETTLE_*KEBAB``).
_WRAPPER_HEAD = r"^\S*[*_]"
_DISTRICT = r"^(?:[0-9]{1,2}(?:ER|E|EME)?|CEDEX|CENTRE|NORD|SUD|EST|OUEST)$"
#: A town named after a saint that the places list lacks ends a label (``AUCHAN ST PRIEST``,
#: ``LECLERC ST MEDARD EN JALLES``): the saint's word, a name, at most two linked words.
#: Group 1 is what precedes it; it must hold a word that is no link (``CAFE DE ST ...``).
SAINT_TAIL = (r"^(.*\S)\s+(?:SAINT|SAINTE|ST|STE)\s+[A-Z]{3,}(?:\s+[A-Z]{3,})?"
              r"(?:\s+(?:EN|SUR|SOUS|LES|LEZ|DE|DU|DES|D|LA|LE|AUX|AU)\s+[A-Z]{2,}){0,2}$")
#: ... unless what precedes it is a phone wallet's name alone: ``GOOGLE PAY STE THOMAS`` is
#: a company (``STE``: société) paid with the wallet, not the wallet in a saint's town.
WALLET_HEAD = r"^(?:APPLE|GOOGLE|SAMSUNG)\s*PAY$"


@functools.cache
def saint_stoppers() -> frozenset[str]:
    """Words that end no saint's town: the local trades' single-word spellings of four
    letters or more (``ECOLE SAINT JOSEPH CANTINE`` is a school's canteen, not the school
    in a town SAINT JOSEPH CANTINE)."""
    from ledgerlens.datasets._vocab import load_local_trades

    return frozenset(spelling for words in load_local_trades()["words"].to_list()
                     for spelling in str(words).split("|")
                     if " " not in spelling and len(spelling) >= 4)


def _strip_trailing_town(frame: pl.DataFrame, col: str,
                         town_names: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Drop a trailing town (``PARIS 15``, ``MADRID ES``) or foreign country code, unless
    it is all that is left (a town can be the whole name) or it ends one of
    ``town_names`` (``TAN NANTES``, ``THE GAP``: kept whole, a district or country code
    after it dropped). Rows come back reordered."""
    marks, tokens, out, may_strip = _trailing_town_exprs(col, town_names)
    frame = frame.with_columns(*marks).with_columns(tokens)
    strip = frame.select(may_strip).to_series()
    if strip.any():  # the town rules run only where one may fire
        frame = pl.concat([frame.filter(~strip),
                           frame.filter(strip).with_columns(out.alias(col))])
    return frame.drop("_body", "_coded", "_tokens")


@functools.cache
def _last_town_words() -> pl.Series:
    """Last words of the (unambiguous) town names, as one imploded Series row: a label
    whose last word is none of them ends with no town."""
    words = sorted({c.split()[-1] for c in _city_forms(ambiguous=False)})
    return pl.Series("last_words", words, dtype=pl.String).implode()


@functools.cache
def _trailing_town_exprs(col: str, town_names: frozenset[str] = frozenset(),
                         ) -> tuple[tuple[pl.Expr, pl.Expr], pl.Expr, pl.Expr, pl.Expr]:
    """The expressions of :func:`_strip_trailing_town` (marks, the body's words, new text,
    whether any row may change), built once per process (building them costs as much as
    running them on one label).

    The text is single-spaced and stripped here (cleaning collapsed its spaces), so the
    last ``k`` words and what precedes them are list slices: no regex per town length.
    """
    towns = _town_set(ambiguous=False)
    strong, after_town = _code_sets()
    text = pl.col(col)
    last = text.str.extract(r"(\S+)$", 1)
    suffixed = (last.str.contains(_DISTRICT) | last.is_in(after_town)).fill_null(False)
    marks = (
        pl.when(suffixed).then(text.str.replace(r"\s*\S+$", "")).otherwise(text).alias("_body"),
        (last.is_in(strong).fill_null(False) & text.str.contains(r"\S\s+\S")).alias("_coded"))
    tokens = pl.col("_tokens")
    n = tokens.list.len()
    saint_head = text.str.extract(SAINT_TAIL, 1)
    stoppers = pl.Series("stoppers", sorted(saint_stoppers()), dtype=pl.String).implode()
    saint = (saint_head.is_not_null()
             & ~saint_head.str.extract(r"(\S+)$", 1).is_in(_NAME_LINKS)
             & ~saint_head.str.contains(WALLET_HEAD)
             & ~last.is_in(stoppers)).fill_null(False)
    out: pl.Expr = pl.when(pl.col("_coded")).then(text.str.replace(r"\s*\S+$", "")) \
        .when(saint).then(saint_head).otherwise(text)
    foreign = pl.Series("foreign", sorted(FOREIGN_CITIES), dtype=pl.String).implode()
    for k in range(1, _MAX_TOWN_WORDS + 1):  # a longer town name wins
        # the last k words are a town and at least one word precedes them, no link word
        # (BAR DE LA GARE) nor, before a foreign town, the French trade word that opens the
        # shop's name (PIZZA NAPOLI, SQ *KEBAB ISTANBUL; not HARD ROCK CAFE NAPOLI)
        name = tokens.list.tail(k).list.join(" ")
        head = tokens.list.head(n - k).list.join(" ")
        before = tokens.list.get(n - k - 1, null_on_oob=True)
        opens = (n - k == 1) | before.str.contains(_WRAPPER_HEAD)
        linked = before.is_in(_NAME_LINKS) | (
            opens & before.str.replace(_WRAPPER_HEAD, "").is_in(TOWN_NAMING_TRADES)
            & name.is_in(foreign))
        out = pl.when((n > k) & name.is_in(towns) & ~linked.fill_null(False)) \
            .then(head).otherwise(out)
    if town_names:  # a name that ends in a town stays whole
        words = text.str.split(" ")
        out = pl.when(ends_with_name(words, town_names)).then(text) \
            .when(ends_with_name(tokens, town_names)).then(pl.col("_body")).otherwise(out)
    # A town name ends with the body's last word: without such a word (and no country
    # code) no rule above fires, and the text is left as it is.
    may_strip = (pl.col("_coded") | saint
                 | tokens.list.last().is_in(_last_town_words())).fill_null(False)
    return marks, pl.col("_body").str.split(" ").alias("_tokens"), out, may_strip


def ends_with_name(words: pl.Expr, names: frozenset[str]) -> pl.Expr:
    """Whether the list of ``words`` ends with one of ``names`` (two words or more)."""
    kept = pl.Series("names", sorted(names), dtype=pl.String).implode()
    longest = max(len(name.split(" ")) for name in names)
    if longest < 2:
        return pl.lit(False)
    return pl.any_horizontal(
        (words.list.len() >= k) & words.list.tail(k).list.join(" ").is_in(kept)
        for k in range(2, longest + 1)).fill_null(False)


def _strip_leading_date_town(frame: pl.DataFrame, col: str) -> pl.DataFrame:
    """Drop a date-then-town head (``2811 PARIS 15 CARREFOUR``): some banks write the
    town before the merchant. Rows may come back reordered."""
    dated = frame.select(pl.col(col).str.contains(_LEADING_DATE)).to_series()
    if not dated.any():
        return frame  # no label opens on a date: nothing to strip
    return pl.concat([frame.filter(~dated),
                      frame.filter(dated).with_columns(_leading_date_town_expr(col).alias(col))])


_LEADING_DATE = r"^[0-9]{2}[/.]?[0-9]{2}(?:[/.]?[0-9]{2,4})?\s+"
#: What may follow a leading town: not a lone fragment of one or two letters, the end of a
#: town the line width cut (``06/01/25 CLERMONT FE`` is Clermont-Ferrand, not CLERMONT
#: then a shop called FE).
_AFTER_LEADING_TOWN = r"(\S{3,}.*|\S{1,2}\s+\S.*)$"


@functools.cache
def _leading_date_town_expr(col: str) -> pl.Expr:
    """The expression of :func:`_strip_leading_date_town`, built once per process. A town
    named like a brand or a trade (``AMBIGUOUS_CITIES``) stays: after a date it opens the
    merchant's name more often than a town before it (``CARTE X1234 12/03 ORANGE
    BOUTIQUE`` had lost Orange)."""
    towns = _town_set(ambiguous=False)
    text = pl.col(col)
    date = _LEADING_DATE
    district = r"(?:\s+(?:[0-9]{1,2}(?:ER|E|EME)?|CEDEX))?"
    out: pl.Expr = text
    for k in range(1, _MAX_TOWN_WORDS + 1):  # a longer town name wins
        words = rf"(?:\S+\s+){{{k - 1}}}\S+"
        name = text.str.extract(rf"{date}({words})\s", 1)
        rest = text.str.extract(rf"{date}{words}{district}\s+{_AFTER_LEADING_TOWN}", 1)
        out = pl.when(name.is_in(towns) & rest.is_not_null()).then(rest).otherwise(out)
    return out


@functools.cache
def _patterns() -> dict[str, str]:
    cards = "|".join(sorted(CARD_PREFIXES, key=len, reverse=True)).replace(" ", r"\s+")
    operations = ("|".join(sorted(OPERATION_PREFIXES, key=len, reverse=True))
                  .replace(" ", r"\s+"))
    return {
        "prefix": rf"^(?:(?:{cards})|(?:{operations})(?:\s+[0-9]+)?(?:\s+{CONNECTORS})*)"
                  rf"(?:\s+|$)",
    }


# Any three capitals after an amount read as its currency (``12,99 USD``, ``5,00 CHF``).
_CURRENCIES = "[A-Z]{3}"

# Regex removals applied in order, anywhere in the label.
_REMOVALS: tuple[tuple[str, str], ...] = (
    # loan instalment split: ``CAP 123,45 INT 12,34 ASS 5,67``
    (r"\bCAP\s+[0-9]+(?:[.,][0-9]+)?\s+INT\s+[0-9]+(?:[.,][0-9]+)?"
     r"(?:\s+ASS\s+[0-9]+(?:[.,][0-9]+)?)?", " "),
    # an amount after its currency: ``EUR 45,20``, ``GBP 5,40``
    (r"\b(?:EUR|USD|GBP|CHF|CAD|AUD|JPY|CNY|SEK|NOK|DKK|PLN|CZK|HUF|RON|TRY|MAD|TND)\s+"
     r"[0-9]+(?:[ .][0-9]{3})*,[0-9]*", " "),
    # foreign-currency amounts and the exchange rate: ``12,99 USD 1 EURO = 1,0712 USD``
    (rf"\b[0-9]+(?:[ .][0-9]{{3}})*,[0-9]*(?:\s+(?:{_CURRENCIES}))?\b(?:\s+1\s+EURO?\s*=\s*"
     rf"[0-9]+,?[0-9]*(?:\s+(?:{_CURRENCIES}))?)?", " "),
    (r"\b1\s+EURO?\s*=.*$", " "),
    # an amount cut by the line width right after the purchase date: ``FACT 281124 49``
    (r"(\b[0-9]{2}[/.]?[0-9]{2}[/.]?[0-9]{2,4})\s+[0-9]{1,3}(?:,[0-9]*)?\s*$", "$1"),
    # a Belgian direct debit's references: ``REFERENCE DU MANDAT 123``, ``REF CREANCIER BE12``
    (r"\bREF(?:ERENCE)?(?:\s+(?:DU|DE))?\s+(?:MANDAT|CREANCIER)\s*:?\s*\S*", " "),
    (r"\bMANDAT\s+\S*", " "),
    # ``LE 12/03 A 14H05`` and its truncated forms at the end of a line
    (r"\bLE\s+[0-9]{1,2}(?:[/.][0-9]{0,2}(?:[/.][0-9]{0,4})?(?:\s+A(?:\s+[0-9]{1,2}"
     r"(?:H[0-9]{0,2})?)?)?(?:\s|$)|\s*$)", " "),
    (r"\bA\s+[0-9]{1,2}H[0-9]{0,2}\b", " "),
    (r"\b[0-9]{1,2}H[0-9]{2}\b", " "),
    # purchase-date keyword of some banks: ``FACT 281124``
    (r"\bFACT\s+[0-9]*", " "),
    # an Irish bank's Visa debit code glued to the shop (``VDP-DUNNES``, ``VDC-TESCO``)
    (r"^VD[PCA]-", ""),
    # a web address's ``WWW.`` (``WWW.DECATHLON.FR``: the shop's site, as ``DECATHLON.FR``)
    (r"\bWWW\.", ""),
    # how the card was used, printed after the card's reference or the shop (``CARTE X1234
    # 28/11 SANS CONTACT PAUL``, ``CB PAUL SANS CONTACT``): the transaction type reads it
    (r"\b(?:PAIEMENT\s+)?(?:SANS\s+CONTACT|MOBILE\s+PAYMENT)\b|\bPAIEMENT\s+MOBILE\b", " "),
    # a direct debit's motif naming the instalment by its date (``MOTIF: ECHEANCE 0325``): the
    # word says nothing of the creditor (a cinema pass read as an insurance by it)
    (r"\bECHEANCE\s+(?:DU\s+)?[0-9][0-9/.\-]*", " "),
    (r"\bDU\s+[0-9]{2}[/.]?[0-9]{2}(?:[/.]?[0-9]{2,4})?\b", " "),
    # an IBAN written in groups of four (``FR76 3000 6000 0112 ...``; a glued one is a code
    # token, dropped below)
    (r"\b[A-Z]{2}[0-9]{2}(?:\s[0-9]{4}){2,7}(?:\s[0-9]{1,4})?\b", " "),
    # card references
    (r"\bCARTE\s+(?:NU[A-Z]*|NO|N)\.?(?:\s*[0-9]+)?\b", " "),
    (r"\bCARTE\s+(?:X+[0-9]*|[0-9]{4}X+[0-9]*|[0-9]{4}\b)", " "),
    (r"\b(?:CB|CARTE)\s*\*+\s*[0-9]*", " "),
    (r"\bX{1,}[0-9]{4}\b", " "),
    # a card number written in groups of four, masked or not: ``6703 XXXX XXXX 1234``
    (r"\b[0-9]{4}(?:\s+[0-9X]{4}){2}\s+[0-9]{4}\b", " "),
    # ... and its masked groups when the first group went with the operation's words
    (r"\b[0-9]{0,3}X{1,4}(?:\s+X{4})+(?:\s+[0-9]{4})?\b", " "),
    (r"\b[0-9]{4,6}X{4,}[0-9]{0,4}\b", " "),
    (r"\b[0-9]{4,6}\*{4,}[0-9]{0,4}\b", " "),
    # a Dutch bank's card number after the shop and town: ``JUMBO UTRECHT,PAS123``
    (r",\s*PAS\s*[0-9]+\b", " "),
    # Google's ad account number glued to its product: ``GOOGLE *ADS7294859372``
    (r"\bGOOGLE\s*\*\s*ADS[0-9]+\b", "GOOGLE ADS"),
    # an online order's code glued after a star (``AMZN MKTP FR*2K4L5``, ``SPOTIFY*P1A2B3``):
    # letters and digits; a name after the star has no digit (``PAYPAL *SPOTIFY``)
    (r"([A-Z.])\*(?:[A-Z0-9]*[0-9][A-Z0-9]+|[A-Z0-9]+[0-9])(?:\s|$)", "$1 "),
    # dates anywhere: 12/03, 12/03/25, 12.03.2025, 12-03-25
    (r"\b[0-9]{1,2}[/.-][0-9]{1,2}(?:[/.-][0-9]{0,4})?(?:\b|$)", " "),
    # references and creditor ids
    (REFERENCE, " "),
    (r"\b[A-Z]{2}[0-9]{2}ZZZ[0-9A-Z]*", " "),
    # field markers that only announce the party or the reason
    (r"(?:^|\s)(?:/DE|/A|/VERS|/POUR|/BEN|/MOTIF|/LIB|DE:|POUR:|MOTIF:|MOTIF\s*:|LIB:)"
     r"(?:\s|$)", " "),
    # a postcode and the (often cut) town after it end an address, not a name
    (r"\s[0-9]{5}(?:\s+[A-Z][A-Z'-]*){0,3}\s*$", " "),
    # the month a payment is for, after the name (``NAVIGO SEPTEMBRE``, ``LOYER MARS 2025``);
    # not after a short word or a number (``CHAMP DE MARS``, ``LE 1ER MAI``) nor alone
    (rf"([A-Z]\S{{2,}})\s+(?:{MONTH_WORDS})(?:\s+[0-9]{{2}}(?:[0-9]{{2}})?)?\s*$", "$1"),
)

# A card reference left at the head once a prefix is gone: ``X1234``, ``CB*1234``.
_CARD_REF_HEAD = r"^(?:X+[0-9]{2,4}|CB\*[0-9]{0,4}|[0-9]{4}X+[0-9]*)\s*"
# Punctuation left dangling by the removals, and what is stripped from the ends.
_DANGLING = r"(?:^|\s)[-/:;,.]+(?:\s|$)"
_DANGLING_CHARS = " -/:;,."

# A trailing cut date: ``16/0``, ``17/``, ``LE 06``
_TRAILING_CUT = r"(?:\s+(?:[0-9]{1,2}[/.][0-9]{0,2}|[0-9]{1,2}/|LE|LE\s+[0-9]{1,2}|CARTE|"\
    r"CARTE\s+NUM\w*|FACT|F|FA|FAC))+$"


def _drop_numeric_tokens(expr: pl.Expr) -> pl.Expr:
    """Drop tokens that are codes rather than words: mostly digits, with 4+ of them (dates,
    store, card and reference numbers) or 3+ in 6+ characters (``P2A8B9C1D2``). A word
    glued to a postcode (``MARKET06000NICE``) has more letters and stays; a name that opens
    a code, cut from it by punctuation, stays alone (``BOLT.EU/O/2503`` -> ``BOLT.EU``)."""
    token = pl.element()
    digits = token.str.count_matches("[0-9]")
    letters = token.str.count_matches("[A-Z]")
    coded = ((digits >= 4) | ((digits >= 3) & (token.str.len_chars() >= 6))) & (
        digits * 2 >= letters)
    head = token.str.extract(_CODE_HEAD, 1)
    return (expr.str.split(" ")
            .list.eval(pl.when(coded).then(head).otherwise(token).drop_nulls())
            .list.join(" "))


# A name of 3+ letters (and its web domain) before the punctuation that opens a code.
_CODE_HEAD = r"^([A-Z]{3,}(?:\.[A-Z]{2,4})?)[/*.\-_]"


#: Words that open a field of their own, never the rest of a word cut at the line's end
#: (``VIR INST RE 5463810 DE MME FARIDA RENARD`` + ``MOTIF: VENTE LEBONCOIN``).
FIELD_WORDS: tuple[str, ...] = ("MOTIF", "REF", "REFERENCE", "LIBELLE", "MANDAT")


def _join_lines(raw: pl.Expr, complement: pl.Expr, wrap_widths: Sequence[int],
                ends: tuple[pl.Expr, pl.Expr] | None = None) -> pl.Expr:
    """The label as one line: a main line cut exactly at a wrap width continues mid-word.

    A cut that fell between two words reads the same, so the complement still gets a
    space when it opens on a whole town name or one of ``FIELD_WORDS``, or a number follows
    a letter. ``ends``: :func:`_line_ends` already made columns (each is read twice).
    """
    comp = complement.str.strip_chars()
    at_width = raw.str.len_chars().is_in(list(wrap_widths)) if wrap_widths else pl.lit(False)
    first, last = ends or _line_ends(raw, complement)
    towns = _single_word_cities()
    glued = pl.concat_str([last, first]).is_in(towns)
    new_word = (first.is_in(towns) | first.is_in(list(FIELD_WORDS))
                | (last.is_in(towns) & ~glued.fill_null(False))
                | (raw.str.contains(r"[A-Za-z]$") & comp.str.contains(r"^[0-9]")))
    sep = pl.when(at_width & ~new_word.fill_null(False)).then(pl.lit("")).otherwise(
        pl.lit(" "))
    return (pl.when(comp.is_null() | (comp == "")).then(raw)
            .otherwise(pl.concat_str([raw, sep, comp])))


def _without_repeats(keys: pl.DataFrame) -> pl.DataFrame:
    """``keys`` (``_raw``, ``_comp``) with a complement that repeats the main line and goes
    on (an export's short label and its whole text: ``CARTE X1234 11/03`` and ``CARTE X1234
    11/03 CARREFOUR CITY PARIS``) made the main line, and no complement: the main line is
    not read twice. Only rows with a complement are read."""
    if "_comp" not in keys.columns or keys.get_column("_comp").null_count() == keys.height:
        return keys
    rows = keys.select(pl.col("_comp").is_not_null().arg_true()).to_series()
    two = keys[rows]
    repeat = two.select(_repeats(pl.col("_raw"), pl.col("_comp"))).to_series()
    if not repeat.any():
        return keys
    rows, two = rows.filter(repeat), two.filter(repeat)
    return keys.with_columns(
        keys.get_column("_raw").scatter(rows, two.get_column("_comp").str.strip_chars()),
        keys.get_column("_comp").scatter(rows, None))


def _repeats(raw: pl.Expr, complement: pl.Expr) -> pl.Expr:
    """Whether ``complement`` opens with the whole (non-blank) main line ``raw`` and its
    last word whole, spaces aside: the whole label of a bank export whose short label comes
    first (``VIR`` is no head of ``VIREMENT DE ACME``)."""
    def spaced(text: pl.Expr) -> pl.Expr:
        return text.str.replace_all(r"\s+", " ").str.strip_chars()

    head = spaced(raw)
    tail = pl.concat_str([spaced(complement), pl.lit(" ")])
    return ((head != "") & tail.str.starts_with(pl.concat_str([head, pl.lit(" ")])))\
        .fill_null(False)


def _line_ends(raw: pl.Expr, complement: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(the complement's first word, the main line's last word), normalised."""
    first = normalize_text(complement.str.strip_chars()).str.extract(r"^([A-Z0-9]+)", 1)
    return first, normalize_text(raw).str.extract(r"([A-Z0-9]+)$", 1)


def _canonical_digits(expr: pl.Expr) -> pl.Expr:
    """Labels that differ only in dates, times, card or reference numbers clean alike:
    every token with 4+ digits is dropped or matched by shape, so its digits are zeroed
    (lengths kept) to share the work between such labels."""
    token = pl.element()
    coded = token.str.count_matches("[0-9]") >= 4
    return (expr.str.slice(0, _MAX_CLEAN_CHARS).str.split(" ")
            .list.eval(pl.when(coded).then(token.str.replace_all("[0-9]", "0"))
                       .otherwise(token))
            .list.join(" "))


#: A neobank's English transfer names the person right after ``To`` or ``From`` (``To Marie
#: Curie``): stripped at the label's very start only (after ``CB`` it is a shop's word:
#: ``CB TO GO SUSHI``).
ENGLISH_TO = r"^(?:TO|FROM)\s+"


@functools.cache
def _clean_exprs(source: str, target: str) -> tuple[pl.Expr, ...]:
    """(prefixes stripped, removals applied, code tokens dropped, a cut tail dropped,
    dangling punctuation dropped): the expressions of :func:`_clean_column`, built once per
    process."""
    pats = _patterns()
    text = normalize_text(pl.col(source).str.slice(0, _MAX_CLEAN_CHARS)).str.replace(
        ENGLISH_TO, "")
    # prefixes may chain (``PAIEMENT PAR CARTE X1234 ...``): strip the card ref between
    for _ in range(2):
        text = text.str.replace(pats["prefix"], "").str.replace(_CARD_REF_HEAD, "")
    prefixed = text.str.replace_all(r"\s+", " ").str.strip_chars().alias(target)
    text = pl.col(target)
    for pattern, repl in _REMOVALS:
        text = text.str.replace_all(pattern, repl)
    removed = text.str.replace_all(r"\s+", " ").str.strip_chars().alias(target)
    numeric = _drop_numeric_tokens(pl.col(target)).alias(target)
    cut = pl.col(target).str.replace(_TRAILING_CUT, "").alias(target)
    # punctuation left dangling by the removals
    final = (pl.col(target).str.replace_all(_DANGLING, " ")
             .str.replace_all(r"\s+", " ").str.strip_chars(_DANGLING_CHARS).fill_null(""))
    return prefixed, removed, numeric, cut, final


# A token holding three digits or more: only a text with one can lose a code token.
_THREE_DIGIT_TOKEN = "[0-9][^ ]*[0-9][^ ]*[0-9]"


def _clean_column(frame: pl.DataFrame, source: str, target: str,
                  town_names: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Write the cleaned text of ``source`` into ``target`` (rows come back reordered:
    join on a key). Steps that read their input several times (the town rules) get it as
    a column, keeping expression trees small."""
    prefixed, removed, numeric, cut, final = _clean_exprs(source, target)
    frame = frame.with_columns(prefixed)
    frame = _strip_leading_date_town(frame, target)
    frame = frame.with_columns(removed)
    coded = frame.select(pl.col(target).str.contains(_THREE_DIGIT_TOKEN)).to_series()
    frame = pl.concat([frame.filter(~coded), frame.filter(coded).with_columns(numeric)])
    frame = frame.with_columns(cut)
    done = []
    for _ in range(3):  # ``TASCA LISBOA LISBOA PT``
        frame = _strip_trailing_town(frame.with_columns(pl.col(target).alias("_before")),
                                     target, town_names)
        # A text left as it was stays so in the next rounds: only changed ones go on.
        changed = frame.select(pl.col(target).ne_missing(pl.col("_before"))).to_series()
        frame = frame.drop("_before")
        done.append(frame.filter(~changed))
        frame = frame.filter(changed)
        if not frame.height:
            break
    return pl.concat([*done, frame]).with_columns(final)


def clean_labels(frame: pl.DataFrame,
                 wrap_widths: Sequence[int] = DEFAULT_WRAP_WIDTHS, *,
                 town_names: Iterable[str] = ()) -> pl.DataFrame:
    """Add ``full_label`` (label and complement joined as the bank split them) and
    ``clean_label`` (upper case, no prefixes, dates, card refs, codes or trailing town).
    A label that holds no word of the row's ``counterparty_name`` opens its clean label with
    that name (``with_party_name``).

    ``town_names``: names of two words or more that end in a town or country code and keep
    it (``TAN NANTES``, ``THE GAP``, ``PUPA MILANO``; the merchant directory's
    ``town_names``).

    ``raw_label`` is required (null reads as ""); ``label_complement`` is optional.
    Cleaned once per distinct canonical text and joined back, so cost follows distinct
    labels (dates and codes aside).
    """
    if "raw_label" not in frame.columns:
        from ledgerlens.exceptions import DataError

        raise DataError("clean_labels needs a raw_label column; got columns "
                        f"{', '.join(frame.columns) or '(none)'}")
    return with_party_name(_cleaned(frame, wrap_widths, frozenset(town_names)))


def _cleaned(frame: pl.DataFrame, wrap_widths: Sequence[int],
             town_names: frozenset[str]) -> pl.DataFrame:
    if frame.height == 1:  # one transaction: the same rules on plain strings
        from ledgerlens.enrich._clean_row import clean_one
        from ledgerlens.enrich._few_rows import row_text, with_row_values

        row = clean_one(row_text(frame, "raw_label"), row_text(frame, "label_complement"),
                        wrap_widths, town_names)
        if row is not None:
            return with_row_values(frame, full_label=row[0], clean_label=row[1])
    raw = pl.col("raw_label").cast(pl.String).fill_null("")
    comp = (pl.col("label_complement").cast(pl.String) if "label_complement" in frame.columns
            else pl.lit(None, pl.String))
    keys = frame.select(raw.alias("_raw"), comp.alias("_comp"))
    # Only two-line labels need the join rule; the rest are their main line.
    has_comp = pl.col("_comp").str.strip_chars().str.len_chars().fill_null(0) > 0
    if keys.height == 1:  # one transaction the plain path leaves: no unique and joins
        keys = _without_repeats(keys)
        full = (_join_lines(pl.col("_raw"), pl.col("_comp"), wrap_widths)
                if keys.select(has_comp).item() else pl.col("_raw"))
        one = keys.with_columns(full.alias("full_label"))
        one = one.with_columns(_canonical_digits(pl.col("full_label")).alias("_canon"))
        one = _clean_column(one, "_canon", "clean_label", town_names)
        return frame.with_columns(one.get_column("full_label"), _with_numbered_names(
            one.get_column("clean_label"), one.get_column("full_label")))
    pairs, at = distinct_rows(keys)
    pairs = _without_repeats(pairs)
    # The full label is the main line, or both lines with a space; only a main line cut
    # at a wrap width needs the join rule.
    at_width = (pl.col("_raw").str.len_chars().is_in(list(wrap_widths)) if wrap_widths
                else pl.lit(False))
    pairs = pairs.with_columns(
        pl.when(has_comp).then(pl.concat_str([pl.col("_raw"), pl.lit(" "),
                                               pl.col("_comp").str.strip_chars()]))
        .otherwise(pl.col("_raw")).alias("full_label"),
        (has_comp & at_width).alias("_cut"))
    full_labels = pairs.get_column("full_label")
    cut_at = pairs.get_column("_cut").arg_true()
    if cut_at.len():
        raw_col, comp_col = pl.col("_raw"), pl.col("_comp")
        first, last = _line_ends(raw_col, comp_col)
        cut = (pairs.select("_raw", "_comp").gather(cut_at)
               .with_columns(first.alias("_first"), last.alias("_last")))
        full_labels = full_labels.scatter(cut_at, cut.select(_join_lines(
            raw_col, comp_col, wrap_widths, (pl.col("_first"), pl.col("_last")))).to_series())
    # Cleaning runs once per canonical text (digits of codes zeroed) and is joined back.
    canon = zero_digits(full_labels.str.slice(0, _MAX_CLEAN_CHARS), per_token=4).alias("_canon")
    cleaned = in_parts(canon.unique().to_frame(),
                       lambda texts: _clean_column(texts, "_canon", "clean_label", town_names),
                       stacked)
    clean = canon.to_frame().join(cleaned, on="_canon", how="left", maintain_order="left")
    clean_labels_ = _with_numbered_names(clean.get_column("clean_label"), full_labels)
    return frame.with_columns(full_labels.gather(at).alias("full_label"),
                              clean_labels_.gather(at))


#: A word of a party's name: when none is in the clean label (titles, legal forms and
#: articles aside), the label does not name the party.
_PARTY_WORD = r"[A-Z0-9]{2,}"
_PARTY_SKIP = frozenset({"MME", "MLLE", "MR", "MRS", "MS", "DR", "STE", "SARL", "SAS", "SASU",
                         "SA", "SCI", "EURL", "SNC", "ETS", "LA", "LE", "LES", "DE", "DU",
                         "DES", "THE"})
_PARTY_CHARS = 80  # a party's name longer than this is cut (names are short; junk is not)
_PARTY_FEW_ROWS = 8  # up to this many rows, plain strings (no query)


def _party_text(expr: pl.Expr) -> pl.Expr:
    return (normalize_text(expr.cast(pl.String).str.slice(0, _PARTY_CHARS))
            .str.replace_all(r"[^A-Z0-9&' -]", " ").str.replace_all(r"\s+", " ")
            .str.strip_chars())


def _party_one(normalized: str | None, clean: str | None) -> str | None:
    """``with_party_name`` of one row on plain strings: ``normalized`` is the party's name
    through ``normalize_one``; the new clean label, or None to keep it."""
    if normalized is None:
        return None
    text = re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9&' -]", " ", normalized)).strip()
    words = [w for w in re.findall(_PARTY_WORD, text) if w not in _PARTY_SKIP]
    if not words or any(w in (clean or "") for w in words):
        return None
    return f"{text} {clean or ''}".strip()


def with_party_name(frame: pl.DataFrame) -> pl.DataFrame:
    """Open ``clean_label`` with ``counterparty_name`` where the label does not name it.

    A statement read through a PSD2 API or an aggregator may give the party apart from a
    bare remittance text (``Achat CB`` paid to ``BOULANGERIE DU PARC``, ``FACTURE 2025-03``
    debited by ``MAIF``) where a bank's own label names it (``PRLV SEPA MAIF FACTURE``):
    the name joins the clean label, so that merchant matching and the category model read
    the party where they would on the bank's label. A clean label holding a word of the
    name (titles, legal forms and articles aside: the bank's own labels, a name cut or
    written surname first included) is left as it is. Only rows with a party are read.
    """
    if ("counterparty_name" not in frame.columns
            or frame.get_column("counterparty_name").null_count() == frame.height):
        return frame
    from ledgerlens.enrich._clean_row import normalize_one, safe_text

    parties = frame.get_column("counterparty_name")
    cleans = frame.get_column("clean_label")
    if frame.height <= _PARTY_FEW_ROWS and parties.dtype == pl.String and all(
            p is None or safe_text(p) for p in parties.to_list()):
        values = [_party_one(None if party is None else normalize_one(party[:_PARTY_CHARS]),
                             clean) or clean
                  for party, clean in zip(parties.to_list(), cleans.to_list(), strict=True)]
        return frame.with_columns(pl.Series("clean_label", values, dtype=pl.String))
    rows = frame.select(pl.col("counterparty_name").cast(pl.String).str.contains(r"\S")
                        .fill_null(False).arg_true()).to_series()
    if rows.len() == 0:
        return frame
    keys, at = distinct_rows(frame.select(pl.col("counterparty_name").cast(pl.String),
                                          pl.col("clean_label").fill_null(""))[rows])
    keys = keys.with_row_index("_k").with_columns(_party_text(pl.col("counterparty_name"))
                                                   .alias("_party"))
    words = (keys.select("_k", "clean_label", _w=pl.col("_party").str.extract_all(_PARTY_WORD))
             .explode("_w").filter(pl.col("_w").is_not_null()
                                   & ~pl.col("_w").is_in(sorted(_PARTY_SKIP))))
    seen = words.group_by("_k").agg(
        pl.col("clean_label").str.contains(pl.col("_w"), literal=True).any().alias("_seen"))
    named = keys.join(seen, on="_k", how="inner").filter(~pl.col("_seen"))
    if named.height == 0:
        return frame
    new = (keys.select("_k").join(named.select(
        "_k", _new=pl.concat_str([pl.col("_party"), pl.col("clean_label")], separator=" ")
        .str.strip_chars()), on="_k", how="left", maintain_order="left")
        .get_column("_new").gather(at))
    changed = new.is_not_null()
    return frame.with_columns(cleans.scatter(rows.filter(changed), new.filter(changed))
                              .alias("clean_label"))


def _with_numbered_names(clean: pl.Series, full: pl.Series) -> pl.Series:
    """``clean`` with the number of a numbered chain name put back (``OPTIC 2000``: cleaning
    drops every number of four digits) where the full label spells it and ``clean`` lost
    it (``MICROSOFT*MICROSOFT 365`` keeps its three digits)."""
    spelled = full.str.contains(f"(?i){numbered_name_regex()}").fill_null(False).arg_true()
    if not spelled.len():  # most batches: one pass, no name to put back
        return clean
    full_rows, clean_rows = full.gather(spelled), clean.gather(spelled)
    for name in NUMBERED_NAMES:
        head, number = name.split(" ")
        has = (full_rows.str.contains(rf"(?i)\b{head}\s+{number}\b")
               & ~clean_rows.str.contains(rf"\b{head}\s+{number}\b")).fill_null(False)
        if has.any():
            rows = has.arg_true()
            clean_rows = clean_rows.scatter(
                rows, clean_rows.gather(rows).str.replace(rf"\b{head}\b", name))
    return clean.scatter(spelled, clean_rows)


#: What a label reads as, by transaction type, when its cleaning leaves nothing: the bank's
#: own words only (``RETRAIT DAB 11/03 PARIS``, ``ECHEANCE PRET 12345678``). A deferred card
#: total always reads so: what its cleaning leaves (``TOT DIF``, ``RELEVE DIFF``) is the
#: bank's abbreviations.
BARE_TYPE_LABELS: dict[str, str] = {
    "cash_withdrawal": "RETRAIT ESPECES", "cash_deposit": "VERSEMENT ESPECES",
    "cheque": "CHEQUE", "cheque_deposit": "REMISE DE CHEQUE", "loan_repayment": "ECHEANCE PRET",
    "loan_disbursement": "DEBLOCAGE PRET", "deferred_card_total": "RELEVE CARTE DIFFERE",
    "fee": "FRAIS BANCAIRES", "interest": "INTERETS", "direct_debit": "PRELEVEMENT",
    "transfer_in": "VIREMENT RECU", "instant_transfer_in": "VIREMENT INSTANTANE RECU",
    "transfer_out": "VIREMENT EMIS", "instant_transfer_out": "VIREMENT INSTANTANE EMIS",
    "own_account_transfer": "VIREMENT INTERNE", "refund": "REMBOURSEMENT",
    "reversal": "ANNULATION", "card_in_store": "PAIEMENT CARTE", "card_online": "PAIEMENT CARTE",
    "card_contactless": "PAIEMENT CARTE", "card_abroad": "PAIEMENT CARTE",
}
#: Operations of the bank's own whose label is the bank's words: their name leads the clean
#: label, before what the cleaning left (a town, a lender: ``RETRAIT ESPECES PARIS``).
_NAMED_TYPES = ("cash_withdrawal", "cash_deposit", "cheque", "cheque_deposit",
                "loan_repayment", "loan_disbursement")
#: Words of those names, not repeated from what the cleaning left (``PRET IMMOBILIER``).
_NAME_WORDS = r"\b(?:RETRAIT|ESPECES|VERSEMENT|CHEQUES?|REMISE|ECHEANCE|PRET|DEBLOCAGE)\b"
#: A cheque's number (what its owner reconciles it by), kept in its clean label.
_CHEQUE_NUMBER = r"\b([0-9]{5,8})\b"
_CHEQUE_TYPES = ("cheque", "cheque_deposit")
#: Phone wallets: a way to pay with the card, like ``PAIEMENT MOBILE`` (which the cleaning
#: drops), not a business; the shop they carry is the clean label.
#: Wrappers whose shop is shown in its stead: the phone wallets and the shops' own card
#: terminals and web checkouts (``SUMUP *BOULANGERIE MARTIN``: ``BOULANGERIE MARTIN``; the
#: ``intermediary`` column names the terminal). PayPal and the P2P apps are services the
#: customer chose and stay in the label.
_UNWRAPPED = ("apple_pay", "google_pay", "samsung_pay", *TERMINALS)


def _finished_label(clean: str | None, ttype: str | None, raw: str | None,
                    wallet: str | None, shop: str | None) -> str | None:
    """``finish_clean_labels`` of one row."""
    if wallet in _UNWRAPPED and (shop or "").strip():
        return shop
    name = BARE_TYPE_LABELS.get(ttype or "")
    rest = (clean or "").strip()
    if name is None or ttype == "deferred_card_total":
        return name or clean
    if ttype not in _NAMED_TYPES:
        return clean if rest else name
    found = re.search(_CHEQUE_NUMBER, raw or "") if ttype in _CHEQUE_TYPES else None
    rest = re.sub(r"\s+", " ", re.sub(_NAME_WORDS, " ", rest)).strip()
    return " ".join(p for p in (name, found and found.group(1), rest) if p)


def _without_name_words(rest: pl.Expr) -> pl.Expr:
    left = rest.str.replace_all(_NAME_WORDS, " ").str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(left != "").then(left)


def finish_clean_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """The clean label as shown, once the transaction type and intermediary are known:
    cash, cheques and loan instalments read as their type's name then what the cleaning
    left (``RETRAIT ESPECES PARIS``, ``ECHEANCE PRET``; a cheque with its number:
    ``CHEQUE 1234567``), a deferred card total as ``RELEVE CARTE DIFFERE``, a phone
    wallet's payment as the shop it carried (``APPLE PAY CARREFOUR``: ``CARREFOUR``), and
    any other label its cleaning left empty as its type's name. Needs ``clean_label`` and
    ``transaction_type`` (frames without them are returned as they are); reads
    ``raw_label``, ``intermediary`` and ``merchant_text`` when there."""
    if not {"clean_label", "transaction_type"} <= set(frame.columns):
        return frame
    if frame.height == 1:  # one transaction: no query
        from ledgerlens.enrich._few_rows import row_text, with_row_values

        return with_row_values(frame, clean_label=_finished_label(*(
            row_text(frame, c) for c in ("clean_label", "transaction_type", "raw_label",
                                         "intermediary", "merchant_text"))))

    def text(name: str) -> pl.Expr:
        return (pl.col(name).cast(pl.String) if name in frame.columns
                else pl.lit(None, pl.String))

    ttype, shop = text("transaction_type"), text("merchant_text")
    clean = pl.col("clean_label").cast(pl.String)
    # Most rows (card payments, direct debits, transfers with a name) keep their label: the
    # rewriting runs on the others only. A blank label is empty or starts with a space
    # (cheaper than stripping every label; a few non-blank ones come along and stay).
    todo = (ttype.is_in([*_NAMED_TYPES, "deferred_card_total"])
            | text("intermediary").is_in(_UNWRAPPED) | clean.is_null()
            | (clean.str.len_bytes() <= 1) | clean.str.starts_with(" "))
    rows = frame.select(todo.fill_null(False)).to_series().arg_true()
    if rows.len() == 0:
        return frame
    name = ttype.replace_strict(BARE_TYPE_LABELS, default=None, return_dtype=pl.String)
    number = pl.when(ttype.is_in(_CHEQUE_TYPES)).then(
        text("raw_label").str.extract(_CHEQUE_NUMBER, 1))
    rest = clean.str.strip_chars()
    rest = pl.when(rest != "").then(rest)
    wallet = (text("intermediary").is_in(_UNWRAPPED)
              & (shop.fill_null("").str.strip_chars() != ""))
    shown = frame[rows].select(pl.when(wallet).then(shop)
                               .when(ttype == "deferred_card_total").then(name)
                               .when(ttype.is_in(_NAMED_TYPES)).then(pl.concat_str(
                                   [name, number, _without_name_words(rest)], separator=" ",
                                   ignore_nulls=True))
                               .when(rest.is_null() & name.is_not_null()).then(name)
                               .otherwise(clean)).to_series()
    return frame.with_columns(frame.get_column("clean_label").cast(pl.String)
                              .scatter(rows, shown).alias("clean_label"))
