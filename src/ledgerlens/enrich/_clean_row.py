"""Step 1 for one transaction: :func:`clean_labels`' rules run on plain strings.

A one-row Polars frame pays a fixed cost per expression (and recompiles regexes that
Polars' small cache dropped), about 10 ms for the whole cleaning; the same rule tables
run here with Python's compiled regexes in a fraction of a millisecond. Only text whose
characters read alike in both regex engines takes this path (:func:`safe_text`);
the tests check that it gives exactly the table path's output.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledgerlens.enrich import _clean as c
from ledgerlens.enrich import _clean_vocab as v

__all__ = ["clean_one", "ends_with_name", "normalize_one", "safe_text"]

# Printable ASCII and the accented letters and marks the normaliser folds to ASCII: on
# these characters Rust's and Python's regexes, case mappings and stripping agree.
_SAFE = frozenset(
    {chr(i) for i in range(0x20, 0x7F)}
    | {k for k in v.ACCENTS if k.isprintable() and not k.isspace()}
    | {k.lower() for k in v.ACCENTS if k.isalpha() and k.lower().upper() == k})
_TRANSLATE = str.maketrans(v.ACCENTS)
_SPACES = re.compile(r"\s+")


def safe_text(*texts: str | None) -> bool:
    """Whether every character of ``texts`` is one the fast path handles exactly."""
    return all(t is None or _SAFE.issuperset(t) for t in texts)


def normalize_one(text: str) -> str:
    """:func:`normalize_text` of one (safe) string."""
    return _SPACES.sub(" ", text.upper().translate(_TRANSLATE)).strip()


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


Regex = re.Pattern[str]


@dataclass(frozen=True)
class _Tables:
    """The compiled regexes and town sets of the cleaning rules."""

    prefix: Regex
    english_to: Regex
    card_ref: Regex
    removals: tuple[tuple[Regex, str], ...]
    trailing_cut: Regex
    dangling: Regex
    leading_date: Regex
    leading_town: tuple[tuple[Regex, Regex], ...]
    town_words: frozenset[str]
    towns: frozenset[str]
    last_words: frozenset[str]
    strong: frozenset[str]
    after_town: frozenset[str]
    district: Regex


@functools.cache
def _tables() -> _Tables:
    """The rule tables of :mod:`_clean` as Python objects, built once per process."""
    towns = c._city_forms(ambiguous=False)
    return _Tables(
        prefix=_rx(c._patterns()["prefix"]),
        english_to=_rx(c.ENGLISH_TO),
        card_ref=_rx(c._CARD_REF_HEAD),
        removals=tuple((_rx(p), r.replace("$1", r"\1")) for p, r in c._REMOVALS),
        trailing_cut=_rx(c._TRAILING_CUT),
        dangling=_rx(c._DANGLING),
        leading_date=_rx(c._LEADING_DATE),
        leading_town=tuple(_leading_town_regexes(k) for k in range(1, c._MAX_TOWN_WORDS + 1)),
        town_words=frozenset(c._single_word_cities().explode().to_list()),
        towns=frozenset(towns),
        last_words=frozenset(t.split()[-1] for t in towns),
        strong=frozenset(v.COUNTRY_CODES),
        after_town=frozenset(v.COUNTRY_CODES + v.COUNTRY_CODES_AFTER_TOWN),
        district=_rx(c._DISTRICT),
    )


def _leading_town_regexes(k: int) -> tuple[Regex, Regex]:
    date = c._LEADING_DATE
    district = r"(?:\s+(?:[0-9]{1,2}(?:ER|E|EME)?|CEDEX))?"
    words = rf"(?:\S+\s+){{{k - 1}}}\S+"
    return (_rx(rf"{date}({words})\s"),
            _rx(rf"{date}{words}{district}\s+{c._AFTER_LEADING_TOWN}"))


_DIGITS = "0123456789"
_LETTER = re.compile("[A-Z]")
_CODE_HEAD = re.compile(c._CODE_HEAD)
_FIRST_WORD = re.compile(r"^([A-Z0-9]+)")
_LAST_WORD = re.compile(r"([A-Z0-9]+)$")
_ENDS_IN_LETTER = re.compile(r"[A-Za-z]$")
_LAST_TOKEN = re.compile(r"(\S+)$")
_DROP_LAST_TOKEN = re.compile(r"\s*\S+$")
_SAINT_TAIL = re.compile(c.SAINT_TAIL)
_WALLET_HEAD = re.compile(c.WALLET_HEAD)
_TWO_WORDS = re.compile(r"\S\s+\S")


def _join_lines(raw: str, complement: str, wrap_widths: Sequence[int]) -> str:
    """:func:`_clean._join_lines` for a complement that is not blank."""
    comp = complement.strip()
    towns = _tables().town_words
    first_m = _FIRST_WORD.search(normalize_one(comp))
    last_m = _LAST_WORD.search(normalize_one(raw))
    first = first_m.group(1) if first_m else None
    last = last_m.group(1) if last_m else None
    glued = first is not None and last is not None and last + first in towns
    new_word = ((first is not None and (first in towns or first in c.FIELD_WORDS))
                or (last is not None and last in towns and not glued)
                or (_ENDS_IN_LETTER.search(raw) is not None and comp[0] in _DIGITS))
    sep = "" if len(raw) in wrap_widths and not new_word else " "
    return raw + sep + comp


def _repeats(raw: str, complement: str) -> bool:
    """:func:`_clean._repeats` of one label."""
    head = _SPACES.sub(" ", raw).strip()
    return head != "" and (_SPACES.sub(" ", complement).strip() + " ").startswith(head + " ")


def _canonical_digits(text: str) -> str:
    tokens = text[:c._MAX_CLEAN_CHARS].split(" ")
    return " ".join(_zero(t) if _digits(t) >= 4 else t for t in tokens)


def _digits(text: str) -> int:
    return len(text) - len(text.translate(_NO_DIGITS))


_NO_DIGITS = str.maketrans(dict.fromkeys("0123456789"))


def _zero(text: str) -> str:
    return text.translate(_ZEROS)


_ZEROS = str.maketrans(dict.fromkeys("0123456789", "0"))


def _strip_leading_date_town(text: str) -> str:
    t = _tables()
    if not t.leading_date.search(text):
        return text
    out = text
    for name_rx, rest_rx in t.leading_town:  # a longer town name wins
        name, rest = name_rx.search(text), rest_rx.search(text)
        if name and rest and name.group(1) in t.towns:
            out = rest.group(1)
    return out


def _drop_numeric_tokens(text: str) -> str:
    kept = []
    for token in text.split(" "):
        digits = _digits(token)
        letters = len(_LETTER.findall(token)) if len(token) > digits else 0
        coded = (digits >= 4 or (digits >= 3 and len(token) >= 6)) and digits * 2 >= letters
        if not coded:
            kept.append(token)
        elif (head := _CODE_HEAD.match(token)) is not None:
            kept.append(head.group(1))
    return " ".join(kept)


def ends_with_name(text: str, names: frozenset[str]) -> bool:
    """:func:`_clean.ends_with_name` of one text's words."""
    if not names:
        return False
    words = text.split(" ")
    return any(" ".join(words[-k:]) in names for k in range(2, len(words) + 1))


