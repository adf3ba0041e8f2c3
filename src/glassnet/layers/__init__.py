"""Layers: each maps ``x -> out`` forward and ``dout -> dx`` backward.

``LAYERS`` maps a class name to the class for the model files: a model
using a layer of your own can be saved and loaded once the class is
registered with ``register_layer`` (its ``get_config`` must return the
constructor's arguments).
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
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .shape import Reshape

LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Dense, Dropout, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity, BatchNorm,
                Flatten)
}


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Make a Layer subclass known to ``glassnet.io`` by its class name; usable as a decorator.

    Registering another class under a name already taken raises, so a file
    always rebuilds the class it was written with.
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer takes a subclass of glassnet.layers.Layer, got {cls!r}")
    known = LAYERS.get(cls.__name__)
    if known is not None and known is not cls:
        raise ValueError(f"a different layer class is already registered as {cls.__name__!r}; "
                         "give yours another name")
    LAYERS[cls.__name__] = cls
    return cls


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
    "LeakyReLU",
    "MaxPool2D",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get_activation",
    "register_layer",
]
