"""PSD2 JSON transaction responses: STET (the French standard) and Berlin Group NextGenPSD2.

Both readers take a file that holds one or more response pages: JSON documents one after
another (whitespace between them), a JSON array of pages, or both. Positions read
``page 2 / transactions[4]`` (STET) or ``page 2 / booked[4]`` (Berlin Group): pages count
from 1 across the whole file, array indices from 0 as in JSON.

Rules, the same for both flavours unless said otherwise:

- **Booked only.** Pending entries are not canonical movements, but they are counted: each
  entry of a Berlin Group ``pending`` list (``page 2 / pending[0]``) and each STET entry
  with status ``PDNG`` or ``OTHR`` is one ``pending_not_booked`` reject with its raw text,
  so that entries in = records + rejects. Every other entry object is a movement found and
  ends as a record or a reject (a STET entry without a status, or with an unknown one, is
  rejected so that a pending entry is never booked by mistake).
- **Account.** ``account_ref`` of the records is, per page, the account the body names
  (``account.iban``, else ``bban``/``pan``/``maskedPan``/``msisdn``), else the
  ``account_ref`` argument, else the id in an ``/accounts/{id}`` link of the page's
  ``_links`` (``account``, ``parent-list``, ``self``, ...). A page with a booked entry and
  none of these raises ``IngestError`` asking for ``account_ref``.
- **Labels.** The unstructured remittance lines carry the label: the first line is
  ``raw_label``, the other lines joined by one space are ``label_complement`` (null when
  there are none). STET: ``remittanceInformation.unstructured`` (or, in older versions,
  ``remittanceInformation`` as a list of lines). Berlin Group:
  ``remittanceInformationUnstructuredArray`` when it has lines, else
  ``remittanceInformationUnstructured`` (no complement). Empty strings count as absent.
  Without unstructured text the first structured reference is the label; with neither the
  entry is rejected (``missing_field``): a label is never made up from other fields.
- **Counterparty.** Money out: the creditor (name, account IBAN); money in: the debtor.
  STET reads ``relatedParties`` first, then the top-level ``creditor``/``debtor`` objects.
  The other side is never used, since banks often put the customer's own account there.
- **Amounts** are decimal strings (or JSON numbers) with a point and at most two
  significant decimals. Berlin Group amounts are signed; STET amounts are unsigned, with
  ``creditDebitIndicator`` (``DBIT`` = money out) giving the sign (a negative amount with
  ``DBIT`` is accepted as a debit, with ``CRDT`` it is contradictory and rejected).
- **Dates** are ``YYYY-MM-DD``, optionally followed by a time (``2024-02-29T15:38:44Z``,
  whose date part is kept as written).
- **Codes.** ``bank_transaction_code`` is the ISO code ``DOMAIN-FAMILY-SUBFAMILY`` (STET
  ``bankTransactionCode`` object, Berlin Group ``bankTransactionCode``), else the
  proprietary code (STET ``bankTransactionCode.code``, Berlin Group
  ``proprietaryBankTransactionCode``). ``mcc`` is ``merchantCategoryCode`` as written.
- **Raw records** are each entry's text exactly as written in the file (cut at
  ``MAX_RAW_RECORD`` characters); ``end_to_end_id`` is ``endToEndId`` when given.
- **Encoding.** UTF-8 with or without BOM (UTF-16/32 are recognised too). Bytes that are
  not UTF-8, and escapes of lone surrogates (``\\udc80``), do not stop the file: the
  entries holding them are rejected (``encoding_error``) with the bad characters escaped.
- **Rejects.** An entry that is not an object or has a field of the wrong JSON type:
  ``malformed_record``; no booking date, amount or label: ``missing_field``; text with
  undecodable bytes: ``encoding_error``; then ``unparseable_amount``, ``missing_currency``,
  ``unknown_currency``, ``unparseable_date``. A page without the flavour's ``transactions``
  shape is one ``malformed_record`` reject at ``page N``; a file where no page has it,
  invalid JSON (``line L column C``), an empty body, a body over ``max_bytes`` or nested
  deeper than ``max_depth`` raises ``IngestError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import numpy as np

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import MAX_RAW_RECORD, ReadResult
from ledgerlens.ingest.readers._psd2_fields import (
    ENTRY_FIELDS,
    Fields,
    Reject,
    berlin_fields,
    finish,
    kind,
    stet_fields,
)

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "read_berlin_group", "read_stet"]

#: Largest body read by default (bytes); pass ``max_bytes`` to change it.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
#: Deepest JSON nesting accepted; real PSD2 bodies stay under 12 levels.
DEFAULT_MAX_DEPTH = 64

#: STET statuses of entries that are not booked movements, and why (quarantine detail).
_STET_NOT_BOOKED = {"PDNG": "STET status PDNG: pending, not booked yet",
                    "OTHR": "STET status OTHR: not a booked movement"}
_ACCOUNT_HREF = re.compile(r"/accounts/([^/?#\s]{1,128})")
# A JSON escape that may decode to a lone surrogate, which no UTF-8 table can store.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LINK_NAMES = ("account", "parent-list", "self", "first", "next", "prev", "last")
_ACCOUNT_KEYS = ("iban", "bban", "pan", "maskedPan", "msisdn")
_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_DUMP_ASCII = json.JSONEncoder(separators=(",", ":")).encode
_DECODER = json.JSONDecoder()
_scanstring: Callable[[str, int, bool], tuple[str, int]] = (
    json.decoder.scanstring)  # type: ignore[attr-defined]  # public, missing from the stubs
#: Keys from a page down to the array of entries whose raw text is kept.
#: The last step names every array of entries: Berlin Group keeps pending ones apart.
_ENTRIES_PATH: dict[str, tuple[tuple[str, ...], ...]] = {
    "stet": (("transactions",),), "berlin": (("transactions",), ("booked", "pending"))}
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Every byte except the JSON structure characters: what is left after deleting them tells
# the nesting depth without parsing.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_NO_FIELDS: Fields = (None,) * len(ENTRY_FIELDS)


# --------------------------------------------------------------------------- public readers


def read_stet(data: bytes, source: str, account_ref: str | None = None, *,
              max_bytes: int = DEFAULT_MAX_BYTES,
              max_depth: int = DEFAULT_MAX_DEPTH) -> ReadResult:
    """Read STET PSD2 ``transactions`` response pages into statement records (format "stet")."""
    return _read(data, source, "stet", account_ref, max_bytes, max_depth)


def read_berlin_group(data: bytes, source: str, account_ref: str | None = None, *,
                      max_bytes: int = DEFAULT_MAX_BYTES,
                      max_depth: int = DEFAULT_MAX_DEPTH) -> ReadResult:
    """Read Berlin Group NextGenPSD2 transaction pages into statement records ("berlin")."""
    return _read(data, source, "berlin", account_ref, max_bytes, max_depth)


# --------------------------------------------------------------------------- body and pages


def _decode(data: bytes, source: str, fmt: str, max_bytes: int,
            max_depth: int) -> tuple[str, bool]:
    """The body as text, and whether some strings may hold undecodable characters."""
    if len(data) > max_bytes:
        raise IngestError(source, fmt, "whole body",
                          f"body has {len(data)} bytes, more than max_bytes={max_bytes}")
    encoding = json.detect_encoding(data)
    suspicious = False
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not encoding.startswith("utf-8"):
            raise IngestError(source, fmt, f"byte {exc.start}",
                              f"not valid {encoding}") from None
        # Undecodable bytes become lone surrogates; the entries holding them are rejected.
        text = data.decode(encoding, "surrogateescape")
        suspicious = True
    structure = data if encoding.startswith("utf-8") else text.encode("utf-8", "surrogatepass")
    depth = _max_depth(structure)
    if depth > max_depth:
        raise IngestError(source, fmt, "whole body",
                          f"JSON nested {depth} levels deep, more than max_depth={max_depth}")
    escapes = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
    return text, suspicious or escapes


def _max_depth(data: bytes) -> int:
    """Deepest nesting of arrays and objects, ignoring brackets inside strings."""
    # Escaped backslashes first, then escaped quotes: what remains of quotes delimits strings.
    kept = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    codes = np.frombuffer(kept, dtype=np.uint8)
    deepest = depth = parity = 0
    for start in range(0, codes.size, 1 << 24):
        chunk = codes[start:start + (1 << 24)]
        quote = chunk == ord('"')
        inside = ((np.cumsum(quote, dtype=np.int64) + parity) & 1).astype(bool)
        parity = (parity + int(quote.sum())) & 1
        brackets = chunk[~quote & ~inside]
        if brackets.size:
            opens = (brackets == ord("[")) | (brackets == ord("{"))
            levels = np.cumsum(np.where(opens, 1, -1), dtype=np.int64) + depth
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
    return deepest


Span = tuple[int, int]
#: The text spans of a page's entries, by the name of their array.
Spans = dict[str, list[Span]]


def _pages(text: str, source: str, fmt: str) -> Iterator[tuple[Any, Span, Spans]]:
    """Each page, its text span and the text spans of its entries, parsed one at a time.

    Pages are parsed one by one (few objects alive keeps garbage collection cheap) by a
    shallow walk down to the entries array, so that each entry's raw record is its exact
    text in the file; everything else is parsed by the standard library's C scanner.
    """
    path = _ENTRIES_PATH[fmt]
    index = _skip(text, 0)
    if index == len(text):
        raise IngestError(source, fmt, "start", "empty body")
    try:
        while index < len(text):
            if not text.startswith("[", index):
                spans: Spans = {}
                page, end = _walk(text, index, path, spans)
                yield page, (index, end), spans
                index = _skip(text, end)
                continue
            index = _skip(text, index + 1)  # an array of pages
            closed = text.startswith("]", index)
            while not closed:
                spans = {}
                page, end = _walk(text, index, path, spans)
                yield page, (index, end), spans
                index, closed = _next_item(text, end)
            index = _skip(text, index + 1)
    except json.JSONDecodeError as exc:
        raise IngestError(source, fmt, f"line {exc.lineno} column {exc.colno}",
                          f"invalid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer too long to convert
        raise IngestError(source, fmt, f"character {index}",
                          f"invalid JSON: {type(exc).__name__}") from None


def _walk(text: str, index: int, path: tuple[tuple[str, ...], ...], spans: Spans,
          name: str = "") -> tuple[Any, int]:
    """Parse the value at ``index``; record the spans of the items of the arrays found at
    ``path`` (each step a set of keys), under the array's key."""
    if not path:
        if not text.startswith("[", index):
            return _DECODER.raw_decode(text, index)
        items: list[Any] = []
        found = spans.setdefault(name, [])
        index = _skip(text, index + 1)
        closed = text.startswith("]", index)
        while not closed:
            item, end = _DECODER.raw_decode(text, index)
            items.append(item)
            found.append((index, end))
            index, closed = _next_item(text, end)
        return items, index + 1
    if not text.startswith("{", index):
        return _DECODER.raw_decode(text, index)
    obj: dict[str, Any] = {}
    index = _skip(text, index + 1)
    closed = text.startswith("}", index)
    while not closed:
        if not text.startswith('"', index):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index)
        key, index = _scanstring(text, index + 1, True)
        index = _skip(text, index)
        if not text.startswith(":", index):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _skip(text, index + 1)
        if key in path[0]:
            # a repeated key replaces the earlier value, as in ``json``
            if len(path) == 1:
                spans[key] = []
            else:
                spans.clear()
            obj[key], end = _walk(text, index, path[1:], spans, key)
        else:
            obj[key], end = _DECODER.raw_decode(text, index)
        index, closed = _next_item(text, end, "}")
    return obj, index + 1


