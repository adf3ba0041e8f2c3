"""Learning-rate schedules: callbacks that set ``network.optimizer.lr`` before each step.

Each schedule is a pure function of the global step (or the epoch) in
``network.training_state``: it keeps no state of its own, so a run resumed
from a checkpoint (which stores the step) gets exactly the same rates.
``schedule(step)`` gives the rate without a network, e.g. for a plot::

    CosineDecay(1e-3, total_steps=1000, warmup_steps=100)(np.arange(1000))
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_non_negative, check_positive, check_positive_int
from .callbacks import Callback

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["LearningRateSchedule", "StepDecay", "ExponentialDecay", "CosineDecay", "OneCycle"]


class LearningRateSchedule(Callback):
    """Base class: ``lr_at(step)`` gives the rate; it is applied before every batch."""

    def lr_at(self, step: int) -> float:
        raise NotImplementedError

    def __call__(self, steps: ArrayLike) -> NDArray:
        """The rate at each of ``steps`` (an array), as ``fit`` would set it."""
        return np.array([self.lr_at(int(s)) for s in np.ravel(steps)])

    def on_batch_begin(self, network: Network, batch: int) -> None:
        state, opt = network.training_state, network.optimizer
        if state is not None and opt is not None:
            opt.lr = self.lr_at(state.step)


class StepDecay(LearningRateSchedule):
    """``lr = initial_lr * factor ** floor(epoch / every_epochs)``: a drop every few epochs.

    The epoch is counted from the global step: ``epoch = step // steps_per_epoch``.
    """

    def __init__(self, initial_lr: float, *, steps_per_epoch: int, every_epochs: int = 10,
                 factor: float = 0.1) -> None:
        self.initial_lr = check_positive(initial_lr, "initial_lr")
        self.steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
        self.every_epochs = check_positive_int(every_epochs, "every_epochs")
        self.factor = check_positive(factor, "factor")

    def lr_at(self, step: int) -> float:
        epoch = step // self.steps_per_epoch
        return self.initial_lr * self.factor ** (epoch // self.every_epochs)


class ExponentialDecay(LearningRateSchedule):
    """``lr = initial_lr * rate ** (step / decay_steps)``: a factor ``rate`` per ``decay_steps``."""

    def __init__(self, initial_lr: float, *, decay_steps: int, rate: float = 0.96) -> None:
        self.initial_lr = check_positive(initial_lr, "initial_lr")
        self.decay_steps = check_positive_int(decay_steps, "decay_steps")
        self.rate = check_positive(rate, "rate")

    def lr_at(self, step: int) -> float:
        return self.initial_lr * self.rate ** (step / self.decay_steps)


class CosineDecay(LearningRateSchedule):
    """Linear warm-up, then a half cosine from ``peak_lr`` down to ``final_lr``.

    ::

        step < W:       lr = peak_lr * (step + 1) / W
        W <= step < T:  lr = final_lr + (peak_lr - final_lr) * (1 + cos(pi * u)) / 2,
                        u = (step - W) / (T - W)
        step >= T:      lr = final_lr

    with ``W = warmup_steps`` and ``T = total_steps``. Warm-up keeps the
    first steps (large gradients, Adam's noisy early moments) small.
    """

    def __init__(self, peak_lr: float, *, total_steps: int, warmup_steps: int = 0,
                 final_lr: float = 0.0) -> None:
        self.peak_lr = check_positive(peak_lr, "peak_lr")
        self.total_steps = check_positive_int(total_steps, "total_steps")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) \
                or not 0 <= warmup_steps < total_steps:
            raise ValueError(f"warmup_steps must be an integer in 0..total_steps-1, "
                             f"got {warmup_steps!r}")
        self.warmup_steps = warmup_steps
        self.final_lr = check_non_negative(final_lr, "final_lr")

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.peak_lr * (step + 1) / self.warmup_steps
        if step >= self.total_steps:
            return self.final_lr
        progress = (step - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return self.final_lr + (self.peak_lr - self.final_lr) * 0.5 * (1 + math.cos(math.pi
                                                                                  * progress))


class OneCycle(LearningRateSchedule):
    """Smith's one-cycle policy: up from ``max_lr / div`` to ``max_lr``, then down to
    ``max_lr / (div * final_div)``, both halves cosine-shaped.

    The rise takes ``pct_up`` of ``total_steps``::

        up:    lr = start + (max_lr - start) * (1 - cos(pi * s / U)) / 2,      s = step
        down:  lr = end + (max_lr - end) * (1 + cos(pi * (s - U) / (T - 1 - U))) / 2

    so the last step, ``T - 1``, runs at the end rate.
    """

    def __init__(self, max_lr: float, *, total_steps: int, pct_up: float = 0.3,
                 div: float = 25.0, final_div: float = 1e4) -> None:
        self.max_lr = check_positive(max_lr, "max_lr")
        self.total_steps = check_positive_int(total_steps, "total_steps")
        self.pct_up = check_positive(pct_up, "pct_up")
        if self.pct_up >= 1.0:
            raise ValueError(f"pct_up must be in (0, 1), got {pct_up}")
        self.start_lr = self.max_lr / check_positive(div, "div")
        self.end_lr = self.start_lr / check_positive(final_div, "final_div")
        self.up_steps = max(1, int(round(self.pct_up * self.total_steps)))

    def lr_at(self, step: int) -> float:
        if step >= self.total_steps:
            return self.end_lr
        if step < self.up_steps:
            return self.start_lr + (self.max_lr - self.start_lr) * 0.5 * (
                1 - math.cos(math.pi * step / self.up_steps))
        progress = min(1.0, (step - self.up_steps) / max(1, self.total_steps - 1 - self.up_steps))
        return self.end_lr + (self.max_lr - self.end_lr) * 0.5 * (1 + math.cos(math.pi
                                                                              * progress))
