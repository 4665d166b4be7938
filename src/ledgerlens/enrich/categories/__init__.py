"""Categorization into the two-level taxonomy (enrichment step 5).

``CategoryModel.predict(frame)`` adds ``category``, ``subcategory``, ``category_confidence``
(calibrated) and ``category_evidence``; ``train_default_category_model`` builds the shipped
model from a synthetic bank; ``rule_subcategories`` is the rules-only fallback.
"""

from ledgerlens.enrich.categories._default import (
    synthetic_training_frame,
    train_default_category_model,
)
from ledgerlens.enrich.categories._model import OUTPUT_COLUMNS, CategoryModel, NotFittedError
from ledgerlens.enrich.categories._rules import rule_subcategories

__all__ = [
    "OUTPUT_COLUMNS",
    "CategoryModel",
    "NotFittedError",
    "rule_subcategories",
    "synthetic_training_frame",
    "train_default_category_model",
]
