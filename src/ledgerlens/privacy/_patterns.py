"""Identifiers found by their shape: e-mails, IBANs, card numbers, phones, national ids.

Every rule rewrites a *marked* copy of the text: a personal-data region is wrapped in an
opening character naming its kind and a closing character (Unicode noncharacters, which
bank text never holds), so later rules can skip what earlier ones found, and the spans
are read back at the end from where the markers stand. IBANs (mod 97), card numbers
(Luhn) and social security numbers (key mod 97) are validated on the distinct candidates
only, then the valid ones are wrapped; everything else stays vectorized Polars.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from ledgerlens.privacy._words import REFERENCE_WORDS

__all__ = [
    "CLOSE",
    "KEEP",
    "KIND_OF_OPEN",
    "OPEN",
    "REFERENCE_KEEP",
    "REGION",
    "iban_country_alternation",
    "is_valid_iban",
    "is_valid_nir",
    "luhn_ok",
    "mark_patterns",
    "mark_split_cards",
    "protect",
    "reference_keep",
    "sanitize",
    "wrap",
    "wrap_either",
]

#: Opening character of a region of each kind; ``KEEP`` wraps what must stay (companies).
OPEN: dict[str, str] = {
    "name": "\ufdd0", "iban": "\ufdd1", "card_number": "\ufdd2", "email": "\ufdd3",
    "phone": "\ufdd4", "national_id": "\ufdd5",
}
KEEP = "\ufdd6"
CLOSE = "\ufddf"
KIND_OF_OPEN = {v: k for k, v in OPEN.items()}
#: One whole region, of any kind (the rules step over these).
REGION = "[\ufdd0-\ufdd6][^\ufddf]*\ufddf"
_CAND_OPEN, _CAND_CLOSE = "\ufde8", "\ufde9"
_NONCHARACTERS = "[\ufdd0-\ufdef]"

#: ISO 13616 IBAN length per country.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}

# The domain may be cut (``JEAN.DUPONT@ORANG``, ``...@GMAIL.``): a cut label keeps what it can.
_EMAIL = r"[\p{L}0-9._%+\-]*@[\p{L}0-9\-]+(?:\.[\p{L}0-9\-]*)*"
# one separator throughout, as people write numbers (a date then an amount is no phone)
_PHONE_FR = "|".join(
    rf"(?:\+33{opt}(?:\(0\){opt})?|0033{opt}|0)[1-9](?:{sep}[0-9]{{2}}){{4}}"
    for sep, opt in (("", ""), (" ", " ?"), (r"\.", r"\.?"), ("-", "-?")))
_PHONE_INTL = r"(?:\+|00)[1-9][0-9]{0,2}[ .\-]?[0-9]{1,4}(?:[ .\-]?[0-9]{2,4}){2,4}"
_NIR = (r"[12][ .]?[0-9]{2}[ .]?(?:0[1-9]|1[0-2]|[2-9][0-9])[ .]?(?:[0-9]{2}|2A|2B)"
        r"[ .]?[0-9]{3}[ .]?[0-9]{3}(?:[ .]?[0-9]{1,2})?")
# contiguous, in groups of four, or American Express's 4-6-5
_PAN = (r"(?:[0-9]{13,19}|[0-9]{4}(?:[ \-][0-9]{4}){2,3}(?:[ \-]?[0-9]{1,3})?|"
        r"[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{5})")
# contiguous, or printed in groups of four
_IBAN = r"[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)"


def reference_keep(words: frozenset[str] = REFERENCE_WORDS) -> str:
    """A ``keep`` pattern for ``wrap``: one of ``words`` and the number after it stay as
    they are, so that a reference that happens to look like a phone (``REF: 0612345678``)
    is not taken for one."""
    alternation = "|".join(sorted(words, key=len, reverse=True))
    return rf"(?P<k>\b(?i:{alternation})\b[ .:/°]*[0-9][0-9 ]*[0-9]?)"


REFERENCE_KEEP = reference_keep()


def sanitize(texts: pl.Expr) -> pl.Expr:
    """Noncharacters would be mistaken for markers: replace them (they never carry text)."""
    return texts.str.replace_all(_NONCHARACTERS, "\ufffd")


def wrap(texts: pl.Expr, pattern: str, kind: str, *, keep: str | None = None) -> pl.Expr:
    """Wrap group ``x`` of each match of ``pattern`` in a region of ``kind``.

    ``pattern`` may have groups ``pre`` and ``post`` (context put back as it was).
    Regions found before are stepped over (an alternative consumes them whole), and so is
    ``keep`` (a pattern with group ``k``) when given; both leave an empty region behind,
    removed at once.
    """
    return _rewrite(texts, pattern, [(OPEN[kind], "x", CLOSE)], keep)


def wrap_either(texts: pl.Expr, pattern: str, kinds: dict[str, str], *,
                keep: str | None = None) -> pl.Expr:
    """Like ``wrap``, for a pattern whose alternatives hold different kinds: group
    ``name`` of ``kinds`` becomes a region of ``kinds[name]``."""
    return _rewrite(texts, pattern, [(OPEN[k], g, CLOSE) for g, k in kinds.items()], keep)


def _rewrite(texts: pl.Expr, pattern: str, wraps: list[tuple[str, str, str]],
             keep: str | None) -> pl.Expr:
    alternatives = [f"(?P<r>{REGION})"]
    replacement = "${r}"
    if keep is not None:
        alternatives.append(keep)
        replacement += "${k}"
    if "(?P<pre>" in pattern:
        replacement += "${pre}"
    replacement += "".join(opening + "${" + group + "}" + closing
                           for opening, group, closing in wraps)
    if "(?P<post>" in pattern:
        replacement += "${post}"
    alternatives.append(pattern)
    texts = texts.str.replace_all("|".join(alternatives), replacement)
    for opening, _, closing in wraps:
        texts = texts.str.replace_all(opening + closing, "", literal=True)
    return texts


def _candidates(texts: pl.Expr, pattern: str, keep: str | None = None) -> pl.Expr:
    """Wrap every match (group ``x``) in candidate markers, to be validated later."""
    return _rewrite(texts, pattern, [(_CAND_OPEN, "x", _CAND_CLOSE)], keep)


def _validate(marked: pl.Series, kind: str,
              valid_part: Callable[[str], tuple[int, int] | None]) -> pl.Series:
    """Turn valid candidates into regions of ``kind`` and drop the other candidates' marks.

    ``valid_part(candidate)`` gives the [start, end) slice of the candidate that is valid,
    or None; only distinct candidates are checked.
    """
    found = (marked.str.extract_all(f"{_CAND_OPEN}[^{_CAND_CLOSE}]*{_CAND_CLOSE}")
             .explode().drop_nulls().unique())
    patterns: list[str] = []
    replacements: list[str] = []
    for candidate in found.to_list():
        part = valid_part(candidate[1:-1])
        if part is None:
            continue
        text = candidate[1:-1]
        start, end = part
        patterns.append(candidate)
        replacements.append(text[:start] + OPEN[kind] + text[start:end] + CLOSE + text[end:])
    if patterns:
        marked = marked.str.replace_many(patterns, replacements)
    return marked.str.replace_all(f"[{_CAND_OPEN}{_CAND_CLOSE}]", "").alias("t")


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_valid_iban(value: str) -> bool:
    """Length for the country and the ISO 7064 mod-97 check (spaces and case ignored)."""
    iban = value.replace(" ", "").upper()
    if len(iban) != IBAN_LENGTHS.get(iban[:2], -1) or not iban.isalnum() or not iban.isascii():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def is_valid_nir(value: str) -> bool:
    """French social security number: a valid key (97 - number mod 97), or the grouped
    way people type one (``1 84 05 75 123 456 78``, key or not): the grouping alone is
    specific enough, and a key mistyped by hand is still someone's number."""
    compact = value.replace(" ", "").replace(".", "").upper()
    if len(compact) not in (13, 14, 15):
        return False
    if re.fullmatch(r"[12][ .][0-9]{2}[ .][0-9]{2}[ .][0-9AB]{2}[ .][0-9]{3}[ .][0-9]{3}"
                    r"(?:[ .][0-9]{1,2})?", value.upper()):
        return True
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    if (len(compact) != 15 or not compact.isascii() or not body.isdigit()
            or not compact[13:].isdigit()):
        return False
    return 97 - int(body) % 97 == int(compact[13:])


