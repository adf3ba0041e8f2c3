"""The Layer protocol every layer follows.

A layer maps a batch ``x`` of shape ``(n_samples, *input_shape)`` to ``out``
in ``forward`` and, given ``dout = dL/d(out)``, returns ``dx = dL/dx`` in
``backward``, writing ``grads`` (``dL/d(param)``) on the way. ``backward``
never changes parameters: only optimizers do.

A layer owns its arrays:

- ``params``: trainable arrays by key (``"W"``, ``"b"``), read afresh by the
  network and the optimizer at every step, so a layer may rebind them;
- ``grads``: the same keys and shapes, written by ``backward`` (assigning a
  new array, ``self.grads["W"] = x.T @ dout``, is fine);
- ``state``: non-trainable arrays (BatchNorm's running statistics), saved
  and loaded with the model but never touched by an optimizer.

A layer may hold layers (composition, as in Keras and ``torch.nn``): its
``Layer``-valued attributes, and lists or tuples of layers, are its
*sub-layers*, found by ``sublayers()`` (override it to declare them
yourself). Every walker recurses through them with dotted names: the
parameter ``W`` of ``self.inner`` inside the network's layer 2 is
``"2.inner.W"``; the third layer of a list ``self.blocks`` is ``"blocks.2"``.
Freezing a layer (``trainable = False``) freezes everything inside it.
Attributes that may hold layers are noted as they are set (as
``torch.nn.Module`` does), so walking the layers at every training step
does not scan every attribute; a layer that fills ``self.__dict__``
directly, or keeps its layers in a dict, overrides ``sublayers()``.

Shapes exclude the batch dimension: ``(784,)`` for a Dense layer's input,
``(28, 28)`` for a picture. ``build(input_shape, dtype)`` runs once, when the
network knows what comes in; a layer whose arrays need the input size
(``Dense(n_out)``) creates them there.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_copy
from ..errors import DTypeError, ShapeError

__all__ = ["Layer", "check_input", "seed_argument", "skips_dx", "walk_layers"]


class Layer:
    """Base class: no parameters, shape-preserving unless a subclass says otherwise.

    Attributes
    ----------
    params, grads, state : dict of name -> ndarray (see the module docstring)
    trainable : False freezes the layer: its ``params`` are left out of
        ``Network.named_parameters()`` and no optimizer changes them
    input_shape : the per-sample input shape once built, else None
    decay_keys : the ``params`` that weight decay applies to (weights, not
        biases or normalisation parameters)
    input_kind : ``"float"`` (arrays of the network's dtype) or ``"int"``
        (indices, for a layer such as an embedding), for the network's input check
    reshapes_only : True for a layer whose backward only gives ``dout`` the
        input's shape (``Reshape``, ``Flatten``): at the front of a network,
        the network skips its backward, and the next layer's ``dx``, which
        would only feed it
    """

    decay_keys: ClassVar[tuple[str, ...]] = ()
    input_kind: ClassVar[str] = "float"
    reshapes_only: ClassVar[bool] = False
    _trainable = True  # see the trainable property

    def __setattr__(self, name: str, value: Any) -> None:
        # Note the attributes that may hold layers as they are set (as torch.nn.Module
        # does), so that walking the layers every step need not scan every attribute.
        object.__setattr__(self, name, value)
        if _may_hold_layers(value):
            holders = self.__dict__.get("_holders")
            if holders is None:
                holders = self.__dict__["_holders"] = {}
            holders[name] = None  # a dict as an ordered set: attribute order is kept

    def __init__(self) -> None:
        self.__dict__.setdefault("_holders", {})  # attributes that may hold layers
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.state: dict[str, NDArray] = {}
        self._trainable = True
        self.input_shape: tuple[int, ...] | None = None

    # -- freezing ------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """False freezes the layer and every layer inside it (as in Keras, setting it on a
        layer that holds layers sets it on them too)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for _, layer in self.sublayers():
            layer.trainable = value

    # -- building ----------------------------------------------------------
    @property
    def built(self) -> bool:
        return self.input_shape is not None

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        """Fix the per-sample input shape (creating arrays that depend on it); return the output's.

        Building again with the same shape does nothing; with another shape
        it raises, since the layer's arrays were made for the first.
        """
        input_shape = tuple(int(s) for s in input_shape)
        if self.input_shape is not None and self.input_shape != input_shape:
            raise ShapeError(
                f"{self!r} was built for inputs of shape (n_samples, "
                f"{', '.join(map(str, self.input_shape))}) but is now given "
                f"(n_samples, {', '.join(map(str, input_shape))}); check the previous "
                "layer's output or use a new layer")
        self.input_shape = input_shape
        return self.output_shape(input_shape)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The per-sample output shape for ``input_shape`` (shape-preserving by default)."""
        return input_shape

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the layer's arrays (its sub-layers' included), or None if it has none."""
        for _, layer in walk_layers([("", self)]):
            for value in (*layer.params.values(), *layer.state.values()):
                return value.dtype
        return None

    # -- composition ---------------------------------------------------------
    def sublayers(self) -> list[tuple[str, Layer]]:
        """``(name, layer)`` of the layers this layer holds, in attribute order.

        The default finds every attribute holding a ``Layer`` (named by the
        attribute) and every list or tuple of layers (``"blocks.0"``,
        ``"blocks.1"``, ...). Override it to name them differently (as
        ``Sequential`` does, ``"0"``, ``"1"``, ...) or to hide one.
        """
        attributes = self.__dict__
        holders = attributes.get("_holders")
        if holders is None:  # set without __setattr__ (e.g. an old pickle): look at them all
            holders = attributes["_holders"] = dict.fromkeys(
                k for k, v in attributes.items() if _may_hold_layers(v))
        if not holders:
            return []
        found: list[tuple[str, Layer]] = []
        for attr in holders:
            value = attributes.get(attr)
            if isinstance(value, Layer):
                found.append((attr, value))
            elif isinstance(value, (list, tuple)) and value \
                    and all(isinstance(item, Layer) for item in value):
                found.extend((f"{attr}.{i}", item) for i, item in enumerate(value))
        return found

    # -- computation -------------------------------------------------------
    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x, *, training)")

    def backward(self, dout: NDArray) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} must define backward(dout)")

    def backward_params(self, dout: NDArray) -> None:
        """Write ``grads`` only: for the network's first layer, whose ``dx`` nobody needs.

        The default runs ``backward`` and drops ``dx``. A layer may override it
        to skip computing ``dx`` (``Dense`` saves one of its three matrix
        products). The network calls it only where the class that defines
        ``backward_params`` is the one that defines ``backward`` (or a subclass
        of it): a subclass overriding ``backward`` alone has its ``backward`` called.
        """
        self.backward(dout)

    # -- copying and description ---------------------------------------------
    def __setstate__(self, state: dict[str, Any]) -> None:
        # After a copy or unpickling, put the arrays back on cache-line
        # boundaries (see glassnet._aligned); values and keys are unchanged.
        if "trainable" in state:  # pickled when it was a plain attribute
            state["_trainable"] = bool(state.pop("trainable"))
        self.__dict__.update(state)
        for arrays in (self.__dict__.get("params", {}), self.__dict__.get("state", {})):
            for key, value in arrays.items():
                arrays[key] = aligned_copy(value)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def _missing_cache(self) -> ShapeError:
        return ShapeError(
            f"{self!r}.backward was called without a forward(x, training=True) before it; "
            "run forward in training mode first"
        )

    def _check_dtype(self, x: NDArray, expected: np.dtype) -> None:
        if x.dtype != expected:
            raise DTypeError(f"{self!r} holds {expected} arrays but got {x.dtype} input; "
                             f"convert the input with x.astype(np.{expected})")


