"""A model file's metadata: the entries, their JSON, their caps and their checks.

In a safetensors file (format versions 2 and 3) the metadata is a flat map
of strings: ``"format": "glassnet"``, ``"format_version"``,
``"glassnet_version"``, and as JSON text ``"model"`` (the architecture, see
``schema``), ``"optimizer"`` (see ``optimizer_state``), ``"training"`` and
``"training_arrays"`` (a checkpoint's training state), ``"facade"`` and
``"user"`` (the notes given to ``save``). Version 3 adds the digest (see
``glassnet.io.safetensors``) and lists optimizer slots per parameter.

Caps, the same when writing and reading: any one JSON entry at most
``MAX_ENTRY_BYTES`` of text, any one string in it at most ``MAX_STRING``
characters, nesting at most ``MAX_DEPTH`` levels. ``save`` refuses notes
beyond them before it writes anything; ``load`` refuses them before it
builds anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .schema import MAX_LAYERS, fail
from .strict_json import loads_strict, nesting_depth

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "LEGACY_FORMAT_NAME", "MAX_ENTRY_BYTES",
           "MAX_STRING", "encode_entry", "meta_from_strings", "checked_meta"]

FORMAT_NAME = "glassnet"  # versions 2 and 3, in the safetensors metadata
FORMAT_VERSION = 3
READS = (1, 2, 3)
LEGACY_FORMAT_NAME = "glassnet-model"  # version 1, the .npz files
KINDS = ("network", "classic")
MAX_ENTRY_BYTES = 16 << 20  # bytes of JSON text in one metadata entry
MAX_STRING = 1 << 20  # characters in any one string of an entry (a note, a name)
MAX_DEPTH = 32
#: the meta dict's key -> the safetensors metadata entry holding it as JSON
ENTRIES = {"config": "model", "optimizer": "optimizer", "training": "training",
           "training_arrays": "training_arrays", "facade": "facade", "metadata": "user"}


def encode_entry(value: Any, what: str) -> str:
    """``value`` as JSON text within the caps, or a ValueError naming ``what`` and the cap."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold only JSON values (str, numbers, lists, dicts), "
                         f"finite: {exc}") from exc
    if len(text) > MAX_ENTRY_BYTES:
        raise ValueError(f"{what} takes {len(text):,} bytes as JSON; a model file keeps at "
                         f"most {MAX_ENTRY_BYTES:,} per entry (store large logs beside it)")
    try:
        depth = nesting_depth(value, max_string=MAX_STRING)
    except ValueError as exc:
        raise ValueError(f"{what} holds {exc}; store long text in a file beside the "
                         "model") from None
    if depth > MAX_DEPTH:
        raise ValueError(f"{what} is nested {depth} levels deep; at most {MAX_DEPTH} are kept")
    return text


def meta_from_strings(strings: dict[str, str], path: Path) -> dict[str, Any]:
    """The metadata of a safetensors model file (string values, some JSON) as a dict."""
    if strings.get("format") != FORMAT_NAME:
        raise fail(path, f"not a glassnet model file (its safetensors metadata has format "
                         f"{str(strings.get('format'))[:80]!r}, expected {FORMAT_NAME!r}); "
                         "glassnet.io.save writes these files")
    text = strings.get("format_version", "")
    version = int(text) if text.isdigit() and len(text) < 6 else None
    if version is None:
        raise fail(path, f"format_version must be a positive integer, got {text[:40]!r}")
    meta: dict[str, Any] = {"format": FORMAT_NAME, "format_version": version, "kind": "network",
                            "glassnet_version": strings.get("glassnet_version", "")[:80]}
    allowed = {"format", "format_version", "glassnet_version", *ENTRIES.values()}
    unknown = sorted(set(strings) - allowed)
    if unknown and version in READS:
        raise fail(path, f"the metadata has unknown entries {[u[:80] for u in unknown[:8]]}; "
                         f"expected only {sorted(allowed)}")
    layers = strings.get("model", "").count('"class"')  # at least one per layer
    if layers > MAX_LAYERS + 1:  # counted in the text, before any of it is parsed
        raise fail(path, f"the architecture declares about {layers:,} layers; at most "
                         f"{MAX_LAYERS:,} are loaded")
    for key, name in ENTRIES.items():
        if name in strings:
            if len(strings[name]) > MAX_ENTRY_BYTES:
                raise fail(path, f"the metadata's {name!r} holds {len(strings[name]):,} "
                                 f"characters; at most {MAX_ENTRY_BYTES:,} are read")
            try:
                meta[key] = loads_strict(strings[name], max_depth=MAX_DEPTH,
                                         max_string=MAX_STRING)
            except ValueError as exc:
                raise fail(path, f"the metadata's {name!r} is not valid JSON ({exc})") from None
        elif key == "optimizer":
            meta[key] = None
    return meta


def checked_meta(meta: Any, path: Path) -> dict[str, Any]:
    """The metadata, once its format, version, kind and architecture entry are as expected."""
    if not isinstance(meta, dict) or meta.get("format") not in (FORMAT_NAME, LEGACY_FORMAT_NAME):
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise fail(path, f"not a glassnet model file (format {str(found)[:80]!r}, "
                         f"expected {FORMAT_NAME!r})")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise fail(path, f"format_version must be a positive integer, got {str(version)[:40]}")
    legacy = meta["format"] == LEGACY_FORMAT_NAME
    if (legacy and version != 1) or (not legacy and version not in READS[1:]):
        from .. import __version__

        raise fail(path, f"the file has model format version {version} (written by glassnet "
                         f"{str(meta.get('glassnet_version', '?'))[:40]}); this glassnet "
                         f"{__version__} reads format versions {', '.join(map(str, READS))}; "
                         "upgrade glassnet to load it")
    if meta.get("kind") not in KINDS:
        raise fail(path, f"unknown model kind {str(meta.get('kind'))[:80]!r}; expected one of "
                         f"{list(KINDS)}")
    if not isinstance(meta.get("config"), dict):
        raise fail(path, "the metadata's 'config' must be a JSON object, got "
                         f"{type(meta.get('config')).__name__}")
    for key in ("metadata", "training", "facade", "training_arrays"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise fail(path, f"the metadata's {key!r} must be a JSON object, got "
                             f"{type(meta[key]).__name__}")
    return meta
