"""Enrichment: clean labels, transaction types, intermediaries, merchants, categories, recurring
payments and income, with explanations, calibrated confidences and corrections that stay fixed.

>>> import polars as pl
>>> from ledgerlens.enrich import enrich
>>> out = enrich(pl.DataFrame({"date": ["2025-03-12"], "amount": [-42.1],
...                            "label": ["CB CARREFOUR CITY 11/03"]}))
>>> out["transaction_type"][0].startswith("card")
True

``enrich(table, model)`` is pure (no I/O); ``EnrichmentModel.default()`` is the model shipped
with the package. ``enrich_file`` / ``enrich_lake`` stream larger tables in batches of whole
accounts.
"""

from ledgerlens.enrich._batch import DEFAULT_BATCH_ROWS, enrich_in_batches
from ledgerlens.enrich._corrections import (
    Correction,
    CorrectionSet,
    CorrectionStore,
    apply_corrections,
    export_training_data,
)
from ledgerlens.enrich._discover import accept_candidates, discover_merchants
from ledgerlens.enrich._evaluate import (
    HEADLINE_TARGETS,
    EnrichmentEvaluation,
    align_truth,
    evaluate_enrichment,
    load_truth_csv,
)
from ledgerlens.enrich._frame import ENRICHMENT_COLUMNS, prepare
from ledgerlens.enrich._io import (
    EnrichmentSummary,
    enrich_file,
    enrich_lake,
    scan_table,
    unreadable_input,
)
from ledgerlens.enrich._model import DEFAULT_MODEL_DIR, EnrichmentModel
from ledgerlens.enrich._pipeline import EnrichmentResult, enrich, enrich_with_streams
from ledgerlens.enrich._report import write_comparison_report, write_evaluation_report
from ledgerlens.enrich._train import (
    HoldoutResult,
    TrainingConfig,
    holdout_evaluation,
    train_enrichment,
)
from ledgerlens.enrich.categories import CategoryModel
from ledgerlens.enrich.merchants import MerchantDirectory, MerchantMatcher

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_MODEL_DIR",
    "ENRICHMENT_COLUMNS",
    "HEADLINE_TARGETS",
    "CategoryModel",
    "Correction",
    "CorrectionSet",
    "CorrectionStore",
    "EnrichmentEvaluation",
    "EnrichmentModel",
    "EnrichmentResult",
    "EnrichmentSummary",
    "HoldoutResult",
    "MerchantDirectory",
    "MerchantMatcher",
    "TrainingConfig",
    "accept_candidates",
    "align_truth",
    "apply_corrections",
    "discover_merchants",
    "enrich",
    "enrich_file",
    "enrich_in_batches",
    "enrich_lake",
    "enrich_with_streams",
    "evaluate_enrichment",
    "export_training_data",
    "holdout_evaluation",
    "load_truth_csv",
    "prepare",
    "scan_table",
    "train_enrichment",
    "unreadable_input",
    "write_comparison_report",
    "write_evaluation_report",
]
