"""The default category model: trained, reproducibly, on a synthetic bank.

The ground truth gives the labels, the transaction types and intermediaries; the merchant
matcher's output is simulated from the ground truth's known (``nsi:``/``cur:``) merchants,
found for 90 % of their rows and wrong for 1 % of those, so that the model learns to use a
directory category without trusting it blindly.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ledgerlens.enrich.categories._model import CategoryModel

__all__ = ["simulate_matcher", "synthetic_training_frame", "train_default_category_model"]

MATCHER_RECALL = 0.90
MATCHER_PRECISION = 0.99


def synthetic_training_frame(
    transactions: pl.DataFrame, ground_truth: pl.DataFrame, seed: int = 0
) -> pl.DataFrame:
    """Working-frame columns for training from a synthetic bank, plus ``true_subcategory``."""
    df = transactions.join(ground_truth, on=["tenant_id", "transaction_id"], how="inner")
    df = df.select(
        raw_label=pl.concat_str(
            ["raw_label", "label_complement"], separator=" ", ignore_nulls=True
        ),
        amount=pl.col("amount").cast(pl.Float64),
        mcc="mcc",
        counterparty_name="counterparty_name",
        transaction_type="transaction_type",
        intermediary="intermediary",
        merchant_id="merchant_id",
        true_subcategory="subcategory",
    )
    return simulate_matcher(df, seed).drop("merchant_id")


def simulate_matcher(frame: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """Stand-in matcher output from ``merchant_id`` and ``true_subcategory`` (ground truth).

    Known (``nsi:``/``cur:``) merchants are found for MATCHER_RECALL of their rows; of those,
    1 - MATCHER_PRECISION get another row's subcategory with a high confidence.
    """
    rng = np.random.default_rng(seed)
    n = frame.height
    known = frame["merchant_id"].str.contains(r"^(nsi|cur):").fill_null(False).to_numpy()
    found = known & (rng.random(n) < MATCHER_RECALL)
    wrong = found & (rng.random(n) > MATCHER_PRECISION)
    truth = frame["true_subcategory"].to_numpy()
    sub = np.where(wrong, rng.permutation(truth), truth)
    conf = np.where(wrong, rng.uniform(0.85, 0.99, n), rng.uniform(0.9, 1.0, n))
    mask = pl.Series(found)
    return frame.with_columns(
        merchant_subcategory=pl.Series(sub, dtype=pl.String).zip_with(
            mask, pl.Series([None] * n, dtype=pl.String)
        ),
        merchant_confidence=pl.Series(conf, dtype=pl.Float64).zip_with(
            mask, pl.Series([None] * n, dtype=pl.Float64)
        ),
    )


def train_default_category_model(
    seed: int = 0, customers: int = 1000, months: int = 12
) -> CategoryModel:
    """Generate a synthetic bank (``customers`` x ``months``, ``seed``) and fit the model on it.

    Deterministic for a given seed; about two minutes on two cores for 1000 x 12.
    """
    from ledgerlens.datasets import SynthConfig, generate_bank

    bank = generate_bank(SynthConfig(customers=customers, months=months, seed=seed))
    frame = synthetic_training_frame(bank.transactions, bank.ground_truth, seed=seed)
    return CategoryModel(seed=seed).fit(frame, frame["true_subcategory"])
