"""The network behind an estimator: its layers, its head, scikit-learn's initial weights."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from ..layers import Dense, Dropout, Layer, get_activation
from ..losses import (
    BinaryCrossEntropy,
    Loss,
    PoissonDeviance,
    SoftmaxCrossEntropy,
    SumSquaredError,
)
from ..network import Network

#: scikit-learn's activation names -> glassnet's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


def head(out_activation: str) -> Loss:
    """The glassnet loss that trains scikit-learn's ``out_activation_`` on logits/raw outputs."""
    if out_activation == "softmax":
        return SoftmaxCrossEntropy()
    if out_activation == "logistic":
        return BinaryCrossEntropy(from_logits=True)
    if out_activation == "exp":
        return PoissonDeviance()
    return SumSquaredError()


def build_network(layer_units: list[int], *, activation: str, out_activation: str,
                  dropout: float, dtype: np.dtype, random_state: np.random.RandomState
                  ) -> Network:
    """``Dense -> activation (-> Dropout)`` ... ``-> Dense`` with scikit-learn's initial weights.

    Each layer's weights and then its biases are drawn from ``U(-a, a)``,
    ``a = sqrt(f / (fan_in + fan_out))`` with ``f = 2`` for the logistic
    activation and 6 otherwise, from ``random_state`` in scikit-learn's order:
    the same ``random_state`` gives the same starting network as
    ``sklearn.neural_network``'s MLP.
    """
    layers: list[Layer] = []
    denses = []
    factor = 2.0 if activation == "logistic" else 6.0
    for fan_in, fan_out in pairwise(layer_units):
        bound = math.sqrt(factor / (fan_in + fan_out))
        W = random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = random_state.uniform(-bound, bound, fan_out)
        dense = Dense(fan_in, fan_out, seed=0, dtype=dtype)
        dense.params["W"][...] = W
        dense.params["b"][...] = b
        denses.append(dense)
    for i, dense in enumerate(denses):
        layers.append(dense)
        if i < len(denses) - 1:
            layers.append(get_activation(ACTIVATIONS[activation]))
            if dropout:  # seeds drawn after the weights: the weights stay scikit-learn's
                layers.append(Dropout(dropout, seed=int(random_state.randint(2**31 - 1))))
    loss = head(out_activation)
    return Network(layers, loss=loss,
                   task="regression" if out_activation in ("identity", "exp") else None)


def dense_layers(network: Network) -> list[Dense]:
    """The network's Dense layers, in order (scikit-learn's ``coefs_`` and ``intercepts_``)."""
    return [layer for layer in network.layers if isinstance(layer, Dense)]
