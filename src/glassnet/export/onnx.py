"""Write a trained network as an ONNX model, to run it outside Python.

The graph takes one input ``input`` of shape ``(batch, n_in)`` in the
network's dtype (float32 or float64; ``batch`` is a dynamic dimension) and
gives plain tensors only, so it runs in onnxruntime on a server, in a
browser (onnxruntime-web) and on a phone:

``label``
    int64 class ids of shape ``(batch,)``; for a binary cross-entropy head
    with ``k > 1`` outputs, a ``(batch, k)`` 0/1 matrix (one label per output).
``probabilities``
    what ``Network.predict_proba`` returns, shape ``(batch, n_out)``.
``output``
    the last layer's raw output (logits for the cross-entropy losses; the
    predicted values for a regression network).

Each glassnet layer becomes one standard operator: ``Dense`` a ``Gemm``
(``out = x @ W + b``); the activations ``Sigmoid``, ``Tanh``, ``Relu``,
``LeakyRelu`` (``PRelu`` in float64, whose slope tensor keeps the exact
alpha) and ``Softmax`` (axis 1); ``BatchNorm`` a ``BatchNormalization`` in
inference mode (the running statistics); ``Flatten`` a ``Flatten``.
Containers add their layers' nodes: ``Sequential`` its layers' in order
(node and tensor names carry the path, such as ``"1.0.Dense"``),
``Residual`` its block's and an ``Add`` of the block's input and output.
``Identity`` and ``Dropout`` (the identity at inference) add no node. The
picture layers (``Conv2D``, ``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``,
``Reshape``, and ``BatchNorm`` after a convolution) are written by
``glassnet.export.onnx_pictures``, with the NHWC <-> NCHW transposes. Input
scaling, e.g. pixels 0-255 to [0, 1], can be put in front of the graph as
``x * scale + offset`` (a ``Mul`` and an ``Add``).

The opset and the IR version are set explicitly (default opset 17, IR
version 8, both widely supported), not taken from whatever the installed
``onnx`` package would stamp.

Usage (needs the ``onnx`` extra, so it is not run as a doctest)::

    import onnxruntime as ort
    from glassnet.export import PIXEL_SCALES, to_onnx

    to_onnx(net, "fashion.onnx", input_scale=PIXEL_SCALES["unit"])
    session = ort.InferenceSession("fashion.onnx")
    label, probabilities = session.run(None, {"input": raw_pixels.astype(np.float32)})
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import __version__
from .. import layers as glayers
from .._atomic import atomic_write
from ..errors import ExportError
from ..losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy, SumSquaredError
from ..network import Network
from .onnx_pictures import PICTURE_LAYERS, export_batch_norm_pictures, export_picture_layer

if TYPE_CHECKING:
    import onnx

__all__ = ["DEFAULT_OPSET", "IR_VERSIONS", "OUTPUTS", "PIXEL_SCALES", "to_onnx"]

#: The opset written unless asked otherwise: supported by onnxruntime since 1.12 (2022).
DEFAULT_OPSET = 17
#: The lowest IR version able to carry each supported opset (from the ONNX
#: versioning table). 13 is the first opset where Softmax normalises over one
#: axis and Squeeze takes its axes as an input, as this exporter writes them.
IR_VERSIONS = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
OUTPUTS = ("label", "probabilities", "output")
#: ``(scale, offset)`` of glassnet's pixel conventions, for raw 0-255 inputs.
PIXEL_SCALES = {"unit": (1 / 255, 0.0), "book": (0.99 / 255, 0.01)}
INPUT_NAME = "input"
BATCH = "batch"


def to_onnx(network: Any, path: str | os.PathLike[str] | None = None, *,
            opset: int = DEFAULT_OPSET,
            input_scale: tuple[ArrayLike, ArrayLike] | None = None,
            outputs: Sequence[str] | None = None,
            metadata: dict[str, str] | None = None,
            graph_name: str = "glassnet") -> onnx.ModelProto:
    """Convert ``network`` to an ONNX model, optionally writing it to ``path``.

    Parameters
    ----------
    network : a ``glassnet.Network`` (or the book's ``glassnet.classic``
        network, whose engine network is exported)
    path : file to write (atomically: readers see the old file or the whole
        new one); nothing is written when None
    opset : ONNX opset of the default domain, one of ``IR_VERSIONS`` (13 to 21)
    input_scale : ``(scale, offset)``, scalars or arrays of shape (n_in,),
        applied inside the graph as ``x * scale + offset``; e.g.
        ``PIXEL_SCALES["unit"]`` lets the model take raw 0-255 pixels. None
        (default): the graph takes inputs exactly as the network does.
    outputs : names among ``OUTPUTS``, in the order the graph gives them;
        default ``("label", "probabilities")`` for a classifier and
        ``("output",)`` for a regression network
    metadata : extra string key-value pairs stored in the model
        (``metadata_props``), e.g. class names
    graph_name : the graph's name

    Returns
    -------
    onnx.ModelProto, checked with ``onnx.checker.check_model(full_check=True)``

    Raises
    ------
    ExportError
        for a layer or loss that has no ONNX form here (the message names it),
        an unsupported opset, or outputs the network cannot give.
    ImportError
        when the ``onnx`` package is missing (``pip install 'glassnet[onnx]'``).

    """
    onnx = _require_onnx()
    from onnx import helper

    network = _as_network(network)
    opset = _check_opset(opset)
    wanted = _check_outputs(outputs, network)
    dtype = np.dtype(network.dtype)
    graph = _Graph(dtype)
    input_shape = tuple(getattr(network, "input_shape", None) or (network.n_in,))
    x = INPUT_NAME
    if input_scale is not None:
        x = graph.scale(x, input_scale, input_shape)
    rank = 1 + len(input_shape)
    for i, layer in enumerate(network.layers):
        x, rank = _export_layer(graph, str(i), layer, x, rank)
    label_is_vector = _export_head(graph, network, x, wanted)

    elem = helper.np_dtype_to_tensor_dtype(dtype)
    n_out = network.n_out
    shapes: dict[str, tuple[int, list[Any]]] = {
        "probabilities": (elem, [BATCH, n_out]),
        "output": (elem, [BATCH, n_out]),
        "label": (onnx.TensorProto.INT64, [BATCH] if label_is_vector else [BATCH, n_out]),
    }
    graph_outputs = [helper.make_tensor_value_info(name, *shapes[name]) for name in wanted]
    graph_input = helper.make_tensor_value_info(INPUT_NAME, elem, [BATCH, *input_shape])
    model = helper.make_model(
        helper.make_graph(graph.nodes, graph_name, [graph_input], graph_outputs,
                          initializer=graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)],
        ir_version=IR_VERSIONS[opset],
        producer_name="glassnet",
        producer_version=__version__,
        doc_string=f"glassnet network: {network!r}",
    )
    props = {"glassnet_version": __version__, "task": network.task,
             "loss": repr(network.loss), "dtype": str(dtype),
             "input_scale": json.dumps(_describe_scale(input_scale)),
             **(metadata or {})}
    helper.set_model_props(model, {str(k): str(v) for k, v in props.items()})
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        with atomic_write(Path(path)) as f:
            f.write(model.SerializeToString())
    return model


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("ONNX export needs the onnx package: pip install 'glassnet[onnx]'"
                          ) from exc
    return onnx


def _as_network(model: Any) -> Network:
    if isinstance(model, Network):
        return model
    inner = getattr(model, "network", None)  # the book's facade holds an engine network
    if isinstance(inner, Network):
        return inner
    raise TypeError(f"to_onnx exports a glassnet Network, got {type(model).__name__}; "
                    "build one with glassnet.Network or glassnet.mlp")


def _check_opset(opset: int) -> int:
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer) \
            or int(opset) not in IR_VERSIONS:
        raise ExportError(f"opset must be one of {min(IR_VERSIONS)}..{max(IR_VERSIONS)}, "
                          f"got {opset!r}; the default {DEFAULT_OPSET} runs almost everywhere")
    return int(opset)


def _check_outputs(outputs: Sequence[str] | None, network: Network) -> tuple[str, ...]:
    classifier = network.task == "classification"
    if outputs is None:
        return ("label", "probabilities") if classifier else ("output",)
    if isinstance(outputs, str):
        outputs = (outputs,)
    wanted = tuple(outputs)
    unknown = [o for o in wanted if o not in OUTPUTS]
    if unknown or not wanted or len(set(wanted)) != len(wanted):
        raise ExportError(f"outputs must be distinct names among {OUTPUTS}, got {wanted!r}")
    if not classifier and set(wanted) & {"label", "probabilities"}:
        raise ExportError(f"{network.loss!r} network with task='regression' predicts values, "
                          "not labels or probabilities; ask for outputs=('output',)")
    return wanted


def _describe_scale(input_scale: Any) -> Any:
    if input_scale is None:
        return None
    return [np.asarray(v, dtype=np.float64).tolist() for v in input_scale]


class _Graph:
    """The nodes and constant tensors of a graph being written, in one dtype."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, value: ArrayLike, dtype: Any = None) -> str:
        from onnx import numpy_helper

        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: Sequence[str], output: str, **attributes: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, list(inputs), [output], name=output,
                                           **attributes))
        return output

    def scale(self, x: str, input_scale: Any, input_shape: tuple[int, ...]) -> str:
        """``x * scale + offset``, the pair checked to be finite and to fit the input."""
        try:
            scale, offset = input_scale
        except (TypeError, ValueError):
            raise ExportError(f"input_scale must be a pair (scale, offset), got {input_scale!r}; "
                              "e.g. (1/255, 0.0) for raw pixels") from None
        arrays = []
        for what, value in (("scale", scale), ("offset", offset)):
            try:
                a = np.asarray(value, dtype=self.dtype)
            except (TypeError, ValueError):
                raise ExportError(f"input_scale {what} must be a number or an array of numbers, "
                                  f"got {value!r}") from None
            if a.shape not in ((), input_shape) or not np.all(np.isfinite(a)):
                raise ExportError(f"input_scale {what} must be finite, a scalar or of shape "
                                  f"{input_shape} (the input's), got shape {a.shape}")
            arrays.append(a)
        scaled = self.node("Mul", [x, self.constant("input_scale/scale", arrays[0])],
                           "input_scale/scaled")
        return self.node("Add", [scaled, self.constant("input_scale/offset", arrays[1])],
                         "input_scale/out")


