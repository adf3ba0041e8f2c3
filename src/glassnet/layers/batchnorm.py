"""Batch normalisation (Ioffe and Szegedy, 2015)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_copy
from .._validation import check_dtype, check_non_negative, check_positive
from .base import Layer

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

    A frozen BatchNorm (``trainable = False``, or inside a frozen layer) runs
    in inference mode even while the network trains, as in Keras: it
    normalises with the running statistics and leaves them alone, so
    fine-tuning the layers around it does not disturb it.

    Parameters
    ----------
    momentum : weight of the old running statistics, in [0, 1)
    eps : added to the variance so the division is safe, > 0

    Shape
    -----
    x : (n_samples, d) or (n_samples, ..., d), features on the last axis;
    gamma, beta, running_mean, running_var : (d,)

    Backward
    --------
    ``dbeta = sum(dout)``, ``dgamma = sum(dout * x_hat)`` over the batch, and
    with ``g = dout * gamma``:
    ``dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)``.
    """

    def __init__(self, *, momentum: float = 0.9, eps: float = 1e-5,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        self.momentum = check_non_negative(momentum, "momentum", upper=1.0, strict_upper=True)
        self.eps = check_positive(eps, "eps")
        self._dtype = None if dtype is None else check_dtype(dtype)
        self._cache: tuple[NDArray, NDArray, bool] | None = None  # x_hat, inv_std, frozen

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
        if not self.params:
            self.build(x.shape[1:], x.dtype)
        gamma, beta = self.params["gamma"], self.params["beta"]
        self._check_dtype(x, gamma.dtype)
        if not training or not self.trainable:
            inv_std = 1.0 / np.sqrt(self.state["running_var"] + gamma.dtype.type(self.eps))
            out = (x - self.state["running_mean"]) * (gamma * inv_std) + beta
            # frozen but training: keep what backward needs (inference-mode gradients)
            self._cache = ((x - self.state["running_mean"]) * inv_std, inv_std, True) \
                if training else None
            return out
        flat = x.reshape(-1, x.shape[-1])
        mu = flat.mean(axis=0)
        var = flat.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + gamma.dtype.type(self.eps))
        x_hat = (x - mu) * inv_std
        m = gamma.dtype.type(self.momentum)
        self.state["running_mean"] *= m
        self.state["running_mean"] += (1 - m) * mu
        self.state["running_var"] *= m
        self.state["running_var"] += (1 - m) * var
        self._cache = (x_hat, inv_std, False)
        return x_hat * gamma + beta

    def backward(self, dout: NDArray) -> NDArray:
        if self._cache is None:
            raise self._missing_cache()
        x_hat, inv_std, frozen = self._cache
        d = dout.shape[-1]
        flat_dout = dout.reshape(-1, d)
        flat_x_hat = x_hat.reshape(-1, d)
        self.grads["beta"] = flat_dout.sum(axis=0)
        self.grads["gamma"] = (flat_dout * flat_x_hat).sum(axis=0)
        if frozen:  # fixed statistics: an affine map, dx = dout * gamma / sqrt(running_var + eps)
            return dout * (self.params["gamma"] * inv_std)
        g = flat_dout * self.params["gamma"]
        dx = (g - g.mean(axis=0) - flat_x_hat * (g * flat_x_hat).mean(axis=0)) * inv_std
        return dx.reshape(dout.shape)

    def get_config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "eps": self.eps}
