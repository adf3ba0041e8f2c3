"""Running a list of layers forward and backward, as ``Network`` and ``Sequential`` do.

``out = f_k(... f_2(f_1(x)))`` forward, and the chain rule back, last layer
first. One speed trick, behind the layers' ``fused`` switches: a
``BatchNorm`` followed by a ``ReLU`` (those exact classes, not subclasses)
runs as one pass each way (``BatchNorm.forward_then_relu`` and
``backward_through_relu``), so the normalised array and ReLU's gradient are
never written out. Both ways give the same bits and leave the same arrays
in both layers (``tests/layers/test_chain.py``); with ``fused=False`` on
either layer, or without Numba, each layer runs on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from numpy.typing import NDArray

from .activations import ReLU
from .base import Layer
from .batchnorm import BatchNorm

__all__ = ["backward_through", "batchnorm_then_relu", "forward_through"]


def batchnorm_then_relu(layers: Sequence[Layer], i: int) -> bool:
    """Whether ``layers[i]`` and ``layers[i + 1]`` run as one pass each way: a BatchNorm
    and a ReLU of those exact classes, neither with a forward or backward of its own
    set on the instance (a hook, say: then each layer runs as it says)."""
    if i + 1 >= len(layers) or type(layers[i]) is not BatchNorm \
            or type(layers[i + 1]) is not ReLU:
        return False
    return not any(name in vars(layer) for layer in layers[i:i + 2]
                   for name in ("forward", "backward"))


def forward_through(layers: Sequence[Layer], x: NDArray, *, training: bool) -> NDArray:
    """``x`` through ``layers``, first to last."""
    i = 0
    while i < len(layers):
        if batchnorm_then_relu(layers, i):
            batchnorm = cast(BatchNorm, layers[i])
            x = batchnorm.forward_then_relu(x, cast(ReLU, layers[i + 1]), training=training)
            i += 2
        else:
            x = layers[i].forward(x, training=training)
            i += 1
    return x


def backward_through(layers: Sequence[Layer], dout: NDArray) -> NDArray:
    """``dL/d(output)`` back through ``layers``, last to first: ``dL/d(input)``."""
    i = len(layers) - 1
    while i >= 0:
        if i > 0 and batchnorm_then_relu(layers, i - 1):
            batchnorm = cast(BatchNorm, layers[i - 1])
            dout = batchnorm.backward_through_relu(dout, cast(ReLU, layers[i]))
            i -= 2
        else:
            dout = layers[i].backward(dout)
            i -= 1
    return dout
