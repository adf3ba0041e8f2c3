"""ONNX nodes for the picture layers: ``Conv``, ``MaxPool``, ``AveragePool``,
``GlobalAveragePool``, ``Reshape``, and ``BatchNormalization`` over channels.

glassnet keeps pictures channels-last (NHWC); ONNX's convolution and pooling
operators take channels-first (NCHW). Each such layer is therefore written
as ``Transpose(NHWC -> NCHW) -> op -> Transpose(NCHW -> NHWC)``, so every
tensor between layers has glassnet's layout and a ``Flatten`` after the last
pooling orders the features as glassnet's does. onnxruntime's graph
optimiser cancels the back-to-back transposes this leaves between two
picture layers. The kernel ``W`` (kh, kw, c_in, c_out) is stored as ONNX's
(c_out, c_in, kh, kw).

A float64 network exports to a valid float64 graph, but onnxruntime's CPU
provider has no float64 ``Conv`` kernel (1.32): run such a graph elsewhere,
or export a float32 copy (``network.astype(np.float32)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import layers as glayers
from ..errors import ExportError

__all__ = ["PICTURE_LAYERS", "export_picture_layer"]

TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]
PICTURE_LAYERS = ("Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Reshape")


def _need_pictures(layer: Any, i: int | str, rank: int) -> None:
    if rank != 4:
        raise ExportError(f"layer {i} {layer!r} gets inputs with {rank - 1} feature axes in "
                          "this network; its export needs pictures (height, width, channels)")


def _channels_first(graph: Any, name: str, x: str, op: str, inputs: list[str],
                    **attributes: Any) -> str:
    """``op`` applied in NCHW between two transposes; returns the NHWC result."""
    nchw = graph.node("Transpose", [x], f"{name}/nchw", perm=TO_NCHW)
    out = graph.node(op, [nchw, *inputs], f"{name}/op", **attributes)
    return graph.node("Transpose", [out], name, perm=TO_NHWC)


def export_picture_layer(graph: Any, i: int | str, layer: Any, x: str, rank: int
                         ) -> tuple[str, int] | None:
    """Append layer ``i``'s nodes after tensor ``x`` (of rank ``rank``); None if not ours."""
    name = f"{i}.{type(layer).__name__}"
    kind = type(layer)
    if kind is glayers.Reshape:
        shape = layer.output_shape(layer.input_shape)
        target = graph.constant(f"{i}.shape", [-1, *shape], dtype=np.int64)
        return graph.node("Reshape", [x, target], name), 1 + len(shape)
    if kind not in (glayers.Conv2D, glayers.MaxPool2D, glayers.AvgPool2D,
                    glayers.GlobalAvgPool2D):
        return None
    _need_pictures(layer, i, rank)
    if kind is glayers.GlobalAvgPool2D:
        nchw = graph.node("Transpose", [x], f"{name}/nchw", perm=TO_NCHW)
        pooled = graph.node("GlobalAveragePool", [nchw], f"{name}/op")   # (n, c, 1, 1)
        return graph.node("Flatten", [pooled], name, axis=1), 2
    if kind is glayers.Conv2D:
        W = layer.params["W"]
        inputs = [graph.constant(f"param/{i}.W", np.transpose(W, (3, 2, 0, 1)))]
        if "b" in layer.params:
            inputs.append(graph.constant(f"param/{i}.b", layer.params["b"]))
        top, bottom, left, right = layer._pad
        out = _channels_first(graph, name, x, "Conv", inputs,
                              kernel_shape=list(layer.kernel_size),
                              strides=[layer.stride, layer.stride],
                              dilations=[layer.dilation, layer.dilation],
                              pads=[top, left, bottom, right])
        return out, 4
    op = "MaxPool" if kind is glayers.MaxPool2D else "AveragePool"
    step = layer._step
    return _channels_first(graph, name, x, op, [], kernel_shape=list(layer.pool_size),
                           strides=[step, step]), 4


def export_batch_norm_pictures(graph: Any, name: str, x: str, inputs: list[str],
                               eps: float) -> str:
    """``BatchNormalization`` normalises axis 1: over channels, in NCHW."""
    return _channels_first(graph, name, x, "BatchNormalization", inputs, epsilon=eps)
