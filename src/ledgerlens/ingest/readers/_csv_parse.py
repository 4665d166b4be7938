"""The data rows of a bank CSV export, turned into statement records and rejects.

Two steps, both vectorised: :func:`split_cells` cuts the rows (below the header) into
string cells with the physical line each row starts on, and :func:`parse_rows` parses
dates and amounts with Polars expressions and sends every row that cannot be trusted to
the rejects with a reason code. Labels keep their text; line breaks inside a quoted label
become single spaces.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from ledgerlens.ingest._records import MAX_RAW_RECORD, QUARANTINE_RECORD, STATEMENT_RECORD
from ledgerlens.ingest.readers._csv_layouts import CsvLayout
from ledgerlens.schema import AMOUNT_DTYPE

__all__ = ["CellsError", "Columns", "parse_rows", "split_cells"]

#: Extra cells read past the header's width, to tell rows with too many fields.
_OVERFLOW = 2
_LINE = "_line"


class CellsError(Exception):
    """The rows cannot be cut into cells at all (raised with the line it failed at)."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


@dataclass(frozen=True)
class Columns:
    """Where a file keeps each field: header cells, field -> column position, and what
    the file says for every row (account reference, whether decoding replaced bytes)."""

    layout: CsvLayout
    header: tuple[str, ...]
    index: dict[str, int]
    file_account: str | None
    damaged: bool = False

    @property
    def width(self) -> int:
        return len(self.header)


def _names(width: int) -> list[str]:
    return [f"c{i}" for i in range(width + _OVERFLOW)]


def split_cells(data: bytes, first_line: int, width: int, layout: CsvLayout) -> pl.DataFrame:
    """Cells ``c0..`` (strings, ``""`` when empty) of each row of ``data`` (UTF-8) and the
    line it starts on; blank rows dropped. Raises ``CellsError`` if it cannot be cut."""
    names = _names(width)
    frame = _polars_cells(data, names, layout)
    if frame is not None:
        quote = layout.quote_char
        if quote is None or quote.encode() not in data:  # no quoted cell: one line per row
            spans = pl.repeat(1, frame.height, dtype=pl.Int64, eager=True)
        else:
            spans = frame.select(
                pl.sum_horizontal(pl.col(n).str.count_matches("\n", literal=True)
                                  for n in names).cast(pl.Int64) + 1).to_series()
        expected = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
        # Rows whose line count disagrees with the file's (odd quoting, fields cut off past
        # the overflow cells) go through Python's csv module, which counts lines exactly.
        if int(spans.sum()) == expected:
            frame = frame.with_columns((first_line + spans.cum_sum() - spans).alias(_LINE))
        else:
            frame = None
    if frame is None:
        frame = _python_cells(data.decode("utf-8"), names, layout, first_line)
    # a row is blank when all its cells are: only rows whose first cell is need a look
    first_blank = frame.select(pl.col(names[0]).str.strip_chars() == "").to_series()
    if not first_blank.any():
        return frame
    blank = pl.all_horizontal(pl.col(n).str.strip_chars() == "" for n in names[1:])
    return frame.filter(~(pl.lit(first_blank) & blank))


def _polars_cells(data: bytes, names: list[str], layout: CsvLayout) -> pl.DataFrame | None:
    try:
        frame = pl.read_csv(
            data, has_header=False, separator=layout.delimiter, quote_char=layout.quote_char,
            infer_schema=False, schema=dict.fromkeys(names, pl.String),
            truncate_ragged_lines=True, missing_columns="insert", extra_columns="ignore",
            empty_string_is_null=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError):
        # OSError: Polars takes bytes that open like a zlib or gzip stream (0x78 0x01,
        # 0x1f 0x8b) for a compressed file and fails to inflate them; they are text here.
        return None
    return frame.with_columns(pl.col(names).fill_null(""))


def _lines(text: str) -> Iterator[str]:
    lines = text.split("\n")
    for line in lines[:-1]:
        yield line + "\n"
    if lines[-1]:
        yield lines[-1]


def _python_cells(text: str, names: list[str], layout: CsvLayout,
                  first_line: int) -> pl.DataFrame:
    n = len(names)
    rows: list[list[str]] = []
    starts: list[int] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    reader = csv.reader(_lines(text), delimiter=layout.delimiter,
                        quotechar=layout.quote_char or '"', strict=False,
                        quoting=csv.QUOTE_NONE if layout.quote_char is None else csv.QUOTE_MINIMAL)
    consumed = 0
    try:
        for row in reader:
            starts.append(first_line + consumed)
            consumed = reader.line_num
            if len(row) > n:
                row = [*row[:n - 1], layout.delimiter.join(row[n - 1:])]
            rows.append(row + [""] * (n - len(row)))
    except csv.Error as exc:
        raise CellsError(first_line + consumed, f"cannot split the row into fields ({exc})") \
            from None
    finally:
        csv.field_size_limit(limit)
    columns = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    return pl.DataFrame({**columns, _LINE: starts},
                        schema={**dict.fromkeys(names, pl.String), _LINE: pl.Int64})


