"""Inverted dropout."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import as_rng, check_non_negative
from .base import Layer, seed_argument


class Dropout(Layer):
    """Zero each input with probability ``p`` while training; identity at inference.

    "Inverted" dropout scales the kept units by ``1 / (1 - p)`` during training,
    so the expected activation is unchanged and inference needs no rescaling:
    ``out = x * mask / (1 - p)``, ``mask ~ Bernoulli(1 - p)``; backward
    ``dx = dout * mask / (1 - p)``.

    Parameters
    ----------
    p : probability of dropping a unit, in [0, 1)
    seed : int or Generator for the masks

    Attributes
    ----------
    rng : the Generator drawing the masks (part of the training state that a
        checkpoint saves, so a resumed run draws the same masks)
    """

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator | None = None,
                 rng: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_non_negative(p, "p", upper=1.0, strict_upper=True)
        self.rng = as_rng(seed_argument(seed, rng, "Dropout"))
        self._scaled_mask: NDArray | None = None
        self._trained_forward = False  # backward needs a training forward first

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        self._trained_forward = training
        if not training or self.p == 0.0:
            self._scaled_mask = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        self._scaled_mask = keep * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self._scaled_mask

    def backward(self, dout: NDArray) -> NDArray:
        if not self._trained_forward:  # as every layer: no backward without a training forward
            raise self._missing_cache()
        if self._scaled_mask is None:
            return dout  # p == 0: the identity
        return dout * self._scaled_mask

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p}
