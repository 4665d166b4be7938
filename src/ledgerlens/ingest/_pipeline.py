"""Ingest files into the lake: read, normalise, mask, store, quarantine, log.

Each file is one ingestion: its hash, format and counts go to ``ingestion_log``; every
movement found is either in ``transactions`` (or already was: idempotent) or in
``quarantine`` with a reason. Counts reconcile exactly:
``found = accepted + quarantined`` and ``accepted = added + duplicates skipped``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest._normalize import normalize
from ledgerlens.ingest._read import read_transactions
from ledgerlens.ingest._records import ReadResult
from ledgerlens.ingest._sniff import sniff_format
from ledgerlens.privacy import Pseudonymizer, mask_transactions
from ledgerlens.store import Lake

__all__ = ["IngestionSummary", "ingest_paths", "load_manifest"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestionSummary:
    """What one file's ingestion did."""

    ingestion_id: str
    source_file: str
    format: str
    n_found: int
    n_accepted: int
    n_quarantined: int
    n_added: int
    n_duplicates_skipped: int
    duration_s: float
    status: str  # ok, failed, skipped (the same file was ingested before)
    error: str | None = None

    @property
    def reconciles(self) -> bool:
        return (self.n_found == self.n_accepted + self.n_quarantined
                and self.n_accepted == self.n_added + self.n_duplicates_skipped)


