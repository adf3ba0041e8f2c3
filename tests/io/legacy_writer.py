"""Write version-1 model files (``.npz``) exactly as glassnet 0.2 did, for the reader's tests.

glassnet itself no longer writes this format; these files stand for the
ones users still have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassnet import Network


def file_order(net: Network) -> list[str]:
    """Weights (decayed parameters) first, then the others, each in layer order."""
    decayed = net.decay_names
    names = list(net.parameters)
    return [n for n in names if n in decayed] + [n for n in names if n not in decayed]


def write_version_1(net: Network, path: str | Path, *, optimizer: Any = None,
                    metadata: dict | None = None, training: dict | None = None,
                    training_arrays: dict[str, np.ndarray] | None = None,
                    facade: dict | None = None) -> Path:
    """``net`` (with ``optimizer``'s flat state) as a version-1 ``.npz`` file at ``path``."""
    import json

    config = net.get_config()
    meta: dict[str, Any] = {"format": "glassnet-model", "format_version": 1, "kind": "network",
                            "glassnet_version": "0.2.0", "config": config, "optimizer": None}
    if metadata is not None:
        meta["metadata"] = metadata
    if facade is not None:
        meta["facade"] = facade
    arrays = {name: np.ascontiguousarray(v) for name, v in net.parameters.items()}
    arrays.update((name, np.ascontiguousarray(v)) for name, v in net.named_state())
    if optimizer is not None:
        slots = sorted(slot for slot, values in optimizer.state.items() if values)
        meta["optimizer"] = {"class": type(optimizer).__name__,
                             "config": optimizer.get_config(), "t": int(optimizer.t),
                             "state": slots}
        params = net.parameters
        for slot in slots:
            values = optimizer.state[slot]
            arrays[f"optimizer/{slot}"] = np.concatenate(
                [values[n].reshape(-1) if n in values else np.zeros(params[n].size, net.dtype)
                 for n in file_order(net)])
    if training is not None:
        meta["training"] = training
        listed = {}
        for name, value in (training_arrays or {}).items():
            arrays[f"training/{name}"] = value
            listed[name] = [value.dtype.name, list(value.shape)]
        meta["training_arrays"] = listed
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path = Path(path)
    with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a name
        np.savez(f, **arrays)
    return path
