"""CFONB 120 statements written from the synthetic bank: one 01/07 pair per month.

Bank, branch and account zones come from the account's French IBAN (``read_cfonb`` rebuilds
the same IBAN from them). Each movement is a ``04`` record (operation and value dates,
signed amount with 2 decimals, an operation code derived from the ISO bank transaction
code, the first label piece in the 31-character zone) followed by ``05`` complements:
``LIB`` for the rest of the label, ``LCC`` then ``LC2`` for the complement, ``NPY`` (payer,
on credits) or ``NBE`` (beneficiary, on debits) for the counterparty name. Labels are cut
by the shared width rule (a full zone never ends with a space; a shorter piece stops
right before a single space), so ``read_cfonb`` gives back every label exactly. A null
value date is written blank and read back as null.
"""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount, movements_by_month
from ledgerlens.exceptions import DataError
from ledgerlens.ingest.readers._cfonb_fields import RECORD_WIDTH, encode_amount
from ledgerlens.ingest.readers._statement_text import cut_to_width

__all__ = ["export_cfonb"]

_LABEL_WIDTH, _INFO_WIDTH = 31, 70
#: Operation codes this exporter writes (its own choice per ISO sub-family or family).
_SUBFAMILY_CODES = {"CWDL": "11", "STDO": "06", "CHRG": "62", "INTR": "63"}
_FAMILY_CODES = {"ICHQ": "01", "RCHQ": "15", "RCDT": "05", "ICDT": "06", "RDDT": "B1",
                 "CCRD": "13", "CNTR": "16", "CSLN": "64"}


def export_cfonb(account: StatementAccount, transactions: pl.DataFrame) -> bytes:
    """The account's CFONB 120 file (CRLF records, UTF-8; ASCII for ASCII labels)."""
    iban = account.iban.replace(" ", "").upper()
    if len(iban) != 27 or not iban.startswith(("FR", "MC")):
        raise DataError("CFONB 120 statements are for French accounts: the IBAN must be a "
                        f"27-character FR or MC IBAN, got one of {len(iban)} characters")
    zones = _Zones(iban[4:9], iban[9:14], iban[14:25], account.currency)
    records: list[str] = []
    balance, opened, entry = account.opening_balance, account.opening_date, 0
    for _, movements in movements_by_month(account, transactions, "CFONB"):
        records.append(zones.balance("01", opened, balance))
        closed = opened
        for booked, valued, amount, label, complement, name, btc in movements:
            assert isinstance(booked, dt.date)
            assert isinstance(amount, decimal.Decimal)
            entry += 1
            records += zones.movement(
                entry, booked, valued if isinstance(valued, dt.date) else None, amount,
                str(label), complement if isinstance(complement, str) else None,
                name if isinstance(name, str) else None, btc if isinstance(btc, str) else None)
            balance += amount
            closed = booked
        records.append(zones.balance("07", closed, balance))
        opened = closed
    return ("\r\n".join(records) + "\r\n").encode("utf-8")


class _Zones:
    """The account zones shared by every record, and the record writers."""

    def __init__(self, bank: str, branch: str, number: str, currency: str) -> None:
        self.bank, self.branch, self.number, self.currency = bank, branch, number, currency

    def _head(self, code: str, internal: str, opcode: str) -> str:
        return (f"{code}{self.bank}{internal:4}{self.branch}{self.currency:3}2 "
                f"{self.number}{opcode:2}")

    def balance(self, code: str, day: dt.date, amount: decimal.Decimal) -> str:
        record = (self._head(code, "", "") + _ddmmyy(day) + " " * 50 + _amount(amount)
                  + " " * 16)
        assert len(record) == RECORD_WIDTH
        return record

    def movement(self, entry: int, booked: dt.date, valued: dt.date | None,
                 amount: decimal.Decimal, label: str, complement: str | None,
                 name: str | None, btc: str | None) -> list[str]:
        pieces = cut_to_width(label, _LABEL_WIDTH, _INFO_WIDTH)
        extra = [] if complement is None else cut_to_width(complement, _INFO_WIDTH, _INFO_WIDTH)
        if pieces is None or extra is None:
            raise DataError(f"movement {entry}: its label or complement cannot be cut into "
                            "CFONB zones (line break, trailing space or a run of spaces)")
        opcode = _operation_code(btc)
        booked_text = _ddmmyy(booked)
        value_text = _ddmmyy(valued) if valued is not None else " " * 6
        main = (self._head("04", "0000", opcode) + booked_text + "  " + value_text
                + f"{pieces[0]:{_LABEL_WIDTH}}" + "  " + f"{entry % 10_000_000:07d}" + " 0"
                + _amount(amount) + " " * 16)
        head = self._head("05", "0000", opcode) + booked_text + " " * 5
        details = [("LIB", p) for p in pieces[1:]]
        details += [("LCC" if i == 0 else "LC2", p) for i, p in enumerate(extra)]
        holder = (name or "").strip()[:_INFO_WIDTH].rstrip()
        if holder:
            details.append(("NPY" if amount > 0 else "NBE", holder))
        records = [main] + [f"{head}{q}{p:{_INFO_WIDTH}}  " for q, p in details]
        assert all(len(r) == RECORD_WIDTH for r in records)
        return records


def _ddmmyy(day: dt.date) -> str:
    if not 2000 <= day.year <= 2099:
        raise DataError(f"CFONB dates have two-digit years (2000-2099); got {day.isoformat()}")
    return f"{day:%d%m%y}"


def _amount(amount: decimal.Decimal) -> str:
    cents = int(amount.scaleb(2).to_integral_value())
    if cents != amount.scaleb(2) or abs(cents) >= 10**14:
        raise DataError(f"a CFONB amount has 14 digits and 2 decimals; got {amount}")
    return encode_amount(cents)


def _operation_code(btc: str | None) -> str:
    parts = (btc or "").split("-")
    family = parts[1] if len(parts) > 1 else ""
    subfamily = parts[2] if len(parts) > 2 else ""
    return _SUBFAMILY_CODES.get(subfamily) or _FAMILY_CODES.get(family) or "99"
