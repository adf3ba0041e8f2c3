"""Save and load models: one ``.npz`` file, JSON for the architecture, arrays for the weights.

No pickle anywhere: the architecture is a JSON document and the weights are
plain numeric arrays, so loading a file from a stranger can build only
glassnet's own layers, losses and optimizers, never run code.

File format (version 1)
-----------------------
An uncompressed NumPy ``.npz`` archive (a zip of ``.npy`` files) holding:

``__meta__``
    a uint8 array: the UTF-8 bytes of a JSON object ::

        {"format": "glassnet-model", "format_version": 1,
         "kind": "network" | "classic", "glassnet_version": "0.1.0",
         "config": {...}, "optimizer": null | {...}}

    For ``"network"``, ``config`` is ``Network.get_config()``: ``layers`` (a
    list of ``{"class": "Dense", "config": {...}}``, each config being the
    layer's constructor arguments), ``loss``, ``loss_config``, ``task`` and
    ``dtype``. For ``"classic"`` it is ``NeuralNetwork.get_config()``
    (``input_nodes``, ``hidden_nodes``, ``output_nodes``, ``learning_rate``).
    ``optimizer`` (networks only) is ``{"class": "Adam", "config": {...},
    "t": <steps taken>, "state": [<state names>]}``.
``"0.W"``, ``"0.b"``, ``"2.W"``, ...
    one array per parameter of a network, by its stable name
    ``"<layer index>.<key>"``, in the network's dtype, batch-first layout.
``"wih"``, ``"who"``
    the classic network's weights, in the book's (next layer x this layer) layout.
``"optimizer/<name>"``
    one flat array per optimizer state (``m_sum`` and ``v_sum`` for Adam,
    ``velocity`` for SGD with momentum), of the network's size and dtype, in
    the order of ``Network.flat_params`` (weights first, then biases).

The architecture alone implies every array's name, shape and dtype; ``load``
checks all of them and refuses missing or unexpected arrays.

Saving writes a temporary file beside the destination, fsyncs it and renames
it over the destination in one step, so a crash leaves the previous file
whole. The file is written at exactly the path given (no suffix is added);
``.npz`` is the conventional suffix.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._aligned import aligned_zeros
from ._atomic import atomic_write
from .errors import ModelFormatError
from .layers import LAYERS, Dense
from .losses import LOSSES
from .network import TASKS, Network
from .optimizers import OPTIMIZERS, Optimizer

if TYPE_CHECKING:
    from .classic import NeuralNetwork

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save", "load", "model_info"]

FORMAT_NAME = "glassnet-model"
FORMAT_VERSION = 1
KINDS = ("network", "classic")
META_KEY = "__meta__"
OPTIMIZER_PREFIX = "optimizer/"
_DTYPES = ("float32", "float64")
_OPTIMIZER_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}
# Constructor arguments a file may not set: randomness and dtype come from
# elsewhere, and ``fused`` is how this machine runs an update, not part of a model.
_NOT_FROM_FILE = frozenset({"self", "rng", "seed", "dtype", "fused"})
_STATE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# What a damaged zip or .npy member raises while it is read.
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, OSError, ValueError,
            KeyError, NotImplementedError, OverflowError)


# -- saving ------------------------------------------------------------------
def save(model: Network | NeuralNetwork, path: str | os.PathLike[str], *,
         optimizer: Optimizer | None = None, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture, hyper-parameters and weights) to one file.

    Parameters
    ----------
    model : a ``glassnet.Network`` (built-in layers and losses only) or a
        ``glassnet.classic.NeuralNetwork``
    path : where to write; used exactly as given (no suffix is appended). An
        existing file is replaced atomically and keeps its permissions.
    optimizer : also store this optimizer's settings and state (e.g.
        ``network.optimizer``, which ``fit`` sets), so that training can
        resume; ``load`` then attaches it as ``network.optimizer``. Not stored
        unless given: a file for inference stays the size of the weights.
    metadata : JSON-serialisable notes kept with the model (e.g. the data set
        and the input scaling it was trained with); ``model_info`` returns them.

    Returns
    -------
    The path written, as a ``Path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from glassnet import Network, Dense
    >>> net = Network([Dense(2, 3, rng=0)])
    >>> path = save(net, pathlib.Path(tempfile.mkdtemp()) / "net.npz")
    >>> np.array_equal(load(path).parameters["0.W"], net.parameters["0.W"])
    True
    """
    from .classic import NeuralNetwork

    final = Path(path)
    if type(model) is Network:
        meta, arrays = _describe_network(model, optimizer)
    elif isinstance(model, NeuralNetwork):
        if optimizer is not None:
            raise ValueError("a classic NeuralNetwork trains with plain SGD at its learning_rate, "
                             "which is saved with it; do not pass optimizer=")
        meta, arrays = _describe_classic(model)
    else:
        raise TypeError(f"save takes a glassnet.Network or a glassnet.classic.NeuralNetwork, "
                        f"got {type(model).__name__}")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta["metadata"] = metadata
    try:
        text = json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must hold only JSON values (str, numbers, lists, dicts): "
                         f"{exc}") from exc
    arrays[META_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)
    _write_atomically(final, arrays)
    return final


