"""The lake: Delta tables in a local folder, written idempotently, read by Polars or DuckDB.

Layout: ``root/<table>/`` is one Delta table (``_delta_log/`` plus Parquet files under
``tenant_id=<t>/month=<YYYY-MM>/``). Every commit is atomic, so a writer killed mid-way
leaves the previous version intact; writers of one folder take turns on a file lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ledgerlens.exceptions import DataError
from ledgerlens.store._conform import conform, to_arrow
from ledgerlens.store._lock import WriterLock
from ledgerlens.store._tables import (
    INGESTION_LOG,
    LAKE_TABLES,
    QUARANTINE,
    TRANSACTIONS_TABLE,
    LakeTable,
)

if TYPE_CHECKING:
    import duckdb
    from deltalake import DeltaTable, WriterProperties

__all__ = ["Lake"]

log = logging.getLogger(__name__)

_LOG_DIR = "_delta_log"


def _has_repeated_keys(rows: pl.DataFrame, key: list[str]) -> bool:
    """Whether a key appears twice; one tenant (the usual case) only counts the ids."""
    if rows.height < 2:
        return False
    if rows[key[0]].n_unique() == 1:
        return not _all_distinct(rows[key[1]])
    return bool(rows.select(pl.struct(key).is_duplicated().any()).item())


def _all_distinct(values: pl.Series) -> bool:
    """Whether no value of ``values`` repeats. Distinct 64-bit hashes settle it (counting
    them is much cheaper than counting long strings); equal hashes are looked at exactly."""
    return bool(values.hash().n_unique() == values.len() or values.n_unique() == values.len())


class Lake:
    """The lake in folder ``root`` (created on first write).

    >>> import tempfile
    >>> lake = Lake(tempfile.mkdtemp())
    >>> lake.tables()
    []
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = WriterLock(self.root)

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r})"

    # ------------------------------------------------------------------ where things are

    def path(self, table: str) -> Path:
        """Folder of ``table`` (whether it exists or not)."""
        if not table.isidentifier():
            raise KeyError(f"invalid lake table name {table!r}")
        return self.root / table

    def tables(self) -> list[str]:
        """Names of the Delta tables in the lake, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / _LOG_DIR).is_dir())

    def exists(self, table: str) -> bool:
        return (self.path(table) / _LOG_DIR).is_dir()

    def delta_table(self, table: str, version: int | None = None) -> DeltaTable:
        """The ``deltalake.DeltaTable`` of ``table`` (latest version unless ``version``)."""
        from deltalake import DeltaTable

        self._require(table)
        return DeltaTable(self.path(table), version=version)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the lake's writer lock for a block of several writes (re-entrant)."""
        with self._lock.hold():
            yield

    def append_transactions(self, frame: pl.DataFrame) -> int:
        """Add the rows of ``frame`` whose (tenant_id, transaction_id) the lake lacks.

        ``frame`` has the canonical ``TRANSACTIONS`` columns; ``month`` is derived from
        ``booking_date``. Rows repeated within ``frame`` count once. Only the partitions
        the frame touches are read (the key's fingerprint covers ``booking_date``, so a
        movement can only already be in its own month), nothing is rewritten, and when
        every row is known no commit is made. Returns the number of rows added.
        """
        key = list(TRANSACTIONS_TABLE.schema.key)
        rows = conform(frame, TRANSACTIONS_TABLE, fill_nullable=False)
        if _has_repeated_keys(rows, key):
            rows = rows.filter(pl.struct(key).is_first_distinct())
        with self._lock.hold():
            table = self._ensure(TRANSACTIONS_TABLE)
            if rows.height and table.file_uris():
                known = (
                    pl.scan_delta(str(self.path(TRANSACTIONS_TABLE.name)),
                                  version=table.version())
                    .filter(pl.col("tenant_id").is_in(rows["tenant_id"].unique().implode())
                            & pl.col("month").is_in(rows["month"].unique().implode()))
                    .select(key)
                    .collect()
                )
                rows = rows.join(known, on=key, how="anti", maintain_order="left")
            self._write(TRANSACTIONS_TABLE, rows)
        log.info("transactions: %d row(s) added, %d skipped (already stored or repeated)",
                 rows.height, frame.height - rows.height)
        return rows.height

    def append_quarantine(self, frame: pl.DataFrame) -> int:
        """Append rejected records (``QUARANTINE`` columns; nullable ones may be absent).

        Each ingestion's rejects are an event of their own, so nothing is deduplicated:
        callers skip a file already ingested (same ``file_sha256`` in ``ingestion_log``).
        """
        return self.append(QUARANTINE.name, frame)

    def append_log(self, row: Mapping[str, Any] | pl.DataFrame) -> int:
        """Append one ``ingestion_log`` row (a mapping of column to value) or a frame of rows."""
        if not isinstance(row, pl.DataFrame):
            unknown = sorted(set(row) - set(INGESTION_LOG.schema.names))
            if unknown:
                raise DataError(f"ingestion_log has no column(s) {', '.join(unknown)}")
            row = pl.DataFrame([dict(row)], schema={name: INGESTION_LOG.schema.polars_schema[name]
                                                    for name in row})
        return self.append(INGESTION_LOG.name, row)

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Append ``frame`` to one of the lake's own tables as it is (no deduplication)."""
        if table == TRANSACTIONS_TABLE.name:
            return self.append_transactions(frame)
        if table not in LAKE_TABLES:
            known = ", ".join(LAKE_TABLES)
            raise KeyError(f"unknown lake table {table!r}; expected one of {known}")
        spec = LAKE_TABLES[table]
        rows = conform(frame, spec, fill_nullable=True)
        with self._lock.hold():
            self._ensure(spec)
            self._write(spec, rows)
        return rows.height

    def compact(self, table: str) -> dict[str, Any]:
        """Merge small files (one per append and partition) into larger ones.

        Replaced files stay for time travel until a vacuum; returns delta-rs' metrics.
        """
        with self._lock.hold():
            metrics: dict[str, Any] = self.delta_table(table).optimize.compact()
        return metrics

    # ------------------------------------------------------------------ reading

    def scan(self, table: str, version: int | None = None) -> pl.LazyFrame:
        """A lazy Polars scan of ``table``; filters on partition columns prune files.

        >>> # lake.scan("transactions").filter(pl.col("month") == "2025-01").collect()
        """
        self._require(table)
        return pl.scan_delta(str(self.path(table)), version=version)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection where every lake table is a (read-only) view.

        Tables are registered as Arrow datasets of their latest version, which needs no
        DuckDB extension (the ``delta`` extension would be a download).
        """
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")  # timestamps come back as UTC, as stored
        for name in self.tables():
            con.register(name, self.delta_table(name).to_pyarrow_dataset())
        return con

    def sql(self, query: str) -> pl.DataFrame:
        """Run a DuckDB query over the lake's tables; a statement without result gives ``[]``.

        >>> # lake.sql("SELECT month, count(*) AS n FROM transactions GROUP BY month")
        """
        import duckdb

        con = self.connect()
        try:
            relation = con.sql(query)
            result: pl.DataFrame = relation.pl() if relation is not None else pl.DataFrame()
            return result
        except duckdb.Error as exc:
            raise DataError(f"SQL query on lake {str(self.root)!r} failed: {exc}") from None
        finally:
            con.close()

    def history(self, table: str) -> pl.DataFrame:
        """Commits of ``table``, newest first: version, time (UTC), operation, its parameters
        and metrics, and what ledgerlens noted (rows appended, erasure event), as JSON."""
        entries = self.delta_table(table).history()
        return pl.DataFrame(
            {
                "version": [e.get("version") for e in entries],
                "timestamp": [e.get("timestamp") for e in entries],
                "operation": [e.get("operation") for e in entries],
                "parameters": [json.dumps(e.get("operationParameters") or {}, sort_keys=True)
                               for e in entries],
                "metrics": [json.dumps(e.get("operationMetrics") or {}, sort_keys=True)
                            for e in entries],
                "ledgerlens": [json.dumps({k: v for k, v in e.items()
                                           if k.startswith("ledgerlens.")}, sort_keys=True)
                               for e in entries],
            },
            schema={"version": pl.Int64, "timestamp": pl.Int64, "operation": pl.String,
                    "parameters": pl.String, "metrics": pl.String, "ledgerlens": pl.String},
        ).with_columns(pl.from_epoch("timestamp", time_unit="ms").dt.replace_time_zone("UTC"))

    def summary(self) -> pl.DataFrame:
        """One row per table: rows, files, bytes, current version and partition columns."""
        rows: list[dict[str, Any]] = []
        for name in self.tables():
            table = self.delta_table(name)
            actions = pl.DataFrame(table.get_add_actions(flatten=True))
            rows.append({
                "table": name,
                "rows": int(actions["num_records"].sum()) if actions.height else 0,
                "files": actions.height,
                "bytes": int(actions["size_bytes"].sum()) if actions.height else 0,
                "version": table.version(),
                "partition_by": ", ".join(table.metadata().partition_columns),
            })
        return pl.DataFrame(rows, schema={"table": pl.String, "rows": pl.Int64,
                                          "files": pl.Int64, "bytes": pl.Int64,
                                          "version": pl.Int64, "partition_by": pl.String})

    # ------------------------------------------------------------------ internals

    def _require(self, table: str) -> None:
        if not self.exists(table):
            known = ", ".join(self.tables()) or "none yet"
            raise KeyError(f"lake {str(self.root)!r} has no table {table!r} (tables: {known})")

    def _ensure(self, spec: LakeTable) -> DeltaTable:
        """The table, created empty with its schema, partitions and settings if missing."""
        from deltalake import DeltaTable

        path = self.path(spec.name)
        if not self.exists(spec.name):
            return DeltaTable.create(
                path, schema=spec.schema.arrow_schema, mode="ignore",
                partition_by=list(spec.partition_by) or None, name=spec.name,
                description=spec.schema.description, configuration=spec.configuration)
        return DeltaTable(path)

    def _write(self, spec: LakeTable, rows: pl.DataFrame) -> None:
        if not rows.height:
            return
        from deltalake import CommitProperties, write_deltalake

        path, data = self.path(spec.name), to_arrow(rows, spec)
        commit = CommitProperties(custom_metadata={"ledgerlens.rows": str(rows.height)})
        properties = _writer_properties(spec)
        if properties is None:
            write_deltalake(path, data, mode="append", commit_properties=commit)
        else:
            write_deltalake(path, data, mode="append", writer_properties=properties,
                            commit_properties=commit)


def _writer_properties(spec: LakeTable) -> WriterProperties | None:
    """Parquet settings of a table whose defaults do not fit: no dictionary for columns
    whose values are all distinct (delta-rs' Snappy compression kept)."""
    if not spec.distinct_columns:
        return None
    from deltalake import ColumnProperties, WriterProperties

    return WriterProperties(compression="SNAPPY", column_properties={
        name: ColumnProperties(dictionary_enabled=False) for name in spec.distinct_columns})
