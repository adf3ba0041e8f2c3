"""Reshape: each sample's array takes another shape with the same number of values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from numpy.typing import NDArray

from ..errors import ShapeError
from .base import Layer

__all__ = ["Reshape"]


class Reshape(Layer):
    """``out = x.reshape(n_samples, *target_shape)``; backward reshapes ``dout`` back.

    Parameters
    ----------
    target_shape : the shape of one sample after the layer, e.g. ``(28, 28, 1)``
        to turn rows of 784 pixels into one-channel pictures (channels last,
        as ``Conv2D`` takes them). One entry may be -1: it is inferred.

    Shape
    -----
    x : (n_samples, d1, d2, ...) -> out : (n_samples, *target_shape), with
    ``d1 * d2 * ... == prod(target_shape)``
    """

    reshapes_only = True  # see Layer: nothing to learn, backward only reshapes

    def __init__(self, target_shape: Sequence[int]) -> None:
        super().__init__()
        if isinstance(target_shape, int):
            target_shape = (target_shape,)
        shape = tuple(target_shape)
        if not shape or any(isinstance(s, bool) or not isinstance(s, int) or (s < 1 and s != -1)
                            for s in shape) or shape.count(-1) > 1:
            raise ValueError(f"target_shape must be positive ints (at most one -1), "
                             f"got {target_shape!r}")
        self.target_shape = shape

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        size, known = math.prod(input_shape), math.prod(s for s in self.target_shape if s != -1)
        shape = tuple(size // known if s == -1 else s for s in self.target_shape)
        if math.prod(shape) != size:
            raise ShapeError(f"{self!r} cannot reshape samples of shape {tuple(input_shape)} "
                             f"({size} values) to {self.target_shape}; the sizes must match")
        return shape

    def build(self, input_shape: tuple[int, ...], dtype: Any) -> tuple[int, ...]:
        self._out = self.output_shape(tuple(input_shape))
        return super().build(input_shape, dtype)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        out_shape = getattr(self, "_out", None) or self.output_shape(x.shape[1:])
        try:
            out = x.reshape(x.shape[0], *out_shape)
        except ValueError:
            raise ShapeError(f"{self!r} cannot reshape input of shape {x.shape} to "
                             f"(n_samples, {', '.join(map(str, out_shape))})") from None
        self._shape = x.shape if training else None
        return out

    def backward(self, dout: NDArray) -> NDArray:
        shape = getattr(self, "_shape", None)
        if shape is None:
            raise self._missing_cache()
        return dout.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"target_shape": list(self.target_shape)}
