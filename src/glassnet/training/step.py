"""The step seam: where a training strategy joins the loop.

One training step is ``forward -> loss -> backward -> strategy.reduce_gradients
-> optimizer.step``. The default :class:`Strategy` is one process and does
nothing; ``glassnet.distributed.DataParallel`` is the one that averages the
gradients of N processes. ``fit(..., strategy=...)`` takes either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["Strategy"]


class Strategy:
    """How one process takes part in training: the default, a single process.

    Attributes
    ----------
    rank : this process's index among ``world_size`` processes (0 is the chief)
    world_size : the number of processes training one network together
    """

    rank: int = 0
    world_size: int = 1

    @property
    def is_chief(self) -> bool:
        """Whether this process logs, validates and checkpoints (rank 0)."""
        return self.rank == 0

    def on_train_begin(self, network: Network) -> None:
        """Called after the callbacks' ``on_train_begin`` (e.g. to share rank 0's state)."""

    def shard(self, indices: np.ndarray) -> np.ndarray:
        """This process's rows of one global mini-batch ``indices`` (all of them here)."""
        return indices

    def reduce_gradients(self, network: Network, n_local: float, n_global: float) -> None:
        """After backward, before the optimizer step: edit ``network``'s gradients in place.

        ``n_local`` and ``n_global`` are this process's and the whole batch's
        sample counts (the sums of the sample weights when there are weights).
        """

    def reduce_metrics(self, values: dict[str, float], n_local: float) -> dict[str, float]:
        """The metrics every process agrees on, from this one's ``values`` (weight ``n_local``)."""
        return values

    def on_epoch_end(self, network: Network) -> None:
        """Called at each epoch end, before the callbacks (e.g. a check across processes)."""
