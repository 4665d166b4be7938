"""Reading and writing the columns of a frame of a few rows without a Polars query.

One transaction pays Polars' fixed costs: about 0.1 ms per query, 10 µs per Series built
from Python values, 40 µs for ``frame.schema``. The steps' few-row paths read plain values
with these helpers and write their columns back in one frame built at once. ``constant``
builds a column of one value the cheap way for any number of rows (a list for a few, a
Polars ``repeat`` for a batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

__all__ = ["constant", "rounded", "row_text", "with_row_values", "with_values"]


def with_values(frame: pl.DataFrame, values: Mapping[str, Sequence[object]],
                schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with one column per entry of ``values`` (a value per row, typed by
    ``schema``): appended when new, replaced in place when it exists."""
    names = list(values)
    if not names:
        return frame
    rows = [dict(zip(names, row, strict=True)) for row in zip(*values.values(), strict=True)]
    built = pl.from_dicts(rows, schema={n: schema[n] for n in names})
    if built.height != frame.height:
        raise ValueError(f"{built.height} value row(s) for a frame of {frame.height}")
    position = {n: i for i, n in enumerate(frame.columns)}
    new = [c for c in built.get_columns() if c.name not in position]
    if len(new) == len(names):
        return frame.hstack(new)  # a tenth of ``with_columns``' cost (a query)
    out = frame.clone()  # shallow: the columns are shared, not copied
    for column in built.get_columns():
        if column.name in position:
            out.replace_column(position[column.name], column)
    return out.hstack(new) if new else out


def with_row_values(frame: pl.DataFrame, **values: str | None) -> pl.DataFrame:
    """``frame`` (one row) with a String column per keyword."""
    return with_values(frame, {n: [v] for n, v in values.items()},
                       dict.fromkeys(values, pl.String()))


def row_text(frame: pl.DataFrame, name: str) -> str | None:
    """The first value of column ``name`` as text (None when null or no such column),
    read without a query (a ``select`` costs about 0.1 ms)."""
    if name not in frame.columns:
        return None
    column = frame.get_column(name)
    value = (column if column.dtype == pl.String else column.cast(pl.String)).item(0)
    return value if value is None else str(value)


_LISTED_UP_TO = 4_096  # up to this many rows a constant column is built from a Python list


def constant(name: str, value: str | bool | float | None, n: int,
             dtype: pl.DataType) -> pl.Series:
    """A Series of ``n`` times ``value``: from a Python list for a few rows (a Polars
    expression costs about 0.3 ms), by ``pl.repeat`` for many (a list of a million values
    costs 30 ms)."""
    if n <= _LISTED_UP_TO:
        return pl.Series(name, [value] * n, dtype=dtype)
    return pl.repeat(value, n, dtype=dtype, eager=True).alias(name)


def rounded(value: float, decimals: int) -> float:
    """Polars' ``round(decimals)`` of a value in [0, 1] (a confidence): the scaled value
    rounded half to even; zero keeps its sign (``-0.0`` prints as Polars prints it)."""
    scale = 10.0 ** decimals
    return value if value == 0.0 else round(value * scale) / scale
