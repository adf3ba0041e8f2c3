"""Callbacks: code that runs at fixed points of ``fit`` without changing the loop.

A callback may end training by setting ``network.stop_training = True``.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, TextIO

import numpy as np

from .._validation import check_non_negative

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["Callback", "EarlyStopping", "EpochLogger"]


class Callback:
    """Base class; every hook does nothing unless overridden."""

    def on_train_begin(self, network: Network) -> None:
        pass

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, network: Network) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : a history key, e.g. ``"val_loss"`` or ``"val_accuracy"``;
        keys ending in ``accuracy`` are maximised, others minimised
    patience : epochs without improvement before stopping, >= 0
    min_delta : smallest change that counts as an improvement
    restore_best_weights : put back the weights of the best epoch at the end

    Attributes
    ----------
    best : best value seen
    best_epoch : epoch (0-based) at which it was seen
    stopped_epoch : epoch at which training was stopped, or None
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = check_non_negative(min_delta, "min_delta")
        self.restore_best_weights = restore_best_weights
        self._maximise = monitor.endswith("accuracy")

    def on_train_begin(self, network: Network) -> None:
        self.best = -math.inf if self._maximise else math.inf
        self.best_epoch = -1
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_weights: dict[str, np.ndarray] | None = None

    def _improved(self, value: float) -> bool:
        if self._maximise:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but the epoch logged only "
                f"{sorted(logs)}; pass validation data or monitor one of those"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = network.get_weights()
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            network.stop_training = True

    def on_train_end(self, network: Network) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            network.set_weights(self._best_weights)


class EpochLogger(Callback):
    """Print a line per epoch: ``epoch 3/10  loss 0.2140  accuracy 0.9210 ...  1.2s``.

    Parameters
    ----------
    epochs : the number of epochs planned (for the ``3/10`` counter)
    every : print only every ``every``-th epoch, and the first and last
    stream : where to print (default: standard output at the time of printing)
    """

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
        parts += [f"{k} {v:.4f}" for k, v in logs.items() if k != "time"]
        if "time" in logs:
            parts.append(f"{logs['time']:.2f}s")
        print("  ".join(parts), file=stream, flush=True)
