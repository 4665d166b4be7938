"""The main job's enrichment step: enrich the lake with the shipped model, score it on the
bank's ground truth, and show streams, coverage, held-out figures and explanations."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens.enrich import (
    EnrichmentEvaluation,
    EnrichmentModel,
    EnrichmentSummary,
    MerchantDirectory,
    enrich_lake,
    evaluate_enrichment,
    write_evaluation_report,
)
from ledgerlens.jobs._html import html_table
from ledgerlens.store import Lake

__all__ = ["EnrichmentStep", "run_enrichment_step"]

_KEY = ["tenant_id", "transaction_id"]


@dataclass(frozen=True)
class EnrichmentStep:
    """What enrichment found in the demo lake and how it scored."""

    run: EnrichmentSummary
    evaluation: EnrichmentEvaluation
    holdout: dict[str, Any]
    streams_by_period: pl.DataFrame
    coverage_by_type: pl.DataFrame
    examples: pl.DataFrame
    report_md: Path

    def summary(self) -> str:
        head = self.evaluation.headline()
        figures = ", ".join(f"{k} {head[k]:.3f}" for k in (
            "category_l1_accuracy", "category_l2_accuracy", "merchant_precision",
            "known_merchant_coverage", "type_accuracy", "recurring_stream_f1") if k in head)
        lines = [f"enrichment     {self.run.text().splitlines()[0]}",
                 f"enrichment     on this bank's ground truth: {figures}"]
        for name, values in self.holdout.get("headline", {}).items():
            shown = ", ".join(f"{k} {v:.3f}" for k, v in values.items()
                              if k in ("category_l1_accuracy", "category_l2_accuracy",
                                       "merchant_precision", "known_merchant_coverage"))
            lines.append(f"held out       {name}: {shown}")
        return "\n".join(lines)

    def html(self) -> str:
        def table(frame: pl.DataFrame) -> str:
            return html_table(frame, _cell)

        head = pl.DataFrame({"metric": list(self.evaluation.headline()),
                             "value": list(self.evaluation.headline().values())})
        parts = [f"<p><pre>{html.escape(self.run.text())}</pre></p>",
                 "<h3>Scored on this bank's ground truth (shipped model; these customers were "
                 "not in its training bank)</h3>", table(head),
                 "<h3>Merchant and category coverage per transaction type</h3>",
                 table(self.coverage_by_type)]
        if self.holdout:
            rows = [{"evaluation": name, **values}
                    for name, values in self.holdout.get("headline", {}).items()]
            parts += ["<h3>Generalization: dialects and merchants held out of training</h3>",
                      f"<p>Recorded when the shipped model was trained (held-out dialects: "
                      f"{html.escape(', '.join(self.holdout.get('dialects', [])))}; "
                      f"{self.holdout.get('merchants', 0):,} merchants).</p>",
                      table(pl.DataFrame(rows))]
        parts += ["<h3>Recurring streams found</h3>", table(self.streams_by_period),
                  "<h3>Examples of explanations</h3>", table(self.examples),
                  f"<p>Full evaluation report: {html.escape(str(self.report_md))}</p>"]
        return "".join(parts)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def run_enrichment_step(lake: Lake, truth: pl.DataFrame, true_streams: pl.DataFrame,
                        out_dir: Path) -> EnrichmentStep:
    """Enrich ``lake`` into ``enriched_transactions``/``recurring_streams`` and score it."""
    model = EnrichmentModel.default()
    run = enrich_lake(lake, model)
    enriched = lake.scan("enriched_transactions").drop("month").collect()
    streams = lake.scan("recurring_streams").collect()
    with_dialect = enriched.join(truth.select(*_KEY, "dialect"), on=_KEY, how="left")
    evaluation = evaluate_enrichment(with_dialect, truth, streams=streams,
                                     slices=("transaction_type", "dialect", "source_format"),
                                     true_streams=true_streams,
                                     merchant_brands=MerchantDirectory.default().brand_keys())
    report_md, _ = write_evaluation_report(evaluation, out_dir / "enrichment",
                                           "Enrichment of the demo lake")
    period_col = next(c for c in ("period", "recurrence_period") if c in streams.columns)
    by_period = streams.group_by(period_col).agg(streams=pl.len()).sort(
        "streams", descending=True)
    coverage = enriched.group_by("transaction_type").agg(
        transactions=pl.len(),
        with_merchant=pl.col("merchant_id").is_not_null().mean().round(3),
        categorised=(pl.col("category") != "other").mean().round(3),
        mean_confidence=pl.col("category_confidence").mean().round(3),
    ).sort("transactions", descending=True)
    examples = (enriched.filter(pl.col("transaction_type").str.starts_with("card")
                                | (pl.col("transaction_type") == "direct_debit"))
                .sample(8, seed=3)
                .select("clean_label", "merchant_name", "subcategory", "explanation"))
    return EnrichmentStep(run, evaluation, dict(model.metadata.get("holdout", {})), by_period,
                          coverage, examples, report_md)
