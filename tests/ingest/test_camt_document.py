"""The camt document: plain files read without the entries' tree give what the tree gives."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets.exports import statement_account
from ledgerlens.datasets.exports._camt import export_camt053
from ledgerlens.exceptions import IngestError
from ledgerlens.ingest import _fuzz
from ledgerlens.ingest._records import ReadResult
from ledgerlens.ingest.readers import _camt_document
from ledgerlens.ingest.readers._camt import read_camt

DATA = Path(__file__).parents[1] / "data" / "camt"


def _statement() -> bytes:
    bank = generate_bank(SynthConfig(customers=4, months=2, seed=8))
    first = bank.account_numbers.row(0, named=True)
    transactions = bank.transactions.filter(pl.col("account_id") == first["account_id"])
    return export_camt053(statement_account(first, dt.date(2024, 12, 31)), transactions)


STATEMENT = _statement()
PLAIN = [STATEMENT, *(
    (DATA / name).read_bytes() for name in ("batched.xml", "bad_values.xml",
                                            "balance_mismatch.xml", "camt052_report.xml",
                                            "camt054_notification.xml"))]


def _through_the_tree(data: bytes) -> ReadResult:
    with mock.patch.object(_camt_document, "_plain_document", return_value=None):
        return read_camt(data, "x.xml")


def _same(ours: ReadResult, theirs: ReadResult) -> bool:
    return (ours.records.equals(theirs.records, null_equal=True)
            and ours.rejects.equals(theirs.rejects, null_equal=True)
            and ours.balances.equals(theirs.balances, null_equal=True))


@pytest.mark.parametrize("data", PLAIN)
def test_plain_document_is_read_without_the_entries_tree_and_the_same(data: bytes) -> None:
    assert _camt_document._plain_document(data) is not None
    assert _same(read_camt(data, "x.xml"), _through_the_tree(data))


@pytest.mark.parametrize("change", [
    lambda text: text.replace("<Ntry>", "<!-- note --><Ntry>", 1),
    lambda text: text.replace("<Ntry>", "<Ntry >", 1),
    lambda text: text.replace("</Ntry>", "</Ntry >", 1),
    lambda text: text.replace("<AddtlNtryInf>", '<AddtlNtryInf lang="fr">', 1),
    lambda text: text.replace("<AddtlNtryInf>", "<AddtlNtryInf>&#65;", 1),
    lambda text: text.replace("</Stmt>", "<?pi x?></Stmt>", 1),
])
def test_documents_that_are_not_plain_go_through_the_tree(change: Callable[[str], str]) -> None:
    data = change(STATEMENT.decode()).encode()
    assert _camt_document._plain_document(data) is None
    assert read_camt(data, "x.xml").records.height


@pytest.mark.parametrize(("insert", "why"), [
    ("<X>" * 260 + "</X>" * 260, "Excessive depth"),
    ("<X>&unknown;</X>", "Entity 'unknown' not defined"),
    ("<X>\x01</X>", "invalid Char"),
    ("<y:X></y:X>", "Namespace prefix y"),
    ("<X></Y>", "mismatch"),
])
def test_errors_inside_an_entry_are_reported_as_the_tree_reports_them(insert: str,
                                                                      why: str) -> None:
    text = STATEMENT.decode()
    at = text.index("<Ntry>") + len("<Ntry>")
    data = (text[:at] + insert + text[at:]).encode()
    with pytest.raises(IngestError, match=why) as ours:
        read_camt(data, "x.xml")
    with pytest.raises(IngestError) as theirs:
        _through_the_tree(data)
    assert str(ours.value) == str(theirs.value)


def test_a_document_as_deep_as_the_limit_allows_is_read() -> None:
    text = STATEMENT.decode()
    at = text.index("<Ntry>") + len("<Ntry>")
    data = (text[:at] + "<X>" * 240 + "</X>" * 240 + text[at:]).encode()
    assert _same(read_camt(data, "x.xml"), _through_the_tree(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_files_read_the_same_either_way(seed: int) -> None:
    data, _ = _fuzz.mutate(random.Random(seed).choice(PLAIN), "camt053", random.Random(seed))
    try:
        ours: ReadResult | str = read_camt(data, "x.xml")
    except IngestError as exc:
        ours = str(exc)
    try:
        theirs: ReadResult | str = _through_the_tree(data)
    except IngestError as exc:
        theirs = str(exc)
    if isinstance(ours, str) or isinstance(theirs, str):
        assert ours == theirs
    else:
        assert _same(ours, theirs)
