"""Ready-made architectures built from the layers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from ._validation import as_rng, check_non_negative, check_positive_int
from .layers import (
    ACTIVATIONS,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    Reshape,
    get_activation,
)
from .losses import Loss
from .network import Network

__all__ = ["lenet5", "mlp", "small_cnn"]

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


def _picture_input(input_shape: Sequence[int]) -> list[Layer]:
    """A ``Reshape`` to ``(h, w, c)``, so rows of pixels (as the loaders give them) fit."""
    shape = tuple(check_positive_int(s, "input_shape") for s in input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)}")
    return [Reshape(shape)]


def lenet5(*, n_classes: int = 10, input_shape: Sequence[int] = (28, 28, 1),
           activation: str = "tanh", seed: int | np.random.Generator | None = None,
           dtype: DTypeLike = np.float32) -> Network:
    """LeNet-5 (LeCun et al., 1998) for 28x28 pictures, as it is usually rebuilt today.

    ``Reshape -> Conv2D(6, 5, padding="same") -> act -> AvgPool2D(2) -> Conv2D(16, 5) -> act
    -> AvgPool2D(2) -> Flatten -> Dense(120) -> act -> Dense(84) -> act -> Dense(n_classes)``.
    The paper's 32x32 input becomes 28x28 with two pixels of padding in the
    first convolution; its trainable subsampling becomes a plain average, its
    sparse C3 connections full ones, its RBF output a softmax.

    Parameters
    ----------
    n_classes : outputs of the last layer (logits for softmax cross-entropy)
    input_shape : ``(height, width, channels)`` of one picture; rows of
        ``h * w * c`` pixels are reshaped to it
    activation : the hidden activation (the paper's ``tanh`` by default)
    seed : seeds every layer's initial weights
    dtype : float32 (default) or float64

    Examples
    --------
    >>> lenet5(seed=0).n_parameters
    61706
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    rng = as_rng(seed)
    init = _DEFAULT_INIT.get(activation, "glorot_uniform")
    layers: list[Layer] = [
        *_picture_input(input_shape),
        Conv2D(6, 5, padding="same", init=init, seed=rng, dtype=dtype),
        get_activation(activation), AvgPool2D(2),
        Conv2D(16, 5, init=init, seed=rng, dtype=dtype), get_activation(activation),
        AvgPool2D(2), Flatten(),
        Dense(120, init=init, seed=rng, dtype=dtype), get_activation(activation),
        Dense(84, init=init, seed=rng, dtype=dtype), get_activation(activation),
        Dense(check_positive_int(n_classes, "n_classes"), seed=rng, dtype=dtype),
    ]
    return Network(layers, input_shape=(int(np.prod(tuple(input_shape))),), dtype=dtype)


def small_cnn(*, n_classes: int = 10, input_shape: Sequence[int] = (28, 28, 1),
              channels: Sequence[int] = (16, 32), hidden: int = 128, dropout: float = 0.0,
              seed: int | np.random.Generator | None = None,
              dtype: DTypeLike = np.float32) -> Network:
    """A small modern CNN: conv-BN-ReLU-pool blocks and a dense head.

    For each entry ``c`` of ``channels``:
    ``Conv2D(c, 3, padding="same", bias=False) -> BatchNorm -> ReLU -> MaxPool2D(2)``
    (no bias: BatchNorm's ``beta`` takes its place), then
    ``Flatten -> Dense(hidden) -> ReLU (-> Dropout) -> Dense(n_classes)``.

    Parameters
    ----------
    n_classes : outputs of the last layer (logits for softmax cross-entropy)
    input_shape : ``(height, width, channels)`` of one picture; rows of
        ``h * w * c`` pixels are reshaped to it
    channels : filters of each block's convolution (two blocks by default)
    hidden : width of the dense hidden layer
    dropout : drop probability before the last layer (0 = none)
    seed : seeds every layer's initial weights and the Dropout's generator
    dtype : float32 (default) or float64

    Examples
    --------
    >>> small_cnn(seed=0).n_parameters
    206970
    """
    check_non_negative(dropout, "dropout", upper=1.0, strict_upper=True)
    rng = as_rng(seed)
    layers: list[Layer] = _picture_input(input_shape)
    for c in channels:
        layers += [Conv2D(check_positive_int(c, "channels"), 3, padding="same", bias=False,
                          init="he_uniform", seed=rng, dtype=dtype),
                   BatchNorm(dtype=dtype), get_activation("relu"), MaxPool2D(2)]
    layers += [Flatten(), Dense(check_positive_int(hidden, "hidden"), init="he_uniform",
                                seed=rng, dtype=dtype), get_activation("relu")]
    if dropout:
        layers.append(Dropout(dropout, seed=int(rng.integers(2**63))))
    layers.append(Dense(check_positive_int(n_classes, "n_classes"), seed=rng, dtype=dtype))
    return Network(layers, input_shape=(int(np.prod(tuple(input_shape))),), dtype=dtype)
