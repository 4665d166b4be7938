"""Render label templates over an events frame with Polars expressions, PII spans included.

A template (see ``_dialects``) compiles into a sequence of *pieces*: one string
expression each, empty when absent, some tagged with the PII kind they hold. A label is
the concatenation of its pieces, so a piece's span is the sum of the lengths before it;
truncation then clips the spans. Rows are partitioned by (dialect, kind, direction) so
each partition evaluates only its own template; no Python code runs per row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.exceptions import DataError
from ledgerlens.schema import PII_KINDS, PII_SPAN_DTYPE

if TYPE_CHECKING:
    from ledgerlens.datasets._dialects import Dialect

__all__ = ["OUTPUT_SCHEMA", "PLACEHOLDERS", "REQUIRED_COLUMNS", "render"]

#: Event columns ``render`` reads; the first six may not be null.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "dialect", "transaction_type", "label_kind", "booking_date", "operation_date", "amount",
    "operation_minute", "original_amount", "original_currency", "fx_rate", "descriptor",
    "city", "country", "card_last4", "card_bin", "person_title", "person_first",
    "person_last", "motif", "motif_pii_kind", "motif_pii_value", "reference", "mandate_id",
    "creditor_id", "cheque_number", "loan_number",
)
_NOT_NULL = REQUIRED_COLUMNS[:6]

OUTPUT_SCHEMA = pl.Schema({
    "raw_label": pl.String(), "label_complement": pl.String(), "counterparty_name": pl.String(),
    "pii_spans": PII_SPAN_DTYPE, "complement_pii_spans": PII_SPAN_DTYPE,
})

# PSD2 APIs name the other party of these movements; cards, cash and fees have none.
_COUNTERPARTY_KINDS = frozenset({
    "direct_debit", "tax", "transfer_in", "transfer_out", "instant_transfer_in",
    "instant_transfer_out", "salary", "pension", "benefit", "p2p_app", "standing_order",
    "loan_disbursement",
})
_INCOME_KINDS = ("salary", "pension", "benefit")
_INSTANT_TYPES = ("instant_transfer_in", "instant_transfer_out")
_DATE_FORMATS = {"dd/mm": "%d/%m", "dd/mm/yy": "%d/%m/%y", "ddmmyy": "%d%m%y",
                 "ddmm": "%d%m", "dd.mm.yy": "%d.%m.%y", "dd/mm/yyyy": "%d/%m/%Y"}
_TOKEN = re.compile(r"(\{[^{}]*\}|\[|\]|\|)")

_Part = tuple[pl.Expr, pl.Expr | None]  # (text, PII kind or None)
_Expansion = tuple[list[_Part], pl.Expr]  # (parts, "has a value" condition)


@dataclass(frozen=True)
class _Piece:
    text: pl.Expr  # never null: "" when absent
    kind: pl.Expr | None
    line: int  # 0: raw_label, 1: label_complement


def _col(name: str) -> pl.Expr:
    return pl.col(name)


def _cents(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    scale = int(10**decimals)
    return (expr.abs() * scale).round(0).cast(pl.Int64)


def _decimal_comma(units: pl.Expr, decimals: int = 2) -> pl.Expr:
    """Minor units as French text: 1234 -> ``12,34``."""
    scale = 10**decimals
    return pl.concat_str([(units // scale).cast(pl.String), pl.lit(","),
                          (units % scale).cast(pl.String).str.zfill(decimals)])


def _loan_split(part: str) -> pl.Expr:
    """Capital / interest / insurance of an instalment; they add up to the amount."""
    total = _cents(_col("amount"))
    insurance = total * 3 // 100
    interest = total * (5 + total % 17) // 100
    units = {"ass": insurance, "int": interest, "cap": total - insurance - interest}[part]
    return _decimal_comma(units)


def _seq() -> pl.Expr:
    """A 7-digit operation number, a pure function of the event."""
    mix = (_col("booking_date").cast(pl.Int64) * 7919 + _cents(_col("amount")) * 104729)
    return (mix % 9_000_000 + 1_000_000).cast(pl.String)


def _pick(choices: Sequence[str]) -> pl.Expr:
    """One of ``choices``, chosen per row from the amount and date (deterministic)."""
    index = (_cents(_col("amount")) + _col("operation_date").cast(pl.Int64)) % len(choices)
    expr = pl.lit(choices[-1])
    for i, choice in reversed(list(enumerate(choices[:-1]))):
        expr = pl.when(index == i).then(pl.lit(choice)).otherwise(expr)
    return expr


def _card(style: str) -> pl.Expr:
    last4 = _col("card_last4")
    if style == "x4":
        return pl.concat_str([pl.lit("X"), last4])
    if style == "cbstar":
        return pl.concat_str([pl.lit("CB*"), last4])
    if style == "pan":  # masked PAN: not personal data
        return pl.concat_str([_col("card_bin").str.slice(0, 4), pl.lit("XXXXXXXX"), last4])
    if style == "last4":
        return last4
    raise ValueError(f"unknown card style {style!r}; allowed: x4, cbstar, pan, last4")


def _date(column: str, style: str) -> pl.Expr:
    if style not in _DATE_FORMATS:
        raise ValueError(f"unknown date style {style!r}; allowed: {', '.join(_DATE_FORMATS)}")
    return _col(column).dt.strftime(_DATE_FORMATS[style])


def _time() -> pl.Expr:
    minute = _col("operation_minute").cast(pl.Int32)
    return pl.concat_str([(minute // 60).cast(pl.String).str.zfill(2), pl.lit("H"),
                          (minute % 60).cast(pl.String).str.zfill(2)])


_PERSON = _col("person_first").is_not_null() | _col("person_last").is_not_null()


def _person(style: str) -> list[_Part]:
    """Title (not PII) then the name as one span, even ``DUPONT J``: adjacent parts of a
    name are one piece of personal data."""
    first, last = _col("person_first"), _col("person_last")
    order = {"first_last": [first, last], "last_first": [last, first],
             "last_initial": [last, first.str.slice(0, 1)]}[style.removeprefix("title_")]
    name = pl.concat_str(order, separator=" ", ignore_nulls=True)
    parts: list[_Part] = []
    if style.startswith("title_"):
        parts.append((pl.concat_str([_col("person_title"), pl.lit(" ")]), None))
    parts.append((name, pl.lit("name")))
    return [(pl.when(_PERSON).then(text), kind) for text, kind in parts]


def _motif() -> _Expansion:
    motif, value = _col("motif"), _col("motif_pii_value")
    sep = pl.when(motif.is_not_null() & value.is_not_null()).then(pl.lit(" "))
    return ([(motif, None), (sep, None), (value, _col("motif_pii_kind"))],
            motif.is_not_null() | value.is_not_null())


def _field(column: str) -> Callable[[str, Dialect], _Expansion]:
    return lambda _arg, _d: ([(_col(column), None)], _col(column).is_not_null())


def _simple(make: Callable[[str, Dialect], pl.Expr],
            needs: str) -> Callable[[str, Dialect], _Expansion]:
    return lambda arg, d: ([(make(arg, d), None)], _col(needs).is_not_null())


PLACEHOLDERS: dict[str, Callable[[str, Dialect], _Expansion]] = {
    "merchant": _field("descriptor"),
    "city": _field("city"),
    "country": _field("country"),
    "cur": _field("original_currency"),
    "ref": _field("reference"),
    "mandate": _field("mandate_id"),
    "ics": _field("creditor_id"),
    "cheque": _field("cheque_number"),
    "loan": _field("loan_number"),
    "date": _simple(lambda a, d: _date("operation_date", a or d.date_style), "operation_date"),
    "bdate": _simple(lambda a, d: _date("booking_date", a or d.date_style), "booking_date"),
    "time": _simple(lambda a, d: _time(), "operation_minute"),
    "card": _simple(lambda a, d: _card(a or d.card_ref_style), "card_last4"),
    "amount": _simple(lambda a, d: _decimal_comma(_cents(_col("amount"))), "amount"),
    "orig": _simple(lambda a, d: _decimal_comma(_cents(_col("original_amount"))),
                    "original_amount"),
    "fx": _simple(lambda a, d: _decimal_comma(_cents(_col("fx_rate"), 4), 4), "fx_rate"),
    "cap": _simple(lambda a, d: _loan_split("cap"), "amount"),
    "int": _simple(lambda a, d: _loan_split("int"), "amount"),
    "ass": _simple(lambda a, d: _loan_split("ass"), "amount"),
    "seq": _simple(lambda a, d: _seq(), "amount"),
    "pick": _simple(lambda a, d: _pick(a.split(";")), "amount"),
    "name": lambda a, d: (_person(d.name_style), _PERSON),
    "party": lambda a, d: ([*_person(d.name_style),
                            (pl.when(~_PERSON).then(_col("descriptor")), None)],
                           _PERSON | _col("descriptor").is_not_null()),
    "motif": lambda a, d: _motif(),
}


def _tokens(template: str) -> list[str]:
    """Split a template; a bare placeholder takes the space before it into an implicit
    group, so a missing value never leaves a double space."""
    tokens: list[str] = []
    depth = 0
    for token in filter(None, _TOKEN.split(template)):
        depth += {"[": 1, "]": -1}.get(token, 0)
        previous = tokens[-1] if tokens else ""
        if (depth == 0 and token.startswith("{") and previous.endswith(" ")
                and not previous.startswith("{") and previous not in ("[", "]", "|")):
            tokens[-1] = previous[:-1]
            tokens += ["[", " ", token, "]"]
        else:
            tokens.append(token)
    return [t for t in tokens if t]


@functools.cache
def _compile(dialect: Dialect, template: str) -> tuple[_Piece, ...]:
    """Parse a template into pieces; optional groups blank out when a value is missing."""
    pieces: list[_Piece] = []
    group: list[_Piece] | None = None
    present: list[pl.Expr] = []
    line = 0
    for token in _tokens(template):
        target = pieces if group is None else group
        if token == "[":
            if group is not None:
                raise ValueError(f"nested [ in template {template!r}")
            group, present = [], []
        elif token == "]":
            if group is None:
                raise ValueError(f"unbalanced ] in template {template!r}")
            shown = pl.all_horizontal(present) if present else pl.lit(True)
            pieces += [_Piece(pl.when(shown).then(p.text).otherwise(pl.lit("")), p.kind, p.line)
                       for p in group]
            group = None
        elif token == "|" and dialect.two_lines:
            line = 1
        elif token == "|":
            target.append(_Piece(pl.lit(" "), None, line))
        elif token.startswith("{"):
            name, _, arg = token[1:-1].partition(":")
            if name not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {name!r} in template {template!r}; "
                                 f"allowed: {', '.join(PLACEHOLDERS)}")
            parts, has_value = PLACEHOLDERS[name](arg, dialect)
            target += [_Piece(text.fill_null(""), kind, line) for text, kind in parts]
            present.append(has_value)
        else:
            target.append(_Piece(pl.lit(token), None, line))
    if group is not None:
        raise ValueError(f"unclosed [ in template {template!r}")
    return tuple(pieces)


def _fallback(kind: str) -> str:
    """The label when a template rendered nothing (every optional field missing)."""
    if kind.startswith("card") or kind == "deferred_card_total":
        return "PAIEMENT CARTE"
    return "FRAIS BANCAIRES" if kind.endswith("fee") else "OPERATION BANCAIRE"


def _span(start: pl.Expr, end: pl.Expr, limit: pl.Expr, kind: pl.Expr) -> pl.Expr:
    """The span [start, end) clipped to a text of length ``limit``; null when cut away."""
    start, end = pl.max_horizontal(start, 0), pl.min_horizontal(end, limit)
    return pl.when((end > start) & kind.is_not_null()).then(
        pl.struct(start=start.cast(pl.Int32), end=end.cast(pl.Int32), kind=kind))


def _span_list(spans: list[pl.Expr]) -> pl.Expr:
    if not spans:
        return pl.lit([], dtype=PII_SPAN_DTYPE)
    return pl.concat_list(spans).list.drop_nulls().cast(PII_SPAN_DTYPE)


def _joined(members: list[int]) -> pl.Expr:
    return pl.concat_str([pl.col(f"_p{i}") for i in members]) if members else pl.lit("")


def _render_part(frame: pl.LazyFrame, dialect: Dialect, kind: str,
                 direction: str) -> pl.LazyFrame:
    """Render one (dialect, kind, direction) partition.

    The main line is A = the line-0 pieces, cut at ``max_len``; in two-line dialects the
    complement is what the cut left of A, then the line-1 pieces B, cut at
    ``complement_len``. Offsets are tracked through every strip and cut.
    """
    pieces = _compile(dialect, dialect.template(kind, direction))
    lines = [[i for i, p in enumerate(pieces) if p.line == k] for k in (0, 1)]

    def case(text: pl.Expr) -> pl.Expr:
        return text.str.to_uppercase() if dialect.upper else text.str.to_titlecase()

    def length(name: str) -> pl.Expr:
        return pl.col(name).str.len_chars().cast(pl.Int32)

    cut = dialect.max_len
    frame = (frame
             .with_columns(p.text.alias(f"_p{i}") for i, p in enumerate(pieces))
             .with_columns(_joined(lines[0]).alias("_a_full"), _joined(lines[1]).alias("_b_full"),
                           *(length(f"_p{i}").alias(f"_n{i}") for i in range(len(pieces))))
             .with_columns(pl.col("_a_full").str.strip_chars_start(" ").alias("_a"),
                           pl.col("_b_full").str.strip_chars_start(" ").alias("_b"))
             .with_columns(
                 (length("_a_full") - length("_a")).alias("_lead_a"),
                 (length("_b_full") - length("_b")).alias("_lead_b"),
                 case(pl.col("_a").str.slice(0, cut).str.strip_chars_end(" ")).alias("_main"),
                 (pl.col("_a").str.slice(cut) if cut else pl.lit("")).alias("_rest"))
             .with_columns(pl.col("_rest").str.strip_chars_start(" ").alias("_over"))
             .with_columns(
                 (length("_rest") - length("_over")).alias("_lead_over"),
                 pl.when((length("_over") > 0) & (length("_b") > 0)).then(pl.lit(" "))
                 .otherwise(pl.lit("")).alias("_sep"))
             .with_columns(case(pl.concat_str([pl.col("_over"), pl.col("_sep"), pl.col("_b")])
                                .str.slice(0, dialect.complement_len)
                                .str.strip_chars_end(" ")).alias("_comp"),
                           (length("_over") + length("_sep")).alias("_b_base"))
             .with_columns(length("_main").alias("_len_main"),
                           length("_comp").alias("_len_comp")))
    main_spans: list[pl.Expr] = []
    comp_spans: list[pl.Expr] = []
    for line, members in enumerate(lines):
        offset: pl.Expr = pl.lit(0, pl.Int32)
        for i in members:
            piece_kind = pieces[i].kind
            if piece_kind is not None:
                if line == 0:
                    start = offset - pl.col("_lead_a")
                    end = start + pl.col(f"_n{i}")
                    main_spans.append(_span(start, end, pl.col("_len_main"), piece_kind))
                    if dialect.two_lines and cut:
                        base = cut + pl.col("_lead_over")
                        comp_spans.append(_span(start - base, end - base, pl.col("_len_comp"),
                                                piece_kind))
                else:
                    start = offset - pl.col("_lead_b") + pl.col("_b_base")
                    comp_spans.append(_span(start, start + pl.col(f"_n{i}"),
                                            pl.col("_len_comp"), piece_kind))
            offset = offset + pl.col(f"_n{i}")
    main = pl.col("_main")
    raw_label = pl.when(main == "").then(case(pl.lit(_fallback(kind)))).otherwise(main)
    complement: pl.Expr = pl.lit(None, pl.String)
    if dialect.two_lines:
        complement = pl.when(pl.col("_comp") != "").then(pl.col("_comp"))
    counterparty: pl.Expr = pl.lit(None, pl.String)
    if kind in _COUNTERPARTY_KINDS:
        person = pl.concat_str([_col("person_first"), _col("person_last")], separator=" ",
                               ignore_nulls=True)
        counterparty = case(pl.when(_PERSON).then(person).otherwise(_col("descriptor")))
    return frame.select(pl.col("_idx"), raw_label.alias("raw_label"),
                        complement.alias("label_complement"),
                        counterparty.alias("counterparty_name"),
                        _span_list(main_spans).alias("pii_spans"),
                        _span_list(comp_spans).alias("complement_pii_spans"))


def _reject(events: pl.DataFrame, bad: pl.Expr, what: str) -> None:
    rows = events.select(bad.arg_true()).to_series()
    if rows.len():
        shown = rows.head(5).to_list()
        raise DataError(f"{what} in row(s) {', '.join(map(str, shown))}"
                        f"{f' and {rows.len() - 5} more' if rows.len() > 5 else ''}")


def _validate(events: pl.DataFrame, dialect_ids: Sequence[str],
              label_kinds: Sequence[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in events.columns]
    if missing:
        raise DataError(f"events lacks column(s) {', '.join(missing)}; render_labels needs "
                        f"{', '.join(REQUIRED_COLUMNS)}")
    for column, dtype in events.select(REQUIRED_COLUMNS).schema.items():
        expected = {"booking_date": "date", "operation_date": "date", "amount": "numeric",
                    "original_amount": "numeric", "fx_rate": "numeric",
                    "operation_minute": "integer"}.get(column, "string")
        ok = {"date": dtype == pl.Date, "numeric": dtype.is_numeric(),
              "integer": dtype.is_integer(), "string": dtype == pl.String}[expected]
        if not ok and not (dtype == pl.Null and column not in _NOT_NULL):
            raise DataError(f"events column {column!r} has dtype {dtype}, expected {expected}")
    for column in _NOT_NULL:
        _reject(events, pl.col(column).is_null(), f"{column} is null")
    for column, allowed in (("dialect", dialect_ids), ("label_kind", label_kinds),
                            ("motif_pii_kind", PII_KINDS)):
        values = events.get_column(column).drop_nulls().unique().to_list()
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            _reject(events, pl.col(column).is_in(unknown),
                    f"got {unknown[0]!r} for {column} (allowed: {', '.join(allowed)})")
    _reject(events, _col("motif_pii_value").is_not_null() & _col("motif_pii_kind").is_null(),
            "motif_pii_value is set but motif_pii_kind is null")


def render(events: pl.DataFrame, dialects: Mapping[str, Dialect],
           label_kinds: Sequence[str]) -> pl.DataFrame:
    """Render every event in its dialect; same rows, same order (see ``render_labels``)."""
    _validate(events, list(dialects), label_kinds)
    if events.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    kind = _col("label_kind")
    # An income paid by instant transfer reads as one; its kind only names the payer.
    kind = (pl.when(kind.is_in(_INCOME_KINDS) & _col("transaction_type").is_in(_INSTANT_TYPES))
            .then(_col("transaction_type")).otherwise(kind))
    # Splitting by direction only where some dialect writes in and out differently keeps
    # the partitions, hence the per-query overhead, few.
    directional = [k for k in label_kinds
                   if any(d.template(k, "in") != d.template(k, "out") for d in dialects.values())]
    direction = pl.when(_col("amount") < 0).then(pl.lit("out")).otherwise(pl.lit("in"))
    # An all-null column (dtype Null) gets the dtype the string and number functions need.
    typed = events.select(REQUIRED_COLUMNS).with_columns(
        pl.col(c).cast(pl.Float64 if c in ("original_amount", "fx_rate", "operation_minute")
                       else pl.String)
        for c, dtype in events.select(REQUIRED_COLUMNS).schema.items() if dtype == pl.Null)
    keyed = typed.with_row_index("_idx").with_columns(
        kind.alias("_kind"),
        pl.when(kind.is_in(directional)).then(direction).otherwise(pl.lit("in")).alias("_dir"))
    parts = keyed.partition_by(["dialect", "_kind", "_dir"], as_dict=True)
    frames = [_render_part(part.lazy(), dialects[str(d)], str(k), str(way))
              for (d, k, way), part in parts.items()]
    rendered = pl.concat(frames).collect().sort("_idx")
    return rendered.select(OUTPUT_SCHEMA.names())