def load_manifest(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Read an accounts manifest (CSV: ``account_ref,customer_ref[,file]``).

    Returns (account_ref -> customer_ref, file name -> account_ref).
    """
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise IngestError(str(path), "manifest", "the header", str(exc)) from None
    missing = {"account_ref", "customer_ref"} - set(frame.columns)
    if missing:
        raise IngestError(str(path), "manifest", "the header",
                          f"missing column(s) {', '.join(sorted(missing))}")
    customers = dict(zip(frame["account_ref"], frame["customer_ref"], strict=True))
    files: dict[str, str] = {}
    if "file" in frame.columns:
        files = {Path(f).name: a for f, a in zip(frame["file"], frame["account_ref"],
                                                   strict=True)}
    return customers, files


def _quarantine_rows(rejects: pl.DataFrame, *, tenant_id: str, ingestion_id: str,
                     source_file: str, fmt: str, at: dt.datetime) -> pl.DataFrame:
    return rejects.with_columns(
        tenant_id=pl.lit(tenant_id), ingestion_id=pl.lit(ingestion_id),
        source_file=pl.lit(source_file), source_format=pl.lit(fmt),
        ingested_at=pl.lit(at).cast(pl.Datetime("us", "UTC")))


def ingest_paths(
    paths: Iterable[Path],
    *,
    tenant_id: str,
    lake: Lake,
    pseudonymizer: Pseudonymizer,
    customer_refs: Mapping[str, str] | None = None,
    account_refs: Mapping[str, str] | None = None,
    format: str = "auto",
    reader_options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[IngestionSummary]:
    """Ingest each file; a file that cannot be read is logged as failed and skipped."""
    files = list(paths)
    summaries = []
    for i, path in enumerate(files):
        summaries.append(_ingest_one(
            path, tenant_id=tenant_id, lake=lake, pseudonymizer=pseudonymizer,
            customer_refs=customer_refs or {}, account_ref=(account_refs or {}).get(path.name),
            fmt=format, options=dict(reader_options or {})))
        if progress is not None:
            progress(i + 1, len(files))
    return summaries


#: Files larger than this are read in batches (CSV only), so memory stays flat.
STREAM_ABOVE_BYTES = 256 * 1024 * 1024


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _results(path: Path, source: str, fmt: str, account_ref: str | None,
             options: dict[str, Any]) -> Iterator[ReadResult]:
    """The file's read results: one, or a batch at a time for a very large CSV file."""
    if path.stat().st_size > STREAM_ABOVE_BYTES:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
        if (sniff_format(head, path.name) if fmt == "auto" else fmt) == "csv":
            from ledgerlens.ingest.readers._csv import read_csv_batches, sniff_csv_layout

            layout = options.get("layout") or sniff_csv_layout(head)
            if layout is None:
                raise IngestError(source, "csv", "the header", "no known CSV layout matches")
            yield from read_csv_batches(path, layout, account_ref=account_ref)
            return
    yield read_transactions(path.read_bytes(), fmt, source=source, account_ref=account_ref,
                            **options)


def _ingest_one(path: Path, *, tenant_id: str, lake: Lake, pseudonymizer: Pseudonymizer,
                customer_refs: Mapping[str, str], account_ref: str | None, fmt: str,
                options: dict[str, Any]) -> IngestionSummary:
    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC)
    source = str(path)
    try:
        digest = _file_digest(path)
    except OSError as exc:
        digest, error = "", f"{source}: cannot open: {exc.strerror or exc}"
    else:
        error = None
    ingestion_id = hashlib.sha256(f"{tenant_id}|{digest}|{at.isoformat()}".encode()
                                  ).hexdigest()[:24]
    if error is None and _already_ingested(lake, tenant_id, digest):
        # The very same file again: nothing to read; the lake would add nothing anyway.
        summary = IngestionSummary(ingestion_id, source, fmt, 0, 0, 0, 0, 0,
                                   time.perf_counter() - started, "skipped")
        lake.append_log(_log_row(summary, tenant_id, digest, at))
        return summary
    found = accepted = quarantined = added = 0
    read_format = fmt
    try:
        if error is None:
            for result in _results(path, source, fmt, account_ref, options):
                read_format = result.format
                normalized = normalize(result, tenant_id=tenant_id, source_file=source,
                                       pseudonymizer=pseudonymizer, ingested_at=at,
                                       customer_refs=customer_refs)
                added += lake.append_transactions(mask_transactions(normalized.transactions))
                rejects = _quarantine_rows(normalized.rejects, tenant_id=tenant_id,
                                           ingestion_id=ingestion_id, source_file=source,
                                           fmt=result.format, at=at)
                if rejects.height:
                    lake.append_quarantine(rejects)
                # A balance mismatch is about the statement, not one of its movements.
                statement_level = int((normalized.rejects["reason"] == "balance_mismatch").sum())
                accepted += normalized.transactions.height
                quarantined += normalized.rejects.height - statement_level
                found = accepted + quarantined
    except IngestError as exc:
        error = str(exc)
    if error is not None:
        summary = IngestionSummary(ingestion_id, source, read_format, found, accepted,
                                   quarantined, added, accepted - added,
                                   time.perf_counter() - started, "failed", error)
        lake.append_log(_log_row(summary, tenant_id, digest, at))
        log.warning("ingestion failed: %s", error)
        return summary
    summary = IngestionSummary(ingestion_id, source, read_format, found, accepted, quarantined,
                               added, accepted - added, time.perf_counter() - started, "ok")
    lake.append_log(_log_row(summary, tenant_id, digest, at))
    return summary


def _already_ingested(lake: Lake, tenant_id: str, digest: str) -> bool:
    if not lake.exists("ingestion_log"):
        return False
    done = lake.scan("ingestion_log").filter(
        (pl.col("tenant_id") == tenant_id) & (pl.col("file_sha256") == digest)
        & (pl.col("status") == "ok")).select(pl.len()).collect().item()
    return bool(done)


def _log_row(s: IngestionSummary, tenant_id: str, digest: str, at: dt.datetime
             ) -> dict[str, Any]:
    return {
        "ingestion_id": s.ingestion_id, "tenant_id": tenant_id, "source_file": s.source_file,
        "file_sha256": digest, "format": s.format, "n_found": s.n_found,
        "n_accepted": s.n_accepted, "n_quarantined": s.n_quarantined,
        "n_duplicates_skipped": s.n_duplicates_skipped, "started_at": at,
        "duration_s": s.duration_s, "status": s.status,
    }
