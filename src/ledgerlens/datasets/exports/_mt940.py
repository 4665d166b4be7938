"""SWIFT MT940 statements written from the synthetic bank, one statement per month.

Each month with movements becomes one ``:20:`` statement (``:25:`` IBAN, ``:28C:`` number,
``:60F:`` opening and ``:62F:`` closing balance, a ``-`` terminator), balances running from
``account.opening_balance``. Each movement is a ``:61:`` line (value date, booking date as
entry date, mark, amount with decimal comma, a SWIFT type code derived from the ISO bank
transaction code, ``NONREF``) and a ``:86:`` field in the bank's style: plain free text,
the slash style (``/EREF/ /NAME/ /REMI/ /ADDI/``) or the structured ``?20..?63`` style,
chosen per bank. A movement its bank's style cannot carry exactly (free text has no
complement; a label may contain a separator) is written in the next style that can, so
that ``read_mt940`` gives back every label and complement exactly. MT940 always carries a
value date: a null one is written (and read back) as the booking date.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import zlib
from collections.abc import Callable
from typing import Literal

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount, movements_by_month
from ledgerlens.exceptions import DataError
from ledgerlens.ingest.readers._mt940_details import (
    DETAILS_WIDTH,
    SEPARATORS,
    SLASH_TOKEN,
    STRUCTURED_START,
)
from ledgerlens.ingest.readers._statement_text import cut_to_width, wrap_anywhere

__all__ = ["DetailsStyle", "export_mt940"]

DetailsStyle = Literal["free", "slash", "structured"]

_STYLE_ORDER: dict[str, tuple[DetailsStyle, ...]] = {
    "free": ("free", "slash", "structured"),
    "slash": ("slash", "structured"),
    "structured": ("structured", "slash"),
}
_BY_BANK: tuple[DetailsStyle, ...] = ("free", "slash", "structured")
_BAD_STARTS = ":-{}"  # a continuation line must not look like a tag, terminator or envelope
_MAX_LINES = 6
_SUBFIELD = 27
_FORBIDDEN = ("\n", "\r", "\x1e", "\x1f")
_SUBFAMILY_CODES = {"STDO": "NSTO", "INTR": "NINT", "CHRG": "NCHG"}
_FAMILY_CODES = {"RCDT": "NTRF", "ICDT": "NTRF", "RDDT": "NDDT", "IDDT": "NDDT",
                 "RCHQ": "NCHK", "ICHQ": "NCHK", "CSLN": "NLDP"}
#: German business code and booking text written by the structured style, per SWIFT code.
_GVC = {"NTRF": ("166", "VIREMENT"), "NSTO": ("117", "VIREMENT PERMANENT"),
        "NDDT": ("105", "PRELEVEMENT"), "NCHK": ("101", "CHEQUE"), "NCHG": ("805", "FRAIS"),
        "NINT": ("814", "INTERETS"), "NLDP": ("835", "ECHEANCE PRET"),
        "NMSC": ("106", "CARTE")}


def export_mt940(account: StatementAccount, transactions: pl.DataFrame, *,
                 details_style: DetailsStyle | None = None) -> bytes:
    """The account's MT940 file (CRLF lines, UTF-8); ``details_style`` defaults per bank."""
    style = details_style or _BY_BANK[zlib.crc32(account.bank_id.encode()) % len(_BY_BANK)]
    lines: list[str] = []
    balance, opened = account.opening_balance, account.opening_date
    for number, ((year, month), movements) in enumerate(
            movements_by_month(account, transactions, "MT940"), start=1):
        lines += [f":20:LL{year:04d}{month:02d}-{number:03d}", f":25:{account.iban}",
                  f":28C:{number:05d}/001", f":60F:{_balance(balance, opened, account.currency)}"]
        closed = opened
        for nth, (booked, valued, amount, label, complement, name, btc) in enumerate(
                movements, start=1):
            assert isinstance(booked, dt.date)
            assert isinstance(amount, decimal.Decimal)
            code = _swift_code(btc if isinstance(btc, str) else None)
            value_date = valued if isinstance(valued, dt.date) else booked
            lines.append(f":61:{_yymmdd(value_date)}{booked:%m%d}{'C' if amount >= 0 else 'D'}"
                         f"{_amount(amount)}{code}NONREF")
            details = _details(str(label), complement if isinstance(complement, str) else None,
                               name if isinstance(name, str) else None, code, style)
            if details is None:
                raise DataError(f"movement {nth} of MT940 statement {number}: its texts cannot "
                                "be written in any :86: style (a line break or control "
                                "character, or every separator and slash code inside)")
            lines += [":86:" + details[0], *details[1:]]
            balance += amount
            closed = booked
        lines += [f":62F:{_balance(balance, closed, account.currency)}", "-"]
        opened = closed
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _yymmdd(day: dt.date) -> str:
    if not 2000 <= day.year <= 2099:
        raise DataError(f"MT940 dates have two-digit years (2000-2099); got {day.isoformat()}")
    return f"{day:%y%m%d}"


