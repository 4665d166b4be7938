"""The correction store under concurrent writers: no process loses another's correction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledgerlens.enrich._correction_store import CorrectionStore

_ADDS = 40

# A writer says it is ready, waits for a line on stdin, then adds its corrections one by one,
# so both writers' read-modify-write cycles overlap.
_WRITER = """
import sys
from ledgerlens.enrich._correction_records import Correction
from ledgerlens.enrich._correction_store import CorrectionStore
store, who, n = CorrectionStore(sys.argv[1]), sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for i in range(n):
    store.add(Correction(scope="merchant", target=f"{who}:{i}", category="groceries"))
"""


def test_two_processes_adding_at_once_lose_no_correction(tmp_path: Path) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), who, str(_ADDS)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for who in ("a", "b")
    ]
    for writer in writers:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        writer.communicate(timeout=300)
        assert writer.returncode == 0
    stored = sorted(CorrectionStore(tmp_path).list()["target"].to_list())
    assert stored == sorted(f"{who}:{i}" for who in ("a", "b") for i in range(_ADDS))


def test_the_lock_leaves_only_the_corrections_file(tmp_path: Path) -> None:
    from ledgerlens.enrich._correction_records import Correction

    store = CorrectionStore(tmp_path / "store")
    added = store.add(Correction(scope="merchant", target="loc:1", category="groceries"))
    store.remove(added.correction_id)
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["corrections.jsonl"]
