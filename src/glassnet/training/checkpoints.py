"""Callbacks that write files: ``ModelCheckpoint`` (models worth keeping) and
``BackupAndRestore`` (resume a run killed at any moment).

Every file is written atomically (``glassnet._atomic``): a crash while
saving leaves the previous file whole.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_choice, check_positive_int
from ..errors import BackupMismatchError, BackupMismatchWarning
from .callbacks import Callback, monitor_direction
from .fingerprint import differences, network_differences
from .fingerprint import fingerprint as make_fingerprint

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["BackupAndRestore", "ModelCheckpoint", "save_training", "restore_training",
           "training_record"]


class ModelCheckpoint(Callback):
    """Save the model (with its optimizer) at the end of epochs.

    Parameters
    ----------
    path : a file name, which may hold fields filled from the epoch's logs,
        e.g. ``"ckpt/model-{epoch:03d}-{val_loss:.4f}.safetensors"`` (``epoch`` is 1-based)
    monitor, mode : what ``save_best_only`` compares (as in ``EarlyStopping``)
    save_best_only : save only when ``monitor`` improves on the best so far
    every : save every ``every`` epochs (without ``save_best_only``)

    Attributes
    ----------
    saved : the paths written, in order
    best : the best value of ``monitor`` seen
    """

    chief_only = True

    def __init__(self, path: str | Path, *, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = False, every: int = 1) -> None:
        self.path = str(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = monitor_direction(monitor, mode, "ModelCheckpoint") if save_best_only \
            else mode
        self.every = check_positive_int(every, "every")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[Path] = []

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        from .. import io

        if self.save_best_only:
            if self.monitor not in logs:
                raise ValueError(f"ModelCheckpoint monitors {self.monitor!r} but the epoch "
                                 f"logged only {sorted(logs)}")
            value = float(logs[self.monitor])
            better = value > self.best if self.mode == "max" else value < self.best
            if not better:
                return
            self.best = value
        elif (epoch + 1) % self.every:
            return
        try:
            target = Path(self.path.format(epoch=epoch + 1, **logs))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint path {self.path!r} cannot be filled from "
                             f"epoch and the logs {sorted(logs)}: {exc}") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        self.saved.append(io.save(network, target, optimizer=network.optimizer))

    def get_state(self) -> dict[str, Any]:
        return {"best": None if math.isinf(self.best) else self.best}

    def set_state(self, state: dict[str, Any]) -> None:
        if state["best"] is not None:
            self.best = float(state["best"])


class BackupAndRestore(Callback):
    """Back up everything training needs at each epoch end; restore it when rerun.

    At the end of every epoch (or every ``every`` epochs) the file
    ``folder/backup.safetensors`` is replaced atomically by one holding the weights
    and non-trainable state, the optimizer with its moments, step count and
    current learning rate, the shuffling and Dropout generators' states, the
    epoch, the global step, the history so far, and the state of every
    callback that has one (``get_state``). When a run starts and that file
    exists, all of it is put back and training continues with the next
    epoch: rerunning the same script after a crash or a kill gives the same
    bits as a run that was never interrupted. The backup is deleted when
    training ends normally (not on an exception).

    The script must build the same network and call ``fit`` with the same
    arguments (data, optimizer class and settings, callbacks in the same
    order). A backup of a different network is refused (``BackupMismatchError``
    naming the file, the first layer that differs and the remedy), and so is
    one made with another optimizer. What the backup cannot see for itself
    (the data, the seed, the settings) it records as ``fingerprint``: give
    ``fingerprint={"X": X, "y": y, "seed": 0, ...}`` (JSON values and arrays;
    an array is recorded by its shape, dtype and SHA-256), and a backup made
    with another fingerprint is refused, or with ``on_mismatch="continue"``
    resumed with a ``BackupMismatchWarning`` (a ``TrainingWarning``) listing
    the differences.

    Parameters
    ----------
    folder : where ``backup.safetensors`` is written
    every : back up every ``every`` epochs (and when training stops)
    delete_on_end : delete the backup when training ends normally
    fingerprint : the data and settings of this run (see above); None
        records nothing and checks only the network and the optimizer
    on_mismatch : ``"raise"`` (default) or ``"continue"``: what a backup made
        with another fingerprint does
    """

    restores_training = True  # fit runs it last at every hook
    chief_only = True

    def __init__(self, folder: str | Path, *, every: int = 1, delete_on_end: bool = True,
                 fingerprint: Mapping[str, Any] | None = None,
                 on_mismatch: str = "raise") -> None:
        self.folder = Path(folder)
        self.every = check_positive_int(every, "every")
        self.delete_on_end = delete_on_end
        self.fingerprint = None if fingerprint is None else make_fingerprint(fingerprint)
        self.on_mismatch = check_choice(on_mismatch, ("raise", "continue"), "on_mismatch")
        self.restored_epoch: int | None = None

    @property
    def path(self) -> Path:
        return self.folder / "backup.safetensors"

    def on_train_begin(self, network: Network) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.restored_epoch = None
        # a kill during a save leaves the atomic writer's hidden temporary file
        # (the backup itself is whole): remove it
        for stale in self.folder.glob(f".{self.path.name}.*.part"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        if self.path.exists():
            restore_training(network, self.path, fingerprint=self.fingerprint,
                             on_mismatch=self.on_mismatch)
            state = network.training_state
            self.restored_epoch = None if state is None else state.epoch

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if (epoch + 1) % self.every == 0 or network.stop_training:
            save_training(network, self.path, fingerprint=self.fingerprint)

    def on_train_end(self, network: Network) -> None:
        state = network.training_state
        if self.delete_on_end and state is not None and not state.interrupted:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def _callback_key(i: int, cb: Any) -> str:
    return f"{i}.{type(cb).__name__}"


def training_record(network: Network) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON training state of ``network`` and its arrays, as a checkpoint stores them:
    the training state (generators, epoch, step, history), the learning rate, whether
    training was stopped, and the state of every callback of the running ``fit``."""
    state = network.training_state
    if state is None or network.optimizer is None:
        raise ValueError("the network has no training state yet; fit it first")
    training: dict[str, Any] = {"state": state.to_json(network), "lr": network.optimizer.lr,
                                "stopped": bool(network.stop_training), "callbacks": {}}
    arrays: dict[str, np.ndarray] = {}
    for i, cb in enumerate(state.callbacks):
        get_state = getattr(cb, "get_state", None)
        if get_state is None:
            continue
        key = _callback_key(i, cb)
        values = {}
        for name, value in get_state().items():
            if isinstance(value, np.ndarray):
                arrays[f"callbacks/{key}/{name}"] = value
            else:
                values[name] = value
        training["callbacks"][key] = values
    return training, arrays


