"""The mini-batch solvers as scikit-learn's MLP computes them, as glassnet optimizers.

They take ``(name, param, grad)`` triples like every glassnet optimizer, so
the training loop stays the engine's; they differ from ``glassnet.SGD`` and
``glassnet.Adam`` only where scikit-learn's arithmetic differs:

``MomentumSGD``
    scikit-learn keeps the velocity in units of the step, so a new learning
    rate (``invscaling``, ``adaptive``) scales only the new gradient::

        v <- mu v - lr g
        p <- p + v                       (plain momentum)
        p <- p + mu v - lr g             (Nesterov)

    ``glassnet.SGD`` keeps ``v <- mu v + g`` and steps ``lr v``: the same at
    a constant rate, a different path when the rate changes.
``ScikitAdam``
    scikit-learn adds ``eps`` after the bias correction of the step size
    only: ``p <- p - lr_t m / (sqrt(v) + eps)``; glassnet's Adam uses
    ``eps_t = eps sqrt(1 - b2^t)``. Setting ``eps`` afresh before each step
    gives scikit-learn's update through glassnet's (fused) code.

Both expose ``learning_rate`` (scikit-learn's name) for ``lr``.
"""

from __future__ import annotations

import math
from typing import Any

from ..optimizers import Adam, Optimizer, Triple


class _LearningRateName:
    lr: float

    @property
    def learning_rate(self) -> float:
        """scikit-learn's name for ``lr``."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = float(value)


class MomentumSGD(_LearningRateName, Optimizer):
    """SGD with scikit-learn's momentum (see the module docstring)."""

    slots = ("velocity",)

    def __init__(self, lr: float = 0.1, *, momentum: float = 0.9, nesterov: bool = True) -> None:
        super().__init__(lr)
        if not (0.0 <= momentum <= 1.0):
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _update(self, entries: list[Triple]) -> None:
        for name, p, g in entries:
            lr = p.dtype.type(self.lr)
            if not self.momentum:
                p -= lr * g                              # p <- p - lr g
                continue
            mu = p.dtype.type(self.momentum)
            v = self._slot("velocity", name, p)
            v *= mu
            v -= lr * g                                  # v <- mu v - lr g
            if self.nesterov:
                p += mu * v - lr * g                     # p <- p + mu v - lr g
            else:
                p += v                                   # p <- p + v

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}


class ScikitAdam(_LearningRateName, Adam):
    """Adam with scikit-learn's placement of ``epsilon`` (see the module docstring)."""

    def __init__(self, lr: float = 1e-3, *, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps)
        self.epsilon = float(eps)

    def _update(self, entries: list[Triple]) -> None:
        # glassnet's Adam adds eps * sqrt(1 - b2^t); this makes it eps itself
        self.eps = self.epsilon / math.sqrt(1.0 - self.beta2**self.t)
        super()._update(entries)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "eps": self.epsilon}