def _hex(char: str) -> str:
    return f"\\x{{{ord(char):X}}}"


def amount_pattern(layout: CsvLayout) -> str:
    """Full-match regex of an amount: optional sign, digits optionally grouped by one of
    the thousands separators, optional decimal part of one or two digits."""
    groups = "".join(f"|[0-9]{{1,3}}(?:{_hex(t)}[0-9]{{3}}){{1,5}}"
                     for t in layout.thousands_separators)
    return f"^[+-]?(?:[0-9]{{1,16}}{groups})(?:{_hex(layout.decimal_separator)}[0-9]{{1,2}})?$"


def parse_amount(text: pl.Expr, layout: CsvLayout) -> pl.Expr:
    """Exact amount of a stripped cell, null where it is not a number in the layout's
    notation (``12,3,4``, ``1e5``, three decimals ...)."""
    signed = text.str.replace_all("\u2212", "-", literal=True)
    clean = signed
    for sep in layout.thousands_separators:
        clean = clean.str.replace_all(sep, "", literal=True)
    if layout.decimal_separator != ".":
        clean = clean.str.replace(layout.decimal_separator, ".", literal=True)
    return (pl.when(signed.str.contains(amount_pattern(layout)))
            .then(clean.cast(AMOUNT_DTYPE, strict=False)))


def parse_date(text: pl.Expr, layout: CsvLayout) -> pl.Expr:
    """Date of a stripped cell in the first of the layout's formats it matches; null for
    dates that do not exist (``31/02/2024``) or match no format."""
    parsed = [pl.when(text.str.contains(pattern)).then(text.str.to_date(fmt, strict=False))
              for fmt, pattern in zip(layout.date_formats, layout.date_patterns, strict=True)]
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def _one_line(cell: pl.Expr) -> pl.Expr:
    return cell.str.replace_all(r"\r\n|\r|\n", " ")


def _null_if_blank(cell: pl.Expr) -> pl.Expr:
    return pl.when(cell.str.strip_chars() != "").then(cell)