def _strip_trailing_town(text: str, town_names: frozenset[str]) -> str:
    t = _tables()
    last_m = _LAST_TOKEN.search(text)
    last = last_m.group(1) if last_m else None
    suffixed = last is not None and (t.district.search(last) is not None
                                     or last in t.after_town)
    body = _DROP_LAST_TOKEN.sub("", text, count=1) if suffixed else text
    coded = last is not None and last in t.strong and _TWO_WORDS.search(text) is not None
    tokens = body.split(" ")
    saint_m = _SAINT_TAIL.match(text)
    saint = (saint_m is not None and saint_m.group(1).rsplit(" ", 1)[-1] not in c._NAME_LINKS
             and _WALLET_HEAD.match(saint_m.group(1)) is None
             and last not in c.saint_stoppers())
    if not (coded or saint or tokens[-1] in t.last_words):
        return text  # no town can end it
    if ends_with_name(text, town_names):  # a name that ends in a town stays whole
        return text
    if ends_with_name(body, town_names):
        return body
    out = (_DROP_LAST_TOKEN.sub("", text, count=1) if coded
           else saint_m.group(1) if saint and saint_m is not None else text)
    n = len(tokens)
    for k in range(1, c._MAX_TOWN_WORDS + 1):  # a longer town name wins
        name = " ".join(tokens[-k:])
        if n > k and name in t.towns and tokens[n - k - 1] not in c._NAME_LINKS and not (
                _opens_with_trade(tokens[n - k - 1], n - k == 1)
                and name in c.FOREIGN_CITIES):
            out = " ".join(tokens[:n - k])
    return out


def _opens_with_trade(word: str, first: bool) -> bool:
    """Whether ``word``, before a town, is the French trade word that opens the shop's name
    (first, or glued to its terminal: ``SQ *KEBAB``): see ``_clean._trailing_town_exprs``."""
    bare = re.sub(c._WRAPPER_HEAD, "", word)
    return (first or bare != word) and bare in c.TOWN_NAMING_TRADES


def _clean_text(canon: str, town_names: frozenset[str]) -> str:
    """:func:`_clean._clean_column` of one canonical text."""
    t = _tables()
    text = t.english_to.sub("", normalize_one(canon[:c._MAX_CLEAN_CHARS]), count=1)
    for _ in range(2):
        text = t.card_ref.sub("", t.prefix.sub("", text, count=1), count=1)
    text = _strip_leading_date_town(_SPACES.sub(" ", text).strip())
    for pattern, repl in t.removals:
        text = pattern.sub(repl, text)
    text = _drop_numeric_tokens(_SPACES.sub(" ", text).strip())
    text = t.trailing_cut.sub("", text, count=1)
    for _ in range(3):  # ``TASCA LISBOA LISBOA PT``
        stripped = _strip_trailing_town(text, town_names)
        if stripped == text:
            break
        text = stripped
    return _SPACES.sub(" ", t.dangling.sub(" ", text)).strip(c._DANGLING_CHARS)


def clean_one(raw: str | None, complement: str | None, wrap_widths: Sequence[int],
              town_names: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(``full_label``, ``clean_label``) of one label, or None when its text holds a
    character the fast path does not handle (the caller then takes the table path)."""
    if not safe_text(raw, complement):
        return None
    raw = raw or ""
    if complement is not None and _repeats(raw, complement):
        raw, complement = complement.strip(), None
    full = (_join_lines(raw, complement, wrap_widths)
            if complement is not None and complement.strip() else raw)
    return full, _with_numbered_names(_clean_text(_canonical_digits(full), town_names), full)


def _with_numbered_names(clean: str, full: str) -> str:
    """:func:`_clean._with_numbered_names` of one label."""
    for name, (spelled, head) in _numbered().items():
        if spelled.search(full) and not spelled.search(clean):
            clean = head.sub(name, clean, count=1)
    return clean


@functools.cache
def _numbered() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """name -> (its spelling in a full label, its first word in a clean one)."""
    out = {}
    for name in v.NUMBERED_NAMES:
        head, number = name.split(" ")
        out[name] = (re.compile(rf"\b{head}\s+{number}\b", re.IGNORECASE),
                     re.compile(rf"\b{head}\b"))
    return out