def _may_hold_layers(value: Any) -> bool:
    """A layer, or a list or tuple that starts with one (or an empty list, filled later)."""
    if isinstance(value, Layer):
        return True
    if isinstance(value, list):
        return not value or isinstance(value[0], Layer)
    return isinstance(value, tuple) and bool(value) and isinstance(value[0], Layer)


_SKIPS_DX: dict[type, bool] = {}


def skips_dx(cls: type[Layer]) -> bool:
    """Whether ``cls.backward_params`` may stand in for ``cls.backward`` (see there)."""
    known = _SKIPS_DX.get(cls)
    if known is None:
        def owner(name: str) -> type:
            return next(c for c in cls.__mro__ if name in c.__dict__)

        known = _SKIPS_DX[cls] = issubclass(owner("backward_params"), owner("backward"))
    return known


def walk_layers(roots: Iterable[tuple[str, Layer]], *, trainable_only: bool = False,
                each_once: bool = False) -> list[tuple[str, Layer]]:
    """``(path, layer)`` of every layer in ``roots`` and inside them, depth first, parents first.

    Paths join names with dots (``"2"``, ``"2.inner"``, ``"2.inner.0"``).
    With ``trainable_only`` a frozen layer is skipped together with
    everything inside it. With ``each_once`` a layer met twice (used in two
    places, or holding itself) raises a ValueError naming both paths.
    """
    found: list[tuple[str, Layer]] = []
    seen: dict[int, str] = {}
    stack = list(roots)[::-1]
    while stack:  # a loop, not recursion: this runs at every training step
        path, layer = stack.pop()
        if trainable_only and not layer._trainable:
            continue
        if each_once:
            if id(layer) in seen:
                raise ValueError(f"the same {type(layer).__name__} object appears twice, at "
                                 f"{seen[id(layer)]!r} and {path!r}; use a separate instance "
                                 "for each position")
            seen[id(layer)] = path
        found.append((path, layer))
        subs = layer.sublayers()
        if subs:
            stack.extend([(f"{path}.{name}" if path else name, sub)
                          for name, sub in reversed(subs)])
    return found


def check_input(layer: Layer, x: NDArray, n_in: int) -> None:
    """Raise a ShapeError naming ``layer`` unless ``x`` is (n_samples, n_in)."""
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ShapeError(
            f"{layer!r} expects input of shape (n_samples, {n_in}), got {x.shape}; "
            "check the previous layer's output size"
        )


def seed_argument(seed: Any, rng: Any, owner: str) -> Any:
    """``seed``, or the deprecated ``rng=`` spelling of it (with a warning)."""
    if rng is None:
        return seed
    if seed is not None:
        raise TypeError(f"{owner}: give seed= only (rng= is its old name)")
    warnings.warn(f"{owner}(rng=...) is deprecated; use seed=..., which takes the same "
                  "int, numpy.random.Generator or None", DeprecationWarning, stacklevel=3)
    return rng
