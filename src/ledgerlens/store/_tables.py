"""The lake's tables: columns (from the canonical schema), partitioning and Delta settings.

Each table is a ``TableSchema`` plus how it is laid out on disk. Statistics (min/max per
file, kept in the Delta log) are collected only for columns that carry no personal data,
so that the log never holds a label, a name or a customer id: the log outlives deleted
files and must not be where erased data survives.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ledgerlens.schema import TRANSACTIONS, Column, TableSchema

__all__ = [
    "INGESTION_LOG",
    "LAKE_TABLES",
    "PRIVACY_AUDIT",
    "QUARANTINE",
    "TRANSACTIONS_TABLE",
    "LakeTable",
]

_UTC = pl.Datetime("us", "UTC")
_MONTH_PATTERN = r"[0-9]{4}-[0-9]{2}"


@dataclass(frozen=True)
class LakeTable:
    """A lake table: its schema, partition columns and the columns with file statistics.

    ``month_from`` names the column whose date gives the ``month`` partition ("YYYY-MM");
    it is derived on write, never taken from the caller. ``distinct_columns`` hold a
    different value on every row (hashes): they are written without a Parquet dictionary,
    which could only grow the file and slow the write.
    """

    schema: TableSchema
    partition_by: tuple[str, ...]
    stats_columns: tuple[str, ...]
    month_from: str | None = None
    distinct_columns: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def has_customers(self) -> bool:
        return "customer_id" in self.schema.names

    @property
    def configuration(self) -> dict[str, str | None]:
        """Delta table properties set when the table is created."""
        return {"delta.dataSkippingStatsColumns": ",".join(self.stats_columns)}


def _c(name: str, dtype: pl.DataType, nullable: bool, description: str, *,
       pattern: str | None = None, pii: bool = False) -> Column:
    return Column(name, dtype, nullable, description, pattern=pattern, pii=pii)


def _month(what: str) -> Column:
    return _c("month", pl.String(), False, f"Partition: month of {what} (YYYY-MM).",
              pattern=_MONTH_PATTERN)


TRANSACTIONS_TABLE = LakeTable(
    schema=TableSchema(
        name="transactions",
        description=TRANSACTIONS.description,
        key=TRANSACTIONS.key,
        columns=(*TRANSACTIONS.columns, _month("booking_date")),
    ),
    partition_by=("tenant_id", "month"),
    stats_columns=("transaction_id", "booking_date", "value_date", "amount", "currency", "mcc",
                   "source_format", "ingested_at"),
    month_from="booking_date",
    distinct_columns=("transaction_id",),
)

QUARANTINE = LakeTable(
    schema=TableSchema(
        name="quarantine",
        description="Records an ingestion could not trust, with the reason and the raw text.",
        columns=(
            _c("tenant_id", pl.String(), False, "Tenant the file was ingested for."),
            _c("ingestion_id", pl.String(), False, "The ingestion (see ingestion_log)."),
            _c("source_file", pl.String(), True, "File or request the record came from."),
            _c("source_format", pl.String(), False, "Format the file was read as."),
            _c("source_position", pl.String(), False,
               "Where in the file: 'line 12', 'Stmt[1]/Ntry[3]/TxDtls[2]'."),
            _c("reason", pl.String(), False, "Reason code (ledgerlens.ingest.REASONS)."),
            _c("detail", pl.String(), True, "What was wrong, without personal data."),
            _c("raw_record", pl.String(), True, "The record's raw text (may hold personal data).",
               pii=True),
            _c("account_id", pl.String(), True,
               "Pseudonymous account, when the reject can be attributed to one."),
            _c("customer_id", pl.String(), True,
               "Pseudonymous customer, when known: lets erasure reach quarantined records."),
            _c("ingested_at", _UTC, False, "When the ingestion ran."),
            _month("ingestion"),
        ),
    ),
    partition_by=("tenant_id", "month"),
    stats_columns=("ingestion_id", "source_format", "reason", "ingested_at"),
    month_from="ingested_at",
)

INGESTION_LOG = LakeTable(
    schema=TableSchema(
        name="ingestion_log",
        description="One row per file ingested: hash, format, counts, duration, outcome.",
        key=("ingestion_id",),
        columns=(
            _c("ingestion_id", pl.String(), False, "Unique id of the ingestion."),
            _c("tenant_id", pl.String(), False, "Tenant."),
            _c("source_file", pl.String(), True, "File name or request."),
            _c("file_sha256", pl.String(), False, "SHA-256 of the file's bytes (hex).",
               pattern=r"[0-9a-f]{64}"),
            _c("format", pl.String(), False, "Detected or declared format."),
            _c("n_found", pl.Int64(), False, "Movements found in the file."),
            _c("n_accepted", pl.Int64(), False, "Movements that passed validation."),
            _c("n_quarantined", pl.Int64(), False, "Movements sent to quarantine."),
            _c("n_duplicates_skipped", pl.Int64(), False,
               "Accepted movements already in the lake (idempotent re-ingestion)."),
            _c("started_at", _UTC, False, "When the ingestion started."),
            _c("duration_s", pl.Float64(), False, "Wall-clock seconds."),
            _c("status", pl.String(), False, "Outcome (ok, failed, ...)."),
        ),
    ),
    partition_by=("tenant_id",),
    stats_columns=("ingestion_id", "file_sha256", "format", "started_at", "status"),
)

PRIVACY_AUDIT = LakeTable(
    schema=TableSchema(
        name="privacy_audit",
        description="Erasures done: who (as a keyed hash), when, and how many rows per table.",
        key=("event_id",),
        columns=(
            _c("event_id", pl.String(), False, "Unique id of the event."),
            _c("action", pl.String(), False, "What was done (forget_customer)."),
            _c("tenant_id", pl.String(), False, "Tenant."),
            _c("subject_hash", pl.String(), False,
               "Keyed HMAC of the customer id under an audit context; never the id itself.",
               pattern=r"[0-9a-f]{64}"),
            _c("rows_removed", pl.String(), False, "Rows removed per table, as a JSON object."),
            _c("requested_at", _UTC, False, "When the erasure was requested."),
            _c("completed_at", _UTC, False, "When the erasure finished."),
        ),
    ),
    partition_by=("tenant_id",),
    stats_columns=("event_id", "action", "requested_at", "completed_at"),
)

#: The tables the lake knows how to write, by name.
LAKE_TABLES: dict[str, LakeTable] = {
    t.name: t for t in (TRANSACTIONS_TABLE, QUARANTINE, INGESTION_LOG, PRIVACY_AUDIT)
}
