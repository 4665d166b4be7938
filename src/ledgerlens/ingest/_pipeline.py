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
from ledgerlens.identity import OccurrenceCounter
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


#: Files larger than this are read in batches (CSV only), so memory stays flat.
STREAM_ABOVE_BYTES = 256 * 1024 * 1024
#: Rows gathered from many small files before one write to the lake (one Delta commit).
FLUSH_ROWS = 400_000
#: A read with this many records is masked while its fingerprints are computed (two
#: threads); smaller ones are masked together when the buffer is written, since masking
#: has a fixed cost per call.
MASK_WITH_READ_ROWS = 50_000


@dataclass
class _FileState:
    """Counters of one file while its rows wait in the buffer."""

    ingestion_id: str
    source: str
    digest: str
    fmt: str
    at: dt.datetime
    started: float
    found: int = 0
    accepted: int = 0
    quarantined: int = 0
    added: int = 0
    status: str = "ok"
    error: str | None = None
    duration_s: float = 0.0  # reading and preparing the file; its lake write is shared

    def summary(self) -> IngestionSummary:
        return IngestionSummary(self.ingestion_id, self.source, self.fmt, self.found,
                                self.accepted, self.quarantined, self.added,
                                self.accepted - self.added, self.duration_s,
                                self.status, self.error)


