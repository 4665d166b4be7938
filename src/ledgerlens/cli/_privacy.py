"""``ledgerlens privacy ...``: masking evaluation and erasure (commands added here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import clean_errors, err_console, progress_bar

__all__ = ["evaluate", "privacy_app"]

privacy_app = typer.Typer(help="Personal data: masking evaluation, right to erasure.",
                          no_args_is_help=True)
console = Console()


@privacy_app.command("evaluate")
@clean_errors
def evaluate(
    bank: Annotated[Path | None, typer.Option(
        "--bank", help="A bank written by 'ledgerlens synth' (default: generate one).")] = None,
    customers: Annotated[int, typer.Option("--customers", "-n", min=1, max=1_000_000,
                                           help="Customers of the generated bank.")] = 500,
    months: Annotated[int, typer.Option("--months", "-m", min=1, max=120,
                                        help="Months of the generated bank.")] = 12,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0,
                                      help="Seed of the generated bank.")] = 11,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Also write the report (figures and examples) as Markdown.")] = None,
) -> None:
    """Mask a synthetic bank's labels and score them against its ground-truth spans.

    Prints PII span recall (per kind), precision and merchant damage (card payments whose
    label masking changed); exits 1 when recall is under 99 % or damage over 0.5 %.
    """
    from ledgerlens.datasets import SynthConfig, generate_bank, load_bank
    from ledgerlens.privacy import evaluate_masking

    if bank is not None:
        tables = load_bank(bank)
        transactions = tables["transactions"].collect()
        truth = tables["ground_truth"].collect()
        source = str(bank)
    else:
        with progress_bar("generating the bank") as update:
            generated = generate_bank(SynthConfig(customers=customers, months=months,
                                                  seed=seed), progress=update)
        transactions, truth = generated.transactions, generated.ground_truth
        source = f"synthetic bank, {customers} customers x {months} months, seed {seed}"
    report = evaluate_masking(transactions, truth)

    table = Table(title=f"Masking evaluation ({source})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("transactions", f"{report.transactions:,}")
    table.add_row("PII spans", f"{report.pii_spans:,}")
    table.add_row("span recall", f"{report.recall:.2%}")
    for kind, value in report.recall_by_kind.items():
        table.add_row(f"  recall, {kind}", f"{value:.2%}")
    table.add_row("character precision", f"{report.precision:.2%}")
    table.add_row("merchant damage (card payments changed)",
                  f"{report.damage_rate:.3%} ({report.damaged_card_payments:,} of "
                  f"{report.card_payments:,})")
    console.print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"# Masking evaluation\n\n{source}\n\n{report.to_markdown()}",
                       encoding="utf-8")
        console.print(f"report written to {out}")
    if report.passed:
        console.print("[green]targets met[/]: recall >= 99 %, merchant damage <= 0.5 %")
        return
    err_console.print(f"[bold red]targets not met:[/] {report.summary()}", highlight=False)
    raise typer.Exit(code=1)
