"""Read version-1 model files (``.npz``, glassnet 0.1 and later until format version 2).

glassnet no longer writes them; every such file still loads. A version-1
file is an uncompressed NumPy ``.npz`` archive (read by the hardened
``glassnet.io.npz``): a ``__meta__`` member (UTF-8 JSON: format
``"glassnet-model"``, version 1, ``kind``, ``config``, ``optimizer``,
``metadata``, and a checkpoint's ``training`` and ``training_arrays``), one
array per parameter and state (``"0.W"``, ...), the optimizer's state as one
flat array per slot (``"optimizer/m"``, ...: weights first, then the other
parameters, each in layer order), a checkpoint's ``"training/<name>"``
arrays, and for the book's network of glassnet 0.1 (``kind: "classic"``)
``"wih"`` and ``"who"``. Each member carries a CRC-32, which the reader checks.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._aligned import aligned_zeros
from ..network import Network
from ..optimizers import Optimizer
from .meta import checked_meta
from .npz import read_legacy_npz
from .optimizer_state import rebuild_optimizer
from .schema import Budget, construct, fail, rebuild_network

__all__ = ["META_KEY", "read_version_1"]

META_KEY = "__meta__"
OPTIMIZER_PREFIX = "optimizer/"
# Files of glassnet 0.1 kept Adam's moments without their (1 - beta) factors.
_LEGACY_SLOTS = {"m_sum": ("m", "beta1"), "v_sum": ("v", "beta2")}


def read_version_1(path: Path, facades: dict[str, Any], training_targets: Any
                   ) -> tuple[Any, dict[str, Any], dict[str, NDArray]]:
    """``(model, meta, targets)`` of a version-1 file, every array filled and checked.

    ``model`` is a ``Network`` with ``optimizer`` set (or a classic facade),
    ``targets`` the filled arrays by member name (training arrays included).
    """
    built: dict[str, Any] = {}

    def expected(meta: Any) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        meta = checked_meta(meta, path)
        model, targets, optimizer = _build(meta, path, facades, training_targets)
        built.update(meta=meta, model=model, targets=targets, optimizer=optimizer)
        return {name: (t.dtype, t.shape) for name, t in targets.items()}

    _, arrays = read_legacy_npz(path, expected, meta_name=META_KEY)
    targets = built["targets"]
    for name, value in arrays.items():
        targets[name][...] = value
    model, optimizer = built["model"], built["optimizer"]
    if isinstance(model, Network):
        if optimizer is not None:
            flat = {k[len(OPTIMIZER_PREFIX):]: v for k, v in targets.items()
                    if k.startswith(OPTIMIZER_PREFIX)}
            _scatter(optimizer, flat, model)
        model.optimizer = optimizer
    return model, built["meta"], targets


def _budget(path: Path, itemsize: int) -> Budget:
    return Budget(values=path.stat().st_size // itemsize)


def _build(meta: dict[str, Any], path: Path, facades: dict[str, Any], training_targets: Any
           ) -> tuple[Any, dict[str, NDArray], Optimizer | None]:
    """The model from its metadata, and the arrays to fill: name -> destination."""
    if meta["kind"] == "classic":  # the book's network as files of glassnet 0.1 stored it
        return _build_classic(meta, path, facades)
    config = meta["config"]
    itemsize = 8 if config.get("dtype") == "float64" else 4
    net = rebuild_network(config, _budget(path, itemsize), path)
    targets = {**net.parameters, **dict(net.named_state())}
    optimizer = None
    if meta.get("optimizer") is not None:
        spec = meta["optimizer"]
        names = spec.get("state", []) if isinstance(spec, dict) else []
        # the flat vectors are split per parameter after reading (_scatter)
        optimizer, _ = rebuild_optimizer({**spec, "state": []} if isinstance(spec, dict)
                                         else spec, net, path, version=2)
        legacy = (isinstance(names, list) and sorted(map(str, names)) == sorted(_LEGACY_SLOTS)
                  and type(optimizer).__name__ == "Adam")
        if not legacy and not (isinstance(names, list) and len(set(map(str, names))) ==
                               len(names) and set(names) <= set(optimizer.slots)):
            raise fail(path, f"{optimizer!r} keeps the state {list(optimizer.slots)} but the "
                             f"file holds {str(names)[:120]}; it was written by another "
                             "version of glassnet")
        for slot in names:
            targets[OPTIMIZER_PREFIX + slot] = aligned_zeros(net.n_parameters, net.dtype)
    targets.update(training_targets(meta.get("training_arrays"), path))
    return net, targets, optimizer


def _build_classic(meta: dict[str, Any], path: Path, facades: dict[str, Any]
                   ) -> tuple[Any, dict[str, NDArray], None]:
    facade = facades.get("classic")
    if facade is None:
        raise fail(path, "the model is stored for the facade 'classic', which is not "
                         "registered; import glassnet.classic first")
    if meta.get("optimizer") is not None:
        raise fail(path, "a classic network has no separate optimizer, but one is stored")
    config = meta["config"]
    sizes = [config.get(k) for k in ("input_nodes", "hidden_nodes", "output_nodes")]
    if all(type(n) is int and n > 0 for n in sizes):
        declared = sizes[0] * sizes[1] + sizes[1] * sizes[2]
        held = path.stat().st_size // 8
        if declared > held:
            raise fail(path, f"the book's network declares {declared:,} weights {sizes} but "
                             f"the file holds at most {held:,}; it is truncated or crafted")
    model = construct(facade, config, "the classic network", path)
    return model, facade.legacy_arrays(model), None


def _file_order(net: Network) -> list[str]:
    """Parameter names in the order of the flat optimizer state: weights (decayed
    parameters) first, then the others, each in layer order."""
    names = list(net.parameters)
    decayed = net.decay_names
    return [n for n in names if n in decayed] + [n for n in names if n not in decayed]


def _scatter(opt: Optimizer, flat: dict[str, NDArray], net: Network) -> None:
    """Split each flat slot vector into one array per parameter."""
    params = net.parameters
    opt.state = {slot: {} for slot in opt.slots}
    for slot, vector in flat.items():
        scale = None
        if slot in _LEGACY_SLOTS:
            slot, beta = _LEGACY_SLOTS[slot]
            scale = vector.dtype.type(1.0 - getattr(opt, beta))
        start = 0
        for name in _file_order(net):
            size = math.prod(params[name].shape)
            value = aligned_zeros(size, vector.dtype)
            value[...] = vector[start:start + size]
            if scale is not None:
                value *= scale
            opt.state.setdefault(slot, {})[name] = value.reshape(params[name].shape)
            start += size
