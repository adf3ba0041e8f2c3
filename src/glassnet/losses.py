"""Loss functions, and the network's output head.

Every loss is a **mean over the batch** of a per-sample loss, so its
gradient carries a ``1 / n`` factor; ``grad`` returns ``dL/d(y_pred)`` with
the shape and dtype of ``y_pred``. Classification losses accept integer
labels of shape (n,) or one-hot targets of shape (n, n_classes).

The loss is also the network's *head*: it alone says how the last layer's
output becomes probabilities (``proba``) and labels (``labels``), how the
targets are checked (``prepare_targets``) and counted (``n_correct``), and
which last layers it cannot train (``check_last_layer``). ``Network.predict``,
``predict_proba``, ``evaluate`` and the training loop all ask it, so they
always agree.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from . import functional as F
from ._targets import as_dense_targets as _as_dense_targets
from ._targets import check_label_range as _check_label_range
from ._targets import checked_labels as _checked_labels
from ._targets import same_dtype as _same_dtype
from .errors import ShapeError

__all__ = [
    "Loss",
    "SumSquaredError",
    "MeanSquaredError",
    "BinaryCrossEntropy",
    "SoftmaxCrossEntropy",
    "PoissonDeviance",
    "LOSSES",
    "get_loss",
    "register_loss",
]


class Loss:
    """Base class of losses and of the output head.

    Attributes
    ----------
    name : the name ``get_loss`` knows it by
    is_classification : whether the loss is only for classifiers (the
        cross-entropies); the squared losses serve both, as the network's
        ``task`` says
    """

    is_classification: ClassVar[bool] = False
    name: ClassVar[str] = ""

    # -- the loss ------------------------------------------------------------
    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        raise NotImplementedError

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        raise NotImplementedError

    def loss_and_grad(self, y_true: NDArray, y_pred: NDArray) -> tuple[float, NDArray]:
        """Both at once; subclasses override this where sharing work pays."""
        return self.loss(y_true, y_pred), self.grad(y_true, y_pred)

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        """The loss of each sample, shape (n,): ``loss`` is their mean.

        Used for weighted losses (``sample_weight``). This default evaluates
        one row at a time; the built-in losses override it with one vector
        expression.
        """
        return np.array([self.loss(y_true[i:i + 1], y_pred[i:i + 1])
                         for i in range(y_pred.shape[0])], dtype=np.float64)

    # -- the head ------------------------------------------------------------
    def proba(self, out: NDArray) -> NDArray:
        """The network's raw output as the user sees it (probabilities for the cross-entropies)."""
        return out

    def labels(self, out: NDArray) -> NDArray:
        """Class labels (n,) from raw outputs (n, k): argmax, or a 0.5 threshold for k = 1."""
        if out.shape[1] == 1:
            return (out[:, 0] > 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def target_labels(self, targets: NDArray) -> NDArray:
        """The true labels, in the form ``labels`` gives, from ``prepare_targets``'s targets."""
        if targets.ndim == 1:
            return targets
        if targets.shape[1] == 1:
            return (targets[:, 0] > 0.5).astype(np.int64)
        return targets.argmax(axis=1)

    def n_correct(self, out: NDArray, targets: NDArray) -> tuple[int, int]:
        """``(correct, counted)``: labels predicted right, and how many were counted."""
        predicted = self.labels(out)
        return int(np.count_nonzero(predicted == self.target_labels(targets))), predicted.size

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        """Check ``y`` once, at the boundary, and return it in the form ``loss`` expects."""
        return _as_dense_targets(y, n_out, dtype)

    def check_last_layer(self, layer: object, n_out: int | None) -> None:
        """Raise if this loss cannot train a network ending in ``layer`` with ``n_out`` outputs."""

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments that rebuild this loss (JSON values).

        By default each constructor argument is read from the attribute of
        the same name (as scikit-learn's ``get_params`` does); a loss whose
        attributes are named otherwise overrides this, or the default raises.
        """
        config = {}
        for name, param in inspect.signature(type(self)).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"{type(self).__name__} takes *args or **kwargs, so its "
                                "arguments cannot be found; define get_config() returning "
                                "the constructor's arguments")
            if not hasattr(self, name):
                raise TypeError(f"{type(self).__name__} has a constructor argument {name!r} but "
                                f"no attribute {name!r}; define get_config() returning the "
                                "constructor's arguments")
            config[name] = getattr(self, name)
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SumSquaredError(Loss):
    """Sum of squared errors over the outputs of a sample, averaged over the batch.

    ``L = (1/n) sum_i c sum_k (y_ik - p_ik)^2``, with ``c = 1/2`` (``half=True``,
    the default: the tutorials' ``E = 1/2 sum (target - out)^2``, whose
    derivative ``dL/dp = (p - y) / n`` is, for one sample, exactly the book's
    output error with its sign flipped) or ``c = 1`` (``half=False``:
    ``dL/dp = 2 (p - y) / n``, the blog's ``2 (y - y_hat)``).

    Parameters
    ----------
    half : whether to halve the sum (see above)
    """

    name = "sse"

    def __init__(self, *, half: bool = True) -> None:
        self.half = bool(half)

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        # in float64, so that squaring float32's largest values cannot overflow
        d = np.subtract(y_pred, y_true, dtype=np.float64)
        return float((0.5 if self.half else 1.0) * np.sum(d * d) / y_pred.shape[0])

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        d = np.subtract(y_pred, y_true, dtype=np.float64).reshape(y_pred.shape[0], -1)
        return (0.5 if self.half else 1.0) * np.sum(d * d, axis=1)

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        scale = (1.0 if self.half else 2.0) / y_pred.shape[0]
        return (y_pred - _same_dtype(y_true, y_pred)) * y_pred.dtype.type(scale)

    def __repr__(self) -> str:
        return f"SumSquaredError(half={self.half})"


class MeanSquaredError(Loss):
    """Mean over the batch and the outputs: ``L = (1/(n k)) sum_i sum_k (y_ik - p_ik)^2``.

    ``dL/dp = 2 (p - y) / (n k)``.
    """

    name = "mse"

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        d = np.subtract(y_pred, y_true, dtype=np.float64)  # float64: no overflow in d * d
        return float(np.mean(d * d))

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        d = np.subtract(y_pred, y_true, dtype=np.float64).reshape(y_pred.shape[0], -1)
        return np.mean(d * d, axis=1)

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return (y_pred - _same_dtype(y_true, y_pred)) * y_pred.dtype.type(2.0 / y_pred.size)


class BinaryCrossEntropy(Loss):
    """``L = -(1/n) sum_i sum_k [y log p + (1 - y) log(1 - p)]`` for independent 0/1 targets.

    With ``from_logits=True`` (the default, recommended) the last layer gives
    logits ``z`` and ``p = sigmoid(z)`` is folded in:
    ``L = (1/n) sum [softplus(z) - y z]``, ``dL/dz = (sigmoid(z) - y) / n``
    (computed as ``((1 - y) sigmoid(z) - y sigmoid(-z)) / n``, exact in both
    tails), which never takes the log of 0. With ``from_logits=False`` the
    predictions are probabilities (a last Sigmoid layer), clipped to
    ``[eps, 1 - eps]``.

    One output unit is a binary classifier (labels 0/1); k outputs are k
    independent labels (multi-label): ``labels`` gives an (n, k) 0/1 matrix
    and the accuracy counts each label.
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
            return float(np.sum(softplus - y_true * z, dtype=np.float64) / n)
        p = np.clip(y_pred, self.eps, 1 - self.eps)
        return float(-np.sum(y_true * np.log(p) + (1 - y_true) * np.log1p(-p),
                             dtype=np.float64) / n)

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        z = y_pred.astype(np.float64)
        if self.from_logits:
            terms = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y_true * z
        else:
            p = np.clip(z, self.eps, 1 - self.eps)
            terms = -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p))
        return terms.reshape(z.shape[0], -1).sum(axis=1)

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        n = y_pred.dtype.type(y_pred.shape[0])
        y_true = _same_dtype(y_true, y_pred)
        if self.from_logits:
            # sigmoid(z) - y written as (1 - y) sigmoid(z) - y sigmoid(-z): the same number,
            # but sigmoid(z) - 1 cancels for large z (float32 at z = 10: -4.5419e-5, not
            # -4.5398e-5; float64 at z = 40: 0, not -4.2484e-18), while -sigmoid(-z) keeps
            # every digit. A 0/1 target takes exactly one of the two terms.
            return ((1 - y_true) * F.sigmoid(y_pred) - y_true * F.sigmoid(-y_pred)) / n
        p = np.clip(y_pred, self.eps, 1 - self.eps)
        return (p - y_true) / (p * (1 - p)) / n

    def proba(self, out: NDArray) -> NDArray:
        return F.sigmoid(out) if self.from_logits else out

    def labels(self, out: NDArray) -> NDArray:
        # sigmoid(z) > 0.5 exactly when z > 0: no sigmoid needed on logits
        positive = out > 0 if self.from_logits else out > 0.5
        return (positive[:, 0] if out.shape[1] == 1 else positive).astype(np.int64)

    def target_labels(self, targets: NDArray) -> NDArray:
        positive = targets > 0.5
        return (positive[:, 0] if targets.shape[1] == 1 else positive).astype(np.int64)

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        y = np.asarray(y)
        if y.ndim == 1 and n_out == 1:
            y = y.reshape(-1, 1)
        if y.ndim == 1 and n_out > 1:
            raise ShapeError(
                f"binary cross-entropy over {n_out} outputs is multi-label: y must be an "
                f"(n_samples, {n_out}) matrix of 0/1, got shape {y.shape}; for one label per "
                "sample among several classes use loss='softmax_cross_entropy'")
        if y.ndim == 2 and y.shape[1] == n_out and y.dtype.kind in "biuf" \
                and not np.isin(y, (0, 1)).all():
            raise ValueError("binary cross-entropy targets must be 0 or 1")
        return _as_dense_targets(y, n_out, dtype)

    def check_last_layer(self, layer: object, n_out: int | None) -> None:
        from .layers import Sigmoid, Softmax

        if self.from_logits and isinstance(layer, Sigmoid):
            raise ValueError(
                "the network ends in a Sigmoid layer, but loss='binary_cross_entropy' expects "
                "logits and applies the sigmoid itself (twice would squash the outputs and "
                "stall training); remove the last Sigmoid (predict_proba still gives "
                "probabilities), or use BinaryCrossEntropy(from_logits=False)")
        if not self.from_logits and not isinstance(layer, (Sigmoid, Softmax)):
            raise ValueError(
                f"BinaryCrossEntropy(from_logits=False) expects probabilities from a last "
                f"Sigmoid (or Softmax) layer, but the network ends in {layer!r}; add a "
                "Sigmoid or use from_logits=True")

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

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        return self.loss_and_grad(y_true, y_pred)[0]

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return self.loss_and_grad(y_true, y_pred)[1]

    def loss_and_grad(self, y_true: NDArray, y_pred: NDArray) -> tuple[float, NDArray]:
        n, k = y_pred.shape
        # softmax is shift-invariant: subtracting each row's maximum keeps exp
        # from overflowing (the difference itself may overflow to -inf for
        # logits of opposite huge signs, which is exp's 0, as it should be)
        with np.errstate(over="ignore"):
            shifted = y_pred - y_pred.max(axis=1, keepdims=True)
        grad = np.exp(shifted)
        sum_exp = grad.sum(axis=1, keepdims=True)
        grad /= sum_exp * grad.dtype.type(n)     # softmax(z) / n
        log_sum_exp = np.log(sum_exp)
        if y_true.ndim == 1:  # integer labels: pick, do not build one-hot
            rows = np.arange(n)
            labels = _checked_labels(y_true, k)
            loss = (log_sum_exp.sum() - shifted[rows, labels].sum()) / n
            grad[rows, labels] -= grad.dtype.type(1.0 / n)
        else:
            loss = np.sum(y_true * (log_sum_exp - shifted)) / n
            grad -= _same_dtype(y_true, y_pred) / grad.dtype.type(n)
        return float(loss), grad

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        z = y_pred.astype(np.float64)
        shifted = z - z.max(axis=1, keepdims=True)
        log_sum_exp = np.log(np.exp(shifted).sum(axis=1))
        if y_true.ndim == 1:
            labels = _checked_labels(y_true, z.shape[1])
            return log_sum_exp - shifted[np.arange(z.shape[0]), labels]
        return np.sum(y_true * (log_sum_exp[:, None] - shifted), axis=1)

    def proba(self, out: NDArray) -> NDArray:
        return F.softmax(out, axis=1)

    def labels(self, out: NDArray) -> NDArray:
        return out.argmax(axis=1)  # softmax keeps the order of the logits

    def prepare_targets(self, y: NDArray, n_out: int, dtype: np.dtype) -> NDArray:
        y = np.asarray(y)
        if y.ndim == 1:
            if y.dtype.kind not in "iu" and not (
                y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)
            ):
                raise ValueError(f"class labels y must be integers, got dtype {y.dtype}")
            labels = y.astype(np.intp)
            _check_label_range(labels, n_out)
            return labels
        return _as_dense_targets(y, n_out, dtype)

    def check_last_layer(self, layer: object, n_out: int | None) -> None:
        from .layers import Softmax

        if isinstance(layer, Softmax):
            raise ValueError(
                "the network ends in a Softmax layer, but loss='softmax_cross_entropy' expects "
                "logits and applies the softmax itself (twice would squash the probabilities); "
                "remove the last Softmax: predict_proba still gives probabilities")
        if n_out is not None and n_out < 2:
            raise ValueError(
                f"softmax cross-entropy needs at least 2 outputs (one per class), the network "
                f"has {n_out}; for a yes/no output use loss='binary_cross_entropy'")


