"""Metrics computed from labels: accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["accuracy", "confusion_matrix"]


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of labels predicted exactly: ``mean(y_true == y_pred)``."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have one shape, got {t.shape} and {p.shape}")
    return float(np.mean(t == p))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
                     ) -> NDArray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as ``j``.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
    """
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"y_true and y_pred must be label vectors of one shape, "
                         f"got {t.shape} and {p.shape}")
    if n_classes is None:
        n_classes = int(max(t.max(initial=-1), p.max(initial=-1)) + 1)
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes)
