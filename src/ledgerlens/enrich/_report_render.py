"""Render a report's sections (text, tables, charts) as Markdown and as one HTML page.

Both formats come from the same sections, so they always say the same thing; Markdown simply
leaves the charts out. The HTML page is self-contained (inline CSS, charts as data URIs), so
it fetches nothing and can be mailed or archived.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens import __version__
from ledgerlens.enrich._report_charts import png_base64

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Chart",
    "Part",
    "Section",
    "Table",
    "format_cell",
    "html_page",
    "markdown_page",
    "metric_table",
]

_NOT_PERCENT = re.compile(r"ece|confidence", re.IGNORECASE)
_PERCENT = re.compile(r"accuracy|precision|recall|f1|share|returned|rate|coverage",
                      re.IGNORECASE)

_CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --ok: #2e7d32; --bad: #c0392b; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f9fafb; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
p.note { color: var(--muted); }
figure { margin: 12px 0; background: #fff; border: 1px solid var(--line); border-radius: 8px;
         padding: 8px; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; }
th { background: #f3f4f6; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
"""


@dataclass(frozen=True, slots=True)
class Table:
    """A table of a section, with an optional caption above it."""

    frame: pl.DataFrame
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of a section: ``draw`` makes the figure, only when the HTML page is written."""

    alt: str
    draw: Callable[[], Figure]


#: What a section holds: a paragraph of text, a table or a chart.
Part = str | Table | Chart


@dataclass(frozen=True, slots=True)
class Section:
    """A report section: a heading, then its text, tables and charts in order."""

    heading: str
    parts: tuple[Part, ...]


def format_cell(column: str, value: object) -> str:
    """One cell: ratios as percentages, confidences and ECE with 3 decimals, counts grouped."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if column == "amount":
            return f"{value:,.2f}"
        if _PERCENT.search(column) and not _NOT_PERCENT.search(column):
            return f"{100 * value:.1f} %"
        return f"{value:.3f}"
    return str(value)


def _rows(table: Table) -> tuple[list[str], list[list[str]], list[bool]]:
    frame = table.frame
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    body = [[format_cell(c, v) for c, v in zip(frame.columns, row, strict=True)]
            for row in frame.iter_rows()]
    return frame.columns, body, numeric


def metric_table(pairs: Sequence[tuple[str, object]]) -> Table:
    """A two-column metric/value table; the metric name decides the value's format."""
    return Table(pl.DataFrame({"metric": [k for k, _ in pairs],
                               "value": [format_cell(k, v) for k, v in pairs]}))


def _md_escape(text: str) -> str:
    """A table cell that no Markdown viewer reads as a column break, a line break or HTML."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<")
            .replace("\r", " ").replace("\n", " "))


def _md_table(table: Table) -> str:
    names, body, _ = _rows(table)
    if not names:
        return ""
    lines = [f"**{_md_escape(table.caption)}**\n"] if table.caption else []
    lines += ["| " + " | ".join(_md_escape(n) for n in names) + " |",
              "|" + "|".join(" --- " for _ in names) + "|"]
    lines += ["| " + " | ".join(_md_escape(v) for v in row) + " |" for row in body]
    if not body:
        lines.append("| " + " | ".join("—" for _ in names) + " |")
    return "\n".join(lines)


def markdown_page(title: str, head: tuple[Table, str], sections: Sequence[Section]) -> str:
    out = [f"# {title}", "", "## Headline", "", _md_table(head[0]), "", head[1], ""]
    for section in sections:
        out += [f"## {section.heading}", ""]
        for part in section.parts:
            if isinstance(part, str):
                out += [part, ""]
            elif isinstance(part, Table):
                out += [_md_table(part), ""]
    out.append(f"_Generated by ledgerlens {__version__}; charts are in the HTML report._")
    return "\n".join(out) + "\n"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _html_table(table: Table) -> str:
    names, body, numeric = _rows(table)
    caption = f"<h3>{_e(table.caption)}</h3>" if table.caption else ""
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = "".join(
        "<tr>" + "".join(
            f"<td{_classes(v, num)}>{_e(v)}</td>"
            for v, num in zip(row, numeric, strict=True)) + "</tr>"
        for row in body)
    if not body:
        rows = f'<tr><td colspan="{len(names)}">no data</td></tr>'
    return f"{caption}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _classes(text: str, numeric: bool) -> str:
    """The cell's class attribute: right-aligned numbers, green passes, red failures."""
    names = ["n"] if numeric else []
    if text.endswith("✓"):
        names.append("ok")
    elif text.endswith("✗"):
        names.append("bad")
    return f' class="{" ".join(names)}"' if names else ""


def html_page(title: str, head: tuple[Table, str], sections: Sequence[Section]) -> str:
    import matplotlib

    body = [f"<section><h2>Headline</h2>{_html_table(head[0])}"
            f'<p class="note">{_e(head[1])}</p></section>']
    with matplotlib.rc_context({"font.size": 9, "axes.spines.top": False,
                                "axes.spines.right": False}):
        for section in sections:
            parts = []
            for part in section.parts:
                if isinstance(part, str):
                    parts.append(f'<p class="note">{_e(part)}</p>')
                elif isinstance(part, Table):
                    parts.append(_html_table(part))
                else:
                    parts.append(f'<figure><img alt="{_e(part.alt)}" '
                                 f'src="data:image/png;base64,{png_base64(part.draw())}"></figure>')
            body.append(f"<section><h2>{_e(section.heading)}</h2>{''.join(parts)}</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>{''.join(body)}"
        f"<footer>Generated by ledgerlens {_e(__version__)}.</footer></main></body></html>\n"
    )
