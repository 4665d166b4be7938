"""Reading ISO 20022 camt.053 (and camt.052/054): mapping, batches, balances, broken files."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets.exports import StatementAccount
from ledgerlens.datasets.exports._camt import export_camt053
from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._records import MAX_RAW_RECORD, REASONS
from ledgerlens.ingest.readers._camt import read_camt
from ledgerlens.schema import TRANSACTIONS

DATA = Path(__file__).parents[1] / "data" / "camt"
D = decimal.Decimal
FIELDS = ["booking_date", "value_date", "amount", "currency", "raw_label", "label_complement",
          "counterparty_name", "counterparty_iban", "bank_transaction_code", "end_to_end_id",
          "source_position", "account_ref"]


def test_bad_values_become_rejects_with_reason_and_position() -> None:
    result = read_camt((DATA / "bad_values.xml").read_bytes(), "bad_values.xml")
    assert result.format == "camt053"
    assert result.records.select("source_position", "amount").rows() == [
        ("Stmt[1]/Ntry[1]", D("-10.00")), ("Stmt[1]/Ntry[8]", D("5.00"))]
    assert result.rejects.select("source_position", "reason").rows() == [
        ("Stmt[1]/Ntry[2]", "unparseable_amount"), ("Stmt[1]/Ntry[3]", "unparseable_date"),
        ("Stmt[1]/Ntry[4]", "unknown_currency"), ("Stmt[1]/Ntry[5]", "malformed_record"),
        ("Stmt[1]/Ntry[6]", "unparseable_amount"), ("Stmt[1]/Ntry[7]", "missing_field")]
    details = " ".join(result.rejects["detail"])
    assert "got '12,3,4' for Amt" in details
    assert "got '2024-02-31' for BookgDt" in details
    assert "CB BAD" not in details  # labels stay in raw_record only
    assert "<AddtlNtryInf>CB BAD AMOUNT</AddtlNtryInf>" in result.rejects["raw_record"][0]
    assert set(result.rejects["reason"]) <= set(REASONS)


def test_maps_entry_fields() -> None:
    record = read_camt((DATA / "bad_values.xml").read_bytes(), "x").records.row(0, named=True)
    assert record["account_ref"] == "FR7630004000010001234567830"
    assert record["booking_date"] == record["value_date"] == dt.date(2025, 1, 3)
    assert (record["currency"], record["raw_label"]) == ("EUR", "CB CASINO")
    assert record["bank_transaction_code"] == "PMNT-CCRD-POSD"
    assert record["raw_record"].startswith("<Ntry>")
    assert record["raw_record"].endswith("</Ntry>")


def test_balances_that_add_up_give_no_mismatch() -> None:
    result = read_camt((DATA / "bad_values.xml").read_bytes(), "x")
    assert "balance_mismatch" not in result.rejects["reason"].to_list()
    assert result.balances.select("opening_date", "opening_balance", "closing_date",
                                  "closing_balance", "currency", "source_position").row(0) == (
        dt.date(2025, 1, 1), D("100.00"), dt.date(2025, 1, 31), D("95.00"), "EUR", "Stmt[1]")


def test_balances_that_do_not_add_up_keep_records_and_add_one_statement_reject() -> None:
    result = read_camt((DATA / "balance_mismatch.xml").read_bytes(), "x")
    assert result.records.height == 2
    assert result.rejects.select("source_position", "reason").rows() == [
        ("Stmt[1]", "balance_mismatch")]
    assert result.rejects["detail"][0] == (
        "opening balance 100.00 + movements -5.00 = 95.00, but the closing balance is 105.00 "
        "(difference 10.00); 0 movement(s) of this statement were rejected")
    assert "<Cd>CLBD</Cd>" in result.rejects["raw_record"][0]


def test_batched_entry_gives_one_record_per_transaction_detail() -> None:
    result = read_camt((DATA / "batched.xml").read_bytes(), "batched.xml")
    rows = result.records.select(FIELDS[:-1]).to_dicts()
    first, second, third, last = rows
    assert [r["amount"] for r in rows] == [D("10.00"), D("20.00"), D("30.00"), D("-2.50")]
    assert first == {
        "booking_date": dt.date(2025, 1, 10), "value_date": dt.date(2025, 1, 11),
        "amount": D("10.00"), "currency": "EUR", "raw_label": "REMISE VIREMENTS",
        "label_complement": "FACTURE 1 LIGNE 2", "counterparty_name": "JEAN DUPONT",
        "counterparty_iban": "FR7630003012340009876543264",
        "bank_transaction_code": "PMNT-RCDT-ESCT", "end_to_end_id": "E1",
        "source_position": "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[1]"}
    # the detail's own code and label; NOTPROVIDED is no end-to-end id
    assert (second["bank_transaction_code"], second["raw_label"], second["end_to_end_id"]) == (
        "VIR-RECU", "VIR RECU MARIE MARTIN", None)
    assert third["currency"] == "EUR"  # AmtDtls/TxAmt, not the instructed USD amount
    # a booked entry with only remittance lines: they are the label; the pending one is counted
    assert (last["raw_label"], last["label_complement"], last["bank_transaction_code"]) == (
        "SEUL USTRD", None, None)
    assert last["source_position"] == "Stmt[1]/Ntry[3]"
    assert result.rejects.select("source_position", "reason").rows() == [
        ("Stmt[1]/Ntry[1]/NtryDtls/TxDtls[4]", "missing_field"),
        ("Stmt[1]/Ntry[2]", "pending_not_booked")]
    assert result.records["raw_record"][0].startswith("<TxDtls>")


@pytest.mark.parametrize(("name", "container"), [("camt052_report.xml", "Rpt"),
                                                 ("camt054_notification.xml", "Ntfctn")])
def test_reads_camt052_reports_and_camt054_notifications(name: str, container: str) -> None:
    result = read_camt((DATA / name).read_bytes(), name)
    assert result.records["source_position"].to_list() == [f"{container}[1]/Ntry[1]",
                                                           f"{container}[1]/Ntry[2]"]
    assert result.records["amount"].to_list() == [D("-10.00"), D("5.00")]
    assert result.balances.height == 0


def test_truncated_file_raises_naming_the_line() -> None:
    with pytest.raises(IngestError, match=r"truncated\.xml: cannot read as camt053 at line 12"):
        read_camt((DATA / "truncated.xml").read_bytes(), "truncated.xml")


def test_wrongly_encoded_file_raises_naming_the_line() -> None:
    with pytest.raises(IngestError, match=r"at line 11: Invalid bytes in character encoding"):
        read_camt((DATA / "wrong_encoding.xml").read_bytes(), "wrong_encoding.xml")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_attacks_are_refused_without_expansion(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(IngestError, match="declares a DTD"):
        read_camt((DATA / name).read_bytes(), name)
    assert time.perf_counter() - started < 1


def test_dtd_after_a_comment_is_refused_and_not_only_in_the_prolog_scan() -> None:
    data = (DATA / "external_entity.xml").read_bytes().replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0"?><!-- x -->')
    with pytest.raises(IngestError, match="DTD"):
        read_camt(data, "x.xml")


@pytest.mark.parametrize("data", [b"", b"not xml", b"<Document><pain/></Document>"])
def test_files_that_are_not_camt_raise(data: bytes) -> None:
    with pytest.raises(IngestError, match="camt053"):
        read_camt(data, "x.xml")


def _account() -> StatementAccount:
    return StatementAccount("FR7630004000010001234567830", "CLI1", "EUR", "national_facture",
                            "NATIFRPPXXX", "M CLIENT 1", D("50.00"), dt.date(2024, 12, 31))


def _transactions() -> pl.DataFrame:
    rows = [(dt.date(2025, 1, 2), "-12.30", "CB H&M <PARIS>", None, None, None, "PMNT-CCRD-POSD"),
            (dt.date(2025, 1, 3), "1500.00", "VIR SEPA RECU /DE ACME", "SALAIRE  JANVIER",
             "ACME SAS", "FR76****1234", "PMNT-RCDT-ESCT"),
            (dt.date(2025, 2, 5), "-40.00", "Prlv Sepa Édf", "ECH/050225", "EDF", None, "XYZ1"),
            (dt.date(2025, 2, 6), "-1.00", "FRAIS", None, None, None, None)]
    frame = pl.DataFrame({
        "transaction_id": [f"{i:032x}" for i in range(len(rows))],
        "booking_date": [r[0] for r in rows], "value_date": [r[0] for r in rows],
        "amount": [D(r[1]) for r in rows], "currency": ["EUR"] * len(rows),
        "raw_label": [r[2] for r in rows], "label_complement": [r[3] for r in rows],
        "counterparty_name": [r[4] for r in rows], "counterparty_iban": [r[5] for r in rows],
        "bank_transaction_code": [r[6] for r in rows],
    })
    return frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in TRANSACTIONS.polars_schema.items()
        if name not in frame.columns
    ).cast(TRANSACTIONS.polars_schema).select(TRANSACTIONS.names)


def _decorated(data: bytes) -> bytes:
    """The same statement written the way other banks do: prefixes, comments, CDATA,
    character references, indentation and CRLF, empty elements, attributes."""
    text = data.decode()
    text = re.sub(r"<(/?)([A-Za-z]+)([ >/])", r"<\1c:\2\3", text)
    text = text.replace('<c:Document xmlns="', '<c:Document xmlns:c="')
    text = text.replace("<c:AddtlNtryInf>CB H&amp;M", "<!-- <Ntry> --><c:AddtlNtryInf "
                        'lang="fr"><![CDATA[CB H&M]]>')
    text = text.replace("VIR SEPA RECU", "VIR&#32;SEPA&#x20;RECU").replace(
        "</c:TxDtls>", "<c:RmtInf><c:Ustrd/></c:RmtInf></c:TxDtls>", 1)
    text = text.replace("><c:", ">\r\n    <c:").replace('Ccy="EUR"', "Ccy='EUR'")
    return text.replace("</c:Amt>", "</c:Amt >", 1).encode()


def test_decorated_file_reads_the_same_as_the_plain_one() -> None:
    plain = export_camt053(_account(), _transactions())
    decorated = _decorated(plain)
    assert b"<c:Ntry>" in decorated
    assert b"<![CDATA[" in decorated
    ours, theirs = read_camt(plain, "a.xml"), read_camt(decorated, "b.xml")
    assert theirs.rejects.height == 0
    assert ours.records.select(FIELDS).equals(theirs.records.select(FIELDS))


def test_single_detail_entry_keeps_the_entry_amount_label_and_code() -> None:
    text = (DATA / "balance_mismatch.xml").read_text()
    detail = ("<NtryDtls><TxDtls><Amt Ccy=\"USD\">11.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
              "<BkTxCd><Prtry><Cd>OTHER</Cd></Prtry></BkTxCd><AddtlTxInf>DETAIL</AddtlTxInf>"
              "</TxDtls></NtryDtls><AddtlNtryInf>CB CASINO")
    data = text.replace("<AddtlNtryInf>CB CASINO", detail, 1).encode()
    record = read_camt(data, "x.xml").records.row(0, named=True)
    assert (record["amount"], record["currency"]) == (D("-10.00"), "EUR")
    assert (record["raw_label"], record["bank_transaction_code"]) == ("CB CASINO",
                                                                      "PMNT-CCRD-POSD")
    assert record["source_position"] == "Stmt[1]/Ntry[1]"


def test_non_utf8_document_is_decoded_with_its_declared_encoding() -> None:
    plain = export_camt053(_account(), _transactions()).decode()
    latin = plain.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert read_camt(latin, "x.xml").records["raw_label"][2] == "Prlv Sepa Édf"


def test_raw_record_is_cut_and_a_long_label_kept_whole() -> None:
    big = _transactions().with_columns(raw_label=pl.lit("X" * 200_000))
    result = read_camt(export_camt053(_account(), big), "x.xml")
    assert result.records["raw_label"].str.len_chars().to_list() == [200_000] * 4
    assert result.records["raw_record"].str.len_chars().max() == MAX_RAW_RECORD


_SAMPLES = [export_camt053(_account(), _transactions(), "001.02"),
            export_camt053(_account(), _transactions(), "001.08"),
            (DATA / "batched.xml").read_bytes(), (DATA / "bad_values.xml").read_bytes(),
            _decorated(export_camt053(_account(), _transactions()))]


def _found(data: bytes) -> int:
    """Booked movements in ``data``, counted on lxml's tree: what the reader must account for."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    local = etree.QName
    count = 0
    for message in root.iter():
        if not isinstance(message.tag, str) or local(message).localname not in (
                "BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"):
            continue
        prefix = f"{{{local(message).namespace}}}" if local(message).namespace else ""

        def q(tag: str, prefix: str = prefix) -> str:
            return prefix + tag

        for container in message:
            if not isinstance(container.tag, str) or local(container).localname not in (
                    "Stmt", "Rpt", "Ntfctn"):
                continue
            for entry in container.iterchildren(q("Ntry")):
                status = entry.find(q("Sts"))
                code = "" if status is None else ((status.text or "").strip() or (
                    status.findtext(q("Cd")) or "").strip())
                if code in ("PDNG", "INFO", "FUTR"):
                    count += 1  # one pending_not_booked reject per entry
                else:
                    count += max(1, len(entry.findall(f"{q('NtryDtls')}/{q('TxDtls')}")))
        break
    return count


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["bytes", "text", "drop", "duplicate"]))
        if kind == "bytes":
            at = draw(st.integers(0, len(data)))
            data[at:at + draw(st.integers(0, 8))] = draw(st.binary(max_size=8))
            continue
        text = data.decode("utf-8", "replace")
        if kind == "text":
            leaves = list(re.finditer(r">([^<>]+)<", text))
            if leaves:
                leaf = draw(st.sampled_from(leaves))
                value = draw(st.text(alphabet="0123456789.,-+ ABCDTPNGRSKO&;<>é", max_size=12))
                value = value.replace("&", "&amp;").replace("<", "&lt;")
                text = text[:leaf.start(1)] + value + text[leaf.end(1):]
        else:
            elements = list(re.finditer(
                r"<(Ntry|TxDtls|Amt|CdtDbtInd|BookgDt|ValDt|Sts|BkTxCd|AddtlNtryInf|NtryDtls|"
                r"RltdPties|RmtInf|Bal|Ustrd)[ >].*?</\1>", text, re.S))
            if elements:
                element = draw(st.sampled_from(elements))
                part = element.group(0) * (2 if kind == "duplicate" else 0)
                text = text[:element.start()] + part + text[element.end():]
        data = bytearray(text.encode())
    return bytes(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_files_never_raise_but_ingest_error_and_lose_nothing(data: bytes) -> None:
    try:
        result = read_camt(data, "fuzz.xml")
    except IngestError:
        return
    statement_level = int((result.rejects["reason"] == "balance_mismatch").sum())
    assert result.n_found - statement_level == _found(data)
    assert set(result.rejects["reason"]) <= set(REASONS)
