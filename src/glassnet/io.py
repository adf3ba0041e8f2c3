"""Save and load models: safetensors files holding the weights and, as JSON, the architecture.

No pickle anywhere: the architecture is a JSON document and the weights are
plain numeric arrays, so loading a file from a stranger can build only
glassnet's registered layers, losses and optimizers, never run code.

File format (version 2, the default)
------------------------------------
A safetensors file (``glassnet._safetensors``; the format PyTorch and the
Hugging Face hub use, readable by the official ``safetensors`` package)::

    [8-byte little-endian header length][JSON header][tensor bytes]

The header's ``__metadata__`` (string values only) holds ``"format":
"glassnet"``, ``"format_version": "2"``, ``"glassnet_version"``, and as
JSON text: ``"model"`` (``Network.get_config()``: layers, loss, task, dtype,
input shape), and when present ``"optimizer"`` (class, settings, step
count), ``"training"`` (the training state a checkpoint needs to resume),
``"facade"`` (e.g. the book's network: ``{"name": "classic", "config":
...}``) and ``"user"`` (the ``metadata`` given to ``save``). The tensors are
``"param/0.W"``, ``"param/0.b"``, ... (every parameter by its name in the
network), ``"state/1.running_mean"``, ... (non-trainable state) and
``"optim/m/0.W"``, ... (each optimizer slot of each parameter).

Version 1 (``.npz``)
--------------------
An uncompressed NumPy ``.npz`` archive, as glassnet 0.1 wrote it: a
``__meta__`` member (UTF-8 JSON: format ``"glassnet-model"``, version 1,
``kind``, ``config``, ``optimizer``, ``metadata``), one array per parameter
and state (``"0.W"``, ...), the optimizer's state as one flat array per slot
(``"optimizer/m"``, ...; weights first, then the other parameters, each in
layer order), and for the book's network of glassnet 0.1 ``"wih"`` and
``"who"``. ``save`` writes it for a path ending in ``.npz`` (as Keras
writes its legacy format for ``.h5``); ``load`` reads it through a
hardened reader (``glassnet._npz_legacy``).

Either way the architecture implies every array's name, dtype and shape;
``load`` checks all of them before it reads any, and refuses missing or
unexpected arrays. Saving writes a temporary file beside the destination,
fsyncs it and renames it over the destination in one step, so a crash
leaves the previous file whole. The file is written at exactly the path
given; ``.safetensors`` is the suggested suffix.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._aligned import aligned_zeros
from ._atomic import atomic_write
from ._npz_legacy import read_legacy_meta, read_legacy_npz
from ._safetensors import read_header, read_tensors, write_safetensors
from ._strict_json import loads_strict
from .errors import ModelFormatError
from .layers import rebuild
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


FORMAT_NAME = "glassnet"  # version 2, in the safetensors metadata
FORMAT_VERSION = 2
LEGACY_FORMAT_NAME = "glassnet-model"  # version 1, the .npz files
KINDS = ("network", "classic")
META_KEY = "__meta__"
OPTIMIZER_PREFIX = "optimizer/"
_DTYPES = ("float32", "float64")
# Constructor arguments a file may not set: randomness and dtype come from
# elsewhere, and ``fused`` is how this machine runs an update, not part of a model.
_NOT_FROM_FILE = frozenset({"self", "rng", "seed", "dtype", "fused"})
_STATE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PREFIX = {"param": "param/", "state": "state/", "optim": "optim/"}  # version 2 tensor names
TRAINING_PREFIX = "training/"  # arrays of a checkpoint's training state, in both versions


# -- saving ------------------------------------------------------------------
def save(model: Network | Facade, path: str | os.PathLike[str], *,
         optimizer: Optimizer | None = None, metadata: dict[str, Any] | None = None,
         training: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture, hyper-parameters and weights) to one file.

    A path ending in ``.npz`` gets the version-1 format of glassnet 0.1;
    any other the safetensors format (version 2).

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
    training : JSON-serialisable training state (what a checkpoint needs to
        resume exactly; ``glassnet.training`` writes it); ``load(path,
        with_training=True)`` returns it.

    Returns
    -------
    The path written, as a ``Path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from glassnet import Network, Dense
    >>> net = Network([Dense(2, 3, seed=0)])
    >>> path = save(net, pathlib.Path(tempfile.mkdtemp()) / "net.safetensors")
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
    for key, value in (("metadata", metadata), ("training", training)):
        if value is not None:
            if not isinstance(value, dict):
                raise TypeError(f"{key} must be a dict, got {type(value).__name__}")
            meta[key] = value
    if final.suffix.lower() == ".npz":
        _write_version_1(final, meta, arrays)
    else:
        _write_version_2(final, meta, arrays)
    return final


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold only JSON values (str, numbers, lists, dicts), "
                         f"finite: {exc}") from exc


def _write_version_1(final: Path, meta: dict[str, Any], arrays: dict[str, NDArray]) -> None:
    meta = {**meta, "format": LEGACY_FORMAT_NAME, "format_version": 1}
    meta.pop("_state_names", None)
    arrays = dict(arrays)
    for name in [n for n in arrays if n.startswith(_PREFIX["optim"])]:
        del arrays[name]  # version 1 keeps the optimizer state flat (added below)
    for slot, flat in meta.pop("_flat_optimizer", {}).items():
        arrays[OPTIMIZER_PREFIX + slot] = flat
    text = _json(meta, "metadata")
    arrays[META_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)
    with atomic_write(final) as f:
        # A file object, not a name: np.savez would append ".npz" to a name.
        np.savez(f, **arrays)  # type: ignore[arg-type]


def _write_version_2(final: Path, meta: dict[str, Any], arrays: dict[str, NDArray]) -> None:
    strings = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
               "glassnet_version": str(meta["glassnet_version"]),
               "model": _json(meta["config"], "the architecture")}
    for key, name in (("optimizer", "optimizer"), ("training", "training"),
                      ("training_arrays", "training_arrays"), ("facade", "facade"),
                      ("metadata", "user")):
        if meta.get(key) is not None:
            strings[name] = _json(meta[key], key)
    tensors = {}
    for name, value in arrays.items():
        if name.startswith((_PREFIX["optim"], TRAINING_PREFIX)):
            tensors[name] = value
        else:
            kind = "state" if name in meta["_state_names"] else "param"
            tensors[_PREFIX[kind] + name] = value
    write_safetensors(final, tensors, metadata=strings)


# -- training checkpoints ------------------------------------------------------
def save_checkpoint(network: Network, path: str | os.PathLike[str], *,
                    training: dict[str, Any], arrays: dict[str, NDArray] | None = None) -> Path:
    """Write a model file that can resume training: the network, ``network.optimizer``
    and the training state.

    Parameters
    ----------
    training : JSON-serialisable training state (epoch, step, generator
        states, history, callbacks' states: see
        ``glassnet.training.checkpoints``), stored as the metadata's
        ``"training"`` entry
    arrays : further arrays of that state (e.g. the best weights an
        EarlyStopping keeps), stored as ``"training/<name>"``; their dtypes
        and shapes are listed in the metadata, so the reader checks them
        like every other array

    Notes
    -----
    The file is a model file like ``save``'s, in the same two formats
    (``load`` reads it and leaves the training part aside), written atomically.
    """
    if not isinstance(network, Network):
        raise TypeError(f"save_checkpoint takes a glassnet.Network, got "
                        f"{type(network).__name__}")
    if not isinstance(training, dict):
        raise TypeError(f"training must be a dict, got {type(training).__name__}")
    final = Path(path)
    meta, stored = _describe_network(network, network.optimizer)
    meta["training"] = training
    listed = {}
    for name, value in (arrays or {}).items():
        value = np.ascontiguousarray(value)
        if value.dtype.kind not in "biuf" or not isinstance(name, str):
            raise TypeError(f"training array {name!r} must be numeric, got {value.dtype}")
        stored[TRAINING_PREFIX + name] = value
        listed[name] = [str(value.dtype), list(value.shape)]
    meta["training_arrays"] = listed
    if final.suffix.lower() == ".npz":
        _write_version_1(final, meta, stored)
    else:
        _write_version_2(final, meta, stored)
    return final


def load_checkpoint(path: str | os.PathLike[str]
                    ) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    """Read a file written by ``save_checkpoint``: ``(network, training, arrays)``.

    ``network.optimizer`` holds the optimizer with its state; ``training`` and
    ``arrays`` are what ``save_checkpoint`` was given.
    """
    path = Path(path)
    model, meta, arrays = _load(path)
    training = meta.get("training")
    if not isinstance(training, dict):
        raise _fail(path, "not a training checkpoint (no 'training' entry in its metadata); "
                          "it was written by glassnet.io.save, not save_checkpoint")
    if not isinstance(model, Network):
        raise _fail(path, "a training checkpoint must hold a Network")
    return model, training, arrays


def _describe_network(net: Network, optimizer: Optimizer | None
                      ) -> tuple[dict[str, Any], dict[str, NDArray]]:
    if not net.built:
        raise ValueError("the network is not built yet, so it has no weights to save; "
                         "fit it or call build(input_shape) first")
    config = net.get_config()  # raises TypeError for a layer or loss that is not registered
    meta = _meta("network", config)
    arrays = {name: np.ascontiguousarray(value) for name, value in net.parameters.items()}
    arrays.update((name, np.ascontiguousarray(value)) for name, value in net.named_state())
    meta["_state_names"] = [name for name, _ in net.named_state()]  # not written as such
    if optimizer is not None:
        meta["optimizer"] = _describe_optimizer(optimizer, net)
        meta["_flat_optimizer"] = _flat_optimizer_state(optimizer, net)
        for slot, values in optimizer.state.items():
            if not values:
                continue  # not stepped yet
            # every parameter has its slot in the file, a frozen (never stepped) one as zeros,
            # the state a first step would start from: the reader expects them all
            for name, param in net.parameters.items():
                value = values.get(name)
                arrays[f"{_PREFIX['optim']}{slot}/{name}"] = (
                    np.zeros_like(param) if value is None else np.ascontiguousarray(value))
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
            "state": sorted(slot for slot, arrays in opt.state.items() if arrays),
            "steps": {name: int(n) for name, n in opt._steps().items() if name in params}}


def _meta(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    from . import __version__

    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": kind,
            "glassnet_version": __version__, "config": config, "optimizer": None}


# -- loading -----------------------------------------------------------------
def load(path: str | os.PathLike[str], *, with_training: bool = False) -> Any:
    """Read a model written by ``save`` (either format); the type returned is the type saved.

    Every array is checked against the dtype and shape the architecture
    implies before any is read; nothing in the file is executed (JSON and
    numeric arrays only). If the file holds an optimizer, it is attached as
    ``network.optimizer`` (else that is None), and the next ``fit``
    continues it.

    Parameters
    ----------
    with_training : also return the training state stored by a checkpoint
        (a dict, or None): ``model, training = load(path, with_training=True)``

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : the file is not a glassnet model, is truncated or
        corrupt, has an unknown format version, or its contents disagree with
        its architecture; the message names the file and the problem
    """
    model, meta, _ = _load(Path(path))
    return (model, meta.get("training")) if with_training else model


def _load(path: Path) -> tuple[Any, dict[str, Any], dict[str, NDArray]]:
    """The model, its checked metadata, and a checkpoint's training arrays (by name)."""
    built: dict[str, Any] = {}

    def expected(meta: dict[str, Any]) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        meta = _checked_meta(meta, path)
        model, targets, optimizer = _build(meta, path)
        built.update(meta=meta, model=model, targets=targets, optimizer=optimizer)
        return {name: (t.dtype, t.shape) for name, t in targets.items()}

    if _is_zip(path):
        _, arrays = read_legacy_npz(path, expected, meta_name=META_KEY)
    else:
        header = _read_header(path)
        arrays, _ = read_tensors(path, expected(_meta_from_strings(header.metadata, path)))
    targets = built["targets"]
    for name, value in arrays.items():
        targets[name][...] = value
    meta = built["meta"]
    flat = {k[len(OPTIMIZER_PREFIX):]: v for k, v in targets.items()
            if k.startswith(OPTIMIZER_PREFIX)}
    model = _finish(built["model"], meta, built["optimizer"], flat, path)
    training_arrays = {k[len(TRAINING_PREFIX):]: v for k, v in targets.items()
                       if k.startswith(TRAINING_PREFIX)}
    return model, meta, training_arrays


