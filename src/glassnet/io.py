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
from .layers import LAYERS
from .losses import LOSSES
from .network import TASKS, Network
from .optimizers import OPTIMIZERS, Optimizer

if TYPE_CHECKING:
    from typing import Protocol

    class Facade(Protocol):
        """A class that presents a Network under other names (e.g. the book's network)."""

        facade_name: str
        network: Network

        def get_config(self) -> dict[str, Any]: ...

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save", "load", "model_info", "register_facade",
           "save_checkpoint", "load_checkpoint"]

#: facade name -> class; a facade registers itself (the core never imports one)
FACADES: dict[str, Any] = {}


def register_facade(cls: Any) -> Any:
    """Let ``save`` and ``load`` handle a facade class (usable as a decorator).

    The class needs ``facade_name`` (a str), instances with ``network`` (the
    ``Network`` underneath) and ``get_config()``, and a classmethod
    ``from_network(network, config)`` that wraps a loaded network. It is
    saved as its network plus ``{"name": facade_name, "config": ...}``.
    """
    name = getattr(cls, "facade_name", None)
    if not isinstance(name, str) or not callable(getattr(cls, "from_network", None)):
        raise TypeError(f"{cls!r} needs a facade_name string and a from_network classmethod")
    FACADES[name] = cls
    return cls


def _optimizer_classes() -> dict[str, type[Optimizer]]:
    return {cls.__name__: cls for cls in OPTIMIZERS.values()}


FORMAT_NAME = "glassnet-model"
FORMAT_VERSION = 1
KINDS = ("network", "classic")
META_KEY = "__meta__"
OPTIMIZER_PREFIX = "optimizer/"
TRAINING_PREFIX = "training/"
_DTYPES = ("float32", "float64")
# Constructor arguments a file may not set: randomness and dtype come from
# elsewhere, and ``fused`` is how this machine runs an update, not part of a model.
_NOT_FROM_FILE = frozenset({"self", "rng", "seed", "dtype", "fused"})
_STATE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# What a damaged zip or .npy member raises while it is read.
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, OSError, ValueError,
            KeyError, NotImplementedError, OverflowError)


