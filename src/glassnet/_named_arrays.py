"""The arrays of a tree of layers, by name: what ``Network`` walks, counts, reads and writes.

A network's layers, and the layers inside them, are walked depth first
from ``"0"``, ``"1"``, ...; a parameter is named by its layer's path and its
key (``"0.W"``, ``"3.block.0.W"``). ``Network`` takes these methods from
``NamedArrays``; they need only its ``layers`` list.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import ShapeError
from .layers import Layer
from .layers.base import walk_layers

__all__ = ["NamedArrays"]

_NAMES = [str(i) for i in range(256)]  # the top-level layers' names, made once


class NamedArrays:
    """Named parameters, gradients and state of ``self.layers`` and the layers inside them."""

    layers: list[Layer]

    def _roots(self) -> list[tuple[str, Layer]]:
        """``("0", first layer), ("1", second), ...``: where every walk over the layers starts."""
        names = _NAMES if len(self.layers) <= len(_NAMES) else [str(i) for i in
                                                                range(len(self.layers))]
        return list(zip(names, self.layers, strict=False))  # names may be the longer

    def _check_each_layer_once(self) -> None:
        """Refuse a layer object found twice in the tree (it would be stepped twice)."""
        walk_layers(self._roots(), each_once=True)

    def walk(self, *, trainable_only: bool = False) -> list[tuple[str, Layer]]:
        """``(path, layer)`` of every layer, sub-layers included (``"2"``, ``"2.inner"``, ...).

        Parents come before their sub-layers; with ``trainable_only`` a frozen
        layer and everything inside it are left out.
        """
        return walk_layers(self._roots(), trainable_only=trainable_only)

    def named_parameters(self, *, trainable_only: bool = True
                         ) -> list[tuple[str, NDArray, NDArray]]:
        """``(name, param, grad)`` of every trainable parameter, in layer order.

        Names are ``"<layer path>.<key>"``: ``"0.W"``, ``"0.b"``, ``"2.W"``, and
        inside a layer that holds layers ``"3.block.0.W"`` (see ``walk``).
        Read afresh at every call, so a layer may rebind its arrays. Layers
        with ``trainable = False``, and the layers inside them, are left out
        unless ``trainable_only=False``. The ``parameters`` property is the
        same names and arrays, frozen ones included, as a dict (no gradients).
        """
        triples = []
        for path, layer in walk_layers(self._roots(), trainable_only=trainable_only):
            for key, param in layer.params.items():
                grad = layer.grads.get(key)
                if grad is None:
                    raise KeyError(f"layer {path} {layer!r} has params[{key!r}] but no "
                                   f"grads[{key!r}]; its backward must set self.grads[{key!r}]")
                triples.append((f"{path}.{key}", param, grad))
        return triples

    def named_state(self) -> list[tuple[str, NDArray]]:
        """``(name, array)`` of every non-trainable array (e.g. ``"1.running_mean"``)."""
        return [(f"{path}.{key}", value) for path, layer in self.walk()
                for key, value in layer.state.items()]

    @property
    def parameters(self) -> dict[str, NDArray]:
        """Every parameter (trainable or frozen) by name, the layers' own arrays.

        The same names, in the same order, as ``named_parameters(trainable_only=False)``;
        a property (a dict to read or index), where ``named_parameters`` is the
        method the optimizer's step takes, with the gradients.
        """
        return {f"{path}.{k}": v for path, la in self.walk() for k, v in la.params.items()}

    @property
    def decay_names(self) -> frozenset[str]:
        """Names of the parameters weight decay applies to (each layer's ``decay_keys``)."""
        return frozenset(f"{path}.{k}" for path, la in self.walk()
                         for k in la.decay_keys if k in la.params)

    @property
    def n_parameters(self) -> int:
        return sum(int(p.size) for p in self.parameters.values())

    def get_weights(self) -> dict[str, NDArray]:
        """A copy of every parameter and state array by name (all a prediction needs)."""
        weights = {k: v.copy() for k, v in self.parameters.items()}
        weights.update((k, v.copy()) for k, v in self.named_state())
        return weights

    def set_weights(self, weights: Mapping[str, ArrayLike]) -> None:
        """Copy values into the parameters and state; names and shapes must match exactly."""
        arrays = {**self.parameters, **dict(self.named_state())}
        if set(weights) != set(arrays):
            raise ValueError(f"weights must have exactly the keys {sorted(arrays)}, "
                             f"got {sorted(weights)}")
        for name, value in weights.items():
            value = np.asarray(value)
            if value.shape != arrays[name].shape:
                raise ShapeError(f"weight {name!r} must have shape {arrays[name].shape}, "
                                 f"got {value.shape}")
        for name, value in weights.items():
            arrays[name][...] = value
