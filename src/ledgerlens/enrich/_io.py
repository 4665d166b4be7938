"""Enrichment at the edges: files and the lake in, files and lake tables out, in batches."""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.enrich._batch import DEFAULT_BATCH_ROWS, enrich_in_batches
from ledgerlens.enrich._model import EnrichmentModel
from ledgerlens.exceptions import DataError

if TYPE_CHECKING:
    from ledgerlens.store import Lake

__all__ = ["EnrichmentSummary", "enrich_file", "enrich_lake", "scan_table", "unreadable_input"]

_FORMATS = (".csv", ".parquet")
_CSV_SUFFIXES = (".csv", ".txt")  # read as CSV by ``scan_table``

# File statistics in the Delta log outlive deleted files (see ledgerlens.store): keep them to
# columns that hold no personal data.
_NO_PII_STATS = {"delta.dataSkippingStatsColumns": ",".join((
    "transaction_id", "booking_date", "amount", "currency", "mcc", "transaction_type",
    "category", "subcategory", "is_recurring", "is_income"))}


@dataclass
class EnrichmentSummary:
    """What an enrichment run did: rows, streams, coverage and speed."""

    rows: int = 0
    streams: int = 0
    with_merchant: int = 0
    categorised: int = 0
    recurring: int = 0
    income: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)

    def add(self, frame: pl.DataFrame, streams: pl.DataFrame) -> None:
        self.rows += frame.height
        self.streams += streams.height
        counts = frame.select(
            with_merchant=pl.col("merchant_id").is_not_null().sum(),
            categorised=(pl.col("category") != "other").sum(),
            recurring=pl.col("is_recurring").sum(),
            income=pl.col("is_income").sum()).row(0, named=True)
        self.with_merchant += int(counts["with_merchant"])
        self.categorised += int(counts["categorised"])
        self.recurring += int(counts["recurring"] or 0)
        self.income += int(counts["income"] or 0)

    def text(self) -> str:
        def share(n: int) -> str:
            return f"{n:,} ({n / self.rows:.1%})" if self.rows else "0"

        rate = self.rows / self.seconds if self.seconds else 0.0
        lines = [f"enriched {self.rows:,} transactions in {self.seconds:.1f} s "
                 f"({rate:,.0f} tx/s)",
                 f"  merchant found: {share(self.with_merchant)}",
                 f"  categorised (not 'other'): {share(self.categorised)}",
                 f"  recurring: {share(self.recurring)} in {self.streams:,} streams",
                 f"  income: {share(self.income)}"]
        lines += [f"  wrote {o}" for o in self.outputs]
        return "\n".join(lines)


def scan_table(path: Path) -> pl.LazyFrame:
    """A lazy scan of a CSV or Parquet file (or a folder of Parquet parts).

    CSV columns are read as text (amounts with decimal commas are parsed by enrichment) and
    bytes that are not UTF-8 are replaced rather than failing the file. Blank lines and rows
    whose every field is empty (a spreadsheet's ``;;`` lines) are no records: skipped.
    """
    if not path.exists():
        raise FileNotFoundError(f"no input file at {path}")
    if path.is_dir():
        return pl.scan_parquet(path / "**/*.parquet")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix in _CSV_SUFFIXES:
        path = _utf8_copy(path)
        skip, separator = _header_line(path)
        blank = pl.all().is_null() | (pl.all().str.strip_chars() == "")
        return pl.scan_csv(path, separator=separator, skip_rows=skip, infer_schema=False,
                           encoding="utf8-lossy", truncate_ragged_lines=False).filter(
            ~pl.all_horizontal(blank))
    raise ValueError(f"input {path} must be .csv or .parquet (got {suffix or 'no extension'})")


def _utf8_copy(path: Path) -> Path:
    """``path`` itself when it is UTF-8 (a few damaged bytes become replacement characters
    in the scan); else (a Windows-1252 or Latin-1 export, as French banks write them) a
    UTF-8 copy in a temporary file removed at exit, written block by block, so that
    ``Libellé`` is a header the table has and ``Prélèvement`` a word. The encoding is the
    one the statement readers find (``sniff_encoding``)."""
    from ledgerlens.ingest.readers._csv import sniff_encoding

    encoding = sniff_encoding(path)
    if encoding == "utf-8":
        return path
    fd, name = tempfile.mkstemp(prefix="ledgerlens-", suffix=".csv")
    atexit.register(_remove, name)
    # "utf-16" (not its -le or -be reading) takes the byte-order mark off.
    decoder = codecs.getincrementaldecoder(
        "utf-16" if encoding.startswith("utf-16") else encoding)(errors="replace")
    with path.open("rb") as source, os.fdopen(fd, "w", encoding="utf-8", newline="") as copy:
        while block := source.read(1 << 20):
            copy.write(decoder.decode(block))
        copy.write(decoder.decode(b"", final=True))
    return Path(name)


