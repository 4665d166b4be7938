"""``detect_income`` for a few rows: the same rules run on plain strings.

A small Polars frame pays a fixed cost per expression, and recompiles the first-name regex
(thousands of names) that Polars' small regex cache dropped: about 10 ms for one salary
credit. Here the rules run with Python's compiled regexes. They only read the folded text
(upper-case ASCII letters, digits, ``/`` and single spaces, where both regex engines agree),
and only text :func:`safe_text` accepts is folded here; anything else (odd characters,
non-finite or non-numeric amounts, non-Boolean flags) takes the table path. The tests check
that it gives exactly the table path's output.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import polars as pl

from ledgerlens.enrich import _income as inc
from ledgerlens.enrich._clean_row import safe_text
from ledgerlens.enrich._recurring import _ACCENTS

__all__ = ["ROW_PATH_MAX_ROWS", "income_rows"]

#: Frames up to this many rows may take the plain-Python path.
ROW_PATH_MAX_ROWS = 8

_FOLD = str.maketrans(_ACCENTS)
_NOT_KEPT = re.compile(r"[^A-Z0-9/]+")
_CARD = re.compile(r"^(?:CB|CARTE|PAIEMENT|ACHAT)\b")
_MR = re.compile(r"\b(?:DE|FAVEUR|/DE)\s+(?:M|MR|MME|MLLE|MONSIEUR|MADAME)\b")
_SLASHED = re.compile(r"/DE\s+([^/]+)")
_VIR = re.compile(r"^[^/]*?\bVIR\w*\s")
_AFTER_SLASH = re.compile(r"/.*$")
_NUMBERS = re.compile(r"\b\d+\b")
_SPACES = re.compile(r"\s+")


@functools.cache
def _rx() -> dict[str, re.Pattern[str]]:
    """The income rules' regexes, compiled once (ASCII: the text they read is ASCII)."""
    rx = {name: re.compile(p, re.ASCII) for name, p in (
        ("not_income", inc._NOT_INCOME), ("org", inc._ORG_WORDS), ("title", inc._TITLE),
        ("lead", inc._LEAD), ("tail", inc._TAIL), ("sick_pay", inc._SICK_PAY),
        ("income_lead", inc._INCOME_LEAD), ("months_only", inc._MONTHS_ONLY))}
    rx["first_name"] = re.compile(inc._first_name_pattern())
    return rx


@functools.cache
def _rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(p, re.ASCII)) for kind, p in inc._RULES)


def _fold(text: str) -> str:
    """``_income._fold`` of a safe string."""
    return _NOT_KEPT.sub(" ", text.upper().translate(_FOLD)).strip()


def _payer_from_label(label: str) -> str | None:
    rx = _rx()
    slashed = _SLASHED.search(label)
    if slashed is not None:
        name = slashed.group(1)
    else:
        name = rx["lead"].sub("", _VIR.sub("VIR ", label, count=1), count=1)
        name = _AFTER_SLASH.sub("", name, count=1)
    name = rx["tail"].sub("", rx["income_lead"].sub("", name, count=1), count=1)
    name = _SPACES.sub(" ", _NUMBERS.sub("", rx["title"].sub("", name, count=1))).strip()
    return name if len(name) >= 2 and not rx["months_only"].match(name) else None


def _one(label: str, cp: str | None, ttype: str | None, sub: str | None,
         period: str | None, recurring: bool, amount: float) -> tuple[str, str | None] | None:
    """(income type, payer) of one credit with folded ``label`` and ``cp``, None if none."""
    rx = _rx()
    words = f"{cp or ''} {label}"
    kw = next((kind for kind, p in _rules() if p.search(words)), None)
    if ((rx["not_income"].search(label) and not rx["sick_pay"].search(label))
            or (ttype is not None and ttype in inc._NOT_INCOME_TYPES)):
        return None
    transfer = ((ttype is None or ttype in inc._TRANSFER_TYPES)
                and _CARD.search(label) is None)
    sure: str | None = None
    if ttype == "interest":
        sure = "interest_dividends"
    elif kw is not None and kw in inc._EARNINGS:
        sure = kw
    elif sub is not None and sub in inc.INCOME_TYPES:
        sure = sub
    elif kw is not None and (kw != "rental_income" or transfer):
        sure = kw
    monthly = recurring and period == "monthly"
    if sure is None and not (monthly and transfer):
        return None
    payer = cp if cp is not None and cp != "" else _payer_from_label(label)
    person = (_MR.search(label) is not None or (payer is not None and (
        rx["title"].search(payer) is not None or rx["first_name"].search(payer) is not None)))
    person = person and not (payer is not None and rx["org"].search(payer) is not None)
    income_type = sure
    steady = (monthly and transfer and not person and sub != "p2p_transfer"
              and amount >= inc.SALARY_MIN_AMOUNT)
    if steady and (income_type is None or (income_type == "other_income" and kw is None)):
        income_type = "salary"
    if income_type is None:
        return None
    return income_type, (payer if income_type != "interest_dividends" else None)


def _values(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> list[object] | None:
    if name not in frame.columns:
        return None
    column = frame.get_column(name)
    return (column if column.dtype == dtype else column.cast(dtype)).to_list()


def income_rows(frame: pl.DataFrame, text_cols: Sequence[str]
                ) -> list[tuple[str, str | None] | None] | None:
    """Per row of a small ``frame``: (income type, payer) or None (not income); None for
    the whole frame when some row needs the table path."""
    amount = frame.get_column("amount")
    if not (amount.dtype.is_float() or amount.dtype.is_integer()):
        return None
    if "is_recurring" in frame.columns and frame.get_column("is_recurring").dtype != pl.Boolean:
        return None
    amounts = (amount if amount.dtype == pl.Float64 else amount.cast(pl.Float64)).to_list()
    if any(a is not None and not math.isfinite(a) for a in amounts):
        return None
    texts = [_values(frame, c, pl.String()) or [] for c in text_cols]
    cps = _values(frame, "counterparty_name", pl.String())
    extra = [_values(frame, c, pl.String())
             for c in ("transaction_type", "subcategory", "recurrence_period")]
    recurring = _values(frame, "is_recurring", pl.Boolean())
    out: list[tuple[str, str | None] | None] = []
    for i, a in enumerate(amounts):
        if a is None or a <= 0:
            out.append(None)
            continue
        parts = [str(t[i]) for t in texts if t[i] is not None]
        cp = None if cps is None else cps[i]
        if not safe_text(*parts, None if cp is None else str(cp)):
            return None
        ttype, sub, period = (None if e is None else e[i] for e in extra)
        out.append(_one(_fold(" ".join(parts)), None if cp is None else _fold(str(cp)),
                        None if ttype is None else str(ttype), None if sub is None else str(sub),
                        None if period is None else str(period),
                        bool(recurring[i]) if recurring is not None and recurring[i] else False,
                        a))
    return out
