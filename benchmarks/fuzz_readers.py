"""Mutation fuzzing of every reader (issue 3, section 6).

Seeds are valid files of every format written by the synthetic bank's exporters (three
banks' dialects each); each iteration mutates one (bit flips, byte changes, truncation,
random or format-token insertion, field values replaced by tricky ones, deletion,
duplicated blocks, re-encoding: see ``ledgerlens.ingest._fuzz``) and reads it in a worker
process with a time bound. Outcomes per file:

- ``read``: a ``ReadResult`` whose every entry is a record or a reject (counted without the
  reader where a count exists), with documented reasons and distinct positions;
- ``refused``: ``IngestError``, the documented error for a file that cannot be read at all;
- ``crash``: any other exception, or the worker dying; ``hang``: over the time bound;
- ``lost``: read, but the checks fail (an entry neither record nor reject, ...).

    python benchmarks/fuzz_readers.py [--iterations N] [--timeout S] [--seed K]
                                      [--save DIR] [--record]

Exits 1 when a crash, a hang or a lost entry was found (``--save`` keeps those files).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import multiprocessing as mp
import os
import random
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _record import DOC, record

OUTCOMES = ("read", "refused", "crash", "hang", "lost")


def _worker(conn: Connection) -> None:
    from ledgerlens.exceptions import IngestError
    from ledgerlens.ingest import _fuzz

    while True:
        job = conn.recv()
        if job is None:
            return
        fmt, data, account = job
        started = time.perf_counter()
        try:
            result = _fuzz.read(fmt, data, account)
        except IngestError:
            conn.send(("refused", "", time.perf_counter() - started))
            continue
        except Exception as exc:  # what the fuzzer looks for
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            conn.send(("crash", f"{type(exc).__name__} at {where}", time.perf_counter() - started))
            continue
        seconds = time.perf_counter() - started
        try:
            problems = _fuzz.check(fmt, data, result)
        except Exception as exc:  # normalisation of what was read failed
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            conn.send(("crash", f"{type(exc).__name__} at {where} (checks)", seconds))
            continue
        conn.send(("lost" if problems else "read", "; ".join(problems), seconds))


class _Sandbox:
    """One worker process; a read that runs past the time bound kills it (a new one starts)."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self._ctx.Pipe()
        self.proc = self._ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def run(self, job: tuple[str, bytes, str], timeout: float) -> tuple[str, str, float]:
        started = time.perf_counter()
        try:
            self.conn.send(job)
            if self.conn.poll(timeout):
                outcome: tuple[str, str, float] = self.conn.recv()
                return outcome
        except (EOFError, OSError, BrokenPipeError):
            self.proc.join(5)
            code = self.proc.exitcode
            self._start()
            return "crash", f"worker died (exit code {code})", time.perf_counter() - started
        self.proc.kill()
        self.proc.join()
        self._start()
        return "hang", f"no answer within {timeout:g} s", time.perf_counter() - started

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


def fuzz(iterations: int, timeout: float, seed: int, save: Path | None
         ) -> tuple[dict[str, collections.Counter[str]], dict[str, list[float]], list[str]]:
    from ledgerlens.ingest import _fuzz

    rng = random.Random(seed)
    seeds = _fuzz.seed_files()
    by_format: dict[str, list[tuple[bytes, str]]] = collections.defaultdict(list)
    for fmt, data, account in seeds:
        by_format[fmt].append((data, account))
    counts: dict[str, collections.Counter[str]] = {f: collections.Counter() for f in by_format}
    seconds: dict[str, list[float]] = {f: [] for f in by_format}
    findings: list[str] = []
    box = _Sandbox()
    try:
        for fmt, files in by_format.items():
            for data, account in files:  # the seeds themselves must read cleanly
                outcome, why, _ = box.run((fmt, data, account), timeout)
                if outcome != "read":
                    findings.append(f"{fmt} seed: {outcome} {why}")
            for i in range(iterations):
                data, account = rng.choice(files)
                mutant, edits = _fuzz.mutate(data, fmt, rng)
                outcome, why, took = box.run((fmt, mutant, account), timeout)
                counts[fmt][outcome] += 1
                seconds[fmt].append(took)
                if outcome in ("crash", "hang", "lost"):
                    name = f"{fmt}-{i:05d}-{outcome}.bin"
                    findings.append(f"{fmt} #{i} ({'+'.join(edits)}): {outcome}: {why}"
                                    + (f" [{name}]" if save else ""))
                    if save:
                        save.mkdir(parents=True, exist_ok=True)
                        (save / name).write_bytes(mutant)
    finally:
        box.close()
    return counts, seconds, findings


def _table(counts: dict[str, collections.Counter[str]], seconds: dict[str, list[float]]
           ) -> list[str]:
    lines = ["| format | mutated files | read | refused (IngestError) | crashes | hangs | "
             "entries lost | mean ms | max ms |", "| --- " * 9 + "|"]
    for fmt, c in counts.items():
        took = seconds[fmt]
        mean = 1000 * sum(took) / max(1, len(took))
        lines.append(f"| {fmt} | {sum(c.values()):,} | {c['read']:,} | {c['refused']:,} | "
                     f"{c['crash']} | {c['hang']} | {c['lost']} | {mean:.0f} | "
                     f"{1000 * max(took, default=0):.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="mutated files per format")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, help="folder for the files that failed")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    counts, seconds, findings = fuzz(args.iterations, args.timeout, args.seed, args.save)
    elapsed = time.perf_counter() - started
    table = _table(counts, seconds)
    print("\n".join(table))
    print(f"{sum(sum(c.values()) for c in counts.values()):,} files in {elapsed:.0f} s")
    for finding in findings:
        print(finding)
    if args.record:
        lines: list[Any] = [
            f"Measured {dt.date.today().isoformat()} with `python benchmarks/fuzz_readers.py "
            f"--iterations {args.iterations} --seed {args.seed} --record` ({os.cpu_count()} "
            f"cores, {args.timeout:g} s allowed per file, each read in a worker process).", "",
            *table, "",
            f"{len(findings)} finding(s)" + (": " + "; ".join(findings[:5]) if findings else
                                             ": no crash, no hang, no entry lost.")]
        record("fuzz_readers", lines,
               "## Reader fuzzing (`benchmarks/fuzz_readers.py`)\n\nMutated files of every "
               "format (seeded by the synthetic bank's exports): a reader may only return "
               "records and rejects that account for every entry, or raise `IngestError`; "
               "every read is bounded in time.")
        print(f"recorded in {DOC}")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
