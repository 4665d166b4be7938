"""Bank CSV exports: detect encoding, delimiter, header and layout, then read the rows.

:func:`read_csv_statement` reads a whole file held in memory; :func:`read_csv_batches`
streams a file of any size in batches of rows with flat memory. Both decode the text
(UTF-8 with or without BOM, UTF-16 with BOM, else the layout's 8-bit encoding, else
Windows-1252 / Latin-1), find the header row by the layout's column names, take the
account reference from a column, the ``account_ref`` argument, a preamble line
(``Numéro de compte;...``) or the file name, and hand the rows to the vectorised parser.
A file that holds nothing (empty, blank or header only) gives zero records; one whose
header matches no layout raises ``IngestError``. Quoted multi-line labels keep their text,
each line break becoming a single space.

>>> data = "Date;Libellé;Montant\\n02/01/2025;CB BOULANGERIE;-3,20\\n".encode("cp1252")
>>> result = read_csv_statement(data, "releve.csv", account_ref="FR7630006000011234567890189")
>>> result.records["amount"].to_list()
[Decimal('-3.20')]
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from ledgerlens.exceptions import ConfigurationError, IngestError
from ledgerlens.ingest._records import STATEMENT_RECORD, ReadResult
from ledgerlens.ingest.readers._csv_layouts import (
    BUILTIN_LAYOUTS,
    COLUMN_FIELDS,
    CsvLayout,
    with_detected,
)
from ledgerlens.ingest.readers._csv_parse import CellsError, Columns, parse_rows, split_cells

__all__ = [
    "match_header",
    "normalize_name",
    "read_csv_batches",
    "read_csv_statement",
    "sniff_csv_layout",
    "sniff_encoding",
]

_FORMAT = "csv"
_SNIFF_BYTES = 256 * 1024
_SNIFF_LINES = 60
_HEADER_CELL_CHARS = 4096
_DELIMITERS = (";", ",", "\t", "|")
_BLOCK_BYTES = 16 * 1024 * 1024
#: A batch is cut even inside an open quote past this size, so a stray quote cannot make
#: the reader buffer the rest of a huge file.
_MAX_BATCH_BYTES = 128 * 1024 * 1024
_SAMPLE_BYTES = 1024 * 1024
_UTF8 = frozenset({"utf-8", "utf_8", "utf8", "utf-8-sig", "u8"})


def normalize_name(text: str) -> str:
    """Header or preamble text reduced for matching: no accents, case, quotes or punctuation.

    >>> normalize_name(' "N° de Compte" ')
    'n de compte'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def match_header(cells: list[str], layout: CsvLayout) -> dict[str, int] | None:
    """Column index of each field of ``layout`` found in a header row; None if one required
    field is missing. A field's first alias found wins; a name used twice maps its first."""
    position: dict[str, int] = {}
    for i, cell in enumerate(cells):
        position.setdefault(normalize_name(cell), i)
    found: dict[str, int] = {}
    for key in COLUMN_FIELDS:
        for alias in getattr(layout, key):
            idx = position.get(normalize_name(alias))
            if idx is not None:
                found[key] = idx
                break
        else:
            if key in layout.required_fields():
                return None
    return found


def account_from_preamble(lines: list[list[str]], labels: tuple[str, ...]) -> str | None:
    """The account number written after a label like ``Numéro de compte`` before the header,
    either in the next cell or after a colon in the same cell (``Numéro de compte : 123``)."""
    wanted = {normalize_name(label) for label in labels}
    for cells in lines:
        for i, cell in enumerate(cells):
            label, sep, rest = cell.partition(":")
            if sep and normalize_name(label) in wanted and rest.strip():
                value = rest.strip()
            elif normalize_name(cell) in wanted:
                value = next((c.strip() for c in cells[i + 1:] if c.strip()), "")
            else:
                continue
            if 4 <= len(value) <= 64:
                return value
    return None


