"""Text rules shared by the line-based statement formats (MT940, CFONB 120) and their writers.

Decoding a bank file's bytes, turning frames into the reader contract's tables, and the one
rule both formats use to carry a label longer than one field or line: a label is cut into
pieces, trailing spaces of a piece are padding, and pieces are rejoined directly when the
previous piece filled its field (the bank cut mid-word) and with one space when it ended
early (the bank cut at a space). ``cut_to_width`` is the writer's side of the same rule, so
that a label with double spaces, or a space at a cut, comes back exactly.
"""

from __future__ import annotations

import codecs

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import MAX_RAW_RECORD, QUARANTINE_RECORD, STATEMENT_RECORD
from ledgerlens.schema import AMOUNT_DTYPE

__all__ = [
    "PADDING",
    "cut_to_width",
    "decimal_amount",
    "decode_statement",
    "join_runs",
    "records_frame",
    "rejects_frame",
    "width_join",
    "wrap_anywhere",
    "ymd_date",
]

#: Characters a fixed-width field or a SWIFT line is padded with, stripped at the end of a piece.
PADDING = " \t"
#: Run separators for ``join_runs``: the first one absent from the text is used.
_RUN_MARKS = [chr(c) for c in range(0xE000, 0xE020)]


def decode_statement(data: bytes, source: str, fmt: str) -> str:
    """The file's text with line breaks normalised to ``\\n``.

    UTF-8 (with or without BOM) first, then Windows-1252, then Latin-1, which never fails:
    bank statement files are ASCII in principle and one of these in practice.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(source, fmt, f"byte {exc.start}",
                              "the file starts with a UTF-16 mark but is not UTF-16") from None
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        text = text.replace("\r", "\n")
    if not text.strip():
        raise IngestError(source, fmt, "line 1", "the file is empty")
    return text


def join_runs(frame: pl.DataFrame, key: str, part: str, sep: str = "") -> pl.DataFrame:
    """``key, text``: ``part`` joined with ``sep`` over each run of equal consecutive ``key``.

    Rows must be in order with each key's rows contiguous (a line-based file read in order
    is). One string join over the whole column and one split, instead of a group-by with
    one small join per group: many times faster on a file of many short records.
    """
    values = pl.col(part).fill_null("")
    starts = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    heads = frame.filter(starts).get_column(key)
    mark = next((m for m in _RUN_MARKS
                 if not frame.get_column(part).str.contains(m, literal=True).any()), None)
    if frame.height == 0 or mark is None or heads.n_unique() != heads.len():
        return (frame.group_by(key, maintain_order=True)
                .agg(values.str.join(sep).alias("text")))
    prefix = pl.when(starts).then(pl.lit(mark)).otherwise(pl.lit(sep))
    whole = frame.select(pl.concat_str(prefix, values).str.join("")).to_series()
    texts = whole.str.split(mark).explode().slice(1).alias("text")
    return pl.DataFrame([heads, texts])


def width_join(pieces: pl.DataFrame, key: str) -> pl.DataFrame:
    """Rejoin label pieces per ``key``: ``key, text`` (``""`` when every piece is blank).

    ``pieces`` holds ``key``, ``piece`` (the field's text) and ``width`` (the field's size),
    rows in file order with each key's pieces contiguous. Blank pieces are skipped; a piece
    is joined to the previous one directly when that one filled its field, with one space
    otherwise.
    """
    piece = pl.col("piece").str.strip_chars_end(PADDING)
    length = piece.str.len_chars()
    starts = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    # 1 = full, 0 = ended early, 2 = nothing before it in its key (reset at each key's start)
    state = (pl.when(length > 0).then((length >= pl.col("width")).cast(pl.Int8))
             .when(starts).then(pl.lit(2, pl.Int8)))
    before = pl.when(starts).then(pl.lit(2, pl.Int8)).otherwise(state.forward_fill().shift(1))
    joiner = pl.when((length == 0) | (before != 0)).then(pl.lit("")).otherwise(pl.lit(" "))
    joined = pieces.select(key, pl.concat_str(joiner, piece).alias("part"))
    return join_runs(joined, key, "part")


def cut_to_width(text: str, first: int, width: int, bad_starts: str = "") -> list[str] | None:
    """Pieces of ``text`` that ``width_join`` rejoins exactly, or None if there are none.

    The first piece holds at most ``first`` characters, the others at most ``width``. A
    piece either fills its field and ends with a non-space, or ends early right before a
    single space that the cut consumes. No piece after the first starts with a character
    of ``bad_starts`` (a SWIFT line must not look like a field tag).
    """
    if text != text.rstrip(PADDING) or "\n" in text or "\r" in text:
        return None
    pieces: list[str] = []
    rest, size = text, first
    while len(rest) > size:
        if rest[size - 1] not in PADDING and rest[size] not in bad_starts:
            pieces.append(rest[:size])
            rest = rest[size:]
        else:
            cut = next((k for k in range(size - 1, 0, -1)
                        if rest[k] == " " and rest[k - 1] not in PADDING
                        and rest[k + 1] not in bad_starts), None)
            if cut is None:
                return None
            pieces.append(rest[:cut])
            rest = rest[cut + 1:]
        size = width
    pieces.append(rest)
    return pieces


def wrap_anywhere(text: str, width: int, bad_starts: str = "") -> list[str] | None:
    """Lines of at most ``width`` characters whose plain concatenation is ``text``.

    No line ends with padding and no line after the first starts with ``bad_starts``, so a
    reader that strips trailing spaces still rejoins it exactly; None if that is impossible.
    """
    if text != text.rstrip(PADDING):
        return None
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = next((k for k in range(width, 0, -1)
                    if rest[k - 1] not in PADDING and rest[k] not in bad_starts), None)
        if cut is None:
            return None
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return lines


def ymd_date(digits: pl.Expr) -> pl.Expr:
    """``YYYYMMDD`` text to a date; null when it is not 8 digits or not a real day."""
    return (pl.when(digits.str.contains(r"^[0-9]{8}$"))
            .then(digits.str.to_date("%Y%m%d", strict=False)))


def decimal_amount(negative: pl.Expr, units: pl.Expr, cents: pl.Expr) -> pl.Expr:
    """An exact amount from its digits: ``units`` (at most 16 digits), ``cents`` (2 digits)."""
    sign = pl.when(negative).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, units, pl.lit("."), cents).cast(AMOUNT_DTYPE, strict=False)


def records_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``'s statement columns in contract order and dtypes (missing ones null)."""
    return frame.select([
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in STATEMENT_RECORD.items()
    ]).with_columns(pl.col("raw_record").str.slice(0, MAX_RAW_RECORD))


def rejects_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``'s quarantine columns in contract order, raw records cut to the limit."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in QUARANTINE_RECORD.items()]
                        ).with_columns(pl.col("raw_record").str.slice(0, MAX_RAW_RECORD))
