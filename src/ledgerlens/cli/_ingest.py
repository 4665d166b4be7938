"""``ledgerlens ingest`` and ``ledgerlens lake``: files into the lake, and looking at it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import progress_bar

__all__ = ["ingest"]

console = Console()


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file()
                                and f.name != "accounts.csv"))
        else:
            files.append(p)
    return files


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of statements.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant the data belongs to.")],
    lake: Annotated[Path, typer.Option("--lake", "-l", help="Lake folder (created if new).")],
    format: Annotated[str, typer.Option("--format", "-f",
                                        help="Format, or 'auto' to sniff it.")] = "auto",
    accounts: Annotated[Path | None, typer.Option(
        "--accounts", help="CSV manifest: account_ref,customer_ref[,file].")] = None,
    csv_layout: Annotated[str | None, typer.Option(
        "--csv-layout", help="CSV layout: a built-in name (bnp_like, sg_like, ...) or a "
        "TOML file declaring a new one. Sniffed when omitted.")] = None,
) -> None:
    """Ingest bank statement files (CSV, OFX, camt.053, MT940, CFONB, STET, Berlin Group)
    into the lake; rejects go to quarantine with a reason."""
    from ledgerlens.ingest import ingest_paths, load_manifest
    from ledgerlens.ingest.readers import BUILTIN_LAYOUTS, load_layout
    from ledgerlens.privacy import pseudonymizer_from_settings
    from ledgerlens.store import Lake

    pseudonymizer = pseudonymizer_from_settings()
    options = {}
    if csv_layout is not None:
        options["layout"] = (BUILTIN_LAYOUTS[csv_layout] if csv_layout in BUILTIN_LAYOUTS
                             else load_layout(Path(csv_layout)))
    customer_refs, account_refs = load_manifest(accounts) if accounts else ({}, {})
    files = _expand(paths)
    if not files:
        raise ValueError("no files to ingest under the given paths")
    with progress_bar("ingesting") as progress:
        summaries = ingest_paths(files, tenant_id=tenant, lake=Lake(lake),
                                 pseudonymizer=pseudonymizer, customer_refs=customer_refs,
                                 account_refs=account_refs, format=format,
                                 reader_options=options, progress=progress)
    table = Table(title=f"ingested into {lake}")
    for col in ("format", "files", "found", "accepted", "added", "duplicates", "quarantined",
                "failed"):
        table.add_column(col, justify="right" if col != "format" else "left")
    by_format: dict[str, list[int]] = {}
    for s in summaries:
        row = by_format.setdefault(s.format, [0] * 7)
        for k, v in enumerate((1, s.n_found, s.n_accepted, s.n_added, s.n_duplicates_skipped,
                               s.n_quarantined, int(s.status == "failed"))):
            row[k] += v
    for fmt, row in sorted(by_format.items()):
        table.add_row(fmt, *(f"{v:,}" for v in row))
    console.print(table)
    failed = [s for s in summaries if s.status == "failed"]
    for s in failed[:10]:
        console.print(f"[red]failed:[/] {s.error}", highlight=False)
    if failed:
        raise typer.Exit(code=1)
