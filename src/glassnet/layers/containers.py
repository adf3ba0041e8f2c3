"""Layers made of layers: ``Sequential`` (one after another) and ``Residual`` (``x + block(x)``).

A container owns no arrays of its own: its sub-layers do, and every walker
of the network (parameters, state, saving, freezing, casting, seeding)
reaches them by dotted names, ``"1.0.W"`` for the first Dense of a
Sequential at position 1, ``"2.block.0.W"`` inside a Residual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..errors import DTypeError, ShapeError
from .base import Layer
from .chain import backward_through, forward_through

__all__ = ["Sequential", "Residual", "build_layer", "declared_input_shape"]


def build_layer(layer: Layer, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
    """Build ``layer`` for ``input_shape`` and return its output shape.

    A layer that does not say how it changes the shape (a custom layer that
    keeps ``Layer.output_shape``) is run once on one zero sample to find out,
    so a custom layer need not declare anything.
    """
    out_shape = tuple(layer.build(input_shape, dtype))
    if type(layer).output_shape is Layer.output_shape \
            and not type(layer).__module__.startswith("glassnet."):
        out = layer.forward(np.zeros((1, *input_shape), dtype=dtype), training=False)
        if not isinstance(out, np.ndarray) or out.dtype != np.dtype(dtype):
            raise DTypeError(f"{layer!r} turned {np.dtype(dtype)} input into "
                             f"{getattr(out, 'dtype', type(out).__name__)}; a layer must keep "
                             "the dtype it is given")
        out_shape = tuple(out.shape[1:])
    return out_shape


class Sequential(Layer):
    """Layers applied one after another, as one layer: ``out = f_k(... f_2(f_1(x)))``.

    Parameters
    ----------
    layers : the layers, first to last (each instance at most once)

    Shape
    -----
    x : (n_samples, *input_shape) -> out : (n_samples, *the last layer's output shape)

    Backward
    --------
    The chain rule, last layer first: ``dx = f_1'(... f_k'(dout))``.

    Examples
    --------
    >>> from glassnet.layers import Dense, ReLU, Sequential
    >>> block = Sequential([Dense(4, 8, seed=0), ReLU(), Dense(4, seed=1)])
    >>> [name for name, _ in block.sublayers()]
    ['0', '1', '2']
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: layers[{i}] is {layer!r}, not a glassnet Layer")
        if len({id(la) for la in self.layers}) != len(self.layers):
            raise ValueError("Sequential: the same layer object appears twice; use a separate "
                             "instance for each position")
        self._output_shape: tuple[int, ...] | None = None

    def sublayers(self) -> list[tuple[str, Layer]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    @property
    def input_kind(self) -> str:  # type: ignore[override]
        """What the first layer takes: ``"int"`` indices for an embedding, else ``"float"``."""
        return self.layers[0].input_kind

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        shape = tuple(int(s) for s in input_shape)
        first = shape
        for i, layer in enumerate(self.layers):
            try:
                shape = build_layer(layer, shape, dtype)
            except ShapeError as exc:
                raise ShapeError(f"Sequential layer {i}: {exc}") from None
        super().build(first, dtype)
        self._output_shape = shape
        return shape

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if self._output_shape is not None and tuple(input_shape) == self.input_shape:
            return self._output_shape
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        return forward_through(self.layers, x, training=training)

    def backward(self, dout: NDArray) -> NDArray:
        return backward_through(self.layers, dout)

    def get_config(self) -> dict[str, Any]:
        return {"layers": list(self.layers)}

    def __repr__(self) -> str:
        return f"Sequential([{', '.join(repr(la) for la in self.layers)}])"


class Residual(Layer):
    """A skip connection around ``block``: ``out = x + block(x)`` (He et al., 2016).

    Parameters
    ----------
    block : a layer (often a ``Sequential``) whose output has its input's shape

    Shape
    -----
    x : (n_samples, *input_shape) -> out : the same shape; checked when built

    Backward
    --------
    ``dx = dout + block'(dout)``: the gradient flows through the identity
    and through the block, and the two add.
    """

    def __init__(self, block: Layer) -> None:
        super().__init__()
        if not isinstance(block, Layer):
            raise TypeError(f"Residual takes a glassnet Layer, got {block!r}")
        self.block = block

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        shape = tuple(int(s) for s in input_shape)
        out_shape = build_layer(self.block, shape, dtype)
        if out_shape != shape:
            raise ShapeError(
                f"Residual adds its input to its block's output, but {self.block!r} turns "
                f"(n_samples, {', '.join(map(str, shape))}) into "
                f"(n_samples, {', '.join(map(str, out_shape))}); make the block end with as "
                "many outputs as it takes in")
        return super().build(shape, dtype)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        return x + self.block.forward(x, training=training)

    def backward(self, dout: NDArray) -> NDArray:
        return dout + self.block.backward(dout)

    def get_config(self) -> dict[str, Any]:
        return {"block": self.block}

    def __repr__(self) -> str:
        return f"Residual({self.block!r})"


def declared_input_shape(layers: Sequence[Layer]) -> tuple[int, ...] | None:
    """The input shape the first of ``layers`` fix (e.g. ``Dense(784, 10)``), if any.

    Looks into containers (a Sequential's first layers, a Residual's block).
    A layer that changes the shape in a way not declared before building
    (a custom layer without ``output_shape``) ends the search: what comes
    after it cannot tell the input's shape.
    """
    for layer in layers:
        if layer.input_shape is not None:
            return layer.input_shape
        if isinstance(layer, Sequential):
            inner = declared_input_shape(layer.layers)
        elif isinstance(layer, Residual):
            inner = declared_input_shape([layer.block])
        else:
            inner = None
        if inner is not None:
            return inner
        if type(layer).output_shape is not Layer.output_shape \
                or not type(layer).__module__.startswith("glassnet."):
            return None  # the shape may change here, in a way only building tells
    return None