_ELEMENTWISE: dict[type, str] = {
    glayers.Sigmoid: "Sigmoid",
    glayers.Tanh: "Tanh",
    glayers.ReLU: "Relu",
}


def _export_layer(graph: _Graph, i: str, layer: Any, x: str, rank: int) -> tuple[str, int]:
    """Append the nodes of the layer at path ``i`` after ``x``; return its output and rank."""
    name = f"{i}.{type(layer).__name__}"
    kind = type(layer)
    if kind is glayers.Sequential:
        for j, inner in enumerate(layer.layers):
            x, rank = _export_layer(graph, f"{i}.{j}", inner, x, rank)
        return x, rank
    if kind is glayers.Residual:
        block, block_rank = _export_layer(graph, f"{i}.block", layer.block, x, rank)
        if block_rank != rank:
            raise ExportError(f"layer {i} {layer!r}: its block changes the number of axes "
                              f"from {rank} to {block_rank}, so x + block(x) has no ONNX form")
        return graph.node("Add", [x, block], name), rank
    if kind is glayers.Dense:
        params = layer.params
        inputs = [x, graph.constant(f"param/{i}.W", params["W"])]
        if "b" in params:
            inputs.append(graph.constant(f"param/{i}.b", params["b"]))
        _need_rank(layer, i, rank, 2, "put a Flatten before it")
        return graph.node("Gemm", inputs, name), 2
    if kind in _ELEMENTWISE:
        return graph.node(_ELEMENTWISE[kind], [x], name), rank
    if kind is glayers.LeakyReLU:
        if graph.dtype == np.float32:
            return graph.node("LeakyRelu", [x], name, alpha=float(layer.alpha)), rank
        # LeakyRelu's alpha is a 32-bit attribute; PRelu takes the slope as a
        # float64 tensor, so a float64 network keeps its exact alpha
        slope = graph.constant(f"{i}.alpha", layer.alpha)
        return graph.node("PRelu", [x, slope], name), rank
    if kind is glayers.Softmax:
        return graph.node("Softmax", [x], name, axis=1), rank
    if kind in (glayers.Identity, glayers.Dropout):
        return x, rank  # Dropout is the identity at inference
    batch_norm = getattr(glayers, "BatchNorm", None)
    if batch_norm is not None and kind is batch_norm:
        return _export_batch_norm(graph, i, layer, x, rank, name), rank
    flatten = getattr(glayers, "Flatten", None)
    if flatten is not None and kind is flatten:
        return graph.node("Flatten", [x], name, axis=1), 2
    exported = export_picture_layer(graph, i, layer, x, rank)
    if exported is not None:
        return exported
    raise ExportError(
        f"layer {i} {layer!r} has no ONNX export; exportable layers are "
        f"{', '.join(_exportable_layer_names())}. Replace it, or export the network "
        "without it")


