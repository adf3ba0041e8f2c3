"""Save and load models: safetensors files holding the weights and, as JSON, the architecture.

No pickle anywhere: the architecture is a JSON document and the weights are
plain numeric arrays, so loading a file from a stranger can build only
glassnet's registered layers, losses and optimizers, never run code.

What ``save`` writes
--------------------
One safetensors file (``glassnet.io.safetensors``; the format PyTorch and the
Hugging Face hub use, readable by the official ``safetensors`` package)::

    [8-byte little-endian header length][JSON header][tensor bytes]

* always: the architecture (layers and their settings, loss, task, dtype,
  input shape; ``glassnet.io.schema``), every parameter (``"param/0.W"``,
  ...), the non-trainable state (``"state/1.running_mean"``, ...), the
  glassnet version, and a SHA-256 digest of the metadata and of each tensor;
* the notes the network carries (``network.metadata``: what ``load`` read,
  e.g. the data set, input scaling and class names the command line
  stored), updated by ``save``'s ``metadata``;
* with ``optimizer=``: its class, settings, step count and its slots for
  each parameter it has stepped (``"optim/m/0.W"``, ...;
  ``glassnet.io.optimizer_state``), and when it is the network's own
  optimizer after ``fit``, the training state the network owns (the
  shuffling and Dropout generators, epoch, step, history), as a checkpoint
  holds it: ``load`` then puts all of it back, and ``fit(...,
  initial_epoch=...)`` continues as if never interrupted.

``load`` checks the digest, every array's name, dtype and shape and every
size the architecture declares before it builds anything or uses any
array; it refuses NaN or infinity in the weights, state or optimizer
slots unless ``allow_non_finite=True``. Files of format version 1
(``.npz``, ``glassnet.io.legacy``) and 2 still load; glassnet writes only
the current version. Saving writes a temporary file beside the
destination, fsyncs it and renames it over the destination in one step, so
a crash leaves the previous file whole.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelFormatError
from ..network import Network
from ..optimizers import Optimizer
from .info import is_zip, model_info, not_a_model
from .legacy import read_version_1
from .meta import FORMAT_NAME, FORMAT_VERSION, checked_meta, encode_entry, meta_from_strings
from .optimizer_state import describe_optimizer, rebuild_optimizer
from .safetensors import read_tensors, write_safetensors
from .schema import Budget, describe_network, fail, rebuild_network

if TYPE_CHECKING:
    from typing import Protocol

    class Facade(Protocol):
        """A class that presents a Network under other names (e.g. the book's network)."""

        facade_name: str
        network: Network

        def get_config(self) -> dict[str, Any]: ...

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save", "load", "info", "model_info",
           "register_facade", "save_checkpoint", "load_checkpoint"]

#: facade name -> class; a facade registers itself (the core never imports one)
FACADES: dict[str, Any] = {}
TRAINING_PREFIX = "training/"  # arrays of a checkpoint's training state
_PREFIX = {"param": "param/", "state": "state/"}
_TRAINING_DTYPES = ("float32", "float64", "int64", "int32", "uint8", "bool")
info = model_info


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


