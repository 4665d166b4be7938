"""Scoring masking against the synthetic bank's ground truth, and the evaluate command."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ledgerlens.cli import app
from ledgerlens.datasets import SynthConfig, SyntheticBank, generate_bank, write_bank
from ledgerlens.exceptions import DataError
from ledgerlens.privacy import DAMAGE_LIMIT, RECALL_TARGET, MaskingReport, evaluate_masking
from ledgerlens.schema import PII_SPAN_DTYPE

runner = CliRunner()


@pytest.fixture(scope="module")
def bank() -> SyntheticBank:
    # 300 customers: on 150, precision moved from 0.942 to 0.988 with the seed alone (seeds
    # 7-10, stop 29's generator and stop 30's alike), across the 0.95 bound below.
    return generate_bank(SynthConfig(customers=300, months=6, seed=7))


def test_synthetic_bank_meets_recall_and_merchant_damage_targets(bank: SyntheticBank) -> None:
    report = evaluate_masking(bank.transactions, bank.ground_truth)
    assert report.pii_spans > 500
    assert report.recall >= RECALL_TARGET
    assert report.damage_rate <= DAMAGE_LIMIT
    assert report.precision > 0.95
    assert report.passed
    assert set(report.recall_by_kind) >= {"name", "phone"}
    assert report.card_payments > report.transactions / 2


def _frames(labels: list[tuple[str, str, list[tuple[int, int, str]]]]
            ) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = [f"{i:032x}" for i in range(len(labels))]
    transactions = pl.DataFrame({"tenant_id": "t", "transaction_id": ids,
                                 "raw_label": [label for label, _, _ in labels]})
    truth = pl.DataFrame({
        "tenant_id": "t", "transaction_id": ids,
        "transaction_type": [kind for _, kind, _ in labels],
        "pii_spans": pl.Series([[{"start": s, "end": e, "kind": k} for s, e, k in spans]
                                for _, _, spans in labels], dtype=PII_SPAN_DTYPE),
        "complement_pii_spans": pl.Series([[] for _ in labels], dtype=PII_SPAN_DTYPE)})
    return transactions, truth


def test_counts_recall_precision_and_damage_by_hand() -> None:
    transactions, truth = _frames([
        ("VIR M JEAN DUPONT LOYER", "transfer_out", [(6, 17, "name")]),
        ("VIR SEPA LOYER CHEZ TOTO", "transfer_out", [(20, 24, "name")]),  # missed
        ("CB CARREFOUR 28/11", "card_in_store", []),
        ("CB SHOP 0612345678", "card_online", []),  # a phone in a card label: damaged
    ])
    report = evaluate_masking(transactions, truth)
    assert (report.pii_spans, report.recalled_spans) == (2, 1)
    assert report.recall == 0.5
    assert report.recall_by_kind == {"name": 0.5}
    assert (report.card_payments, report.damaged_card_payments) == (2, 1)
    assert report.damage_rate == 0.5
    assert report.masked_chars == 11 + 10
    assert report.precision == pytest.approx(11 / 21)
    assert not report.passed
    assert report.missed_examples == ("name: VIR SEPA LOYER CHEZ [TOTO] || None",)
    assert report.damaged_examples == ("CB SHOP 0612345678 -> CB SHOP <PHONE>",)


def test_a_span_partly_masked_is_not_recalled() -> None:
    transactions, truth = _frames([("VIR M JEAN DUPONT LOYER", "transfer_out",
                                    [(2, 17, "name")])])
    assert evaluate_masking(transactions, truth).recall == 0.0


def test_report_reads_as_text_and_markdown() -> None:
    report = MaskingReport(transactions=10, pii_spans=4, recalled_spans=4, masked_chars=20,
                           masked_chars_in_truth=19, card_payments=5, damaged_card_payments=0,
                           spans_by_kind={"name": 4}, recalled_by_kind={"name": 4},
                           missed_examples=(), damaged_examples=())
    assert "PII span recall 100.00%" in report.summary()
    assert "targets met" in report.summary()
    markdown = report.to_markdown()
    assert "| span recall | 100.00% (4) |" in markdown
    assert "| name | 4 | 100.00% |" in markdown


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"ground_truth lacks columns \['pii_spans'"):
        evaluate_masking(pl.DataFrame({"tenant_id": [], "transaction_id": [], "raw_label": []}),
                         pl.DataFrame({"tenant_id": [], "transaction_id": [],
                                       "transaction_type": [], "complement_pii_spans": []}))


def test_evaluate_command_generates_a_bank_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = runner.invoke(app, ["privacy", "evaluate", "--customers", "40", "--months", "2",
                                 "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "span recall" in result.output
    assert "targets met" in result.output
    assert "| span recall |" in out.read_text(encoding="utf-8")


def test_evaluate_command_reads_a_written_bank(tmp_path: Path) -> None:
    write_bank(SynthConfig(customers=30, months=2, seed=5), tmp_path / "bank")
    result = runner.invoke(app, ["privacy", "evaluate", "--bank", str(tmp_path / "bank")])
    assert result.exit_code == 0, result.output
    assert "merchant damage" in result.output


def test_evaluate_command_exits_1_when_targets_are_missed(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    poor = MaskingReport(transactions=10, pii_spans=10, recalled_spans=5, masked_chars=5,
                         masked_chars_in_truth=5, card_payments=1, damaged_card_payments=0)
    monkeypatch.setattr("ledgerlens.privacy.evaluate_masking", lambda *a, **k: poor)
    result = runner.invoke(app, ["privacy", "evaluate", "--customers", "5", "--months", "1"])
    assert result.exit_code == 1
    assert "targets not met" in result.output


def test_evaluate_command_names_a_missing_bank(tmp_path: Path) -> None:
    result = runner.invoke(app, ["privacy", "evaluate", "--bank", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no transactions table" in result.output
