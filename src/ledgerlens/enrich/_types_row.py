"""Step 3 for one transaction: :func:`classify_types`' rules run on plain values.

The table path pays a fixed cost per Polars expression, about 10 ms for one row; the same
rule tables run here with Python's compiled regexes and sets. On one row the per-account
and per-merchant counts of the table path see that row alone, and so they do here. Only
text :func:`safe_text` accepts and finite amounts take this path; the tests check that it
gives exactly the table path's output.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ledgerlens.enrich import _types as ty
from ledgerlens.enrich._clean import FOREIGN_CITIES, french_city_forms
from ledgerlens.enrich._clean_row import ends_with_name, normalize_one, safe_text
from ledgerlens.enrich._european import HOME_CARD_WORDS
from ledgerlens.enrich._few_rows import row_text
from ledgerlens.schema import TRANSACTION_TYPES

__all__ = ["classify_one", "classify_row", "names_a_town"]

Regex = re.Pattern[str]


@dataclass(frozen=True)
class _Tables:
    """The compiled regexes and word sets of the type rules."""

    rules: tuple[tuple[str, Regex, str], ...]
    instant: Regex
    contactless: Regex
    online_mark: Regex
    abroad: Regex
    online_names: frozenset[str]
    online_prefixes: frozenset[str]
    online_single: frozenset[str]
    debit_names: frozenset[str]
    towns: tuple[frozenset[str], int]
    foreign_words: tuple[frozenset[str], int]
    foreign_towns: tuple[frozenset[str], int]
    home_card: Regex


@functools.cache
def _tables() -> _Tables:
    names, prefixes, single = ty._online_sets()

    def words(texts: tuple[str, ...]) -> tuple[frozenset[str], int]:
        phrases, most = ty._phrases(texts)
        return frozenset(phrases.explode().to_list()), most

    return _Tables(
        rules=tuple((name, re.compile(f"({pattern})"), why)
                    for name, pattern, why in ty._LABEL_RULES),
        instant=re.compile(ty._INSTANT), contactless=re.compile(ty._CONTACTLESS),
        online_mark=re.compile(ty._ONLINE_MARK), abroad=re.compile(ty._abroad_pattern()),
        online_names=frozenset(names.explode().to_list()),
        online_prefixes=frozenset(prefixes.explode().to_list()),
        online_single=frozenset(single.explode().to_list()),
        debit_names=ty.debit_names(),
        towns=words(french_city_forms()),
        foreign_words=words(ty._FOREIGN_WORDS),
        foreign_towns=words(FOREIGN_CITIES),
        home_card=re.compile(HOME_CARD_WORDS),
    )


_PIECES = re.compile(r"\w+|\W+")
_ONLINE_SHAPE = re.compile(r"^([A-Z0-9.&' -]{6,})$")
_DIGIT = re.compile("[0-9]")


def names_a_town(text: str) -> bool:
    """Whether ``text`` (normalised) holds a French town's name as whole words."""
    return _has_phrase(_PIECES.findall(text), _tables().towns)


def _has_phrase(pieces: list[str], words: tuple[frozenset[str], int],
                not_after: frozenset[str] = frozenset(),
                not_before: frozenset[str] = frozenset()) -> bool:
    """:func:`_types._has_phrase_in` on one text cut into pieces."""
    phrases, most = words

    def word_before(i: int, found: Callable[[str], bool]) -> bool:
        return i >= 2 and pieces[i - 1].isspace() and found(pieces[i - 2])

    def word_after(end: int) -> bool:
        return end + 1 < len(pieces) and pieces[end].isspace() and pieces[end + 1] in not_before

    def in_slot(piece: str) -> bool:
        return ty.TOWN_SLOT_BEFORE.search(piece) is not None

    for n in range(1, most + 1):
        span = 2 * n - 1
        for i in range(len(pieces) - span + 1):
            if "".join(pieces[i:i + span]) in phrases and not (
                    word_before(i, not_after.__contains__)
                    or (word_after(i + span) and not word_before(i, in_slot))):
                return True
    return False


_NAMING = frozenset(ty.FOREIGN_NAMERS)
_NAMED_BY = frozenset(ty.TOWN_NAMED_BY)


@dataclass(frozen=True)
class _Label:
    """What the label says (the table path's ``_label_features`` of one label)."""

    kind: str | None
    evidence: str | None
    instant: bool
    contactless: bool
    online: bool
    abroad: bool
    foreign_words: bool
    french_town: bool
    debit_name: bool


def _label(full: str, merchant: str) -> _Label:
    t = _tables()
    u = normalize_one(_DIGIT.sub("0", full[:512]))
    kind = evidence = None
    for name, rule, why in t.rules:
        found = rule.search(u)
        if found is not None:
            kind, evidence = name, f'{why} "{found.group(1)[:24]}"'
            break
    named = merchant.rstrip("* ")  # without a processor's star (``SHOPIFY*``)
    online_name = (merchant in t.online_names or named in t.online_names
                   or (_ONLINE_SHAPE.search(named) is not None and named in t.online_prefixes)
                   or named.split(" ")[0] in t.online_single)
    pieces = _PIECES.findall(u)
    return _Label(kind, evidence, t.instant.search(u) is not None,
                  t.contactless.search(u) is not None,
                  t.online_mark.search(merchant) is not None or online_name,
                  t.abroad.search(ty.CUT_CODE.sub(ty.CUT_CODE_JOINED, u)) is not None,
                  _has_phrase(pieces, t.foreign_words, _NAMING)
                  or _has_phrase(pieces, t.foreign_towns, _NAMING, _NAMED_BY),
                  _has_phrase(pieces, t.towns) or t.home_card.search(u) is not None,
                  merchant in t.debit_names or named in t.debit_names)


