"""``ledgerlens enrich``, ``train enrichment`` and ``evaluate enrichment``: thin wrappers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ledgerlens.cli._common import clean_errors, progress_bar

if TYPE_CHECKING:
    from ledgerlens.enrich import EnrichmentModel

__all__ = ["enrich_cmd", "evaluate_app", "train_app"]

console = Console()
train_app = typer.Typer(help="Train models from the synthetic bank and the reference data.",
                        no_args_is_help=True)
evaluate_app = typer.Typer(help="Score models on labelled data and write reports.",
                           no_args_is_help=True)

ModelDir = Annotated[Path | None, typer.Option(
    "--model", help="Folder of a trained enrichment model (default: the one shipped).")]
CorrectionsDir = Annotated[Path | None, typer.Option(
    "--corrections", help="Corrections store folder to apply (see 'ledgerlens corrections').")]


def _load_model(folder: Path | None) -> EnrichmentModel:
    from ledgerlens.enrich import EnrichmentModel

    return EnrichmentModel.load(folder) if folder else EnrichmentModel.default()


@clean_errors
def enrich_cmd(
    input_path: Annotated[Path | None, typer.Argument(
        metavar="INPUT", help="CSV or Parquet: canonical transactions, or at least "
        "date,amount,label.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output file, .csv or .parquet.")] = None,
    lake: Annotated[Path | None, typer.Option(
        "--lake", help="Enrich the lake's transactions into enriched_transactions and "
        "recurring_streams instead.")] = None,
    streams: Annotated[Path | None, typer.Option(
        "--streams", help="Also write the recurring streams found (.csv or .parquet).")] = None,
    model_dir: ModelDir = None,
    corrections_dir: CorrectionsDir = None,
    batch_rows: Annotated[int, typer.Option(
        "--batch-rows", min=1_000, help="Rows per batch (whole accounts per batch).")] = 500_000,
) -> None:
    """Add clean label, type, merchant, category, recurring and income columns to a table."""
    import polars as pl

    from ledgerlens.enrich import enrich_file, enrich_lake, scan_table, unreadable_input
    from ledgerlens.exceptions import DataError

    if (input_path is None) == (lake is None):
        raise typer.BadParameter("give either INPUT (with --out) or --lake DIR")
    model = _load_model(model_dir)
    corrections = None
    if corrections_dir is not None:
        from ledgerlens.enrich import CorrectionStore

        if not corrections_dir.is_dir():  # a mistyped folder would apply nothing, silently
            raise typer.BadParameter(f"no correction store at {corrections_dir}",
                                     param_hint="--corrections")
        corrections = CorrectionStore(corrections_dir).load()
    with progress_bar("enriching") as progress:
        if lake is not None:
            from ledgerlens.cli._lake import open_lake

            summary = enrich_lake(open_lake(lake), model, corrections=corrections,
                                  batch_rows=batch_rows, progress=progress)
        else:
            assert input_path is not None
            if out is None:
                raise typer.BadParameter("--out is required with INPUT", param_hint="--out")
            try:
                summary = enrich_file(scan_table(input_path), out, model, streams_out=streams,
                                      corrections=corrections, batch_rows=batch_rows,
                                      progress=progress)
            except pl.exceptions.PolarsError as exc:
                raise unreadable_input(input_path, exc) from exc
            except DataError as exc:  # a value of the file: say which file too
                raise DataError(f"input {input_path}: {exc}") from exc
    console.print(summary.text(), markup=False, highlight=False)


@train_app.command("enrichment")
@clean_errors
def train_enrichment_cmd(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder to save the model to.")] = None,
    default: Annotated[bool, typer.Option(
        "--default", help="Rebuild the model shipped inside the package instead.")] = False,
    customers: Annotated[int, typer.Option("--customers", min=50)] = 8_000,
    months: Annotated[int, typer.Option("--months", min=2, max=60)] = 12,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    banks: Annotated[int, typer.Option(
        "--banks", min=1, max=64, help="Split the customers over this many synthetic banks "
        "(seeds SEED, SEED+1, ...): more shops, brands and ticket sizes to learn from.")] = 8,
    holdout: Annotated[bool, typer.Option(
        "--holdout/--no-holdout", help="Also train without 3 dialects and 30 % of merchants "
        "and score a fresh bank (in distribution, held-out dialects, held-out merchants).")]
        = True,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Folder for the held-out evaluation report (default: OUT/report).")]
        = None,
) -> None:
    """Train the merchant scorer and category model from a synthetic bank; save them."""
    from ledgerlens.enrich import (
        DEFAULT_MODEL_DIR,
        TrainingConfig,
        holdout_evaluation,
        train_enrichment,
        write_comparison_report,
    )

    if (out is None) == (not default):
        raise typer.BadParameter("give either --out DIR or --default")
    target = DEFAULT_MODEL_DIR if default else out
    assert target is not None
    config = TrainingConfig(customers=customers, months=months, seed=seed, banks=banks)

    def say(message: str) -> None:
        console.print(f"[dim]{message}[/]", highlight=False)

    model = train_enrichment(config, say)
    if holdout:
        result = holdout_evaluation(config, say)
        model.metadata["holdout"] = {"dialects": list(result.held_out_dialects),
                                     "merchants": result.n_held_out_merchants,
                                     "headline": result.headline()}
        md, _ = write_comparison_report(result.evaluations, report or target / "report",
                                           "Enrichment: in distribution and held out")
        console.print(f"held-out evaluation: {md}")
        for name, figures in result.headline().items():
            shown = ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
            console.print(f"  {name}: {shown}", highlight=False)
    infos = model.save(target)
    for info in infos:
        console.print(f"saved {info.arrays_path} ({info.n_bytes / 1e6:.1f} MB, "
                      f"sha256 {info.sha256[:12]}…)")


@evaluate_app.command("enrichment")
@clean_errors
def evaluate_enrichment_cmd(
    truth: Annotated[Path, typer.Option(
        "--truth", help="A synthetic bank folder (from 'ledgerlens synth') or a labelled CSV "
        "with label,amount,date and true category/subcategory/merchant_name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder.")] = Path(
        "out/enrichment-evaluation"),
    model_dir: ModelDir = None,
) -> None:
    """Enrich labelled data and score it: accuracy, macro-F1, merchants, calibration, slices."""
    from ledgerlens.enrich import (
        enrich_with_streams,
        evaluate_enrichment,
        load_truth_csv,
        write_evaluation_report,
    )

    model = _load_model(model_dir)
    if truth.is_dir():
        from ledgerlens.datasets import load_bank

        scans = load_bank(truth)
        tx = scans["transactions"].collect()
        truth_frame = scans["ground_truth"].collect()
        with progress_bar("enriching"):
            result = enrich_with_streams(tx, model)
        enriched = result.transactions.join(truth_frame.select("tenant_id", "transaction_id",
                                                               "dialect"),
                                            on=["tenant_id", "transaction_id"], how="left")
        from ledgerlens.enrich import MerchantDirectory

        evaluation = evaluate_enrichment(enriched, truth_frame, streams=result.streams,
                                         true_streams=scans["recurring_streams"].collect(),
                                         merchant_brands=MerchantDirectory.default().brand_keys())
    else:
        truth_frame = load_truth_csv(truth)
        with progress_bar("enriching"):
            result = enrich_with_streams(truth_frame, model)
        evaluation = evaluate_enrichment(result.transactions, truth_frame,
                                         streams=result.streams)
    md, page = write_evaluation_report(evaluation, out, f"Enrichment evaluation: {truth.name}")
    for key, value in evaluation.headline().items():
        console.print(f"{key:28} {value:.4f}")
    console.print(f"report: {md}\n        {page}")