def _decode(data: bytes, declared: str | None) -> tuple[str, str, bool]:
    """``(text, encoding, damaged)``; ``damaged`` when undecodable bytes of a mostly UTF-8
    text became U+FFFD, whose rows are then rejected as ``encoding_error``."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = data[len(bom):].decode(name, "replace")
            return text, name, "\ufffd" in text
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError as exc:
        first_error = exc.start
    # Each valid multi-byte character shortens the text; more of those than bad bytes
    # around the first bad one means UTF-8 with a few damaged rows, not an 8-bit encoding.
    window = data[max(0, first_error - _SAMPLE_BYTES):first_error + _SAMPLE_BYTES]
    sample = window.decode("utf-8", "replace")
    if len(window) - len(sample) > sample.count("\ufffd"):
        return data.decode("utf-8", "replace"), "utf-8", True
    for candidate in (declared, "cp1252"):
        if candidate and codecs.lookup(candidate).name not in _UTF8:
            try:
                return data.decode(candidate), codecs.lookup(candidate).name, False
            except UnicodeDecodeError:
                continue
    return data.decode("latin-1"), "latin-1", False


def sniff_encoding(path: Path) -> str:
    """The encoding the first 256 KiB of a file read in (whole lines): ``utf-8`` also for a
    UTF-8 text with a few damaged bytes, else the 8-bit encoding (``cp1252``) or a BOM's.

    ``ledgerlens enrich`` reads its CSV input with it, as the statement readers do."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if len(head) == _SNIFF_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n") + 1]
    return _decode(head, None)[1]


def _head_lines(text: str, limit: int) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the first ``limit`` lines of ``text`` (end excludes \\n)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while len(spans) < limit and pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        spans.append((pos, end))
        pos = end + 1
    return spans


def _split_line(line: str, delimiter: str, quote: str | None) -> list[str]:
    line = line[:_HEADER_CELL_CHARS].rstrip("\r")
    try:
        row = next(csv.reader([line], delimiter=delimiter, quotechar=quote or '"', strict=False,
                              quoting=csv.QUOTE_NONE if quote is None else csv.QUOTE_MINIMAL),
                   [])
    except csv.Error:
        row = line.split(delimiter)
    return [c.strip().lstrip("\ufeff") for c in row]


@dataclass(frozen=True)
class _Header:
    line: int  # 0-based index of the header line
    cells: tuple[str, ...]
    index: dict[str, int]
    preamble: list[list[str]]
    data_start: int  # offset in the text just after the header line


def _locate_header(text: str, layout: CsvLayout) -> _Header | None:
    spans = _head_lines(text, layout.skip_rows + layout.header_search_lines)
    rows = [_split_line(text[s:e], layout.delimiter, layout.quote_char) for s, e in spans]
    for i in range(layout.skip_rows, len(rows)):
        index = match_header(rows[i], layout)
        if index is not None:
            return _Header(i, tuple(rows[i]), index, rows[:i], spans[i][1] + 1)
    return None


def _sniff_text(text: str, encoding: str, ascii_only: bool) -> CsvLayout | None:
    lines = [text[s:e] for s, e in _head_lines(text[:_SNIFF_BYTES], _SNIFF_LINES)]
    split = {d: [_split_line(line, d, '"') if d in line else [] for line in lines]
             for d in _DELIMITERS}
    best: tuple[tuple[int, bool], CsvLayout, str] | None = None
    for layout in BUILTIN_LAYOUTS.values():
        for delimiter in _DELIMITERS:
            for cells in split[delimiter][layout.skip_rows:]:
                index = match_header(cells, layout) if cells else None
                if index is None:
                    continue
                score = (len(index), delimiter == layout.delimiter)
                if best is None or score > best[0]:
                    best = (score, layout, delimiter)
                break
    if best is None:
        return None
    _, layout, delimiter = best
    return with_detected(layout, delimiter, layout.encoding if ascii_only else encoding)