def _amount(amount: decimal.Decimal) -> str:
    text = f"{abs(amount):.2f}".replace(".", ",")
    if len(text) > 15:
        raise DataError(f"MT940 amounts have at most 15 characters; got {text!r}")
    return text


def _balance(amount: decimal.Decimal, day: dt.date, currency: str) -> str:
    return f"{'C' if amount >= 0 else 'D'}{_yymmdd(day)}{currency}{_amount(amount)}"


def _swift_code(btc: str | None) -> str:
    """SWIFT transaction type (``NTRF``...) for an ISO ``domain-family-subfamily`` code."""
    parts = (btc or "").split("-")
    family = parts[1] if len(parts) > 1 else ""
    subfamily = parts[2] if len(parts) > 2 else ""
    return _SUBFAMILY_CODES.get(subfamily) or _FAMILY_CODES.get(family) or "NMSC"


def _details(label: str, complement: str | None, name: str | None, code: str,
             style: DetailsStyle) -> list[str] | None:
    """The ``:86:`` lines in ``style``, or the next style that carries the texts exactly."""
    texts = [label, complement or "", name or ""]
    if any(c in t for t in texts for c in _FORBIDDEN):
        return None
    for candidate in _STYLE_ORDER[style]:
        lines = _WRITERS[candidate](label, complement, name, code)
        if lines is not None and len(lines) <= _MAX_LINES:
            return lines
    return None


def _looks_structured(text: str) -> bool:
    return bool(re.match(STRUCTURED_START, text) or re.match("^" + SLASH_TOKEN, text))


def _free(label: str, complement: str | None, name: str | None, code: str) -> list[str] | None:
    del name, code  # plain free text carries the label only
    if complement is not None or not label or _looks_structured(label):
        return None
    pieces = cut_to_width(label, DETAILS_WIDTH, DETAILS_WIDTH, _BAD_STARTS)
    if pieces is None or _looks_structured("".join(pieces)):
        return None
    return pieces


def _slash(label: str, complement: str | None, name: str | None, code: str) -> list[str] | None:
    del code
    names = [name.strip()] if name and name.strip() else []
    for with_name in [*names, None]:
        segments = [("EREF", "NOTPROVIDED")]
        if with_name:
            segments.append(("NAME", with_name))
        segments.append(("REMI", "USTD//" + label))
        if complement is not None:
            segments.append(("ADDI", complement))
        text, expected = "", []
        for seg_code, value in segments:
            expected.append((len(text), seg_code))
            text += f"/{seg_code}/{value}/"
        found = [(m.start(), m.group(1)) for m in re.finditer(SLASH_TOKEN, text)]
        if found == expected:
            return wrap_anywhere(text, DETAILS_WIDTH, _BAD_STARTS)
    return None


def _structured(label: str, complement: str | None, name: str | None,
                code: str) -> list[str] | None:
    gvc, booking = _GVC.get(code, ("999", "OPERATION"))
    holder = (name or "").strip()[:2 * _SUBFIELD].rstrip()
    texts = (label, complement or "", holder, booking)
    sep = next((s for s in SEPARATORS if not any(s in t for t in texts)), None)
    label_parts = _subfields(label, range(20, 30))
    complement_parts = [] if complement is None else _subfields(complement, range(60, 64))
    if sep is None or label_parts is None or complement_parts is None:
        return None
    name_parts = [(32 + i, holder[i * _SUBFIELD:(i + 1) * _SUBFIELD])
                  for i in range(2) if holder[i * _SUBFIELD:(i + 1) * _SUBFIELD]]
    fields = [(0, booking), *label_parts, *name_parts, *complement_parts]
    text = gvc + "".join(f"{sep}{number:02d}{value}" for number, value in fields)
    return wrap_anywhere(text, DETAILS_WIDTH, _BAD_STARTS)


def _subfields(text: str, numbers: range) -> list[tuple[int, str]] | None:
    chunks = [text[i:i + _SUBFIELD] for i in range(0, len(text), _SUBFIELD)] or [""]
    if len(chunks) > len(numbers):
        return None
    return list(zip(numbers, chunks, strict=False))


_WRITERS: dict[DetailsStyle, Callable[[str, str | None, str | None, str], list[str] | None]] = {
    "free": _free, "slash": _slash, "structured": _structured}