def model_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a saved model from its metadata alone: no weights are read, nothing is built.

    Returns
    -------
    dict with ``path``, ``kind``, ``format_version``, ``glassnet_version``,
    ``layers`` (each layer as its class and settings), ``n_parameters``,
    ``n_in``, ``n_out``, ``dtype``, ``loss``, ``task``, ``optimizer`` (class
    and settings, or None), ``config`` (the architecture as stored),
    ``metadata`` (what ``save`` was given, or None), ``facade`` and
    ``training`` (whether the file can resume training).
    """
    path = Path(path)
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    if _is_zip(path):
        meta = _checked_meta(read_legacy_meta(path, meta_name=META_KEY), path)
    else:
        header = _read_header(path)
        meta = _checked_meta(_meta_from_strings(header.metadata, path), path)
        tensors = {name: (str(t.dtype), t.shape) for name, t in header.tensors.items()}
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


def _fail(path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


def _is_zip(path: Path) -> bool:
    """Whether the file starts as every zip (every .npz) does; FileNotFoundError if absent."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a model file") from None


def _read_header(path: Path) -> Any:
    """The safetensors header of a file that is not a zip, or a clear refusal."""
    try:
        return read_header(path)
    except ModelFormatError as exc:
        detail = str(exc).removeprefix(f"{path}: ")
        raise _fail(path, f"not a glassnet model file, or a truncated or corrupt one: it is "
                          f"neither an .npz archive nor a readable safetensors file ({detail})"
                          ) from None


