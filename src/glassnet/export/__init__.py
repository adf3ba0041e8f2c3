"""Export trained networks to exchange formats, to run them outside Python.

Only ONNX for now (the ``onnx`` extra: ``pip install 'glassnet[onnx]'``);
importing this package loads no optional dependency, ``to_onnx`` does.
"""

from .onnx import DEFAULT_OPSET, IR_VERSIONS, OUTPUTS, PIXEL_SCALES, to_onnx

__all__ = ["DEFAULT_OPSET", "IR_VERSIONS", "OUTPUTS", "PIXEL_SCALES", "to_onnx"]
