"""Targets checked and shaped for the losses (shared by every loss's ``prepare_targets``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from . import functional as F
from .errors import ShapeError

__all__ = ["as_dense_targets", "check_label_range", "checked_labels", "same_dtype"]


def as_dense_targets(y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
    """Targets as a float (n, n_out) array: labels become one-hot, (n,) becomes (n, 1)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"targets y must be numbers, got dtype {y.dtype}")
    if y.ndim == 1 and y.dtype.kind in "iub" and n_out > 1:
        labels = y.astype(np.intp)
        check_label_range(labels, n_out)
        return F.one_hot(labels, n_out, dtype=dtype)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != n_out:
        raise ShapeError(
            f"targets y must have shape (n_samples, {n_out}) to match the network's "
            f"{n_out} outputs (or integer labels of shape (n_samples,)), got {y.shape}"
        )
    y = np.ascontiguousarray(y, dtype=dtype)
    if not np.isfinite(y).all():
        raise ValueError("targets y contain NaN or infinity; clean the targets first")
    return y


def check_label_range(labels: NDArray, n_out: int) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= n_out):
        raise ValueError(
            f"class labels must lie in 0..{n_out - 1} for a network with {n_out} "
            f"outputs, got values from {labels.min()} to {labels.max()}"
        )


def same_dtype(y_true: NDArray, y_pred: NDArray) -> NDArray:
    """``y_true`` in the dtype of the predictions, so the gradient keeps it."""
    return y_true if y_true.dtype == y_pred.dtype else y_true.astype(y_pred.dtype)


def checked_labels(labels: NDArray, n_classes: int) -> NDArray:
    """``labels`` as indices, refusing values outside ``0 .. n_classes - 1``."""
    if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0
                                                           or labels.max() >= n_classes)):
        raise ValueError(
            f"y_true must hold integer class labels in 0..{n_classes - 1} for {n_classes} "
            f"outputs, got dtype {labels.dtype} with values from {labels.min()} to {labels.max()}"
        )
    return labels
