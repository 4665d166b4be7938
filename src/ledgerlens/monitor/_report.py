"""Render a ``BankProfile`` as one self-contained HTML page.

The page has no external resource at all (no CSS, script, font or image to fetch), so it
can be mailed, archived or opened on an air-gapped machine at a bank. Charts are inline
SVG drawn by matplotlib, imported only when a page is rendered so that
``import ledgerlens`` stays fast. Every piece of data text is HTML-escaped.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ledgerlens import __version__
from ledgerlens.html_style import BASE_CSS
from ledgerlens.monitor._profile import (
    QUANTILE_LEVELS,
    BankProfile,
    format_count,
    format_money,
    format_share,
)
from ledgerlens.schema import ValidationReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = ["render_html", "write_report"]

_BLUE, _GREEN, _RED, _GREY = "#3b6ea5", "#2e7d32", "#c0392b", "#6b7280"

#: matplotlib settings for small, deterministic, text-as-text SVG.
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
}
_SVG_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None,
                                         "Type": None}

_CSS = BASE_CSS + """
* { box-sizing: border-box; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: object) -> str:
    """One table cell: counts with separators, money with cents, ratios with 2 decimals."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return format_count(value)
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _table(frame: pl.DataFrame, headers: Sequence[str] | None = None) -> str:
    """An HTML table of a small aggregate frame; numbers right-aligned, all text escaped."""
    names = list(headers) if headers is not None else frame.columns
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    head = "".join(
        f'<th class="n">{_e(n)}</th>' if num else f"<th>{_e(n)}</th>"
        for n, num in zip(names, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(_fmt(v))}</td>' if num else f"<td>{_e(_fmt(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in frame.iter_rows()
    )
    if frame.is_empty():
        body = f'<tr><td colspan="{len(names)}">no data</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --------------------------------------------------------------------------- charts


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline ``<svg>`` whose ids are unique to this chart on the page."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_SVG_METADATA)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'url\(#([^)]+)\)', rf"url(#{prefix}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
            color=_GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def _compact(value: float) -> str:
    """A tick label: 950, 12.5k, 3.2M (the tables next to each chart give exact figures)."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.4g}{suffix}"
    return f"{value:.4g}"


