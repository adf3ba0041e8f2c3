"""What a training backup records of the run that made it, and how two runs differ.

A backup (``BackupAndRestore``) is only worth resuming by the run that made
it: the same network, optimizer, data and settings. The network and the
optimizer are compared from the backup's own description of them; the data
and settings from a *fingerprint* the caller gives, a dict of JSON values
and arrays (an array is recorded as its shape, dtype and SHA-256, never its
contents), e.g. ``{"X": X, "y": y, "seed": 0, "batch_size": 32}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["fingerprint", "differences", "network_differences"]


def fingerprint(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as plain JSON, each array replaced by ``{"array": [shape, dtype, sha256]}``.

    Parameters
    ----------
    values : names to JSON values (numbers, strings, None, lists, dicts) or arrays

    Raises
    ------
    TypeError
        ``values`` is not a mapping, or holds something neither JSON nor an array.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"a fingerprint is a dict of names to values, got "
                        f"{type(values).__name__}")
    described = {str(k): _describe(v, str(k)) for k, v in values.items()}
    return json.loads(json.dumps(described))  # as it will read back from the file


def _describe(value: Any, name: str) -> Any:
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.view(np.uint8).reshape(-1).data).hexdigest()
        return {"array": [list(data.shape), data.dtype.str, digest]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_describe(v, name) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _describe(v, name) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"fingerprint[{name!r}] is {type(value).__name__}; give JSON values "
                    "(numbers, strings, lists, dicts) or NumPy arrays")


def _show(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"array"}:
        shape, dtype, digest = value["array"]
        return (f"{np.dtype(dtype).name} array of shape {tuple(shape)} "
                f"(SHA-256 {digest[:12]}...)")
    return json.dumps(value)


def _changed(old: Any, new: Any) -> str:
    """``<old> in the backup, <new> now``; for arrays alike but for their values, just that."""
    both = [v["array"] for v in (old, new) if isinstance(v, dict) and set(v) == {"array"}]
    if len(both) == 2 and both[0][:2] == both[1][:2]:
        shape, dtype = tuple(both[0][0]), np.dtype(both[0][1]).name
        return (f"other values, of the same shape {shape} and dtype {dtype} (SHA-256 "
                f"{both[0][2][:12]}... in the backup, {both[1][2][:12]}... now)")
    return f"{_show(old)} in the backup, {_show(new)} now"


def differences(stored: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[str]:
    """One line per entry that differs: ``"<name>: <stored> in the backup, <current> now"``."""
    if stored is None:
        return ["the backup records no fingerprint of the data and settings it was made "
                "with (written without one, or by an older glassnet)"]
    lines = []
    for key in sorted(set(stored) | set(current)):
        if key not in stored:
            lines.append(f"{key}: not recorded in the backup, {_show(current[key])} now")
        elif key not in current:
            lines.append(f"{key}: {_show(stored[key])} in the backup, not given now")
        elif stored[key] != current[key]:
            lines.append(f"{key}: {_changed(stored[key], current[key])}")
    return lines


def network_differences(stored: Mapping[str, Any], current: Mapping[str, Any],
                        describe: Any) -> list[str]:
    """How the backup's network config differs from this one's (layer by layer first).

    ``describe(layer_config) -> str`` shows one layer's entry of ``get_config()``.
    """
    lines = []
    old, new = list(stored.get("layers", [])), list(current.get("layers", []))
    if len(old) != len(new):
        lines.append(f"{len(old)} layers in the backup, {len(new)} now")
    for i, (a, b) in enumerate(zip(old, new, strict=False)):  # lengths compared above
        if a != b:
            lines.append(f"layer {i}: {describe(a)} in the backup, {describe(b)} now")
            break  # the first difference explains the rest
    for key in sorted((set(stored) | set(current)) - {"layers"}):
        if stored.get(key) != current.get(key):
            lines.append(f"{key}: {json.dumps(stored.get(key))} in the backup, "
                         f"{json.dumps(current.get(key))} now")
    return lines
