"""Corrections kept in a folder: one JSON Lines file, rewritten atomically under a lock.

Every write replaces the file in one ``os.replace``, so a reader never sees half a file; a
read-modify-write (add, remove) holds an exclusive lock on the folder, so two processes
adding corrections at the same time both keep their entry.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import polars as pl

from ledgerlens.enrich._correction_records import Correction, CorrectionSet
from ledgerlens.exceptions import ConfigurationError, DataError

__all__ = ["CorrectionStore"]

_FILE_NAME = "corrections.jsonl"


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself for the block.

    ``flock`` on the folder's own descriptor: no lock file is left beside the corrections,
    and the lock goes with the process if it dies. Threads and processes alike take turns
    (each hold opens its own descriptor). A no-op on Windows, like the lake's lock.
    """
    if sys.platform == "win32":
        yield
        return
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the flock.
        os.close(fd)


class CorrectionStore:
    """Corrections kept in ``path/corrections.jsonl``; every write replaces the file atomically,
    and ``add`` / ``remove`` read, change and write it under an exclusive lock on ``path``.

    >>> import tempfile
    >>> store = CorrectionStore(tempfile.mkdtemp())
    >>> c = store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    >>> len(store.load())
    1
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def file(self) -> Path:
        """The JSON Lines file that holds the corrections."""
        return self.path / _FILE_NAME

    def _check_folder(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise ConfigurationError(f"correction store {self.path} is a file, not a folder")

    @contextmanager
    def _changing(self, *, create: bool) -> Iterator[None]:
        """Hold the store's lock for a read-modify-write; without ``create``, a store that
        does not exist yet is left uncreated (and unlocked: there is nothing to change)."""
        self._check_folder()
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        with _folder_lock(self.path) if self.path.is_dir() else nullcontext():
            yield

    def _read(self) -> list[Correction]:
        self._check_folder()
        if not self.file.exists():
            return []
        out: list[Correction] = []
        try:
            lines = self.file.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise DataError(f"{self.file}: not UTF-8 text ({exc.reason} at byte "
                            f"{exc.start}); the store was altered") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                out.append(Correction.from_record(json.loads(line)))
            except (json.JSONDecodeError, TypeError, LookupError, ValueError) as exc:
                raise DataError(f"{self.file}: line {number}: {exc}") from None
        return out

    def _write(self, corrections: Sequence[Correction]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        ordered = sorted(corrections, key=lambda c: (c.created_at, c.correction_id))
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".corrections-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for c in ordered:
                    handle.write(json.dumps(c.to_record(), sort_keys=True, ensure_ascii=False))
                    handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, correction: Correction) -> Correction:
        """Store ``correction``; the same correction added again replaces the older record."""
        with self._changing(create=True):
            kept = [c for c in self._read() if c.correction_id != correction.correction_id]
            self._write([*kept, correction])
        return correction

    def remove(self, correction_id: str) -> Correction:
        """Remove one correction by id (or a unique prefix of at least 6 characters)."""
        with self._changing(create=False):
            current = self._read()
            key = correction_id.strip()
            hits = [c for c in current if c.correction_id == key]
            if not hits and len(key) >= 6:
                hits = [c for c in current if c.correction_id.startswith(key)]
            if not hits:
                raise ConfigurationError(f"unknown correction id {correction_id!r}; the store "
                                         f"{self.path} holds {len(current)} correction(s)")
            if len(hits) > 1:
                raise ConfigurationError(f"correction id prefix {correction_id!r} is ambiguous: "
                                         f"{', '.join(c.correction_id for c in hits)}")
            self._write([c for c in current if c.correction_id != hits[0].correction_id])
        return hits[0]

    def list(self, *, scope: str | None = None, customer_id: str | None = None,
             tenant_id: str | None = None) -> pl.DataFrame:
        """The stored corrections, oldest first, optionally only one scope, customer or tenant."""
        frame = CorrectionSet(tuple(self._read())).to_frame()
        if scope is not None:
            frame = frame.filter(pl.col("scope") == scope)
        if customer_id is not None:
            frame = frame.filter(pl.col("customer_id") == customer_id)
        if tenant_id is not None:
            frame = frame.filter(pl.col("tenant_id") == tenant_id)
        return frame.sort("created_at", "correction_id")

    def load(self) -> CorrectionSet:
        """Every stored correction, ready for :func:`apply_corrections`."""
        return CorrectionSet(tuple(self._read()))
