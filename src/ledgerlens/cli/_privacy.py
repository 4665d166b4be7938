"""``ledgerlens privacy ...``: masking evaluation and erasure (commands added here)."""

from __future__ import annotations

import typer

__all__ = ["privacy_app"]

privacy_app = typer.Typer(help="Personal data: masking evaluation, right to erasure.",
                          no_args_is_help=True)
