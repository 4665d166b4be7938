"""How long Polars' memory allocator keeps freed memory before handing it back to the system.

Polars sets its allocator (jemalloc) to give freed pages back after half a second, so that an
idle process shrinks soon. A batch enrichment frees and takes back hundreds of megabytes
between steps a second or two apart: with the half second, each step faults its pages in
again (on the 1M batch, about 600,000 page faults and 1.7-2 s of system time a run). Kept
five seconds, the pages are reused: on this machine a 1M batch ran 7.3-7.9 s against 8.0-9.4 s
(three runs in a process, twice each, alternating), at about a tenth more peak memory (the
10M-row stream of ``benchmarks/bench_enrich.py``: 2,163 and 2,202 MB against 1,983 and
1,986 MB). A process idle for five seconds still shrinks.

The allocator reads its settings once, when Polars loads: ``import ledgerlens`` before
``polars`` for this to apply. Setting ``_RJEM_MALLOC_CONF`` yourself (jemalloc's own
variable, which Polars reads) keeps yours.
"""

from __future__ import annotations

import os
import sys

__all__ = ["KEEP_FREED_MS", "keep_freed_memory"]

#: Milliseconds freed memory stays with the process before it goes back to the system.
KEEP_FREED_MS = 5_000
_VARIABLE = "_RJEM_MALLOC_CONF"


def keep_freed_memory() -> bool:
    """Ask Polars' allocator to keep freed memory ``KEEP_FREED_MS``; True when the setting
    will apply (Polars not loaded yet and no setting of the user's own)."""
    if "polars" in sys.modules or _VARIABLE in os.environ:
        return False
    os.environ[_VARIABLE] = f"dirty_decay_ms:{KEEP_FREED_MS},muzzy_decay_ms:{KEEP_FREED_MS}"
    return True
