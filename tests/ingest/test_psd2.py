"""PSD2 JSON readers: STET and Berlin Group transaction responses."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._fuzz import psd2_page_entries
from ledgerlens.ingest._records import REASONS, ReadResult
from ledgerlens.ingest.readers._psd2 import read_berlin_group, read_stet

DATA = Path(__file__).parents[1] / "data" / "psd2"
IBAN = "FR7630006000011234567890189"


def berlin_entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "transactionId": "t1", "bookingDate": "2024-03-01", "valueDate": "2024-03-02",
        "transactionAmount": {"currency": "EUR", "amount": "-12.30"},
        "remittanceInformationUnstructured": "CB CARREFOUR CITY 28/02",
    }
    entry.update(fields)
    return entry


def berlin_page(*booked: Any, pending: list[Any] | None = None,
                account: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"account": account if account is not None else {"iban": IBAN},
            "transactions": {"booked": list(booked), "pending": pending or []}}


def stet_entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resourceId": "r1", "status": "BOOK", "bookingDate": "2024-03-01",
        "transactionAmount": {"currency": "EUR", "amount": "12.30"},
        "creditDebitIndicator": "DBIT",
        "remittanceInformation": {"unstructured": ["PRLV SEPA EDF"]},
    }
    entry.update(fields)
    return entry


def stet_page(*entries: Any, links: bool = True) -> dict[str, Any]:
    page: dict[str, Any] = {"transactions": list(entries)}
    if links:
        page["_links"] = {"self": {"href": f"/v1/accounts/{IBAN}/transactions?page=1"}}
    return page


def body(*pages: Any) -> bytes:
    return "\n".join(json.dumps(page) for page in pages).encode()


def reasons(result: ReadResult) -> list[str]:
    return result.rejects["reason"].to_list()


# --------------------------------------------------------------------------- Berlin Group


def test_berlin_reads_signed_amount_label_and_codes() -> None:
    entry = berlin_entry(creditorName="CARREFOUR", creditorAccount={"iban": "FR76****1234"},
                         bankTransactionCode="PMNT-CCRD-POSD", merchantCategoryCode="5411",
                         endToEndId="E2E-1")
    result = read_berlin_group(body(berlin_page(entry)), "b.json")
    assert result.format == "berlin"
    row = result.records.row(0, named=True)
    assert row["account_ref"] == IBAN
    assert row["amount"] == Decimal("-12.30")
    assert row["booking_date"] == dt.date(2024, 3, 1)
    assert row["value_date"] == dt.date(2024, 3, 2)
    assert row["raw_label"] == "CB CARREFOUR CITY 28/02"
    assert row["label_complement"] is None
    assert (row["counterparty_name"], row["counterparty_iban"]) == ("CARREFOUR", "FR76****1234")
    assert (row["mcc"], row["bank_transaction_code"]) == ("5411", "PMNT-CCRD-POSD")
    assert row["end_to_end_id"] == "E2E-1"
    assert row["source_position"] == "page 1 / booked[0]"
    assert json.loads(row["raw_record"]) == entry


def test_berlin_unstructured_array_gives_label_then_joined_complement() -> None:
    entry = berlin_entry(remittanceInformationUnstructuredArray=["VIR RECU", "DE: ACME", "REF 1"])
    row = read_berlin_group(body(berlin_page(entry)), "b.json").records.row(0, named=True)
    assert (row["raw_label"], row["label_complement"]) == ("VIR RECU", "DE: ACME REF 1")


def test_berlin_counterparty_is_debtor_of_credits_and_never_the_other_side() -> None:
    credit = berlin_entry(transactionAmount={"currency": "EUR", "amount": "50.00"},
                          debtorName="ACME SAS", creditorName="M CLIENT")
    # A debit whose only account is the customer's own (debtor) account has no counterparty.
    debit = berlin_entry(debtorAccount={"iban": IBAN})
    records = read_berlin_group(body(berlin_page(credit, debit)), "b.json").records
    assert records["counterparty_name"].to_list() == ["ACME SAS", None]
    assert records["counterparty_iban"].to_list() == [None, None]


def test_berlin_pending_entries_are_counted_in_quarantine_with_their_text() -> None:
    page = berlin_page(berlin_entry(), pending=[berlin_entry(transactionId="p1"),
                                                {"not": "checked"}])
    page2 = berlin_page(berlin_entry(transactionId="t2"), pending=[berlin_entry()])
    result = read_berlin_group(body(page, page2), "b.json")
    assert (result.records.height, result.rejects.height) == (2, 3)
    assert reasons(result) == ["pending_not_booked"] * 3
    assert result.rejects["source_position"].to_list() == [
        "page 1 / pending[0]", "page 1 / pending[1]", "page 2 / pending[0]"]
    # the raw record is the entry's own text in the file
    assert json.loads(result.rejects["raw_record"][0]) == berlin_entry(transactionId="p1")
    assert json.loads(result.rejects["raw_record"][1]) == {"not": "checked"}


def test_berlin_pending_value_that_is_no_array_is_one_malformed_reject() -> None:
    page = berlin_page(berlin_entry())
    page["transactions"]["pending"] = {"oops": 1}
    result = read_berlin_group(body(page), "b.json")
    assert result.records.height == 1
    assert reasons(result) == ["malformed_record"]
    assert result.rejects["source_position"].to_list() == ["page 1 / pending"]


def test_berlin_proprietary_code_when_no_iso_code() -> None:
    entry = berlin_entry(proprietaryBankTransactionCode="CB-ACHAT")
    row = read_berlin_group(body(berlin_page(entry)), "b.json").records.row(0, named=True)
    assert row["bank_transaction_code"] == "CB-ACHAT"


def test_berlin_account_in_body_wins_over_argument() -> None:
    result = read_berlin_group(body(berlin_page(berlin_entry())), "b.json",
                               account_ref="FR7610000000000000000000000")
    assert result.records["account_ref"].to_list() == [IBAN]


def test_berlin_account_from_argument_then_from_account_link() -> None:
    page = berlin_page(berlin_entry(), account={})
    with pytest.raises(IngestError, match=r"page 1: .*pass account_ref="):
        read_berlin_group(body(page), "b.json")
    by_argument = read_berlin_group(body(page), "b.json", account_ref=IBAN)
    assert by_argument.records["account_ref"].to_list() == [IBAN]
    page["transactions"]["_links"] = {"account": {"href": "/v1/accounts/abc-123"}}
    by_link = read_berlin_group(body(page), "b.json")
    assert by_link.records["account_ref"].to_list() == ["abc-123"]


# --------------------------------------------------------------------------- STET


def test_stet_indicator_gives_the_sign_and_iso_code_is_joined() -> None:
    code = {"domain": "PMNT", "family": "RDDT", "subFamily": "ESDD"}
    debit = stet_entry(bankTransactionCode=code,
                       relatedParties={"creditor": {"name": "EDF"},
                                       "creditorAccount": {"iban": "FR76****0001"}})
    credit = stet_entry(creditDebitIndicator="CRDT", debtor={"name": "ACME SAS"},
                        transactionAmount={"currency": "EUR", "amount": 40})
    result = read_stet(body(stet_page(debit, credit)), "s.json")
    assert result.format == "stet"
    assert result.records["amount"].to_list() == [Decimal("-12.30"), Decimal("40.00")]
    assert result.records["counterparty_name"].to_list() == ["EDF", "ACME SAS"]
    assert result.records["counterparty_iban"].to_list() == ["FR76****0001", None]
    assert result.records["bank_transaction_code"].to_list() == ["PMNT-RDDT-ESDD", None]
    assert result.records["account_ref"].to_list() == [IBAN, IBAN]
    assert result.records["source_position"].to_list() == ["page 1 / transactions[0]",
                                                          "page 1 / transactions[1]"]


def test_stet_old_remittance_list_and_datetime_booking_date() -> None:
    entry = stet_entry(remittanceInformation=["VIR SEPA", "MOTIF LOYER", "MARS"],
                       bookingDate="2024-02-29T15:38:44Z",
                       transactionAmount={"currency": "EUR", "amount": "-1"})
    row = read_stet(body(stet_page(entry)), "s.json").records.row(0, named=True)
    assert (row["raw_label"], row["label_complement"]) == ("VIR SEPA", "MOTIF LOYER MARS")
    assert row["booking_date"] == dt.date(2024, 2, 29)
    assert row["amount"] == Decimal("-1.00")  # a negative amount with DBIT is a debit


def test_stet_structured_reference_is_the_label_without_unstructured_text() -> None:
    entry = stet_entry(remittanceInformation={
        "structured": [{"creditorReferenceInformation": {"reference": "RF18539007547034"}}]})
    row = read_stet(body(stet_page(entry)), "s.json").records.row(0, named=True)
    assert (row["raw_label"], row["label_complement"]) == ("RF18539007547034", None)


def test_stet_pending_and_other_statuses_are_quarantined_missing_status_rejected() -> None:
    no_status = stet_entry()
    del no_status["status"]
    page = stet_page(stet_entry(), stet_entry(status="PDNG"), stet_entry(status="OTHR"),
                     no_status, stet_entry(status="GONE"))
    result = read_stet(body(page), "s.json")
    assert result.records.height == 1
    assert reasons(result) == ["pending_not_booked", "pending_not_booked", "missing_field",
                               "malformed_record"]
    assert result.rejects["source_position"].to_list() == [
        f"page 1 / transactions[{i}]" for i in (1, 2, 3, 4)]
    assert "PDNG" in result.rejects["detail"][0]
    assert "OTHR" in result.rejects["detail"][1]
    assert json.loads(result.rejects["raw_record"][0])["status"] == "PDNG"


def test_stet_indicator_problems_are_rejected() -> None:
    page = stet_page(stet_entry(creditDebitIndicator=None), stet_entry(creditDebitIndicator="DB"),
                     stet_entry(creditDebitIndicator="CRDT",
                                transactionAmount={"currency": "EUR", "amount": "-3.00"}))
    result = read_stet(body(page), "s.json")
    assert reasons(result) == ["missing_field", "malformed_record", "malformed_record"]
    assert "contradicts" in result.rejects["detail"][2]


def test_stet_account_from_argument_wins_over_links() -> None:
    result = read_stet(body(stet_page(stet_entry())), "s.json", account_ref="FR76ARG")
    assert result.records["account_ref"].to_list() == ["FR76ARG"]


def test_stet_without_account_asks_for_account_ref() -> None:
    data = (DATA / "stet_without_account.json").read_bytes()
    with pytest.raises(IngestError, match="pass account_ref="):
        read_stet(data, "stet_without_account.json")
    assert read_stet(data, "s.json", account_ref=IBAN).records.height == 1


# --------------------------------------------------------------------------- both flavours


def test_concatenated_pages_and_arrays_of_pages_are_all_read() -> None:
    one, two = berlin_page(berlin_entry()), berlin_page(berlin_entry(), berlin_entry())
    data = body(one) + b"\n\n" + body([two, one])
    result = read_berlin_group(data, "b.json")
    assert result.records["source_position"].to_list() == [
        "page 1 / booked[0]", "page 2 / booked[0]", "page 2 / booked[1]", "page 3 / booked[0]"]


def test_raw_record_is_the_entry_text_as_written_in_the_file() -> None:
    data = b'{"transactions": [ {"status": "BOOK",  "bookingDate": "2024-03-01"} ]}'
    result = read_stet(data, "s.json", account_ref=IBAN)
    assert result.rejects["raw_record"].to_list() == ['{"status": "BOOK",  "bookingDate": '
                                                      '"2024-03-01"}']


@pytest.mark.parametrize(("change", "reason", "detail"), [
    ({"bookingDate": None}, "missing_field", "bookingDate is missing"),
    ({"transactionAmount": {"currency": "EUR"}}, "missing_field", "amount is missing"),
    ({"remittanceInformationUnstructured": None}, "missing_field", "label"),
    ({"transactionAmount": {"currency": "EUR", "amount": "12.345"}}, "unparseable_amount",
     "got '12.345'"),
    ({"transactionAmount": {"currency": "EUR", "amount": "1e3"}}, "unparseable_amount", "1e3"),
    ({"transactionAmount": {"amount": "1.00"}}, "missing_currency", "currency is missing"),
    ({"transactionAmount": {"currency": "eur", "amount": "1.00"}}, "unknown_currency",
     "got 'eur'"),
    ({"bookingDate": "01/03/2024"}, "unparseable_date", "got '01/03/2024' for bookingDate"),
    ({"valueDate": "2023-02-29"}, "unparseable_date", "valueDate"),
    ({"creditorName": 42}, "malformed_record", "creditorName is a number"),
    ({"transactionAmount": "12.30"}, "malformed_record", "transactionAmount is a string"),
])
def test_bad_entries_are_rejected_with_reason_and_detail(change: dict[str, Any], reason: str,
                                                         detail: str) -> None:
    result = read_berlin_group(body(berlin_page(berlin_entry(), berlin_entry(**change))), "b")
    assert result.records.height == 1
    assert reasons(result) == [reason]
    assert reason in REASONS
    assert detail in result.rejects["detail"][0]
    assert result.rejects["source_position"][0] == "page 1 / booked[1]"


def test_trailing_zero_decimals_are_exact() -> None:
    entry = berlin_entry(transactionAmount={"currency": "EUR", "amount": "+7.5000"})
    row = read_berlin_group(body(berlin_page(entry)), "b.json").records.row(0, named=True)
    assert row["amount"] == Decimal("7.50")


def test_details_never_quote_personal_data() -> None:
    secret = "JEAN DUPONT FR7630006000011234567890189"
    page = berlin_page(berlin_entry(transactionAmount={"currency": "EUR", "amount": secret}),
                       berlin_entry(bookingDate=secret),
                       berlin_entry(transactionAmount={"currency": secret, "amount": "1.00"}))
    result = read_berlin_group(body(page), "b.json")
    assert result.rejects.height == 3
    for detail in result.rejects["detail"]:
        assert "DUPONT" not in detail
        assert "FR76" not in detail


def test_entry_that_is_not_an_object_is_malformed() -> None:
    result = read_stet(body(stet_page(stet_entry(), [1, 2], "x")), "s.json")
    assert reasons(result) == ["malformed_record", "malformed_record"]
    assert result.rejects["raw_record"].to_list() == ["[1, 2]", '"x"']


def test_malformed_page_is_one_reject_when_other_pages_are_valid() -> None:
    data = body(stet_page(stet_entry()), {"error": "too many requests"})
    result = read_stet(data, "s.json")
    assert result.records.height == 1
    assert result.rejects.select("source_position", "reason").rows() == [
        ("page 2", "malformed_record")]


def test_lone_surrogate_escape_is_an_encoding_error() -> None:
    data = body(berlin_page(berlin_entry())).replace(b"CARREFOUR", b"CARRE\\udc80FOUR")
    result = read_berlin_group(data, "b.json")
    assert reasons(result) == ["encoding_error"]
    assert "\\udc80" in result.rejects["raw_record"][0]


@pytest.mark.parametrize("encode", [
    lambda text: b"\xef\xbb\xbf" + text.encode(), lambda text: text.encode("utf-16")])
def test_utf8_bom_and_utf16_bodies_are_read(encode: Callable[[str], bytes]) -> None:
    page = berlin_page(berlin_entry(remittanceInformationUnstructured="CAFÉ DE LA GARE"))
    result = read_berlin_group(encode(json.dumps(page, ensure_ascii=False)), "b.json")
    assert result.records["raw_label"].to_list() == ["CAFÉ DE LA GARE"]


def test_body_over_max_bytes_is_refused() -> None:
    data = body(berlin_page(berlin_entry()))
    with pytest.raises(IngestError, match="max_bytes=100"):
        read_berlin_group(data, "b.json", max_bytes=100)


def test_nesting_deeper_than_max_depth_is_refused_but_brackets_in_strings_do_not_count() -> None:
    entry = berlin_entry(remittanceInformationUnstructured="[[[[[[[[[[ {{{{ \\\" [[[[")
    data = body(berlin_page(entry))
    # page > transactions > booked > entry > transactionAmount
    assert read_berlin_group(data, "b.json", max_depth=5).records.height == 1
    with pytest.raises(IngestError, match="nested 5 levels deep, more than max_depth=4"):
        read_berlin_group(data, "b.json", max_depth=4)


# --------------------------------------------------------------------------- broken files


def test_truncated_json_names_line_and_column() -> None:
    with pytest.raises(IngestError, match=r"berlin_truncated\.json: cannot read as berlin at "
                                          r"line \d+ column \d+: invalid JSON"):
        read_berlin_group((DATA / "berlin_truncated.json").read_bytes(), "berlin_truncated.json")


def test_latin1_bytes_reject_only_the_entries_holding_them() -> None:
    result = read_berlin_group((DATA / "berlin_latin1.json").read_bytes(), "latin1.json")
    assert result.rejects.select("source_position", "reason").rows() == [
        ("page 1 / booked[0]", "encoding_error"), ("page 1 / pending[0]", "pending_not_booked")]
    assert "\\udcc9" in result.rejects["raw_record"][0]  # the byte stays visible, escaped
    assert result.records["raw_label"].to_list() == ["VIR RECU 1234567", "VIR SEPA RECU"]


def test_bad_amount_file_rejects_one_entry_and_keeps_the_others() -> None:
    result = read_berlin_group((DATA / "berlin_bad_amount.json").read_bytes(), "bad.json")
    assert result.records.height == 2
    assert result.rejects.select("source_position", "reason").rows() == [
        ("page 1 / booked[1]", "unparseable_amount"), ("page 1 / pending[0]", "pending_not_booked")]
    assert "'12,3,4'" in result.rejects["detail"][0]
    assert result.records["label_complement"].to_list() == [None, "/DE ACME SAS /MOTIF SALAIRE"]


def test_impossible_date_file_is_rejected_as_unparseable_date() -> None:
    result = read_stet((DATA / "stet_bad_date.json").read_bytes(), "bad_date.json")
    assert result.records["account_ref"].to_list() == ["Alias1"]
    assert result.rejects.select("source_position", "reason").rows() == [
        ("page 1 / transactions[1]", "unparseable_date"),
        ("page 1 / transactions[2]", "pending_not_booked")]
    assert "'2024-02-31'" in result.rejects["detail"][0]


@pytest.mark.parametrize("reader", [read_stet, read_berlin_group])
def test_empty_file_is_an_ingest_error(reader: Any) -> None:
    with pytest.raises(IngestError, match=r"empty\.json: .* at start: empty body"):
        reader((DATA / "empty.json").read_bytes(), "empty.json")


def test_booked_empty_is_an_empty_berlin_result_and_not_stet() -> None:
    data = (DATA / "berlin_booked_empty.json").read_bytes()
    result = read_berlin_group(data, "empty_booked.json")
    assert (result.records.height, result.rejects.height) == (0, 0)
    with pytest.raises(IngestError, match=r"page 1: transactions is an object, expected an "
                                          r"array of transactions \(STET\)"):
        read_stet(data, "empty_booked.json")


@pytest.mark.parametrize("reader", [read_stet, read_berlin_group])
def test_deeply_nested_file_is_refused_without_recursion_error(reader: Any) -> None:
    with pytest.raises(IngestError, match="nested 5000 levels deep"):
        reader((DATA / "deeply_nested.json").read_bytes(), "deep.json")


# --------------------------------------------------------------------------- properties

_LEAVES = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats()
           | st.text(max_size=12)
           | st.sampled_from(["", "BOOK", "PDNG", "DBIT", "CRDT", "EUR", "-1.50", "2024-02-31",
                              "12,3,4", "2024-01-01T10:00:00Z", "\udc80"]))
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)

_BERLIN_BASE = [berlin_page(
    berlin_entry(creditorName="A", creditorAccount={"iban": "FR76****1"},
                 bankTransactionCode="PMNT-ICDT-ESCT"),
    berlin_entry(transactionAmount={"currency": "EUR", "amount": "3.00"}, debtorName="B",
                 remittanceInformationUnstructuredArray=["X", "Y"]),
    pending=[berlin_entry()]), berlin_page(berlin_entry())]
_STET_BASE = [stet_page(
    stet_entry(relatedParties={"creditor": {"name": "C"}}),
    stet_entry(status="PDNG"),
    stet_entry(creditDebitIndicator="CRDT", bankTransactionCode={"code": "X"})),
    stet_page(stet_entry())]


def _slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indices)."""
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    found = []
    for key, inner in items:
        found.append((*path, key))
        found.extend(_slots(inner, (*path, key)))
    return found


