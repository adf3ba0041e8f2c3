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

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from ..network import Network
from ..optimizers import Optimizer
from .info import model_info
from .meta import FORMAT_NAME, FORMAT_VERSION
from .reader import FACADES, non_finite, read_model
from .schema import fail
from .writer import write

if TYPE_CHECKING:
    from typing import Protocol

    class Facade(Protocol):
        """A class that presents a Network under other names (e.g. the book's network)."""

        facade_name: str
        network: Network

        def get_config(self) -> dict[str, Any]: ...

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save", "load", "info", "model_info",
           "register_facade", "save_checkpoint", "load_checkpoint"]

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
         training: dict[str, Any] | None = None, allow_non_finite: bool = False) -> Path:
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
    allow_non_finite : write weights, state or optimizer slots holding NaN
        or infinity (a diverged run, kept to be inspected); ``load`` then
        needs ``allow_non_finite=True`` as well. By default they are refused.

    Returns
    -------
    The path written, as a ``Path``.

    Raises
    ------
    TypeError, ValueError : anything ``load`` would refuse (an unregistered
        class, a setting that is not JSON, a constructor with ``**kwargs``,
        notes beyond the caps, NaN or infinite values), before anything is
        written

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
    bad = [] if allow_non_finite else non_finite(net, optimizer)
    if bad:
        raise ValueError(f"not writing {final}: {bad} hold NaN or infinity (training "
                         "diverged), and load refuses such files; save the network from "
                         "before it diverged (a checkpoint), or pass allow_non_finite=True to "
                         "keep it for inspection (load then needs allow_non_finite=True too)")
    arrays: dict[str, NDArray] = {}
    if training is None and optimizer is not None and optimizer is net.optimizer \
            and net.training_state is not None:
        from ..training.checkpoints import training_record

        training, arrays = training_record(net)
    notes = {**_checked_dict(getattr(net, "metadata", None), "network.metadata"),
             **_checked_dict(metadata, "metadata")}
    return write(final, net, optimizer, facade=facade, notes=notes,
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
    bad = non_finite(network, network.optimizer)
    if bad:
        raise ValueError(f"not writing the checkpoint {path}: {bad} hold NaN or infinity "
                         "(training diverged); the previous checkpoint is kept. Lower the "
                         "learning rate or add gradient clipping, then resume from it")
    return write(Path(path), network, network.optimizer, facade=None,
                  notes=dict(getattr(network, "metadata", {})), training=training,
                  arrays=dict(arrays or {}))


def load_checkpoint(path: str | os.PathLike[str]
                    ) -> tuple[Network, dict[str, Any], dict[str, NDArray]]:
    """Read a file written by ``save_checkpoint``: ``(network, training, arrays)``.

    ``network.optimizer`` holds the optimizer with its state; ``training`` and
    ``arrays`` are what ``save_checkpoint`` was given. NaN or infinity in it is refused.
    """
    path = Path(path)
    model, meta, arrays = read_model(path, allow_non_finite=False)
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
    model, meta, _ = read_model(Path(path), allow_non_finite=allow_non_finite)
    return (model, meta.get("training")) if with_training else model


