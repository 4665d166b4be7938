"""``ledgerlens enrich``, ``train enrichment`` and ``evaluate enrichment`` end to end."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ledgerlens.cli import app
from ledgerlens.datasets import SynthConfig, write_bank

runner = CliRunner()


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bank")
    write_bank(SynthConfig(customers=25, months=3, seed=4), folder)
    return folder


def test_enrich_a_plain_csv(tmp_path: Path) -> None:
    src = tmp_path / "mine.csv"
    src.write_text("date;amount;label;note\n12/03/2025;-4,20;CB BOULANGERIE DU MARCHE 11/03;a\n"
                   "13/03/2025;-54,00;PRLV SEPA EDF SA;b\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["enrich", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    enriched = pl.read_csv(out)
    assert enriched["note"].to_list() == ["a", "b"]
    assert enriched["transaction_type"][1] == "direct_debit"
    assert "enriched 2 transactions" in result.output


def test_enrich_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("when,amount,label\n2025-01-01,1,x\n")
    result = runner.invoke(app, ["enrich", str(src), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "lacks booking_date" in result.output
    result = runner.invoke(app, ["enrich"])
    assert result.exit_code == 2


def test_enrich_names_the_csv_line_with_too_many_fields(tmp_path: Path) -> None:
    src = tmp_path / "ragged.csv"
    src.write_text("date,amount,label\n2025-05-27,-4.20,CB BOULANGERIE 26/05\n"
                   "2025-05-28,-12.13,CARTE X1234 AMAZON US 12,99 USD\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = runner.invoke(app, ["enrich", str(src), "--out", str(out)])
    assert result.exit_code == 1
    assert "line 3: 4 fields where the header has 3" in result.output
    assert not out.exists()
    assert list(tmp_path.glob(".o.csv*")) == []  # no half-written file left behind


def test_evaluate_a_synthetic_bank(bank: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "enrichment", "--truth", str(bank),
                                 "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "category_l1_accuracy" in result.output
    assert (tmp_path / "report" / "enrichment_evaluation.html").is_file()


def test_evaluate_a_labelled_csv_names_missing_columns(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("label,amount\nCB X,1\n")
    result = runner.invoke(app, ["evaluate", "enrichment", "--truth", str(truth)])
    assert result.exit_code == 1
    assert "date" in result.output


@pytest.mark.slow
def test_train_saves_a_model_that_enrich_loads(tmp_path: Path) -> None:
    model = tmp_path / "model"
    result = runner.invoke(app, ["train", "enrichment", "--out", str(model), "--customers", "60",
                                 "--months", "3", "--no-holdout"])
    assert result.exit_code == 0, result.output
    assert (model / "category_model.npz").is_file()
    src = tmp_path / "in.csv"
    src.write_text("date,amount,label\n2025-03-12,-9.99,PAYPAL *SPOTIFY\n")
    result = runner.invoke(app, ["enrich", str(src), "--out", str(tmp_path / "o.parquet"),
                                 "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(tmp_path / "o.parquet")["intermediary"][0] == "paypal"
def test_enrich_refuses_a_correction_store_that_is_not_there(tmp_path: Path) -> None:
    # A mistyped folder would apply no correction, silently.
    src = tmp_path / "in.csv"
    src.write_text("date,amount,label\n2025-03-01,-3.5,CB LE PETIT ZINC\n")
    result = runner.invoke(app, ["enrich", str(src), "--out", str(tmp_path / "o.csv"),
                                 "--corrections", str(tmp_path / "no_such_store")])
    assert result.exit_code == 2
    assert "no correction store at" in result.output
    assert not (tmp_path / "o.csv").exists()
