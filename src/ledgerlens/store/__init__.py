"""Storage: the lake's Delta tables (transactions, quarantine, ingestion log, audit) and erasure.

>>> import tempfile
>>> from ledgerlens.datasets import SynthConfig, generate_bank
>>> lake = Lake(tempfile.mkdtemp())
>>> rows = generate_bank(SynthConfig(customers=2, months=1, seed=1)).transactions
>>> lake.append_transactions(rows) == rows.height, lake.append_transactions(rows)
(True, 0)
"""

from ledgerlens.store._erasure import AUDIT_CONTEXT, ErasureResult, forget_customer, subject_hash
from ledgerlens.store._lake import Lake
from ledgerlens.store._tables import (
    INGESTION_LOG,
    LAKE_TABLES,
    PRIVACY_AUDIT,
    QUARANTINE,
    TRANSACTIONS_TABLE,
    LakeTable,
)

__all__ = [
    "AUDIT_CONTEXT",
    "INGESTION_LOG",
    "LAKE_TABLES",
    "PRIVACY_AUDIT",
    "QUARANTINE",
    "TRANSACTIONS_TABLE",
    "ErasureResult",
    "Lake",
    "LakeTable",
    "forget_customer",
    "subject_hash",
]
