"""``ledgerlens corrections ...``: record, list, remove and export corrections that stay fixed."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import clean_errors
from ledgerlens.exceptions import ConfigurationError

if TYPE_CHECKING:
    import polars as pl

    from ledgerlens.enrich._corrections import Correction

__all__ = ["corrections_app", "read_table", "write_table"]

corrections_app = typer.Typer(
    help="Corrections that stay fixed: add, list, remove, export as training data.",
    no_args_is_help=True)
console = Console()

StoreDir = Annotated[Path, typer.Option("--store", help="Folder that holds the corrections.")]
_TABLE_SUFFIXES = (".parquet", ".csv")


def read_table(path: Path) -> pl.DataFrame:
    """A Parquet or CSV file (by extension) as a DataFrame; clear errors otherwise."""
    import polars as pl

    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        raise ConfigurationError(f"{path}: unknown table format {suffix or '(none)'!r}; "
                                 f"expected one of {', '.join(_TABLE_SUFFIXES)}")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema_length=10_000, encoding="utf8-lossy")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as Parquet or CSV (by extension); list columns become JSON in CSV."""
    import polars as pl

    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        raise ConfigurationError(f"{path}: unknown table format {suffix or '(none)'!r}; "
                                 f"expected one of {', '.join(_TABLE_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        frame.write_parquet(path)
        return
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    frame.with_columns(
        pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(" | ") for c in lists
    ).write_csv(path)


def _sets(values: dict[str, object]) -> str:
    """What a correction sets, shortly: ``groceries/bakery, merchant disc:x, recurring``."""
    parts: list[str] = []
    if values.get("category") is not None:
        sub = values.get("subcategory")
        parts.append(f"{values['category']}" + (f"/{sub}" if sub is not None else ""))
    if values.get("merchant_id") is not None:
        name = values.get("merchant_name")
        parts.append(f"merchant {values['merchant_id']}" + (f" ({name})" if name else ""))
    if values.get("transaction_type") is not None:
        parts.append(f"type {values['transaction_type']}")
    for flag in ("is_recurring", "is_income"):
        if values.get(flag) is not None:
            word = flag.removeprefix("is_")
            parts.append(word if values[flag] else f"not {word}")
    return ", ".join(parts)


def _describe(c: Correction) -> str:
    return _sets({name: getattr(c, name) for name in
                  ("category", "subcategory", "merchant_id", "merchant_name",
                   "transaction_type", "is_recurring", "is_income")})


@corrections_app.command("add")
@clean_errors
def add(
    store: StoreDir,
    transaction: Annotated[str | None, typer.Option(
        "--transaction", help="Target one transaction (its transaction_id).")] = None,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", help="Target every clean label containing TEXT (case-insensitive).")] = None,
    regex: Annotated[bool, typer.Option(
        "--regex", help="Read --pattern as a regular expression (case-insensitive).")] = False,
    merchant: Annotated[str | None, typer.Option(
        "--merchant", help="Target every transaction of this merchant_id.")] = None,
    customer: Annotated[str | None, typer.Option(
        "--customer", help="Only for this customer_id (default: everyone).")] = None,
    tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Only for this tenant_id (default: every tenant).")] = None,
    category: Annotated[str | None, typer.Option(
        "--category", help="Set the level-1 category.")] = None,
    subcategory: Annotated[str | None, typer.Option(
        "--subcategory", help="Set the level-2 category (implies its category).")] = None,
    merchant_id: Annotated[str | None, typer.Option(
        "--merchant-id", help="Set the merchant id.")] = None,
    merchant_name: Annotated[str | None, typer.Option(
        "--merchant-name", help="Set the merchant name (with --merchant-id).")] = None,
    transaction_type: Annotated[str | None, typer.Option(
        "--type", help="Set the transaction type.")] = None,
    recurring: Annotated[bool | None, typer.Option(
        "--recurring/--not-recurring", help="Mark as recurring or not.")] = None,
    income: Annotated[bool | None, typer.Option(
        "--income/--not-income", help="Mark as income or not.")] = None,
    author: Annotated[str | None, typer.Option(
        "--author", help="Who made the correction (default: the current user).")] = None,
    note: Annotated[str, typer.Option("--note", help="Why (free text).")] = "",
) -> None:
    """Record a correction; it applies on the next enrichment, deterministically."""
    from ledgerlens.enrich._corrections import Correction, CorrectionStore

    targets = {"transaction": transaction, "pattern": pattern, "merchant": merchant}
    given = {k: v for k, v in targets.items() if v is not None}
    if len(given) != 1:
        raise ConfigurationError("give exactly one target: --transaction ID, --pattern TEXT "
                                 f"or --merchant ID (got {len(given)})")
    (scope, target), = given.items()
    if regex and scope != "pattern":
        raise ConfigurationError("--regex only goes with --pattern")
    if author is None:
        try:
            author = getpass.getuser()
        except (KeyError, OSError):
            author = ""
    correction = Correction(
        scope=scope,  # type: ignore[arg-type]  # checked by Correction itself
        target=target, regex=regex, customer_id=customer, tenant_id=tenant,
        category=category, subcategory=subcategory, merchant_id=merchant_id,
        merchant_name=merchant_name, transaction_type=transaction_type,
        is_recurring=recurring, is_income=income, author=author, note=note)
    CorrectionStore(store).add(correction)
    console.print(f"added correction {correction.correction_id}: {scope} {target!r} "
                  f"({correction.applies_to}) -> {_describe(correction)}",
                  markup=False, highlight=False)


@corrections_app.command("list")
@clean_errors
def list_cmd(
    store: StoreDir,
    customer: Annotated[str | None, typer.Option(
        "--customer", help="Only corrections for this customer_id.")] = None,
    tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Only corrections for this tenant_id.")] = None,
) -> None:
    """List the stored corrections, oldest first."""
    from ledgerlens.enrich._corrections import CorrectionStore

    frame = CorrectionStore(store).list(customer_id=customer, tenant_id=tenant)
    table = Table(title=f"{frame.height} correction(s) in {store}", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=16)
    table.add_column("for", no_wrap=True)
    for name in ("target", "sets", "by", "note"):
        table.add_column(name, overflow="fold")
    for row in frame.iter_rows(named=True):
        target = f"{row['scope']} {row['target']!r}" + (" (regex)" if row["regex"] else "")
        who = (f"customer {row['customer_id']}" if row["customer_id"] is not None
               else f"tenant {row['tenant_id']}" if row["tenant_id"] is not None else "global")
        by = f"{row['author']} {row['created_at']:%Y-%m-%d}".strip()
        table.add_row(row["correction_id"], who, target, _sets(row), by, row["note"])
    console.print(table)


@corrections_app.command("remove")
@clean_errors
def remove(
    correction_id: Annotated[str, typer.Argument(
        help="The correction's id (or a unique prefix of at least 6 characters).")],
    store: StoreDir,
) -> None:
    """Remove one correction from the store."""
    from ledgerlens.enrich._corrections import CorrectionStore

    removed = CorrectionStore(store).remove(correction_id)
    console.print(f"removed correction {removed.correction_id}", highlight=False)


@corrections_app.command("export")
@clean_errors
def export(
    store: StoreDir,
    enriched: Annotated[Path, typer.Option(
        "--enriched", help="Enriched transactions (Parquet or CSV).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Training rows to write (Parquet or CSV).")],
) -> None:
    """Export the corrected transactions as labelled training rows for the next model."""
    from ledgerlens.enrich._corrections import CorrectionStore, export_training_data

    frame = read_table(enriched)
    if "clean_label" not in frame.columns:
        raise ConfigurationError(f"{enriched}: no clean_label column; expected an enriched "
                                 "table (as written by 'ledgerlens enrich')")
    rows = export_training_data(frame, CorrectionStore(store).load())
    write_table(rows, out)
    console.print(f"{rows.height:,} corrected transaction(s) written to {out}",
                  highlight=False)
