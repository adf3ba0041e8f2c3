"""Turn stored 0-255 pixel values into network inputs.

Three conventions, chosen by name:

* ``"none"``: the uint8 values as stored, 0 to 255.
* ``"unit"``: ``x / 255``, in [0, 1].
* ``"book"``: ``x / 255 * 0.99 + 0.01``, in [0.01, 1.0], as in Tariq Rashid's
  *Make Your Own Neural Network*: a zero input would zero the weight updates
  of its connections, so the book keeps every input strictly positive.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import check_choice, check_dtype

__all__ = ["SCALES", "check_scale", "scale_pixels"]

SCALES = ("none", "unit", "book")


def check_scale(scale: str) -> str:
    """``scale`` if it is one of :data:`SCALES`, else a ValueError listing them."""
    return check_choice(scale, SCALES, "scale")


def scale_pixels(pixels: NDArray[np.uint8], scale: str, dtype: DTypeLike) -> NDArray:
    """Scale uint8 ``pixels`` (any shape) by the named convention.

    ``dtype`` (float32 or float64) applies to ``"unit"`` and ``"book"``; ``"none"``
    returns ``pixels`` unchanged, as uint8.
    """
    check_scale(scale)
    if scale == "none":
        return pixels
    out = pixels.astype(check_dtype(dtype))
    out /= 255.0  # in place and in the book's order of operations, to keep memory flat
    if scale == "book":
        out *= 0.99
        out += 0.01
    return out
