"""Turn a picture of your own into an MNIST-like input, as in part 3 of the book.

MNIST digits are light ink (high values) on a black (zero) background, 28x28.
A drawing or photo is usually dark ink on light paper of any size, so the
picture is made greyscale, shrunk (or enlarged) until its longer side is 28
pixels, centred on a 28x28 canvas of its own paper colour, and inverted.
Pillow is an optional dependency: ``pip install 'glassnet[images]'``.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..errors import DataFormatError
from ._pixels import check_scale, scale_pixels

__all__ = ["image_to_input"]

_SIDE = 28


def _pillow() -> tuple[Any, Any]:
    """Import Pillow's Image and ImageOps, or explain how to install it."""
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:
        raise ImportError(
            "image_to_input needs Pillow, which is not installed; "
            "install it with: pip install 'glassnet[images]'"
        ) from exc
    return Image, ImageOps


def _open(image: Any, Image: Any) -> Any:
    """The picture, fully decoded, or a DataFormatError naming the file and the problem.

    Pillow reports a damaged file with a bare ``OSError`` ("image file is
    truncated"), a decompression bomb with its own error (or a warning for
    a merely very large picture) and an empty picture not at all; each
    becomes one error that names the file.
    """
    import warnings

    if isinstance(image, Image.Image):
        return _check_not_empty(image, "the image given")
    if not isinstance(image, (str, os.PathLike)):
        raise TypeError(
            f"image must be a file path or a PIL.Image.Image, got {type(image).__name__}"
        )
    # Read the bytes first: a damaged chunk length can make Pillow ask the file for 2 GB at
    # once (a read that reserves that much); from memory it gets only what there is.
    data = io.BytesIO(Path(image).read_bytes())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(data) as opened:
                opened.load()
    except Image.UnidentifiedImageError as exc:
        raise DataFormatError(
            f"{image}: not an image Pillow can read; expected a PNG, JPEG or similar file"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataFormatError(
            f"{image}: the picture is too large to decode safely ({exc}); shrink it first, or "
            "raise PIL.Image.MAX_IMAGE_PIXELS if you trust the file"
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as exc:
        # truncated or damaged data; Pillow's message does not say which file
        raise DataFormatError(
            f"{image}: the image file is damaged or truncated ({type(exc).__name__}: {exc})"
        ) from exc
    return _check_not_empty(opened, str(image))


def _check_not_empty(img: Any, what: str) -> Any:
    if img.width < 1 or img.height < 1:
        raise DataFormatError(
            f"{what}: the picture is empty ({img.width}x{img.height} pixels); expected a "
            "picture of a digit at least 1 pixel wide and high"
        )
    return img


def _flatten_alpha(img: Any, Image: Any) -> Any:
    """Composite a transparent picture onto white, so see-through pixels read as paper."""
    has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return img
    rgba = img.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)


def _fit_on_canvas(grey: Any, Image: Any) -> Any:
    """Resize so the longer side is 28 px, then centre on a 28x28 canvas of paper colour."""
    width, height = grey.size
    ratio = _SIDE / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    pixels = np.asarray(grey)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    # the picture's own background, not assumed pure white; taken before resizing,
    # which would blur a thin margin into the ink
    paper = int(np.median(border))
    resampling = getattr(Image, "Resampling", Image)  # Pillow < 9.1 has no Resampling enum
    small = grey.resize(size, resampling.LANCZOS)
    canvas = Image.new("L", (_SIDE, _SIDE), paper)
    canvas.paste(small, ((_SIDE - size[0]) // 2, (_SIDE - size[1]) // 2))
    return canvas


def image_to_input(
    image: str | os.PathLike[str] | Any, *, scale: str = "book", dtype: DTypeLike = np.float32
) -> NDArray:
    """Read a picture of a dark digit on light paper as a (784,) network input.

    Parameters
    ----------
    image : path of an image file (PNG, JPEG, ...) or a ``PIL.Image.Image``
    scale : ``"book"`` (``x / 255 * 0.99 + 0.01``, default), ``"unit"`` (``x / 255``)
        or ``"none"`` (uint8 0-255), as in :func:`~glassnet.datasets.load_mnist`
    dtype : float32 or float64, for ``"book"`` and ``"unit"``

    Returns
    -------
    ndarray of shape (784,): the 28x28 picture row by row, inverted so that
    ink is high and paper low, scaled by ``scale``.

    Raises
    ------
    ImportError
        Pillow is not installed.
    DataFormatError
        The file is not an image Pillow can read, is truncated or damaged,
        is a decompression bomb, or the picture is empty; the message names
        the file.
    """
    check_scale(scale)
    Image, ImageOps = _pillow()
    img = ImageOps.exif_transpose(_open(image, Image))  # photos may be stored sideways
    grey = _flatten_alpha(img, Image).convert("L")
    canvas = _fit_on_canvas(grey, Image)
    inverted = 255 - np.asarray(canvas, dtype=np.uint8)  # MNIST stores ink as high values
    return scale_pixels(inverted.reshape(_SIDE * _SIDE), scale, dtype)