@st.composite
def _mutated(draw: st.DrawFn, base: list[Any]) -> list[Any]:
    pages = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(pages)
        if not slots:
            break
        path = draw(st.sampled_from(slots))
        parent = pages
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_VALUES)
    return pages


def _check(reader: Any, fmt: str, pages: list[Any], as_array: bool, account: str | None) -> None:
    data = (json.dumps(pages) if as_array else "\n".join(json.dumps(p) for p in pages)).encode()
    try:
        result = reader(data, "mutated.json", account_ref=account)
    except IngestError:
        return
    # One document per line: a document that is an array is itself a list of pages.
    documents = [pages] if as_array else pages
    found = [page for doc in documents for page in (doc if isinstance(doc, list) else [doc])]
    assert result.n_found == psd2_page_entries(found, fmt)
    assert set(result.rejects["reason"].to_list()) <= set(REASONS)


_PROPERTY = settings(max_examples=120, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(pages=_mutated(_BERLIN_BASE), as_array=st.booleans(),
       account=st.sampled_from([None, IBAN]))
def test_mutated_berlin_bodies_only_raise_ingest_error_and_account_for_every_entry(
        pages: list[Any], as_array: bool, account: str | None) -> None:
    _check(read_berlin_group, "berlin", pages, as_array, account)


@_PROPERTY
@given(pages=_mutated(_STET_BASE), as_array=st.booleans(),
       account=st.sampled_from([None, IBAN]))
def test_mutated_stet_bodies_only_raise_ingest_error_and_account_for_every_entry(
        pages: list[Any], as_array: bool, account: str | None) -> None:
    _check(read_stet, "stet", pages, as_array, account)


@_PROPERTY
@given(flavour=st.sampled_from(["stet", "berlin"]), data=st.data())
def test_random_byte_edits_only_raise_ingest_error_and_reconcile_when_parseable(flavour: str,
                                                                  data: st.DataObject) -> None:
    reader, base = (read_stet, _STET_BASE) if flavour == "stet" else (read_berlin_group,
                                                                        _BERLIN_BASE)
    raw = bytearray(body(*base))
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(raw)))
        edit = data.draw(st.sampled_from(["cut", "set", "insert"]))
        if edit == "cut":
            del raw[at:]
        elif edit == "set" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4)
                                   | st.sampled_from([b"[", b"{", b'"', b"\\", b",", b"\\ud800"]))
    try:
        result = reader(bytes(raw), "edited.json", account_ref=IBAN)
    except IngestError:
        return
    pages = _documents(bytes(raw))
    if pages is not None:
        assert result.n_found == psd2_page_entries(pages, flavour)


def _documents(raw: bytes) -> list[Any] | None:
    """The pages of concatenated JSON documents, or None when they do not parse."""
    try:
        text = raw.decode("utf-8")
        decoder, index, pages = json.JSONDecoder(), 0, []
        while text[index:].strip():
            index += len(text[index:]) - len(text[index:].lstrip())
            document, index = decoder.raw_decode(text, index)
            pages.extend(document if isinstance(document, list) else [document])
    except ValueError:
        return None
    return pages
