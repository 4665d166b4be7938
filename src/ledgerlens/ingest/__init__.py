"""Ingestion: sniff a file's format, read it, normalise, validate, quarantine rejects.

>>> from ledgerlens.ingest import sniff_format
>>> sniff_format(b"OFXHEADER:100")
'ofx'
"""

from ledgerlens.ingest._normalize import Normalized, normalize
from ledgerlens.ingest._pipeline import IngestionSummary, ingest_paths, load_manifest
from ledgerlens.ingest._read import read_transactions
from ledgerlens.ingest._records import (
    QUARANTINE_RECORD,
    REASONS,
    STATEMENT_RECORD,
    Reader,
    ReadResult,
)
from ledgerlens.ingest._sniff import FORMATS, sniff_format

__all__ = [
    "FORMATS",
    "QUARANTINE_RECORD",
    "REASONS",
    "STATEMENT_RECORD",
    "IngestionSummary",
    "Normalized",
    "ReadResult",
    "Reader",
    "ingest_paths",
    "load_manifest",
    "normalize",
    "read_transactions",
    "sniff_format",
]
