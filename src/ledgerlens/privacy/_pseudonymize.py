"""Pseudonymous ids: a keyed HMAC of the bank's own identifiers.

The same account number always gives the same ``account_id`` under one key and tenant,
so that files ingested months apart join up, while the id alone reveals nothing without
the key. The key is a secret from settings; a development key exists for tests, demos
and the synthetic bank, and production refuses it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import polars as pl

from ledgerlens.config import Settings, get_settings
from ledgerlens.exceptions import ConfigurationError

__all__ = ["DEV_KEY", "MIN_KEY_LENGTH", "Pseudonymizer", "pseudonymizer_from_settings"]

log = logging.getLogger(__name__)

#: Fixed, public key for development, tests and the synthetic bank. Never for real data.
DEV_KEY = "ledgerlens-development-key-do-not-use-in-production"
MIN_KEY_LENGTH = 32


class Pseudonymizer:
    """Keyed HMAC-SHA256 of identifiers, namespaced by tenant and kind of id.

    >>> p = Pseudonymizer(DEV_KEY)
    >>> p.account_ids(pl.Series(["FR7630006000011234567890189"]), "bank1")[0][:4]
    'acc_'
    """

    def __init__(self, key: str) -> None:
        if not key:
            raise ConfigurationError("the pseudonymization key is empty")
        self._key = key.encode()

    def __repr__(self) -> str:  # never print the key
        return "Pseudonymizer(key=***)"

    def ids(self, values: pl.Series, prefix: str, tenant_id: str) -> pl.Series:
        """``prefix`` + 16 hex characters per value; nulls stay null."""
        unique = values.drop_nulls().unique()
        mapping = {
            v: prefix + hmac.new(self._key, f"{tenant_id}\x1f{prefix}\x1f{v}".encode(),
                                 hashlib.sha256).hexdigest()[:16]
            for v in unique.cast(pl.String).to_list()
        }
        return values.cast(pl.String).replace_strict(mapping, default=None,
                                                     return_dtype=pl.String)

    def account_ids(self, values: pl.Series, tenant_id: str) -> pl.Series:
        return self.ids(values, "acc_", tenant_id).alias("account_id")

    def customer_ids(self, values: pl.Series, tenant_id: str) -> pl.Series:
        return self.ids(values, "cus_", tenant_id).alias("customer_id")


def pseudonymizer_from_settings(settings: Settings | None = None) -> Pseudonymizer:
    """The pseudonymizer of the configured key; refuses a missing or development key
    unless ``LEDGERLENS_ENV=dev``, where it warns and uses the development key."""
    settings = settings or get_settings()
    secret = settings.pseudonymization_key
    key = secret.get_secret_value() if secret is not None else ""
    if key and key != DEV_KEY and len(key) >= MIN_KEY_LENGTH:
        return Pseudonymizer(key)
    problem = ("LEDGERLENS_PSEUDONYMIZATION_KEY is not set" if not key else
               "LEDGERLENS_PSEUDONYMIZATION_KEY is the public development key" if key == DEV_KEY
               else f"LEDGERLENS_PSEUDONYMIZATION_KEY is shorter than {MIN_KEY_LENGTH} characters")
    if settings.env == "dev":
        log.warning("%s: using the development key (LEDGERLENS_ENV=dev); never for real data",
                    problem)
        return Pseudonymizer(DEV_KEY)
    raise ConfigurationError(
        f"{problem}; set it to a secret of at least {MIN_KEY_LENGTH} characters, or set "
        "LEDGERLENS_ENV=dev to use the development key on test data")