def _next_item(text: str, end: int, closer: str = "]") -> tuple[int, bool]:
    """After an item: the next item's start, or the closer's position and True."""
    index = _skip(text, end)
    if text.startswith(closer, index):
        return index, True
    if not text.startswith(",", index):
        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
    return _skip(text, index + 1), False


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]


def _page_entries(page: Any, fmt: str) -> tuple[list[Any], str, Any, list[dict[str, Any]]]:
    """A page's entries, their array name, the value of its pending entries (Berlin Group;
    None when absent) and the objects holding links."""
    if not isinstance(page, dict):
        raise Reject(f"page is {kind(page)}, expected an object")
    transactions = page.get("transactions")
    if fmt == "stet":
        if not isinstance(transactions, list):
            raise Reject(f"transactions is {kind(transactions)}, expected an array "
                             "of transactions (STET)")
        return transactions, "transactions", None, [page]
    if not isinstance(transactions, dict):
        raise Reject(f"transactions is {kind(transactions)}, expected an object "
                         "with booked and pending arrays (Berlin Group)")
    booked = transactions.get("booked", [])
    if not isinstance(booked, list):
        raise Reject(f"transactions.booked is {kind(booked)}, expected an array")
    return booked, "booked", transactions.get("pending"), [transactions, page]


def _account(page: dict[str, Any], argument: str | None,
             link_holders: list[dict[str, Any]]) -> str | None:
    """The page's account: named in the body, else the argument, else an account link."""
    body = page.get("account")
    if isinstance(body, dict):
        for key in _ACCOUNT_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    if argument:
        return argument
    for holder in link_holders:
        links = holder.get("_links")
        if not isinstance(links, dict):
            continue
        for name in _LINK_NAMES:
            link = links.get(name)
            href = link.get("href") if isinstance(link, dict) else link
            if isinstance(href, str) and (match := _ACCOUNT_HREF.search(href[:4096])):
                return unquote(match.group(1))
    return None