def _export_batch_norm(graph: _Graph, i: str, layer: Any, x: str, rank: int, name: str) -> str:
    """``(x - running_mean) / sqrt(running_var + eps) * gamma + beta`` (inference mode)."""
    if rank != 4:
        _need_rank(layer, i, rank, 2, "put a Flatten before it")
    state = getattr(layer, "state", {})
    missing = [k for k in ("running_mean", "running_var") if k not in state]
    missing += [k for k in ("gamma", "beta") if k not in layer.params]
    if missing:
        raise ExportError(f"layer {i} {layer!r} lacks {missing}; BatchNorm export needs params "
                          "gamma, beta and state running_mean, running_var")
    inputs = [x,
              graph.constant(f"param/{i}.gamma", layer.params["gamma"]),
              graph.constant(f"param/{i}.beta", layer.params["beta"]),
              graph.constant(f"state/{i}.running_mean", state["running_mean"]),
              graph.constant(f"state/{i}.running_var", state["running_var"])]
    if rank == 4:  # per channel, after a convolution
        return export_batch_norm_pictures(graph, name, inputs[0], inputs[1:], float(layer.eps))
    return graph.node("BatchNormalization", inputs, name, epsilon=float(layer.eps))


def _need_rank(layer: Any, i: str, rank: int, expected: int, fix: str) -> None:
    if rank != expected:
        raise ExportError(f"layer {i} {layer!r} gets inputs with {rank - 1} feature axes in "
                          f"this network; its export needs {expected - 1}: {fix}")


