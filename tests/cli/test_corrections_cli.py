"""``ledgerlens corrections`` and ``ledgerlens merchants`` commands, on a local Typer app."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import typer
from typer.testing import CliRunner

from ledgerlens.cli._corrections import corrections_app
from ledgerlens.cli._merchants import merchants_app

app = typer.Typer()
app.add_typer(corrections_app, name="corrections")
app.add_typer(merchants_app, name="merchants")
runner = CliRunner()


def _enriched(path: Path) -> Path:
    labels = ["BOULANGERIE DU MARCHE 12", "BOULANGERIE DU MARCHE", "CARREFOUR CITY"]
    rows = [{"transaction_id": f"t{i}", "customer_id": f"c{i % 7}",
             "clean_label": labels[i % 3], "amount": -3.5, "mcc": "5462",
             "transaction_type": "card_in_store",
             "merchant_id": "nsi:carrefour_city" if i % 3 == 2 else None,
             "category": "food_and_drink", "subcategory": "restaurant"} for i in range(42)]
    pl.DataFrame(rows).write_parquet(path)
    return path


def _added_id(output: str) -> str:
    match = re.search(r"added correction ([0-9a-f]{16})", output)
    assert match, output
    return match.group(1)


def test_add_list_remove_round_trip(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    added = runner.invoke(app, ["corrections", "add", "--store", store, "--pattern",
                                "boulangerie du marche", "--subcategory", "bakery",
                                "--customer", "c1", "--note", "a bakery, not a restaurant"])
    assert added.exit_code == 0, added.output
    correction_id = _added_id(added.output)
    listed = runner.invoke(app, ["corrections", "list", "--store", store])
    assert listed.exit_code == 0
    assert correction_id in listed.output
    assert "customer" in listed.output
    removed = runner.invoke(app, ["corrections", "remove", correction_id[:8], "--store", store])
    assert removed.exit_code == 0
    assert correction_id in removed.output
    assert "0 correction(s)" in runner.invoke(app, ["corrections", "list", "--store",
                                                   store]).output


def test_add_names_the_allowed_values_of_a_bad_option(tmp_path: Path) -> None:
    store = str(tmp_path)
    bad_category = runner.invoke(app, ["corrections", "add", "--store", store, "--merchant",
                                       "loc:1", "--category", "food"])
    assert bad_category.exit_code == 1
    assert "unknown category 'food'" in bad_category.output
    assert "food_and_drink" in bad_category.output
    bad_type = runner.invoke(app, ["corrections", "add", "--store", store, "--transaction",
                                   "t1", "--type", "card"])
    assert bad_type.exit_code == 1
    assert "card_contactless" in bad_type.output
    bad_regex = runner.invoke(app, ["corrections", "add", "--store", store, "--pattern", "(x",
                                    "--regex", "--category", "other"])
    assert bad_regex.exit_code == 1
    assert "invalid regex" in bad_regex.output
    two_targets = runner.invoke(app, ["corrections", "add", "--store", store, "--merchant", "m",
                                      "--transaction", "t1", "--category", "other"])
    assert two_targets.exit_code == 1
    assert "exactly one target" in two_targets.output
    unknown = runner.invoke(app, ["corrections", "remove", "feedfacefeed", "--store", store])
    assert unknown.exit_code == 1
    assert "unknown correction id" in unknown.output


def test_export_writes_training_rows(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    enriched = _enriched(tmp_path / "enriched.parquet")
    runner.invoke(app, ["corrections", "add", "--store", store, "--pattern", "BOULANGERIE",
                        "--subcategory", "bakery"])
    out = tmp_path / "training.csv"
    result = runner.invoke(app, ["corrections", "export", "--store", store, "--enriched",
                                 str(enriched), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out)
    assert rows.height == 28
    assert set(rows["subcategory"]) == {"bakery"}
    assert set(rows["source"]) == {"correction"}


def test_merchants_discover_and_accept(tmp_path: Path) -> None:
    enriched = _enriched(tmp_path / "enriched.parquet")
    candidates = tmp_path / "candidates.parquet"
    result = runner.invoke(app, ["merchants", "discover", str(enriched), "--out",
                                 str(candidates), "--min-customers", "5"])
    assert result.exit_code == 0, result.output
    found = pl.read_parquet(candidates)
    assert found["name"].to_list() == ["BOULANGERIE DU MARCHE"]
    directory = tmp_path / "directory.csv"
    accepted = runner.invoke(app, ["merchants", "accept", str(candidates), "--id",
                                   found["candidate_id"][0], "--out", str(directory)])
    assert accepted.exit_code == 0, accepted.output
    assert pl.read_csv(directory)["merchant_id"].to_list() == ["disc:boulangerie-du-marche"]


def test_merchants_discover_rejects_an_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("label\n", encoding="utf-8")
    result = runner.invoke(app, ["merchants", "discover", str(tmp_path / "x.txt"), "--out",
                                 str(tmp_path / "c.parquet")])
    assert result.exit_code == 1
    assert "unknown table format" in result.output
