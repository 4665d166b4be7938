"""From what a reader found to canonical transactions: validate, identify, fingerprint.

Readers already parsed amounts and dates; here every format gets the same rules: a
currency that is ISO 4217, a label and an account, a booking date not too far in the
future, no movement repeated under the same bank reference in one file. What passes gets
pseudonymous ids and its fingerprint; what fails goes to quarantine with a reason.
Masking of personal data is a separate, later step (``ledgerlens.privacy``): the canonical
rows built here keep the bank's text untouched, so that they can be compared exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from ledgerlens.identity import OccurrenceCounter, transaction_fingerprints
from ledgerlens.ingest._records import QUARANTINE_RECORD, STATEMENT_RECORD, ReadResult
from ledgerlens.privacy import Pseudonymizer
from ledgerlens.schema import ISO_4217, TRANSACTIONS

__all__ = ["Normalized", "normalize"]

#: How far in the future a booking date may be (value dating, time zones) before rejection.
FUTURE_TOLERANCE_DAYS = 7


@dataclass(frozen=True)
class Normalized:
    """Canonical transactions accepted from one read, and the rejects of every step."""

    transactions: pl.DataFrame  # schema.TRANSACTIONS, labels untouched
    rejects: pl.DataFrame  # QUARANTINE_RECORD rows (reader rejects first, then these)
    masked: pl.DataFrame | None = None  # the transactions masked, when ``mask`` was given


def _reject(frame: pl.DataFrame, reason: str, detail: pl.Expr | str) -> pl.DataFrame:
    detail_expr = pl.lit(detail) if isinstance(detail, str) else detail
    return frame.select(
        "source_position", reason=pl.lit(reason), detail=detail_expr.cast(pl.String),
        raw_record="raw_record")


def _repeated_references(records: pl.DataFrame) -> pl.Series | None:
    """Rows repeating an earlier row's bank reference and content (None when none does).

    Only rows with a reference can repeat one, so only they are grouped: a CSV export
    without references costs nothing here."""
    refs = records["end_to_end_id"].is_not_null()
    if not refs.any():
        return None
    content = ["account_ref", "end_to_end_id", "booking_date", "amount", "raw_label"]
    later = (records.select(*content, _i=pl.int_range(pl.len(), dtype=pl.UInt32))
             .filter(refs)
             .filter(pl.int_range(pl.len()).over(content) > 0)["_i"])
    if later.is_empty():
        return None
    return pl.repeat(False, records.height, eager=True).scatter(later, True)


def normalize(
    result: ReadResult,
    *,
    tenant_id: str,
    source_file: str,
    pseudonymizer: Pseudonymizer,
    ingested_at: dt.datetime,
    customer_refs: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    mask: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    occurrences: OccurrenceCounter | None = None,
) -> Normalized:
    """Canonical transactions of ``result`` and every reject, reader's and ours.

    ``customer_refs`` maps an account reference (IBAN) to the bank's customer number;
    accounts missing from it are taken to be their own customer. ``mask`` (a table-in,
    table-out masking of personal data) also gives ``masked``: it runs on a second thread
    while the fingerprints are computed, which hold the interpreter while masking mostly
    runs in Polars, so that the two overlap on a machine with two cores or more.
    ``occurrences`` carries the numbering of identical movements from one batch of a file
    to the next (see ``transaction_fingerprints``).
    """
    records = result.records
    if records.schema != STATEMENT_RECORD:
        raise TypeError("records do not follow STATEMENT_RECORD")
    limit = (today or ingested_at.date()) + dt.timedelta(days=FUTURE_TOLERANCE_DAYS)
    currency = pl.col("currency").str.strip_chars().str.to_uppercase()
    records = records.with_columns(currency=currency)
    label_missing = pl.col("raw_label").is_null() | (pl.col("raw_label").str.strip_chars() == "")
    checks: list[tuple[str, pl.Expr, pl.Expr | str]] = [
        ("missing_field", pl.col("account_ref").is_null() | (pl.col("account_ref") == ""),
         "no account reference"),
        ("missing_field", label_missing, "empty label"),
        ("missing_currency", pl.col("currency").is_null() | (pl.col("currency") == ""),
         "no currency"),
        ("unknown_currency", ~pl.col("currency").is_in(sorted(ISO_4217)),
         pl.format("currency {} is not ISO 4217", pl.col("currency"))),
        ("future_date", pl.col("booking_date") > pl.lit(limit),
         pl.format("booked on {}, after {}", pl.col("booking_date"), pl.lit(str(limit)))),
    ]
    # The first failed check names the reason; one pass splits kept rows from rejects.
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    detail: pl.Expr = pl.lit(None, dtype=pl.String)
    for code, bad, why in reversed(checks):
        why_expr = pl.lit(why) if isinstance(why, str) else why.cast(pl.String)
        reason = pl.when(bad.fill_null(True)).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(bad.fill_null(True)).then(why_expr).otherwise(detail)
    records = records.with_columns(_reason=reason)
    failed = records.filter(pl.col("_reason").is_not_null())
    rejected: list[pl.DataFrame] = [result.rejects, failed.select(
        "source_position", reason="_reason", detail=detail, raw_record="raw_record")]
    records = records.filter(pl.col("_reason").is_null()).drop("_reason")
    # The same bank reference twice in one file, with the same content, is the file
    # repeating itself; identical movements without a reference are real (double charge).
    repeated = _repeated_references(records)
    if repeated is not None:
        rejected.append(_reject(records.filter(repeated), "duplicate_in_file",
                                "same bank reference and content earlier in the file"))
        records = records.filter(~repeated)

    customer = pl.col("account_ref")
    if customer_refs:
        customer = pl.col("account_ref").replace_strict(
            dict(customer_refs), default=pl.col("account_ref"), return_dtype=pl.String)
    refs = records.select(account=pl.col("account_ref"), customer=customer)
    tx = records.with_columns(
        tenant_id=pl.lit(tenant_id),
        account_id=pseudonymizer.account_ids(refs["account"], tenant_id),
        customer_id=pseudonymizer.customer_ids(refs["customer"], tenant_id),
        source_format=pl.lit(result.format),
        source_file=pl.lit(source_file),
        ingested_at=pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")),
    )
    masked: pl.DataFrame | None = None
    if mask is None:
        ids = transaction_fingerprints(tx, occurrences)
    else:
        with ThreadPoolExecutor(1, thread_name_prefix="ledgerlens-mask") as pool:
            masking = pool.submit(mask, tx.select(c for c in TRANSACTIONS.names
                                                  if c != "transaction_id"))
            ids = transaction_fingerprints(tx, occurrences)
            masked = TRANSACTIONS.conform(masking.result().with_columns(transaction_id=ids))
    tx = tx.with_columns(transaction_id=ids)
    rejects = pl.concat([r.select(QUARANTINE_RECORD.names()).cast(QUARANTINE_RECORD)
                         for r in rejected])
    return Normalized(TRANSACTIONS.conform(tx), rejects, masked)
