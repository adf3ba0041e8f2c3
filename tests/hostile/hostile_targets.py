"""The functions the hostile files are thrown at, by name.

``model`` is the model loader, ``glassnet.io.load`` (both formats, through
the hardened readers). :func:`load_model_generic` below is a reader that
derives the expected arrays from the metadata without building a network;
point the harness at it or any other loader with ``--loader module:function``
(or ``$GLASSNET_HOSTILE_LOADER``).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glassnet.datasets.csv import read_digits_csv
from glassnet.datasets.idx import read_idx
from glassnet.errors import ModelFormatError
from glassnet.io.npz import read_legacy_npz
from glassnet.io.safetensors import read_tensors
from glassnet.io.strict_json import loads_strict

LOADER_ENV = "GLASSNET_HOSTILE_LOADER"


def expected_arrays(config: Any, path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``{"<i>.W": (dtype, (n_in, n_out)), "<i>.b": ...}`` from a stored architecture."""
    if not isinstance(config, dict) or config.get("dtype") not in ("float32", "float64"):
        raise ModelFormatError(f"{path}: the architecture has no valid dtype")
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise ModelFormatError(f"{path}: the architecture has no list of layers")
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for i, spec in enumerate(layers):
        if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
            raise ModelFormatError(f"{path}: layer {i} is not {{'class', 'config'}}")
        if spec.get("class") != "Dense":
            continue
        cfg = spec["config"]
        n_in, n_out = cfg.get("n_in"), cfg.get("n_out")
        if not all(type(n) is int and n > 0 for n in (n_in, n_out)):
            raise ModelFormatError(f"{path}: layer {i} Dense has n_in={n_in!r}, n_out={n_out!r}")
        out[f"{i}.W"] = (config["dtype"], (n_in, n_out))
        if cfg.get("bias", True):
            out[f"{i}.b"] = (config["dtype"], (n_out,))
    return out


def load_model_generic(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a model file of either format, checking every array against its architecture."""
    path = Path(path)
    with open(path, "rb") as f:  # FileNotFoundError for a missing file, as load raises
        magic = f.read(4)
    if magic == b"PK\x03\x04":
        def from_meta(meta: dict[str, Any]) -> dict[str, tuple[str, tuple[int, ...]]]:
            if meta.get("format") != "glassnet-model" or meta.get("format_version") != 1:
                raise ModelFormatError(f"{path}: not a version-1 glassnet model")
            return expected_arrays(meta.get("config"), path)

        return read_legacy_npz(path, from_meta)[1]

    def from_header(header: Any) -> dict[str, tuple[str, tuple[int, ...]]]:
        text = header.metadata.get("model")
        if text is None:
            raise ModelFormatError(f"{path}: no 'model' entry in the metadata")
        try:
            config = loads_strict(text.encode("utf-8"))
        except ValueError as exc:
            raise ModelFormatError(f"{path}: the 'model' metadata is not valid: {exc}") from None
        return {f"param/{k}": v for k, v in expected_arrays(config, path).items()}

    return read_tensors(path, from_header)[0]


def predictions(path: str | os.PathLike[str]) -> str:
    """Load a model with ``glassnet.io.load`` and fingerprint its predictions on a fixed probe."""
    import hostile_models

    from glassnet import io

    return hostile_models.fingerprint(io.load(path))


def image_input(path: str | os.PathLike[str]) -> Any:
    from glassnet.datasets.images import image_to_input

    return image_to_input(path)


def resolve(spec: str) -> Callable[[str], Any]:
    """``"module:function"`` -> the function."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def targets(loader: str | None = None) -> dict[str, Callable[[str], Any]]:
    loader = loader or os.environ.get(LOADER_ENV) or "glassnet.io:load"
    return {
        "model": resolve(loader),
        "idx": read_idx,
        "csv": read_digits_csv,
        "image": image_input,
        "predictions": predictions,
    }


def describe(value: Any) -> str:
    """A short description of what a target returned, for the report of a silent load."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps({k: getattr(v, "shape", None) for k, v in value.items()})[:200]
    except (AttributeError, TypeError):
        return type(value).__name__
