"""Loss functions: ``loss(y_true, y_pred)`` and ``grad(y_true, y_pred)``.

Every loss is a **mean over the batch** of a per-sample loss, so the gradient
carries a ``1 / n`` factor; ``grad`` returns ``dL/d(y_pred)`` with the shape
of ``y_pred``. Classification losses accept integer labels of shape (n,) or
one-hot targets of shape (n, n_classes).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from . import functional as F
from .errors import ShapeError

__all__ = [
    "Loss",
    "SumSquaredError",
    "MeanSquaredError",
    "BinaryCrossEntropy",
    "SoftmaxCrossEntropy",
    "LOSSES",
    "get_loss",
]


class Loss:
    """Base class.

    Attributes
    ----------
    is_classification : whether predictions are class labels
    """

    is_classification: ClassVar[bool] = False
    name: ClassVar[str] = ""
    #: ``output`` is an increasing function of each logit alone (softmax across
    #: a row keeps the order too), so labels can be read off the raw outputs
    output_is_monotonic: ClassVar[bool] = False

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        raise NotImplementedError

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        raise NotImplementedError

    def loss_and_grad(self, y_true: NDArray, y_pred: NDArray) -> tuple[float, NDArray]:
        """Both at once; subclasses override this where sharing work pays."""
        return self.loss(y_true, y_pred), self.grad(y_true, y_pred)

    def output(self, y_pred: NDArray) -> NDArray:
        """Map the network's raw output to what the user sees (probabilities)."""
        return y_pred

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        """Check ``y`` once, at the boundary, and return it in the form ``loss`` expects."""
        return _as_dense_targets(y, n_out, dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _as_dense_targets(y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
    """Targets as a float (n, n_out) array: labels become one-hot, (n,) becomes (n, 1)."""
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iub" and n_out > 1:
        return F.one_hot(y, n_out, dtype=dtype)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != n_out:
        raise ShapeError(
            f"targets y must have shape (n_samples, {n_out}) to match the network's "
            f"{n_out} outputs (or integer labels of shape (n_samples,)), got {y.shape}"
        )
    return np.ascontiguousarray(y, dtype=dtype)


class SumSquaredError(Loss):
    """The tutorial's loss: ``L = (1/n) sum_i 1/2 sum_k (y_ik - p_ik)^2``.

    The 1/2 cancels the 2 of the derivative: ``dL/dp = (p - y) / n``, which
    with ``n = 1`` is exactly the book's output error (with its sign flipped).
    """

    name = "sse"

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        d = y_pred - y_true
        return float(0.5 * np.sum(d * d) / y_pred.shape[0])

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return (y_pred - y_true) / y_pred.dtype.type(y_pred.shape[0])


class MeanSquaredError(Loss):
    """``L = (1 / (n k)) sum_i sum_k (y_ik - p_ik)^2``; ``dL/dp = 2 (p - y) / (n k)``."""

    name = "mse"

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        d = y_pred - y_true
        return float(np.mean(d * d))

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return (y_pred - y_true) * y_pred.dtype.type(2.0 / y_pred.size)


class BinaryCrossEntropy(Loss):
    """``L = -(1/n) sum_i sum_k [y log p + (1 - y) log(1 - p)]`` for independent 0/1 targets.

    With ``from_logits=True`` (recommended) the network's last layer gives
    logits ``z`` and ``p = sigmoid(z)`` is folded in:
    ``L = (1/n) sum [softplus(z) - y z]``, ``dL/dz = (sigmoid(z) - y) / n``,
    which never takes the log of 0. With ``from_logits=False`` the
    predictions are probabilities, clipped to ``[eps, 1 - eps]``.
    """

    is_classification = True
    name = "binary_cross_entropy"

    def __init__(self, *, from_logits: bool = True, eps: float = 1e-7) -> None:
        self.from_logits = bool(from_logits)
        self.eps = float(eps)

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        n = y_pred.shape[0]
        if self.from_logits:
            z = y_pred
            # softplus(z) = max(z, 0) + log1p(exp(-|z|)) never overflows
            softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
            return float(np.sum(softplus - y_true * z) / n)
        p = np.clip(y_pred, self.eps, 1 - self.eps)
        return float(-np.sum(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)) / n)

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        n = y_pred.dtype.type(y_pred.shape[0])
        if self.from_logits:
            return (F.sigmoid(y_pred) - y_true) / n
        p = np.clip(y_pred, self.eps, 1 - self.eps)
        return (p - y_true) / (p * (1 - p)) / n

    @property
    def output_is_monotonic(self) -> bool:  # type: ignore[override]
        return self.from_logits

    def output(self, y_pred: NDArray) -> NDArray:
        return F.sigmoid(y_pred) if self.from_logits else y_pred

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        y = np.asarray(y)
        if y.ndim == 1 and n_out == 1:
            y = y.reshape(-1, 1)
        if y.ndim == 2 and y.shape[1] == n_out and not np.isin(y, (0, 1)).all():
            raise ValueError("binary cross-entropy targets must be 0 or 1")
        return _as_dense_targets(y, n_out, dtype)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(from_logits={self.from_logits})"


class SoftmaxCrossEntropy(Loss):
    """Softmax and categorical cross-entropy fused, on logits ``z``.

    ``L = (1/n) sum_i [log sum_j exp(z_ij) - z_i,y_i]`` (log-sum-exp, stable);
    ``dL/dz = (softmax(z) - Y) / n`` with ``Y`` the one-hot targets. Fusing
    the two avoids the log of a rounded-to-zero probability and the
    softmax's own Jacobian. Targets: integer labels (n,) or one-hot (n, k).
    """

    is_classification = True
    name = "softmax_cross_entropy"
    output_is_monotonic = True

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        return self.loss_and_grad(y_true, y_pred)[0]

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return self.loss_and_grad(y_true, y_pred)[1]

    def loss_and_grad(self, y_true: NDArray, y_pred: NDArray) -> tuple[float, NDArray]:
        n, k = y_pred.shape
        # Row maxima picked at the argmax (flat index row * k + column): the
        # same values as y_pred.max(axis=1), but NumPy's max along short rows
        # is several times slower than its argmax.
        rows = np.arange(n)
        row_max = y_pred.ravel()[rows * k + y_pred.argmax(axis=1)]
        # C order whatever y_pred's layout, so that ravel() below is a view
        shifted = np.subtract(y_pred, row_max[:, None], order="C")  # exp cannot overflow
        grad = np.exp(shifted)
        sum_exp = grad.sum(axis=1, keepdims=True)
        grad *= 1.0 / (n * sum_exp)  # softmax(z) / n, in one pass
        log_sum_exp = np.log(sum_exp)
        if y_true.ndim == 1:  # integer labels: pick, do not build one-hot
            picked = _flat_index_of_labels(rows, y_true, k)
            loss = (log_sum_exp.sum() - shifted.ravel()[picked].sum()) / n
            grad.ravel()[picked] -= grad.dtype.type(1.0 / n)
        else:
            loss = np.sum(y_true * (log_sum_exp - shifted)) / n
            grad -= y_true / grad.dtype.type(n)
        return float(loss), grad

    def output(self, y_pred: NDArray) -> NDArray:
        return F.softmax(y_pred, axis=1)

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        y = np.asarray(y)
        if y.ndim == 1:
            if y.dtype.kind not in "iu" and not (
                y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)
            ):
                raise ValueError(f"class labels y must be integers, got dtype {y.dtype}")
            labels = y.astype(np.intp)
            if labels.size and (labels.min() < 0 or labels.max() >= n_out):
                raise ValueError(
                    f"class labels must lie in 0..{n_out - 1} for a network with {n_out} "
                    f"outputs, got values from {labels.min()} to {labels.max()}"
                )
            return labels
        return _as_dense_targets(y, n_out, dtype)


def _flat_index_of_labels(rows: NDArray, labels: NDArray, n_classes: int) -> NDArray:
    """``rows * n_classes + labels``, refusing labels outside ``0 .. n_classes - 1``."""
    try:
        return np.ravel_multi_index((rows, labels), (rows.shape[0], n_classes))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"y_true must hold integer class labels in 0..{n_classes - 1} for {n_classes} "
            f"outputs, got dtype {labels.dtype} with values from {labels.min()} to {labels.max()}"
        ) from exc


LOSSES: dict[str, type[Loss]] = {
    "sse": SumSquaredError,
    "sum_squared_error": SumSquaredError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "cross_entropy": SoftmaxCrossEntropy,
    "categorical_cross_entropy": SoftmaxCrossEntropy,
}


def get_loss(loss: str | Loss) -> Loss:
    """A Loss instance from a name or an instance; the error lists the names."""
    if isinstance(loss, Loss):
        return loss
    try:
        return LOSSES[loss]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}") from None
