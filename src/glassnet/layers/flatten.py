"""Flatten: each sample's array becomes one row of features."""

from __future__ import annotations

import math

from numpy.typing import NDArray

from .base import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """``out = x.reshape(n_samples, -1)``; backward reshapes ``dout`` back.

    Shape
    -----
    x : (n_samples, d1, d2, ...) -> out : (n_samples, d1 * d2 * ...)
    """

    reshapes_only = True  # see Layer: nothing to learn, backward only reshapes

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (math.prod(input_shape),)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        self._shape = x.shape if training else None
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: NDArray) -> NDArray:
        shape = getattr(self, "_shape", None)
        if shape is None:
            raise self._missing_cache()
        return dout.reshape(shape)
