"""Pure maths shared by the layers, the losses, the classic facade and the tests.

Every function takes and returns NumPy arrays and keeps the input's dtype.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "logit",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "softmax",
    "log_softmax",
    "one_hot",
]


def sigmoid(z: NDArray, out: NDArray | None = None) -> NDArray:
    """Logistic function ``1 / (1 + exp(-z))``, stable for any ``z``.

    Written as ``(1 + tanh(z / 2)) / 2``, which is the same function and never
    computes ``exp`` of a large number, so there is no overflow warning even
    for ``|z|`` of 1e4 or more.
    """
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sigmoid_grad(s: NDArray) -> NDArray:
    """Derivative of the sigmoid expressed with its output: ``s * (1 - s)``."""
    return s * (1.0 - s)


def logit(p: NDArray) -> NDArray:
    """Inverse of the sigmoid: ``log(p / (1 - p))`` for ``p`` in (0, 1)."""
    return np.log(p) - np.log1p(-p)


def tanh(z: NDArray, out: NDArray | None = None) -> NDArray:
    """Hyperbolic tangent."""
    return np.tanh(z, out=out)


def tanh_grad(t: NDArray) -> NDArray:
    """Derivative of tanh expressed with its output: ``1 - t**2``."""
    return 1.0 - t * t


def relu(z: NDArray, out: NDArray | None = None) -> NDArray:
    """Rectified linear unit ``max(z, 0)``."""
    return np.maximum(z, 0, out=out)


def relu_grad(z: NDArray) -> NDArray:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (0 taken at ``z == 0``)."""
    return (z > 0).astype(z.dtype)


def leaky_relu(z: NDArray, alpha: float = 0.01) -> NDArray:
    """``z`` where positive, ``alpha * z`` elsewhere."""
    return np.where(z > 0, z, z * z.dtype.type(alpha))


def leaky_relu_grad(z: NDArray, alpha: float = 0.01) -> NDArray:
    """Derivative of leaky ReLU: 1 where ``z > 0``, ``alpha`` elsewhere."""
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(alpha))


def softmax(z: NDArray, axis: int = -1) -> NDArray:
    """``exp(z_i) / sum_j exp(z_j)`` along ``axis``."""
    z = z - z.max(axis=axis, keepdims=True)  # softmax is shift-invariant; this avoids overflow
    e = np.exp(z, out=z)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z: NDArray, axis: int = -1) -> NDArray:
    """``z_i - log sum_j exp(z_j)`` computed by the log-sum-exp trick."""
    shifted = z - z.max(axis=axis, keepdims=True)  # exp of the shifted values cannot overflow
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def one_hot(labels: ArrayLike, n_classes: int, dtype: np.dtype | type = np.float32) -> NDArray:
    """Integer labels of shape (n,) to a one-hot matrix of shape (n, n_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"one_hot expects labels of shape (n,), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1} for n_classes={n_classes}, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out