def _describe_network(net: Network, optimizer: Optimizer | None
                      ) -> tuple[dict[str, Any], dict[str, NDArray]]:
    if LOSSES.get(net.loss.name) is not type(net.loss):
        raise TypeError(f"the loss {net.loss!r} is not a built-in loss and cannot be saved; "
                        f"use one of {sorted(LOSSES)}")
    config = net.get_config()  # raises TypeError for a layer that is not built in
    meta = _meta("network", config)
    arrays = {name: np.ascontiguousarray(value) for name, value in net.parameters.items()}
    if optimizer is not None:
        meta["optimizer"] = _describe_optimizer(optimizer, net)
        for name, value in optimizer.state.items():
            arrays[OPTIMIZER_PREFIX + name] = value
    return meta, arrays


def _describe_optimizer(opt: Optimizer, net: Network) -> dict[str, Any]:
    if _OPTIMIZER_CLASSES.get(type(opt).__name__) is not type(opt):
        raise TypeError(f"{opt!r} is not a built-in optimizer and cannot be saved; "
                        f"use one of {sorted(_OPTIMIZER_CLASSES)}")
    for name, value in opt.state.items():
        if value.shape != net.flat_params.shape or value.dtype != net.dtype:
            raise ValueError(
                f"{opt!r} holds state {name!r} of shape {value.shape} ({value.dtype}) but the "
                f"network has {net.n_parameters} {net.dtype} parameters; pass the optimizer "
                "that trained this network"
            )
    return {"class": type(opt).__name__, "config": opt.get_config(), "t": int(opt.t),
            "state": sorted(opt.state)}


def _describe_classic(model: NeuralNetwork) -> tuple[dict[str, Any], dict[str, NDArray]]:
    arrays = {"wih": np.ascontiguousarray(model.wih), "who": np.ascontiguousarray(model.who)}
    return _meta("classic", model.get_config()), arrays


def _meta(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    from . import __version__

    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": kind,
            "glassnet_version": __version__, "config": config, "optimizer": None}


def _write_atomically(final: Path, arrays: dict[str, NDArray]) -> None:
    """Write ``arrays`` as an npz at ``final``; readers see the old file or the new one."""
    with atomic_write(final) as f:
        # A file object, not a name: np.savez would append ".npz" to a name.
        # (mypy fears a key named "allow_pickle"; the keys are parameter names.)
        np.savez(f, **arrays)  # type: ignore[arg-type]


