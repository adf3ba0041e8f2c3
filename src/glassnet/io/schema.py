"""Describe a network as JSON, and rebuild one from a file's JSON without trusting it.

The description (the file's ``"model"`` entry) is::

    {"layers": [{"class": "Dense", "config": {"n_in": 2, "n_out": 8, ...},
                 "trainable": true}, ...],
     "loss": "softmax_cross_entropy", "loss_config": {...}, "task": "classification",
     "dtype": "float32", "input_shape": [2]}

Saving and loading apply the same rules, so ``save`` refuses, before it
writes anything, what ``load`` would refuse: registered classes only; a
constructor that accepts every key of ``get_config()`` (by name or through
``**kwargs``); settings that are JSON (a tuple is stored as a list and
accepted back as one); a rebuilt object that reports the settings it was
given (``save`` rebuilds each layer defined outside glassnet once to check).

Rebuilding checks every size the description declares before it constructs
anything: the number of layers (sub-layers included) against
``MAX_LAYERS``; each ``Dense``'s ``n_in`` and ``n_out`` against the stored
tensor's shape when the file lists one (a missing ``n_in`` is taken from
it, so a lying input shape is refused by the layer, not allocated); the
product of a layer's integer settings against the number of values the
file holds (plus ``SLACK``), and the input shape's size likewise (plus
``INPUT_SLACK``, one probe sample). So a file of
two kilobytes cannot make ``load`` allocate gigabytes before it is refused.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFormatError
from ..layers import LAYERS, rebuild
from ..losses import LOSSES
from ..network import TASKS, Network

__all__ = ["MAX_LAYERS", "Budget", "construct", "describe_network", "check_describable",
           "rebuild_network", "fail"]

MAX_LAYERS = 4096  # layers in one model, sub-layers included
SLACK = 1 << 20  # values a layer may allocate beyond those stored (buffers, caches)
INPUT_SLACK = 1 << 24  # values of one probe sample beyond those stored (a 4096x4096 picture)
DTYPES = ("float32", "float64")
# Constructor arguments a file may not set: randomness and dtype come from
# elsewhere, and ``fused`` is how this machine runs an update, not part of a model.
NOT_FROM_FILE = frozenset({"self", "rng", "seed", "dtype", "fused"})
_CONFIG_KEYS = {"layers", "loss", "loss_config", "task", "dtype", "input_shape"}


def fail(path: Path, problem: str) -> ModelFormatError:
    """The error for a file that cannot be loaded: ``"<path>: <problem>"``."""
    return ModelFormatError(f"{path}: {problem}")


@dataclass(frozen=True)
class Budget:
    """What a file can hold, known before anything is built.

    values : an upper bound on the number of values its arrays hold
    shapes : parameter name -> stored shape, when the format lists them first
    """

    values: int
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def limit(self) -> int:
        return self.values + SLACK


@functools.lru_cache(maxsize=256)
def parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The constructor's parameters of ``cls`` (cached: reading a signature is slow)."""
    return dict(inspect.signature(cls).parameters)


# -- describing (saving) -------------------------------------------------------------------
def _json_value(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists); TypeError/ValueError if not JSON."""
    return json.loads(json.dumps(value, allow_nan=False))


def loss_config(loss: Any) -> dict[str, Any]:
    """A loss's constructor settings: its ``get_config()``, or its attributes for older losses."""
    get_config = getattr(loss, "get_config", None)
    return dict(get_config() if callable(get_config) else vars(loss))


def describe_network(net: Network) -> dict[str, Any]:
    """The network's architecture as JSON values, checked to rebuild (see the module docstring).

    Raises
    ------
    TypeError, ValueError : a layer or loss ``load`` could not rebuild, naming it and the fix
    """
    config = net.get_config()  # TypeError for a layer or loss that is not registered
    config["loss_config"] = loss_config(net.loss)
    check_describable(net, config)
    return _json_value(config)


