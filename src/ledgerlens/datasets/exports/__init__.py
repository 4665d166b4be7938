"""Bank-native statement files written from the synthetic bank, for ingestion round trips."""

from ledgerlens.datasets.exports._base import Exporter, StatementAccount
from ledgerlens.datasets.exports._statements import (
    EXPORT_FORMATS,
    NATIVE_FORMAT,
    ExportSummary,
    export_bank_folder,
    export_statements,
    statement_account,
)

__all__ = ["EXPORT_FORMATS", "NATIVE_FORMAT", "ExportSummary", "Exporter", "StatementAccount",
           "export_bank_folder", "export_statements", "statement_account"]
