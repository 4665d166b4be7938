"""Merchant directory and recognition: which known merchant a label names, how sure we are.

``MerchantDirectory`` holds the known merchants (name-suggestion-index brands valid in
France and the curated list) with their normalized aliases; ``MerchantMatcher`` finds
candidates (alias n-gram join, truncated prefixes, character n-gram similarity), scores
them with a calibrated conditional-logit model (label evidence, MCC, transaction type),
adds up the probability of candidates of one brand (``MerchantDirectory.brand_keys``) and
returns a merchant only above the confidence that gives the requested precision.
"""

from ledgerlens.enrich.merchants._directory import (
    DIRECTORY_COLUMNS,
    MerchantDirectory,
    alias_variants,
    canonical_text,
)
from ledgerlens.enrich.merchants._matcher import MERCHANT_COLUMNS, MerchantMatcher
from ledgerlens.enrich.merchants._scorer import (
    FEATURE_NAMES,
    MIN_CONFIDENCE,
    MerchantScorer,
    smooth_isotonic,
)

__all__ = [
    "DIRECTORY_COLUMNS",
    "FEATURE_NAMES",
    "MERCHANT_COLUMNS",
    "MIN_CONFIDENCE",
    "MerchantDirectory",
    "MerchantMatcher",
    "MerchantScorer",
    "alias_variants",
    "canonical_text",
    "smooth_isotonic",
]