class _Writer:
    """Buffers accepted rows, rejects and log rows of many files; one lake write per flush,
    with personal data masked on the way in.

    Before writing, it finds which buffered rows are new (not in the lake, first in the
    buffer), so that each file is told exactly how many of its rows it added.
    """

    def __init__(self, lake: Lake, tenant_id: str) -> None:
        self.lake = lake
        self.tenant_id = tenant_id
        self.rows: list[tuple[_FileState, pl.DataFrame, pl.DataFrame | None]] = []
        self.rejects: list[pl.DataFrame] = []
        self.done: list[_FileState] = []
        self.n_rows = 0

    def add(self, state: _FileState, transactions: pl.DataFrame, rejects: pl.DataFrame,
            masked: pl.DataFrame | None = None) -> None:
        """Buffer a file's rows (and their masked copy, row for row, when already made)."""
        if transactions.height:
            self.rows.append((state, transactions, masked))
            self.n_rows += transactions.height
        if rejects.height:
            self.rejects.append(rejects)
        if self.n_rows >= FLUSH_ROWS:
            self.flush()

    def finish(self, state: _FileState) -> None:
        self.done.append(state)

    def flush(self) -> None:
        if self.rows:
            frames = [f.with_columns(_file=pl.lit(i)) for i, (_, f, _) in enumerate(self.rows)]
            batch = pl.concat(frames).with_row_index("_pos")
            new = self._new_rows(batch)
            per_file = new.group_by("_file").len()
            counts = dict(zip(per_file["_file"].to_list(), per_file["len"].to_list(),
                              strict=True))
            for i, (state, _, _) in enumerate(self.rows):
                state.added += counts.get(i, 0)
            added = self.lake.append_transactions(self._masked(batch, new))
            if added != new.height:
                log.warning("lake added %d rows where %d were expected", added, new.height)
        if self.rejects:
            self.lake.append_quarantine(pl.concat(self.rejects))
        if self.done:
            self.lake.append_log(pl.DataFrame([_log_row(s.summary(), self.tenant_id, s.digest,
                                                        s.at) for s in self.done],
                                              infer_schema_length=None))
        self.rows, self.rejects, self.done, self.n_rows = [], [], [], 0

    def _masked(self, batch: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
        """The ``new`` rows of ``batch``, masked: files masked with their read give their
        copies; the others are masked here in one call (it has a fixed cost per call), and
        only their rows the lake lacks, since the lake would drop the others anyway."""
        premasked = [(i, m) for i, (_, _, m) in enumerate(self.rows) if m is not None]
        ready = {i for i, _ in premasked}
        todo = new.filter(~pl.col("_file").is_in(sorted(ready))) if ready else new
        parts = [mask_transactions(todo.drop("_file", "_pos"))] if todo.height else []
        if premasked:
            heights = [f.height for _, f, _ in self.rows]
            copies = pl.concat([m.with_columns(
                _pos=(pl.int_range(pl.len()) + sum(heights[:i])).cast(batch["_pos"].dtype))
                for i, m in premasked])
            if new.height != batch.height:  # some rows are repeated or already stored
                copies = copies.join(new.select("_pos"), on="_pos", how="semi",
                                     maintain_order="left")
            parts.append(copies.drop("_pos"))
        return pl.concat(parts) if parts else new.drop("_file", "_pos")

    def _new_rows(self, batch: pl.DataFrame) -> pl.DataFrame:
        # one tenant and distinct ids (the usual batch) need no deduplication pass
        if batch["tenant_id"].n_unique() <= 1 and _all_distinct(batch["transaction_id"]):
            first = batch
        else:
            first = batch.unique(["tenant_id", "transaction_id"], keep="first",
                                 maintain_order=True)
        if not self.lake.exists("transactions"):
            return first
        months = first.select(pl.col("booking_date").dt.strftime("%Y-%m").unique()).to_series()
        existing = self.lake.scan("transactions").filter(
            (pl.col("tenant_id") == self.tenant_id) & pl.col("month").is_in(months.to_list())
            & pl.col("transaction_id").is_in(first["transaction_id"].to_list())
        ).select("transaction_id").collect()
        return first.join(existing, on="transaction_id", how="anti", maintain_order="left")


def _all_distinct(values: pl.Series) -> bool:
    """Whether no value repeats: distinct 64-bit hashes settle it (much cheaper to count
    than long strings); equal hashes are looked at exactly."""
    return bool(values.hash().n_unique() == values.len() or values.n_unique() == values.len())


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
    """Ingest each file; a file that cannot be read is logged as failed and skipped, and
    a file already ingested (same content, same tenant) is logged as skipped."""
    files = list(paths)
    writer = _Writer(lake, tenant_id)
    seen = _ingested_digests(lake, tenant_id)
    states: list[_FileState] = []
    for i, path in enumerate(files):
        state = _ingest_one(
            path, writer=writer, seen=seen, tenant_id=tenant_id, pseudonymizer=pseudonymizer,
            customer_refs=customer_refs or {}, account_ref=(account_refs or {}).get(path.name),
            fmt=format, options=dict(reader_options or {}))
        states.append(state)
        if progress is not None:
            progress(i + 1, len(files))
    writer.flush()
    return [s.summary() for s in states]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _streamed(path: Path) -> bool:
    """Whether ``path`` may be read in batches (a CSV file over ``STREAM_ABOVE_BYTES``)."""
    return path.stat().st_size > STREAM_ABOVE_BYTES


def _results(path: Path, source: str, fmt: str, account_ref: str | None,
             options: dict[str, Any]) -> Iterator[ReadResult]:
    """The file's read results: one, or a batch at a time for a very large CSV file."""
    if _streamed(path):
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


def _ingest_one(path: Path, *, writer: _Writer, seen: set[str], tenant_id: str,
                pseudonymizer: Pseudonymizer, customer_refs: Mapping[str, str],
                account_ref: str | None, fmt: str, options: dict[str, Any]) -> _FileState:
    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC)
    source = str(path)
    state = _FileState("", source, "", fmt, at, started)
    try:
        state.digest = _file_digest(path)
    except OSError as exc:
        state.status, state.error = "failed", f"{source}: cannot open: {exc.strerror or exc}"
    state.ingestion_id = hashlib.sha256(
        f"{tenant_id}|{state.digest}|{at.isoformat()}|{source}".encode()).hexdigest()[:24]
    if state.error is None and state.digest in seen:
        # The very same file again: nothing to read; the lake would add nothing anyway.
        state.status = "skipped"
    elif state.error is None:
        try:
            # A file read in batches numbers identical movements across its batches.
            occurrences = OccurrenceCounter() if _streamed(path) else None
            for result in _results(path, source, fmt, account_ref, options):
                state.fmt = result.format
                normalized = normalize(
                    result, tenant_id=tenant_id, source_file=source,
                    pseudonymizer=pseudonymizer, ingested_at=at, customer_refs=customer_refs,
                    mask=(mask_transactions if result.records.height >= MASK_WITH_READ_ROWS
                          else None), occurrences=occurrences)
                rejects = _quarantine_rows(normalized.rejects, tenant_id=tenant_id,
                                           ingestion_id=state.ingestion_id, source_file=source,
                                           fmt=result.format, at=at)
                # A balance mismatch is about the statement, not one of its movements.
                statement_level = int((normalized.rejects["reason"] == "balance_mismatch").sum())
                state.accepted += normalized.transactions.height
                state.quarantined += normalized.rejects.height - statement_level
                state.found = state.accepted + state.quarantined
                writer.add(state, normalized.transactions, rejects, normalized.masked)
            seen.add(state.digest)
        except IngestError as exc:
            state.status, state.error = "failed", str(exc)
            log.warning("ingestion failed: %s", exc)
    state.duration_s = time.perf_counter() - started
    writer.finish(state)
    return state


def _ingested_digests(lake: Lake, tenant_id: str) -> set[str]:
    if not lake.exists("ingestion_log"):
        return set()
    done = lake.scan("ingestion_log").filter(
        (pl.col("tenant_id") == tenant_id) & (pl.col("status") == "ok")
    ).select("file_sha256").collect()
    return set(done["file_sha256"].to_list())


def _log_row(s: IngestionSummary, tenant_id: str, digest: str, at: dt.datetime
             ) -> dict[str, Any]:
    return {
        "ingestion_id": s.ingestion_id, "tenant_id": tenant_id, "source_file": s.source_file,
        "file_sha256": digest, "format": s.format, "n_found": s.n_found,
        "n_accepted": s.n_accepted, "n_quarantined": s.n_quarantined,
        "n_duplicates_skipped": s.n_duplicates_skipped, "started_at": at,
        "duration_s": s.duration_s, "status": s.status,
    }
