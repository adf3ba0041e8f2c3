"""Ready-made architectures built from the layers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from ._validation import as_rng, check_non_negative, check_positive_int
from .layers import ACTIVATIONS, Dense, Dropout, Layer, get_activation
from .losses import Loss
from .network import Network

__all__ = ["mlp"]

_DEFAULT_INIT = {"relu": "he_uniform", "leaky_relu": "he_uniform"}


def mlp(sizes: Sequence[int], *, activation: str = "relu",
        loss: str | Loss = "softmax_cross_entropy", output_activation: str | None = None,
        dropout: float = 0.0, init: str | None = None, task: str | None = None,
        seed: int | np.random.Generator | None = None, dtype: DTypeLike = np.float32
        ) -> Network:
    """A multilayer perceptron ``Dense -> activation (-> Dropout)`` ... ``-> Dense``.

    Parameters
    ----------
    sizes : ``[n_in, hidden_1, ..., n_out]``, at least two numbers
    activation : hidden activation, one of ``glassnet.layers.ACTIVATIONS``
    loss : the training loss; the default fuses softmax into the loss, so the
        last layer gives logits
    output_activation : an activation after the last Dense (e.g. ``"sigmoid"``
        for the book's network trained with ``loss="sse"``); none by default
    dropout : drop probability after each hidden activation (0 = no Dropout)
    init : initialiser of the hidden layers' weights; He for (leaky) ReLU,
        Glorot otherwise (the last layer, followed by no ReLU, always uses Glorot)
    task : ``"classification"`` or ``"regression"``, passed to ``Network``
        (by default, set by the loss)
    seed : seeds the initial weights and each Dropout layer's generator
    dtype : float32 (default) or float64

    Examples
    --------
    >>> net = mlp([784, 256, 128, 10], seed=0)
    >>> net.n_parameters
    235146
    """
    sizes = [check_positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least [n_in, n_out], got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    check_non_negative(dropout, "dropout", upper=1.0, strict_upper=True)
    rng = as_rng(seed)
    init = init or _DEFAULT_INIT.get(activation, "glorot_uniform")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        layers.append(Dense(n_in, n_out, init="glorot_uniform" if last else init, seed=rng,
                            dtype=dtype))
        if not last:
            layers.append(get_activation(activation))
            if dropout:
                layers.append(Dropout(dropout, seed=int(rng.integers(2**63))))
    if output_activation is not None:
        layers.append(get_activation(output_activation))
    return Network(layers, loss=loss, task=task)
