"""Describe a model file from its header alone: no weights read, nothing built."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .legacy import META_KEY
from .meta import checked_meta, meta_from_strings
from .npz import read_legacy_meta
from .safetensors import read_header
from .schema import fail

__all__ = ["model_info", "is_zip", "read_checked_header"]


def is_zip(path: Path) -> bool:
    """Whether the file starts as every zip (every .npz) does; FileNotFoundError if absent."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise fail(path, "is a folder, not a model file") from None


def not_a_model(path: Path, detail: str) -> Any:
    return fail(path, f"not a glassnet model file, or a truncated or corrupt one: it is "
                      f"neither an .npz archive nor a readable safetensors file ({detail})")


def read_checked_header(path: Path) -> Any:
    """The safetensors header of a file that is not a zip, or a clear refusal."""
    from ..errors import ModelFormatError

    try:
        return read_header(path)
    except ModelFormatError as exc:
        raise not_a_model(path, str(exc).removeprefix(f"{path}: ")) from None


def model_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a saved model from its metadata alone: no weights are read, nothing is built.

    Returns
    -------
    dict
        The keys ``path``, ``kind``, ``format_version``, ``glassnet_version``,
        ``layers`` (each layer as its class and settings), ``n_parameters``, ``n_in``,
        ``n_out``, ``dtype``, ``loss``, ``task``, ``optimizer`` (class and settings, or
        None), ``config`` (the architecture as stored), ``metadata`` (what ``save`` was
        given, or None), ``facade`` and ``training`` (whether the file can resume
        training), ``digest`` (how the file's integrity is checked: ``"SHA-256 per
        tensor"``, ``"CRC-32 per array"`` for a version-1 file, or None for a file
        written without one, e.g. by another tool: it loads, but a damaged byte would go
        unnoticed) and ``tensors`` (name -> dtype and shape).
    """
    path = Path(path)
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    digest = None
    if is_zip(path):
        meta = checked_meta(read_legacy_meta(path, meta_name=META_KEY), path)
        digest = "CRC-32 per array"
    else:
        header = read_checked_header(path)
        meta = checked_meta(meta_from_strings(header.metadata, path), path)
        tensors = {name: (str(t.dtype), t.shape) for name, t in header.tensors.items()}
        digest = "SHA-256 per tensor" if header.digest is not None else None
    config = meta["config"]
    if meta["kind"] == "classic":  # glassnet 0.1's book network: three sizes
        sizes = [config.get(k) for k in ("input_nodes", "hidden_nodes", "output_nodes")]
        layers = [f"Dense(n_in={sizes[0]!r}, n_out={sizes[1]!r}, bias=False)", "Sigmoid()",
                  f"Dense(n_in={sizes[1]!r}, n_out={sizes[2]!r}, bias=False)", "Sigmoid()"]
        n_params = (sizes[0] * sizes[1] + sizes[1] * sizes[2]
                    if all(isinstance(n, int) for n in sizes) else None)
        described = {"n_in": sizes[0], "n_out": sizes[2], "dtype": "float64", "loss": "sse",
                     "task": "regression"}
    else:
        layers = [_describe_spec(spec) for spec in config.get("layers", [])]
        params = [shape for name, (_, shape) in tensors.items() if name.startswith("param/")]
        n_params = (sum(int(np.prod(shape)) for shape in params) if tensors
                    else _count_from_config(config))
        described = {"n_in": _first_size(config), "n_out": _last_size(config),
                     "dtype": config.get("dtype"), "loss": config.get("loss"),
                     "task": config.get("task")}
    optimizer = meta.get("optimizer")
    return {
        "path": str(path),
        "kind": meta["kind"] if meta.get("facade") is None else meta["facade"].get("name"),
        "format_version": meta["format_version"],
        "glassnet_version": meta.get("glassnet_version"),
        "layers": layers,
        "n_parameters": n_params,
        **described,
        "optimizer": None if optimizer is None else _describe_spec(optimizer),
        "config": config,
        "metadata": meta.get("metadata"),
        "facade": meta.get("facade"),
        "training": meta.get("training") is not None,
        "digest": digest,
        "tensors": {name: {"dtype": dt, "shape": list(shape)} for name, (dt, shape)
                    in tensors.items()},
    }


def _describe_spec(spec: Any) -> str:
    """``{"class": "Dense", "config": {...}}`` as ``Dense(n_in=..., ...)``, as its repr reads."""
    if not isinstance(spec, dict):
        return repr(spec)
    config = spec.get("config")
    args = ", ".join(f"{k}={v!r}" for k, v in config.items()) if isinstance(config, dict) else ""
    return f"{spec.get('class')}({args})"


def _dense_configs(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [spec["config"] for spec in config.get("layers", [])
            if isinstance(spec, dict) and spec.get("class") == "Dense"
            and isinstance(spec.get("config"), dict)]


def _first_size(config: dict[str, Any]) -> Any:
    shape = config.get("input_shape")
    if isinstance(shape, list) and all(isinstance(n, int) for n in shape):
        return int(np.prod(shape))
    dense = _dense_configs(config)
    return dense[0].get("n_in") if dense else None


def _last_size(config: dict[str, Any]) -> Any:
    dense = _dense_configs(config)
    return dense[-1].get("n_out") if dense else None


def _count_from_config(config: dict[str, Any]) -> int | None:
    total = 0
    for c in _dense_configs(config):
        n_in, n_out = c.get("n_in"), c.get("n_out")
        if not (isinstance(n_in, int) and isinstance(n_out, int)):
            return None
        total += n_in * n_out + (n_out if c.get("bias", True) else 0)
    return total
