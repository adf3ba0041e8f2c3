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
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .registry import LAYERS, describe, rebuild, register_layer
from .shape import Reshape

for _picture_layer in (Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Reshape):
    register_layer(_picture_layer)

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "Identity",
    "Layer",
    "Residual",
    "Sequential",
    "LeakyReLU",
    "MaxPool2D",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "describe",
    "get_activation",
    "rebuild",
    "register_layer",
]
