"""Recurring detection for a few rows: prove, on plain values, that no stream can be found.

A stream needs two payments of one group (account, stream key, direction), or one known
annual charge (a debit whose label names a card fee or a property tax, or whose subcategory
is that tax). When a small frame has neither, ``detect_recurring`` answers without its
queries. The check is conservative: anything it cannot read exactly (odd characters,
non-finite or non-numeric amounts, dates not typed as dates) goes the table way.
"""

from __future__ import annotations

import functools
import math
import re

import polars as pl

from ledgerlens.enrich import _recurring as rec
from ledgerlens.enrich._clean_row import safe_text

__all__ = ["ROW_PATH_MAX_ROWS", "no_stream_columns", "no_stream_possible", "stream_key_values"]

#: Frames up to this many rows are checked on plain values.
ROW_PATH_MAX_ROWS = 8


@functools.cache
def _annual_label() -> re.Pattern[str]:
    return re.compile(rec._ANNUAL_LABEL)


def _strings(frame: pl.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * frame.height
    column = frame.get_column(name)
    return (column if column.dtype == pl.String else column.cast(pl.String)).to_list()


def no_stream_columns(n: int) -> list[pl.Series]:
    """``is_recurring`` (False), ``recurrence_period`` and ``recurring_stream_id`` (null)."""
    return [pl.Series("is_recurring", [False] * n, dtype=pl.Boolean),
            pl.Series("recurrence_period", [None] * n, dtype=pl.String),
            pl.Series("recurring_stream_id", [None] * n, dtype=pl.String)]


def no_stream_possible(frame: pl.DataFrame, key: str) -> bool:
    """Whether ``frame`` (a few rows) surely holds no stream: no two rows share an account,
    key and direction, and no debit can be a known annual charge."""
    amount = frame.get_column("amount")
    if (frame.height > ROW_PATH_MAX_ROWS or frame.get_column("booking_date").dtype != pl.Date
            or not (amount.dtype.is_float() or amount.dtype.is_integer())):
        return False
    amounts = (amount if amount.dtype == pl.Float64 else amount.cast(pl.Float64)).to_list()
    if any(a is not None and not math.isfinite(a) for a in amounts):
        return False
    groups = set(zip(_strings(frame, "account_id"), _strings(frame, key),
                     [None if a is None else a > 0 for a in amounts], strict=True))
    if len(groups) < frame.height:
        return False
    label_col = next((c for c in ("clean_label", "raw_label") if c in frame.columns), None)
    labels = _strings(frame, label_col) if label_col else [None] * frame.height
    subs = _strings(frame, "subcategory")
    for a, label, sub in zip(amounts, labels, subs, strict=True):
        if a is None or a >= 0:
            continue
        if sub in rec._ANNUAL_SUBCATEGORIES or not safe_text(label):
            return False
        if label is not None and _annual_label().search(label.upper()):
            return False
    return True


_FOLD = str.maketrans(rec._ACCENTS)
_WITH_DIGIT = re.compile(r"\S*\d\S*")
_MONTH_WORDS = re.compile(rf"\b(?:{rec._MONTHS})\b")
_NOT_LETTERS = re.compile(r"[\W\d_]+")  # on safe text: exactly the non-letters (\P{L})
_TITLE_WORDS = re.compile(rec._TITLES)


def _normalize(text: str) -> str:
    """``normalize_key`` of one safe string."""
    text = _WITH_DIGIT.sub(" ", text.upper().translate(_FOLD))
    return _NOT_LETTERS.sub(" ", _MONTH_WORDS.sub(" ", text)).strip()


def stream_key_values(frame: pl.DataFrame) -> list[str | None] | None:
    """``stream_keys``' keys for a few rows on plain strings, or None (the table path) when
    some text it would read is not :func:`safe_text`."""
    n = frame.height
    keys: list[str | None] = [None] * n
    if "merchant_id" in frame.columns:
        mids = _strings(frame, "merchant_id")
        if not safe_text(*mids):
            return None
        keys = [None if m is None or not m.strip() else "m:" + m.strip() for m in mids]
    if "counterparty_name" in frame.columns:
        names = _strings(frame, "counterparty_name")
        todo = [name for key, name in zip(keys, names, strict=True) if key is None]
        if not safe_text(*todo):
            return None
        for i, name in enumerate(names):
            if keys[i] is None and name is not None:
                name = _TITLE_WORDS.sub("", _normalize(name), count=1)
                keys[i] = "c:" + name if name else None
    label_col = next((c for c in ("clean_label", "raw_label") if c in frame.columns), None)
    if label_col is not None:
        labels = _strings(frame, label_col)
        if not safe_text(*(lab for key, lab in zip(keys, labels, strict=True) if key is None)):
            return None
        for i, lab in enumerate(labels):
            if keys[i] is None and lab is not None:
                lab = _normalize(lab)
                keys[i] = "l:" + lab if lab else None
    return keys
