"""``glassnet export MODEL OUT.onnx``: a saved model as an ONNX file."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser", "run"]

SCALES = ("none", "unit", "book")


def add_parser(sub: Any) -> None:
    """Register the ``export`` sub-command on the parser's sub-parsers ``sub``."""
    from ..export.onnx import DEFAULT_OPSET, IR_VERSIONS

    p = sub.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Convert a saved model to ONNX (tensor outputs 'label' and "
                    "'probabilities', or 'output' for a regression network; dynamic batch "
                    "size) to run it with onnxruntime, in a browser or on a phone. Needs the "
                    "onnx extra: pip install 'glassnet[onnx]'.")
    p.add_argument("model", help="model file written by glassnet train or glassnet.io.save")
    p.add_argument("output", help="ONNX file to write, e.g. model.onnx")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                   choices=sorted(IR_VERSIONS), metavar="N",
                   help=f"ONNX opset, {min(IR_VERSIONS)} to {max(IR_VERSIONS)} "
                        f"(default {DEFAULT_OPSET})")
    p.add_argument("--scale", choices=SCALES, default="none",
                   help="scaling of raw 0-255 pixels put inside the graph: unit x/255, book "
                        "x/255*0.99+0.01, none: inputs as the network takes them (default)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load ``args.model``, convert it and write ``args.output``; print what was written."""
    from .. import io
    from ..export.onnx import IR_VERSIONS, PIXEL_SCALES, to_onnx

    model = io.load(args.model)
    notes: dict[str, Any] = io.model_info(args.model).get("metadata") or {}
    metadata = {}
    if notes.get("class_names"):
        metadata["class_names"] = json.dumps(list(notes["class_names"]))
    scale = None if args.scale == "none" else PIXEL_SCALES[args.scale]
    onnx_model = to_onnx(model, args.output, opset=args.opset, input_scale=scale,
                         metadata=metadata)
    graph = onnx_model.graph
    print(f"wrote {args.output}: opset {args.opset}, IR version {IR_VERSIONS[args.opset]}; "
          f"takes {_describe(graph.input[0])}; gives "
          + ", ".join(_describe(o) for o in graph.output))
    trained = notes.get("scale")
    if args.scale == "none" and trained not in (None, "none"):
        print(f"note: the model was trained on pixels scaled {trained!r}; scale the inputs "
              f"the same way, or export with --scale {trained} to take raw 0-255 pixels")
    return 0


def _describe(value_info: Any) -> str:
    from onnx import helper

    tensor = value_info.type.tensor_type
    dims = [d.dim_param or str(d.dim_value) for d in tensor.shape.dim]
    dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
    return f"'{value_info.name}' {dtype} ({', '.join(dims)}{',' if len(dims) == 1 else ''})"
