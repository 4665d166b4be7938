"""The main job behind `make demo`, end to end on a small bank."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerlens.cli import app
from ledgerlens.datasets import SynthConfig
from ledgerlens.jobs import run_main_job


@pytest.mark.slow
def test_main_job_writes_a_valid_bank_a_report_and_a_summary(tmp_path: Path) -> None:
    result = run_main_job(tmp_path, SynthConfig(customers=40, months=3, seed=2))
    assert result.ok
    assert result.rows["transactions"] > 1_000
    html = result.report_path.read_text(encoding="utf-8")
    assert "<svg" in html
    assert "Transactions per month" in html
    summary = result.summary_path.read_text(encoding="utf-8")
    assert f"{result.rows['transactions']:,}" in summary
    assert (tmp_path / "bank" / "transactions" / "part-00000.parquet").exists()


@pytest.mark.slow
def test_cli_synth_then_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "bank"
    made = runner.invoke(app, ["synth", "--out", str(out), "-n", "25", "-m", "2", "-s", "3"])
    assert made.exit_code == 0, made.output
    assert "transactions" in made.output
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "transactions:" in checked.output
    assert "valid" in checked.output