# -- saving ------------------------------------------------------------------
def save(model: Network | Facade, path: str | os.PathLike[str], *,
         optimizer: Optimizer | None = None, metadata: dict[str, Any] | None = None,
         training: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture, hyper-parameters and weights) to one safetensors file.

    Parameters
    ----------
    model : a ``glassnet.Network`` (registered layers and losses) or a
        registered facade of one, such as ``glassnet.classic.NeuralNetwork``
    path : where to write; used exactly as given (no suffix is appended;
        ``.safetensors`` is the suggested one). An existing file is replaced
        atomically and keeps its permissions. A ``.npz`` path is refused:
        that older format is read, no longer written.
    optimizer : also store this optimizer's settings and state (e.g.
        ``network.optimizer``, which ``fit`` sets) and, when it is the
        network's own, the network's training state, so that training can
        resume; ``load`` then attaches them. Not stored unless given: a file
        for inference stays the size of the weights.
    metadata : JSON-serialisable notes (e.g. the data set and the input
        scaling it was trained with), added to (and overriding) the notes
        the network carries in ``network.metadata``; ``model_info`` returns
        them. At most 16 MB as JSON, no string over a million characters.
    training : JSON-serialisable training state (``glassnet.training``
        writes it); ``load(path, with_training=True)`` returns it.

    Returns
    -------
    The path written, as a ``Path``.

    Raises
    ------
    TypeError, ValueError : anything ``load`` would refuse (an unregistered
        class, a setting that is not JSON, a constructor with ``**kwargs``,
        notes beyond the caps), before anything is written

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
    if final.suffix.lower() == ".npz":
        raise ValueError(f"{final}: glassnet no longer writes .npz model files (it still reads "
                         f"them); save to a .safetensors path, e.g. "
                         f"{final.with_suffix('.safetensors')}")
    net, facade = _network_of(model, optimizer)
    arrays: dict[str, NDArray] = {}
    if training is None and optimizer is not None and optimizer is net.optimizer \
            and net.training_state is not None:
        from ..training.checkpoints import training_record

        training, arrays = training_record(net)
    notes = {**getattr(net, "metadata", {}), **_checked_dict(metadata, "metadata")}
    return _write(final, net, optimizer, facade=facade, notes=notes,
                  training=_checked_dict(training, "training") or None, arrays=arrays)


def _network_of(model: Any, optimizer: Optimizer | None
                ) -> tuple[Network, dict[str, Any] | None]:
    if isinstance(model, Network):
        return model, None
    if FACADES.get(str(getattr(model, "facade_name", ""))) is type(model):
        if optimizer is not None:
            raise ValueError(f"{type(model).__name__} keeps its own training rule, saved with "
                             "its settings; do not pass optimizer=")
        return model.network, {"name": model.facade_name, "config": model.get_config()}
    raise TypeError(f"save takes a glassnet.Network or a registered facade such as "
                    f"glassnet.classic.NeuralNetwork, got {type(model).__name__}")


def _checked_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, got {type(value).__name__}")
    return value