# -- loading -----------------------------------------------------------------
def load(path: str | os.PathLike[str]) -> Network | NeuralNetwork:
    """Read a model written by ``save``; the type returned is the type saved.

    Every array is checked against the shape and dtype the architecture
    implies; nothing in the file is executed (JSON and numeric arrays only).
    If the file holds an optimizer, it is attached as ``network.optimizer``
    (else that is None): resume with ``network.fit(X, y, optimizer=network.optimizer)``.

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : the file is not a glassnet model, is truncated or
        corrupt, has an unknown format version, or its contents disagree with
        its architecture; the message names the file and the problem
    """
    path = Path(path)
    with _open_npz(path) as npz:
        meta = _read_meta(npz, path)
        model, targets, optimizer = _build(meta, path)
        _check_names(npz, targets, path)
        for name, target in targets.items():
            target[...] = _read_array(npz, name, target.shape, target.dtype, path)
    if isinstance(model, Network):
        model.optimizer = optimizer  # None when the file holds no optimizer
    return model


def model_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a saved model from its metadata alone (no weights are read).

    Returns
    -------
    dict with ``path``, ``kind``, ``format_version``, ``glassnet_version``,
    ``layers`` (each layer's repr), ``n_parameters``, ``n_in``, ``n_out``,
    ``dtype``, ``loss``, ``task``, ``optimizer`` (its repr, or None),
    ``config`` (the architecture as stored) and ``metadata`` (what ``save``
    was given, or None).
    """
    path = Path(path)
    with _open_npz(path) as npz:
        meta = _read_meta(npz, path)
    model, _, optimizer = _build(meta, path)
    net = model if isinstance(model, Network) else model.network
    return {
        "path": str(path),
        "kind": meta["kind"],
        "format_version": meta["format_version"],
        "glassnet_version": meta.get("glassnet_version"),
        "layers": [repr(layer) for layer in net.layers],
        "n_parameters": net.n_parameters,
        "n_in": net.n_in,
        "n_out": net.n_out,
        "dtype": str(net.dtype),
        "loss": net.loss.name,
        "task": net.task,
        "optimizer": None if optimizer is None else repr(optimizer),
        "config": meta["config"],
        "metadata": meta.get("metadata"),
    }


def _fail(path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


@contextlib.contextmanager
def _open_npz(path: Path) -> Iterator[Any]:
    """The opened archive, or FileNotFoundError, or ModelFormatError for anything unreadable."""
    try:
        f = open(path, "rb")  # closed by the with below, once the archive is closed
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    with f:
        if f.read(4) != b"PK\x03\x04":  # every npz is a zip, and every zip starts so
            raise _fail(path, "not a glassnet model file (not an .npz archive); "
                              "glassnet.io.save writes these files")
        f.seek(0)
        try:
            npz = np.load(f, allow_pickle=False)
        except _CORRUPT as exc:
            raise _fail(path, f"the file is truncated or corrupt ({exc})") from exc
        with npz:
            yield npz


def _read_array(npz: Any, name: str, shape: tuple[int, ...] | None, dtype: np.dtype,
                path: Path) -> NDArray:
    """Member ``name``, after its header shows the expected shape (None: any 1-D) and dtype.

    The header is checked before the data is read, so a wrong or hostile
    array (an object array, a huge one) is refused without being loaded.
    """
    try:
        with npz.zip.open(name + ".npy") as fp:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                found_shape, _, found_dtype = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                found_shape, _, found_dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise _fail(path, f"array {name!r} has unsupported .npy version {version}")
        shape_ok = len(found_shape) == 1 if shape is None else found_shape == shape
        if found_dtype != dtype or not shape_ok:
            needed = "(n,)" if shape is None else shape
            raise _fail(path, f"array {name!r} has shape {found_shape} and dtype {found_dtype}, "
                              f"but it must have shape {needed} and dtype {dtype}")
        return npz[name]
    except ModelFormatError:
        raise
    except _CORRUPT as exc:
        raise _fail(path, f"array {name!r} cannot be read; the file is truncated or corrupt "
                          f"({type(exc).__name__}: {exc})") from exc


def _read_meta(npz: Any, path: Path) -> dict[str, Any]:
    if META_KEY not in npz.files:
        raise _fail(path, f"not a glassnet model file (no {META_KEY!r} entry; it holds "
                          f"{_listing(npz.files)})")
    data = _read_array(npz, META_KEY, None, np.dtype(np.uint8), path)
    try:
        meta = json.loads(data.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"the {META_KEY!r} entry is not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _fail(path, f"not a glassnet model file (format {found!r}, "
                          f"expected {FORMAT_NAME!r})")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(path, f"format_version must be a positive integer, got {version!r}")
    if version != FORMAT_VERSION:
        from . import __version__

        raise _fail(path, f"the file has model format version {version} (written by glassnet "
                          f"{meta.get('glassnet_version', '?')}); this glassnet {__version__} "
                          f"reads format version {FORMAT_VERSION}; upgrade glassnet to load it")
    if meta.get("kind") not in KINDS:
        raise _fail(path, f"unknown model kind {meta.get('kind')!r}; expected one of {list(KINDS)}")
    if not isinstance(meta.get("config"), dict):
        raise _fail(path, f"the metadata's 'config' must be a JSON object, "
                          f"got {meta.get('config')!r}")
    return meta


def _check_names(npz: Any, targets: dict[str, NDArray], path: Path) -> None:
    found = set(npz.files) - {META_KEY}
    missing = sorted(set(targets) - found)
    if missing:
        raise _fail(path, f"missing arrays {_listing(missing)} that the architecture needs")
    extra = sorted(found - set(targets))
    if extra:
        raise _fail(path, f"unexpected arrays {_listing(extra)}; the architecture needs exactly "
                          f"{_listing(targets)}")


def _listing(names: Any, limit: int = 12) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}] ({len(names)} in all)"


# -- rebuilding the architecture -----------------------------------------------
def _build(meta: dict[str, Any], path: Path
           ) -> tuple[Network | NeuralNetwork, dict[str, NDArray], Optimizer | None]:
    """The model from its metadata, and the arrays to fill: name -> destination (a view)."""
    if meta["kind"] == "classic":
        from .classic import NeuralNetwork

        if meta.get("optimizer") is not None:
            raise _fail(path, "a classic network has no separate optimizer, but one is stored")
        model = _construct(NeuralNetwork, meta["config"], "the classic network", path)
        return model, {"wih": model.wih, "who": model.who}, None
    net = _build_network(meta["config"], path)
    targets = dict(net.parameters)
    optimizer = None
    if meta.get("optimizer") is not None:
        optimizer, state = _build_optimizer(meta["optimizer"], net, path)
        targets.update({OPTIMIZER_PREFIX + name: value for name, value in state.items()})
    return net, targets, optimizer


def _build_network(config: dict[str, Any], path: Path) -> Network:
    _check_keys(config, {"layers", "loss", "loss_config", "task", "dtype"}, "config", path)
    dtype = config.get("dtype")
    if dtype not in _DTYPES:
        raise _fail(path, f"unknown dtype {dtype!r}; expected one of {list(_DTYPES)}")
    specs = config.get("layers")
    if not isinstance(specs, list) or not specs:
        raise _fail(path, f"'layers' must be a non-empty list, got {specs!r}")
    layers = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or set(spec) != {"class", "config"}:
            raise _fail(path, f"layer {i} must be {{'class': ..., 'config': {{...}}}}, "
                              f"got {spec!r}")
        cls = LAYERS.get(spec["class"]) if isinstance(spec["class"], str) else None
        if cls is None:
            raise _fail(path, f"layer {i} has unknown class {spec['class']!r}; "
                              f"known layers are {sorted(LAYERS)}")
        fixed = {"dtype": np.dtype(dtype)} if cls is Dense else {}
        layers.append(_construct(cls, spec["config"], f"layer {i} {spec['class']}", path, fixed))
    loss_name = config.get("loss")
    loss_cls = LOSSES.get(loss_name) if isinstance(loss_name, str) else None
    if loss_cls is None:
        raise _fail(path, f"unknown loss {loss_name!r}; known losses are {sorted(LOSSES)}")
    loss = _construct(loss_cls, config.get("loss_config", {}), f"loss {loss_name}", path)
    task = config.get("task")
    if task not in TASKS:
        raise _fail(path, f"unknown task {task!r}; expected one of {list(TASKS)}")
    try:
        return Network(layers, loss=loss, task=task)
    except (ValueError, TypeError) as exc:
        raise _fail(path, f"the stored layers do not form a network: {exc}") from exc


def _build_optimizer(spec: Any, net: Network, path: Path
                     ) -> tuple[Optimizer, dict[str, NDArray]]:
    if not isinstance(spec, dict):
        raise _fail(path, f"'optimizer' must be a JSON object or null, got {spec!r}")
    _check_keys(spec, {"class", "config", "t", "state"}, "optimizer", path)
    name = spec.get("class")
    cls = _OPTIMIZER_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise _fail(path, f"unknown optimizer class {name!r}; "
                          f"known optimizers are {sorted(_OPTIMIZER_CLASSES)}")
    optimizer = _construct(cls, spec.get("config", {}), f"optimizer {name}", path)
    t = spec.get("t", 0)
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise _fail(path, f"the optimizer's step count 't' must be an integer >= 0, got {t!r}")
    names = spec.get("state", [])
    if (not isinstance(names, list)
            or not all(isinstance(n, str) and _STATE_NAME.match(n) for n in names)
            or len(set(names)) != len(names)):
        raise _fail(path, f"the optimizer's 'state' must be a list of distinct names, "
                          f"got {names!r}")
    if names and sorted(names) != sorted(optimizer.state_names):  # none before the first step
        raise _fail(path, f"{optimizer!r} keeps the state {list(optimizer.state_names)} but the "
                          f"file holds {names}; it was written by another version of glassnet")
    optimizer.t = t
    optimizer.state = {n: aligned_zeros(net.flat_params.size, net.flat_params.dtype)
                       for n in names}
    return optimizer, optimizer.state


def _construct(cls: type, kwargs: Any, what: str, path: Path,
               fixed: dict[str, Any] | None = None) -> Any:
    """``cls(**kwargs, **fixed)``, accepting only constructor arguments, rebuilt faithfully."""
    fixed = fixed or {}
    if not isinstance(kwargs, dict):
        raise _fail(path, f"the config of {what} must be a JSON object, got {kwargs!r}")
    allowed = set(inspect.signature(cls).parameters) - _NOT_FROM_FILE
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise _fail(path, f"{what} has unknown settings {unknown}; "
                          f"it accepts {sorted(allowed) or 'none'}")
    try:
        obj = cls(**kwargs, **fixed)
    except (ValueError, TypeError) as exc:
        raise _fail(path, f"{what} cannot be rebuilt from {kwargs}: {exc}") from exc
    # Constructors coerce (bool("no") is True): the rebuilt object must say what the file says.
    rebuilt = obj.get_config() if hasattr(obj, "get_config") else vars(obj)
    for key, value in kwargs.items():
        if key in rebuilt and (rebuilt[key] != value or type(rebuilt[key]) is bool
                               and type(value) is not bool):
            raise _fail(path, f"{what} setting {key}={value!r} is not valid "
                              f"(it would be rebuilt as {rebuilt[key]!r})")
    return obj


def _check_keys(mapping: dict[str, Any], allowed: set[str], what: str, path: Path) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise _fail(path, f"the {what} has unknown entries {unknown}; "
                          f"expected only {sorted(allowed)}")
