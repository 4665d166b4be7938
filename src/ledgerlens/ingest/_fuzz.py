"""Mutation fuzzing of the readers: valid statement files, mutated, read, checked.

Seeds are files the synthetic bank's exporters write (several banks' dialects per format).
A mutation is a few random edits of the bytes: bit flips, byte changes, truncation,
insertion of random bytes or of the format's own tokens (``<Ntry>``, ``:61:``, ``"``...),
a field's text replaced by a tricky value (``12,3,4``, ``31/02/2024``, ``1e309``...),
deletion, a duplicated block, or the whole text re-encoded (Windows-1252, Latin-1, UTF-16,
UTF-8 with BOM, CR or CRLF line ends). A read is then checked:

- it returns a ``ReadResult`` or raises ``IngestError`` (``ConfigurationError`` never: no
  option is wrong); anything else is a crash;
- every reject has a documented reason (``REASONS``), and no two rows share a position;
- normalisation (what ingestion does next) raises nothing and keeps every row, accepted
  or quarantined;
- every entry of the file is a record or a reject: where an independent count of the
  file's entries exists (all formats but CSV, counted as the property tests do), found =
  that count; for CSV, found is at most the file's number of lines.

``benchmarks/fuzz_readers.py`` runs many iterations with a time bound per file (each read
in a worker process); ``tests/ingest/test_fuzz.py`` runs a few in process.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import random
import re
from typing import Any

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._normalize import normalize
from ledgerlens.ingest._read import _READERS
from ledgerlens.ingest._records import REASONS, ReadResult
from ledgerlens.privacy import DEV_KEY, Pseudonymizer

__all__ = ["FUZZ_FORMATS", "MUTATIONS", "Seed", "check", "entries_in", "mt940_movement_lines",
           "mutate", "psd2_page_entries", "read", "seed_files"]

FUZZ_FORMATS = ("csv", "ofx", "camt053", "mt940", "cfonb", "stet", "berlin")
MUTATIONS = ("flip", "set", "truncate", "insert", "token", "value", "delete", "duplicate",
             "encoding")
#: Values put in place of a field's text by a ``value`` edit (the structure stays).
_VALUES = (b"", b" ", b"12,3,4", b"31/02/2024", b"2024-02-31", b"-0", b"1e309", b"NaN",
           b"99999999999999999999.99", b"-12.345", b"XXX", b"eur", b"PDNG", b"BOOK", b"DBIT",
           b"CRDT", b"NOTPROVIDED", b"\xc3\xa9", b"\xe9", b"0" * 30, b"A" * 5000)
# a field's text: between markup, quotes, separators or line ends
_FIELD = re.compile(rb"(?<=[>\";:,\n])[^<>\";,\r\n]{1,40}(?=[<\";,\r\n])")
_TOKENS: dict[str, tuple[bytes, ...]] = {
    "csv": (b";", b",", b'"', b"\n", b"\r\n", b"12,3,4", b"31/02/2024", b"1 234,56", b"\xe9"),
    "ofx": (b"<STMTTRN>", b"</STMTTRN>", b"<TRNAMT>", b"<NAME>", b"</OFX>", b"&amp;",
            b"<![CDATA[", b"<DTPOSTED>99999999", b"\xe9"),
    "camt053": (b"<Ntry>", b"</Ntry>", b"<TxDtls>", b"<Amt Ccy=\"EUR\">", b"&amp;", b"<!--",
                b"<Sts>PDNG</Sts>", b"<!DOCTYPE x>", b"\xe9"),
    "mt940": (b"\n", b"\r", b":61:", b":86:", b":20:", b"-", b"{4:", b"?20", b"/REMI/", b"\xe9"),
    "cfonb": (b"\n", b"\r\n", b"04", b"05", b"07", b"01", b"}", b"{", b"\xe9"),
    "stet": (b"[", b"{", b"}", b'"', b"\\", b",", b"\\ud800", b'"PDNG"', b"null", b"1e999"),
    "berlin": (b"[", b"{", b"}", b'"', b"\\", b",", b"\\ud800", b'"pending":', b"null"),
}
_ENCODINGS = ("cp1252", "latin-1", "utf-16", "utf-8-sig", "cr", "crlf")

_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

#: A seed file: its format, bytes, and the account reference passed to readers that take one.
Seed = tuple[str, bytes, str]


@functools.cache
def seed_files(customers: int = 6, months: int = 2, seed: int = 7, max_rows: int = 40,
               per_format: int = 3) -> tuple[Seed, ...]:
    """Valid files of every format: ``per_format`` accounts of different banks each, at most
    ``max_rows`` movements per file, written by the synthetic bank's exporters."""
    from ledgerlens.datasets import SynthConfig, generate_bank
    from ledgerlens.datasets.exports import statement_account
    from ledgerlens.datasets.exports._statements import _exporter

    bank = generate_bank(SynthConfig(customers=customers, months=months, seed=seed))
    accounts = bank.account_numbers.unique("dialect", keep="first", maintain_order=True)
    first: dt.date = bank.transactions["booking_date"].min()  # type: ignore[assignment]
    opening = first - dt.timedelta(days=1)
    seeds: list[Seed] = []
    for fmt in FUZZ_FORMATS:
        for row in accounts.head(per_format).iter_rows(named=True):
            tx = (bank.transactions.filter(pl.col("account_id") == row["account_id"])
                  .sort("booking_date", maintain_order=True).head(max_rows))
            data = _exporter(fmt)(statement_account(row, opening), tx)
            seeds.append((fmt, data, str(row["iban"])))
    return tuple(seeds)