def _read(data: bytes, source: str, fmt: str, account_ref: str | None, max_bytes: int,
          max_depth: int) -> ReadResult:
    text, suspicious = _decode(data, source, fmt, max_bytes, max_depth)
    extract = stet_fields if fmt == "stet" else berlin_fields
    rows: list[tuple[str | None, ...]] = []
    first_problem: tuple[str, str] | None = None
    valid_pages = 0
    for page_no, (page, page_span, spans) in enumerate(_pages(text, source, fmt), start=1):
        where = f"page {page_no}"
        try:
            entries, array, pending, link_holders = _page_entries(page, fmt)
        except Reject as exc:
            first_problem = first_problem or (where, exc.detail)
            rows.append(_reject(where, _raw(text, page_span, page), exc.reason, exc.detail))
            continue
        valid_pages += 1
        account = _account(page, account_ref, link_holders)
        if account is not None and suspicious and not _is_clean(account):
            raise IngestError(source, fmt, where, "the account identifier is not valid UTF-8")
        for index, (entry, span) in enumerate(zip(entries, _spans_of(spans, array, entries),
                                                  strict=True)):
            position = f"{where} / {array}[{index}]"
            if type(entry) is not dict:
                rows.append(_reject(position, _raw(text, span, entry), "malformed_record",
                                    f"entry is {kind(entry)}, expected an object"))
                continue
            status = entry.get("status")
            if fmt == "stet" and type(status) is str and status in _STET_NOT_BOOKED:
                rows.append(_reject(position, _raw(text, span, entry), "pending_not_booked",
                                    _STET_NOT_BOOKED[status]))
                continue
            start, end = span
            raw = text[start:min(end, start + MAX_RAW_RECORD)] if start >= 0 else _DUMP(entry)
            # Parsed values, not the raw text, hold the lone surrogates of escapes like \udc80.
            if suspicious and not _is_clean(_DUMP(entry)):
                raw = raw if _is_clean(raw) else _DUMP_ASCII(entry)[:MAX_RAW_RECORD]
                rows.append(_reject(position, raw, "encoding_error",
                                    "text with characters that are not valid UTF-8"))
                continue
            try:
                fields = extract(entry)
            except Reject as exc:
                rows.append(_reject(position, raw, exc.reason, exc.detail))
                continue
            if account is None:
                raise IngestError(source, fmt, where,
                                  "no account identifier in the body or its links; "
                                  "pass account_ref= (the account's IBAN)")
            rows.append((position, raw, account, *fields, None, None))
        rows.extend(_pending(text, where, pending, spans))
    if valid_pages == 0:
        where, why = first_problem or ("start", "no response page in the body")
        raise IngestError(source, fmt, where, why)
    return finish(fmt, rows)


