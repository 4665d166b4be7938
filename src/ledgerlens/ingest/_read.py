"""``read_transactions``: one entry point for every format, sniffed from the content."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from ledgerlens.exceptions import ConfigurationError, IngestError
from ledgerlens.ingest._records import ReadResult
from ledgerlens.ingest._sniff import FORMATS, sniff_format

__all__ = ["read_transactions"]

log = logging.getLogger(__name__)

#: format -> (reader module, function, whether it takes an ``account_ref``)
_READERS: dict[str, tuple[str, str, bool]] = {
    "csv": ("_csv", "read_csv_statement", True),
    "ofx": ("_ofx", "read_ofx", False),
    "camt053": ("_camt", "read_camt", False),
    "mt940": ("_mt940", "read_mt940", False),
    "cfonb": ("_cfonb", "read_cfonb", False),
    "stet": ("_psd2", "read_stet", True),
    "berlin": ("_psd2", "read_berlin_group", True),
}


def read_transactions(
    path_or_bytes: str | Path | bytes,
    format: str = "auto",
    *,
    source: str | None = None,
    account_ref: str | None = None,
    **options: Any,
) -> ReadResult:
    """Read one statement file (a path or its bytes) in any supported format.

    ``format="auto"`` sniffs it from the content. ``account_ref`` supplies the account for
    formats that may not carry it (CSV exports, STET bodies). Other keyword options go to
    the reader (``layout=`` for CSV). A file that cannot be read at all raises
    ``IngestError`` naming it, the format and where it failed; bad records come back as
    rejects with a reason.
    """
    if isinstance(path_or_bytes, bytes):
        data, name = path_or_bytes, source or "<bytes>"
    else:
        path = Path(path_or_bytes)
        name = source or str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IngestError(name, format, "opening the file", exc.strerror or str(exc)) from None
    fmt = sniff_format(data, name) if format == "auto" else format
    if fmt is None:
        raise IngestError(name, "auto", "the start of the file",
                          f"not a recognised format (expected one of {', '.join(FORMATS)})")
    if fmt not in _READERS:
        raise ConfigurationError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    module, function, takes_account = _READERS[fmt]
    reader = getattr(importlib.import_module(f"ledgerlens.ingest.readers.{module}"), function)
    kwargs = dict(options)
    if takes_account and account_ref is not None:
        kwargs["account_ref"] = account_ref
    try:
        result: ReadResult = reader(data, name, **kwargs)
    except IngestError:
        raise
    except Exception as exc:  # a reader bug must not take a whole batch down
        log.exception("reader %s failed on a file", fmt)
        raise IngestError(name, fmt, "an unknown position",
                          f"internal reader error ({type(exc).__name__})") from exc
    return result
