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
    """Logistic function ``1 / (1 + exp(-z))``, accurate in both tails, without warnings.

    With ``e = exp(-|z|)``, which lies in (0, 1] and so can never overflow:

    * ``z >= 0``: ``1 / (1 + e)``
    * ``z < 0``:  ``e / (1 + e)``, the same as ``exp(z) / (1 + exp(z))``

    The second form keeps full relative precision far into the left tail
    (``sigmoid(-40)`` is 4.25e-18 in float64; float32 stays non-zero down to
    its smallest subnormal, near ``z = -103``), where ``(1 + tanh(z/2)) / 2``
    rounds to 0 below about -37 (float64) or -17 (float32). The numerator is
    picked without a branch as ``max(e, z >= 0)``: 1 on the right (where
    ``e <= 1``), ``e`` on the left. ``out`` may be ``z`` itself.

    Cost: six cheap element-wise passes and one ``exp`` (cheaper than the
    ``tanh`` of the form it replaces). Measured in float32 on a busy 2-core
    machine (best of many runs, so ranges): a (256, 784) batch 1.1-2.2 ms
    against 1.6-2.5 ms before, (64, 256) 97-165 us against 131-227 us, but a
    single (1, 100) sample 12-23 us against 10-15 us: the fixed cost of three
    more NumPy calls.
    """
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    right = np.greater_equal(z, 0)  # taken first: out may be z itself
    e = np.abs(z, out=out)
    np.negative(e, out=e)
    np.exp(e, out=e)
    denominator = e + 1.0
    np.maximum(e, right, out=e)  # the numerator: 1 where z >= 0, else exp(z) (NaN stays NaN)
    e /= denominator
    return e


def sigmoid_grad(s: NDArray) -> NDArray:
    """Derivative of the sigmoid expressed with its output: ``s * (1 - s)``."""
    return s * (1.0 - s)


def logit(p: NDArray) -> NDArray:
    """Inverse of the sigmoid: ``log(p / (1 - p))`` for ``p`` in (0, 1).

    Written as ``log(p) - log1p(-p)`` so that both tails keep their
    precision: ``logit(sigmoid(z)) == z`` to a few ulps wherever ``sigmoid(z)``
    is not rounded to 1 (``z`` below about 36 in float64, 16 in float32).
    """
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
    """``exp(z_i) / sum_j exp(z_j)`` along ``axis``, for any finite ``z``."""
    z = _shift_by_max(z, axis)
    e = np.exp(z, out=z)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z: NDArray, axis: int = -1) -> NDArray:
    """``z_i - log sum_j exp(z_j)`` computed by the log-sum-exp trick, for any finite ``z``."""
    shifted = _shift_by_max(z, axis)  # exp of the shifted values cannot overflow
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _shift_by_max(z: NDArray, axis: int) -> NDArray:
    """``z - max(z)`` along ``axis`` (softmax is shift-invariant; this avoids overflow in exp).

    The difference itself overflows only when the row spans more than the
    dtype's range (e.g. -3e38 and 3e38 in float32); it then becomes ``-inf``,
    the right limit (``exp`` gives exactly 0 for a value that far below the
    maximum), so that overflow is expected and not reported.
    """
    with np.errstate(over="ignore"):
        return z - z.max(axis=axis, keepdims=True)


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