def _write(final: Path, net: Network, optimizer: Optimizer | None, *,
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
    tensors = {_PREFIX["param"] + k: np.ascontiguousarray(v) for k, v in net.parameters.items()}
    tensors.update((_PREFIX["state"] + k, np.ascontiguousarray(v)) for k, v in net.named_state())
    if optimizer is not None:
        spec, slots = describe_optimizer(optimizer, net)
        strings["optimizer"] = encode_entry(spec, "the optimizer")
        tensors.update(slots)
    if training is not None:
        strings["training"] = encode_entry(training, "training")
        listed = {}
        for name, value in arrays.items():
            value = np.ascontiguousarray(value)
            if value.dtype.name not in _TRAINING_DTYPES or not isinstance(name, str):
                raise TypeError(f"training array {name!r} must be numeric, got {value.dtype}")
            tensors[TRAINING_PREFIX + name] = value
            listed[name] = [value.dtype.name, list(value.shape)]
        strings["training_arrays"] = encode_entry(listed, "the training arrays")
    if facade is not None:
        strings["facade"] = encode_entry(facade, "the facade's settings")
    if notes:
        strings["user"] = encode_entry(notes, "metadata")
    return write_safetensors(final, tensors, metadata=strings)


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

    Raises
    ------
    ValueError : a weight, state or optimizer slot holds NaN or infinity
        (the previous checkpoint, if any, is left as it was)
    """
    if not isinstance(network, Network):
        raise TypeError(f"save_checkpoint takes a glassnet.Network, got "
                        f"{type(network).__name__}")
    if not isinstance(training, dict):
        raise TypeError(f"training must be a dict, got {type(training).__name__}")
    bad = _non_finite(network, network.optimizer)
    if bad:
        raise ValueError(f"not writing the checkpoint {path}: {bad} hold NaN or infinity "
                         "(training diverged); the previous checkpoint is kept. Lower the "
                         "learning rate or add gradient clipping, then resume from it")
    return _write(Path(path), network, network.optimizer, facade=None,
                  notes=dict(getattr(network, "metadata", {})), training=training,
                  arrays=dict(arrays or {}))


def load_checkpoint(path: str | os.PathLike[str]
                    ) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    """Read a file written by ``save_checkpoint``: ``(network, training, arrays)``.

    ``network.optimizer`` holds the optimizer with its state; ``training`` and
    ``arrays`` are what ``save_checkpoint`` was given. NaN or infinity in it is refused.
    """
    path = Path(path)
    model, meta, arrays = _load(path, allow_non_finite=False)
    training = meta.get("training")
    if not isinstance(training, dict):
        raise fail(path, "not a training checkpoint (no 'training' entry in its metadata); "
                         "BackupAndRestore and save_training write checkpoints")
    if not isinstance(model, Network) or model.optimizer is None:
        raise fail(path, "a training checkpoint must hold a network and its optimizer")
    return model, training, arrays


# -- loading -----------------------------------------------------------------
def load(path: str | os.PathLike[str], *, with_training: bool = False,
         allow_non_finite: bool = False) -> Any:
    """Read a model written by ``save`` (any format version); the type returned is the type saved.

    The digest, every array's dtype and shape and every size the
    architecture declares are checked before anything is built or any
    array used; nothing in the file is executed (JSON and numeric arrays
    only). If the file holds an optimizer, it is attached as
    ``network.optimizer`` (else that is None) and the stored training state
    as ``network.training_state``, so the next ``fit`` continues them; the
    notes are ``network.metadata`` and are saved again by ``save``.

    Parameters
    ----------
    with_training : also return the training state stored by a checkpoint
        (a dict, or None): ``model, training = load(path, with_training=True)``
    allow_non_finite : load weights, state or optimizer slots holding NaN or
        infinity (a model saved after training diverged), e.g. to inspect
        them; refused by default, since such a model predicts nothing useful

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : the file is not a glassnet model, is truncated or
        corrupt (its digest does not match), has an unknown format version,
        its contents disagree with its architecture, or it holds NaN or
        infinity; the message names the file and the problem
    """
    model, meta, _ = _load(Path(path), allow_non_finite=allow_non_finite)
    return (model, meta.get("training")) if with_training else model


def _load(path: Path, *, allow_non_finite: bool
          ) -> tuple[Any, dict[str, Any], dict[str, NDArray]]:
    """The model, its checked metadata, and a checkpoint's training arrays (by name)."""
    try:
        if is_zip(path):
            model, meta, targets = read_version_1(path, FACADES, _training_targets)
        else:
            model, meta, targets = _read_safetensors(path)
    except MemoryError:  # a last guard: the checks above bound every allocation by the file
        raise fail(path, "loading it needs more memory than this machine has") from None
    net = model if isinstance(model, Network) else model.network
    if not allow_non_finite:
        bad = _non_finite(net, net.optimizer)
        if bad:
            raise fail(path, f"{bad} hold NaN or infinity (the model was saved after training "
                             "diverged); load a file saved before it diverged, or pass "
                             "allow_non_finite=True to inspect it")
    net.metadata = dict(meta.get("metadata") or {})
    if isinstance(model, Network):
        _restore_training_state(model, meta.get("training"), path)
        model = _wrap_facade(model, meta.get("facade"), path)
    training_arrays = {k[len(TRAINING_PREFIX):]: v for k, v in targets.items()
                       if k.startswith(TRAINING_PREFIX)}
    return model, meta, training_arrays


def _read_safetensors(path: Path) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    built: dict[str, Any] = {}

    def expected(header: Any) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        built["header"] = header
        meta = checked_meta(meta_from_strings(header.metadata, path), path)
        budget = Budget(values=sum(math.prod(t.shape) for t in header.tensors.values()),
                        shapes={n[len(_PREFIX["param"]):]: t.shape
                                for n, t in header.tensors.items()
                                if n.startswith(_PREFIX["param"])})
        net = rebuild_network(meta["config"], budget, path)
        targets = {_PREFIX["param"] + k: v for k, v in net.parameters.items()}
        targets.update((_PREFIX["state"] + k, v) for k, v in net.named_state())
        net.optimizer = None
        if meta.get("optimizer") is not None:
            net.optimizer, slots = rebuild_optimizer(meta["optimizer"], net, path,
                                                     version=meta["format_version"])
            targets.update(slots)
        targets.update(_training_targets(meta.get("training_arrays"), path))
        built.update(meta=meta, net=net, targets=targets)
        return {name: (t.dtype, t.shape) for name, t in targets.items()}

    try:
        arrays, _ = read_tensors(path, expected)
    except ModelFormatError as exc:
        if "header" in built:
            raise
        raise not_a_model(path, str(exc).removeprefix(f"{path}: ")) from None
    targets = built["targets"]
    for name, value in arrays.items():
        targets[name][...] = value
    return built["net"], built["meta"], targets


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
              and all(type(n) is int and 0 <= n < 2**40 for n in spec[1]))
        if not ok:
            raise fail(path, f"training array {name[:80]!r} is listed as {str(spec)[:80]}; "
                             "expected [dtype, [sizes]]")
        dtype, shape = np.dtype(spec[0]), tuple(spec[1])
        total += dtype.itemsize * math.prod(shape)
        specs.append((name, dtype, shape))
    if total > path.stat().st_size:
        raise fail(path, f"the training arrays declare {total:,} bytes but the file holds "
                         f"only {path.stat().st_size:,}; it is truncated or crafted")
    return {TRAINING_PREFIX + name: np.zeros(shape, dtype) for name, dtype, shape in specs}


