"""Personal data protection: pseudonymous ids, masking of labels, erasure."""

from ledgerlens.privacy._pseudonymize import (
    DEV_KEY,
    Pseudonymizer,
    pseudonymizer_from_settings,
)

__all__ = ["DEV_KEY", "Pseudonymizer", "pseudonymizer_from_settings"]
