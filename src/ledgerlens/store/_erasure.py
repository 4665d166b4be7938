"""Right to erasure: remove a customer from every lake table, for good, and audit it.

"For good" has three parts, because a Delta table remembers in three places:

1. rows: every table with a ``customer_id`` column loses the customer's rows (a Delta
   delete rewrites the files that held them);
2. files: a vacuum with zero retention, in "full" mode, deletes the replaced files and
   any orphan left by a crashed writer, so older versions cannot be read back;
3. log: the commit log holds the delete's predicate (the customer id) and, for tables
   other tools created, per-file min/max statistics that may hold it too. The log before
   the erasure is folded into a checkpoint and the old commits removed, so time travel
   to a version before the erasure fails instead of finding the data or the id.

The audit row keeps no id: its subject is an HMAC of the customer id under the
pseudonymization key and a context of its own (``AUDIT_CONTEXT``), so whoever holds the
key can confirm that a given customer was erased, and nobody else can tell who.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.exceptions import DataError
from ledgerlens.schema import TRANSACTIONS
from ledgerlens.store._tables import PRIVACY_AUDIT

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from ledgerlens.store._lake import Lake

__all__ = ["AUDIT_CONTEXT", "ErasureResult", "forget_customer", "subject_hash"]

log = logging.getLogger(__name__)

#: Domain separation: the audit hash of an id never equals any other HMAC of that key.
AUDIT_CONTEXT = b"ledgerlens/privacy-audit/v1"

_ID = re.compile(TRANSACTIONS.column("customer_id").pattern or "")
_TENANT = re.compile(TRANSACTIONS.column("tenant_id").pattern or "")
_LOG_RETENTION = "delta.logRetentionDuration"
_DEFAULT_LOG_RETENTION = "interval 30 days"


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did: rows removed per table, files deleted, and its audit event."""

    event_id: str
    tenant_id: str
    subject_hash: str
    rows_removed: dict[str, int] = field(default_factory=dict)
    files_removed: int = 0
    requested_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    completed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def subject_hash(tenant_id: str, customer_id: str, key: str | bytes) -> str:
    """HMAC-SHA256 (hex) of the customer id, namespaced by tenant and ``AUDIT_CONTEXT``.

    >>> len(subject_hash("bank1", "cus_0123456789abcdef", "k" * 32))
    64
    """
    secret = key.encode() if isinstance(key, str) else key
    if not secret:
        raise DataError("the audit key is empty")
    message = b"\x1f".join((AUDIT_CONTEXT, tenant_id.encode(), customer_id.encode()))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def forget_customer(lake: Lake, tenant_id: str, customer_id: str, *,
                    audit_key: str | bytes | None = None) -> ErasureResult:
    """Erase pseudonymous customer ``customer_id`` of ``tenant_id`` from ``lake``.

    Every table with a ``customer_id`` column is cleaned (rows, old files, old log), then
    a ``privacy_audit`` row records the event. ``audit_key`` defaults to the configured
    pseudonymization key (same rules as ``ledgerlens.privacy.pseudonymizer_from_settings``).
    Time travel to versions before the erasure is no longer possible on those tables.
    Holds the lake's writer lock throughout: a zero-retention vacuum must not run while
    another ledgerlens writer has files it has not committed yet.
    """
    if not _TENANT.fullmatch(tenant_id):
        raise DataError(f"tenant id must match {_TENANT.pattern}, got {tenant_id!r}")
    if not _ID.fullmatch(customer_id):
        # The value is not quoted: a wrong value may be a real customer number.
        raise DataError(f"customer id must be a pseudonymous id matching {_ID.pattern} "
                        f"(got {len(customer_id)} characters that do not match)")
    subject = subject_hash(tenant_id, customer_id,
                           audit_key if audit_key is not None else _configured_key())
    requested_at = dt.datetime.now(dt.UTC)
    event_id = uuid.uuid4().hex
    rows_removed: dict[str, int] = {}
    files_removed = 0
    with lake.write_lock():
        for name in lake.tables():
            table = lake.delta_table(name)
            columns = {f.name for f in table.schema().fields}
            if "customer_id" not in columns:
                continue
            predicate = f"customer_id = '{customer_id}'"
            if "tenant_id" in columns:
                predicate = f"tenant_id = '{tenant_id}' AND {predicate}"
            metrics = table.delete(predicate)
            rows_removed[name] = int(metrics.get("num_deleted_rows") or 0)
            files_removed += len(table.vacuum(retention_hours=0, dry_run=False,
                                              enforce_retention_duration=False, full=True))
            _forget_history(table, event_id)
        completed_at = dt.datetime.now(dt.UTC)
        result = ErasureResult(event_id, tenant_id, subject, rows_removed,
                               files_removed, requested_at, completed_at)
        lake.append(PRIVACY_AUDIT.name, _audit_row(result))
    log.info("erasure %s (subject %s…, tenant %s): %d row(s) removed from %s, %d file(s) deleted",
             result.event_id, subject[:12], tenant_id, result.total_rows,
             ", ".join(rows_removed) or "no table", files_removed)
    return result


def _forget_history(table: DeltaTable, event_id: str) -> None:
    """Fold the log into a checkpoint at the current version and delete older commits.

    The commit that restores the log retention names the erasure event, so the table's
    history says why it starts there.
    """
    from deltalake import CommitProperties

    previous = table.metadata().configuration.get(_LOG_RETENTION) or _DEFAULT_LOG_RETENTION
    table.alter.set_table_properties({_LOG_RETENTION: "interval 0 seconds"})
    table.create_checkpoint()
    table.cleanup_metadata()
    table.alter.set_table_properties(
        {_LOG_RETENTION: previous},
        commit_properties=CommitProperties(custom_metadata={"ledgerlens.erasure": event_id}))


def _audit_row(result: ErasureResult) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [result.event_id],
            "action": ["forget_customer"],
            "tenant_id": [result.tenant_id],
            "subject_hash": [result.subject_hash],
            "rows_removed": [json.dumps(result.rows_removed, sort_keys=True)],
            "requested_at": [result.requested_at],
            "completed_at": [result.completed_at],
        },
        schema=PRIVACY_AUDIT.schema.polars_schema,
    )


def _configured_key() -> str:
    """The pseudonymization key, refused or replaced exactly as the pseudonymizer does."""
    from ledgerlens.config import get_settings
    from ledgerlens.privacy import DEV_KEY, pseudonymizer_from_settings
    from ledgerlens.privacy._pseudonymize import MIN_KEY_LENGTH

    settings = get_settings()
    pseudonymizer_from_settings(settings)  # raises where a missing or public key is refused
    secret = settings.pseudonymization_key
    key = secret.get_secret_value() if secret is not None else ""
    return key if key and key != DEV_KEY and len(key) >= MIN_KEY_LENGTH else DEV_KEY
