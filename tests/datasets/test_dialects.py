"""Bank label dialects: every bank writes every movement, distinctly, with exact PII spans."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.datasets._dialects import (
    AGGREGATOR_DIALECT_ID,
    BANK_DIALECT_IDS,
    DIALECT_IDS,
    DIALECTS,
    LABEL_KINDS,
    dialect_weights,
    render_labels,
)
from ledgerlens.exceptions import DataError
from ledgerlens.schema import PII_SPAN_DTYPE, TRANSACTION_TYPES

BY_ID = {d.id: d for d in DIALECTS}

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "dialect": pl.String(), "transaction_type": pl.String(), "label_kind": pl.String(),
    "booking_date": pl.Date(), "operation_date": pl.Date(), "operation_minute": pl.Int16(),
    "amount": pl.Float64(), "original_amount": pl.Float64(), "original_currency": pl.String(),
    "fx_rate": pl.Float64(), "descriptor": pl.String(), "city": pl.String(),
    "country": pl.String(), "card_last4": pl.String(), "card_bin": pl.String(),
    "person_title": pl.String(), "person_first": pl.String(), "person_last": pl.String(),
    "motif": pl.String(), "motif_pii_kind": pl.String(), "motif_pii_value": pl.String(),
    "reference": pl.String(), "mandate_id": pl.String(), "creditor_id": pl.String(),
    "cheque_number": pl.String(), "loan_number": pl.String(),
}

# Every field set: the fullest label each template can write.
FULL: dict[str, Any] = {
    "booking_date": dt.date(2024, 11, 29), "operation_date": dt.date(2024, 11, 28),
    "operation_minute": 12 * 60 + 34, "amount": -12.5, "original_amount": 12.99,
    "original_currency": "USD", "fx_rate": 1.0712, "descriptor": "CARREFOUR CITY",
    "city": "PARIS 15", "country": "US", "card_last4": "1234", "card_bin": "497401",
    "person_title": "M", "person_first": "JEAN", "person_last": "DUPONT",
    "motif": "LOYER JANVIER", "reference": "REF2024112900123", "mandate_id": "++R1234567",
    "creditor_id": "FR12ZZZ123456", "cheque_number": "1234567", "loan_number": "12345678",
}

PERSON_KINDS = ("transfer_in", "transfer_out", "instant_transfer_in", "instant_transfer_out",
                "p2p_app", "standing_order")
CARD_KINDS = ("card_in_store", "card_online", "card_contactless", "card_abroad")


def type_of(kind: str) -> str:
    """The transaction type a label kind belongs to."""
    if kind in TRANSACTION_TYPES:
        return kind
    return {"fx_fee": "fee", "bank_fee": "fee", "card_refund": "refund",
            "salary": "transfer_in", "pension": "transfer_in", "benefit": "transfer_in",
            "tax": "direct_debit", "p2p_app": "instant_transfer_out",
            "standing_order": "transfer_out"}[kind]


def make_events(rows: list[dict[str, Any]], **defaults: Any) -> pl.DataFrame:
    """An events frame: each row is ``defaults`` updated by the row; unset columns are null."""
    records = []
    for row in rows:
        record = {"booking_date": FULL["booking_date"], "operation_date": FULL["operation_date"],
                  "amount": -10.0, **defaults, **row}
        if "transaction_type" not in record:
            record["transaction_type"] = type_of(record["label_kind"])
        records.append({name: record.get(name) for name in EVENT_SCHEMA})
    return pl.DataFrame(records, schema=EVENT_SCHEMA)


def rendered(rows: list[dict[str, Any]], **defaults: Any) -> list[dict[str, Any]]:
    return render_labels(make_events(rows, **defaults)).to_dicts()


def test_dialect_registry_has_nine_distinct_banks_and_an_aggregator() -> None:
    assert len(BANK_DIALECT_IDS) >= 9
    assert len(set(DIALECT_IDS)) == len(DIALECT_IDS)
    assert AGGREGATOR_DIALECT_ID in DIALECT_IDS
    assert AGGREGATOR_DIALECT_ID not in BANK_DIALECT_IDS
    weights = dialect_weights()
    assert weights.shape == (len(BANK_DIALECT_IDS),)
    assert weights.sum() == pytest.approx(1.0)
    assert (weights > 0).all()
    assert {d.max_len for d in DIALECTS} >= {32, 40, 50, None}
    assert any(d.two_lines for d in DIALECTS)
    assert len({d.date_style for d in DIALECTS}) >= 5


@pytest.mark.parametrize("fields", ["full", "minimal"])
def test_every_dialect_renders_every_label_kind(fields: str) -> None:
    base = FULL if fields == "full" else {}
    rows = [{"dialect": d, "label_kind": k, "amount": sign * 42.0}
            for d in DIALECT_IDS for k in LABEL_KINDS for sign in (-1, 1)]
    out = render_labels(make_events(rows, **base))
    assert out.height == len(rows)
    assert out.schema["pii_spans"] == PII_SPAN_DTYPE
    assert out.schema["complement_pii_spans"] == PII_SPAN_DTYPE
    assert out["raw_label"].null_count() == 0
    for label in out["raw_label"]:
        assert label
        assert label == label.strip()
        assert "  " not in label
    for complement in out["label_complement"].drop_nulls():
        assert complement
        assert complement == complement.strip()


def test_labels_respect_each_dialects_max_len() -> None:
    long = {**FULL, "descriptor": "SAS DUPONT ET FILS BOULANGERIE PATISSERIE DU MARCHE",
            "city": "ISSY LES MOULINEAUX", "motif": "REMBOURSEMENT VACANCES ETE " * 4,
            "person_first": "JEAN CHRISTOPHE", "person_last": "DE LA FONTAINE"}
    rows = [{"dialect": d, "label_kind": k} for d in DIALECT_IDS for k in LABEL_KINDS]
    out = rendered(rows, **long)
    for row, label in zip(rows, out, strict=True):
        dialect = BY_ID[row["dialect"]]
        if dialect.max_len is not None:
            assert len(label["raw_label"]) <= dialect.max_len
        if label["label_complement"] is not None:
            assert dialect.two_lines
            assert len(label["label_complement"]) <= (dialect.complement_len or 10**6)
    assert any(len(o["raw_label"]) > 50 for o in out)  # untruncated dialects stay long


def test_two_line_dialects_continue_a_cut_label_in_the_complement() -> None:
    (label,) = rendered([{"dialect": "mutualist_two_line", "label_kind": "card_in_store"}],
                        **FULL)
    assert label["raw_label"] == "PAIEMENT PAR CARTE X1234 CARREFOUR CITY PARIS 15 2"
    assert label["label_complement"] == "8/11"


def test_same_events_give_the_same_labels_in_the_same_order() -> None:
    rows = [{"dialect": d, "label_kind": k, "amount": (i % 7 - 3) * 10.5}
            for i, (d, k) in enumerate((d, k) for d in DIALECT_IDS for k in LABEL_KINDS)]
    events = make_events(rows, **FULL, motif_pii_kind="phone", motif_pii_value="0612345678")
    first = render_labels(events)
    assert first.equals(render_labels(events))
    reversed_out = render_labels(events.reverse())
    assert reversed_out.equals(first.reverse())


def test_the_same_purchase_reads_differently_at_each_bank() -> None:
    out = rendered([{"dialect": d, "label_kind": "card_in_store"} for d in BANK_DIALECT_IDS],
                   **FULL)
    labels = {o["raw_label"] for o in out}
    assert len(labels) >= 8
    assert "CB CARREFOUR CITY 28/11" in labels
    assert "CARTE X1234 28/11 CARREFOUR CITY" in labels
    assert "FACTURE CARTE DU 281124 CARREFOUR CITY PARIS 15 CARTE 4974XXXXXXXX1234" in labels
    assert "PAIEMENT CB 2811 PARIS 15 CARREFOUR CITY" in labels
    assert "CB CARREFOUR CITY FACT 281124" in labels


@pytest.mark.parametrize("dialect", DIALECT_IDS)
@pytest.mark.parametrize("kind", CARD_KINDS)
def test_card_payments_contain_the_descriptor(dialect: str, kind: str) -> None:
    (out,) = rendered([{"dialect": dialect, "label_kind": kind}], **FULL)
    text = (out["raw_label"] + " " + (out["label_complement"] or "")).upper()
    descriptor = FULL["descriptor"]
    cut = out["raw_label"].upper()
    assert descriptor in text or any(cut.endswith(descriptor[:n]) for n in range(4, 15))


def test_card_abroad_shows_the_foreign_amount_with_a_decimal_comma() -> None:
    (out,) = rendered([{"dialect": "online_bank", "label_kind": "card_abroad"}], **FULL)
    assert "12,99 USD 1 EURO = 1,0712 USD" in out["raw_label"]


def test_masked_card_numbers_are_not_personal_data() -> None:
    out = rendered([{"dialect": d, "label_kind": k} for d in DIALECT_IDS for k in CARD_KINDS],
                   **FULL)
    assert all(o["pii_spans"] == [] and o["complement_pii_spans"] == [] for o in out)


def test_aggregator_labels_are_mixed_case() -> None:
    rows = [{"dialect": AGGREGATOR_DIALECT_ID, "label_kind": k} for k in LABEL_KINDS]
    for out in rendered(rows, **FULL):
        assert any(c.islower() for c in out["raw_label"]), out["raw_label"]
    (transfer,) = rendered([{"dialect": AGGREGATOR_DIALECT_ID, "label_kind": "transfer_in"}],
                           **FULL)
    name = transfer["pii_spans"][0]
    assert transfer["raw_label"][name["start"]:name["end"]] == "Jean Dupont"


def test_bank_labels_are_upper_case() -> None:
    rows = [{"dialect": d, "label_kind": k} for d in BANK_DIALECT_IDS for k in LABEL_KINDS]
    out = rendered(rows, **FULL, motif_pii_kind="email", motif_pii_value="jean.d@gmail.com")
    assert all(o["raw_label"] == o["raw_label"].upper() for o in out)


def test_counterparty_is_the_person_or_company_of_transfers_and_debits() -> None:
    rows: list[dict[str, Any]] = [{"dialect": "network_32", "label_kind": "transfer_out"},
            {"dialect": "network_32", "label_kind": "direct_debit", "person_first": None,
             "person_last": None, "descriptor": "EDF CLIENTS PARTICULIERS"},
            {"dialect": "network_32", "label_kind": "card_in_store"},
            {"dialect": "network_32", "label_kind": "cash_withdrawal"}]
    names = [o["counterparty_name"] for o in rendered(rows, **FULL)]
    assert names == ["JEAN DUPONT", "EDF CLIENTS PARTICULIERS", None, None]


def test_person_names_are_written_in_the_dialects_order() -> None:
    rows = [{"dialect": d, "label_kind": "transfer_in", "motif": None}
            for d in ("national_facture", "mutualist_two_line", "network_32", "neobank")]
    labels = [o["raw_label"] for o in rendered(rows, **FULL)]
    assert labels == ["VIR SEPA RECU /DE M JEAN DUPONT /REF REF2024112900123",
                      "VIREMENT EN VOTRE FAVEUR M DUPONT JEAN",
                      "VIR SEPA DE DUPONT J",
                      "VIREMENT DE JEAN DUPONT"]


def test_truncation_clips_a_span_and_drops_one_cut_away() -> None:
    value = "06 12 34 56 78"
    (out,) = rendered([{"dialect": "cooperative_32", "label_kind": "transfer_in",
                        "motif": "REMB", "motif_pii_kind": "phone",
                        "motif_pii_value": value}], **FULL)
    label = out["raw_label"]
    assert len(label) <= 32
    spans = {s["kind"]: label[s["start"]:s["end"]] for s in out["pii_spans"]}
    assert spans["name"] == "JEAN DUPONT"
    assert value.startswith(spans["phone"])
    assert spans["phone"] != value
    assert label.endswith(spans["phone"])
    (out,) = rendered([{"dialect": "cooperative_32", "label_kind": "transfer_in",
                        "motif": "REMBOURSEMENT DU RESTO", "motif_pii_kind": "iban",
                        "motif_pii_value": "FR7630006000011234567890189"}], **FULL)
    assert [s["kind"] for s in out["pii_spans"]] == ["name"]


def test_rejects_unknown_dialect_and_kind() -> None:
    with pytest.raises(DataError, match=r"got 'bank_z' for dialect .*row\(s\) 0"):
        render_labels(make_events([{"dialect": "bank_z", "label_kind": "cheque"}]))
    with pytest.raises(DataError, match="got 'gift' for label_kind"):
        render_labels(make_events([{"dialect": "neobank", "label_kind": "gift",
                                    "transaction_type": "transfer_in"}]))


def test_rejects_missing_columns_and_unlabelled_pii() -> None:
    events = make_events([{"dialect": "neobank", "label_kind": "cheque"}])
    with pytest.raises(DataError, match=r"lacks column.*cheque_number"):
        render_labels(events.drop("cheque_number"))
    with pytest.raises(DataError, match="motif_pii_kind is null"):
        render_labels(events.with_columns(motif_pii_value=pl.lit("0612345678")))
    with pytest.raises(DataError, match="got 'ssn' for motif_pii_kind"):
        render_labels(events.with_columns(motif_pii_kind=pl.lit("ssn")))
    with pytest.raises(DataError, match="'amount' has dtype String"):
        render_labels(events.with_columns(pl.col("amount").cast(pl.String)))


def test_empty_events_give_an_empty_frame() -> None:
    out = render_labels(make_events([]))
    assert out.height == 0
    assert out.schema["pii_spans"] == PII_SPAN_DTYPE


@pytest.mark.slow
def test_renders_a_million_mixed_rows() -> None:
    rows = [{"dialect": d, "label_kind": k, "amount": s * 12.34}
            for d in DIALECT_IDS for k in LABEL_KINDS for s in (-1, 1)]
    small = make_events(rows, **FULL, motif_pii_kind="phone", motif_pii_value="0612345678")
    events = small.sample(1_000_000, with_replacement=True, seed=1)
    out = render_labels(events)
    assert out.height == 1_000_000
    assert out["raw_label"].null_count() == 0


# ----------------------------------------------------------------- PII spans (property test)

UPPER = st.text(string.ascii_uppercase, min_size=1, max_size=10)
NAMES = st.builds(lambda a, b: f"{a} {b}" if b else a, UPPER, st.none() | UPPER)
PII_VALUES = {
    "phone": st.from_regex(r"0[67]( ?[0-9]{2}){4}|\+33[67][0-9]{8}", fullmatch=True),
    "email": st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?@[a-z]{2,8}\.(fr|com)", fullmatch=True),
    "iban": st.from_regex(r"FR76[0-9]{23}", fullmatch=True),
    "card_number": st.from_regex(r"4[0-9]{15}", fullmatch=True),
    "national_id": st.from_regex(r"[12] [0-9]{2} [0-9]{2} [0-9]{2} [0-9]{3} [0-9]{3} [0-9]{2}",
                                 fullmatch=True),
}


@st.composite
def person_events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(PII_VALUES)))
    return {
        "dialect": draw(st.sampled_from(DIALECT_IDS)),
        "label_kind": draw(st.sampled_from(PERSON_KINDS)),
        "amount": draw(st.sampled_from([-55.0, 55.0])),
        "descriptor": "LYDIA",
        "person_title": draw(st.sampled_from(["M", "MME", "MLLE", None])),
        "person_first": draw(st.none() | NAMES),
        "person_last": draw(NAMES),
        "motif": draw(st.none() | st.from_regex(r"[A-Z]{1,10}( [A-Z0-9]{1,8}){0,3}",
                                                 fullmatch=True)),
        "motif_pii_kind": kind,
        "motif_pii_value": draw(PII_VALUES[kind]),
    }


def substituted(text: str | None) -> str | None:
    """The same shape with other characters: same length, same letter case and digits."""
    if text is None:
        return None
    table = str.maketrans(string.ascii_uppercase + string.ascii_lowercase + string.digits,
                          "QWERTZUIOPASDFGHJKLYXCVBNM" "qwertzuiopasdfghjklyxcvbnm" "7395104826")
    return text.translate(table)


def name_forms(event: dict[str, Any]) -> list[str]:
    first, last = event["person_first"], event["person_last"]
    if first is None:
        return [last]
    return [f"{first} {last}", f"{last} {first}", f"{last} {first[0]}"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person_events())
def test_pii_spans_cover_exactly_the_personal_data(event: dict[str, Any]) -> None:
    twin = {**event, **{k: substituted(event[k]) for k in
                        ("person_first", "person_last", "motif_pii_value")}}
    out, twin_out = rendered([event, twin], **{**FULL, "reference": None})
    dialect = BY_ID[event["dialect"]]
    expected = {"name": [f.upper() for f in name_forms(event)],
                event["motif_pii_kind"]: [event["motif_pii_value"].upper()]}
    for text_key, spans_key in (("raw_label", "pii_spans"),
                                ("label_complement", "complement_pii_spans")):
        text, spans = out[text_key] or "", out[spans_key]
        for span in spans:
            assert 0 <= span["start"] < span["end"] <= len(text)
            piece = text[span["start"]:span["end"]].upper()
            forms = expected[span["kind"]]
            if text_key == "raw_label":  # a cut value keeps its beginning
                assert any(f.startswith(piece) for f in forms), (text, span)
            else:  # a value cut by the main line goes on in the complement
                assert any(piece in f for f in forms), (text, span)
        # Changing only the personal data changes only characters inside the spans.
        twin_text = twin_out[text_key] or ""
        assert len(twin_text) == len(text)
        assert twin_out[spans_key] == spans
        covered = {i for s in spans for i in range(s["start"], s["end"])}
        assert {i for i, (a, b) in enumerate(zip(text, twin_text, strict=True))
                if a != b} <= covered
    if dialect.max_len is None and not dialect.two_lines:
        pieces = {(s["kind"], out["raw_label"][s["start"]:s["end"]].upper())
                  for s in out["pii_spans"]}
        assert (event["motif_pii_kind"], event["motif_pii_value"].upper()) in pieces
        assert any(kind == "name" and piece in expected["name"] for kind, piece in pieces)
