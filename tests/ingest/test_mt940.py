"""MT940 reader: fields, the three :86: styles, broken files, and mutations that never crash."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._fuzz import mt940_movement_lines
from ledgerlens.ingest._records import REASONS
from ledgerlens.ingest.readers._mt940 import read_mt940
from ledgerlens.ingest.readers._statement_text import decode_statement

DATA = Path(__file__).parents[1] / "data" / "mt940"
IBAN = "FR7630006000011234567890189"


def read(name: str) -> pl.DataFrame:
    return read_mt940((DATA / name).read_bytes(), name).records


def statement(*movements: str, opening: str = "C250101EUR0,00",
              closing: str | None = None) -> bytes:
    lines = [":20:S1", f":25:{IBAN}", f":60F:{opening}", *movements]
    if closing:
        lines.append(f":62F:{closing}")
    return ("\r\n".join(lines) + "\r\n").encode()


def test_reads_every_field_of_a_two_account_file() -> None:
    result = read_mt940((DATA / "two_accounts.sta").read_bytes(), "two_accounts.sta")
    records = result.records
    assert result.rejects.is_empty()
    assert records["account_ref"].to_list() == [IBAN] * 4 + ["FR7611315000011234567890138"]
    assert records["amount"].to_list() == [decimal.Decimal(v) for v in
                                           ("-42.50", "2100.00", "-35.90", "10.00", "-20.00")]
    assert records["value_date"][1] == dt.date(2025, 1, 6)
    assert records["booking_date"][1] == dt.date(2025, 1, 3)
    assert records["raw_label"].to_list() == [
        "CB CARREFOUR CITY 02/01", "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE JANVIER",
        "PRLV SEPA EDF FACTURE 0125", "ANNULATION CB DOUBLE 08/01", "CHEQUE 1234567"]
    assert records["label_complement"].to_list() == [None, None, "ECH 07/01/25", None, None]
    assert records["counterparty_name"].to_list()[1:3] == ["ACME SAS",
                                                           "EDF CLIENTS PARTICULIERS"]
    assert records["counterparty_iban"][1] == "FR1420041010050500013M02606"
    assert records["end_to_end_id"][2] == "PRLV-2025-0001"
    assert records["bank_transaction_code"].to_list() == [
        "SWIFT-NMSC", "SWIFT-NTRF", "SWIFT-NDDT", "SWIFT-NMSC", "SWIFT-NCHK"]
    assert records["source_position"][0] == "statement 1 / :61: #1 (line 6)"
    assert records["source_position"][4] == "statement 2 / :61: #1 (line 23)"
    assert records["raw_record"][0] == ":61:2501020102D42,50NMSCNONREF\n:86:CB CARREFOUR CITY 02/01"
    assert result.balances["closing_balance"].to_list() == [decimal.Decimal("3531.60"),
                                                            decimal.Decimal("180.00")]
    assert result.balances["source_position"].to_list() == ["statement 1 (line 2)",
                                                            "statement 2 (line 19)"]


def test_the_mt940_library_reads_the_same_amounts_and_dates() -> None:
    import mt940

    data = (DATA / "two_accounts.sta").read_bytes()
    ours = read_mt940(data, "two_accounts.sta").records
    theirs = list(mt940.parse(data))
    assert [t.data["amount"].amount for t in theirs] == ours["amount"].to_list()
    assert [t.data["date"] for t in theirs] == ours["value_date"].to_list()


def test_entry_date_takes_the_year_closest_to_the_value_date() -> None:
    data = statement(":61:2412310102D1,00NMSCNONREF", ":86:NEW YEAR",
                     ":61:2501021231D1,00NMSCNONREF", ":86:OLD YEAR",
                     ":61:250102D1,00NMSCNONREF", ":86:NO ENTRY DATE")
    records = read_mt940(data, "x").records
    assert records["booking_date"].to_list() == [dt.date(2025, 1, 2), dt.date(2024, 12, 31),
                                                 dt.date(2025, 1, 2)]


def test_reversal_marks_flip_the_sign() -> None:
    data = statement(":61:2501020102RD5,00NMSCNONREF", ":86:REVERSED DEBIT",
                     ":61:2501020102RC7,00NMSCNONREF", ":86:REVERSED CREDIT")
    assert read_mt940(data, "x").records["amount"].to_list() == [decimal.Decimal("5.00"),
                                                                 decimal.Decimal("-7.00")]


def test_lenient_statement_lines_are_read_through_the_mt940_library() -> None:
    data = statement(":61:250102    D 12,50NMSCNONREF", ":86:SPACES FOR ENTRY DATE")
    result = read_mt940(data, "x")
    assert result.rejects.is_empty()
    assert result.records["amount"].to_list() == [decimal.Decimal("-12.50")]
    assert result.records["booking_date"].to_list() == [dt.date(2025, 1, 2)]


def test_free_text_lines_join_directly_after_a_full_line_and_with_a_space_otherwise() -> None:
    full = "A" * 64 + "B"
    data = statement(":61:2501020102D1,00NMSCNONREF", f":86:{full}", "CD", "EF  ",
                     "", "GH")
    assert read_mt940(data, "x").records["raw_label"].to_list() == [full + "CD EF GH"]


def test_structured_details_accept_another_separator_and_no_business_code() -> None:
    data = statement(":61:2501020102D1,00NMSCNONREF", ":86:166@00TEXT@20PART ONE @21PART TWO",
                     ":61:2501020102D1,00NMSCNONREF", ":86:?00ONLY BOOKING TEXT?3112345")
    records = read_mt940(data, "x").records
    assert records["raw_label"].to_list() == ["PART ONE PART TWO", "ONLY BOOKING TEXT"]
    assert records["counterparty_iban"].to_list() == [None, None]


def test_slash_details_without_remittance_keep_the_whole_field_as_label() -> None:
    field = "/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/NAME/J DOE"
    data = statement(":61:2501020102D1,00NMSCNONREF", f":86:{field}",
                     ":61:2501020102D1,00NMSCNONREF",
                     ":86:/EREF/NOTPROVIDED//CNTP/NL91ABNA0417164300/ABNANL2A/ANNA/AMS///REMI/"
                     "USTD//ROOF/")
    records = read_mt940(data, "x").records
    assert records["raw_label"].to_list() == [field, "ROOF"]
    assert records["counterparty_name"].to_list() == ["J DOE", "ANNA"]
    assert records["counterparty_iban"].to_list() == ["NL91ABNA0417164300"] * 2
    assert records["end_to_end_id"].to_list() == [None, None]


def test_an_unreadable_statement_line_is_a_reject_at_its_position() -> None:
    result = read_mt940((DATA / "broken_statement_line.sta").read_bytes(), "broken.sta")
    assert result.records.height == 5
    assert result.rejects.select("source_position", "reason").rows() == [
        ("statement 2 / :61: #5 (line 40)", "malformed_record")]
    assert result.rejects["raw_record"][0] == ":61:XXXX BROKEN LINE\n:86:FIFTH"


@pytest.mark.parametrize(("name", "reason", "position"), [
    ("bad_amount.sta", "unparseable_amount", "statement 1 / :61: #3 (line 11)"),
    ("bad_date.sta", "unparseable_date", "statement 1 / :61: #1 (line 6)"),
])
def test_a_bad_movement_is_rejected_and_the_others_kept(name: str, reason: str,
                                                        position: str) -> None:
    result = read_mt940((DATA / name).read_bytes(), name)
    assert result.records.height == 4
    assert result.rejects.select("source_position", "reason").rows() == [(position, reason)]
    assert "CARREFOUR" not in result.rejects["detail"][0]  # details never quote labels


def test_a_truncated_file_keeps_the_movements_before_the_cut() -> None:
    result = read_mt940((DATA / "truncated.sta").read_bytes(), "truncated.sta")
    assert result.records.height == 3
    assert result.rejects["reason"].to_list() == ["malformed_record"]
    assert result.balances.is_empty()  # no closing balance: nothing to check


def test_balances_that_do_not_add_up_keep_records_and_add_one_reject() -> None:
    result = read_mt940((DATA / "balance_mismatch.sta").read_bytes(), "mismatch.sta")
    assert result.records.height == 5
    assert result.rejects.select("source_position", "reason").rows() == [
        ("statement 1 (line 2)", "balance_mismatch")]
    assert "3541.60" in result.rejects["detail"][0]


def test_a_statement_without_balances_rejects_its_movements_for_currency() -> None:
    result = read_mt940((DATA / "no_opening_balance.sta").read_bytes(), "x.sta")
    assert result.records.height == 5  # the closing balance still gives the currency
    data = statement(":61:2501020102D1,00NMSCNONREF", ":86:X", opening="broken")
    rejects = read_mt940(data, "x").rejects
    assert sorted(rejects["reason"].to_list()) == ["malformed_record", "missing_currency"]


def test_a_movement_without_details_is_rejected_as_missing_its_label() -> None:
    data = statement(":61:2501020102D1,00NMSCNONREF")
    assert read_mt940(data, "x").rejects["reason"].to_list() == ["missing_field"]


@pytest.mark.parametrize("content", [b"", b"  \r\n\r\n", b"hello world\n"])
def test_a_file_without_any_field_raises_ingest_error(content: bytes) -> None:
    with pytest.raises(IngestError, match=r"empty\.sta: cannot read as mt940 at line 1"):
        read_mt940(content, "empty.sta")


def test_the_empty_data_file_raises_ingest_error() -> None:
    with pytest.raises(IngestError, match="the file is empty"):
        read_mt940((DATA / "empty.sta").read_bytes(), "empty.sta")


_BASE = (DATA / "two_accounts.sta").read_bytes()
_INSERTS = [b"\n", b"\r", b":61:", b":86:", b":20:", b"-", b"{4:", b"?20", b"/REMI/", b"\xe9"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "token"]))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 80))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(_INSERTS))
    return bytes(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_never_crash_and_every_statement_line_is_accounted_for(
        data: bytes) -> None:
    try:
        result = read_mt940(data, "fuzz.sta")
    except IngestError:
        return
    movement_rejects = result.rejects.filter(pl.col("source_position").str.contains(":61:"))
    lines = mt940_movement_lines(decode_statement(data, "x", "mt940"))
    assert result.records.height + movement_rejects.height == lines
    assert set(result.rejects["reason"].to_list()) <= set(REASONS)
    assert result.records["source_position"].null_count() == 0