def check_describable(net: Network, config: dict[str, Any]) -> None:
    """Refuse, before anything is written, a description ``load`` would refuse: every
    layer's (sub-layers' too) and the loss's settings against their constructors, and a
    trial rebuild of each layer defined outside glassnet (built-in layers are tested)."""
    for i, spec in enumerate(config["layers"]):
        for inner in _nested_specs(spec):
            cls = LAYERS.get(inner["class"])
            if cls is None:
                continue
            what = f"layer {i} {inner['class']}"
            _check_settings(cls, inner["config"], what)
            if not cls.__module__.startswith("glassnet."):
                try:
                    rebuild(inner, dtype=net.dtype, where=what)
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{what}: load could not rebuild it from its "
                                     f"get_config(), so it is not saved: {exc}") from None
    _check_settings(type(net.loss), config["loss_config"], f"loss {net.loss!r}")


def _check_settings(cls: type, settings: dict[str, Any], what: str) -> None:
    try:
        _json_value(settings)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: get_config() must return JSON values (str, numbers, lists, "
                         f"dicts; finite), got {settings!r} ({exc})") from None
    params = parameters(cls)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = set(settings) if takes_any else set(params)
    unknown = sorted(set(settings) - (accepted - NOT_FROM_FILE))
    if unknown:
        raise TypeError(f"{what}: get_config() returns {unknown}, which "
                        f"{cls.__name__}.__init__ does not accept (or a file may not set: "
                        f"{sorted(NOT_FROM_FILE)}); return exactly the constructor's "
                        "arguments")


# -- rebuilding (loading) ------------------------------------------------------------------
def _nested_specs(value: Any) -> Iterator[dict[str, Any]]:
    """Layer descriptions (``{"class", "config"}`` objects) anywhere inside ``value``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class"), str) and isinstance(item.get("config"), dict):
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _integers(value: Any) -> Iterator[int]:
    """Integer settings of one layer's config (not of the layers it holds)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and not (isinstance(item.get("class"), str)
                                           and "config" in item and item is not value):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            yield item


def check_sizes(specs: list[Any], input_shape: Any, budget: Budget, path: Path) -> None:
    """Refuse declared sizes the file cannot back, before any layer is constructed."""
    count = sum(1 for _ in _nested_specs(specs))
    if count > MAX_LAYERS:
        raise fail(path, f"the architecture declares {count:,} layers; at most {MAX_LAYERS:,} "
                         "are loaded")
    for i, spec in enumerate(specs):
        _check_dense(i, spec, budget, path)
        for inner in _nested_specs(spec):
            sizes = [n for n in _integers(inner["config"]) if n > 1]
            product = math.prod(sizes)
            if product > budget.limit:
                raise fail(path, f"layer {i} {inner['class']} declares sizes {sizes[:8]} "
                                 f"({product:,} values) but the file holds at most "
                                 f"{budget.values:,}; it is truncated or crafted")
    if isinstance(input_shape, list) and all(type(n) is int and n > 0 for n in input_shape):
        n = math.prod(input_shape)
        if n > budget.values + INPUT_SLACK:
            raise fail(path, f"'input_shape' {input_shape} declares {n:,} values per sample, "
                             f"more than the file's {budget.values:,} values could serve; it "
                             "is crafted")


def _check_dense(i: int, spec: Any, budget: Budget, path: Path) -> None:
    """A top-level Dense's sizes against its stored weight matrix, when the file lists it."""
    shape = budget.shapes.get(f"{i}.W")
    if not isinstance(spec, dict) or spec.get("class") != "Dense" or shape is None:
        return
    config = spec.get("config")
    if not isinstance(config, dict):
        return
    for key, stored in (("n_in", shape[0] if shape else None),
                        ("n_out", shape[1] if len(shape) > 1 else None)):
        value = config.get(key)
        if value is not None and value != stored:
            raise fail(path, f"layer {i} Dense declares {key}={value!r} but its stored "
                             f"weights 'param/{i}.W' have shape {shape}")
    if config.get("n_in") is None and shape:
        # sizes come from the tensors: built for any other input it refuses, not allocates
        config["n_in"] = shape[0]


