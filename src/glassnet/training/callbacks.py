"""Callbacks: code that runs at fixed points of ``fit`` without changing the loop.

Hooks, in the order ``fit`` calls them::

    on_train_begin(network)
      on_epoch_begin(network, epoch)
        on_batch_begin(network, batch)          batch: index within the epoch
        on_batch_end(network, batch, logs)      logs: loss, batch, step, lr
      on_epoch_end(network, epoch, logs)        logs: loss, accuracy, val_*, lr, time
    on_train_end(network)                       always, even after an exception

A callback steers training through the network: ``network.optimizer.lr``
(the learning rate of the next step), ``network.stop_training = True``
(stop after this batch or epoch), and reads ``network.training_state``
(``epoch``, ``step``, ``history``). The per-batch hooks cost nothing unless a
callback overrides them. A callback with a state worth keeping across a
crash gives ``get_state()`` (a dict of JSON values and NumPy arrays) and
``set_state(state)``; ``BackupAndRestore`` saves and restores it.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from .._validation import check_non_negative, check_positive

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["Callback", "CSVLogger", "EarlyStopping", "EpochLogger", "ReduceLROnPlateau",
           "TerminateOnNaN", "check_callbacks", "monitor_direction"]


class Callback:
    """Base class; every hook does nothing unless overridden.

    Besides the hooks below, a callback may define ``on_gradients(network)``:
    ``fit`` then calls it at every step after ``backward`` (and after the
    strategy's ``reduce_gradients``) and before the optimizer's step, with
    every layer's ``grads`` filled; it may change them in place.

    Attributes
    ----------
    chief_only : True for a callback that only the chief process (rank 0) of
        a multi-process run should run (loggers, checkpoints); see
        ``glassnet.training.step.Strategy``
    """

    chief_only: bool = False

    def on_train_begin(self, network: Network) -> None:
        pass

    def on_epoch_begin(self, network: Network, epoch: int) -> None:
        pass

    def on_batch_begin(self, network: Network, batch: int) -> None:
        pass

    def on_batch_end(self, network: Network, batch: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, network: Network) -> None:
        pass


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end",
          "on_epoch_end", "on_train_end")


def check_callbacks(callbacks: object) -> list[Callback]:
    """``callbacks`` as a list, or a TypeError saying what a callback must be.

    A callback is an instance of ``Callback`` (subclass it and override the
    hooks you need), or any object whose class defines all six hooks.
    """
    if isinstance(callbacks, (Callback, type)) or not hasattr(callbacks, "__iter__") \
            or isinstance(callbacks, (str, bytes, dict)):
        shown = (f"one {type(callbacks).__name__}" if isinstance(callbacks, Callback)
                 else repr(callbacks))
        raise TypeError(f"callbacks must be a list of callbacks, got {shown}; "
                        "write callbacks=[...], even for one")
    checked = list(callbacks)  # type: ignore[call-overload]
    for i, cb in enumerate(checked):
        if isinstance(cb, Callback):
            continue
        if isinstance(cb, type) and issubclass(cb, Callback):
            raise TypeError(f"callbacks[{i}] is the class {cb.__name__}, not a callback: "
                            f"give an instance, e.g. {cb.__name__}(...)")
        missing = [h for h in _HOOKS if not callable(getattr(type(cb), h, None))]
        if missing:
            raise TypeError(
                f"callbacks[{i}] is {type(cb).__name__} {_short(cb)}, not a callback: it lacks "
                f"{', '.join(missing)}. A callback is a glassnet.training.Callback: subclass "
                "it and override the hooks you need (on_train_begin, on_epoch_begin, "
                "on_batch_begin, on_batch_end, on_epoch_end, on_train_end)")
    return checked


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_KNOWN_DIRECTIONS = {"loss": "min", "accuracy": "max"}


def monitor_direction(monitor: str, mode: str, owner: str) -> str:
    """``"min"`` or ``"max"``: ``mode`` itself, or for ``"auto"`` the known direction of
    ``monitor`` (``loss``/``val_loss`` down, ``accuracy``/``val_accuracy`` up)."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base not in _KNOWN_DIRECTIONS:
        raise ValueError(f"{owner} cannot tell whether {monitor!r} should go down or up; "
                         "pass mode='min' or mode='max'")
    return _KNOWN_DIRECTIONS[base]


def _logged(logs: dict[str, float], monitor: str, owner: str) -> float:
    if monitor not in logs:
        raise ValueError(f"{owner} monitors {monitor!r} but the epoch logged only "
                         f"{sorted(logs)}; pass validation data or monitor one of those")
    return float(logs[monitor])


def _json_number(value: float) -> float | None:
    """``value`` for a JSON file: None stands for the infinities of 'nothing seen yet'."""
    return None if math.isinf(value) else value


class _Monitor(Callback):
    """Shared by the callbacks that watch one logged value for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float, patience: int) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.mode = monitor_direction(monitor, mode, type(self).__name__)
        self.min_delta = check_non_negative(min_delta, "min_delta")
        self.patience = patience
        self._start()

    def _start(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def get_state(self) -> dict[str, Any]:
        return {"best": _json_number(self.best), "best_epoch": self.best_epoch,
                "wait": self.wait}

    def set_state(self, state: dict[str, Any]) -> None:
        best = state["best"]
        self.best = (math.inf if self.mode == "min" else -math.inf) if best is None \
            else float(best)
        self.best_epoch = int(state["best_epoch"])
        self.wait = int(state["wait"])


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : a history key, e.g. ``"val_loss"`` or ``"val_accuracy"``
    mode : ``"min"``, ``"max"``, or ``"auto"`` (default), which knows only
        the loss (min) and the accuracy (max), with or without ``val_``; for
        anything else it raises, asking for the mode
    patience : epochs without improvement before stopping, >= 0
    min_delta : smallest change that counts as an improvement
    restore_best_weights : put back the weights of the best epoch at the end

    Attributes
    ----------
    best : best value seen
    best_epoch : epoch (0-based) at which it was seen
    stopped_epoch : epoch at which training was stopped, or None
    restored : whether the best epoch's weights were put back at the end
    """

    def __init__(self, monitor: str = "val_loss", *, mode: str = "auto", patience: int = 5,
                 min_delta: float = 0.0, restore_best_weights: bool = True) -> None:
        super().__init__(monitor, mode, min_delta, patience)
        self.restore_best_weights = restore_best_weights

    def _start(self) -> None:
        super()._start()
        self.stopped_epoch: int | None = None
        self.restored = False
        self._best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, network: Network) -> None:
        self._start()

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        value = _logged(logs, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = network.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            network.stop_training = True

    def on_train_end(self, network: Network) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            network.set_weights(self._best_weights)
            self.restored = True

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {**super().get_state(), "stopped_epoch": self.stopped_epoch}
        for name, value in (self._best_weights or {}).items():
            state[f"best_weights/{name}"] = value
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.stopped_epoch = state["stopped_epoch"]
        prefix = "best_weights/"
        weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        self._best_weights = weights or None


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs.

    ``lr <- max(lr * factor, min_lr)``, then wait ``cooldown`` epochs before
    counting again. Parameters as ``EarlyStopping``'s, plus ``factor`` in
    (0, 1) and ``min_lr`` >= 0.
    """

    def __init__(self, monitor: str = "val_loss", *, mode: str = "auto", factor: float = 0.1,
                 patience: int = 10, min_delta: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0, verbose: bool = False) -> None:
        super().__init__(monitor, mode, min_delta, patience)
        self.factor = check_positive(factor, "factor")
        if self.factor >= 1.0:
            raise ValueError(f"factor must be below 1 to reduce the learning rate, got {factor}")
        self.cooldown = int(cooldown)
        self.min_lr = check_non_negative(min_lr, "min_lr")
        self.verbose = verbose
        self.cooldown_left = 0

    def on_train_begin(self, network: Network) -> None:
        self._start()
        self.cooldown_left = 0

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        value = _logged(logs, self.monitor, "ReduceLROnPlateau")
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return
        if self.cooldown_left > 0:
            return
        self.wait += 1
        opt = network.optimizer
        if self.wait >= self.patience and opt is not None and opt.lr > self.min_lr:
            opt.lr = max(opt.lr * self.factor, self.min_lr)
            self.cooldown_left, self.wait = self.cooldown, 0
            if self.verbose:
                print(f"epoch {epoch + 1}: {self.monitor} has not improved for "
                      f"{self.patience} epochs; learning rate reduced to {opt.lr:.4g}")

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "cooldown_left": self.cooldown_left}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.cooldown_left = int(state["cooldown_left"])


class TerminateOnNaN(Callback):
    """Stop training quietly as soon as a batch's loss is NaN or infinite.

    Without it, ``fit`` raises FloatingPointError on a non-finite loss; with
    it, the run ends instead: the failing batch takes no step (the weights
    are those of the step before), the epoch's callbacks still run, and
    ``terminated_at`` says where (``(epoch, batch)``).
    """

    def __init__(self) -> None:
        self.terminated_at: tuple[int, int] | None = None

    def on_batch_end(self, network: Network, batch: int, logs: dict[str, float]) -> None:
        if not math.isfinite(logs["loss"]):
            state = network.training_state
            self.terminated_at = (state.epoch if state is not None else -1, batch)
            network.stop_training = True


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` and every logged value) to a CSV file.

    Parameters
    ----------
    path : the file; rewritten at the start of training unless ``append``
    append : add to an existing file (e.g. when a run is resumed)
    """

    chief_only = True

    def __init__(self, path: str | Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.append = append
        self._columns: list[str] | None = None

    def on_train_begin(self, network: Network) -> None:
        self._columns = None
        if not self.append and self.path.exists():
            self.path.unlink()

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        row = {"epoch": epoch, **logs}
        new_file = not self.path.exists() or self.path.stat().st_size == 0
        if self._columns is None:
            self._columns = list(row)
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)


class EpochLogger(Callback):
    """Print a line per epoch: ``epoch 3/10  loss 0.2140  accuracy 0.9210 ...  1.2s``.

    Parameters
    ----------
    epochs : the number of epochs planned (for the ``3/10`` counter)
    every : print only every ``every``-th epoch, and the first and last
    stream : where to print (default: standard output at the time of printing)
    """

    chief_only = True

    def __init__(self, epochs: int, *, every: int = 1, stream: TextIO | None = None) -> None:
        self.epochs = epochs
        self.every = every
        self.stream = stream

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if (epoch + 1) % self.every and epoch not in (0, self.epochs - 1) \
                and not network.stop_training:
            return
        stream = self.stream if self.stream is not None else sys.stdout
        width = len(str(self.epochs))
        parts = [f"epoch {epoch + 1:>{width}}/{self.epochs}"]
        parts += [f"{k} {v:.4g}" if k == "lr" else f"{k} {v:.4f}"
                  for k, v in logs.items() if k != "time"]
        if "time" in logs:
            parts.append(f"{logs['time']:.2f}s")
        print("  ".join(parts), file=stream, flush=True)