def sniff_csv_layout(data: bytes) -> CsvLayout | None:
    """The builtin layout whose header names a file's header row has, with the delimiter
    and encoding the file uses; None when no layout fits. Looks at the first 256 KiB.

    >>> sniff_csv_layout("Date;Libellé;Débit euros;Crédit euros\\n".encode("cp1252")).name
    'ca_like'
    """
    head = data[:_SNIFF_BYTES]
    if len(data) > _SNIFF_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n") + 1]
    text, encoding, _ = _decode(head, None)
    return _sniff_text(_one_newline_style(text), encoding, head.isascii())


def _one_newline_style(text: str) -> str:
    # Old Mac exports end lines with a bare CR.
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def _account_from_name(source: str, layout: CsvLayout) -> str | None:
    if layout.account_in_name is None:
        return None
    found = re.search(layout.account_in_name, Path(source).name[:255])
    return found.group(1) if found else None


def _columns(source: str, layout: CsvLayout, header: _Header, account_ref: str | None,
             damaged: bool) -> Columns:
    account = (account_ref or account_from_preamble(header.preamble, layout.account_labels)
               or _account_from_name(source, layout))
    return Columns(layout, header.cells, header.index, account, damaged)


def _no_header(source: str, layout: CsvLayout) -> IngestError:
    wanted = ", ".join(repr(getattr(layout, k)[0]) for k in layout.required_fields())
    last = layout.skip_rows + layout.header_search_lines
    return IngestError(source, _FORMAT, f"lines {layout.skip_rows + 1}-{last}",
                       f"no header row with the columns of layout {layout.name!r} ({wanted}) "
                       f"separated by {layout.delimiter!r}")


def _parse(source: str, cells: pl.DataFrame, cols: Columns) -> ReadResult:
    if cells.height and cols.file_account is None and "account" not in cols.index:
        raise IngestError(source, _FORMAT, "header",
                          f"no account reference: layout {cols.layout.name!r} has no account "
                          "column and the file no 'Numéro de compte' line before its header; "
                          "pass account_ref")
    records, rejects = parse_rows(cells, cols)
    return ReadResult(_FORMAT, records, rejects)


def _cells(source: str, data: bytes, first_line: int, cols: Columns) -> pl.DataFrame:
    try:
        return split_cells(data, first_line, cols.width, cols.layout)
    except CellsError as exc:
        raise IngestError(source, _FORMAT, f"line {exc.line}", exc.why) from None


def _empty() -> ReadResult:
    return ReadResult(_FORMAT, pl.DataFrame(schema=STATEMENT_RECORD))


def read_csv_statement(data: bytes, source: str, layout: CsvLayout | None = None,
                       account_ref: str | None = None) -> ReadResult:
    """Read a bank CSV export held in memory; ``layout`` None sniffs a builtin one.

    Rows whose date or amount do not parse become rejects (``unparseable_date``,
    ``unparseable_amount``, ``missing_field``, ...) at ``line N``; blank lines are skipped.
    Raises ``IngestError`` when no header matches, or when rows exist but no account
    reference can be found.
    """
    declared = layout.encoding if layout is not None else None
    text, encoding, damaged = _decode(data, declared)
    bare_cr = "\r" in text and "\n" not in text
    text = _one_newline_style(text)
    if not text or text.isspace():
        return _empty()
    if layout is None:
        layout = _sniff_text(text, encoding, data.isascii())
        if layout is None:
            raise IngestError(source, _FORMAT, "header",
                              "no known CSV layout matches the first lines; declare the "
                              "file's layout (ledgerlens.ingest.readers.load_layout)")
    header = _locate_header(text, layout)
    if header is None:
        raise _no_header(source, layout)
    cols = _columns(source, layout, header, account_ref, damaged)
    if encoding == "utf-8" and not damaged and not bare_cr:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        body = data[bom + len(text[:header.data_start].encode("utf-8")):]
    else:
        body = text[header.data_start:].encode("utf-8")
    return _parse(source, _cells(source, body, header.line + 2, cols), cols)


