"""Mini-batches: the order in which an epoch visits the samples, cut into slices.

A batch is then ``X[order[batch]]``: NumPy's fancy indexing copies those rows
(measured faster here than ``np.take`` into a reused buffer), and the data
set itself is never copied or shuffled in place.
"""

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
