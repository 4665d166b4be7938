"""Which format a file is in, from its content (the extension is only a tie-breaker)."""

from __future__ import annotations

import re

__all__ = ["FORMATS", "sniff_format"]

#: Formats ledgerlens reads, by the name used in ``source_format`` and on the command line.
FORMATS: tuple[str, ...] = ("csv", "ofx", "camt053", "mt940", "cfonb", "stet", "berlin")

_HEAD = 65_536
_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]")
_MT940 = re.compile(rb"(?m)^:20:.*\r?\n(?:.*\r?\n)*?:25:")
_CFONB = re.compile(rb"^01\d{3}")


def _strip(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom):]
    return head.lstrip()


def _looks_like_cfonb(head: bytes) -> bool:
    """Fixed-width records (01/04/05/07), lines of 120 characters (or trimmed, or merged)."""
    if not _CFONB.match(head):
        return False
    raw_lines = head.replace(b"\r", b"").split(b"\n")
    if len(raw_lines) > 1:
        raw_lines = raw_lines[:-1]  # the last line of the head may be cut
    records = [line[i:i + 120] for line in raw_lines[:40] for i in range(0, len(line), 120)]
    records = [r for r in records if r.strip()]
    valid = sum(r[:2] in (b"01", b"04", b"05", b"07") for r in records)
    return bool(records) and valid >= 0.8 * len(records)


def sniff_format(data: bytes, name: str = "") -> str | None:
    """The format of ``data`` (one of ``FORMATS``), or None when nothing fits.

    >>> sniff_format(b"OFXHEADER:100\\nDATA:OFXSGML\\n")
    'ofx'
    >>> sniff_format(b'{"account": {"iban": "FR76..."}, "transactions": {"booked": []}}')
    'berlin'
    """
    head = _strip(data[:_HEAD])
    upper = head.upper()
    if head.startswith(b"OFXHEADER") or b"<OFX>" in upper or b"<?OFX" in upper:
        return "ofx"
    if head.startswith(b"<"):
        return "camt053" if _CAMT.search(head) or b"<BkToCstmr" in head else None
    if head.startswith(b"{1:") or head.startswith(b":20:") or _MT940.search(head[:4096]):
        return "mt940"
    if _looks_like_cfonb(head):
        return "cfonb"
    if head.startswith((b"{", b"[")):
        if b'"booked"' in head or b'"pending"' in head or b'"account"' in head[:2048]:
            return "berlin"
        if b'"transactions"' in head or b'"creditDebitIndicator"' in head:
            return "stet"
        return None
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if name.lower().endswith((".ofx", ".qfx")):
        return "ofx"
    if b";" in first_line or b"," in first_line or b"\t" in first_line:
        return "csv"
    return None
