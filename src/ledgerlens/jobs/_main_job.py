"""The main job: generate a bank, validate it, export its statements and ingest them
into the lake, enrich the lake with the shipped model and score it, write the report.

Later steps (enrichment, targeting, offers) extend this same job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledgerlens.datasets import SynthConfig, load_bank, write_bank
from ledgerlens.jobs._enrichment_step import EnrichmentStep, run_enrichment_step
from ledgerlens.jobs._folders import fresh_job_folder
from ledgerlens.jobs._ingestion_step import IngestionStep, run_ingestion_step
from ledgerlens.monitor import profile_bank, render_html, summary_text, write_report
from ledgerlens.schema import TABLES, ValidationReport, validate

__all__ = ["MainJobResult", "run_main_job"]

_JOB_FOLDERS = ("exports", "lake")  # rewritten whole on each run (``fresh_job_folder``)


@dataclass(frozen=True)
class MainJobResult:
    """Where the job wrote its outputs, and what it found."""

    out_dir: Path
    report_path: Path
    summary_path: Path
    summary: str
    validation: tuple[ValidationReport, ...]
    rows: dict[str, int]
    ingestion: IngestionStep
    enrichment: EnrichmentStep

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.validation) and self.ingestion.round_trip_ok


def run_main_job(out_dir: Path, config: SynthConfig,
                 progress: Callable[[int, int], None] | None = None) -> MainJobResult:
    """Generate the bank under ``out_dir/bank``, validate every canonical table, export
    its statements to ``out_dir/exports`` and ingest them into ``out_dir/lake``, and write
    ``out_dir/report.html`` and ``out_dir/summary.txt``."""
    for name in _JOB_FOLDERS:
        fresh_job_folder(out_dir / name)
    bank_dir = out_dir / "bank"
    written = write_bank(config, bank_dir, progress)
    scans = load_bank(bank_dir)
    reports = tuple(validate(scans[name], TABLES[name]) for name in
                    ("transactions", "ground_truth", "merchants", "customers", "accounts"))
    merchants = scans["merchants"].collect()
    accounts = scans["accounts"].collect()
    profile = profile_bank(scans["transactions"], scans["ground_truth"], merchants, accounts)
    ingestion = run_ingestion_step(bank_dir, out_dir, tenant_id=config.tenant_id,
                                   start=config.start)
    enrichment = run_enrichment_step(ingestion.lake, scans["ground_truth"].collect(),
                                     scans["recurring_streams"].collect(), out_dir)
    html = render_html(profile, reports,
                       extra_sections=[("Ingestion and privacy", ingestion.html()),
                                       ("Enrichment", enrichment.html())])
    report_path = write_report(out_dir / "report.html", html)
    text = (summary_text(profile, reports) + "\n" + ingestion.summary() + "\n"
            + enrichment.summary())
    summary_path = out_dir / "summary.txt"
    summary_path.write_text(text + "\n", encoding="utf-8")
    return MainJobResult(out_dir, report_path, summary_path, text, reports, written.rows,
                         ingestion, enrichment)