class PoissonDeviance(Loss):
    """Half the Poisson deviance with a log link, on raw outputs ``z`` (the mean is ``exp(z)``).

    ``L = (1/n) sum_i sum_k [y log y - y - y z + exp(z)]`` (scikit-learn's
    ``xlogy(y, y / p) - y + p`` with ``p = exp(z)``; ``0 log 0 = 0``), and
    ``dL/dz = (exp(z) - y) / n``. Targets are counts or rates, ``y >= 0``.
    """

    name = "poisson"

    def per_sample_loss(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        y = np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape)
        z = y_pred.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        return (y_log_y - y - y * z + np.exp(z)).sum(axis=1)

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        return float(self.per_sample_loss(y_true, y_pred).sum() / y_pred.shape[0])

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        n = y_pred.dtype.type(y_pred.shape[0])
        return (np.exp(y_pred) - y_true.astype(y_pred.dtype).reshape(y_pred.shape)) / n

    def proba(self, out: NDArray) -> NDArray:
        return np.exp(out)


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
    "poisson": PoissonDeviance,
}


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Make a Loss subclass known by its ``name`` (for ``get_loss`` and model files)."""
    if not (isinstance(cls, type) and issubclass(cls, Loss)) or not cls.name:
        raise TypeError(f"register_loss takes a Loss subclass with a class attribute name, "
                        f"got {cls!r}")
    known = LOSSES.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"a different loss is already registered as {cls.name!r}")
    LOSSES[cls.name] = cls
    return cls


def get_loss(loss: str | Loss) -> Loss:
    """A Loss instance from a name or an instance; the error lists the names."""
    if isinstance(loss, Loss):
        return loss
    try:
        return LOSSES[loss]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}") from None
