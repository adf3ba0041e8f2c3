"""Layers: each maps ``x -> out`` forward and ``dout -> dx`` backward.

``LAYERS`` maps a class name to the class for the model files: a model
using a layer of your own can be saved and loaded once the class is
registered with ``register_layer`` (its ``get_config`` must return the
constructor's arguments); ``describe`` and ``rebuild`` turn a layer into
JSON and back (see ``registry``). ``Sequential`` and ``Residual`` are
layers made of layers (see ``containers``).
"""

from __future__ import annotations

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
from .batchnorm import BatchNorm
from .containers import Residual, Sequential
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .registry import LAYERS, describe, rebuild, register_layer

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Layer",
    "Residual",
    "Sequential",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "describe",
    "get_activation",
    "rebuild",
    "register_layer",
]
