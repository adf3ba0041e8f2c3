"""An optimizer in a model file: its class, settings and step count, and its slots per parameter.

The file's ``"optimizer"`` entry is::

    {"class": "Adam", "config": {"lr": 0.001, ...}, "t": 120,
     "state": {"m": ["0.W", "0.b"], "v": ["0.W", "0.b"]},
     "steps": {"0.W": 120, "0.b": 120}}

``state`` lists, for each slot, the parameters that have one, in the
network's order; each is the tensor ``"optim/<slot>/<name>"``. A parameter
the optimizer has not stepped (a frozen layer's, or any before the first
step) has no entry and no tensor, and the reader expects exactly the
tensors the writer listed. ``steps`` is each parameter's own step count
(Adam's bias correction uses it). Files of format version 2 list only the
slot names (every parameter had each slot) and, when older, no ``steps``
(every parameter then took every step).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._aligned import aligned_zeros
from ..network import Network
from ..optimizers import OPTIMIZERS, Optimizer
from .schema import construct, fail

__all__ = ["OPTIM_PREFIX", "optimizer_classes", "describe_optimizer", "rebuild_optimizer"]

OPTIM_PREFIX = "optim/"
_SLOT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def optimizer_classes() -> dict[str, type[Optimizer]]:
    """Registered optimizer classes by class name (how a file names them)."""
    return {cls.__name__: cls for cls in OPTIMIZERS.values()}


def describe_optimizer(opt: Optimizer, net: Network
                       ) -> tuple[dict[str, Any], dict[str, NDArray]]:
    """The optimizer's entry and its slot arrays by tensor name (views, not copies).

    Raises
    ------
    TypeError : an optimizer class that is not registered
    ValueError : state for parameters this network does not have (another network's optimizer)
    """
    if optimizer_classes().get(type(opt).__name__) is not type(opt):
        raise TypeError(f"{opt!r} is not a registered optimizer and cannot be saved "
                        "(glassnet.optimizers.register_optimizer); "
                        f"use one of {sorted(optimizer_classes())}")
    params = net.parameters
    listed: dict[str, list[str]] = {}
    arrays: dict[str, NDArray] = {}
    for slot, values in opt.state.items():
        for name, value in values.items():
            if name not in params or value.shape != params[name].shape \
                    or value.dtype != net.dtype:
                raise ValueError(
                    f"{opt!r} holds {slot!r} state for {name!r} of shape {value.shape} "
                    f"({value.dtype}), which this network does not have; pass the optimizer "
                    "that trained this network")
        names = [name for name in params if name in values]  # the network's order
        if names:
            listed[slot] = names
            arrays.update((f"{OPTIM_PREFIX}{slot}/{n}", np.ascontiguousarray(values[n]))
                          for n in names)
    spec = {"class": type(opt).__name__, "config": opt.get_config(), "t": int(opt.t),
            "state": listed,
            "steps": {name: int(n) for name, n in opt._steps().items() if name in params}}
    return spec, arrays


def rebuild_optimizer(spec: Any, net: Network, path: Path, *, version: int
                      ) -> tuple[Optimizer, dict[str, NDArray]]:
    """The optimizer an entry describes, and zeroed slot arrays to fill, by tensor name.

    ``version`` 2 lists slot names only (each for every parameter); 3 lists
    the parameters of each slot. Each slot array has its parameter's shape
    and dtype, so nothing is allocated beyond the network's own size.
    """
    if not isinstance(spec, dict):
        raise fail(path, f"'optimizer' must be a JSON object or null, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"class", "config", "t", "state", "steps"})
    if unknown:
        raise fail(path, f"the optimizer has unknown entries {unknown}; expected only "
                         "['class', 'config', 'state', 'steps', 't']")
    name = spec.get("class")
    cls = optimizer_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise fail(path, f"unknown optimizer class {str(name)[:80]!r}; "
                         f"known optimizers are {sorted(optimizer_classes())}")
    optimizer = construct(cls, spec.get("config", {}), f"optimizer {name}", path)
    t = spec.get("t", 0)
    if type(t) is not int or t < 0:
        raise fail(path, f"the optimizer's step count 't' must be an integer >= 0, got {t!r}")
    optimizer.t = t
    params = net.parameters
    # each parameter's own step count; a file written before they were kept has none,
    # and each parameter with state is then taken to have made every step (Optimizer._steps)
    steps = spec.get("steps", {})
    if not isinstance(steps, dict) or not all(
            name in params and type(n) is int and 0 <= n <= t for name, n in steps.items()):
        raise fail(path, f"the optimizer's 'steps' must map parameter names to step counts "
                         f"in 0..{t}, got {str(steps)[:120]}")
    optimizer.steps = dict(steps)
    listed = _listed_slots(spec.get("state", {}), params, optimizer, version, path)
    optimizer.state = {slot: {} for slot in optimizer.slots}
    targets = {}
    for slot, names in listed.items():
        for pname in names:
            p = params[pname]
            value = aligned_zeros(p.size, p.dtype).reshape(p.shape)
            optimizer.state.setdefault(slot, {})[pname] = value
            targets[f"{OPTIM_PREFIX}{slot}/{pname}"] = value
    return optimizer, targets


def _listed_slots(state: Any, params: dict[str, NDArray], optimizer: Optimizer, version: int,
                  path: Path) -> dict[str, list[str]]:
    if version <= 2:  # a list of slot names, each kept for every parameter
        ok = isinstance(state, list) and all(isinstance(s, str) for s in state) \
            and len(set(state)) == len(state)
        if not ok:
            raise fail(path, f"the optimizer's 'state' must be a list of distinct names, "
                             f"got {str(state)[:120]}")
        state = {slot: list(params) for slot in state}
    if not isinstance(state, dict) or not all(
            isinstance(s, str) and _SLOT_NAME.match(s) and isinstance(v, list)
            for s, v in state.items()):
        raise fail(path, "the optimizer's 'state' must map slot names to lists of parameter "
                         f"names, got {str(state)[:120]}")
    extra = sorted(set(state) - set(optimizer.slots))
    if extra:
        raise fail(path, f"{optimizer!r} keeps the state {list(optimizer.slots)} but the file "
                         f"holds {extra}; it was written by another version of glassnet")
    for slot, names in state.items():
        bad = [n for n in names if not isinstance(n, str) or n not in params]
        if bad or len(set(names)) != len(names):
            raise fail(path, f"the optimizer's {slot!r} slot lists {str(bad or names)[:120]}, "
                             f"not distinct parameters of the network ({list(params)[:8]})")
    return state
