"""Fully connected (affine) layer."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import as_rng, check_dtype, check_positive_int
from ..errors import DTypeError
from ..initializers import get_initializer
from .base import Layer, check_input


class Dense(Layer):
    """Affine map ``out = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : number of input and output features
    bias : whether to learn ``b`` (the book's network has none)
    init : weight initialiser name, see ``glassnet.initializers.INITIALIZERS``
    rng : seed or Generator used to draw the initial weights
    dtype : float32 (default) or float64

    Shape
    -----
    x : (n_samples, n_in) -> out : (n_samples, n_out);
    W : (n_in, n_out), b : (n_out,)

    Backward
    --------
    ``dW = x.T @ dout``, ``db = dout.sum(axis=0)``, ``dx = dout @ W.T``.
    """

    decay_keys = ("W",)

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True,
                 init: str = "glorot_uniform", rng: int | np.random.Generator | None = None,
                 dtype: DTypeLike = np.float32) -> None:
        super().__init__()
        self.n_in = check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        self.bias = bool(bias)
        self.init = init
        self.dtype = check_dtype(dtype)
        initializer = get_initializer(init)
        self.params["W"] = initializer(as_rng(rng), (self.n_in, self.n_out), self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.bias:
            self.params["b"] = np.zeros(self.n_out, dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        self._x: NDArray | None = None
        self._ones_cache: NDArray | None = None

    @property
    def input_size(self) -> int:
        return self.n_in

    def output_size(self, n_in: int) -> int:
        return self.n_out

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        W = self.params["W"]
        if x.ndim != 2 or x.dtype != W.dtype:
            check_input(self, x, self.n_in)
            raise DTypeError(
                f"{self!r} holds {W.dtype} weights but got {x.dtype} input; "
                f"convert the input with x.astype(np.{W.dtype})"
            )
        try:
            out = x @ W
        except ValueError:  # a wrong feature count: say which layer and what it expects
            check_input(self, x, self.n_in)
            raise
        if self.bias:
            out += self.params["b"]
        self._x = x if training else None
        return out

    def backward(self, dout: NDArray) -> NDArray:
        self.backward_params(dout)
        return dout @ self.params["W"].T

    def backward_params(self, dout: NDArray) -> None:
        """Only ``dW`` and ``db``: for the first layer, whose ``dx`` nobody needs.

        Skipping ``dx`` saves one of the three matrix products of the backward pass.
        """
        x = self._x
        if x is None:
            raise self._missing_cache()
        # np.dot hands the transposed view straight to BLAS (gemm with a
        # transpose flag); np.matmul copies it or loops when x has one row.
        np.dot(x.T, dout, out=self.grads["W"])
        if self.bias:
            # db = ones @ dout: the column sums as one BLAS matrix-vector
            # product, summed like dW above and 3x quicker than dout.sum(axis=0).
            np.dot(self._ones(dout.shape[0]), dout, out=self.grads["b"])

    def _ones(self, n: int) -> NDArray:
        """A vector of ``n`` ones in the layer's dtype, kept for the next batch of that size."""
        ones = self._ones_cache
        if ones is None or ones.shape[0] != n:
            ones = self._ones_cache = np.ones(n, dtype=self.dtype)
        return ones

    def get_config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out, "bias": self.bias, "init": self.init}
