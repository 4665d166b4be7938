"""Formats are recognised from the content of the files, broken ones included."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlens.ingest._sniff import sniff_format

DATA = Path(__file__).parents[1] / "data"
EXPECTED = {"camt": "camt053", "cfonb": "cfonb", "mt940": "mt940", "ofx": "ofx"}
UNRECOGNISABLE = {"empty.cfo", "empty.sta", "empty.json", "empty.csv", "deeply_nested.json",
                  "custom_bank.csv"}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_every_sample_of_a_format_is_recognised(folder: str) -> None:
    files = [p for p in (DATA / folder).iterdir()
             if p.suffix != ".md" and p.name not in UNRECOGNISABLE]
    assert files
    for path in files:
        assert sniff_format(path.read_bytes(), path.name) == EXPECTED[folder], path.name


def test_json_flavours_are_told_apart() -> None:
    assert sniff_format(b'{"account": {"iban": "X"}, "transactions": {"booked": []}}') == "berlin"
    assert sniff_format(b'{"transactions": [{"creditDebitIndicator": "DBIT"}]}') == "stet"


def test_a_swift_envelope_is_mt940_not_json() -> None:
    assert sniff_format(b"{1:F01BANKFRPPAXXX0000000000}{4:\r\n:20:STMT\r\n:25:X\r\n") == "mt940"


def test_nothing_fits_an_empty_or_binary_file() -> None:
    assert sniff_format(b"") is None
    assert sniff_format(b"\x00\x01\x02binary") is None