def mutate(data: bytes, fmt: str, rng: random.Random, edits: int | None = None
           ) -> tuple[bytes, list[str]]:
    """``data`` with 1 to 4 random edits (or ``edits``), and the names of the edits."""
    out = bytearray(data)
    done: list[str] = []
    # a third of the time only field values change, so that structured files (XML, JSON)
    # stay well-formed and their entries get read
    values_only = rng.random() < 1 / 3
    for _ in range(edits if edits is not None else rng.randint(1, 4)):
        kind = "value" if values_only else rng.choice(MUTATIONS)
        at = rng.randint(0, len(out))
        if kind == "flip" and at < len(out):
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "set" and at < len(out):
            out[at] = rng.randrange(256)
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        elif kind == "token":
            out[at:at] = rng.choice(_TOKENS[fmt])
        elif kind == "value":
            field = _FIELD.search(out, at) or _FIELD.search(out)
            if field is not None:
                out[field.start():field.end()] = rng.choice(_VALUES)
        elif kind == "delete":
            del out[at:at + rng.randint(1, 200)]
        elif kind == "duplicate":
            block = out[at:at + rng.randint(1, 400)]
            where = rng.randint(0, len(out))
            out[where:where] = block
        elif kind == "encoding":
            out = bytearray(_reencode(bytes(out), rng.choice(_ENCODINGS)))
        done.append(kind)
    return bytes(out), done


def _reencode(data: bytes, target: str) -> bytes:
    text = data.decode("utf-8", "replace")
    if target == "cr":
        return text.replace("\r\n", "\n").replace("\n", "\r").encode("utf-8")
    if target == "crlf":
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return text.encode(target, "replace")


def read(fmt: str, data: bytes, account_ref: str | None) -> ReadResult:
    """The reader of ``fmt`` called directly (``read_transactions`` would turn a crash into
    an ``IngestError``, which is what the fuzzer looks for)."""
    module, function, takes_account = _READERS[fmt]
    reader = getattr(importlib.import_module(f"ledgerlens.ingest.readers.{module}"), function)
    kwargs: dict[str, Any] = {"account_ref": account_ref} if takes_account else {}
    result: ReadResult = reader(data, f"fuzz.{fmt}", **kwargs)
    return result


def check(fmt: str, data: bytes, result: ReadResult) -> list[str]:
    """What is wrong with a read of (mutated) ``data``: an empty list when nothing is."""
    problems: list[str] = []
    unknown = set(result.rejects["reason"].to_list()) - set(REASONS)
    if unknown:
        problems.append(f"undocumented reason(s) {sorted(unknown)}")
    positions = pl.concat([result.records["source_position"],
                           result.rejects["source_position"]])
    if positions.null_count() or positions.n_unique() != positions.len():
        problems.append("missing or repeated source positions")
    # what ingestion does next: every record accepted or quarantined, nothing else raised
    normalized = normalize(result, tenant_id="fuzz", source_file=f"fuzz.{fmt}",
                           pseudonymizer=Pseudonymizer(DEV_KEY), ingested_at=_NOW)
    if normalized.transactions.height + normalized.rejects.height != result.n_found:
        problems.append("normalisation lost or added rows")
    found = _movements_found(fmt, result)
    expected = entries_in(fmt, data)
    if expected is not None and found != expected:
        problems.append(f"{found} entries found, the file has {expected}")
    if fmt == "csv" and found > data.count(b"\n") + data.count(b"\r") + 1:
        problems.append(f"{found} rows found in a file of fewer lines")
    return problems


