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
    if head.startswith((b"{", b"[")):
        if b'"booked"' in head or b'"pending"' in head or b'"account"' in head[:2048]:
            return "berlin"
        if b'"transactions"' in head or b'"creditDebitIndicator"' in head:
            return "stet"
        return None
    if head.startswith(b"{1:") or _MT940.search(head) or head.startswith(b":20:"):
        return "mt940"
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if _CFONB.match(head) and first_line and len(first_line) % 120 == 0:
        return "cfonb"
    if name.lower().endswith((".ofx", ".qfx")):
        return "ofx"
    if b";" in first_line or b"," in first_line or b"\t" in first_line:
        return "csv"
    return None
