"""Recurring detection for a few rows: prove, on plain values, that no stream can be found,
or find the only streams such rows can hold (annual charges seen once).

A stream needs two payments of one group (account, stream key, direction), or one known
annual charge (a debit whose label names a card fee or a property tax, or whose subcategory
is that tax). When a small frame has neither, ``detect_recurring`` answers without its
queries. The check is conservative: anything it cannot read exactly (odd characters,
non-finite or non-numeric amounts, dates not typed as dates) goes the table way.
``streams_final_values`` then gives such streams their payments' final merchant and line
(``streams_as_enriched``) without its queries.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import math
import re
import typing
from collections.abc import Sequence

import polars as pl

from ledgerlens.enrich import _recurring as rec
from ledgerlens.enrich._clean_row import safe_text
from ledgerlens.enrich._clean_vocab import MONTH_WORDS
from ledgerlens.enrich._few_rows import constant, with_values

__all__ = ["ROW_PATH_MAX_ROWS", "annual_streams", "few_rows_answer", "no_stream_columns",
           "no_stream_possible", "stream_key_values", "streams_final_values"]

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
    if n <= ROW_PATH_MAX_ROWS:  # one frame built at once: a third of three Series' cost
        return pl.from_dicts([{"is_recurring": False}] * n, schema={
            "is_recurring": pl.Boolean, "recurrence_period": pl.String,
            "recurring_stream_id": pl.String}).get_columns()
    return [constant("is_recurring", False, n, pl.Boolean()),
            constant("recurrence_period", None, n, pl.String()),
            constant("recurring_stream_id", None, n, pl.String())]


def _lone_payments(frame: pl.DataFrame, key: str) -> list[float | None] | None:
    """The amounts of ``frame`` (a few rows) as floats when every row is alone in its group
    (account, key, direction) and dates and amounts read exactly on plain values; else None."""
    amount = frame.get_column("amount")
    if (frame.height > ROW_PATH_MAX_ROWS or frame.get_column("booking_date").dtype != pl.Date
            or not (amount.dtype.is_float() or amount.dtype.is_integer())):
        return None
    amounts = (amount if amount.dtype == pl.Float64 else amount.cast(pl.Float64)).to_list()
    if any(a is not None and not math.isfinite(a) for a in amounts):
        return None
    groups = set(zip(_strings(frame, "account_id"), _strings(frame, key),
                     [None if a is None else a > 0 for a in amounts], strict=True))
    return amounts if len(groups) == frame.height else None


#: Subcategories of an annual charge when alone on its key, as every payment here is.
_LONE_ANNUAL = rec._ANNUAL_SUBCATEGORIES + rec._ANNUAL_ONCE_SUBCATEGORIES


def no_stream_possible(frame: pl.DataFrame, key: str) -> bool:
    """Whether ``frame`` (a few rows) surely holds no stream: no two rows share an account,
    key and direction, and no debit can be a known annual charge."""
    amounts = _lone_payments(frame, key)
    if amounts is None:
        return False
    label_col = next((c for c in ("clean_label", "raw_label") if c in frame.columns), None)
    labels = _strings(frame, label_col) if label_col else [None] * frame.height
    subs = _strings(frame, "subcategory")
    for a, label, sub in zip(amounts, labels, subs, strict=True):
        if a is None or a >= 0:
            continue
        if sub in _LONE_ANNUAL or not safe_text(label):
            return False
        if label is not None and _annual_label().search(label.upper()):
            return False
    return True


_FOLD = str.maketrans(rec._ACCENTS)
_WITH_DIGIT = re.compile(r"\S*\d\S*")
_MONTH_WORDS = re.compile(rf"\b(?:{MONTH_WORDS})\b")
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
    for label_col in (c for c in ("clean_label", "raw_label") if c in frame.columns):
        labels = _strings(frame, label_col)
        if not safe_text(*(lab for key, lab in zip(keys, labels, strict=True) if key is None)):
            return None
        for i, lab in enumerate(labels):
            if keys[i] is None and lab is not None:
                lab = _normalize(lab)
                keys[i] = "l:" + lab if lab else None
    return keys


def few_rows_answer(frame: pl.DataFrame, key: str, as_of: object
                    ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """``detect_recurring``'s answer for a few rows that surely hold no stream, or only
    annual charges seen once; None when the search must decide."""
    if no_stream_possible(frame, key):
        return frame.hstack(no_stream_columns(frame.height)), rec._empty_streams()
    return annual_streams(frame, key, as_of)


@functools.cache
def _skip_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(rec._NOT_STREAM_LABEL), re.compile(rec._NOT_STREAM_CODES)


def _plain_strings(frame: pl.DataFrame, names: tuple[str, ...]) -> bool:
    """Whether each of ``names`` the frame has is a String column of safe text."""
    columns = frame.columns  # a wide frame's schema costs more to build than its values
    return all(frame.get_column(n).dtype == pl.String
               and safe_text(*frame.get_column(n).to_list()) for n in names if n in columns)


def _annual_rows(frame: pl.DataFrame, key: str, amounts: list[float | None]) -> list[int]:
    """Positions of the known annual charges that ``detect_recurring`` keeps (a debit with a
    key, a date and no reason to skip it), on plain values."""
    label_col = next((c for c in ("clean_label", "raw_label") if c in frame.columns), None)
    labels = _strings(frame, label_col) if label_col else [None] * frame.height
    keys, dates = _strings(frame, key), frame.get_column("booking_date").to_list()
    types, subs = _strings(frame, "transaction_type"), _strings(frame, "subcategory")
    codes = _strings(frame, "bank_transaction_code")
    skip_label, skip_code = _skip_patterns()
    found = []
    for i, (a, label, k, day) in enumerate(zip(amounts, labels, keys, dates, strict=True)):
        if a is None or a >= 0 or not k or day is None:
            continue
        upper = (label or "").upper()
        code = codes[i]
        if (types[i] in rec._NOT_STREAM_TYPES or subs[i] in rec._NOT_STREAM_SUBCATEGORIES
                or (label is not None and skip_label.search(upper))
                or (code is not None and skip_code.search(code))):
            continue
        if subs[i] in _LONE_ANNUAL or (
                label is not None and _annual_label().search(upper)):
            found.append(i)
    return found


def annual_streams(frame: pl.DataFrame, key: str, as_of: object
                   ) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """``detect_recurring`` of a few rows whose only streams are annual charges seen once
    (a lone ``COTISATION CARTE``): each is a yearly stream of one payment. None when the
    frame is not such a frame, or holds a value this path does not read exactly."""
    text = ("account_id", "customer_id", key, "clean_label", "raw_label", "transaction_type",
            "bank_transaction_code", "subcategory", "category", "merchant_id", "merchant_name",
            "counterparty_name")
    if (frame.height == 0 or frame.get_column(key).dtype != pl.String
            or not _plain_strings(frame, text)):
        return None
    amounts = _lone_payments(frame, key)
    if amounts is None:
        return None  # two payments of one group, or values read otherwise: the search decides
    as_of = as_of or frame.get_column("booking_date").max()
    if type(as_of) is not dt.date:
        return None
    rows = _annual_rows(frame, key, amounts)
    if any(frame.get_column("booking_date")[i].year == dt.MAXYEAR for i in rows):
        return None  # next expected past the last date Python holds: the query's own answer
    streams = [_one_payment_stream(frame.row(i, named=True), key, as_of) for i in rows]
    table = pl.DataFrame(streams, schema=dict(rec._streams_schema()), orient="row")
    if table.height > 1:
        table = table.sort("account_id", "first_date", "recurring_stream_id")
    ids: list[str | None] = [None] * frame.height
    for i, stream in zip(rows, streams, strict=True):
        ids[i] = str(stream[0])
    flags = pl.Series("recurring_stream_id", ids, dtype=pl.String)
    periods = pl.Series("recurrence_period", ["yearly" if i else None for i in ids],
                        dtype=pl.String)
    return frame.hstack([flags.is_not_null().alias("is_recurring"), periods, flags]), table


def _a_year_on(day: dt.date) -> dt.date:
    """``day`` a year later, as Polars' ``offset_by("1y")``: 29 February goes to the 28th."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _one_payment_stream(row: dict[str, object], key: str, as_of: dt.date
                        ) -> tuple[object, ...]:
    """The streams table's row (``STREAM_COLUMNS``) of an annual charge seen once."""
    day = typing.cast(dt.date, row["booking_date"])
    amount = float(row["amount"])  # type: ignore[arg-type]
    account = row["account_id"]
    stream_id = rec._stream_id((account, row[key], "out", "yearly", None))
    next_day = _a_year_on(day)
    grace = next(c.grace_days for c in rec._CADENCES if c.name == "yearly")
    ended = next_day + dt.timedelta(days=grace) < as_of
    label = row.get("clean_label", row.get("raw_label"))
    name = next((v for v in (row.get("merchant_name"), row.get("counterparty_name"), label)
                 if v is not None), None)
    # A cent amount is its own rounding (as Polars rounds it); only others need Polars'.
    mean = amount if round(amount, 2) == amount else pl.Series([amount]).round(2).item()
    return (stream_id, account, row.get("customer_id"), row[key], name, "out", "yearly", day,
            day, 1, mean, amount, None, None, None, "ended" if ended else "early", next_day,
            amount, row.get("merchant_id"), row.get("category"), row.get("subcategory"))


