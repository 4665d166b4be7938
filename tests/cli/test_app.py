"""The command line: help everywhere, clear errors and non-zero exits on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerlens.cli import app

runner = CliRunner()
COMMANDS = ("synth", "validate", "schema", "demo", "ingest", "lake", "privacy", "enrich",
            "train", "evaluate", "corrections", "merchants")


def test_root_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "ledgerlens" in result.output


def test_unknown_command_exits_non_zero() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def test_synth_rejects_non_positive_customers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--customers", "0"])
    assert result.exit_code == 2
    assert "customers" in result.output


def test_synth_rejects_a_bad_start_date(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--start", "31/02/2024"])
    assert result.exit_code == 2
    assert "ISO date" in result.output


def test_validate_names_a_folder_without_tables(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no transactions table" in result.output


def test_schema_prints_a_table_and_rejects_an_unknown_one() -> None:
    ok = runner.invoke(app, ["schema", "transactions"])
    assert ok.exit_code == 0
    assert "booking_date" in ok.output
    bad = runner.invoke(app, ["schema", "nope"])
    assert bad.exit_code == 1
    assert "unknown table 'nope'" in bad.output
