"""The fully connected (affine) layer."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_copy
from .._validation import as_rng, check_dtype, check_positive_int
from ..errors import ShapeError
from ..initializers import get_initializer
from .base import Layer, check_input, seed_argument

__all__ = ["Dense"]


class Dense(Layer):
    """Affine map ``out = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : number of input and output features. ``Dense(n_out)`` (one
        number) learns ``n_in`` from the layer before it or from the data,
        when the network is built; ``Dense(n_in, n_out)`` fixes both now.
    bias : whether to learn ``b`` (the book's network has none)
    init : weight initialiser name, see ``glassnet.initializers.INITIALIZERS``
    seed : int or Generator used to draw the initial weights
    dtype : float32 (default) or float64; for ``Dense(n_out)``, None takes
        the network's dtype when it is built

    Shape
    -----
    x : (n_samples, n_in) -> out : (n_samples, n_out);
    W : (n_in, n_out), b : (n_out,)

    Backward
    --------
    ``dW = x.T @ dout``, ``db = dout.sum(axis=0)``, ``dx = dout @ W.T``.
    """

    decay_keys = ("W",)

    def __init__(self, n_in: int | None = None, n_out: int | None = None, *, bias: bool = True,
                 init: str = "glorot_uniform", seed: int | np.random.Generator | None = None,
                 dtype: DTypeLike | None = None,
                 rng: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if n_out is None:  # Dense(n_out): the input size comes at build time
            n_in, n_out = None, n_in
        if n_out is None:
            raise TypeError("Dense needs the number of outputs: Dense(n_out) or Dense(n_in, n_out)")
        self.n_in = None if n_in is None else check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        self.bias = bool(bias)
        self.init = init
        self._initializer = get_initializer(init)  # fails now for an unknown name
        self._rng = as_rng(seed_argument(seed, rng, "Dense"))
        self._dtype = None if dtype is None else check_dtype(dtype)
        self._x: NDArray | None = None
        if self.n_in is not None:
            self._create_params(self.n_in, self._dtype or np.dtype(np.float32))

    def _create_params(self, n_in: int, dtype: np.dtype) -> None:
        W = self._initializer(self._rng, (n_in, self.n_out), dtype)
        self.params["W"] = aligned_copy(W)   # see glassnet._aligned: faster products
        self.grads["W"] = np.zeros_like(W)
        if self.bias:
            self.params["b"] = aligned_copy(np.zeros(self.n_out, dtype=dtype))
            self.grads["b"] = np.zeros(self.n_out, dtype=dtype)
        self.input_shape = (n_in,)

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        if len(input_shape) != 1:
            raise ShapeError(f"{self!r} takes (n_samples, n_features) input, but the layer "
                             f"before it gives (n_samples, {', '.join(map(str, input_shape))}); "
                             "put a Flatten() before it")
        if self.n_in is None:
            self.n_in = int(input_shape[0])
            self._create_params(self.n_in, self._dtype or check_dtype(dtype))
        return super().build(input_shape, dtype)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.n_out,)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        W = self.params.get("W")
        if W is None:
            raise ShapeError(f"{self!r} is not built yet: put it in a Network, or give n_in")
        if x.ndim != 2 or x.dtype != W.dtype:
            check_input(self, x, W.shape[0])
            self._check_dtype(x, W.dtype)
        try:
            out = x @ W
        except ValueError:  # a wrong feature count: say which layer and what it expects
            check_input(self, x, W.shape[0])
            raise
        if self.bias:
            out += self.params["b"]
        self._x = x if training else None
        return out

    def backward(self, dout: NDArray) -> NDArray:
        self.backward_params(dout)
        return dout @ self.params["W"].T

    def backward_params(self, dout: NDArray) -> None:
        """``dW`` and ``db`` only: the network calls this for its first layer, whose ``dx``
        nobody needs (it saves one of the three matrix products of the backward pass)."""
        x = self._x
        if x is None:
            raise self._missing_cache()
        # dW = x.T @ dout and db = dout.sum(axis=0), written into the gradient
        # arrays the layer keeps: a fresh 800 KB array every step (784 x 256)
        # made the optimizer's pass over it about 50% slower (cold memory),
        # measured with python -m benchmarks.profile_step. np.dot hands the
        # transposed view to BLAS; @ copies it when x has one row.
        dW, db = self.grads["W"], self.grads.get("b")
        if dW.shape != (x.shape[1], dout.shape[1]) or dW.dtype != dout.dtype:
            dW = self.grads["W"] = np.empty((x.shape[1], dout.shape[1]), dtype=dout.dtype)
        if hasattr(x, "tocsr"):  # a SciPy sparse input: sparse.T @ dense is dense
            dW[...] = x.T @ dout
        else:
            np.dot(x.T, dout, out=dW)
        if self.bias:
            np.sum(dout, axis=0, out=db)

    def get_config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out, "bias": self.bias, "init": self.init}
