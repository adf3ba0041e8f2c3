"""Layers: each maps ``x -> out`` forward and ``dout -> dx`` backward."""

from .activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from .base import Layer
from .dense import Dense
from .dropout import Dropout

LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Dense, Dropout, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity)
}

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "Dense",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get_activation",
]