def _movements_found(fmt: str, result: ReadResult) -> int:
    """Records plus the rejects that stand for an entry (not a statement-level one)."""
    rejects = result.rejects
    if fmt == "camt053":
        rejects = rejects.filter(pl.col("reason") != "balance_mismatch")
    elif fmt == "cfonb":
        rejects = rejects.filter(pl.col("raw_record").str.starts_with("04"))
    elif fmt == "mt940":
        rejects = rejects.filter(pl.col("source_position").str.contains(":61:"))
    return result.records.height + rejects.height


def entries_in(fmt: str, data: bytes) -> int | None:
    """The file's entries counted without the reader (None when there is no such count:
    CSV, or a file the counter cannot read)."""
    try:
        if fmt == "ofx":
            start, end = data.find(b"<OFX>"), data.rfind(b"</OFX>")
            return data[start:end].count(b"<STMTTRN>")
        if fmt == "camt053":
            return _camt_entries(data)
        if fmt in ("mt940", "cfonb"):
            from ledgerlens.ingest.readers._statement_text import decode_statement

            text = decode_statement(data, "count", fmt)
            return mt940_movement_lines(text) if fmt == "mt940" else _cfonb_movements(text)
        if fmt in ("stet", "berlin"):
            return _psd2_entries(data, fmt)
    except (IngestError, ValueError):
        return None
    return None


def mt940_movement_lines(text: str) -> int:
    """The ``:61:`` fields of an MT940 text, counted without the reader."""
    count = 0
    for line in text.split("\n"):
        line = line.rstrip(" \t")
        if line.startswith("{"):
            start = line.find("{4:")
            line = line[start + 3:] if start >= 0 else ""
        count += line.startswith(":61:")
    return count


def _cfonb_movements(text: str) -> int:
    count = 0
    for line in text.split("\n"):
        if not line.strip(" \t"):
            continue
        body = line if len(line) <= 120 else line.rstrip(" \t")
        count += sum(body[k:k + 2] == "04" for k in range(0, len(body), 120))
    return count


def _camt_entries(data: bytes) -> int | None:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    count = 0
    for message in root.iter():
        if not isinstance(message.tag, str) or etree.QName(message).localname not in (
                "BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"):
            continue
        ns = etree.QName(message).namespace
        prefix = f"{{{ns}}}" if ns else ""
        for container in message:
            if not isinstance(container.tag, str) or etree.QName(container).localname not in (
                    "Stmt", "Rpt", "Ntfctn"):
                continue
            for entry in container.iterchildren(prefix + "Ntry"):
                status = entry.find(prefix + "Sts")
                code = "" if status is None else ((status.text or "").strip() or (
                    status.findtext(prefix + "Cd") or "").strip())
                details = entry.findall(f"{prefix}NtryDtls/{prefix}TxDtls")
                count += 1 if code in ("PDNG", "INFO", "FUTR") else max(1, len(details))
        break
    return count


def _psd2_entries(data: bytes, fmt: str) -> int | None:
    text = data.decode(json.detect_encoding(data))
    decoder, index, pages = json.JSONDecoder(), 0, []
    while text[index:].strip():
        index += len(text[index:]) - len(text[index:].lstrip())
        document, index = decoder.raw_decode(text, index)
        pages.extend(document if isinstance(document, list) else [document])
    return psd2_page_entries(pages, fmt)


def psd2_page_entries(pages: list[Any], fmt: str) -> int:
    """Entries an honest PSD2 reader must account for: booked and pending entries (1 for
    a pending value that is no array), or 1 per broken page."""
    total = 0
    for page in pages:
        transactions = page.get("transactions") if isinstance(page, dict) else None
        if fmt == "stet":
            total += len(transactions) if isinstance(transactions, list) else 1
            continue
        booked = transactions.get("booked", []) if isinstance(transactions, dict) else None
        if not isinstance(booked, list):
            total += 1
            continue
        pending = transactions.get("pending")  # type: ignore[union-attr]
        total += len(booked) + (len(pending) if isinstance(pending, list)
                                else 0 if pending is None else 1)
    return total

