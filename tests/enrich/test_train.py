"""Training from the synthetic bank and the held-out protocol (small banks: slow but real)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich import EnrichmentModel, TrainingConfig, enrich, holdout_evaluation
from ledgerlens.enrich._train import held_out_merchants, train_enrichment
from ledgerlens.exceptions import ArtifactError

SMALL = TrainingConfig(customers=80, months=3, test_customers=40, seed=2)


def test_held_out_merchants_are_a_stable_share() -> None:
    ids = pl.Series([f"loc:{i:05d}" for i in range(2000)] + [None])
    first = held_out_merchants(ids, 0.3, seed=0)
    assert first == held_out_merchants(ids.reverse(), 0.3, seed=0)
    assert 0.25 < len(first) / 2000 < 0.35


@pytest.mark.slow
def test_trained_model_round_trips_and_records_its_training(tmp_path: Path) -> None:
    model = train_enrichment(SMALL)
    assert model.metadata["n_transactions"] > 0
    assert model.metadata["data_window"]["start"] < model.metadata["data_window"]["end"]
    model.save(tmp_path)
    loaded = EnrichmentModel.load(tmp_path)
    tx = generate_bank(SynthConfig(customers=10, months=2, seed=8)).transactions
    assert enrich(tx, loaded).equals(enrich(tx, model))
    (tmp_path / "category_model.npz").write_bytes(b"tampered")
    with pytest.raises(ArtifactError, match="corrupted"):
        EnrichmentModel.load(tmp_path)


@pytest.mark.slow
def test_holdout_protocol_scores_three_slices() -> None:
    result = holdout_evaluation(SMALL)
    assert set(result.evaluations) == {"whole test bank", "in distribution",
                                       "held-out dialects", "held-out merchants",
                                       "without MCC or bank codes"}
    assert result.n_held_out_merchants > 0
    for figures in result.headline().values():
        assert 0.0 <= figures["category_l1_accuracy"] <= 1.0
    assert result.evaluations["whole test bank"].recurring is not None