def _pending(text: str, where: str, pending: Any, spans: Spans) -> list[tuple[str | None, ...]]:
    """A Berlin Group page's pending entries: one ``pending_not_booked`` reject each (a
    ``pending`` value that is no array is one ``malformed_record`` reject)."""
    if pending is None:
        return []
    if not isinstance(pending, list):
        return [_reject(f"{where} / pending", _DUMP_ASCII(pending)[:MAX_RAW_RECORD],
                        "malformed_record",
                        f"transactions.pending is {kind(pending)}, expected an array")]
    return [_reject(f"{where} / pending[{i}]", _raw(text, span, entry), "pending_not_booked",
                    "Berlin Group pending entry: not booked yet")
            for i, (entry, span) in enumerate(zip(pending, _spans_of(spans, "pending", pending),
                                                  strict=True))]


def _spans_of(spans: Spans, array: str, entries: list[Any]) -> list[Span]:
    found = spans.get(array, [])
    # a mismatch cannot happen with the walk; stay exact regardless
    return found if len(found) == len(entries) else [(-1, -1)] * len(entries)


def _reject(position: str, raw: str, reason: str, detail: str) -> tuple[str | None, ...]:
    return (position, raw, None, *_NO_FIELDS, reason, detail)


def _raw(text: str, span: Span, value: Any) -> str:
    """A value's text in the file for quarantine, escaped when it holds undecodable bytes."""
    start, end = span
    raw = text[start:min(end, start + MAX_RAW_RECORD)] if start >= 0 else _DUMP(value)
    return raw if _is_clean(raw) else _DUMP_ASCII(value)[:MAX_RAW_RECORD]


def _is_clean(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
