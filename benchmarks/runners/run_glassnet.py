"""glassnet: ``mlp`` + ``Network.fit`` with Adam, timed through a callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import glassnet
from glassnet._fused import numba_available
from glassnet.training.callbacks import Callback

from ..measure import EpochClock
from ..spec import LR, SIZES


class ClockCallback(Callback):
    """Hands epoch ends to the benchmark's clock; the clock starts at ``on_train_begin``."""

    def __init__(self, clock: EpochClock) -> None:
        self.clock = clock

    def on_train_begin(self, network: glassnet.Network) -> None:
        self.clock.start()

    def on_epoch_end(self, network: glassnet.Network, epoch: int, logs: dict) -> None:
        self.clock.epoch_end()


class Trainer:
    """``glassnet.mlp(SIZES)`` in the task's dtype, trained with ``fit``."""

    def __init__(self, task: dict[str, Any], data: Any) -> None:
        self.task = task
        self.data = data
        self.dtype = np.dtype(task.get("dtype", "float32"))
        self.net = glassnet.mlp(list(SIZES), activation="relu", seed=task["seed"],
                                dtype=self.dtype)
        # fused=None: Numba's one-pass Adam when installed (the 'fast' extra);
        # the glassnet-numpy task asks for the ten NumPy passes instead.
        self.fused = task.get("fused")
        uses_numba = self.fused is not False and numba_available()
        if uses_numba:
            # Load Numba and the compiled step (from its disk cache) before the
            # clock starts, as PyTorch is imported before its clock starts.
            glassnet.Adam(fused=True).step(np.zeros(2, self.dtype), np.ones(2, self.dtype))
        adam = "fused by Numba (loaded before the clock)" if uses_numba else "in NumPy"
        self.notes = [f"glassnet {glassnet.__version__}"
                      f"{' (numpy-only Adam)' if self.fused is False else ''}: "
                      f"mlp({list(SIZES)}) He-uniform init, Network.fit(shuffle=True, "
                      f"verbose=0), Adam {adam}"]

    def fit(self, epochs: int, clock: EpochClock) -> None:
        # Timing starts in on_train_begin, so fit's one-off input checks and
        # conversion are outside epoch 1; they are cheap for float32 input.
        self.net.fit(self.data.X_train, self.data.y_train,
                     optimizer=glassnet.Adam(LR, fused=self.fused),
                     epochs=epochs, batch_size=self.task["batch_size"], shuffle=True,
                     seed=self.task["seed"], verbose=0, callbacks=[ClockCallback(clock)])

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.net.predict(X, batch_size=4096) == y))

    def predict_one(self, x: np.ndarray) -> Callable[[], object]:
        net, row = self.net, x[None]
        return lambda: net.predict(row)

    def predict_batch(self, X: np.ndarray) -> Callable[[], object]:
        net = self.net
        return lambda: net.predict(X)

    def forward_one(self, x: np.ndarray) -> Callable[[], object]:
        """The raw forward pass without ``predict``'s checks, for comparison only."""
        net, row = self.net, x[None]
        return lambda: net.forward(row)
