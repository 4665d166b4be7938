"""``ledgerlens privacy forget``: the right to erasure, from the command line.

The integrator registers ``forget`` on the privacy sub-app:
``privacy_app.command("forget")(forget)``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerlens.cli._common import clean_errors
from ledgerlens.cli._lake import LakeDir, open_lake

__all__ = ["forget"]

console = Console()


@clean_errors
def forget(
    customer: Annotated[str, typer.Option(
        "--customer", help="Pseudonymous customer id (cus_...); with --ref, the bank's own "
                           "customer number, pseudonymized here with the configured key.")],
    lake: LakeDir,
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant the customer belongs to.")],
    ref: Annotated[bool, typer.Option(
        "--ref", help="CUSTOMER is the bank's customer number, not the pseudonymous id.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer from every lake table, for good, and record it in privacy_audit.

    Rows go from every table with a customer_id column; old file versions are vacuumed
    and the table history before the erasure is dropped, so time travel cannot bring them
    back. The audit row holds a keyed hash of the customer, never the id.
    """
    from ledgerlens.store import forget_customer

    target = open_lake(lake)
    customer_id = customer
    if ref:
        import polars as pl

        from ledgerlens.privacy import pseudonymizer_from_settings

        pseudonymizer = pseudonymizer_from_settings()
        customer_id = str(pseudonymizer.customer_ids(pl.Series([customer]), tenant)[0])
    if not yes:
        typer.confirm(f"Erase this customer of tenant {tenant!r} from {lake}? "
                      "This cannot be undone", abort=True)
    result = forget_customer(target, tenant, customer_id)
    out = Table(title=f"erasure {result.event_id}", title_justify="left")
    out.add_column("table")
    out.add_column("rows removed", justify="right")
    for name, rows in result.rows_removed.items():
        out.add_row(name, f"{rows:,}")
    console.print(out)
    console.print(f"{result.files_removed:,} old file(s) deleted; audit subject "
                  f"{result.subject_hash[:16]}… (tenant {tenant})", highlight=False)
