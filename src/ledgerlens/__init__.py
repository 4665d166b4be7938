"""ledgerlens: open-source engine for bank transaction analysis.

The public names load on first use, so that ``import ledgerlens`` stays fast:

>>> import ledgerlens
>>> ledgerlens.TRANSACTIONS.name
'transactions'
"""

from __future__ import annotations

import importlib
from typing import Any

from ledgerlens._allocator import keep_freed_memory

__version__ = "0.1.0"

keep_freed_memory()  # before Polars loads: its allocator reads the setting once (_allocator)

_PUBLIC: dict[str, str] = {
    "SCHEMA_VERSION": "ledgerlens.schema",
    "TRANSACTIONS": "ledgerlens.schema",
    "MERCHANTS": "ledgerlens.schema",
    "CUSTOMERS": "ledgerlens.schema",
    "ACCOUNTS": "ledgerlens.schema",
    "GROUND_TRUTH": "ledgerlens.schema",
    "validate": "ledgerlens.schema",
    "CATEGORIES": "ledgerlens.taxonomy",
    "SUBCATEGORIES": "ledgerlens.taxonomy",
    "transaction_fingerprints": "ledgerlens.identity",
    "SynthConfig": "ledgerlens.datasets",
    "generate_bank": "ledgerlens.datasets",
    "write_bank": "ledgerlens.datasets",
    "load_bank": "ledgerlens.datasets",
    "Settings": "ledgerlens.config",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'ledgerlens' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