def _cut(buffer: bytes, batch_rows: int, quote: str | None) -> int:
    """Offset just past the ``batch_rows``-th row end in ``buffer`` (or the last one), 0 if
    no row ends there yet. A newline ends a row when it is outside quotes."""
    raw = np.frombuffer(buffer, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 0x0A)
    if quote is not None and newlines.size:
        quotes = np.flatnonzero(raw == ord(quote))
        newlines = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    if newlines.size:
        return int(newlines[min(batch_rows, newlines.size) - 1]) + 1
    if len(buffer) > _MAX_BATCH_BYTES:
        last = buffer.rfind(b"\n")
        return last + 1 if last >= 0 else len(buffer)
    return 0


def read_csv_batches(path: Path, layout: CsvLayout, batch_rows: int = 500_000,
                     account_ref: str | None = None) -> Iterator[ReadResult]:
    """Stream a large CSV export as ``ReadResult`` batches of about ``batch_rows`` rows.

    Memory stays flat whatever the file size: the file is read in blocks, cut at row ends
    outside quotes, and each batch decoded and parsed on its own. Positions are lines of
    the whole file. Yields one empty result for a file without rows.
    """
    if batch_rows < 1:
        raise ConfigurationError(f"batch_rows must be at least 1, got {batch_rows}")
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise IngestError(source, _FORMAT, "line 1", "UTF-16 files cannot be streamed; "
                              "read them whole with read_csv_statement")
        bare_cr = b"\r" in head and b"\n" not in head
        if bare_cr:
            head = head.replace(b"\r", b"\n")
        whole_lines = head[:head.rfind(b"\n") + 1] if len(head) == _SNIFF_BYTES else head
        text, _, damaged = _decode(whole_lines, layout.encoding)
        header = _locate_header(text, layout)
        if header is None:
            if (not text or text.isspace()) and len(head) < _SNIFF_BYTES:
                yield _empty()
                return
            raise _no_header(source, layout)
        cols = _columns(source, layout, header, account_ref, damaged)
        offset = -1
        for _ in range(header.line + 1):
            offset = head.find(b"\n", offset + 1)
        start = len(head) if offset < 0 else offset + 1
        yield from _batches(handle, head[start:], header.line + 2, batch_rows, cols, source,
                            bare_cr)


def _batches(handle: BinaryIO, buffer: bytes, line: int, batch_rows: int, cols: Columns,
             source: str, bare_cr: bool) -> Iterator[ReadResult]:
    eof, yielded, starved = False, False, False
    while True:
        parts, size, newlines = [buffer], len(buffer), buffer.count(b"\n")
        while not eof and (starved or (newlines < batch_rows and size < _MAX_BATCH_BYTES)):
            block = handle.read(_BLOCK_BYTES)
            if not block:
                eof = True
                break
            block = block.replace(b"\r", b"\n") if bare_cr else block
            parts.append(block)
            size, newlines, starved = size + len(block), newlines + block.count(b"\n"), False
        buffer = b"".join(parts)
        del parts
        cut = len(buffer) if eof else _cut(buffer, batch_rows, cols.layout.quote_char)
        if cut == 0 and not eof:
            starved = True  # every newline so far is inside quotes: read on
            continue
        chunk, buffer = buffer[:cut], buffer[cut:]
        text, encoding, damaged = _decode(chunk, cols.layout.encoding)
        body = chunk if encoding == "utf-8" and not damaged else text.encode("utf-8")
        del text
        batch_cols = Columns(cols.layout, cols.header, cols.index, cols.file_account, damaged)
        cells = _cells(source, body, line, batch_cols)
        line += chunk.count(b"\n")
        del chunk, body
        if cells.height or not yielded:
            yielded = True
            yield _parse(source, cells, batch_cols)
        del cells
        if eof and not buffer:
            return
