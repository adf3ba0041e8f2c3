"""One training step, and the seam where a strategy or a callback acts on the gradients.

    out = network.forward(X_b, training=True)
    loss, dout = loss.loss_and_grad(y_b, out)
    network.backward(dout)                       # every layer's grads
    strategy.reduce_gradients(network, ...)      # e.g. average across processes
    callback.on_gradients(network)               # e.g. inspect or clip, in place
    optimizer.step(network.named_parameters())   # the only change to the parameters

``Strategy`` is the single-process default: it does nothing. A data-parallel
strategy subclasses it: each process (rank) trains on its shard of every
global batch, and ``reduce_gradients`` makes the gradients the same on every
rank before the step, so the ranks stay in lockstep.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..network import Network
    from ..optimizers import Optimizer
    from .state import TrainingState

__all__ = ["Strategy", "train_step", "diverged_message"]


class Strategy:
    """How ``fit`` spreads training over processes; this default runs in one and does nothing.

    Non-chief ranks (``rank != 0``) run no progress bar, logging, validation
    or callbacks that declare ``chief_only = True`` (checkpoints, loggers,
    the health check).

    Attributes
    ----------
    rank : this process's index among ``world_size`` processes
    world_size : the number of processes training together
    """

    rank: int = 0
    world_size: int = 1

    @property
    def is_chief(self) -> bool:
        """Whether this rank logs, validates and writes checkpoints (rank 0)."""
        return self.rank == 0

    def on_train_begin(self, network: Network) -> None:
        """Called once, after the callbacks' ``on_train_begin`` (which may restore a backup
        on the chief): e.g. every rank takes rank 0's weights and training state."""

    def shard(self, indices: NDArray) -> NDArray:
        """This rank's rows of one global batch (all of them in one process)."""
        return indices

    def reduce_gradients(self, network: Network, n_local: float, n_global: float) -> None:
        """After ``backward`` and before the step: make the gradients global, in place.

        ``n_local`` and ``n_global`` are this rank's and the whole batch's sample
        counts (the sums of the sample weights when there are weights); each
        layer's ``grads`` hold this shard's batch-mean gradient (zeros for an
        empty shard).
        """

    def reduce_metrics(self, values: dict[str, float], n_local: float) -> dict[str, float]:
        """The metrics every rank agrees on, from this rank's means ``values`` (weight
        ``n_local``); validation values come from the chief alone (weight 1, empty elsewhere)."""
        return values

    def on_epoch_end(self, network: Network) -> None:
        """At each epoch's end, before the callbacks (e.g. a weight checksum across ranks)."""


def train_step(network: Network, opt: Optimizer, state: TrainingState, X_b: NDArray,
               y_b: NDArray, w_b: NDArray | None, *, decay: frozenset[str], epoch: int,
               strategy: Strategy | None = None, n_global: float | None = None,
               gradient_hooks: tuple[Any, ...] = ()) -> tuple[float, NDArray]:
    """One gradient step on a batch (this rank's shard of it); returns ``(loss, out)``.

    With weights ``w_b`` the loss is ``sum_i w_i l_i / sum_i w_i``: the
    batch-mean gradient's rows are scaled by ``w_i / mean(w_b)``. With a
    ``strategy``, ``n_global`` is the whole batch's sample count (weight sum)
    and every rank steps, even with an empty shard (zero gradients), so the
    ranks meet in ``reduce_gradients``. ``gradient_hooks`` are callbacks whose
    ``on_gradients(network)`` runs after it, before the optimizer's step.
    """
    n_local = float(X_b.shape[0]) if w_b is None else float(w_b.sum())
    n_all = n_local if n_global is None else float(n_global)
    # Divergence is reported once, clearly, below, instead of as NumPy's
    # overflow warnings from deep inside the arithmetic.
    with np.errstate(over="ignore", invalid="ignore"):
        if X_b.shape[0]:
            out = network.forward(X_b, training=True)
            loss, dout = network.loss.loss_and_grad(y_b, out)
        else:  # an empty shard: a global batch with fewer rows than ranks
            out, loss, dout = np.zeros((0, network._outputs()), network.dtype), 0.0, None
        if n_all <= 0:  # the whole batch weighs nothing: nothing to learn from it
            state.step += 1
            return 0.0, out
        if dout is not None:
            loss = _weighted(network, y_b, out, w_b, loss, dout)
            if not math.isfinite(loss):
                raise FloatingPointError(diverged_message(
                    network, f"the training loss became {loss}", epoch, state.step, opt))
            network.backward(dout)
        else:
            for _, _, grad in network.named_parameters():
                grad[...] = 0
        if strategy is not None:
            strategy.reduce_gradients(network, n_local, n_all)
        for hook in gradient_hooks:
            hook.on_gradients(network)
        opt.step(network.named_parameters(), decay=decay)
    state.step += 1
    if state.first_loss is None:
        state.first_loss = loss
    return loss, out


def _weighted(network: Network, y_b: NDArray, out: NDArray, w_b: NDArray | None, loss: float,
              dout: NDArray) -> float:
    """The weighted loss, with ``dout``'s rows scaled by ``w_i / mean(w_b)`` in place."""
    if w_b is None:
        return loss
    mean_w = float(w_b.mean())
    scale = (w_b / mean_w if mean_w > 0 else 0.0 * w_b).astype(dout.dtype)
    dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
    return float(np.dot(scale, network.loss.per_sample_loss(y_b, out))) / w_b.shape[0]


def diverged_message(network: Network, what: str, epoch: int, step: int, opt: Optimizer) -> str:
    """What diverged, where (epoch and step) and what to try."""
    bad = [name for name, p in network.parameters.items() if not np.isfinite(p).all()]
    where = f"in epoch {epoch + 1} (0-based {epoch}), at optimizer step {step + 1} of the run"
    params = f"; the parameters {bad} hold NaN or infinity" if bad else ""
    return (f"{what} {where}{params}: training diverged; lower the learning rate (it is "
            f"{opt.lr:g}), scale the inputs (e.g. to [0, 1]), or clip the gradients "
            "(clip_norm=1.0 on the optimizer)")