def _channel(lab: _Label, *, is_card: bool, amount: float, mcc: str, inter: str,
             merchant: str) -> tuple[str, str]:
    """:func:`_types._card_channel_stages` of one row (its account and merchant: itself)."""
    online = (lab.online or inter in ty._ONLINE_INTERMEDIARIES or mcc in ty.ONLINE_MCCS)
    marked = lab.contactless or inter in ty._WALLETS
    bank_marks = marked and is_card
    small = abs(amount) <= ty.CONTACTLESS_LIMIT_EUR
    strong = lab.abroad
    french = lab.french_town and not strong
    n_strong, n_french = int(strong and is_card), int(french and is_card)
    abroad = (strong or (not online and merchant != "" and not french and n_strong > n_french)
              or (not online and lab.foreign_words and not french and n_french == 0))
    if abroad:
        channel = "card_abroad"
    elif online and not marked:
        channel = "card_online"
    elif marked or (not bank_marks and small):
        channel = "card_contactless"
    else:
        channel = "card_in_store"
    if strong:
        why = "foreign marker"
    elif abroad and lab.foreign_words and n_strong == 0:
        why = "foreign town or trade word"
    elif abroad:
        why = "merchant seen abroad"
    elif online and not marked:
        why = "online marker"
    elif marked:
        why = "contactless marker"
    elif not bank_marks and small:
        why = "amount under contactless limit"
    else:
        why = "in store by default"
    return channel, why


_P2P = ("lydia", "paylib", "wero")
_WRONG_ON_DEBIT = ("refund", "cash_deposit", "cheque_deposit", "loan_disbursement")
_WRONG_ON_CREDIT = ("cash_withdrawal", "cheque", "loan_repayment", "card")


def classify_one(full: str | None, merchant: str | None, amount: float | None,
                 code: str | None, mcc: str | None, inter: str | None,
                 town_names: frozenset[str] = frozenset(),
                 party: str | None = None,
                 account: bool = False) -> tuple[str, str] | None:
    """(``transaction_type``, ``type_evidence``) of one transaction as the table path
    computes them, or None when its text or amount needs the table path. ``party``: the
    counterparty's name given apart from the label; ``account``: whether its account is."""
    if not safe_text(full, merchant, code, mcc, inter, party):
        return None
    value = 0.0 if amount is None else float(amount)
    if not math.isfinite(value):
        return None
    merchant, inter = merchant or "", inter or ""
    lab = _label(full or "", merchant)
    if lab.foreign_words and ends_with_name(merchant, town_names):
        lab = dataclasses.replace(lab, foreign_words=False)
    code = None if code is None else code.upper().strip()
    mcc = "" if mcc is None else mcc.strip()
    code_type = None if code is None else ty._CODE_TYPES.get(code)
    debit = value < 0
    base0: str
    if lab.kind is not None:
        base0, why = lab.kind, lab.evidence or ""
    elif code_type is not None:
        base0, why = code_type, f"bank code {code}"
    else:
        biller = debit and lab.debit_name and inter == ""
        kind = ty.party_kind(party) if debit else ""
        kind = "account" if kind == "" and account and debit else kind
        by_party = (kind == "biller" and inter == "") or kind in ("person", "account")
        base0 = ("cash_withdrawal" if mcc == "6011" else "card" if mcc != ""
                 else "transfer" if inter in _P2P else "direct_debit" if biller
                 else "direct_debit" if by_party and kind == "biller"
                 else "transfer" if by_party else "card" if debit else "transfer")
        why = (f"MCC {mcc}" if mcc != "" else f"intermediary {inter}" if inter != ""
               else ty.DEBIT_BILLER_EVIDENCE if biller
               else ty.PARTY_EVIDENCE[kind] if by_party else "amount sign")
    wrong_way = ((base0 in _WRONG_ON_DEBIT and debit)
                 or (base0 in _WRONG_ON_CREDIT and not debit and value != 0))
    base = base0
    if wrong_way and base0 == "card":
        base = "refund"
    elif wrong_way and code_type is not None and code_type != base0:
        base = code_type
    elif wrong_way and base0 == "cash_deposit":
        base = "transfer"
    if base == "transfer":
        instant = (lab.instant or inter in _P2P) and not (code or "").endswith("STDO")
        ttype = (("instant_transfer_out" if debit else "instant_transfer_in") if instant
                 else "transfer_out" if debit else "transfer_in")
    elif base == "card":
        ttype, channel_why = _channel(lab, is_card=True, amount=value, mcc=mcc, inter=inter,
                                      merchant=merchant)
        why = f"{why}; {channel_why}"
    else:
        ttype = base
    if ttype not in TRANSACTION_TYPES:
        ttype = "transfer_out" if debit else "transfer_in"
    return ttype, why


def classify_row(frame: pl.DataFrame,
                 town_names: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """:func:`classify_one` of a one-row frame's columns (None: the table path)."""
    amount: float | None = None
    if "amount" in frame.columns:
        column = frame.get_column("amount")
        if not (column.dtype.is_float() or column.dtype.is_integer()):
            return None
        value = column.item(0)
        amount = None if value is None else float(value)
    return classify_one(row_text(frame, "full_label"), row_text(frame, "merchant_text"),
                        amount, row_text(frame, "bank_transaction_code"),
                        row_text(frame, "mcc"), row_text(frame, "intermediary"), town_names,
                        row_text(frame, "counterparty_name"),
                        "counterparty_account" in frame.columns
                        and bool(frame.get_column("counterparty_account").item(0)))
