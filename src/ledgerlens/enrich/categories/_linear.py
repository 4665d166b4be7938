"""A multinomial linear scorer over hashed features, stored sparse and pruned.

Training sees a few hundred thousand hash buckets out of 2**21; the scorer keeps only the
buckets it saw (sorted ids), and of their weights only those that matter, so the shipped
model stays a few megabytes of plain numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["LinearScorer", "fit_linear", "fit_temperature", "softmax"]

F32 = npt.NDArray[np.float32]


def softmax(logits: npt.NDArray[np.floating], temperature: float = 1.0) -> F32:
    """Row-wise softmax of ``logits / temperature``."""
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z.astype(np.float32)


@dataclass(frozen=True)
class LinearScorer:
    """Logits ``X[:, feature_ids] @ weights + intercept`` for hashed rows ``X``."""

    feature_ids: npt.NDArray[np.int64]
    weights: sp.csr_matrix
    intercept: F32
    classes: tuple[str, ...]

    @cached_property
    def lookup(self) -> npt.NDArray[np.int32]:
        """Weight row of each hash bucket, -1 for unknown buckets (a cache, built on first use)."""
        size = int(self.feature_ids.max()) + 1 if self.feature_ids.size else 1
        table = np.full(size, -1, dtype=np.int32)
        table[self.feature_ids] = np.arange(self.feature_ids.size, dtype=np.int32)
        return table

    def rows_of(self, buckets: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Weight row of each bucket id, -1 where the scorer does not know it."""
        table = self.lookup
        inside = buckets < table.size
        return np.where(inside, table[np.where(inside, buckets, 0)], -1).astype(np.int32)

    def compact(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """Keep the columns the scorer knows, renumbered to its weight rows."""
        import scipy.sparse as sp

        pos = self.rows_of(matrix.indices.astype(np.int64))
        known = pos >= 0
        cum = np.concatenate(([0], np.cumsum(known, dtype=np.int64)))
        indptr = cum[matrix.indptr]
        return sp.csr_matrix(
            (matrix.data[known], pos[known], indptr),
            shape=(matrix.shape[0], self.feature_ids.size),
        )

    def _scores(self, matrix: sp.csr_matrix) -> F32:
        """Weighted sums of hashed rows, one column per class, without the intercept."""
        return np.asarray((self.compact(matrix) @ self.weights).toarray(), dtype=np.float32)

    def logits(self, matrix: sp.csr_matrix) -> F32:
        """Raw scores, one column per class."""
        out: F32 = self._scores(matrix) + self.intercept
        return out

    def logits_parts(
        self,
        text_rows: sp.csr_matrix,
        text_codes: npt.NDArray[np.int64],
        context_rows: sp.csr_matrix,
        context_codes: npt.NDArray[np.int64],
        profile: tuple[sp.csr_matrix, npt.NDArray[np.int64]] | None = None,
    ) -> F32:
        """Logits of keys whose rows are ``text_rows[text_codes] + context_rows[context_codes]``
        (``+ profile_rows[profile_codes]`` with ``profile``)."""
        out: F32 = self._scores(text_rows)[text_codes]
        out += self._scores(context_rows)[context_codes]
        if profile is not None:
            out += self._scores(profile[0])[profile[1]]
        out += self.intercept
        return out

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Plain numpy arrays (CSR parts), no pickle."""
        w = self.weights.tocsr()
        return {
            f"{prefix}feature_ids": self.feature_ids.astype(np.int64),
            f"{prefix}indptr": w.indptr.astype(np.int64),
            f"{prefix}indices": w.indices.astype(np.int16),
            f"{prefix}data": w.data.astype(np.float32),
            f"{prefix}intercept": self.intercept.astype(np.float32),
            f"{prefix}classes": np.array(self.classes, dtype=np.str_),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> LinearScorer:
        """Inverse of :meth:`to_arrays`."""
        import scipy.sparse as sp

        ids = np.asarray(arrays[f"{prefix}feature_ids"], dtype=np.int64)
        classes = tuple(str(c) for c in arrays[f"{prefix}classes"].tolist())
        weights = sp.csr_matrix(
            (
                np.asarray(arrays[f"{prefix}data"], dtype=np.float32),
                np.asarray(arrays[f"{prefix}indices"], dtype=np.int32),
                np.asarray(arrays[f"{prefix}indptr"], dtype=np.int64),
            ),
            shape=(ids.size, len(classes)),
        )
        return cls(ids, weights, np.asarray(arrays[f"{prefix}intercept"], np.float32), classes)


def fit_linear(
    matrix: sp.csr_matrix,
    labels: npt.NDArray[np.str_],
    sample_weight: npt.NDArray[np.float64],
    *,
    c: float = 20.0,
    max_iter: int = 150,
    prune: float = 0.02,
    min_df: int = 3,
) -> LinearScorer:
    """Fit a multinomial logistic regression (L-BFGS) on the buckets present, then prune.

    Only buckets seen in at least ``min_df`` rows are learned (L-BFGS time grows with the
    number of weights; rarer n-grams are mostly names, which the model must not memorise).
    Weights below ``prune`` times the largest absolute weight are dropped.
    """
    import warnings

    import scipy.sparse as sp
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    ids, df = np.unique(matrix.indices, return_counts=True)
    feature_ids = ids[df >= min_df].astype(np.int64)
    scorer_shell = LinearScorer(
        feature_ids, sp.csr_matrix((feature_ids.size, 1)), np.zeros(1, np.float32), ("",)
    )
    compact = scorer_shell.compact(matrix)
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4)
    with warnings.catch_warnings():
        # a capped iteration count is a deliberate speed/quality trade-off, measured
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(compact, labels, sample_weight=sample_weight)
    coef = model.coef_.T.astype(np.float32)  # (features, classes)
    classes = tuple(str(x) for x in model.classes_)
    if coef.shape[1] == 1:  # two classes: sklearn keeps one column
        coef = np.hstack([-coef / 2, coef / 2])
        intercept = np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2], np.float32)
    else:
        intercept = model.intercept_.astype(np.float32)
    cut = prune * float(np.abs(coef).max()) if coef.size else 0.0
    coef[np.abs(coef) < cut] = 0.0
    weights = sp.csr_matrix(coef)
    weights.eliminate_zeros()
    used = np.diff(weights.indptr) > 0
    weights = weights[used]
    return LinearScorer(feature_ids[used], weights.tocsr(), intercept, classes)


def fit_temperature(logits: npt.NDArray[np.floating], truth: npt.NDArray[np.int64]) -> float:
    """The temperature that minimises the held-out negative log-likelihood (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    z = logits.astype(np.float64)
    rows = np.arange(z.shape[0])

    def nll(log_t: float) -> float:
        scaled = z / np.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float(np.mean(log_norm - scaled[rows, truth]))

    if z.shape[0] == 0:
        return 1.0
    result = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))
