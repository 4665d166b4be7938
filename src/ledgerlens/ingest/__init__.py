"""Ingestion: sniff a file's format, read it, normalise, validate, quarantine rejects."""

from ledgerlens.ingest._records import (
    QUARANTINE_RECORD,
    REASONS,
    STATEMENT_RECORD,
    Reader,
    ReadResult,
)

__all__ = ["QUARANTINE_RECORD", "REASONS", "STATEMENT_RECORD", "ReadResult", "Reader"]
