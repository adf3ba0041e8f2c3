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

    Attributes
    ----------
    rank : this process's index among ``world_size`` processes
    world_size : the number of processes training together

    Non-chief ranks (``rank != 0``) run no progress bar, logging, validation
    or callbacks that declare ``chief_only = True`` (checkpoints, loggers,
    the health check).
    """

    rank: int = 0
    world_size: int = 1

    @property
    def is_chief(self) -> bool:
        """Whether this rank logs, validates and writes checkpoints (rank 0)."""
        return self.rank == 0

    def on_train_begin(self, network: Network) -> None:
        """Called once before the first callback (e.g. broadcast rank 0's weights and state)."""

    def shard(self, indices: NDArray) -> NDArray:
        """This rank's rows of one global batch (all of them in one process)."""
        return indices

    def reduce_gradients(self, network: Network, n_local: float, n_global: float) -> None:
        """After ``backward`` and before the step: make the gradients global, in place.

        ``n_local`` samples of this rank's shard of a global batch of
        ``n_global`` (with sample weights: the shard's and the batch's total
        weight); each layer's ``grads`` hold this shard's batch-mean gradient.
        """

    def reduce_metrics(self, values: dict[str, float], n_local: float) -> dict[str, float]:
        """The epoch's metrics over every rank, from this rank's means over ``n_local`` samples.

        A rank that has no value for a metric (only the chief validates)
        leaves it out of ``values``.
        """
        return values

    def on_epoch_end(self, network: Network) -> None:
        """After each epoch (e.g. check that every rank holds the same weights)."""


def train_step(network: Network, opt: Optimizer, state: TrainingState, X_b: NDArray,
               y_b: NDArray, w_b: NDArray | None, *, decay: frozenset[str], epoch: int,
               strategy: Strategy | None = None, n_global: float | None = None,
               gradient_hooks: tuple[Any, ...] = ()) -> tuple[float, NDArray]:
    """One gradient step on a batch; returns ``(loss, out)``.

    With weights ``w_b`` the loss is ``sum_i w_i l_i / sum_i w_i``: the
    batch-mean gradient's rows are scaled by ``w_i / mean(w_b)``.
    ``gradient_hooks`` are callbacks whose ``on_gradients(network)`` runs
    after the strategy's ``reduce_gradients``, before the optimizer's step.
    """
    if strategy is not None and strategy.world_size > 1:  # strategy: the distributed step
        return _shard_step(network, opt, state, X_b, y_b, w_b, decay, epoch, strategy,
                           float(n_global or 0.0), gradient_hooks)
    # Divergence is reported once, clearly, below, instead of as NumPy's
    # overflow warnings from deep inside the arithmetic.
    with np.errstate(over="ignore", invalid="ignore"):
        out = network.forward(X_b, training=True)
        loss, dout = network.loss.loss_and_grad(y_b, out)
        if w_b is not None:
            mean_w = float(w_b.mean())
            if mean_w <= 0:  # every weight of this batch is 0: nothing to learn from it
                state.step += 1
                return 0.0, out
            scale = (w_b / mean_w).astype(dout.dtype)
            loss = float(np.dot(scale, network.loss.per_sample_loss(y_b, out))) / w_b.shape[0]
            dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
        if not math.isfinite(loss):
            raise FloatingPointError(diverged_message(network, f"the training loss became {loss}",
                                                      epoch, state.step, opt))
        network.backward(dout)
        if strategy is not None:
            strategy.reduce_gradients(network, X_b.shape[0], n_global or X_b.shape[0])
        for hook in gradient_hooks:
            hook.on_gradients(network)
        opt.step(network.named_parameters(), decay=decay)
    state.step += 1
    if state.first_loss is None:
        state.first_loss = loss
    return loss, out


def _shard_step(network: Network, opt: Optimizer, state: TrainingState, X_b: NDArray,
                y_b: NDArray, w_b: NDArray | None, decay: frozenset[str], epoch: int,
                strategy: Strategy, n_global: float, gradient_hooks: tuple[Any, ...]
                ) -> tuple[float, NDArray]:
    """``train_step`` on this rank's shard: every rank reduces and steps, always together.

    A shard may be empty (a last batch smaller than the number of ranks) or
    weigh nothing: its gradients are zeros, so the ranks still meet in the
    reduction. A global batch of weight 0 is skipped by every rank alike.
    """
    n_local = float(X_b.shape[0]) if w_b is None else float(w_b.sum())
    with np.errstate(over="ignore", invalid="ignore"):
        if X_b.shape[0]:
            out = network.forward(X_b, training=True)
            loss, dout = network.loss.loss_and_grad(y_b, out)
        else:
            out, loss, dout = np.zeros((0, network._outputs()), network.dtype), 0.0, None
        if n_global <= 0:  # the whole batch weighs nothing: as one process, skip it
            state.step += 1
            return 0.0, out
        if dout is not None:
            if w_b is not None:
                mean_w = float(w_b.mean())
                scale = (w_b / mean_w if mean_w > 0 else 0.0 * w_b).astype(dout.dtype)
                loss = float(np.dot(scale, network.loss.per_sample_loss(y_b, out))) \
                    / w_b.shape[0]
                dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
            if not math.isfinite(loss):
                raise FloatingPointError(diverged_message(
                    network, f"the training loss became {loss} on rank {strategy.rank}",
                    epoch, state.step, opt))
            network.backward(dout)
        else:
            for _, _, grad in network.named_parameters():
                grad[...] = 0
        strategy.reduce_gradients(network, n_local, n_global)
        for hook in gradient_hooks:
            hook.on_gradients(network)
        opt.step(network.named_parameters(), decay=decay)
    state.step += 1
    if state.first_loss is None:
        state.first_loss = loss
    return loss, out


def diverged_message(network: Network, what: str, epoch: int, step: int, opt: Optimizer) -> str:
    """What diverged, where (epoch and step) and what to try."""
    bad = [name for name, p in network.parameters.items() if not np.isfinite(p).all()]
    where = f"in epoch {epoch + 1} (0-based {epoch}), at optimizer step {step + 1} of the run"
    params = f"; the parameters {bad} hold NaN or infinity" if bad else ""
    return (f"{what} {where}{params}: training diverged; lower the learning rate (it is "
            f"{opt.lr:g}), scale the inputs (e.g. to [0, 1]), or clip the gradients "
            "(clip_norm=1.0 on the optimizer)")