def _meta_from_strings(strings: dict[str, str], path: Path) -> dict[str, Any]:
    """The version-2 metadata (string values, some JSON) as the dict the loader checks."""
    if strings.get("format") != FORMAT_NAME:
        raise _fail(path, f"not a glassnet model file (its safetensors metadata has format "
                          f"{strings.get('format')!r}, expected {FORMAT_NAME!r}); "
                          "glassnet.io.save writes these files")
    try:
        version = int(strings.get("format_version", ""))
    except ValueError:
        raise _fail(path, f"format_version must be a positive integer, got "
                          f"{strings.get('format_version')!r}") from None
    meta: dict[str, Any] = {"format": FORMAT_NAME, "format_version": version, "kind": "network",
                            "glassnet_version": strings.get("glassnet_version")}
    allowed = {"format", "format_version", "glassnet_version", "model", "optimizer", "training",
               "training_arrays", "facade", "user"}
    unknown = sorted(set(strings) - allowed)
    if unknown and version == FORMAT_VERSION:
        raise _fail(path, f"the metadata has unknown entries {unknown}; expected only "
                          f"{sorted(allowed)}")
    for key, name in (("config", "model"), ("optimizer", "optimizer"), ("training", "training"),
                      ("training_arrays", "training_arrays"), ("facade", "facade"),
                      ("metadata", "user")):
        if name in strings:
            try:
                meta[key] = loads_strict(strings[name].encode("utf-8"))
            except ValueError as exc:
                raise _fail(path, f"the metadata's {name!r} is not valid JSON ({exc})") from None
        elif key == "optimizer":
            meta[key] = None
    return meta


