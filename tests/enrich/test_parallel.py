"""Per-key work split over the cores: the same answer as one call."""

from __future__ import annotations

import threading

import polars as pl
import pytest

from ledgerlens.enrich import _parallel
from ledgerlens.enrich._parallel import beside, in_parts, parts_count


def test_a_small_frame_is_one_call_on_the_caller_s_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: 8)
    threads: list[int] = []

    def work(frame: pl.DataFrame) -> pl.DataFrame:
        threads.append(threading.get_ident())
        return frame

    frame = pl.DataFrame({"x": range(100)})
    assert in_parts(frame, work, pl.concat).equals(frame)
    assert threads == [threading.get_ident()]


def test_slices_cover_the_frame_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel, "MIN_PART_ROWS", 10)
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: 3)
    seen: list[int] = []

    def work(frame: pl.DataFrame) -> pl.DataFrame:
        seen.append(frame.height)
        return frame.with_columns(y=pl.col("x") * 2)

    frame = pl.DataFrame({"x": range(95)})
    out = in_parts(frame, work, pl.concat)
    assert sorted(seen) == [31, 32, 32]
    assert out.equals(frame.with_columns(y=pl.col("x") * 2))


@pytest.mark.parametrize(("rows", "cores", "parts"), [
    (0, 4, 1), (39_999, 4, 1), (40_000, 4, 2), (1_000_000, 2, 2), (1_000_000, 16, 4),
    (1_000_000, None, 1)])
def test_one_slice_per_core_of_enough_rows(monkeypatch: pytest.MonkeyPatch, rows: int,
                                           cores: int | None, parts: int) -> None:
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: cores)
    assert parts_count(rows) == parts


def test_two_steps_side_by_side_give_their_own_answers() -> None:
    threads: list[int] = []

    def step(answer: str) -> str:
        threads.append(threading.get_ident())
        return answer

    assert beside(lambda: step("main"), lambda: step("other")) == ("main", "other")
    assert threading.get_ident() in threads  # the main step runs on the caller's thread
    assert len(set(threads)) == 2


def test_slices_stack_when_a_column_is_all_null_in_one() -> None:
    from ledgerlens.enrich._parallel import stacked

    parts = [pl.DataFrame({"x": [None, None]}), pl.DataFrame({"x": ["a", None]})]
    out = stacked(parts)
    assert out.schema["x"] == pl.String
    assert out["x"].to_list() == [None, None, "a", None]
