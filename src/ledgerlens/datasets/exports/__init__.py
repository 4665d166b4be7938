"""Bank-native statement files written from the synthetic bank, for ingestion round trips."""

from ledgerlens.datasets.exports._base import Exporter, StatementAccount

__all__ = ["Exporter", "StatementAccount"]