def _checked_meta(meta: Any, path: Path) -> dict[str, Any]:
    """The metadata, once its format, version, kind and architecture entry are as expected."""
    if not isinstance(meta, dict) or meta.get("format") not in (FORMAT_NAME, LEGACY_FORMAT_NAME):
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _fail(path, f"not a glassnet model file (format {found!r}, "
                          f"expected {FORMAT_NAME!r})")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(path, f"format_version must be a positive integer, got {version!r}")
    expected = 1 if meta["format"] == LEGACY_FORMAT_NAME else FORMAT_VERSION
    if version != expected:
        from . import __version__

        raise _fail(path, f"the file has model format version {version} (written by glassnet "
                          f"{meta.get('glassnet_version', '?')}); this glassnet {__version__} "
                          f"reads format versions 1 and {FORMAT_VERSION}; upgrade glassnet "
                          "to load it")
    if meta.get("kind") not in KINDS:
        raise _fail(path, f"unknown model kind {meta.get('kind')!r}; expected one of {list(KINDS)}")
    if not isinstance(meta.get("config"), dict):
        raise _fail(path, f"the metadata's 'config' must be a JSON object, "
                          f"got {meta.get('config')!r}")
    for key in ("metadata", "training", "facade", "training_arrays"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise _fail(path, f"the metadata's {key!r} must be a JSON object, got {meta[key]!r}")
    meta["_version"] = version
    return meta


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
    v2 = meta["_version"] == 2
    params = dict(net.parameters)
    states = dict(net.named_state())
    if v2:
        targets = {_PREFIX["param"] + k: v for k, v in params.items()}
        targets.update({_PREFIX["state"] + k: v for k, v in states.items()})
    else:
        targets = {**params, **states}
    optimizer = None
    if meta.get("optimizer") is not None:
        optimizer, flat = _build_optimizer(meta["optimizer"], net, path)
        if not v2:
            targets.update({OPTIMIZER_PREFIX + slot: value for slot, value in flat.items()})
        else:  # one array per slot and parameter, filled in place
            optimizer.state = {slot: {} for slot in optimizer.slots}
            for slot in flat:
                for name, p in params.items():
                    value = aligned_zeros(p.size, p.dtype).reshape(p.shape)
                    optimizer.state.setdefault(slot, {})[name] = value
                    targets[f"{_PREFIX['optim']}{slot}/{name}"] = value
    targets.update(_training_targets(meta.get("training_arrays"), path))
    return net, targets, optimizer


def _training_targets(listed: Any, path: Path) -> dict[str, NDArray]:
    """Zeroed destinations for a checkpoint's training arrays, as its metadata lists them.

    The declared sizes are checked against the file's size first: the file
    must hold every byte it declares, so nothing larger than it is allocated.
    """
    if not listed:
        return {}
    total, specs = 0, []
    for name, spec in listed.items():
        ok = (isinstance(spec, list) and len(spec) == 2 and spec[0] in _TRAINING_DTYPES
              and isinstance(spec[1], list) and len(spec[1]) <= 8
              and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40
                      for n in spec[1]))
        if not ok:
            raise _fail(path, f"training array {name!r} is listed as {spec!r}; expected "
                              "[dtype, [sizes]]")
        dtype, shape = np.dtype(spec[0]), tuple(spec[1])
        total += dtype.itemsize * int(np.prod(shape, dtype=np.float64))
        specs.append((name, dtype, shape))
    if total > path.stat().st_size:
        raise _fail(path, f"the training arrays declare {total:,} bytes but the file holds "
                          f"only {path.stat().st_size:,}; it is truncated or crafted")
    return {TRAINING_PREFIX + name: np.zeros(shape, dtype) for name, dtype, shape in specs}