def _compact_axis(ax: Axes, axis: str = "x") -> None:
    """Few, short tick labels on a count or money axis, so long values never overlap."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: _compact(v)))


def _months_chart(profile: BankProfile) -> Figure:
    from matplotlib.figure import Figure

    months = profile.by_month
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.set_title("Transactions per month")
    bottom.set_title("Money in and out per month")
    if months.is_empty():
        _no_data(top)
        _no_data(bottom)
        return fig
    x = list(range(months.height))
    labels = [m.strftime("%Y-%m") for m in months["month"].to_list()]
    top.bar(x, months["n_transactions"].to_list(), color=_BLUE)
    money_in = months["money_in"].cast(pl.Float64).to_list()
    money_out = months["money_out"].cast(pl.Float64).to_list()
    bottom.bar(x, money_in, color=_GREEN, label="money in")
    bottom.bar(x, [-v for v in money_out], color=_RED, label="money out")
    bottom.plot(x, [i - o for i, o in zip(money_in, money_out, strict=True)], color="#111827",
                marker="o", markersize=3, linewidth=1, label="net")
    bottom.axhline(0, color="#9ca3af", linewidth=0.8)
    bottom.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
                  ncols=3, borderaxespad=0.0)
    _compact_axis(top, "y")
    _compact_axis(bottom, "y")
    step = max(1, len(x) // 24)
    bottom.set_xticks(x[::step], labels[::step], rotation=45 if len(x) > 12 else 0,
                      ha="right" if len(x) > 12 else "center")
    return fig


def _categories_chart(profile: BankProfile) -> Figure:
    from matplotlib.figure import Figure

    cats = profile.by_category
    fig = Figure(figsize=(9, 1.2 + 0.26 * max(cats.height, 2)), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    left.set_title("Transactions per category")
    right.set_title("Spend (money out) per category")
    if cats.is_empty():
        _no_data(left)
        _no_data(right)
        return fig
    y = list(range(cats.height))
    left.barh(y, cats["n_transactions"].to_list(), color=_BLUE)
    right.barh(y, cats["spend"].cast(pl.Float64).to_list(), color=_RED)
    left.set_yticks(y, cats["category"].to_list())
    left.invert_yaxis()
    _compact_axis(left)
    _compact_axis(right)
    return fig


def _counts_chart(frame: pl.DataFrame, column: str, title: str) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.6, 1.1 + 0.24 * max(frame.height, 2)), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    if frame.is_empty():
        _no_data(ax)
        return fig
    y = list(range(frame.height))
    ax.barh(y, frame["n_transactions"].to_list(), color=_BLUE)
    ax.set_yticks(y, frame[column].to_list())
    ax.invert_yaxis()
    _compact_axis(ax)
    return fig


def _amounts_chart(profile: BankProfile) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    hist = profile.amount_histogram
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.set_title("Absolute amount per transaction (log scale)")
    if hist.is_empty():
        _no_data(ax)
        return fig
    starts = sorted(set(hist["bin_start"].to_list()) | set(hist["bin_end"].to_list()))
    edges = pl.Series("edge", starts)
    for side, color in (("debit", _RED), ("credit", _GREEN)):
        part = hist.filter(pl.col("side") == side)
        if part.is_empty():
            continue
        # Empty bins are absent from the profile: re-align counts on the shared edges.
        counts = (
            pl.DataFrame({"bin_start": edges.head(len(starts) - 1)})
            .join(part.select("bin_start", "n_transactions"), on="bin_start", how="left")
            .get_column("n_transactions")
            .fill_null(0)
        )
        ax.stairs(counts.to_list(), starts, color=color, linewidth=1.4,
                  label=f"{side}s ({format_count(int(part['n_transactions'].sum()))})")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _compact(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("absolute amount")
    ax.set_ylabel("transactions")
    _compact_axis(ax, "y")
    ax.legend(frameon=False, fontsize=8)
    return fig


def _charts(profile: BankProfile) -> dict[str, str]:
    """Every chart of the page, as inline SVG keyed by name."""
    import matplotlib

    makers: dict[str, Callable[[], Figure]] = {
        "months": lambda: _months_chart(profile),
        "categories": lambda: _categories_chart(profile),
        "dialects": lambda: _counts_chart(profile.by_dialect, "dialect",
                                          "Transactions per label dialect"),
        "types": lambda: _counts_chart(profile.by_transaction_type, "transaction_type",
                                       "Transactions per transaction type"),
        "amounts": lambda: _amounts_chart(profile),
    }
    out = {}
    for name, make in makers.items():
        # A salt per chart keeps the SVG ids deterministic (reproducible pages).
        with matplotlib.rc_context({**_RC, "svg.hashsalt": f"ledgerlens-{name}"}):
            out[name] = _svg(make(), f"c-{name}")
    return out


# --------------------------------------------------------------------------- page


def _cards(profile: BankProfile) -> str:
    p = profile
    span = "—"
    if p.first_date is not None and p.last_date is not None:
        span = f"{p.first_date.isoformat()} → {p.last_date.isoformat()}"
    items = [
        ("Transactions", format_count(p.n_transactions)),
        ("Customers", format_count(p.n_customers)),
        ("Accounts", format_count(p.n_accounts)),
        ("Accounts with transactions", format_count(p.n_active_accounts)),
        ("Merchants seen", format_count(p.n_merchants)),
        ("Dates", span),
        ("Months", format_count(p.n_months)),
        ("Money in", format_money(p.money_in)),
        ("Money out", format_money(p.money_out)),
        ("Net", format_money(p.net)),
        ("With a merchant", format_share(p.share_with_merchant)),
        ("Recurring", format_share(p.share_recurring)),
        ("Income", format_share(p.share_income)),
        ("Labels with PII", format_share(p.share_labels_with_pii)),
        ("Without ground truth", format_count(p.n_without_ground_truth)),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>'
        for k, v in items
    ) + "</div>"


def _validation(validation: Sequence[ValidationReport]) -> str:
    if not validation:
        return "<p>No validation was run.</p>"
    rows = "".join(
        f"<tr><td>{_e(r.table)}</td><td class=\"n\">{_e(format_count(r.n_rows))}</td>"
        + ('<td class="ok">ok</td>' if r.ok
           else f'<td class="bad">{len(r.violations)} violation(s)</td>')
        + "</tr>"
        for r in validation
    )
    parts = ["<table><thead><tr><th>table</th><th class=\"n\">rows</th><th>status</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>"]
    violations = [v for r in validation for v in r.violations]
    if violations:
        body = "".join(
            f"<tr><td>{_e(v.table)}</td><td>{_e(v.column)}</td><td>{_e(v.rule)}</td>"
            f'<td class="n">{_e(format_count(v.count))}</td><td>{_e(v.message)}</td></tr>'
            for v in violations
        )
        parts.append(
            "<h3>Violations</h3><table><thead><tr><th>table</th><th>column</th><th>rule</th>"
            f'<th class="n">rows</th><th>message</th></tr></thead><tbody>{body}</tbody></table>'
        )
    return "".join(parts)


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{_e(heading)}</h2>{body}</section>"


def _figure(svg: str) -> str:
    return f"<figure>{svg}</figure>"


def render_html(
    profile: BankProfile,
    validation: Sequence[ValidationReport] = (),
    title: str = "ledgerlens — synthetic bank profile",
    extra_sections: Sequence[tuple[str, str]] = (),
) -> str:
    """One self-contained HTML page describing ``profile`` and the ``validation`` results.

    ``extra_sections`` appends ``(heading, html)`` sections after the built-in ones: the
    heading is escaped, the html is inserted as given (it is the caller's markup).
    The page is deterministic for a given profile, so two reports can be diffed.
    """
    charts = _charts(profile)
    merchant_headers = ["merchant id", "name", "subcategory", "transactions", "spend",
                        "customers"]
    months = profile.by_month.with_columns(pl.col("month").dt.strftime("%Y-%m"))
    sections = [
        _section("Headline figures", _cards(profile)),
        _section("Validation", _validation(validation)),
        _section("Activity over time", _figure(charts["months"])
                 + _table(months, ["month", "transactions", "money in", "money out"])),
        _section("Categories", _figure(charts["categories"])
                 + "<h3>Top subcategories</h3>"
                 + _table(profile.by_subcategory,
                          ["subcategory", "category", "transactions", "spend"])),
        _section("Dialects and transaction types",
                 f'<div class="grid2">{_figure(charts["dialects"])}'
                 f'{_figure(charts["types"])}</div>'),
        _section("Amounts", _figure(charts["amounts"])
                 + _table(profile.amount_quantiles,
                          ["side", "transactions", *(f"p{q}" for q in QUANTILE_LEVELS)])),
        _section("Top merchants",
                 "<h3>By number of transactions</h3>"
                 + _table(profile.top_merchants_by_count, merchant_headers)
                 + "<h3>By spend</h3>"
                 + _table(profile.top_merchants_by_spend, merchant_headers)),
        _section("Label length per dialect",
                 _table(profile.label_length,
                        ["dialect", "transactions", "mean", "p95", "max"])),
    ]
    if profile.by_currency.height > 1:
        sections.append(_section("Currencies", _table(profile.by_currency)))
    if profile.accounts_by_type is not None:
        sections.append(_section("Accounts", _table(
            profile.accounts_by_type, ["account type", "accounts", "with transactions"])))
    sections += [_section(heading, body) for heading, body in extra_sections]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{_e(title)}</h1>"
        f'<p class="sub">{_e(format_count(profile.n_transactions))} transactions, '
        f"{_e(format_count(profile.n_customers))} customers</p>"
        + "".join(sections)
        + f"<footer>Generated by ledgerlens {_e(__version__)}.</footer></main></body></html>\n"
    )


def write_report(path: Path, html: str) -> Path:
    """Write the page as UTF-8 (creating missing folders) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