# -- saving ------------------------------------------------------------------
def save(model: Network | Facade, path: str | os.PathLike[str], *,
         optimizer: Optimizer | None = None, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture, hyper-parameters and weights) to one file.

    Parameters
    ----------
    model : a ``glassnet.Network`` (registered layers and losses) or a
        registered facade of one, such as ``glassnet.classic.NeuralNetwork``
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
    >>> net = Network([Dense(2, 3, seed=0)])
    >>> path = save(net, pathlib.Path(tempfile.mkdtemp()) / "net.npz")
    >>> np.array_equal(load(path).parameters["0.W"], net.parameters["0.W"])
    True
    """
    final = Path(path)
    if isinstance(model, Network):
        meta, arrays = _describe_network(model, optimizer)
    elif FACADES.get(str(getattr(model, "facade_name", ""))) is type(model):
        if optimizer is not None:
            raise ValueError(f"{type(model).__name__} keeps its own training rule, saved with "
                             "its settings; do not pass optimizer=")
        meta, arrays = _describe_network(model.network, None)
        meta["facade"] = {"name": model.facade_name, "config": model.get_config()}
    else:
        raise TypeError(f"save takes a glassnet.Network or a registered facade such as "
                        f"glassnet.classic.NeuralNetwork, got {type(model).__name__}")
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


# -- training checkpoints ------------------------------------------------------
def save_checkpoint(network: Network, path: str | os.PathLike[str], *,
                    training: dict[str, Any], arrays: dict[str, NDArray] | None = None) -> Path:
    """Write a model file that can resume training: the network, ``network.optimizer``,
    and the training state.

    Parameters
    ----------
    training : JSON-serialisable training state (epoch, step, generator
        states, history, callbacks' states: see
        ``glassnet.training.checkpoints``), stored as the metadata's
        ``"training"`` entry
    arrays : further arrays of that state (e.g. the best weights an
        EarlyStopping keeps), stored as ``"training/<name>"``

    Notes
    -----
    The file is a model file like ``save``'s (``load`` reads it and ignores
    the training part) and is written atomically.
    """
    final = Path(path)
    meta, stored = _describe_network(network, network.optimizer)
    meta["training"] = training
    for name, value in (arrays or {}).items():
        stored[TRAINING_PREFIX + name] = np.ascontiguousarray(value)
    try:
        text = json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the training state must hold only finite JSON values: {exc}") from exc
    stored[META_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)
    _write_atomically(final, stored)
    return final


def load_checkpoint(path: str | os.PathLike[str]
                    ) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    """Read a file written by ``save_checkpoint``: ``(network, training, arrays)``.

    ``network.optimizer`` holds the optimizer with its state; ``training`` and
    ``arrays`` are what ``save_checkpoint`` was given.
    """
    path = Path(path)
    with _open_npz(path) as npz:
        meta = _read_meta(npz, path)
        training = meta.get("training")
        if not isinstance(training, dict):
            raise _fail(path, "not a training checkpoint (no 'training' entry in its metadata); "
                              "it was written by glassnet.io.save, not save_checkpoint")
        arrays = {}
        for name in npz.files:
            if name.startswith(TRAINING_PREFIX):
                try:
                    arrays[name[len(TRAINING_PREFIX):]] = npz[name]
                except _CORRUPT as exc:
                    raise _fail(path, f"array {name!r} cannot be read ({exc})") from exc
    network = load(path)
    if not isinstance(network, Network):
        raise _fail(path, "a training checkpoint must hold a Network")
    return network, training, arrays


def _describe_network(net: Network, optimizer: Optimizer | None
                      ) -> tuple[dict[str, Any], dict[str, NDArray]]:
    if not net.built:
        raise ValueError("the network is not built yet, so it has no weights to save; "
                         "fit it or call build(input_shape) first")
    config = net.get_config()  # raises TypeError for a layer or loss that is not registered
    meta = _meta("network", config)
    arrays = {name: np.ascontiguousarray(value) for name, value in net.parameters.items()}
    arrays.update((name, np.ascontiguousarray(value)) for name, value in net.named_state())
    if optimizer is not None:
        meta["optimizer"] = _describe_optimizer(optimizer, net)
        for slot, flat in _flat_optimizer_state(optimizer, net).items():
            arrays[OPTIMIZER_PREFIX + slot] = flat
    return meta, arrays


def _file_order(net: Network) -> list[str]:
    """Parameter names in the order of the file's flat optimizer state: weights
    (decayed parameters) first, then the others, each in layer order."""
    names = list(net.parameters)
    decayed = net.decay_names
    return [n for n in names if n in decayed] + [n for n in names if n not in decayed]


def _flat_optimizer_state(opt: Optimizer, net: Network) -> dict[str, NDArray]:
    """Each state slot as one vector over every parameter, in ``_file_order``
    (zeros for a parameter the optimizer has not stepped yet)."""
    params = net.parameters
    flat = {}
    for slot, arrays in opt.state.items():
        if not arrays:
            continue  # not stepped yet
        parts = []
        for name in _file_order(net):
            value = arrays.get(name)
            parts.append(np.zeros(params[name].size, net.dtype) if value is None
                         else value.reshape(-1))
        flat[slot] = np.concatenate(parts) if parts else np.zeros(0, net.dtype)
    return flat


def _describe_optimizer(opt: Optimizer, net: Network) -> dict[str, Any]:
    if _optimizer_classes().get(type(opt).__name__) is not type(opt):
        raise TypeError(f"{opt!r} is not a registered optimizer and cannot be saved "
                        "(glassnet.optimizers.register_optimizer); "
                        f"use one of {sorted(_optimizer_classes())}")
    params = net.parameters
    for slot, arrays in opt.state.items():
        for name, value in arrays.items():
            if name not in params or value.shape != params[name].shape \
                    or value.dtype != net.dtype:
                raise ValueError(
                    f"{opt!r} holds {slot!r} state for {name!r} of shape {value.shape} "
                    f"({value.dtype}), which this network does not have; pass the optimizer "
                    "that trained this network")
    return {"class": type(opt).__name__, "config": opt.get_config(), "t": int(opt.t),
            "state": sorted(slot for slot, arrays in opt.state.items() if arrays)}


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
def load(path: str | os.PathLike[str]) -> Any:
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
    flat = {k[len(OPTIMIZER_PREFIX):]: v for k, v in targets.items()
            if k.startswith(OPTIMIZER_PREFIX)}
    return _finish(model, meta, optimizer, flat, path)


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
    found = {n for n in npz.files if not n.startswith(TRAINING_PREFIX)} - {META_KEY}
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
           ) -> tuple[Any, dict[str, NDArray], Optimizer | None]:
    """The model from its metadata, and the arrays to fill: name -> destination (a view)."""
    if meta["kind"] == "classic":  # the book's network as files of glassnet 0.1 stored it
        facade = _facade("classic", path)
        if meta.get("optimizer") is not None:
            raise _fail(path, "a classic network has no separate optimizer, but one is stored")
        model = _construct(facade, meta["config"], "the classic network", path)
        return model, facade.legacy_arrays(model), None
    net = _build_network(meta["config"], path)
    targets = dict(net.parameters)
    targets.update(net.named_state())
    optimizer = None
    if meta.get("optimizer") is not None:
        optimizer, flat = _build_optimizer(meta["optimizer"], net, path)
        targets.update({OPTIMIZER_PREFIX + slot: value for slot, value in flat.items()})
    return net, targets, optimizer


def _facade(name: Any, path: Path) -> Any:
    cls = FACADES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise _fail(path, f"the model is stored for the facade {name!r}, which is not "
                          f"registered (known: {sorted(FACADES)}); import it first")
    return cls


def _finish(model: Any, meta: dict[str, Any], optimizer: Optimizer | None,
            flat: dict[str, NDArray], path: Path) -> Any:
    """Split the flat optimizer state per parameter and wrap the network in its facade."""
    if not isinstance(model, Network):
        return model
    if optimizer is not None:
        _scatter_optimizer_state(optimizer, flat, model)
    model.optimizer = optimizer  # None when the file holds no optimizer
    spec = meta.get("facade")
    if spec is None:
        return model
    if not isinstance(spec, dict) or set(spec) != {"name", "config"}:
        raise _fail(path, f"'facade' must be {{'name': ..., 'config': {{...}}}}, got {spec!r}")
    try:
        return _facade(spec["name"], path).from_network(model, spec["config"])
    except (ValueError, TypeError) as exc:
        raise _fail(path, f"the {spec['name']} model cannot be rebuilt: {exc}") from exc


# Files of glassnet 0.1 kept Adam's moments without their (1 - beta) factors.
_LEGACY_SLOTS = {"m_sum": ("m", "beta1"), "v_sum": ("v", "beta2")}


def _scatter_optimizer_state(opt: Optimizer, flat: dict[str, NDArray], net: Network) -> None:
    params = net.parameters
    opt.state = {slot: {} for slot in opt.slots}
    for slot, vector in flat.items():
        scale = None
        if slot in _LEGACY_SLOTS:
            slot, beta = _LEGACY_SLOTS[slot]
            scale = vector.dtype.type(1.0 - getattr(opt, beta))
        start = 0
        for name in _file_order(net):
            size = params[name].size
            value = aligned_zeros(size, vector.dtype)
            value[...] = vector[start:start + size]
            if scale is not None:
                value *= scale
            opt.state.setdefault(slot, {})[name] = value.reshape(params[name].shape)
            start += size


def _build_network(config: dict[str, Any], path: Path) -> Network:
    _check_keys(config, {"layers", "loss", "loss_config", "task", "dtype", "input_shape"},
                "config", path)
    dtype = config.get("dtype")
    if dtype not in _DTYPES:
        raise _fail(path, f"unknown dtype {dtype!r}; expected one of {list(_DTYPES)}")
    specs = config.get("layers")
    if not isinstance(specs, list) or not specs:
        raise _fail(path, f"'layers' must be a non-empty list, got {specs!r}")
    _check_declared_size(specs, np.dtype(dtype).itemsize, path)
    layers = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not {"class", "config"} <= set(spec) \
                or not set(spec) <= {"class", "config", "trainable"}:
            raise _fail(path, f"layer {i} must be {{'class': ..., 'config': {{...}}}}, "
                              f"got {spec!r}")
        cls = LAYERS.get(spec["class"]) if isinstance(spec["class"], str) else None
        if cls is None:
            raise _fail(path, f"layer {i} has unknown class {spec['class']!r}; "
                              f"known layers are {sorted(LAYERS)}")
        takes_dtype = "dtype" in inspect.signature(cls).parameters
        fixed = {"dtype": np.dtype(dtype)} if takes_dtype else {}
        layer = _construct(cls, spec["config"], f"layer {i} {spec['class']}", path, fixed)
        trainable = spec.get("trainable", True)
        if not isinstance(trainable, bool):
            raise _fail(path, f"layer {i}'s 'trainable' must be true or false, got {trainable!r}")
        layer.trainable = trainable
        layers.append(layer)
    input_shape = config.get("input_shape")
    if input_shape is not None and (
            not isinstance(input_shape, list) or not input_shape
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 < s < 2**31
                       for s in input_shape)):
        raise _fail(path, f"'input_shape' must be a list of positive sizes, got {input_shape!r}")
    loss_name = config.get("loss")
    loss_cls = LOSSES.get(loss_name) if isinstance(loss_name, str) else None
    if loss_cls is None:
        raise _fail(path, f"unknown loss {loss_name!r}; known losses are {sorted(LOSSES)}")
    loss = _construct(loss_cls, config.get("loss_config", {}), f"loss {loss_name}", path)
    task = config.get("task")
    if task not in TASKS and task is not None:
        raise _fail(path, f"unknown task {task!r}; expected one of {list(TASKS)}")
    try:
        return Network(layers, loss=loss, task=task, input_shape=input_shape,
                       dtype=np.dtype(dtype))
    except (ValueError, TypeError) as exc:
        raise _fail(path, f"the stored layers do not form a network: {exc}") from exc


def _build_optimizer(spec: Any, net: Network, path: Path
                     ) -> tuple[Optimizer, dict[str, NDArray]]:
    if not isinstance(spec, dict):
        raise _fail(path, f"'optimizer' must be a JSON object or null, got {spec!r}")
    _check_keys(spec, {"class", "config", "t", "state"}, "optimizer", path)
    name = spec.get("class")
    cls = _optimizer_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise _fail(path, f"unknown optimizer class {name!r}; "
                          f"known optimizers are {sorted(_optimizer_classes())}")
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
    current = sorted(names) == sorted(optimizer.slots)
    legacy = sorted(names) == sorted(_LEGACY_SLOTS) and type(optimizer).__name__ == "Adam"
    if names and not (current or legacy):  # none before the first step
        raise _fail(path, f"{optimizer!r} keeps the state {list(optimizer.slots)} but the "
                          f"file holds {names}; it was written by another version of glassnet")
    optimizer.t = t
    return optimizer, {n: aligned_zeros(net.n_parameters, net.dtype) for n in names}


def _check_declared_size(specs: list[Any], itemsize: int, path: Path) -> None:
    """Refuse, before building anything, an architecture whose weights the file cannot hold.

    Every weight must be stored in the file, so a file declaring more weight
    bytes than it has is lying; building its layers first would allocate
    (and randomly fill) whatever it declares.
    """
    declared = 0
    for spec in specs:
        config = spec.get("config") if isinstance(spec, dict) else None
        if isinstance(config, dict) and spec.get("class") == "Dense":
            n_in, n_out = config.get("n_in"), config.get("n_out")
            if isinstance(n_in, int) and isinstance(n_out, int) and n_in > 0 and n_out > 0:
                declared += n_in * n_out * itemsize
    size = path.stat().st_size
    if declared > size:
        raise _fail(path, f"the architecture declares {declared:,} bytes of weights but the "
                          f"file holds only {size:,} bytes; it is truncated or crafted")


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