_TRAINING_DTYPES = ("float32", "float64", "int64", "int32", "uint8", "bool")


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
    bad = [name for name, p in model.parameters.items() if not np.isfinite(p).all()]
    if bad:
        warnings.warn(f"{path}: the parameters {bad} hold NaN or infinity (the model was saved "
                      "after training diverged); predicting with it will raise. Load a file "
                      "saved before it diverged, or retrain", RuntimeWarning, stacklevel=4)
    if optimizer is not None and meta["_version"] == 1:
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
        try:
            layers.append(rebuild(spec, dtype=np.dtype(dtype), where=f"layer {i}"))
        except (ValueError, TypeError) as exc:
            raise _fail(path, str(exc)) from exc
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
    _check_keys(spec, {"class", "config", "t", "state", "steps"}, "optimizer", path)
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
    # each parameter's own step count; a file written before they were kept has none,
    # and each parameter with state is then taken to have made every step (Optimizer._steps)
    steps = spec.get("steps", {})
    if not isinstance(steps, dict) or not all(
            name in net.parameters and isinstance(n, int) and not isinstance(n, bool)
            and 0 <= n <= t for name, n in steps.items()):
        raise _fail(path, f"the optimizer's 'steps' must map parameter names to step counts "
                          f"in 0..{t}, got {steps!r}")
    optimizer.steps = dict(steps)
    return optimizer, {n: aligned_zeros(net.n_parameters, net.dtype) for n in names}


def _check_declared_size(specs: list[Any], itemsize: int, path: Path) -> None:
    """Refuse, before building anything, an architecture whose weights the file cannot hold.

    Every weight must be stored in the file, so a file declaring more weight
    bytes than it has is lying; building its layers first would allocate
    (and randomly fill) whatever it declares.
    """
    declared = 0
    pending = list(specs)
    while pending:  # the layers and, inside containers, their sub-layers
        spec = pending.pop()
        config = spec.get("config") if isinstance(spec, dict) else None
        if not isinstance(config, dict):
            continue
        for value in config.values():
            pending.extend(v for v in (value if isinstance(value, list) else [value])
                           if isinstance(v, dict))
        if spec.get("class") == "Dense":
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