_ASCII_DIGITS = frozenset("0123456789")


def _iban_part(candidate: str) -> tuple[int, int] | None:
    """The longest prefix of the candidate that is a valid IBAN (a grouped IBAN may be
    followed by other words the pattern took along)."""
    end = len(candidate)
    while end >= 15:
        if is_valid_iban(candidate[:end]):
            return (0, end)
        end = candidate.rfind(" ", 0, end)
        if end < 0:
            break
    return None


def _pan_part(candidate: str) -> tuple[int, int] | None:
    digits = "".join(ch for ch in candidate if ch in _ASCII_DIGITS)
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
        return (0, len(candidate))
    return None


def _nir_part(candidate: str) -> tuple[int, int] | None:
    return (0, len(candidate)) if is_valid_nir(candidate) else None


def iban_country_alternation() -> str:
    return "(?:" + "|".join(sorted(IBAN_LENGTHS)) + ")"


def mark_patterns(marked: pl.Series, kinds: frozenset[str]) -> pl.Series:
    """Wrap e-mails, valid IBANs, social security numbers, valid card numbers and phone
    numbers (in that order: each one steps over what the ones before found)."""
    frame = marked.rename("t").to_frame().with_row_index("i")
    # only texts with an '@' or eight digits in a row can hold any of them
    worth = pl.col("t").str.contains(r"@|[0-9](?:[ .\-]?[0-9]){7}").fill_null(False)
    found = _mark_patterns(frame.filter(worth), kinds)
    return frame["t"].clone().scatter(found["i"], found["t"]).alias(marked.name)