def streams_final_values(streams: pl.DataFrame, frame: pl.DataFrame, columns: Sequence[str]
                         ) -> pl.DataFrame | None:
    """``streams_as_enriched`` of a few rows on plain values: each stream found in ``frame``
    takes its payments' most common value of each of ``columns`` (the smallest of equally
    common ones; nulls not counted) and the category of that subcategory. None when the
    frame is not a few rows or a column is not text."""
    from ledgerlens.taxonomy import SUBCATEGORIES

    sid = "recurring_stream_id"
    if frame.height > ROW_PATH_MAX_ROWS or any(
            streams.get_column(c).dtype != pl.String for c in (*columns, "category", sid)
            if c in streams.columns):
        return None
    rows = {c: _strings(frame, c) for c in columns}
    values: dict[str, dict[str, collections.Counter[str]]] = {}
    for i, stream in enumerate(_strings(frame, sid)):
        if stream is not None:
            counts = values.setdefault(stream, {c: collections.Counter() for c in columns})
            for c in columns:
                if (value := rows[c][i]) is not None:
                    counts[c][value] += 1
    final: dict[str, dict[str, str | None]] = {}
    for stream, counts in values.items():
        chosen = {c: _most_common(counts[c]) for c in columns}
        if "subcategory" in columns:
            sub = SUBCATEGORIES.get(chosen["subcategory"] or "")
            chosen["category"] = sub.category if sub else None
        final[stream] = chosen
    ids = streams.get_column(sid).to_list()
    changed = [c for c in (*columns, "category") if c in streams.columns
               and (c != "category" or "subcategory" in columns)]
    return with_values(streams, {c: [final[s][c] if s in final else v for s, v in zip(
        ids, streams.get_column(c).to_list(), strict=True)] for c in changed},
        dict.fromkeys(changed, pl.String()))


def _most_common(counts: collections.Counter[str]) -> str | None:
    if not counts:
        return None
    top = max(counts.values())
    return min(value for value, n in counts.items() if n == top)
