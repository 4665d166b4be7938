"""CFONB 120 reader: records and complements, layouts of lines, broken files, mutations."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import REASONS
from ledgerlens.ingest.readers._cfonb import read_cfonb
from ledgerlens.ingest.readers._cfonb_fields import encode_amount, french_iban
from ledgerlens.ingest.readers._statement_text import decode_statement

DATA = Path(__file__).parents[1] / "data" / "cfonb"
IBAN = "FR7630006000011234567890189"
LABELS = ["CB CARREFOUR CITY 02/01", "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE JANVIER",
          "PRLV SEPA EDF CLIENTS", "COMMISSION D INTERVENTION"]


def read(name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    result = read_cfonb((DATA / name).read_bytes(), name)
    return result.records, result.rejects


def test_reads_movements_with_their_complements() -> None:
    result = read_cfonb((DATA / "statement.cfo").read_bytes(), "statement.cfo")
    records = result.records
    assert result.rejects.is_empty()
    assert records["account_ref"].unique().to_list() == [IBAN]
    assert records["raw_label"].to_list() == LABELS
    assert records["label_complement"].to_list() == [
        None, None, "FACTURE 0125 ECHEANCE DU 07/01/25", None]
    assert records["amount"].to_list() == [decimal.Decimal(v) for v in
                                           ("-42.50", "2100.00", "-35.90", "-8.00")]
    assert records["booking_date"][3] == dt.date(2025, 1, 8)
    assert records["value_date"].to_list()[2:] == [None, dt.date(2025, 1, 10)]
    assert records["counterparty_name"].to_list() == [None, "ACME SAS",
                                                      "EDF CLIENTS PARTICULIERS", None]
    assert records["end_to_end_id"][1] == "E2E-ACME-0001"
    assert records["bank_transaction_code"].to_list() == ["CFONB-13", "CFONB-05", "CFONB-B1",
                                                          "CFONB-62"]
    assert records["source_position"].to_list() == ["line 2", "line 3", "line 7", "line 10"]
    assert records["raw_record"][1].count("\n") == 3  # the movement and its three complements
    assert result.balances.select("opening_balance", "closing_balance").rows() == [
        (decimal.Decimal("1500.00"), decimal.Decimal("3513.60"))]


@pytest.mark.parametrize("name", ["no_newline.cfo", "merged_240.cfo", "trimmed_lines.cfo"])
def test_line_layouts_give_the_same_records(name: str) -> None:
    records, rejects = read(name)
    assert rejects.is_empty()
    assert records["raw_label"].to_list() == LABELS
    assert records["amount"].sum() == decimal.Decimal("2013.60")


def test_positions_name_the_record_inside_a_merged_line() -> None:
    records, _ = read("merged_240.cfo")
    assert records["source_position"].to_list() == ["line 1, record 2", "line 2, record 1",
                                                    "line 4, record 1", "line 5, record 2"]


@pytest.mark.parametrize(("name", "reason", "position"), [
    ("bad_amount_code.cfo", "unparseable_amount", "line 7"),
    ("bad_date.cfo", "unparseable_date", "line 10"),
    ("wrong_line_length.cfo", "unparseable_amount", "line 2"),
])
def test_a_bad_movement_is_rejected_and_the_others_kept(name: str, reason: str,
                                                        position: str) -> None:
    records, rejects = read(name)
    assert records.height == 3
    assert rejects.select("source_position", "reason").rows() == [(position, reason)]
    assert not any(label in rejects["detail"][0] for label in LABELS)


def test_the_wrong_length_is_named_in_the_reject() -> None:
    _, rejects = read("wrong_line_length.cfo")
    assert "the record has 119 characters, expected 120" in rejects["detail"][0]


def test_a_truncated_file_keeps_the_complete_movements() -> None:
    result = read_cfonb((DATA / "truncated.cfo").read_bytes(), "truncated.cfo")
    assert result.records["raw_label"].to_list() == LABELS[:2]
    assert result.rejects.select("source_position", "reason").rows() == [
        ("line 7", "malformed_record")]
    assert result.balances.is_empty()


def test_balances_that_do_not_add_up_keep_records_and_add_one_reject() -> None:
    records, rejects = read("balance_mismatch.cfo")
    assert records.height == 4
    assert rejects.select("source_position", "reason").rows() == [
        ("statement 1 (line 1)", "balance_mismatch")]


def test_unknown_records_and_orphan_complements_are_malformed() -> None:
    records, rejects = read("unknown_record.cfo")
    assert records.height == 4
    assert rejects.select("source_position", "reason").rows() == [("line 3", "malformed_record")]
    records, rejects = read("orphan_complement.cfo")
    assert records["raw_label"].to_list() == LABELS
    assert rejects.select("source_position", "reason").rows() == [("line 2", "malformed_record")]


def test_empty_file_raises_ingest_error() -> None:
    with pytest.raises(IngestError, match=r"empty\.cfo: cannot read as cfonb at line 1"):
        read("empty.cfo")


def test_a_file_without_any_cfonb_record_raises_ingest_error() -> None:
    with pytest.raises(IngestError, match="no CFONB 120 record"):
        read_cfonb(b"date;label;amount\n2025-01-01;X;1,00\n", "x.csv")


def test_iban_is_rebuilt_from_bank_branch_and_account_with_letters() -> None:
    assert french_iban("30006", "00001", "12345678901") == IBAN
    assert french_iban("20041", "01005", "0500013M026") == "FR1420041010050500013M02606"
    assert french_iban("3000A", "00001", "12345678901") is None
    # Digits of other scripts pass str.isdigit but are no RIB (found by the property test).
    assert french_iban("\u00b20006", "00001", "12345678901") is None
    assert french_iban("30006", "0000\u0661", "12345678901") is None


@pytest.mark.parametrize(("cents", "zone"), [
    (1234, "0000000000123D"), (-50, "0000000000005}"), (0, "0000000000000{"),
    (-99, "0000000000009R")])
def test_signed_amount_encoding(cents: int, zone: str) -> None:
    assert encode_amount(cents) == zone


def test_more_decimals_than_cents_are_read_only_when_exact() -> None:
    base = (DATA / "statement.cfo").read_text().splitlines()[1]
    three = base[:19] + "3" + base[20:90] + "0000000004250}" + base[104:]
    inexact = base[:19] + "3" + base[20:90] + "0000000004250J" + base[104:]
    result = read_cfonb(f"{three}\n{inexact}\n".encode(), "x")
    assert result.records["amount"].to_list() == [decimal.Decimal("-42.50")]
    assert result.rejects["reason"].to_list() == ["unparseable_amount"]


def _count_movements(data: bytes) -> int:
    """The 04 records of a file, counted independently of the reader."""
    count = 0
    for line in decode_statement(data, "x", "cfonb").split("\n"):
        if not line.strip(" \t"):
            continue
        body = line if len(line) <= 120 else line.rstrip(" \t")
        count += sum(body[k:k + 2] == "04" for k in range(0, len(body), 120))
    return count


_BASE = (DATA / "statement.cfo").read_bytes()
_INSERTS = [b"\n", b"\r\n", b"04", b"05", b"07", b"01", b"LIB", b"}", b"{", b"\xe9"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "token"]))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(_INSERTS))
    return bytes(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_never_crash_and_every_movement_is_accounted_for(data: bytes) -> None:
    try:
        result = read_cfonb(data, "fuzz.cfo")
    except IngestError:
        return
    movement_rejects = result.rejects.filter(pl.col("raw_record").str.starts_with("04"))
    assert result.records.height + movement_rejects.height == _count_movements(data)
    assert set(result.rejects["reason"].to_list()) <= set(REASONS)
