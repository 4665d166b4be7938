"""Typer application: each command parses arguments, calls the library, prints a summary.

Errors that ledgerlens raises on purpose (bad input, bad settings) end the command with
one red line and exit code 1; Typer itself answers bad arguments with exit code 2.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledgerlens import __version__
from ledgerlens.cli._privacy import privacy_app
from ledgerlens.exceptions import LedgerlensError

__all__ = ["app", "main"]

app = typer.Typer(
    name="ledgerlens",
    help="ledgerlens: open-source engine for bank transaction analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def _clean_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (LedgerlensError, OSError, KeyError, ValueError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return wrapper


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


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
@_clean_errors
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables to.")],
    customers: Customers = 2_000,
    months: Months = 12,
    seed: Seed = 42,
    start: Start = "2025-01-01",
    tenant: Tenant = "synthetic",
) -> None:
    """Generate a synthetic French bank: canonical tables plus ground truth, as Parquet.

    Writes OUT/<table>/part-*.parquet for transactions, ground_truth, merchants, customers,
    accounts, personas and recurring_streams, block by block (memory stays flat).
    """
    from ledgerlens.datasets import SynthConfig, write_bank

    config = SynthConfig(customers=customers, months=months, seed=seed,
                         start=_parse_date(start), tenant_id=tenant)
    with _progress("generating") as progress:
        summary = write_bank(config, out, progress)
    table = Table(title=f"synthetic bank in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command("validate")
@_clean_errors
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
@_clean_errors
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
@_clean_errors
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
    with _progress("main job: generating the bank") as progress:
        result = run_main_job(out, config, progress)
    console.print(result.summary, markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nreport: {result.report_path}\nsummary: {result.summary_path}")
    if not result.ok:
        err_console.print("[bold red]error:[/] the generated bank failed schema validation")
        raise typer.Exit(code=1)


app.add_typer(privacy_app, name="privacy")


def main() -> None:
    """Entry point of the ``ledgerlens`` script."""
    app()