def _non_finite(net: Network, optimizer: Optimizer | None) -> list[str]:
    """Names of the parameters, state and optimizer slots holding NaN or infinity."""
    named = [*net.parameters.items(), *net.named_state()]
    if optimizer is not None:
        named += [(f"optimizer {slot} of {name}", v) for slot, values in optimizer.state.items()
                  for name, v in values.items()]
    return [name for name, value in named
            if value.dtype.kind == "f" and not np.isfinite(value).all()]


def _restore_training_state(net: Network, training: Any, path: Path) -> None:
    """Give ``net`` the training state stored with its optimizer (see ``save``)."""
    state = training.get("state") if isinstance(training, dict) else None
    if state is None or net.optimizer is None:
        return
    from ..training.state import TrainingState

    restored = TrainingState(rng=np.random.default_rng(0))
    try:
        restored.restore_json(state, net)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise fail(path, f"the stored training state cannot be restored: {exc}") from None
    net.training_state = restored
    lr = training.get("lr")
    if isinstance(lr, float) and math.isfinite(lr) and lr > 0:
        net.optimizer.lr = lr


def _wrap_facade(model: Network, spec: Any, path: Path) -> Any:
    if spec is None:
        return model
    if not isinstance(spec, dict) or set(spec) != {"name", "config"}:
        raise fail(path, f"'facade' must be {{'name': ..., 'config': {{...}}}}, got "
                         f"{str(spec)[:120]}")
    cls = FACADES.get(spec["name"]) if isinstance(spec["name"], str) else None
    if cls is None:
        raise fail(path, f"the model is stored for the facade {str(spec['name'])[:80]!r}, "
                         f"which is not registered (known: {sorted(FACADES)}); import it first")
    if not isinstance(spec["config"], dict):
        raise fail(path, "the facade's config must be a JSON object")
    try:
        return cls.from_network(model, spec["config"])
    except (ValueError, TypeError) as exc:
        raise fail(path, f"the {spec['name']} model cannot be rebuilt: {exc}") from exc
