"""PSD2 JSON transaction responses (STET and Berlin Group) written from canonical transactions.

Each exporter writes the account's booked transactions as response pages of ``page_size``
entries, one compact JSON document per line (paginated bodies concatenated), in the layout
that ``ledgerlens.ingest.readers._psd2`` reads back exactly:

- ``raw_label`` is the first unstructured remittance line and ``label_complement``, when
  there is one, the second (STET ``remittanceInformation.unstructured``; Berlin Group
  ``remittanceInformationUnstructuredArray``, or ``remittanceInformationUnstructured``
  alone without a complement);
- the counterparty is the creditor of money out and the debtor of money in;
- an ISO code ``DOMAIN-FAMILY-SUBFAMILY`` goes into ``bankTransactionCode`` (STET splits
  it into ``domain``/``family``/``subFamily``), any other code is proprietary.

Every page also carries one pending entry, clearly marked as synthetic
(``LEDGERLENS SYNTHETIC PENDING ENTRY``), so that reading exercises the rule that pending
entries are not booked movements and are skipped.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import polars as pl

from ledgerlens.datasets.exports._base import StatementAccount

__all__ = ["export_berlin_group", "export_stet"]

_ISO_CODE = re.compile(r"[A-Z]{4}-[A-Z]{4}-[A-Z]{4}")
_PENDING_LABEL = "LEDGERLENS SYNTHETIC PENDING ENTRY (NOT BOOKED)"
_COLUMNS = ("transaction_id", "booking_date", "value_date", "amount", "currency", "raw_label",
            "label_complement", "counterparty_name", "counterparty_iban", "mcc",
            "bank_transaction_code")
_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

Row = tuple[Any, ...]


def export_stet(account: StatementAccount, transactions: pl.DataFrame,
                page_size: int = 500) -> bytes:
    """STET ``GET /accounts/{id}/transactions`` response pages, concatenated (UTF-8).

    The account appears only in the links (``/v1/accounts/{IBAN}/...``), as STET bodies
    carry no account object.
    """
    resource = quote(account.iban, safe="")
    base = f"/v1/accounts/{resource}"

    def page(number: int, last: int, rows: list[Row]) -> dict[str, Any]:
        entries = [_stet_entry(row) for row in rows]
        entries.append(_stet_pending(account, number, rows))
        return {"transactions": entries,
                "_links": {**_page_links(f"{base}/transactions", number, last),
                           "parent-list": {"href": "/v1/accounts"},
                           "balances": {"href": f"{base}/balances"}}}

    return _write(transactions, page_size, page)


def export_berlin_group(account: StatementAccount, transactions: pl.DataFrame,
                        page_size: int = 500) -> bytes:
    """Berlin Group NextGenPSD2 ``GET /v1/accounts/{id}/transactions`` pages (UTF-8)."""
    # The resource id is opaque in Berlin Group; the body's ``account.iban`` names the account.
    resource = hashlib.sha256(account.iban.encode()).hexdigest()[:32]
    base = f"/v1/accounts/{resource}"

    def page(number: int, last: int, rows: list[Row]) -> dict[str, Any]:
        links = {"account": {"href": base},
                 **_page_links(f"{base}/transactions?bookingStatus=both", number, last)}
        return {"account": {"iban": account.iban, "currency": account.currency},
                "transactions": {"booked": [_berlin_entry(row) for row in rows],
                                 "pending": [_berlin_pending(account, number, rows)],
                                 "_links": links}}

    return _write(transactions, page_size, page)


def _write(transactions: pl.DataFrame, page_size: int,
           page: Callable[[int, int, list[Row]], dict[str, Any]]) -> bytes:
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    rows = list(_rows(transactions))
    last = max(1, -(-len(rows) // page_size))
    documents = (_DUMP(page(number, last, rows[(number - 1) * page_size:number * page_size]))
                 for number in range(1, last + 1))
    return ("\n".join(documents) + "\n").encode("utf-8")


def _rows(transactions: pl.DataFrame) -> Iterator[Row]:
    columns = [transactions.get_column(name).to_list() for name in _COLUMNS]
    return zip(*columns, strict=True)


def _page_links(base: str, number: int, last: int) -> dict[str, Any]:
    joiner = "&" if "?" in base else "?"

    def href(n: int) -> dict[str, str]:
        return {"href": f"{base}{joiner}page={n}"}

    links = {"self": href(number), "first": href(1), "last": href(last)}
    if number > 1:
        links["prev"] = href(number - 1)
    if number < last:
        links["next"] = href(number + 1)
    return links


def _money(amount: decimal.Decimal) -> str:
    return format(amount, "f")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _stet_entry(row: Row) -> dict[str, Any]:
    (tid, booking, value, amount, currency, label, complement, name, iban, mcc, code) = row
    debit = amount < 0
    entry: dict[str, Any] = {
        "resourceId": tid,
        "entryReference": tid[:16],
        "transactionAmount": {"currency": currency, "amount": _money(abs(amount))},
        "creditDebitIndicator": "DBIT" if debit else "CRDT",
        "status": "BOOK",
        "bookingDate": _date(booking),
        "remittanceInformation": {"unstructured": [label] if complement is None
                                  else [label, complement]},
    }
    if value is not None:
        entry["valueDate"] = _date(value)
    side = "creditor" if debit else "debtor"
    parties: dict[str, Any] = {}
    if name is not None:
        parties[side] = {"name": name}
    if iban is not None:
        parties[f"{side}Account"] = {"iban": iban}
    if parties:
        entry["relatedParties"] = parties
    if code is not None:
        if _ISO_CODE.fullmatch(code):
            domain, family, sub_family = code.split("-")
            entry["bankTransactionCode"] = {"domain": domain, "family": family,
                                            "subFamily": sub_family}
        else:
            entry["bankTransactionCode"] = {"code": code, "issuer": "ASPSP"}
    if mcc is not None:
        entry["merchantCategoryCode"] = mcc
    return entry


def _berlin_entry(row: Row) -> dict[str, Any]:
    (tid, booking, value, amount, currency, label, complement, name, iban, mcc, code) = row
    entry: dict[str, Any] = {
        "transactionId": tid,
        "entryReference": tid[:16],
        "bookingDate": _date(booking),
        "transactionAmount": {"currency": currency, "amount": _money(amount)},
    }
    if value is not None:
        entry["valueDate"] = _date(value)
    side = "creditor" if amount < 0 else "debtor"
    if name is not None:
        entry[f"{side}Name"] = name
    if iban is not None:
        entry[f"{side}Account"] = {"iban": iban}
    if complement is None:
        entry["remittanceInformationUnstructured"] = label
    else:
        entry["remittanceInformationUnstructuredArray"] = [label, complement]
    if code is not None:
        iso = _ISO_CODE.fullmatch(code) is not None
        entry["bankTransactionCode" if iso else "proprietaryBankTransactionCode"] = code
    if mcc is not None:
        entry["merchantCategoryCode"] = mcc
    return entry


def _pending_date(account: StatementAccount, rows: list[Row]) -> str:
    last = rows[-1][1] if rows else account.opening_date
    return (last + dt.timedelta(days=1)).isoformat()


def _stet_pending(account: StatementAccount, number: int, rows: list[Row]) -> dict[str, Any]:
    return {"resourceId": f"pending-{number}",
            "transactionAmount": {"currency": account.currency, "amount": "1.00"},
            "creditDebitIndicator": "DBIT", "status": "PDNG",
            "transactionDate": _pending_date(account, rows),
            "remittanceInformation": {"unstructured": [_PENDING_LABEL]}}


def _berlin_pending(account: StatementAccount, number: int, rows: list[Row]) -> dict[str, Any]:
    return {"transactionId": f"pending-{number}",
            "transactionAmount": {"currency": account.currency, "amount": "-1.00"},
            "valueDate": _pending_date(account, rows),
            "remittanceInformationUnstructured": _PENDING_LABEL}
