"""Reading OFX 1.x (SGML), 2.x (XML) and QFX statements: mapping, rejects, broken files."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets.exports import StatementAccount
from ledgerlens.datasets.exports._ofx import export_ofx
from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import REASONS
from ledgerlens.ingest.readers._ofx import iban_or_rib, read_ofx

DATA = Path(__file__).parents[1] / "data" / "ofx"
D = decimal.Decimal


def _wrap(transactions: str, head: str = "<CURDEF>EUR") -> bytes:
    return (f"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>{head}<BANKACCTFROM><BANKID>1<ACCTID>42"
            f"<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>{transactions}</BANKTRANLIST>"
            "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>").encode()


def _trn(**fields: str) -> str:
    values = {"TRNTYPE": "POS", "DTPOSTED": "20250103", "TRNAMT": "-1.00", "FITID": "F1",
              "NAME": "CB TEST"} | fields
    return "<STMTTRN>" + "".join(f"<{k}>{v}\n" for k, v in values.items() if v) + "</STMTTRN>"


def test_reads_qfx_fields_payee_rib_sic_value_date_and_escapes() -> None:
    result = read_ofx((DATA / "accents_payee.qfx").read_bytes(), "accents_payee.qfx")
    assert result.format == "ofx"
    assert result.rejects.height == 0
    transfer, card = result.records.to_dicts()
    assert transfer["account_ref"] == "FR7630004000010001234567830"  # rebuilt from the RIB
    assert transfer["booking_date"] == dt.date(2025, 1, 10)  # time and time zone dropped
    assert transfer["value_date"] == dt.date(2025, 1, 11)  # DTAVAIL, not DTUSER
    assert transfer["amount"] == D("-250.00")
    assert transfer["raw_label"] == "Société Générale & Cie"  # PAYEE/NAME when no NAME
    assert transfer["label_complement"] == "LOYER JANVIER <APPT 3>"
    assert transfer["counterparty_name"] == "Société Générale & Cie"
    assert transfer["counterparty_iban"] == "FR7630003012340009876543264"
    assert (transfer["bank_transaction_code"], transfer["end_to_end_id"]) == ("XFER", "Q1")
    assert transfer["source_position"] == "STMTRS[1]/BANKTRANLIST/STMTTRN[1]"
    assert card["raw_label"] == "CB CAFÉ DU MARCHÉ"  # CHARSET:1252 honoured
    assert (card["mcc"], card["value_date"], card["counterparty_iban"]) == ("5812", None, None)
    assert card["raw_record"].startswith("<STMTTRN>")
    assert card["raw_record"].endswith("</STMTTRN>")


def test_bad_values_become_rejects_with_reason_and_position() -> None:
    result = read_ofx((DATA / "bad_values.ofx").read_bytes(), "bad_values.ofx")
    assert result.records["end_to_end_id"].to_list() == ["A1", "A7"]
    assert result.records["amount"].to_list() == [D("-12.30"), D("100.00")]
    rejects = result.rejects.select("source_position", "reason").rows()
    where = "STMTRS[1]/BANKTRANLIST/STMTTRN[{}]"
    assert rejects == [(where.format(2), "unparseable_amount"),
                       (where.format(3), "unparseable_date"),
                       (where.format(4), "unknown_currency"),
                       (where.format(5), "missing_field"),
                       (where.format(6), "malformed_record")]
    assert set(result.rejects["reason"]) <= set(REASONS)
    details = " ".join(result.rejects["detail"])
    assert "got '12,3,4' for TRNAMT" in details
    assert "got '20240231' for DTPOSTED" in details
    assert "BAD AMOUNT" not in details
    assert "NOT CLOSED" not in details
    assert "CB BAD AMOUNT" in result.rejects["raw_record"][0]  # the quarantine keeps it
    assert result.n_found == (DATA / "bad_values.ofx").read_bytes().count(b"<STMTTRN>")


def test_account_without_rib_key_is_bank_branch_and_number_concatenated() -> None:
    result = read_ofx((DATA / "bad_values.ofx").read_bytes(), "bad_values.ofx")
    assert result.records["account_ref"].unique().to_list() == ["300040000100012345678"]


def test_ledgerbal_is_the_closing_balance_without_opening() -> None:
    balances = read_ofx((DATA / "bad_values.ofx").read_bytes(), "bad_values.ofx").balances
    row = balances.row(0, named=True)
    assert (row["opening_balance"], row["opening_date"]) == (None, None)
    assert (row["closing_balance"], row["closing_date"]) == (D("1234.56"), dt.date(2025, 1, 31))
    assert row["source_position"] == "STMTRS[1]/LEDGERBAL"


@pytest.mark.parametrize("ledger", ["<BALAMT>12.00", "<DTASOF>20250131", "<BALAMT>x<DTASOF>1"])
def test_incomplete_ledger_balance_is_left_out(ledger: str) -> None:
    data = _wrap(_trn()).replace(b"</STMTRS>", f"<LEDGERBAL>{ledger}</LEDGERBAL></STMTRS>".encode())
    result = read_ofx(data, "x.ofx")
    assert result.balances.is_empty()
    assert result.records.height == 1


def test_truncated_file_raises_naming_file_format_and_line() -> None:
    with pytest.raises(IngestError, match=r"truncated\.ofx: cannot read as ofx at line 50.*trunc"):
        read_ofx((DATA / "truncated.ofx").read_bytes(), "truncated.ofx")


@pytest.mark.parametrize("data", [(DATA / "not_ofx.ofx").read_bytes(), b"", b"\x00\xff" * 10])
def test_file_without_ofx_element_raises(data: bytes) -> None:
    with pytest.raises(IngestError, match="no <OFX> element"):
        read_ofx(data, "x.ofx")


def test_undecodable_bytes_reject_only_their_transaction() -> None:
    result = read_ofx((DATA / "wrong_encoding.ofx").read_bytes(), "wrong_encoding.ofx")
    assert result.records["raw_label"].to_list() == ["CB OK"]
    assert result.rejects.select("source_position", "reason").rows() == [
        ("STMTRS[1]/BANKTRANLIST/STMTTRN[2]", "encoding_error")]


def test_reads_file_without_header_and_with_malformed_header() -> None:
    body = _wrap(_trn(NAME="CB SANS ENTETE"))
    for data in (body, b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:1O2\n\n" + body):
        assert read_ofx(data, "x.ofx").records["raw_label"].to_list() == ["CB SANS ENTETE"]


def test_utf8_encoding_header_overrides_charset() -> None:
    header = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:UTF-8\n" \
             "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
    data = header.encode() + _wrap(_trn(NAME="CB ŁÓDŹ"))
    assert read_ofx(data, "x.ofx").records["raw_label"].to_list() == ["CB ŁÓDŹ"]


def test_cdata_values_are_kept_verbatim() -> None:
    data = _wrap(_trn(NAME="<![CDATA[A&B <C>]]>", MEMO="x &amp; y"))
    record = read_ofx(data, "x.ofx").records.row(0, named=True)
    assert (record["raw_label"], record["label_complement"]) == ("A&B <C>", "x & y")


def test_memo_is_the_label_when_there_is_no_name() -> None:
    record = read_ofx(_wrap(_trn(NAME="", MEMO="PRLV EDF")), "x.ofx").records.row(0, named=True)
    assert (record["raw_label"], record["label_complement"]) == ("PRLV EDF", None)


def test_extdname_is_preferred_over_the_short_name() -> None:
    data = _wrap(_trn(NAME="PAIEMENT CB CARREFOUR CITY PARI", EXTDNAME="PAIEMENT CB CARREFOUR "
                      "CITY PARIS 15"))
    assert read_ofx(data, "x.ofx").records["raw_label"].to_list() == [
        "PAIEMENT CB CARREFOUR CITY PARIS 15"]


def test_currency_aggregate_sets_the_currency_but_origcurrency_does_not() -> None:
    data = _wrap(_trn(FITID="1") + _trn(FITID="2").replace(
        "</STMTTRN>", "<CURRENCY><CURRATE>1.1<CURSYM>USD</CURRENCY></STMTTRN>") + _trn(
        FITID="3").replace("</STMTTRN>", "<ORIGCURRENCY><CURRATE>1.1<CURSYM>GBP</ORIGCURRENCY>"
                           "</STMTTRN>"))
    assert read_ofx(data, "x.ofx").records["currency"].to_list() == ["EUR", "USD", "EUR"]


def test_missing_statement_currency_is_rejected() -> None:
    result = read_ofx(_wrap(_trn(), head=""), "x.ofx")
    assert result.rejects["reason"].to_list() == ["missing_currency"]


def test_duplicated_amount_is_a_malformed_record() -> None:
    result = read_ofx(_wrap(_trn(TRNAMT="-1.00\n<TRNAMT>-2.00")), "x.ofx")
    assert result.rejects["reason"].to_list() == ["malformed_record"]


def test_transaction_outside_any_statement_is_rejected() -> None:
    data = _wrap(_trn(FITID="1")).replace(b"</OFX>", _trn(FITID="2").encode() + b"</OFX>")
    result = read_ofx(data, "x.ofx")
    assert result.records.height == 1
    assert result.rejects.select("source_position", "reason").rows() == [
        ("STMTTRN[2] (outside any statement)", "malformed_record")]


def test_card_statement_uses_ccacctfrom_and_its_own_position() -> None:
    data = (b"<OFX><CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>EUR<CCACCTFROM>"
            b"<ACCTID>4974000000001234</CCACCTFROM><BANKTRANLIST>" + _trn().encode()
            + b"</BANKTRANLIST></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>")
    record = read_ofx(data, "card.ofx").records.row(0, named=True)
    assert record["account_ref"] == "4974000000001234"
    assert record["source_position"] == "CCSTMTRS[1]/BANKTRANLIST/STMTTRN[1]"


@pytest.mark.parametrize(("posted", "expected"), [
    ("20250103", dt.date(2025, 1, 3)), ("202501031200", dt.date(2025, 1, 3)),
    ("20250103235959.123[-5:EST]", dt.date(2025, 1, 3)), ("20250103000000[+1:CET]",
                                                           dt.date(2025, 1, 3))])
def test_datetimes_keep_the_calendar_date_as_written(posted: str, expected: dt.date) -> None:
    assert read_ofx(_wrap(_trn(DTPOSTED=posted)), "x.ofx").records["booking_date"][0] == expected


@pytest.mark.parametrize("posted", ["2025013", "20251301", "20250103256000", "3 janv."])
def test_impossible_dates_are_rejected(posted: str) -> None:
    result = read_ofx(_wrap(_trn(DTPOSTED=posted)), "x.ofx")
    assert result.rejects["reason"].to_list() == ["unparseable_date"]


@pytest.mark.parametrize(("text", "amount"), [("-12,30", "-12.30"), ("+5", "5.00"),
                                              (".5", "0.50"), ("-1.2300", "-1.23")])
def test_amount_notations(text: str, amount: str) -> None:
    assert read_ofx(_wrap(_trn(TRNAMT=text)), "x.ofx").records["amount"][0] == D(amount)


@pytest.mark.parametrize("text", ["1.234", "1 234,56", "12,3,4", "1e3", "12345678901234567"])
def test_amounts_that_cannot_be_trusted_are_rejected(text: str) -> None:
    result = read_ofx(_wrap(_trn(TRNAMT=text)), "x.ofx")
    assert result.rejects["reason"].to_list() == ["unparseable_amount"]


def test_account_references() -> None:
    assert iban_or_rib("30004", "00001", "0001234567830", fallback=True) == (
        "FR7630004000010001234567830")
    assert iban_or_rib("30004", "00001", "0001234567899", fallback=True) == (
        "30004000010001234567899")  # wrong RIB key: not rebuilt
    assert iban_or_rib(None, None, "DE89 3704 0044 0532 0130 00", fallback=True) == (
        "DE89370400440532013000")
    assert iban_or_rib("X", None, "FR76****3933", fallback=False) == "FR76****3933"
    assert iban_or_rib("1", None, "42", fallback=False) is None


def _account() -> StatementAccount:
    return StatementAccount("FR7630004000010001234567830", "CLI1", "EUR", "online_bank",
                            "ONLIFRPPXXX", "M CLIENT 1", D("50.00"), dt.date(2024, 12, 31))


def _transactions() -> pl.DataFrame:
    from ledgerlens.schema import TRANSACTIONS

    rows = [(dt.date(2025, 1, 2), "-12.30", "CB CASINO 31/12", None, "5411"),
            (dt.date(2025, 1, 3), "1500.00", "VIR SEPA RECU /DE ACME SAS", "SALAIRE", None),
            (dt.date(2025, 1, 5), "-40.00", "PRLV SEPA H&M <TEST>", "ECH/050125", None)]
    frame = pl.DataFrame({
        "transaction_id": [f"{i:032x}" for i in range(len(rows))],
        "booking_date": [r[0] for r in rows], "value_date": [r[0] for r in rows],
        "amount": [D(r[1]) for r in rows], "currency": ["EUR"] * len(rows),
        "raw_label": [r[2] for r in rows], "label_complement": [r[3] for r in rows],
        "mcc": [r[4] for r in rows], "bank_transaction_code": [None] * len(rows),
    })
    return frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in TRANSACTIONS.polars_schema.items()
        if name not in frame.columns
    ).cast(TRANSACTIONS.polars_schema).select(TRANSACTIONS.names)


@pytest.mark.parametrize("version", [1, 2])
def test_agrees_with_ofxtools_on_a_valid_file(version: int) -> None:
    from ofxtools.Parser import OFXTree

    data = export_ofx(_account(), _transactions(), version)
    tree = OFXTree()
    tree.parse(io.BytesIO(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NAME past 32 characters: ofxtools only nags
        statement = tree.convert().statements[0]
    ours = read_ofx(data, "x.ofx").records
    theirs = [(t.fitid, t.dtposted.date(), t.trnamt, t.name, t.memo)
              for t in statement.banktranlist]
    assert ours.select("end_to_end_id", "booking_date", "amount", "raw_label",
                       "label_complement").rows() == theirs


_SAMPLES = [export_ofx(_account(), _transactions(), 1), export_ofx(_account(), _transactions(), 2),
            (DATA / "bad_values.ofx").read_bytes(), (DATA / "accents_payee.qfx").read_bytes()]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 40)))
        kind = draw(st.sampled_from(["replace", "delete", "duplicate", "markup"]))
        if kind == "replace":
            data[at:end] = draw(st.binary(max_size=12))
        elif kind == "delete":
            del data[at:end]
        elif kind == "duplicate":
            data[at:at] = data[at:end]
        else:
            data[at:at] = draw(st.sampled_from(
                [b"<STMTTRN>", b"</STMTTRN>", b"<TRNAMT>", b"<NAME>", b"</OFX>", b"<STMTRS>",
                 b"&amp;", b"<![CDATA[", b"\xe9", b"<CURRENCY>", b"<DTPOSTED>99999999"]))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_files_never_raise_but_ingest_error_and_lose_nothing(data: bytes) -> None:
    try:
        result = read_ofx(data, "fuzz.ofx")
    except IngestError:
        return
    start, end = data.find(b"<OFX>"), data.rfind(b"</OFX>")
    assert result.n_found == data[start:end].count(b"<STMTTRN>")
    assert set(result.rejects["reason"]) <= set(REASONS)
    assert result.records["source_position"].is_unique().all()