def _remove(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


#: A bank export's account lines (number, balance, period) before its header: at most this
#: many lines are looked through for the header.
_PREAMBLE_LINES = 30


def _header_line(path: Path) -> tuple[int, str]:
    """(lines before the header, separator): the header is the first line naming a label
    column (``names_a_label``) among the first ``_PREAMBLE_LINES``, else the first line;
    the separator is the one it holds most of, ``;`` or ``,``."""
    from ledgerlens.enrich._frame import names_a_label

    def separator(line: str) -> str:
        return ";" if line.count(";") > line.count(",") else ","

    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        lines = [line for _, line in zip(range(_PREAMBLE_LINES), handle, strict=False)]
    for i, line in enumerate(lines):
        if names_a_label(next(csv.reader([line], delimiter=separator(line)), [])):
            return i, separator(line)
    return 0, separator(lines[0] if lines else "")


def unreadable_input(path: Path, exc: Exception) -> DataError:
    """The error to raise when reading ``path`` failed with ``exc``: for a CSV, the first line
    whose number of fields differs from the header's, found by reading the file again with the
    standard csv module (only on this error path, so the fast scan stays as it is)."""
    if path.is_file() and path.suffix.lower() in _CSV_SUFFIXES:
        skip, separator = _header_line(path)
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            rows = csv.reader(handle, delimiter=separator)
            for _ in range(skip + 1):
                width = len(next(rows, []))
            for row in rows:
                if row and len(row) != width:
                    return DataError(
                        f"input {path}, line {rows.line_num}: {len(row)} fields where the "
                        f"header has {width} (separator {separator!r}); quote fields that "
                        f"hold the separator, e.g. \"12,99 USD\"")
    return DataError(f"input {path}: cannot be read: {exc}")


def _check_output(path: Path) -> None:
    """Refuse, before any work, an output path that cannot be written as a file."""
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"output {path} must end in .csv or .parquet")
    if path.is_dir():
        raise ValueError(f"output {path} is a directory; give a file path ending in "
                         f"{path.suffix}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"output {path}: {parent} is a file, not a directory")
            break
    path.parent.mkdir(parents=True, exist_ok=True)


class _Sink:
    """Appends frames to one CSV or Parquet file, then moves it into place atomically."""

    def __init__(self, path: Path) -> None:
        _check_output(path)
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._writer: object | None = None
        self._first = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.path.suffix.lower() == ".csv":
            with self.tmp.open("w" if self._first else "a", encoding="utf-8") as handle:
                frame.write_csv(handle, include_header=self._first)
        else:
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
            assert isinstance(self._writer, pq.ParquetWriter)
            self._writer.write_table(table.cast(self._writer.schema))
        self._first = False

    def _close_writer(self) -> None:
        if self._writer is not None:
            import pyarrow.parquet as pq

            assert isinstance(self._writer, pq.ParquetWriter)
            self._writer.close()

    def close(self) -> None:
        self._close_writer()
        if self._first:  # nothing written: still leave a valid empty file
            return
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """Drop what was written (the run failed): the output path is left as it was."""
        self._close_writer()
        self.tmp.unlink(missing_ok=True)


def enrich_file(
    scan: pl.LazyFrame,
    out: Path,
    model: EnrichmentModel,
    *,
    streams_out: Path | None = None,
    corrections: object | None = None,
    as_of: dt.date | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> EnrichmentSummary:
    """Enrich a scanned table into ``out`` (and the streams into ``streams_out``), in batches."""
    started = time.perf_counter()
    summary = EnrichmentSummary()
    sink = _Sink(out)
    stream_sink = _Sink(streams_out) if streams_out is not None else None
    try:
        for result in enrich_in_batches(scan, model, corrections=corrections, as_of=as_of,
                                        batch_rows=batch_rows, progress=progress):
            sink.write(result.transactions)
            if stream_sink is not None and result.streams.height:
                stream_sink.write(result.streams)
            summary.add(result.transactions, result.streams)
    except BaseException:
        for open_sink in (sink, stream_sink):
            if open_sink is not None:
                open_sink.discard()
        raise
    if summary.rows == 0:
        raise ValueError(f"the input table is empty: nothing to enrich into {out}")
    sink.close()
    summary.outputs.append(str(out))
    if stream_sink is not None:
        stream_sink.close()
        summary.outputs.append(str(streams_out))
    summary.seconds = time.perf_counter() - started
    return summary


def enrich_lake(
    lake: Lake,
    model: EnrichmentModel,
    *,
    corrections: object | None = None,
    as_of: dt.date | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> EnrichmentSummary:
    """Enrich the lake's ``transactions`` into ``enriched_transactions`` and ``recurring_streams``.

    Each run replaces both tables in one Delta commit each (the models may have changed, so
    every row is recomputed); readers see the old or the new version, never a mix.
    """
    from deltalake import write_deltalake

    started = time.perf_counter()
    summary = EnrichmentSummary()
    scan = lake.scan("transactions").drop("month", strict=False)
    streams: list[pl.DataFrame] = []

    def batches() -> Iterator[pl.DataFrame]:
        for result in enrich_in_batches(scan, model, corrections=corrections, as_of=as_of,
                                        batch_rows=batch_rows, progress=progress):
            summary.add(result.transactions, result.streams)
            streams.append(result.streams)
            yield result.transactions.with_columns(
                month=pl.col("booking_date").dt.strftime("%Y-%m"))

    import pyarrow as pa

    iterator = batches()
    first = next(iterator, None)
    if first is None:
        raise ValueError(f"lake {lake.root} has no transactions to enrich")
    schema = first.to_arrow().schema

    def record_batches() -> Iterator[pa.RecordBatch]:
        assert first is not None
        yield from first.to_arrow().cast(schema).to_batches()
        for frame in iterator:
            yield from frame.to_arrow().cast(schema).to_batches()

    with lake.write_lock():
        write_deltalake(lake.path("enriched_transactions"),
                        pa.RecordBatchReader.from_batches(schema, record_batches()),
                        mode="overwrite", partition_by=["tenant_id", "month"],
                        schema_mode="overwrite", configuration=_NO_PII_STATS)
        all_streams = pl.concat(streams, how="diagonal_relaxed") if streams else pl.DataFrame()
        if all_streams.height:
            write_deltalake(lake.path("recurring_streams"), all_streams.to_arrow(),
                            mode="overwrite", schema_mode="overwrite",
                            configuration={"delta.dataSkippingStatsColumns": "period,status"})
    summary.outputs += [str(lake.path("enriched_transactions")),
                        str(lake.path("recurring_streams"))]
    summary.seconds = time.perf_counter() - started
    return summary
