"""Synthetic French bank and bundled reference data (brands, curated merchants, vocabularies).

>>> from ledgerlens.datasets import SynthConfig, generate_bank
>>> bank = generate_bank(SynthConfig(customers=10, months=1, seed=3))
>>> sorted(bank.ground_truth.columns)[:3]
['category', 'dialect', 'intermediary']
"""

from ledgerlens.datasets._bank import (
    BANK_TABLES,
    BankGenerator,
    SynthConfig,
    SyntheticBank,
    WriteSummary,
    generate_bank,
    load_bank,
    write_bank,
)
from ledgerlens.datasets._brands import load_brands
from ledgerlens.datasets._dialects import DIALECT_IDS
from ledgerlens.datasets._mcc import load_mcc_codes
from ledgerlens.datasets._vocab import (
    generate_local_merchants,
    load_communes,
    load_curated_merchants,
    load_directory_merchants,
    load_european_merchants,
    load_first_names,
    load_last_names,
    load_listed_merchants,
    load_places,
)

__all__ = [
    "BANK_TABLES",
    "DIALECT_IDS",
    "BankGenerator",
    "SynthConfig",
    "SyntheticBank",
    "WriteSummary",
    "generate_bank",
    "generate_local_merchants",
    "load_bank",
    "load_brands",
    "load_communes",
    "load_curated_merchants",
    "load_directory_merchants",
    "load_european_merchants",
    "load_first_names",
    "load_last_names",
    "load_listed_merchants",
    "load_mcc_codes",
    "load_places",
    "write_bank",
]
