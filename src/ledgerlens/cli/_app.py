"""Typer application: each command parses arguments, calls the library, prints a summary.

Errors that ledgerlens raises on purpose (bad input, bad settings) end the command with
one red line and exit code 1; Typer itself answers bad arguments with exit code 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens import __version__
from ledgerlens.cli._common import clean_errors, err_console, progress_bar
from ledgerlens.cli._corrections import corrections_app
from ledgerlens.cli._enrich import enrich_cmd, evaluate_app, train_app
from ledgerlens.cli._erasure import forget
from ledgerlens.cli._ingest import ingest
from ledgerlens.cli._lake import lake_app
from ledgerlens.cli._merchants import merchants_app
from ledgerlens.cli._privacy import privacy_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="ledgerlens",
    help="ledgerlens: open-source engine for bank transaction analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

def _version(value: bool) -> None:
    if value:
        console.print(f"ledgerlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """ledgerlens: ingest, enrich and analyse bank transactions."""


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected an ISO date like 2025-01-01, got {value!r}") from None


Customers = Annotated[int, typer.Option("--customers", "-n", min=1, max=10_000_000,
                                        help="Number of customers.")]
Months = Annotated[int, typer.Option("--months", "-m", min=1, max=120,
                                     help="Months of history.")]
Seed = Annotated[int, typer.Option("--seed", "-s", min=0,
                                   help="Random seed (same seed, same bank).")]
Start = Annotated[str, typer.Option("--start", help="First day of the window (ISO date).")]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id written in every table.")]


@app.command()
@clean_errors
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables to.")],
    customers: Customers = 2_000,
    months: Months = 12,
    seed: Seed = 42,
    start: Start = "2025-01-01",
    tenant: Tenant = "synthetic",
    export: Annotated[str | None, typer.Option(
        "--export", help="Also write statements as bank files: a comma-separated list of "
        "csv,ofx,camt053,mt940,cfonb,stet,berlin (every account in each), or 'native' "
        "(each account in its bank's format). Written under OUT/exports/.")] = None,
) -> None:
    """Generate a synthetic French bank: canonical tables plus ground truth, as Parquet.

    Writes OUT/<table>/part-*.parquet for transactions, ground_truth, merchants, customers,
    accounts, personas, recurring_streams and account_numbers, block by block (memory
    stays flat); with --export, also each account's statements as bank-native files.
    """
    from ledgerlens.datasets import SynthConfig, write_bank
    from ledgerlens.datasets.exports import EXPORT_FORMATS, export_bank_folder

    formats = [f.strip() for f in export.split(",") if f.strip()] if export else []
    unknown = [f for f in formats if f not in EXPORT_FORMATS and f != "native"]
    if unknown:
        raise typer.BadParameter(f"unknown export format(s) {', '.join(unknown)}; expected "
                                 f"native or some of {', '.join(EXPORT_FORMATS)}",
                                 param_hint="--export")

    config = SynthConfig(customers=customers, months=months, seed=seed,
                         start=_parse_date(start), tenant_id=tenant)
    with progress_bar("generating") as progress:
        summary = write_bank(config, out, progress)
    if formats:
        with progress_bar("exporting statements") as progress:
            exported = export_bank_folder(
                out, out / "exports", formats,
                opening_date=config.start - dt.timedelta(days=1), progress=progress)
        counts = ", ".join(f"{k} {v:,}" for k, v in exported.files.items())
        console.print(f"statements: {sum(exported.files.values()):,} files in "
                      f"{exported.out_dir} ({counts})")
    table = Table(title=f"synthetic bank in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command("validate")
@clean_errors
def validate_cmd(
    bank: Annotated[Path, typer.Argument(help="Folder written by 'ledgerlens synth'.")],
) -> None:
    """Check every canonical table of a bank folder against the schema."""
    from ledgerlens.datasets import load_bank
    from ledgerlens.schema import TABLES, validate

    scans = load_bank(bank)
    failed = False
    for name in ("transactions", "ground_truth", "merchants", "customers", "accounts"):
        report = validate(scans[name], TABLES[name])
        style = "green" if report.ok else "red"
        console.print(f"[{style}]{report.summary()}[/]", highlight=False)
        failed |= not report.ok
    if failed:
        raise typer.Exit(code=1)


@app.command()
@clean_errors
def schema(
    table: Annotated[str | None, typer.Argument(help="Table name; all tables if omitted.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/schema.md.")] = False,
) -> None:
    """Show the canonical tables: columns, dtypes, nullability and meaning."""
    from ledgerlens.schema import TABLES, render_markdown

    if markdown:
        typer.echo(render_markdown(), nl=False)
        return
    names = [table] if table else list(TABLES)
    for name in names:
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        spec = TABLES[name]
        out = Table(title=f"{spec.name} (schema {spec.version})", title_justify="left")
        for col in ("column", "dtype", "null", "meaning"):
            out.add_column(col)
        for c in spec.columns:
            out.add_row(c.name, str(c.dtype), "yes" if c.nullable else "no", c.description)
        console.print(out)


@app.command()
@clean_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    customers: Customers = 2_000,
    months: Months = 12,
    seed: Seed = 42,
) -> None:
    """Run the main job end to end on embedded data and write out/report.html."""
    from ledgerlens.datasets import SynthConfig
    from ledgerlens.jobs import run_main_job

    config = SynthConfig(customers=customers, months=months, seed=seed)
    with progress_bar("main job: generating the bank") as progress:
        result = run_main_job(out, config, progress)
    console.print(result.summary, markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nreport: {result.report_path}\nsummary: {result.summary_path}")
    if not result.ok:
        err_console.print("[bold red]error:[/] the main job's checks failed (schema "
                          "validation or the ingestion round trip); see the report")
        raise typer.Exit(code=1)


app.command("ingest")(clean_errors(ingest))
privacy_app.command("forget")(forget)
app.add_typer(privacy_app, name="privacy")
app.add_typer(lake_app, name="lake")
app.command("enrich")(enrich_cmd)
app.add_typer(train_app, name="train")
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(corrections_app, name="corrections")
app.add_typer(merchants_app, name="merchants")


def main() -> None:
    """Entry point of the ``ledgerlens`` script."""
    app()
