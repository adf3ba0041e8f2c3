"""Callbacks that write files: ``ModelCheckpoint`` (models worth keeping) and
``BackupAndRestore`` (resume a run killed at any moment).

Every file is written atomically (``glassnet._atomic``): a crash while
saving leaves the previous file whole.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_positive_int
from .callbacks import Callback, monitor_direction

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
    order).
    """

    restores_training = True  # fit runs it last at every hook
    chief_only = True

    def __init__(self, folder: str | Path, *, every: int = 1,
                 delete_on_end: bool = True) -> None:
        self.folder = Path(folder)
        self.every = check_positive_int(every, "every")
        self.delete_on_end = delete_on_end
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
            restore_training(network, self.path)
            state = network.training_state
            self.restored_epoch = None if state is None else state.epoch

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if (epoch + 1) % self.every == 0 or network.stop_training:
            save_training(network, self.path)

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


def save_training(network: Network, path: str | Path) -> Path:
    """Write a checkpoint of ``network`` and its whole training state (see ``BackupAndRestore``)."""
    from .. import io

    training, arrays = training_record(network)
    return io.save_checkpoint(network, path, training=training, arrays=arrays)


def restore_training(network: Network, path: str | Path) -> None:
    """Put back everything ``save_training`` wrote into ``network``, its optimizer,
    its training state and the running ``fit``'s callbacks."""
    from .. import io

    saved, training, arrays = io.load_checkpoint(path)
    opt, state = network.optimizer, network.training_state
    if opt is None or state is None:
        raise ValueError("restore_training continues a fit: call it from a callback's "
                         "on_train_begin (BackupAndRestore does)")
    loaded = saved.optimizer
    if loaded is None or type(loaded) is not type(opt):
        raise ValueError(f"{path} was written while training with {loaded!r}, but this fit "
                         f"uses {opt!r}; use the same optimizer, or delete the backup to "
                         "start afresh")
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
