"""Stable identifiers: the transaction fingerprint.

The same bank movement must get the same ``transaction_id`` whichever file or format it
arrives in, and two genuinely identical movements on one day (a merchant charging twice)
must still get two ids. The fingerprint therefore hashes the normalised content of the
movement plus its occurrence number among identical movements of the same account.
"""

from __future__ import annotations

import hashlib

import polars as pl

__all__ = ["FINGERPRINT_COLUMNS", "transaction_fingerprints"]

#: Columns the fingerprint depends on, in hashing order.
FINGERPRINT_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "account_id",
    "booking_date",
    "amount",
    "currency",
    "raw_label",
)


def _blake2b_128(values: pl.Series) -> pl.Series:
    # Polars' own hash is not stable across versions; blake2b is, and hashlib runs in C.
    digests = [hashlib.blake2b(v.encode(), digest_size=16).hexdigest() for v in values]
    return pl.Series(values.name, digests, dtype=pl.String)


def transaction_fingerprints(frame: pl.DataFrame) -> pl.Series:
    """The ``transaction_id`` of every row of ``frame`` (32 hex characters), in row order.

    ``frame`` needs the ``FINGERPRINT_COLUMNS``; the label is upper-cased and its
    whitespace collapsed so that cosmetic differences between formats do not matter.

    >>> import datetime as dt, decimal
    >>> row = {"tenant_id": ["t"], "account_id": ["a"], "booking_date": [dt.date(2024, 1, 2)],
    ...        "amount": [decimal.Decimal("-1.50")], "currency": ["EUR"], "raw_label": ["CB X"]}
    >>> len(transaction_fingerprints(pl.DataFrame(row))[0])
    32
    """
    missing = [c for c in FINGERPRINT_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"cannot fingerprint transactions: missing column(s) {', '.join(missing)}")
    normal_label = (
        pl.col("raw_label").str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    )
    amount = pl.col("amount").cast(pl.Decimal(18, 2)).cast(pl.String)
    content = pl.concat_str(
        [
            pl.col("tenant_id"),
            pl.col("account_id"),
            pl.col("booking_date").cast(pl.String),
            amount,
            pl.col("currency"),
            normal_label,
        ],
        separator="\x1f",
    )
    # Numbering identical movements: grouping on a 64-bit hash of the content is much
    # faster than on the text; it only numbers, the id itself is blake2b of the text.
    occurrence = pl.int_range(pl.len()).over(content.hash(seed=0)).cast(pl.String)
    keyed = frame.select(pl.concat_str([content, occurrence], separator="\x1e").alias("k"))
    return _blake2b_128(keyed.to_series()).alias("transaction_id")
