"""Read a model file: every check before anything is built or used, then the model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelFormatError
from ..network import Network
from ..optimizers import Optimizer
from .info import is_zip, not_a_model
from .legacy import read_version_1
from .meta import checked_meta, meta_from_strings
from .optimizer_state import rebuild_optimizer
from .safetensors import read_tensors
from .schema import Budget, fail, rebuild_network
from .writer import PARAM_PREFIX, STATE_PREFIX, TRAINING_DTYPES, TRAINING_PREFIX

__all__ = ["FACADES", "read_model", "non_finite"]

#: facade name -> class; a facade registers itself (the core never imports one)
FACADES: dict[str, Any] = {}


def read_model(path: Path, *, allow_non_finite: bool
               ) -> tuple[Any, dict[str, Any], dict[str, NDArray]]:
    """The model, its checked metadata, and a checkpoint's training arrays (by name)."""
    try:
        if is_zip(path):
            model, meta, targets = read_version_1(path, FACADES, _training_targets)
        else:
            model, meta, targets = _read_safetensors(path)
    except MemoryError:  # a last guard: the checks above bound every allocation by the file
        raise fail(path, "loading it needs more memory than this machine has") from None
    net = model if isinstance(model, Network) else model.network
    if not allow_non_finite:
        bad = non_finite(net, net.optimizer)
        if bad:
            raise fail(path, f"{bad} hold NaN or infinity (the model was saved after training "
                             "diverged); load a file saved before it diverged, or pass "
                             "allow_non_finite=True to inspect it")
    net.metadata = dict(meta.get("metadata") or {})
    if isinstance(model, Network):
        _restore_training_state(model, meta.get("training"), path)
        model = _wrap_facade(model, meta.get("facade"), path)
    training_arrays = {k[len(TRAINING_PREFIX):]: v for k, v in targets.items()
                       if k.startswith(TRAINING_PREFIX)}
    return model, meta, training_arrays


def _read_safetensors(path: Path) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    built: dict[str, Any] = {}

    def expected(header: Any) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        built["header"] = header
        meta = checked_meta(meta_from_strings(header.metadata, path), path)
        budget = Budget(values=sum(math.prod(t.shape) for t in header.tensors.values()),
                        shapes={n[len(PARAM_PREFIX):]: t.shape
                                for n, t in header.tensors.items()
                                if n.startswith(PARAM_PREFIX)})
        net = rebuild_network(meta["config"], budget, path)
        targets = {PARAM_PREFIX + k: v for k, v in net.parameters.items()}
        targets.update((STATE_PREFIX + k, v) for k, v in net.named_state())
        net.optimizer = None
        if meta.get("optimizer") is not None:
            net.optimizer, slots = rebuild_optimizer(meta["optimizer"], net, path,
                                                     version=meta["format_version"])
            targets.update(slots)
        targets.update(_training_targets(meta.get("training_arrays"), path))
        built.update(meta=meta, net=net, targets=targets)
        return {name: (t.dtype, t.shape) for name, t in targets.items()}

    try:
        arrays, _ = read_tensors(path, expected)
    except ModelFormatError as exc:
        if "header" in built:
            raise
        raise not_a_model(path, str(exc).removeprefix(f"{path}: ")) from None
    targets = built["targets"]
    for name, value in arrays.items():
        targets[name][...] = value
    return built["net"], built["meta"], targets


def _training_targets(listed: Any, path: Path) -> dict[str, NDArray]:
    """Zeroed destinations for a checkpoint's training arrays, as its metadata lists them.

    The declared sizes are checked against the file's size first: the file
    must hold every byte it declares, so nothing larger than it is allocated.
    """
    if not listed:
        return {}
    total, specs = 0, []
    for name, spec in listed.items():
        ok = (isinstance(spec, list) and len(spec) == 2 and spec[0] in TRAINING_DTYPES
              and isinstance(spec[1], list) and len(spec[1]) <= 8
              and all(type(n) is int and 0 <= n < 2**40 for n in spec[1]))
        if not ok:
            raise fail(path, f"training array {name[:80]!r} is listed as {str(spec)[:80]}; "
                             "expected [dtype, [sizes]]")
        dtype, shape = np.dtype(spec[0]), tuple(spec[1])
        total += dtype.itemsize * math.prod(shape)
        specs.append((name, dtype, shape))
    if total > path.stat().st_size:
        raise fail(path, f"the training arrays declare {total:,} bytes but the file holds "
                         f"only {path.stat().st_size:,}; it is truncated or crafted")
    return {TRAINING_PREFIX + name: np.zeros(shape, dtype) for name, dtype, shape in specs}


def non_finite(net: Network, optimizer: Optimizer | None) -> list[str]:
    """Names of the parameters, state and optimizer slots holding NaN or infinity."""
    named = [*net.parameters.items(), *net.named_state()]
    if optimizer is not None:
        named += [(f"optimizer {slot} of {name}", v) for slot, values in optimizer.state.items()
                  for name, v in values.items()]
    return [name for name, value in named
            if value.dtype.kind == "f" and not np.isfinite(value).all()]


def _restore_training_state(net: Network, training: Any, path: Path) -> None:
    """Give ``net`` the training state stored with its optimizer (see ``save``)."""
    state = training.get("state") if isinstance(training, dict) else None
    if state is None or net.optimizer is None:
        return
    from ..training.state import TrainingState

    restored = TrainingState(rng=np.random.default_rng(0))
    try:
        restored.restore_json(state, net)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise fail(path, f"the stored training state cannot be restored: {exc}") from None
    net.training_state = restored
    lr = training.get("lr")
    if isinstance(lr, float) and math.isfinite(lr) and lr > 0:
        net.optimizer.lr = lr


def _wrap_facade(model: Network, spec: Any, path: Path) -> Any:
    if spec is None:
        return model
    if not isinstance(spec, dict) or set(spec) != {"name", "config"}:
        raise fail(path, f"'facade' must be {{'name': ..., 'config': {{...}}}}, got "
                         f"{str(spec)[:120]}")
    cls = FACADES.get(spec["name"]) if isinstance(spec["name"], str) else None
    if cls is None:
        raise fail(path, f"the model is stored for the facade {str(spec['name'])[:80]!r}, "
                         f"which is not registered (known: {sorted(FACADES)}); import it first")
    if not isinstance(spec["config"], dict):
        raise fail(path, "the facade's config must be a JSON object")
    try:
        return cls.from_network(model, spec["config"])
    except (ValueError, TypeError) as exc:
        raise fail(path, f"the {spec['name']} model cannot be rebuilt: {exc}") from exc
