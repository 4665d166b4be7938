"""Stable identifiers: the transaction fingerprint.

The same bank movement must get the same ``transaction_id`` whichever file or format it
arrives in, and two genuinely identical movements on one day (a merchant charging twice)
must still get two ids. The fingerprint therefore hashes the normalised content of the
movement plus its occurrence number among identical movements of the same account.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.exceptions import DataError

__all__ = ["FINGERPRINT_COLUMNS", "OccurrenceCounter", "transaction_fingerprints"]

#: Columns the fingerprint depends on, in hashing order.
FINGERPRINT_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "account_id",
    "booking_date",
    "amount",
    "currency",
    "raw_label",
)

# A label the whitespace normalisation changes: a run of two or more whitespace characters,
# whitespace other than a plain space, or whitespace at either end. Any other label is
# already normal, and the (costly) regex replacement is skipped for it.
_UNTIDY_SPACE = r"^\s|\s$|\s\s|[^\S ]"


def _normal_labels(raw_label: pl.Series) -> pl.Series:
    """Labels upper-cased, whitespace runs collapsed to one space and trimmed."""
    label = raw_label.str.to_uppercase()
    untidy = label.str.contains(_UNTIDY_SPACE).fill_null(False).arg_true()
    if untidy.len():
        tidied = label.gather(untidy).str.replace_all(r"\s+", " ").str.strip_chars()
        label = label.scatter(untidy, tidied)
    return label


class OccurrenceCounter:
    """How many movements of each content earlier batches of one file held, so that a file
    read in batches numbers identical movements as a whole read does (two identical coffees
    on either side of a batch boundary keep two ids). Kept as sorted 64-bit content hashes
    and counts: 16 bytes per distinct movement seen, not the movements themselves."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._counts = np.empty(0, dtype=np.int64)

    def _find(self, keys: npt.NDArray[np.uint64]
              ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Where each key is, or would go, in the sorted keys; whether it is there."""
        at = np.searchsorted(self._keys, keys)
        inside = at < self._keys.size
        found = np.zeros(keys.size, dtype=bool)
        found[inside] = self._keys[at[inside]] == keys[inside]
        return at, found

    def earlier(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """For each key, how many rows with it the earlier batches held."""
        at, found = self._find(keys)
        out = np.zeros(keys.size, dtype=np.int64)
        out[found] = self._counts[at[found]]
        return out

    def add(self, keys: npt.NDArray[np.uint64]) -> None:
        """Count a batch's keys: merged into the sorted ones, not re-sorted with them."""
        batch, counts = np.unique(keys, return_counts=True)
        at, known = self._find(batch)
        self._counts[at[known]] += counts[known]
        self._keys = np.insert(self._keys, at[~known], batch[~known])
        self._counts = np.insert(self._counts, at[~known], counts[~known])


def _occurrences(content: pl.Series, counter: OccurrenceCounter | None = None) -> pl.Series:
    """For each row, how many rows with the same content come before it ("0", "1", ...),
    counting those of earlier batches when a ``counter`` is given (and adding these)."""
    # Grouping on a 64-bit hash of the content is much faster than on the text; it only
    # numbers, the id itself is blake2b of the text. Most contents are unique: only the
    # rows whose hash repeats are numbered with a window, the others are "0".
    key = content.hash(seed=0)
    if counter is not None:
        hashes = key.to_numpy()
        before = counter.earlier(hashes)
        counter.add(hashes)
        if before.any():
            within = key.to_frame("h").select(pl.int_range(pl.len()).over("h")).to_series()
            return (within + pl.Series(before)).cast(pl.String)
    repeated = key.is_duplicated().arg_true()
    occurrence = pl.repeat("0", content.len(), dtype=pl.String, eager=True)
    if repeated.len():
        numbers = key.gather(repeated).to_frame("h").select(
            pl.int_range(pl.len()).over("h").cast(pl.String)).to_series()
        occurrence = occurrence.scatter(repeated, numbers)
    return occurrence


def _blake2b_128_hex(keys: pl.Series) -> pl.Series:
    # Polars' own hash is not stable across versions; blake2b is, and hashlib runs in C.
    # Copying a prepared hasher is cheaper than building one per row; the digests are
    # hex-encoded as one column rather than one string per row.
    new_hasher = hashlib.blake2b(digest_size=16).copy
    digests = []
    for key in keys.cast(pl.Binary).to_list():
        hasher = new_hasher()
        hasher.update(key)
        digests.append(hasher.digest())
    return pl.Series(keys.name, digests, dtype=pl.Binary).bin.encode("hex")


def transaction_fingerprints(frame: pl.DataFrame,
                             counter: OccurrenceCounter | None = None) -> pl.Series:
    """The ``transaction_id`` of every row of ``frame`` (32 hex characters), in row order.

    ``frame`` needs the ``FINGERPRINT_COLUMNS``, without nulls; the label is upper-cased
    and its whitespace collapsed so that cosmetic differences between formats do not
    matter. Batches of one file pass the same ``counter``: they get the ids of one read.

    >>> import datetime as dt, decimal
    >>> row = {"tenant_id": ["t"], "account_id": ["a"], "booking_date": [dt.date(2024, 1, 2)],
    ...        "amount": [decimal.Decimal("-1.50")], "currency": ["EUR"], "raw_label": ["CB X"]}
    >>> len(transaction_fingerprints(pl.DataFrame(row))[0])
    32
    """
    missing = [c for c in FINGERPRINT_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"cannot fingerprint transactions: missing column(s) {', '.join(missing)}")
    amount = pl.col("amount").cast(pl.Decimal(18, 2)).cast(pl.String)
    content = frame.select(pl.concat_str(
        [
            pl.col("tenant_id"),
            pl.col("account_id"),
            pl.col("booking_date").cast(pl.String),
            amount,
            pl.col("currency"),
            pl.lit(_normal_labels(frame.get_column("raw_label"))),
        ],
        separator="\x1f",
    ).alias("content")).to_series()
    if content.null_count():
        nulls = [c for c in FINGERPRINT_COLUMNS if frame.get_column(c).null_count()]
        raise DataError(f"cannot fingerprint transactions: {content.null_count()} row(s) with "
                        f"a null in {', '.join(nulls or FINGERPRINT_COLUMNS)}")
    keys = pl.select(pl.concat_str([pl.lit(content), pl.lit(_occurrences(content, counter))],
                                   separator="\x1e").alias("key")).to_series()
    return _blake2b_128_hex(keys).alias("transaction_id")
