"""Describing a layer as JSON and rebuilding it: what model files store of the architecture.

``describe(layer)`` gives ``{"class": name, "config": {...}, "trainable": bool}``,
the config being ``layer.get_config()`` (the constructor's arguments) with
every sub-layer in it described the same way, recursively; tuples become
lists. ``rebuild(description)`` constructs the layer again from it and, by
default, checks that the rebuilt layer describes itself the same way, so a
constructor that coerces (``bool("no")`` is True) or drops an argument is
caught when the file is read, and ``describe`` already refuses what
``rebuild`` would refuse.

A class is found by its name in ``LAYERS``; ``register_layer`` adds yours.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer
from .batchnorm import BatchNorm
from .containers import Residual, Sequential
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten

__all__ = ["LAYERS", "register_layer", "describe", "rebuild"]

LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Dense, Dropout, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity, BatchNorm,
                Flatten, Sequential, Residual)
}

#: constructor arguments a description never sets: generators are drawn afresh
#: (the weights come from the file), the dtype is the network's, speed switches are not saved
NOT_DESCRIBED = frozenset({"self", "rng", "seed", "dtype", "fused"})
_DESCRIPTION_KEYS = frozenset({"class", "config", "trainable"})


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Make a Layer subclass known to ``glassnet.io`` by its class name; usable as a decorator.

    Registering another class under a name already taken raises, so a file
    always rebuilds the class it was written with.
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer takes a subclass of glassnet.layers.Layer, got {cls!r}")
    known = LAYERS.get(cls.__name__)
    if known is not None and known is not cls:
        raise ValueError(f"a different layer class is already registered as {cls.__name__!r}; "
                         "give yours another name")
    LAYERS[cls.__name__] = cls
    return cls


def describe(layer: Layer) -> dict[str, Any]:
    """``{"class", "config", "trainable"}`` of ``layer``, sub-layers described inside (JSON).

    Raises
    ------
    TypeError
        The class is not registered, or its ``get_config`` holds something
        JSON cannot store faithfully (the message names the setting).
    """
    cls = type(layer)
    if LAYERS.get(cls.__name__) is not cls:
        raise TypeError(f"{layer!r} is a {cls.__module__}.{cls.__name__}, which is not a "
                        "registered layer and cannot be described; register its class with "
                        "glassnet.layers.register_layer")
    config = layer.get_config()
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise TypeError(f"{cls.__name__}.get_config() must return a dict with str keys, "
                        f"got {config!r}")
    encoded = {key: _encode(value, f"{cls.__name__}.get_config()[{key!r}]")
               for key, value in config.items()}
    return {"class": cls.__name__, "config": encoded, "trainable": bool(layer.trainable)}


def _encode(value: Any, where: str) -> Any:
    """``value`` as JSON data: sub-layers described, tuples as lists, NumPy scalars as Python."""
    if isinstance(value, Layer):
        return describe(value)
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise TypeError(f"{where} is {value!r} ({type(value).__name__}), which a model file cannot "
                    "store; get_config must return JSON values (numbers, strings, booleans, "
                    "None, lists, dicts with str keys, layers)")


def rebuild(description: Any, *, dtype: DTypeLike | None = None, check: bool = True,
            where: str = "layer") -> Layer:
    """The layer ``description`` (from ``describe``) describes, sub-layers rebuilt too.

    Parameters
    ----------
    description : ``{"class": name, "config": {...}, "trainable": bool}``
    dtype : given to every constructor that takes ``dtype`` (the network's)
    check : also check that the rebuilt layer describes itself as
        ``description`` does (a constructor that coerces or ignores an
        argument would otherwise rebuild another layer silently)
    where : how error messages name the layer (e.g. ``"layer 2"``)

    Raises
    ------
    ValueError
        The description is malformed, names an unknown class, or does not
        rebuild faithfully; the message says where and why.
    """
    if not isinstance(description, dict) or not {"class", "config"} <= set(description) \
            or not set(description) <= _DESCRIPTION_KEYS:
        raise ValueError(f"{where} must be {{'class': ..., 'config': {{...}}}}, "
                         f"got {description!r}")
    name, config = description["class"], description["config"]
    cls = LAYERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"{where} has unknown class {name!r}; known layers are "
                         f"{sorted(LAYERS)} (register yours with glassnet.layers.register_layer "
                         "before loading)")
    if not isinstance(config, dict):
        raise ValueError(f"the config of {where} {name} must be a JSON object, got {config!r}")
    trainable = description.get("trainable", True)
    if not isinstance(trainable, bool):
        raise ValueError(f"{where}'s 'trainable' must be true or false, got {trainable!r}")
    signature = inspect.signature(cls)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = sorted(set(config) - set(signature.parameters)) if not takes_any else []
    unknown += sorted(set(config) & NOT_DESCRIBED)
    if unknown:
        allowed = sorted(set(signature.parameters) - NOT_DESCRIBED)
        raise ValueError(f"{where} {name} has unknown settings {unknown}; it accepts "
                         f"{allowed or 'none'}")
    kwargs = {key: _decode(value, dtype, f"{where}.{key}") for key, value in config.items()}
    if dtype is not None and "dtype" in signature.parameters:
        kwargs["dtype"] = np.dtype(dtype)
    try:
        layer = cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where} {name} cannot be rebuilt from {config}: {exc}") from exc
    if not trainable:  # True is every layer's default; setting it would unfreeze sub-layers
        layer.trainable = False
    if check:
        again = describe(layer)["config"]
        for key, value in config.items():
            if key in again and not _same(again[key], value):
                raise ValueError(f"{where} {name} setting {key}={value!r} is not valid (it would "
                                 f"be rebuilt as {again[key]!r})")
    return layer


def _is_description(value: Any) -> bool:
    return isinstance(value, dict) and {"class", "config"} <= set(value) \
        and set(value) <= _DESCRIPTION_KEYS


def _decode(value: Any, dtype: DTypeLike | None, where: str) -> Any:
    """A config value from JSON: layer descriptions (alone or in lists) become layers."""
    if _is_description(value):
        return rebuild(value, dtype=dtype, where=where)
    if isinstance(value, list) and value and all(_is_description(v) for v in value):
        return [rebuild(v, dtype=dtype, where=f"{where}.{i}") for i, v in enumerate(value)]
    return value


def _same(a: Any, b: Any) -> bool:
    """JSON equality that tells ``true`` from ``1`` (Python's ``==`` does not)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(json.dumps(a) == json.dumps(b)) if isinstance(a, (dict, list)) \
        or isinstance(b, (dict, list)) else bool(a == b)