def _exportable_layer_names() -> list[str]:
    names = ["Dense", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Identity", "Dropout",
             "Sequential", "Residual"]
    return names + [n for n in ("BatchNorm", "Flatten") if hasattr(glayers, n)] \
        + list(PICTURE_LAYERS)


def _export_head(graph: _Graph, network: Network, out: str, wanted: tuple[str, ...]) -> bool:
    """The requested outputs from the last layer's tensor ``out``, as ``predict`` decodes it.

    Returns whether ``label`` has one value per sample (else one per output).
    """
    loss = network.loss
    n_out = network.n_out
    label_is_vector = True
    if "output" in wanted:
        graph.node("Identity", [out], "output")
    if network.task == "regression":
        if not isinstance(loss, SumSquaredError | MeanSquaredError):  # e.g. a log link
            raise ExportError(f"the loss {loss!r} turns the raw output into the prediction "
                              "and has no ONNX head; exportable regression losses: "
                              "SumSquaredError, MeanSquaredError")
        return True
    if isinstance(loss, SoftmaxCrossEntropy):
        proba = ("Softmax", {"axis": 1})
        # labels from the logits, as Network.predict does: softmax keeps their order
        label_from, threshold = out, None
    elif isinstance(loss, BinaryCrossEntropy):
        proba = ("Sigmoid", {}) if loss.from_logits else ("Identity", {})
        # sigmoid(z) > 0.5 exactly when z > 0
        label_from, threshold = out, (0.0 if loss.from_logits else 0.5)
        label_is_vector = n_out == 1
    elif isinstance(loss, SumSquaredError | MeanSquaredError):
        proba = ("Identity", {})
        label_from, threshold = out, (0.5 if n_out == 1 else None)
    else:
        raise ExportError(f"the loss {loss!r} has no ONNX head; exportable: "
                          "SoftmaxCrossEntropy, BinaryCrossEntropy, SumSquaredError, "
                          "MeanSquaredError")
    if "probabilities" in wanted:
        graph.node(proba[0], [out], "probabilities", **proba[1])
    if "label" in wanted:
        if threshold is None:
            graph.node("ArgMax", [label_from], "label", axis=1, keepdims=0)
        else:
            above = graph.node("Greater", [label_from, graph.constant("head/threshold",
                                                                      threshold)],
                               "head/above")
            if label_is_vector:  # one output unit: a 0/1 label per sample
                as_int = graph.node("Cast", [above], "head/as_int", to=_int64())
                axes = graph.constant("head/squeeze_axes", [1], dtype=np.int64)
                graph.node("Squeeze", [as_int, axes], "label")
            else:
                graph.node("Cast", [above], "label", to=_int64())
    return label_is_vector


def _int64() -> int:
    from onnx import TensorProto

    return int(TensorProto.INT64)