def _mark_patterns(frame: pl.DataFrame, kinds: frozenset[str]) -> pl.DataFrame:
    t = pl.col("t")
    if "email" in kinds:
        frame = frame.with_columns(wrap(t, rf"(?P<x>{_EMAIL})", "email"))
    if "iban" in kinds:
        iban = rf"(?P<pre>\b)(?P<x>(?i:{_IBAN}))\b"
        frame = frame.with_columns(_candidates(t, iban))
        frame = frame.with_columns(_validate(frame["t"], "iban", _iban_part))
    if "national_id" in kinds:
        nir = rf"(?P<pre>\b)(?P<x>(?i:{_NIR}))\b"
        frame = frame.with_columns(_candidates(t, nir))
        frame = frame.with_columns(_validate(frame["t"], "national_id", _nir_part))
    if "card_number" in kinds:
        pan = rf"(?P<pre>\b)(?P<x>{_PAN})\b"
        frame = frame.with_columns(_candidates(t, pan, keep=REFERENCE_KEEP))
        frame = frame.with_columns(_validate(frame["t"], "card_number", _pan_part))
    if "phone" in kinds:
        phone = rf"(?P<pre>^|[^\w+])(?P<x>{_PHONE_FR}|{_PHONE_INTL})\b"
        frame = frame.with_columns(wrap(t, phone, "phone", keep=REFERENCE_KEEP))
    return frame


_TAIL_DIGITS = r"(?:^|\s)([0-9]{1,18})\s*$"
_HEAD_DIGITS = r"^\s*([0-9]{1,18})(?:\s|$)"


def mark_split_cards(frame: pl.DataFrame, first: str, second: str) -> pl.DataFrame:
    """A card number cut between two label lines (``... VACANCES 4`` then
    ``984997314159053``): the digits that end column ``first`` and those that start
    ``second`` are wrapped as card numbers when together they have 13 to 19 digits and
    pass the Luhn check (checked on the distinct candidates)."""
    joined = pl.concat_str([pl.col(first).str.extract(_TAIL_DIGITS, 1),
                            pl.col(second).str.extract(_HEAD_DIGITS, 1)])
    candidates = frame.select(joined.alias("j"))["j"].drop_nulls().unique().to_list()
    valid = [v for v in candidates if 13 <= len(v) <= 19 and v[0] in "23456" and luhn_ok(v)]
    if not valid:
        return frame
    split = joined.is_in(pl.Series(valid, dtype=pl.String).implode()).fill_null(False)
    card = OPEN["card_number"]
    tail = pl.col(first).str.replace(r"(?P<pre>^|\s)(?P<x>[0-9]{1,18})(?P<post>\s*)$",
                                     "${pre}" + card + "${x}" + CLOSE + "${post}")
    head = pl.col(second).str.replace(r"^(?P<pre>\s*)(?P<x>[0-9]{1,18})",
                                      "${pre}" + card + "${x}" + CLOSE)
    return frame.with_columns(pl.when(split).then(tail).otherwise(pl.col(first)).alias(first),
                              pl.when(split).then(head).otherwise(pl.col(second)).alias(second))


def protect(texts: pl.Expr, pattern: str) -> pl.Expr:
    """Wrap group ``x`` of each match in a region that later rules leave alone."""
    return _rewrite(texts, pattern, [(KEEP, "x", CLOSE)], None)
