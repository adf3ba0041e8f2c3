"""The SHA-256 digest glassnet adds to a safetensors file's metadata, and its check.

The entry ``"glassnet.sha256"`` is a JSON object: ``"metadata"``, the digest
of every other metadata entry (as sorted compact JSON), and ``"tensors"``,
one digest per tensor of its name, dtype, shape and bytes (so two tensors
whose byte ranges are swapped do not match). Cost, measured: SHA-256 runs
at about 1.4 GB/s on a core with SHA extensions, about as fast as reading
the file from the page cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFormatError
from .strict_json import loads_strict

__all__ = ["DIGEST_KEY", "metadata_digest", "tensor_digest", "checked_digest"]

DIGEST_KEY = "glassnet.sha256"


def _fail(path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


def metadata_digest(meta: Mapping[str, str]) -> str:
    """SHA-256 of every metadata entry but the digest, as sorted compact JSON."""
    rest = {k: v for k, v in meta.items() if k != DIGEST_KEY}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tensor_digest(name: str, code: str, shape: tuple[int, ...], data: Any) -> str:
    """SHA-256 of a tensor's name, dtype, shape and bytes (``data``: a buffer)."""
    h = hashlib.sha256(f"{name}\0{code}\0{list(shape)}\0".encode())
    h.update(memoryview(data).cast("B") if np.size(data) else b"")
    return h.hexdigest()


def checked_digest(metadata: dict[str, str], names: list[str], path: Path
                    ) -> dict[str, str] | None:
    """The per-tensor digests, once the metadata's own digest matches (removed from
    ``metadata``); None for a file without one."""
    text = metadata.get(DIGEST_KEY)
    if text is None:
        return None
    expected = metadata_digest(metadata)
    del metadata[DIGEST_KEY]
    try:
        doc = loads_strict(text, max_depth=2)
    except ValueError as exc:
        raise _fail(path, f"the metadata's {DIGEST_KEY!r} entry is not valid: {exc}; the file "
                          "is corrupt") from None
    names = sorted(names)
    ok = (isinstance(doc, dict) and set(doc) == {"metadata", "tensors"}
          and isinstance(doc["tensors"], dict) and sorted(doc["tensors"]) == names
          and all(isinstance(v, str) for v in [doc["metadata"], *doc["tensors"].values()]))
    if not ok:
        raise _fail(path, f"the metadata's {DIGEST_KEY!r} entry does not list one SHA-256 "
                          "digest per tensor; the file is corrupt")
    if doc["metadata"] != expected:
        raise _fail(path, "the metadata does not match its SHA-256 digest; the file is "
                          "corrupt (damaged on disk or in transfer, or edited)")
    return dict(doc["tensors"])
