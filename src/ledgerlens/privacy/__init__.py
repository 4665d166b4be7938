"""Personal data protection: pseudonymous ids, masking of labels, erasure."""

from ledgerlens.privacy._evaluate import (
    DAMAGE_LIMIT,
    RECALL_TARGET,
    MaskingReport,
    evaluate_masking,
)
from ledgerlens.privacy._marking import ALL_KINDS, CONTEXTS, TOKENS, label_context
from ledgerlens.privacy._mask import (
    find_label_pii,
    find_pii,
    mask_counterparty_iban,
    mask_labels,
    mask_text,
    mask_transactions,
)
from ledgerlens.privacy._names import Lexicon
from ledgerlens.privacy._pseudonymize import (
    DEV_KEY,
    Pseudonymizer,
    pseudonymizer_from_settings,
)

__all__ = [
    "ALL_KINDS",
    "CONTEXTS",
    "DAMAGE_LIMIT",
    "DEV_KEY",
    "RECALL_TARGET",
    "TOKENS",
    "Lexicon",
    "MaskingReport",
    "Pseudonymizer",
    "evaluate_masking",
    "find_label_pii",
    "find_pii",
    "label_context",
    "mask_counterparty_iban",
    "mask_labels",
    "mask_text",
    "mask_transactions",
    "pseudonymizer_from_settings",
]
