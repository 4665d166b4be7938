"""The ``ledgerlens`` command line: thin Typer commands that call the library."""

from ledgerlens.cli._app import app, main

__all__ = ["app", "main"]
