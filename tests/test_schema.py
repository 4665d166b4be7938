"""The canonical schema accepts good tables and names what is wrong in bad ones."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.exceptions import SchemaValidationError
from ledgerlens.schema import (
    GROUND_TRUTH,
    TABLES,
    TRANSACTIONS,
    render_markdown,
    validate,
)


def _transactions(n: int = 3) -> pl.DataFrame:
    rows = {
        "tenant_id": ["bank1"] * n,
        "transaction_id": [f"{i:032x}" for i in range(n)],
        "account_id": ["acc_1"] * n,
        "customer_id": ["cus_1"] * n,
        "booking_date": [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "value_date": [None] * n,
        "amount": [decimal.Decimal("-12.30")] * n,
        "currency": ["EUR"] * n,
        "raw_label": ["CB CARREFOUR CITY 28/11"] * n,
        "label_complement": [None] * n,
        "counterparty_name": [None] * n,
        "counterparty_iban": ["FR76****1234"] * n,
        "mcc": ["5411"] * n,
        "bank_transaction_code": [None] * n,
        "source_format": ["csv"] * n,
        "source_file": ["x.csv"] * n,
        "ingested_at": [dt.datetime(2025, 2, 1, tzinfo=dt.UTC)] * n,
    }
    return pl.DataFrame(rows, schema=TRANSACTIONS.polars_schema)


def test_accepts_a_well_formed_table() -> None:
    report = validate(_transactions(), TRANSACTIONS)
    assert report.ok, report.summary()


def test_accepts_arrow_and_lazy_tables() -> None:
    frame = _transactions()
    assert validate(frame.to_arrow(), TRANSACTIONS).ok
    assert validate(frame.lazy(), TRANSACTIONS).ok


def test_rejects_missing_column_naming_it() -> None:
    report = validate(_transactions().drop("currency"), TRANSACTIONS)
    assert not report.ok
    [v] = report.violations
    assert (v.column, v.rule) == ("currency", "missing_column")
    with pytest.raises(SchemaValidationError, match="missing column 'currency'"):
        report.raise_for_errors()


def test_rejects_wrong_dtype_naming_column_and_types() -> None:
    frame = _transactions().with_columns(pl.col("amount").cast(pl.Float64))
    report = validate(frame, TRANSACTIONS)
    [v] = report.violations
    assert v.rule == "wrong_dtype"
    assert "'amount' has dtype Float64, expected Decimal" in v.message


def test_rejects_null_where_not_allowed_naming_rows() -> None:
    frame = _transactions(4).with_columns(
        booking_date=pl.when(pl.int_range(pl.len()) == 2).then(None)
        .otherwise(pl.col("booking_date")))
    [v] = validate(frame, TRANSACTIONS).violations
    assert (v.column, v.rule, v.rows, v.count) == ("booking_date", "null", (2,), 1)
    assert "column 'booking_date' is null in row 2" in v.message


def test_rejects_non_iso_currency_quoting_the_value() -> None:
    frame = _transactions().with_columns(
        currency=pl.Series(["EUR", "EURO", "usd"]))
    [v] = validate(frame, TRANSACTIONS).violations
    assert v.rows == (1, 2)
    assert "'currency' is not an allowed value in rows 1, 2" in v.message
    assert "'EURO'" in v.message


def test_never_quotes_personal_data_in_messages() -> None:
    frame = _transactions().with_columns(raw_label=pl.Series(["ok", None, "ok"]))
    [v] = validate(frame, TRANSACTIONS).violations
    assert v.column == "raw_label"
    bad = _transactions().with_columns(counterparty_iban=pl.lit("FR7630006000011234567890189"))
    [w] = validate(bad, TRANSACTIONS).violations
    assert "FR7630006000011234567890189" in w.message  # masked column: value may be quoted
    assert not TRANSACTIONS.column("counterparty_iban").pii


def test_rejects_duplicate_keys() -> None:
    frame = pl.concat([_transactions(2), _transactions(2).head(1)])
    [v] = validate(frame, TRANSACTIONS).violations
    assert v.rule == "duplicate_key"
    assert v.rows == (0, 2)


def test_counts_every_offending_row_but_quotes_a_few() -> None:
    frame = _transactions(50).with_columns(mcc=pl.lit("54"))
    [v] = validate(frame, TRANSACTIONS).violations
    assert v.count == 50
    assert len(v.rows) == 5
    assert "and 45 more" in v.message


def test_ground_truth_checks_taxonomy_ids() -> None:
    truth = pl.DataFrame({
        "tenant_id": ["t"], "transaction_id": ["0" * 32], "merchant_id": [None],
        "category": ["groceries"], "subcategory": ["not_a_subcategory"],
        "transaction_type": ["card_in_store"], "intermediary": [None],
        "recurring_stream_id": [None], "is_income": [False], "dialect": ["x"],
        "pii_spans": [[]], "complement_pii_spans": [[]],
    }, schema=GROUND_TRUTH.polars_schema)
    [v] = validate(truth, GROUND_TRUTH).violations
    assert v.column == "subcategory"


def test_arrow_schema_carries_nullability_and_version() -> None:
    schema = TRANSACTIONS.arrow_schema
    assert not schema.field("amount").nullable
    assert schema.field("value_date").nullable
    assert schema.metadata[b"schema_version"] == b"1.0.0"


def test_every_table_has_documented_columns() -> None:
    for table in TABLES.values():
        assert table.columns
        assert all(c.description for c in table.columns)
        assert set(table.key) <= set(table.names)


def test_committed_schema_doc_is_up_to_date() -> None:
    doc = Path(__file__).parents[1] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(), "run `make docs`"
