"""``import ledgerlens`` asks Polars' allocator to keep freed memory a while, unless told."""

from __future__ import annotations

import os
import subprocess
import sys

from ledgerlens._allocator import KEEP_FREED_MS, keep_freed_memory

_OURS = f"dirty_decay_ms:{KEEP_FREED_MS},muzzy_decay_ms:{KEEP_FREED_MS}"


def _setting_after(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | env
    done = subprocess.run([sys.executable, "-c", code + "; import os; "
                           "print(os.environ.get('_RJEM_MALLOC_CONF', ''))"],
                          capture_output=True, text=True, check=True, env=environment)
    return done.stdout.strip()


def test_ledgerlens_first_sets_the_allocator_and_polars_applies_it_last() -> None:
    assert _setting_after("import ledgerlens") == _OURS
    # Polars puts its own defaults first; jemalloc takes the last value of each option.
    assert _setting_after("import ledgerlens, polars").endswith("," + _OURS)


def test_polars_first_or_a_setting_of_one_s_own_is_left_alone() -> None:
    assert _OURS not in _setting_after("import polars, ledgerlens")
    assert _setting_after("import ledgerlens", _RJEM_MALLOC_CONF="narenas:2") == "narenas:2"


def test_in_a_process_that_loaded_polars_nothing_is_set() -> None:
    import polars  # noqa: F401  (loaded already by the suite; named here for the reader)

    assert keep_freed_memory() is False
