"""Character 3-gram TF-IDF of the directory's aliases, for the fuzzy merchant search.

scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), lowercase=False,
sublinear_tf=True, dtype=np.float32)`` computed the same way, bit for bit (tested against
it): the same word-bounded 3-grams, alphabetical vocabulary, smoothed idf, sublinear term
frequency and L2 rows, each step in the same float32 / float64 arithmetic and order. It is
written out because importing scikit-learn costs about a second, which an enrichment run
would otherwise pay once for the fuzzy search alone (scikit-learn stays a training
dependency).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["CharTfidf", "char_wb_trigrams"]

_WHITE_SPACES = re.compile(r"\s\s+")


def char_wb_trigrams(text: str) -> list[str]:
    """The 3-grams of each word of ``text`` padded with a space on each side (a word of one
    letter gives its padded self), in text order: scikit-learn's ``char_wb`` analyzer."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        grams.append(padded[:3])
        grams.extend(padded[k:k + 3] for k in range(1, len(padded) - 2))
    return grams


def _counted_rows(texts: Iterable[str], vocabulary: dict[str, int] | None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """(grams per text, gram ids, counts): each text's distinct 3-grams in order of first
    occurrence, flat. With ``vocabulary``, grams outside it are skipped; without, ids are
    given in order of first occurrence across the texts (the returned dict)."""
    seen: dict[str, int] = {} if vocabulary is None else vocabulary
    ids: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for text in texts:
        counter: dict[int, int] = {}
        for gram in char_wb_trigrams(text):
            j = seen.get(gram)
            if j is None:
                if vocabulary is not None:
                    continue
                j = seen[gram] = len(seen)
            counter[j] = counter.get(j, 0) + 1
        ids.extend(counter)
        counts.extend(counter.values())
        lengths.append(len(counter))
    return (np.array(lengths, dtype=np.int32), np.array(ids, dtype=np.int32),
            np.array(counts, dtype=np.float32), seen)


def _sorted_in_rows(lengths: np.ndarray, ids: np.ndarray, counts: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``counts`` with each row's entries in ascending id order."""
    order = np.lexsort((ids, np.repeat(np.arange(lengths.size), lengths)))
    return ids[order], counts[order]


def _normalize_rows(data: np.ndarray, indptr: np.ndarray) -> None:
    """L2-normalize each row of float32 ``data`` in place as scikit-learn's
    ``inplace_csr_row_normalize_l2``: float32 squares summed in float64 in stored order, a
    float64 division rounded to float32, rows summing to zero left alone."""
    lengths = np.diff(indptr)
    if data.size == 0:
        return
    row = np.repeat(np.arange(lengths.size), lengths)
    grid = np.zeros((lengths.size, int(lengths.max())))
    grid[row, np.arange(data.size) - indptr[:-1][row]] = data * data
    sums = np.zeros(lengths.size)
    for column in grid.T:  # one entry of every row at a time: each row summed in order
        sums += column
    norms = np.sqrt(sums)
    norms[sums == 0.0] = 1.0
    data[:] = data / norms[row]


@dataclass(frozen=True)
class CharTfidf:
    """A fitted model: 3-gram -> column, and each column's idf weight (float32)."""

    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[str]) -> tuple[CharTfidf, sparse.csr_matrix]:
        """The model of ``texts`` and their rows (``fit_transform``)."""
        lengths, ids, counts, first_seen = _counted_rows(texts, None)
        order = sorted(first_seen)
        rank = np.empty(len(order), dtype=np.int32)
        rank[[first_seen[g] for g in order]] = np.arange(len(order), dtype=np.int32)
        # Each text's grams in order of first occurrence across the texts, as scikit-learn
        # keeps them while it normalizes the rows: same order, same sums.
        ids, counts = _sorted_in_rows(lengths, ids, counts)
        columns = rank[ids]
        df = np.bincount(columns, minlength=len(order)).astype(np.float32)
        df += 1.0  # smoothed: as if one more text held every gram
        idf = np.full_like(df, fill_value=len(texts) + 1)
        idf /= df
        np.log(idf, out=idf)
        idf += 1.0
        model = cls({g: k for k, g in enumerate(order)}, idf)
        matrix = model._matrix(lengths, columns, counts)
        matrix.sort_indices()
        return model, matrix

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF rows of ``texts`` (grams outside the vocabulary ignored)."""
        lengths, ids, counts, _ = _counted_rows(texts, self.vocabulary)
        return self._matrix(lengths, *_sorted_in_rows(lengths, ids, counts))

    def _matrix(self, lengths: np.ndarray, columns: np.ndarray, counts: np.ndarray
                ) -> sparse.csr_matrix:
        """Rows of the given counts, normalized in the order given."""
        import scipy.sparse as sp

        indptr = np.zeros(lengths.size + 1, dtype=np.int32)
        np.cumsum(lengths, out=indptr[1:])
        data = counts.copy()
        np.log(data, out=data)  # sublinear tf: 1 + log(count), times idf, then L2
        data += 1.0
        data *= self.idf[columns]
        _normalize_rows(data, indptr)
        return sp.csr_matrix((data, columns, indptr),
                             shape=(lengths.size, len(self.vocabulary)))
