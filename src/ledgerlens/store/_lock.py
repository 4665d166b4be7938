"""One writer at a time per lake folder: an advisory file lock, released if the process dies.

Delta's commit protocol keeps every table consistent on its own, but two ledgerlens steps
need more than one commit to be isolated: the idempotent append (read the keys, then
append what is new) and erasure (delete, then vacuum with zero retention, which would
delete the data files of a writer that has not committed yet). Serialising writers on
the folder makes both safe; readers never take the lock.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LOCK_FILE", "WriterLock"]

#: Name of the lock file in the lake's root (underscore: Delta tools skip such names).
LOCK_FILE = "_lake.lock"


class WriterLock:
    """A re-entrant exclusive lock on ``root/_lake.lock`` (flock; a no-op on Windows)."""

    def __init__(self, root: Path) -> None:
        self._path = root / LOCK_FILE
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the block; nested holds in the same thread are free."""
        with self._thread_lock:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd

    def _release(self) -> None:
        if self._fd is not None:
            # Closing the descriptor releases the flock.
            os.close(self._fd)
            self._fd = None