def rebuild_network(config: Any, budget: Budget, path: Path) -> Network:
    """The network a file's ``"model"`` entry describes, every size checked first."""
    if not isinstance(config, dict):
        raise fail(path, f"the architecture must be a JSON object, got {type(config).__name__}")
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown:
        raise fail(path, f"the config has unknown entries {unknown}; expected only "
                         f"{sorted(_CONFIG_KEYS)}")
    dtype = config.get("dtype")
    if dtype not in DTYPES:
        raise fail(path, f"unknown dtype {dtype!r}; expected one of {list(DTYPES)}")
    specs = config.get("layers")
    if not isinstance(specs, list) or not specs:
        raise fail(path, f"'layers' must be a non-empty list, got {_short(specs)}")
    input_shape = config.get("input_shape")
    if input_shape is not None and (
            not isinstance(input_shape, list) or not input_shape
            or not all(type(s) is int and 0 < s < 2**31 for s in input_shape)):
        raise fail(path, f"'input_shape' must be a list of positive sizes, got "
                         f"{_short(input_shape)}")
    check_sizes(specs, input_shape, budget, path)
    layers = [_rebuild_layer(i, spec, np.dtype(dtype), path) for i, spec in enumerate(specs)]
    loss_name = config.get("loss")
    loss_cls = LOSSES.get(loss_name) if isinstance(loss_name, str) else None
    if loss_cls is None:
        raise fail(path, f"unknown loss {_short(loss_name)}; known losses are {sorted(LOSSES)}")
    loss = construct(loss_cls, config.get("loss_config", {}), f"loss {loss_name}", path)
    task = config.get("task")
    if task not in TASKS and task is not None:
        raise fail(path, f"unknown task {_short(task)}; expected one of {list(TASKS)}")
    try:
        return Network(layers, loss=loss, task=task, input_shape=input_shape,
                       dtype=np.dtype(dtype))
    except (ValueError, TypeError) as exc:
        raise fail(path, f"the stored layers do not form a network: {exc}") from exc


def _rebuild_layer(i: int, spec: Any, dtype: np.dtype, path: Path) -> Any:
    """Layer ``i`` (and its sub-layers) from its description (``glassnet.layers.rebuild``)."""
    try:
        return rebuild(spec, dtype=dtype, where=f"layer {i}")
    except (ValueError, TypeError) as exc:
        raise fail(path, str(exc)[:600]) from None


def construct(cls: type, kwargs: Any, what: str, path: Path,
              fixed: dict[str, Any] | None = None) -> Any:
    """``cls(**kwargs, **fixed)``, accepting only constructor arguments, rebuilt faithfully."""
    fixed = fixed or {}
    if not isinstance(kwargs, dict):
        raise fail(path, f"the config of {what} must be a JSON object, got {_short(kwargs)}")
    params = parameters(cls)
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values()):
        raise fail(path, f"{what} takes *args or **kwargs and cannot be rebuilt from a file")
    allowed = set(params) - NOT_FROM_FILE
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise fail(path, f"{what} has unknown settings {_short(unknown)}; "
                         f"it accepts {sorted(allowed) or 'none'}")
    try:
        obj = cls(**kwargs, **fixed)
    except (ValueError, TypeError) as exc:
        raise fail(path, f"{what} cannot be rebuilt from {_short(kwargs)}: {exc}") from exc
    # Constructors coerce (bool("no") is True): the rebuilt object must say what the file says.
    rebuilt = obj.get_config() if hasattr(obj, "get_config") else vars(obj)
    for key, value in kwargs.items():
        if key not in rebuilt:
            continue
        try:
            again = _json_value(rebuilt[key])  # a tuple the constructor made is a list here
        except (TypeError, ValueError):
            again = rebuilt[key]
        if again != value or (type(again) is bool) != (type(value) is bool):
            raise fail(path, f"{what} setting {key}={_short(value)} is not valid "
                             f"(it would be rebuilt as {_short(rebuilt[key])})")
    return obj


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
