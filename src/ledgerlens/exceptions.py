"""The one error tree of ledgerlens; each error also subclasses the built-in it refines."""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DataError",
    "IngestError",
    "LedgerlensError",
    "ReferenceDataError",
    "SchemaValidationError",
]


class LedgerlensError(Exception):
    """Base class of every error ledgerlens raises on purpose."""


class ConfigurationError(LedgerlensError, ValueError):
    """A setting or argument is missing or has a value that cannot be used."""


class DataError(LedgerlensError, ValueError):
    """Input data cannot be used as it is; the message names where and why."""


class SchemaValidationError(DataError):
    """A table does not match its canonical schema; ``report`` lists every violation."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ReferenceDataError(LedgerlensError, FileNotFoundError):
    """Bundled or shared reference data is missing or malformed."""


class IngestError(DataError):
    """A whole file cannot be read; the message names the file, the format and where it failed."""

    def __init__(self, source: str, fmt: str, where: str, why: str) -> None:
        super().__init__(f"{source}: cannot read as {fmt} at {where}: {why}")
        self.source = source
        self.format = fmt
        self.where = where
        self.why = why


class ArtifactError(LedgerlensError, ValueError):
    """A model artifact is missing, corrupted (hash mismatch) or was built for another version."""
