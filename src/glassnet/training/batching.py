"""Mini-batches: index orders and gathering rows without a copy per batch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray


def batch_order(n_samples: int, *, shuffle: bool, rng: np.random.Generator) -> NDArray:
    """The order in which one epoch visits the samples: a permutation, or 0..n-1."""
    return rng.permutation(n_samples) if shuffle else np.arange(n_samples)


def batch_slices(n_samples: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of ``batch_size`` covering 0..n_samples (the last may be shorter)."""
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))


class Gather:
    """Copy chosen rows of ``X`` into a reused buffer: ``X[idx]`` without allocating.

    ``np.take(..., out=...)`` writes into preallocated memory, so an epoch
    costs no new arrays, and the data set is never duplicated by shuffling.
    """

    def __init__(self, X: NDArray, batch_size: int) -> None:
        self.X = X
        self._buffer = np.empty((batch_size,) + X.shape[1:], dtype=X.dtype)

    def __call__(self, idx: NDArray) -> NDArray:
        out = self._buffer[: idx.shape[0]]
        np.take(self.X, idx, axis=0, out=out)
        return out
