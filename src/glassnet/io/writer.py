"""Write a model file: describe everything (refusing what ``load`` would), then write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..network import Network
from ..optimizers import Optimizer
from .meta import FORMAT_NAME, FORMAT_VERSION, encode_entry
from .optimizer_state import describe_optimizer
from .safetensors import write_safetensors
from .schema import describe_network

__all__ = ["PARAM_PREFIX", "STATE_PREFIX", "TRAINING_DTYPES", "TRAINING_PREFIX", "write"]

PARAM_PREFIX, STATE_PREFIX = "param/", "state/"
TRAINING_PREFIX = "training/"  # arrays of a checkpoint's training state
TRAINING_DTYPES = ("float32", "float64", "int64", "int32", "uint8", "bool")


def write(final: Path, net: Network, optimizer: Optimizer | None, *,
          facade: dict[str, Any] | None, notes: dict[str, Any],
          training: dict[str, Any] | None, arrays: dict[str, NDArray]) -> Path:
    """Describe everything (refusing what ``load`` would), then write the file."""
    from .. import __version__

    if not net.built:
        raise ValueError("the network is not built yet, so it has no weights to save; "
                         "fit it or call build(input_shape) first")
    strings = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
               "glassnet_version": __version__,
               "model": encode_entry(describe_network(net), "the architecture")}
    tensors = {PARAM_PREFIX + k: np.ascontiguousarray(v) for k, v in net.parameters.items()}
    tensors.update((STATE_PREFIX + k, np.ascontiguousarray(v)) for k, v in net.named_state())
    if optimizer is not None:
        spec, slots = describe_optimizer(optimizer, net)
        strings["optimizer"] = encode_entry(spec, "the optimizer")
        tensors.update(slots)
    if training is not None:
        strings["training"] = encode_entry(training, "training")
        listed = {}
        for name, value in arrays.items():
            value = np.ascontiguousarray(value)
            if value.dtype.name not in TRAINING_DTYPES or not isinstance(name, str):
                raise TypeError(f"training array {name!r} must be numeric, got {value.dtype}")
            tensors[TRAINING_PREFIX + name] = value
            listed[name] = [value.dtype.name, list(value.shape)]
        strings["training_arrays"] = encode_entry(listed, "the training arrays")
    if facade is not None:
        strings["facade"] = encode_entry(facade, "the facade's settings")
    if notes:
        strings["user"] = encode_entry(notes, "metadata")
    return write_safetensors(final, tensors, metadata=strings)
