"""Pending entries are not movements, but they are counted: one ``pending_not_booked``
quarantine row each, so that entries in = accepted + quarantined, in the reader and in
the lake's ingestion log."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from ledgerlens.ingest import ingest_paths
from ledgerlens.ingest._records import REASONS
from ledgerlens.ingest.readers._camt import read_camt
from ledgerlens.privacy import DEV_KEY, Pseudonymizer
from ledgerlens.store import Lake

IBAN = "FR7630006000011234567890189"
_CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-02-01T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>
"""
_NTRY = ('<Ntry><Amt Ccy="EUR">4.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>{status}</Sts>'
         "<BookgDt><Dt>2025-01-12</Dt></BookgDt><AddtlNtryInf>CB {status}</AddtlNtryInf></Ntry>")


def _camt(*statuses: str) -> bytes:
    entries = "\n".join(_NTRY.format(status=s) for s in statuses)
    return _CAMT.format(iban=IBAN, entries=entries).encode()


def test_reason_code_is_documented() -> None:
    assert "pending_not_booked" in REASONS


def test_camt_entries_not_booked_are_quarantined_one_per_entry_with_their_text() -> None:
    result = read_camt(_camt("BOOK", "PDNG", "FUTR", "INFO", "BOOK"), "c.xml")
    assert result.records.height == 2
    rejects = result.rejects
    assert rejects["reason"].to_list() == ["pending_not_booked"] * 3
    assert rejects["source_position"].to_list() == ["Stmt[1]/Ntry[2]", "Stmt[1]/Ntry[3]",
                                                    "Stmt[1]/Ntry[4]"]
    assert [d.split(":")[0] for d in rejects["detail"]] == [
        "entry status PDNG", "entry status FUTR", "entry status INFO"]
    assert rejects["raw_record"][0].startswith("<Ntry>")
    assert "CB PDNG" in rejects["raw_record"][0]
    assert result.n_found == 5


def _berlin(booked: int, pending: int) -> bytes:
    entry = {"bookingDate": "2025-01-10", "transactionAmount": {"currency": "EUR",
                                                                "amount": "-1.00"}}
    page = {"account": {"iban": IBAN}, "transactions": {
        "booked": [{**entry, "remittanceInformationUnstructured": f"CB SHOP {i}"}
                   for i in range(booked)],
        "pending": [{**entry, "remittanceInformationUnstructured": f"CB WAIT {i}"}
                    for i in range(pending)]}}
    return json.dumps(page).encode()


def test_ingestion_counts_pending_entries_as_quarantined_and_reconciles(tmp_path: Path) -> None:
    files = {"b.json": _berlin(3, 2), "c.xml": _camt("BOOK", "PDNG")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    lake = Lake(tmp_path / "lake")
    summaries = ingest_paths([tmp_path / name for name in files], tenant_id="t", lake=lake,
                             pseudonymizer=Pseudonymizer(DEV_KEY))
    assert [(s.format, s.n_found, s.n_accepted, s.n_quarantined) for s in summaries] == [
        ("berlin", 5, 3, 2), ("camt053", 2, 1, 1)]
    assert all(s.reconciles for s in summaries)
    quarantine = lake.scan("quarantine").collect()
    assert quarantine["reason"].to_list() == ["pending_not_booked"] * 3
    log = lake.scan("ingestion_log").sort("source_file").collect()
    assert log.select("n_found", "n_accepted", "n_quarantined").rows() == [(5, 3, 2), (2, 1, 1)]
    assert lake.scan("transactions").select(pl.len()).collect().item() == 4
