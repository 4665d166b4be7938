"""One HTML table writer for the main job's report sections."""

from __future__ import annotations

import html
from collections.abc import Callable

import polars as pl

__all__ = ["html_table"]


def _default_cell(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def html_table(frame: pl.DataFrame, cell: Callable[[object], str] = _default_cell) -> str:
    """``frame`` as an escaped HTML table, each value written by ``cell``."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
