"""``ledgerlens lake ...``: look into a lake folder (tables, counts, versions) and query it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import clean_errors

if TYPE_CHECKING:
    from ledgerlens.store import Lake

__all__ = ["LakeDir", "lake_app", "open_lake"]

lake_app = typer.Typer(help="The lake: list its tables, query them with SQL.",
                       no_args_is_help=True)
console = Console()

LakeDir = Annotated[Path, typer.Option("--lake", help="Lake folder (as written by ingest).")]


def open_lake(folder: Path) -> Lake:
    """The lake in ``folder``; an error when there is no such folder (a typo, not a new lake)."""
    from ledgerlens.store import Lake

    if not folder.is_dir():
        raise FileNotFoundError(f"no lake folder at {folder}")
    return Lake(folder)


@lake_app.command()
@clean_errors
def show(lake: LakeDir) -> None:
    """List the lake's tables: rows, files, size, current version and partitioning."""
    summary = open_lake(lake).summary()
    out = Table(title=f"lake {lake}", title_justify="left")
    for name in ("table", "rows", "files", "MB", "version", "partitioned by"):
        out.add_column(name, justify="left" if name in ("table", "partitioned by") else "right")
    for row in summary.iter_rows(named=True):
        out.add_row(row["table"], f"{row['rows']:,}", f"{row['files']:,}",
                    f"{row['bytes'] / 1e6:,.1f}", str(row["version"]), row["partition_by"])
    console.print(out)


@lake_app.command()
@clean_errors
def sql(
    query: Annotated[str, typer.Argument(help="A DuckDB query; each lake table is a view.")],
    lake: LakeDir,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to print at most.")] = 50,
) -> None:
    """Run a read-only DuckDB query over the lake and print the result."""
    import polars as pl

    result = open_lake(lake).sql(query)
    with pl.Config(tbl_rows=limit, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        typer.echo(result.head(limit))
    if result.height > limit:
        typer.echo(f"({result.height:,} rows, first {limit} shown)")
