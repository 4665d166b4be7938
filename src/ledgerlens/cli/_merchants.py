"""``ledgerlens merchants ...``: find candidate new merchants among unmatched transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import clean_errors
from ledgerlens.cli._corrections import read_table, write_table

__all__ = ["merchants_app"]

merchants_app = typer.Typer(help="The merchant directory: discover candidate new merchants.",
                            no_args_is_help=True)
console = Console()


@merchants_app.command("discover")
@clean_errors
def discover(
    input_file: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Enriched transactions (Parquet or CSV).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Candidates to write (Parquet or CSV).")],
    min_customers: Annotated[int, typer.Option(
        "--min-customers", min=2,
        help="Distinct customers a candidate needs (also a privacy floor).")] = 5,
    min_transactions: Annotated[int, typer.Option(
        "--min-transactions", min=1, help="Transactions a candidate needs.")] = 10,
    show: Annotated[int, typer.Option("--show", min=0, help="Candidates to print.")] = 20,
) -> None:
    """Group unmatched card and direct-debit labels into candidate merchants to review."""
    from ledgerlens.enrich._discover import discover_merchants

    enriched = read_table(input_file)
    candidates = discover_merchants(enriched, min_customers=min_customers,
                                    min_transactions=min_transactions)
    write_table(candidates, out)
    table = Table(title=f"{candidates.height:,} candidate merchant(s) written to {out}",
                  title_justify="left")
    for name in ("candidate_id", "name", "transactions", "customers", "mcc", "subcategory",
                 "median amount"):
        table.add_column(name, justify="right" if name in ("transactions", "customers",
                                                             "median amount") else "left")
    for row in candidates.head(show).iter_rows(named=True):
        median = row["amount_median"]
        table.add_row(row["candidate_id"], row["name"], f"{row['n_transactions']:,}",
                      f"{row['n_customers']:,}", row["mcc"] or "", row["subcategory"] or "",
                      "" if median is None else f"{median:,.2f}")
    console.print(table)


@merchants_app.command("accept")
@clean_errors
def accept(
    candidates_file: Annotated[Path, typer.Argument(
        metavar="CANDIDATES", help="Candidates written by 'merchants discover'.")],
    ids: Annotated[list[str], typer.Option(
        "--id", help="A candidate_id to accept (repeat the option for more).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Directory rows to write (Parquet or CSV).")],
) -> None:
    """Turn accepted candidates into merchant-directory rows (merchant_id disc:<slug>)."""
    import polars as pl

    from ledgerlens.enrich._discover import accept_candidates

    candidates = read_table(candidates_file)
    for column in ("aliases", "examples"):
        if candidates.schema.get(column) == pl.String:
            candidates = candidates.with_columns(pl.col(column).str.split(" | "))
    rows = accept_candidates(candidates, ids)
    write_table(rows, out)
    console.print(f"{rows.height:,} merchant(s) written to {out}: "
                  f"{', '.join(rows['merchant_id'].to_list())}", highlight=False)
