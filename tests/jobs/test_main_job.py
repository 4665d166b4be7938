"""The main job behind `make demo`, end to end on a small bank."""

from __future__ import annotations

from pathlib import Path

import polars as pl
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
    step = result.ingestion
    assert step.round_trip_ok
    assert step.n_in_lake == result.rows["transactions"]
    assert step.masking.recall >= 0.99
    assert "Ingestion and privacy" in html
    assert (tmp_path / "lake" / "transactions").is_dir()
    # Run again into the same folder with another bank: the earlier run's statements and
    # lake are replaced, not mixed in (the round trip would count the old transactions).
    again = run_main_job(tmp_path, SynthConfig(customers=30, months=2, seed=3))
    assert again.ok
    assert again.ingestion.n_in_lake == again.rows["transactions"]


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


@pytest.mark.slow
def test_cli_exports_ingests_shows_and_forgets(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    bank, lake = tmp_path / "bank", tmp_path / "lake"
    made = runner.invoke(app, ["synth", "--out", str(bank), "-n", "12", "-m", "2",
                               "--export", "native"])
    assert made.exit_code == 0, made.output
    exports = bank / "exports"
    args = ["ingest", str(exports), "--tenant", "synthetic", "--lake", str(lake),
            "--accounts", str(exports / "accounts.csv")]
    monkeypatch.delenv("LEDGERLENS_PSEUDONYMIZATION_KEY", raising=False)
    monkeypatch.delenv("LEDGERLENS_ENV", raising=False)
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "LEDGERLENS_PSEUDONYMIZATION_KEY" in refused.output
    monkeypatch.setenv("LEDGERLENS_ENV", "dev")
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    shown = runner.invoke(app, ["lake", "show", "--lake", str(lake)])
    assert shown.exit_code == 0
    assert "transactions" in shown.output
    customer = pl.read_parquet(bank / "customers" / "part-00000.parquet")["customer_id"][0]
    gone = runner.invoke(app, ["privacy", "forget", "--customer", customer, "--lake", str(lake),
                               "--tenant", "synthetic", "--yes"])
    assert gone.exit_code == 0, gone.output
    left = pl.scan_delta(str(lake / "transactions")).filter(
        pl.col("customer_id") == customer).select(pl.len()).collect().item()
    assert left == 0


def test_job_folders_are_replaced_only_when_the_job_wrote_them(tmp_path: Path) -> None:
    from ledgerlens.exceptions import ConfigurationError
    from ledgerlens.jobs._folders import JOB_MARK, fresh_job_folder

    ours = tmp_path / "lake"
    fresh_job_folder(ours)
    assert (ours / JOB_MARK).is_file()
    (ours / "old.parquet").write_text("x")
    fresh_job_folder(ours)
    assert sorted(p.name for p in ours.iterdir()) == [JOB_MARK]
    theirs = tmp_path / "exports"
    theirs.mkdir()
    (theirs / "statement.csv").write_text("x")
    with pytest.raises(ConfigurationError, match="exports"):
        fresh_job_folder(theirs)
    assert (theirs / "statement.csv").is_file()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigurationError, match="afile"):
        fresh_job_folder(tmp_path / "afile")
    empty = tmp_path / "empty"
    empty.mkdir()
    fresh_job_folder(empty)
    assert (empty / JOB_MARK).is_file()
