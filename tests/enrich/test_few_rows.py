"""Columns written into a frame of a few rows without a query."""

from __future__ import annotations

import polars as pl
import pytest

from ledgerlens.enrich._few_rows import constant, rounded, row_text, with_row_values, with_values


def test_new_columns_are_appended_and_existing_ones_replaced_in_place() -> None:
    frame = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    out = with_values(frame, {"b": ["z", None], "c": [0.5, 1.0]},
                      {"b": pl.String(), "c": pl.Float64()})
    assert out.columns == ["a", "b", "c"]
    assert out.rows() == [(1, "z", 0.5), (2, None, 1.0)]
    assert frame["b"].to_list() == ["x", "y"]  # the input is left as it was
    assert with_values(frame, {}, {}) is frame


def test_a_wrong_number_of_values_is_refused() -> None:
    with pytest.raises(ValueError, match="1 value row"):
        with_values(pl.DataFrame({"a": [1, 2]}), {"b": ["x"]}, {"b": pl.String()})


def test_one_row_text_values() -> None:
    frame = with_row_values(pl.DataFrame({"n": [7]}), label="CB X", note=None)
    assert frame.schema["label"] == pl.String
    assert (row_text(frame, "label"), row_text(frame, "note")) == ("CB X", None)
    assert (row_text(frame, "n"), row_text(frame, "missing")) == ("7", None)


@pytest.mark.parametrize("rows", [0, 1, 4_096, 4_097, 50_000])
def test_a_constant_column_is_the_same_built_either_way(rows: int) -> None:
    for value, dtype in ((None, pl.String()), (False, pl.Boolean()), (0.5, pl.Float64())):
        column = constant("c", value, rows, dtype)
        assert (column.name, column.dtype, column.len()) == ("c", dtype, rows)
        assert column.to_list() == [value] * rows


@pytest.mark.parametrize("decimals", [3, 6])
def test_rounded_is_polars_round_of_a_confidence(decimals: int) -> None:
    import random

    rng = random.Random(decimals)
    values = [rng.random() for _ in range(20_000)] + [0.0, -0.0, 1.0, 0.0005, 0.0015,
                                                        0.9995, 0.1234565, 5e-7, 1.5e-6]
    want = pl.Series(values, dtype=pl.Float64).round(decimals).to_list()
    got = [rounded(v, decimals) for v in values]
    assert [repr(v) for v in got] == [repr(v) for v in want]