def save_training(network: Network, path: str | Path, *,
                  fingerprint: Mapping[str, Any] | None = None) -> Path:
    """Write a checkpoint of ``network`` and its whole training state (see ``BackupAndRestore``).

    ``fingerprint`` (see ``glassnet.training.fingerprint``) is recorded with it.
    """
    from .. import io

    training, arrays = training_record(network)
    if fingerprint is not None:
        training["fingerprint"] = make_fingerprint(fingerprint)
    return io.save_checkpoint(network, path, training=training, arrays=arrays)


def restore_training(network: Network, path: str | Path, *,
                     fingerprint: Mapping[str, Any] | None = None,
                     on_mismatch: str = "raise") -> None:
    """Put back everything ``save_training`` wrote into ``network``, its optimizer,
    its training state and the running ``fit``'s callbacks.

    Raises
    ------
    BackupMismatchError
        The backup holds another network, or (with ``fingerprint`` and
        ``on_mismatch="raise"``) was made with another fingerprint.
    """
    from .. import io

    saved, training, arrays = io.load_checkpoint(path)
    opt, state = network.optimizer, network.training_state
    if opt is None or state is None:
        raise ValueError("restore_training continues a fit: call it from a callback's "
                         "on_train_begin (BackupAndRestore does)")
    _check_same_network(saved, network, path)
    loaded = saved.optimizer
    if loaded is None or type(loaded) is not type(opt):
        raise ValueError(f"{path} was written while training with {loaded!r}, but this fit "
                         f"uses {opt!r}; use the same optimizer, or delete the backup to "
                         "start afresh")
    if fingerprint is not None:
        _check_fingerprint(training.get("fingerprint"), make_fingerprint(fingerprint), path,
                           on_mismatch)
    network.set_weights(saved.get_weights())
    opt.state, opt.t, opt.lr = loaded.state, loaded.t, float(training["lr"])
    opt.steps = dict(loaded.steps)
    state.restore_json(training["state"], network)
    network.stop_training = bool(training["stopped"])
    saved_callbacks = training["callbacks"]
    for i, cb in enumerate(state.callbacks):
        key = _callback_key(i, cb)
        if key in saved_callbacks and hasattr(cb, "set_state"):
            prefix = f"callbacks/{key}/"
            values = dict(saved_callbacks[key])
            values.update((k[len(prefix):], v) for k, v in arrays.items()
                          if k.startswith(prefix))
            cb.set_state(values)


def _layer_text(entry: Any) -> str:
    """``Dense(n_in=784, n_out=64, ...)`` from one layer's entry of ``Network.get_config``."""
    if not isinstance(entry, dict):
        return repr(entry)
    config = entry.get("config") or {}
    args = ", ".join(f"{k}={v!r}" for k, v in config.items()) if isinstance(config, dict) \
        else repr(config)
    return f"{entry.get('class', '?')}({args})"


def _check_same_network(saved: Network, network: Network, path: str | Path) -> None:
    """Refuse a backup of another architecture, naming the file, the layer and the remedy."""
    old, new = saved.get_config(), network.get_config()
    if old == new:
        return
    found = network_differences(old, new, _layer_text)
    if not found:
        return
    raise BackupMismatchError(
        f"{path} is a backup of a different network ({'; '.join(found)}), so it cannot "
        "continue this training; resume it with the network it was made for, or delete "
        f"{path} (or back up into another folder) to start afresh",
        path=path, differences=found, resumable=False)


def _check_fingerprint(stored: Any, current: dict[str, Any], path: str | Path,
                       on_mismatch: str) -> None:
    found = differences(stored if isinstance(stored, dict) else None, current)
    if not found:
        return
    if on_mismatch == "continue":
        warnings.warn(f"resuming {path} although it was made by a different run: "
                      f"{'; '.join(found)}", BackupMismatchWarning, stacklevel=4)
        return
    raise BackupMismatchError(
        f"{path} was made by a different run: {'; '.join(found)}. Resume it with the data "
        f"and settings it was made with, delete {path} (or back up into another folder) to "
        "start afresh, or pass on_mismatch='continue' to resume it anyway",
        path=path, differences=found, resumable=True)
