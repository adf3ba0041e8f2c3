"""Element-wise activation layers, and softmax over the features.

Each keeps the dtype it is given and caches only what its backward needs
(its output where the derivative is a function of the output, else its input).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import functional as F
from .._fused import check_fused
from .._validation import check_non_negative
from ._compiled import relu_backward_kernel, tanh_backward_kernel, use_fused
from .base import Layer


def _one_pass(fused: bool | None, dout: NDArray, out: NDArray) -> bool:
    """Whether a backward takes its compiled loop: the switch says so and the arrays fit it
    (contiguous, of one float dtype); otherwise NumPy computes the same."""
    return use_fused(fused, dout.size) and dout.flags.c_contiguous and out.flags.c_contiguous \
        and dout.dtype == out.dtype and dout.shape == out.shape


class _Activation(Layer):
    """Shared plumbing: cache one array in training mode, refuse backward without it."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: NDArray | None = None

    def _keep(self, a: NDArray, training: bool) -> None:
        self._cache = a if training else None

    def _cached(self) -> NDArray:
        if self._cache is None:
            raise self._missing_cache()
        return self._cache


class Sigmoid(_Activation):
    """``out = 1 / (1 + exp(-x))``; backward ``dx = dout * out * (1 - out)``."""

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        out = F.sigmoid(x)
        self._keep(out, training)
        return out

    def backward(self, dout: NDArray) -> NDArray:
        out = self._cached()
        return dout * out * (1 - out)


class Tanh(_Activation):
    """``out = tanh(x)``; backward ``dx = dout * (1 - out**2)``.

    Parameters
    ----------
    fused : how backward runs (never what it computes), as for ``ReLU``
    """

    fused: bool | None = None  # see the docstring; a class default for older pickles

    def __init__(self, *, fused: bool | None = None) -> None:
        super().__init__()
        self.fused = check_fused(fused, "Tanh")

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        out = np.tanh(x)
        self._keep(out, training)
        return out

    def backward(self, dout: NDArray) -> NDArray:
        out = self._cached()
        if _one_pass(self.fused, dout, out):
            dx = np.empty_like(out)
            tanh_backward_kernel()(dout.reshape(-1), out.reshape(-1), out.dtype.type(1),
                                   dx.reshape(-1))
            return dx
        return dout * (1 - out * out)


class ReLU(_Activation):
    """``out = max(x, 0)``; backward ``dx = dout * (out > 0)``.

    Parameters
    ----------
    fused : how backward runs (never what it computes): True with the
        compiled one-pass loop of ``glassnet.layers._compiled`` (needs Numba),
        False with NumPy, None (default) compiled when Numba is installed and
        ``dout`` has at least 65,536 entries. Both give the same bits.
    """

    fused: bool | None = None  # see the docstring; a class default for older pickles

    def __init__(self, *, fused: bool | None = None) -> None:
        super().__init__()
        self.fused = check_fused(fused, "ReLU")

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        out = np.maximum(x, 0)
        self._keep(out, training)
        return out

    def backward(self, dout: NDArray) -> NDArray:
        out = self._cached()
        if _one_pass(self.fused, dout, out):
            dx = np.empty_like(out)
            relu_backward_kernel()(dout.reshape(-1), out.reshape(-1), dx.reshape(-1))
            return dx
        return dout * (out > 0)


class LeakyReLU(_Activation):
    """``out = x if x > 0 else alpha * x``; backward ``dx = dout * (1 or alpha)``.

    Parameters
    ----------
    alpha : slope for negative inputs, >= 0
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_non_negative(alpha, "alpha")

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        self._keep(x, training)
        return F.leaky_relu(x, self.alpha)

    def backward(self, dout: NDArray) -> NDArray:
        return dout * F.leaky_relu_grad(self._cached(), self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Softmax(_Activation):
    """``out_i = exp(x_i) / sum_j exp(x_j)`` over the features (the last axis) of each sample.

    Backward: ``dx = out * (dout - sum_j dout_j * out_j)``. To train a
    classifier prefer a final ``Dense`` with ``loss="softmax_cross_entropy"``,
    which fuses the two and is cheaper and more accurate.
    """

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        out = F.softmax(x, axis=-1)
        self._keep(out, training)
        return out

    def backward(self, dout: NDArray) -> NDArray:
        out = self._cached()
        return out * (dout - (dout * out).sum(axis=-1, keepdims=True))


class Identity(Layer):
    """``out = x``; backward ``dx = dout``."""

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        return x

    def backward(self, dout: NDArray) -> NDArray:
        return dout


ACTIVATIONS: dict[str, type[Layer]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
    "identity": Identity,
    "linear": Identity,
}


def get_activation(name: str) -> Layer:
    """A fresh activation layer by name; the error lists the valid names."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
