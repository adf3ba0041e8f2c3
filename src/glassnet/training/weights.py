"""The held-out validation split; ``class_sample_weights`` lives in ``glassnet._sample_weights``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .._sample_weights import class_sample_weights

__all__ = ["class_sample_weights", "stratified_split"]


def stratified_split(n_samples: int, fraction: float, labels: NDArray | None,
                     rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    """Random ``(train_idx, val_idx)`` with ``val_idx`` about ``fraction`` of the samples.

    With ``labels`` (n_samples,) each class contributes ``round(fraction *
    count)`` samples (at least one of a class with two or more), so a
    label-sorted data set still validates on every class; without them,
    a random ``round(fraction * n_samples)``. Both index arrays are sorted.
    """
    n_val = int(round(fraction * n_samples))
    if n_val == 0 or n_val == n_samples:
        raise ValueError(f"validation_split={fraction} leaves {n_val} of {n_samples} samples "
                         "for validation; choose another fraction")
    if labels is None or labels.ndim != 1:
        groups = [np.arange(n_samples)]
    else:
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    val_parts = []
    for members in groups:
        take = int(round(fraction * members.shape[0]))
        if labels is not None and members.shape[0] >= 2:
            take = min(max(take, 1), members.shape[0] - 1)
        val_parts.append(rng.permutation(members)[:take])
    val_idx = np.sort(np.concatenate(val_parts))
    if val_idx.shape[0] == 0 or val_idx.shape[0] == n_samples:
        raise ValueError(f"validation_split={fraction} leaves {val_idx.shape[0]} of "
                         f"{n_samples} samples for validation; choose another fraction")
    train_mask = np.ones(n_samples, dtype=bool)
    train_mask[val_idx] = False
    return np.flatnonzero(train_mask), val_idx