def _each_distinct(cells: pl.Series, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``parse`` (a function of one stripped cell) of every cell of ``cells``, worked out
    once per distinct cell."""
    distinct = cells.unique().drop_nulls()
    parsed = distinct.to_frame("text").select(parse(pl.col("text").str.strip_chars()))
    return pl.col(cells.name).replace_strict(distinct, parsed.to_series(), default=None,
                                             return_dtype=parsed.to_series().dtype)


def parse_rows(cells: pl.DataFrame, cols: Columns) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(records, rejects)`` of the rows from :func:`split_cells`, with the schemas of
    ``STATEMENT_RECORD`` and ``QUARANTINE_RECORD``. A row fails on its first problem."""
    layout = cols.layout
    names = _names(cols.width)
    mapped = {key: f"c{i}" for key, i in cols.index.items()}

    def txt(key: str) -> pl.Expr:
        return pl.col(f"_t_{key}") if key in mapped else pl.lit("")

    def named(key: str, what: str) -> str:
        return f"{what} (column {cols.header[cols.index[key]]!r})"

    # Strip and parse each cell once; the checks and outputs below read these columns.
    # Dates and amounts repeat a lot in a statement: each distinct cell is parsed once.
    stripped = {f"_t_{key}": pl.col(c).str.strip_chars() for key, c in mapped.items()}
    parsed = {"_booking": _each_distinct(cells[mapped["booking_date"]],
                                         lambda text: parse_date(text, layout))}
    if "value_date" in mapped:
        parsed["_value"] = _each_distinct(cells[mapped["value_date"]],
                                          lambda text: parse_date(text, layout))
    for key in ("amount", "debit", "credit"):
        if key in mapped:
            parsed[f"_{key}"] = _each_distinct(cells[mapped[key]],
                                               lambda text: parse_amount(text, layout))
    frame = cells.lazy().with_columns(**stripped).with_columns(**parsed)

    checks: list[tuple[pl.Expr, str, str]] = []
    if cols.damaged:
        checks.append((pl.any_horizontal(pl.col(n).str.contains("\ufffd", literal=True)
                                         for n in names),
                       "encoding_error", "bytes that are not valid UTF-8 in the row"))
    checks.append((pl.any_horizontal(pl.col(n).str.strip_chars() != ""
                                     for n in names[-_OVERFLOW:]),
                   "malformed_record", f"more fields than the {cols.width} of the header"))
    if cols.width > 1:
        checks.append((pl.all_horizontal(pl.col(n).str.strip_chars() == ""
                                         for n in names[1:cols.width]),
                       "malformed_record", f"one field where the header has {cols.width} "
                                           f"(fields not separated by {layout.delimiter!r}?)"))
    for key in ("label", "label_complement"):
        if key in mapped:
            checks.append((pl.col(mapped[key]).str.len_chars() > MAX_RAW_RECORD,
                           "malformed_record",
                           f"{named(key, 'label')} longer than {MAX_RAW_RECORD} characters"))
    formats = " or ".join(layout.date_formats)
    checks += [(txt("booking_date") == "", "missing_field",
                named("booking_date", "booking date") + " is empty"),
               (pl.col("_booking").is_null(), "unparseable_date",
                named("booking_date", "booking date")
                + f" is not an existing date in format {formats}")]
    if "value_date" in mapped:
        checks.append(((txt("value_date") != "") & pl.col("_value").is_null(),
                       "unparseable_date", named("value_date", "value date")
                       + f" is not an existing date in format {formats}"))
    notation = (f"a number with decimal {layout.decimal_separator!r}"
                + (f" and thousands {layout.thousands_separators!r}"
                   if layout.thousands_separators else ""))
    if "amount" in mapped:
        amount = pl.col("_amount")
        checks += [(txt("amount") == "", "missing_field", named("amount", "amount") + " is empty"),
                   (amount.is_null(), "unparseable_amount",
                    named("amount", "amount") + f" is not {notation}")]
    else:
        debit, credit = pl.col("_debit"), pl.col("_credit")
        checks += [
            ((txt("debit") == "") & (txt("credit") == ""), "missing_field",
             "both debit and credit are empty"),
            ((txt("debit") != "") & debit.is_null(), "unparseable_amount",
             named("debit", "debit") + f" is not {notation}"),
            ((txt("credit") != "") & credit.is_null(), "unparseable_amount",
             named("credit", "credit") + f" is not {notation}"),
            (credit < 0, "unparseable_amount", named("credit", "credit") + " is negative"),
            ((debit != 0) & (credit != 0), "malformed_record",
             "both debit and credit hold a non-zero amount"),
        ]
        out = -debit.abs()
        amount = pl.coalesce(pl.when(out != 0).then(out), credit, out)
    label = pl.col(mapped["label"])
    checks.append((txt("label") == "", "missing_field", named("label", "label") + " is empty"))
    currency = pl.lit(layout.default_currency)
    if "currency" in mapped:
        currency = txt("currency")
        checks.append((currency == "", "missing_currency",
                       named("currency", "currency") + " is empty"))
    account = pl.lit(cols.file_account, pl.String)
    if "account" in mapped:
        account = pl.when(txt("account") != "").then(txt("account")).otherwise(account)
        if cols.file_account is None:
            checks.append((txt("account") == "", "missing_field",
                           named("account", "account") + " is empty"))

    failed = pl.coalesce([pl.when(cond.fill_null(False)).then(pl.lit(i, pl.UInt16))
                          for i, (cond, _, _) in enumerate(checks)])
    reason = failed.replace_strict({i: c[1] for i, c in enumerate(checks)}, default=None,
                                   return_dtype=pl.String)
    detail = failed.replace_strict({i: c[2] for i, c in enumerate(checks)}, default=None,
                                   return_dtype=pl.String)
    raw = pl.concat_str([pl.concat_str(pl.col(names[:cols.width]), separator=layout.delimiter),
                         *(pl.when(pl.col(n) != "").then(pl.col(n)) for n in names[-_OVERFLOW:])],
                        separator=layout.delimiter, ignore_nulls=True)

    def optional_text(key: str) -> pl.Expr:
        return pl.when(txt(key) != "").then(txt(key)) if key in mapped else pl.lit(None, pl.String)

    complement = (_null_if_blank(_one_line(pl.col(mapped["label_complement"])))
                  if "label_complement" in mapped else pl.lit(None, pl.String))
    table = frame.select(
        _reason=reason, _detail=detail,
        account_ref=account,
        booking_date=pl.col("_booking"),
        value_date=pl.col("_value") if "value_date" in mapped else pl.lit(None, pl.Date),
        amount=amount.cast(AMOUNT_DTYPE),
        currency=currency,
        raw_label=_one_line(label),
        label_complement=complement,
        counterparty_name=optional_text("counterparty"),
        counterparty_iban=pl.lit(None, pl.String), mcc=pl.lit(None, pl.String),
        bank_transaction_code=optional_text("bank_transaction_code"),
        end_to_end_id=pl.lit(None, pl.String),
        source_position=pl.format("line {}", pl.col(_LINE)),
        raw_record=raw.str.slice(0, MAX_RAW_RECORD),
    ).collect()
    records = table.filter(pl.col("_reason").is_null()).select(list(STATEMENT_RECORD))
    rejects = (table.filter(pl.col("_reason").is_not_null())
               .select("source_position", reason="_reason", detail="_detail",
                       raw_record="raw_record"))
    return records.cast(STATEMENT_RECORD), rejects.cast(QUARANTINE_RECORD)
