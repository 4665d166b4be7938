"""One reader per bank format; each turns a file's bytes into a ``ReadResult``.

CSV layouts of the main French banks ship here; a user declares a new one in a TOML file
(``load_layout``).
"""

from ledgerlens.ingest.readers._csv import read_csv_batches, read_csv_statement, sniff_csv_layout
from ledgerlens.ingest.readers._csv_layouts import (
    BUILTIN_LAYOUTS,
    LAYOUT_FOR_DIALECT,
    CsvLayout,
    load_layout,
)

__all__ = [
    "BUILTIN_LAYOUTS",
    "LAYOUT_FOR_DIALECT",
    "CsvLayout",
    "load_layout",
    "read_csv_batches",
    "read_csv_statement",
    "sniff_csv_layout",
]
