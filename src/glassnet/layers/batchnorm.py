"""Batch normalisation (Ioffe and Szegedy, 2015)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_copy
from .._fused import check_fused
from .._validation import check_dtype, check_non_negative, check_positive
from ._compiled import (
    batchnorm_backward_kernel,
    batchnorm_scale_kernel,
    column_sums,
    column_sums_kernel,
    use_fused,
)
from .base import Layer

if TYPE_CHECKING:
    from .activations import ReLU

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    """Normalise each feature over the batch, then scale and shift.

    Training, with ``mu`` and ``var`` the mean and (biased) variance of each
    feature over the batch::

        x_hat = (x - mu) / sqrt(var + eps)
        out   = gamma * x_hat + beta
        running_mean <- momentum * running_mean + (1 - momentum) * mu
        running_var  <- momentum * running_var  + (1 - momentum) * var

    Inference uses the running statistics instead of the batch's:
    ``out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta``.

    In training, ``forward`` keeps ``x`` (the compiled path) or ``x_hat`` (the
    NumPy path) for ``backward``, as ``Dense`` keeps its input: change ``x``
    in place between the two and the gradients change with it.

    A frozen BatchNorm (``trainable = False``, or inside a frozen layer) runs
    in inference mode even while the network trains, as in Keras: it
    normalises with the running statistics and leaves them alone, so
    fine-tuning the layers around it does not disturb it.

    Parameters
    ----------
    momentum : weight of the old running statistics, in [0, 1)
    eps : added to the variance so the division is safe, > 0
    fused : how training steps run (never what they compute): True with
        the compiled one-pass loops of ``glassnet.layers._compiled`` (needs
        Numba), False with NumPy, None (default) compiled when Numba is
        installed and the input has at least 65,536 entries. Both give the
        same bits. Followed by a ``ReLU`` in a ``Network`` or ``Sequential``,
        and both compiled, the two run as one pass each way
        (``forward_then_relu``, ``backward_through_relu``).

    Shape
    -----
    x : (n_samples, d) or (n_samples, ..., d), features on the last axis;
    gamma, beta, running_mean, running_var : (d,)

    Backward
    --------
    ``dbeta = sum(dout)``, ``dgamma = sum(dout * x_hat)`` over the batch, and
    ``dx = (dout - mean(dout) - x_hat * mean(dout * x_hat)) * gamma / sqrt(var + eps)``
    (the chain rule through ``mu`` and ``var`` gives the two means).
    """

    fused: bool | None = None  # see the docstring; a class default for older pickles

    def __init__(self, *, momentum: float = 0.9, eps: float = 1e-5,
                 dtype: DTypeLike | None = None, fused: bool | None = None) -> None:
        super().__init__()
        self.momentum = check_non_negative(momentum, "momentum", upper=1.0, strict_upper=True)
        self.eps = check_positive(eps, "eps")
        self._dtype = None if dtype is None else check_dtype(dtype)
        self.fused = check_fused(fused, "BatchNorm")
        # (x_hat, x, mu, inv_std, frozen) with x_hat = (x - mu) * inv_std, both as rows: the
        # NumPy path keeps x_hat; the compiled path keeps x and computes x_hat again in backward
        self._cache: tuple[NDArray | None, NDArray | None, NDArray, NDArray, bool] | None = None

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        if not self.params:
            d = int(input_shape[-1])
            dt = self._dtype or check_dtype(dtype)
            self.params["gamma"] = aligned_copy(np.ones(d, dtype=dt))
            self.params["beta"] = aligned_copy(np.zeros(d, dtype=dt))
            self.grads["gamma"] = np.zeros(d, dtype=dt)
            self.grads["beta"] = np.zeros(d, dtype=dt)
            self.state["running_mean"] = aligned_copy(np.zeros(d, dtype=dt))
            self.state["running_var"] = aligned_copy(np.ones(d, dtype=dt))
        return super().build(input_shape, dtype)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        return self._forward(x, training, relu=False)

    def forward_then_relu(self, x: NDArray, relu: ReLU, *, training: bool = False) -> NDArray:
        """``relu.forward(self.forward(x, training=training), training=training)``.

        In one pass where both layers take their compiled path in training
        (``fused``): the normalised array is not written, only ReLU's output.
        The same bits, and the same arrays kept by both layers for backward;
        ``Network`` and ``Sequential`` call this for a BatchNorm followed by a
        ReLU (see ``glassnet.layers.chain``).
        """
        if not (training and self.trainable and self.params
                and use_fused(self.fused, x.size) and use_fused(relu.fused, x.size)):
            return relu.forward(self.forward(x, training=training), training=training)
        out = self._forward(x, training, relu=True)
        relu._keep(out, training)
        return out

    def _forward(self, x: NDArray, training: bool, *, relu: bool) -> NDArray:
        """The forward pass; with ``relu`` (compiled path only) ReLU's output instead."""
        if not self.params:
            self.build(x.shape[1:], x.dtype)
        gamma, beta = self.params["gamma"], self.params["beta"]
        self._check_dtype(x, gamma.dtype)
        if not training or not self.trainable:
            inv_std = 1.0 / np.sqrt(self.state["running_var"] + gamma.dtype.type(self.eps))
            out = (x - self.state["running_mean"]) * (gamma * inv_std) + beta
            # frozen but training: keep what backward needs (inference-mode gradients)
            self._cache = (None, np.ascontiguousarray(x.reshape(-1, x.shape[-1])),
                           self.state["running_mean"].copy(), inv_std, True) \
                if training else None
            return out
        flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))  # the compiled loops need it
        n = flat.dtype.type(flat.shape[0])
        fused = use_fused(self.fused, flat.size)
        if fused and flat.shape[1] > 1:  # the same sums in one pass each, no temporaries
            mu, var, unused = (np.empty_like(gamma) for _ in range(3))
            column_sums_kernel()(flat, flat, flat, mu, mu, 0, mu, unused)
            mu /= n
            column_sums_kernel()(flat, flat, flat, mu, mu, 1, var, unused)
            var /= n
        else:
            mu = column_sums(flat) / n
            centred = flat - mu
            var = column_sums(centred * centred) / n
        inv_std = 1 / np.sqrt(var + gamma.dtype.type(self.eps))
        if fused:  # x_hat is not kept: backward computes it again from x
            x_hat = None
            out = np.empty_like(flat)
            batchnorm_scale_kernel()(flat, mu, inv_std, gamma, beta, relu, out)
        else:
            x_hat = flat - mu
            x_hat *= inv_std
            out = x_hat * gamma + beta
        m = gamma.dtype.type(self.momentum)
        self.state["running_mean"] *= m
        self.state["running_mean"] += (1 - m) * mu
        self.state["running_var"] *= m
        self.state["running_var"] += (1 - m) * var
        # x is kept only where x_hat is not (no second reference to keep an array alive)
        self._cache = (x_hat, flat if x_hat is None else None, mu, inv_std, False)
        return out.reshape(x.shape)

    def backward(self, dout: NDArray) -> NDArray:
        return self._backward(dout, None)

    def backward_through_relu(self, dout: NDArray, relu: ReLU) -> NDArray:
        """``self.backward(relu.backward(dout))``, for a ReLU that follows this layer.

        In one pass each for the sums and for ``dx`` where both layers take
        their compiled path: ReLU's gradient is computed where it is used, not
        written. The same bits (see ``forward_then_relu``).
        """
        out = relu._cached()
        if self._cache is None:
            raise self._missing_cache()
        x, frozen = self._cache[1], self._cache[4]
        if frozen or x is None or dout.shape != out.shape or dout.dtype != out.dtype \
                or out.shape[-1] < 2 or not out.flags.c_contiguous \
                or not use_fused(self.fused, dout.size) or not use_fused(relu.fused, dout.size):
            return self.backward(relu.backward(dout))
        return self._backward(dout, out.reshape(-1, out.shape[-1]))

    def _backward(self, dout: NDArray, relu_out: NDArray | None) -> NDArray:
        """The backward pass; of ``dout * (relu_out > 0)`` when ``relu_out`` is given (compiled
        path only)."""
        if self._cache is None:
            raise self._missing_cache()
        x_hat, x, mu, inv_std, frozen = self._cache
        d = dout.shape[-1]
        flat_dout = np.ascontiguousarray(dout.reshape(-1, d))
        mask = flat_dout if relu_out is None else relu_out
        # a forward on the NumPy path kept x_hat only: its backward stays on that path
        fused = use_fused(self.fused, flat_dout.size) and x is not None
        if relu_out is not None and not (fused and d > 1 and not frozen):
            raise RuntimeError("BatchNorm's backward through a ReLU needs the compiled path")
        if fused and d > 1:  # both sums in one pass, no array of products (nor of x_hat)
            dbeta, dgamma = np.empty(d, dout.dtype), np.empty(d, dout.dtype)
            column_sums_kernel()(flat_dout, mask, x, mu, inv_std, 2 if relu_out is None else 3,
                                 dbeta, dgamma)
        else:
            x_hat = _x_hat(x_hat, x, mu, inv_std)
            dbeta, dgamma = column_sums(flat_dout), column_sums(flat_dout * x_hat)
        self.grads["beta"], self.grads["gamma"] = dbeta, dgamma
        gain = self.params["gamma"] * inv_std
        if frozen:  # fixed statistics: an affine map, dx = dout * gamma / sqrt(running_var + eps)
            return dout * gain
        n = dout.dtype.type(flat_dout.shape[0])
        mean_dout, mean_dout_x_hat = self.grads["beta"] / n, self.grads["gamma"] / n
        if fused:
            dx = np.empty_like(flat_dout)
            batchnorm_backward_kernel()(flat_dout, mask, relu_out is not None, x, mu, inv_std,
                                        mean_dout, mean_dout_x_hat, gain, dx)
        else:
            x_hat = _x_hat(x_hat, x, mu, inv_std)
            dx = (flat_dout - mean_dout - x_hat * mean_dout_x_hat) * gain
        return dx.reshape(dout.shape)

    def __setstate__(self, state: dict[str, Any]) -> None:
        cache = state.get("_cache")
        if cache is not None and len(cache) == 3:  # pickled as (x_hat, inv_std, frozen)
            x_hat, inv_std, frozen = cache
            state["_cache"] = (x_hat.reshape(-1, x_hat.shape[-1]), None, np.zeros_like(inv_std),
                               inv_std, frozen)
        super().__setstate__(state)

    def get_config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "eps": self.eps}


def _x_hat(x_hat: NDArray | None, x: NDArray | None, mu: NDArray, inv_std: NDArray) -> NDArray:
    """The kept ``x_hat``, or ``(x - mu) * inv_std`` made as the NumPy forward makes it."""
    if x_hat is not None:
        return x_hat
    if x is None:
        raise RuntimeError("BatchNorm kept neither x nor x_hat; run forward(training=True) again")
    x_hat = x - mu
    x_hat *= inv_std
    return x_hat
