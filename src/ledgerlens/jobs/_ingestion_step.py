"""The main job's ingestion step: export the bank's statements, ingest them into the lake,
check the round trip, and evaluate the masking of personal data."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ledgerlens.datasets import load_bank
from ledgerlens.datasets.exports import export_bank_folder
from ledgerlens.ingest import IngestionSummary, ingest_paths, load_manifest
from ledgerlens.jobs._folders import JOB_MARK
from ledgerlens.jobs._html import html_table
from ledgerlens.privacy import DEV_KEY, MaskingReport, Pseudonymizer, evaluate_masking
from ledgerlens.store import Lake

__all__ = ["IngestionStep", "run_ingestion_step"]


@dataclass(frozen=True)
class IngestionStep:
    """What the step did: files and counts per format, quarantine, round trip, masking."""

    per_format: pl.DataFrame
    quarantine_reasons: pl.DataFrame
    n_expected: int
    n_in_lake: int
    n_missing: int
    n_unexpected: int
    masking: MaskingReport
    lake: Lake

    @property
    def round_trip_ok(self) -> bool:
        return self.n_missing == 0 and self.n_unexpected == 0

    def summary(self) -> str:
        lines = [
            f"ingestion      {self.n_in_lake:,} transactions in the lake from "
            f"{int(self.per_format['files'].sum()):,} statement files "
            f"({', '.join(self.per_format['format'].to_list())})",
            f"round trip     {'exact' if self.round_trip_ok else 'MISMATCH'}: "
            f"{self.n_missing:,} missing, {self.n_unexpected:,} unexpected of "
            f"{self.n_expected:,}",
            f"quarantine     {int(self.quarantine_reasons['rows'].sum()):,} rows",
            f"masking        {self.masking.summary().splitlines()[0]}",
        ]
        return "\n".join(lines)

    def html(self) -> str:
        status = "exact" if self.round_trip_ok else "MISMATCH"
        reasons = (html_table(self.quarantine_reasons) if self.quarantine_reasons.height
                   else "<p>none</p>")
        return (
            f"<p>Each account's statements were exported in its bank's native format and "
            f"ingested into the lake. Round trip: <b>{status}</b> "
            f"({self.n_in_lake:,} of {self.n_expected:,} transactions; {self.n_missing:,} "
            f"missing, {self.n_unexpected:,} unexpected).</p>"
            f"<h3>Per format</h3>{html_table(self.per_format)}"
            f"<h3>Quarantine reasons</h3>"
            f"{reasons}"
            f"<h3>Masking of personal data</h3><pre>{html.escape(self.masking.summary())}</pre>"
        )


def run_ingestion_step(bank_dir: Path, out_dir: Path, *, tenant_id: str, start: dt.date,
                       progress: Callable[[int, int], None] | None = None) -> IngestionStep:
    """Export ``bank_dir`` natively under ``out_dir/exports``, ingest into ``out_dir/lake``."""
    exports = out_dir / "exports"
    exported = export_bank_folder(bank_dir, exports, ["native"],
                                  opening_date=start - dt.timedelta(days=1))
    customer_refs, account_refs = load_manifest(exported.manifest)
    files = sorted(p for p in exports.rglob("*")
                   if p.is_file() and p.name not in ("accounts.csv", JOB_MARK))
    lake = Lake(out_dir / "lake")
    # The synthetic bank's ids come from the public development key; so do these.
    summaries = ingest_paths(files, tenant_id=tenant_id, lake=lake,
                             pseudonymizer=Pseudonymizer(DEV_KEY), customer_refs=customer_refs,
                             account_refs=account_refs, progress=progress)
    scans = load_bank(bank_dir)
    expected = scans["transactions"].select("transaction_id").collect()
    stored = lake.scan("transactions").select("transaction_id").collect()
    missing = expected.join(stored, on="transaction_id", how="anti").height
    unexpected = stored.join(expected, on="transaction_id", how="anti").height
    quarantine = (lake.scan("quarantine").group_by("reason").agg(rows=pl.len()).collect()
                  .sort("rows", descending=True)
                  if "quarantine" in lake.tables() else
                  pl.DataFrame(schema={"reason": pl.String, "rows": pl.UInt32}))
    masking = evaluate_masking(scans["transactions"].collect(), scans["ground_truth"].collect())
    return IngestionStep(_per_format(summaries), quarantine, expected.height, stored.height,
                         missing, unexpected, masking, lake)


def _per_format(summaries: list[IngestionSummary]) -> pl.DataFrame:
    frame = pl.DataFrame([{
        "format": s.format, "files": 1, "found": s.n_found, "accepted": s.n_accepted,
        "added": s.n_added, "quarantined": s.n_quarantined,
        "failed": int(s.status == "failed"), "seconds": s.duration_s} for s in summaries])
    return frame.group_by("format").agg(
        pl.col("files", "found", "accepted", "added", "quarantined", "failed").sum(),
        pl.col("seconds").sum().round(1)).sort("format")
