"""Vectorized, deterministic feature hashing of char and word n-grams (numpy only).

scikit-learn's ``HashingVectorizer`` analyses each document in Python (about 10k labels/s
with char n-grams); hashing every n-gram of a whole batch at once with polynomial prefix
hashes over one byte buffer took 1.3 s instead of 8.4 s for 95k labels, and does not
depend on any library's hash function, so a saved model reads the same buckets in every
version.

A segment ``buf[l:r]`` hashes to ``sum(buf[k] * P**(r-1-k))`` modulo 2**64, computed from one
cumulative sum as ``P**(r-1) * (G[r] - G[l])`` with ``G`` the prefix sums of
``buf[k] * P**-k`` (``P`` is odd, so it has an inverse modulo 2**64); a splitmix64 finaliser
then spreads it over the buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["hash_block", "segment_buckets", "word_buckets", "word_segments"]

_P = np.uint64(0x100000001B3)  # odd multiplier (FNV prime)
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_SPACE = 32

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def _buffer(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint8], I64]:
    """All texts as one byte buffer, each wrapped in spaces; and each byte's document index."""
    import polars as pl

    lengths = pl.Series(texts, dtype=pl.String).str.len_bytes().cast(pl.Int64).to_numpy() + 2
    joined = (" " + "  ".join(texts) + " ").encode("utf-8") if len(texts) else b""
    buf = np.frombuffer(joined, dtype=np.uint8)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return buf, doc


def _prefix(buf: npt.NDArray[np.uint8]) -> tuple[U64, U64]:
    n = buf.size
    inv_pow = np.full(n, _P_INV, dtype=np.uint64)
    inv_pow[0] = 1
    inv_pow = np.cumprod(inv_pow, dtype=np.uint64)
    pow_ = np.full(n + 1, _P, dtype=np.uint64)
    pow_[0] = 1
    pow_ = np.cumprod(pow_, dtype=np.uint64)
    g = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(buf.astype(np.uint64) * inv_pow, dtype=np.uint64, out=g[1:])
    return g, pow_


def _mix(h: U64, salt: int) -> U64:
    z = h ^ np.uint64((salt * 0x9E3779B97F4A7C15) % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def segment_buckets(
    g: U64, pow_: U64, starts: I64, ends: I64, salt: int, n_bits: int
) -> npt.NDArray[np.int64]:
    """Bucket ids in ``[0, 2**n_bits)`` of the byte segments ``[starts, ends)``."""
    h = pow_[ends - 1] * (g[ends] - g[starts])
    return (_mix(h, salt) >> np.uint64(64 - n_bits)).astype(np.int64)


def word_segments(buf: npt.NDArray[np.uint8], doc: I64) -> tuple[I64, I64]:
    """Start and end offsets of every space-separated word, in buffer order."""
    is_space = buf == _SPACE
    starts = np.flatnonzero(is_space[:-1] & ~is_space[1:]) + 1
    ends = np.flatnonzero(~is_space[:-1] & is_space[1:]) + 1
    return starts.astype(np.int64), ends.astype(np.int64)


def _normalised(rows: I64, cols: I64, n_docs: int, n_bits: int, weight: float) -> sp.csr_matrix:
    """Binary rows scaled to unit L2 norm, times ``weight``."""
    import scipy.sparse as sp

    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n_docs, 2**n_bits)
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    nnz = np.diff(matrix.indptr)
    scale = np.where(nnz > 0, weight / np.sqrt(np.maximum(nnz, 1)), 0.0).astype(np.float32)
    matrix.data *= np.repeat(scale, nnz)
    return matrix


def hash_block(
    texts: Sequence[str],
    n_bits: int,
    char_ngrams: tuple[int, int] | None,
    word_ngrams: tuple[int, int] | None,
    char_weight: float = 1.0,
    word_weight: float = 1.0,
) -> sp.csr_matrix:
    """Hashed char n-grams (inside words padded with a space, like ``char_wb``) and word n-grams.

    Each block is binary and L2-normalised per row, then scaled by its weight; word tokens of
    one character are skipped.
    """
    import scipy.sparse as sp

    n_docs = len(texts)
    shape = (n_docs, 2**n_bits)
    if n_docs == 0:
        return sp.csr_matrix(shape, dtype=np.float32)
    buf, doc = _buffer(texts)
    g, pow_ = _prefix(buf)
    is_space = (buf == _SPACE).astype(np.int64)
    spaces = np.concatenate(([0], np.cumsum(is_space)))
    out = sp.csr_matrix(shape, dtype=np.float32)
    if char_ngrams is not None:
        rows_l: list[I64] = []
        cols_l: list[npt.NDArray[np.int64]] = []
        positions = np.arange(buf.size, dtype=np.int64)
        for n in range(char_ngrams[0], char_ngrams[1] + 1):
            if buf.size < n:
                continue
            st = positions[: buf.size - n + 1]
            en = st + n
            same_doc = doc[st] == doc[en - 1]
            # no space strictly inside, and not only spaces: a word piece padded like char_wb
            inner = spaces[en - 1] - spaces[st + 1] if n > 2 else np.zeros(st.size, np.int64)
            count = spaces[en] - spaces[st]
            keep = same_doc & (inner == 0) & (count < n)
            st, en = st[keep], en[keep]
            rows_l.append(doc[st])
            cols_l.append(segment_buckets(g, pow_, st, en, salt=n, n_bits=n_bits))
        if rows_l:
            out = out + _normalised(
                np.concatenate(rows_l), np.concatenate(cols_l), n_docs, n_bits, char_weight
            )
    if word_ngrams is not None:
        w_start, w_end = word_segments(buf, doc)
        rows_l = []
        cols_l = []
        for n in range(word_ngrams[0], word_ngrams[1] + 1):
            if w_start.size < n:
                continue
            st = w_start[: w_start.size - n + 1]
            en = w_end[n - 1 :]
            keep = doc[st] == doc[en - 1]
            if n == 1:
                keep &= (en - st) >= 2
            st, en = st[keep], en[keep]
            rows_l.append(doc[st])
            cols_l.append(segment_buckets(g, pow_, st, en, salt=100 + n, n_bits=n_bits))
        if rows_l:
            out = out + _normalised(
                np.concatenate(rows_l), np.concatenate(cols_l), n_docs, n_bits, word_weight
            )
    result = out.tocsr()
    result.sum_duplicates()
    return result


def word_buckets(words: Sequence[str], n_bits: int) -> npt.NDArray[np.int64]:
    """Bucket id of each single word as a word unigram (to name the words that decided)."""
    if not words:
        return np.zeros(0, dtype=np.int64)
    buf, doc = _buffer(words)
    g, pow_ = _prefix(buf)
    lengths = np.bincount(doc, minlength=len(words)).astype(np.int64) - 2
    starts = np.concatenate(([0], np.cumsum(lengths + 2)[:-1])) + 1
    return segment_buckets(g, pow_, starts, starts + lengths, salt=101, n_bits=n_bits)
