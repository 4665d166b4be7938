"""Turn a Polars frame into exactly what a lake table stores, or say why it cannot be.

Checks are structural and cheap (columns, dtypes, nulls where the table forbids them);
value rules (patterns, allowed codes) belong to ingestion, which validates before
writing. Messages name columns and counts, never values, since values may be personal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.exceptions import SchemaValidationError
from ledgerlens.schema import validate

if TYPE_CHECKING:
    import pyarrow as pa

    from ledgerlens.store._tables import LakeTable

__all__ = ["BATCH_ROWS", "conform", "to_arrow"]


def conform(frame: pl.DataFrame, table: LakeTable, *, fill_nullable: bool) -> pl.DataFrame:
    """``frame`` with the table's columns, in order and with their exact dtypes.

    The ``month`` partition is derived from ``table.month_from``; with ``fill_nullable``,
    nullable columns the frame lacks are added as nulls. Extra columns are dropped.
    Raises ``SchemaValidationError`` for a missing column, a wrong dtype or a null
    where the table forbids one.
    """
    schema = table.schema
    if table.month_from is not None and table.month_from in frame.columns:
        frame = frame.with_columns(pl.col(table.month_from).dt.strftime("%Y-%m").alias("month"))
    if fill_nullable:
        frame = frame.with_columns(
            pl.lit(None, dtype=c.dtype).alias(c.name)
            for c in schema.columns if c.nullable and c.name not in frame.columns
        )
    report = validate(frame.head(0), schema)  # structure only: no rows, no value rules
    if not report.ok:
        problems = "; ".join(v.message for v in report.violations)
        raise SchemaValidationError(f"{schema.name}: cannot store this frame: {problems}",
                                    report=report)
    required = [c.name for c in schema.columns if not c.nullable]
    nulls = frame.select(pl.col(required).null_count()).row(0, named=True)
    bad = {name: n for name, n in nulls.items() if n}
    if bad:
        listed = ", ".join(f"{name!r} ({n} null{'s' if n > 1 else ''})" for name, n in bad.items())
        raise SchemaValidationError(f"{schema.name}: null values in required column(s) {listed}")
    try:
        return frame.select(pl.col(c.name).cast(c.dtype) for c in schema.columns)
    except pl.exceptions.InvalidOperationError:
        pass
    # Only a value too large for its dtype gets here (a Decimal(18, 2) overflow); Polars'
    # message quotes the value, so name the column instead.
    failing = [c.name for c in schema.columns if not _casts(frame[c.name], c.dtype)]
    raise SchemaValidationError(
        f"{schema.name}: values do not fit the dtype of column(s) {', '.join(failing)}")


def _casts(series: pl.Series, dtype: pl.DataType) -> bool:
    try:
        series.cast(dtype)
    except pl.exceptions.InvalidOperationError:
        return False
    return True


#: Rows per Arrow batch handed to the Delta writer: several batches let it work in
#: parallel, and converting slice by slice keeps one copy of the frame in memory, not two.
BATCH_ROWS = 65_536


def to_arrow(frame: pl.DataFrame, table: LakeTable) -> pa.RecordBatchReader:
    """A stream of Arrow batches with the table's Arrow schema (nullability, descriptions)."""
    import pyarrow as pa

    schema = table.schema.arrow_schema

    def batches() -> Iterator[pa.RecordBatch]:
        for part in frame.iter_slices(BATCH_ROWS):
            yield from part.to_arrow().cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())
