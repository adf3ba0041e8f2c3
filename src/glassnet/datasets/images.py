"""Turn a picture of your own into an MNIST-like input, as in part 3 of the book.

MNIST digits are light ink (high values) on a black (zero) background: each
was cut to its ink, scaled to fit a 20x20 box keeping its aspect ratio, and
placed on a 28x28 canvas with its centre of mass at the centre. A drawing or
a photo is usually dark ink on light paper, of any size, anywhere on the
page; ``preprocess="mnist"`` (the default) repeats MNIST's steps on it:

1. turn it upright (EXIF), lay a transparent picture on paper that
   contrasts with its ink, and make it grey;
2. find the paper (light or dark) and invert only when the ink is darker;
3. cut to the ink, bring very thin or very thick strokes towards MNIST's
   width, scale to fit 20x20 (Lanczos filter), and centre the result by its
   centre of mass on 28x28.

``preprocess="plain"`` only fits the whole picture into 28x28 (step 1, the
inversion of step 2, and a resize): right for pictures made like
Fashion-MNIST's garments, which fill their frame. The 28x28 the network sees
comes back from :func:`preprocess_image`, with warnings when the picture
looks unlike the training data. Pillow is an optional dependency:
``pip install 'glassnet[images]'``.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import check_choice
from ..errors import DataFormatError, InputWarning
from . import digit_maths as dm
from ._pixels import check_scale, scale_pixels

__all__ = ["image_to_input", "preprocess_image", "PreparedImage", "PREPROCESSING"]

PREPROCESSING = ("mnist", "plain")
_SIDE = 28
_BOX = 20  # MNIST fits each digit into 20x20 before centring it on 28x28
# Stroke widths (stroke_width) in pixels per 20 px of the digit's box. MNIST's digits,
# redrawn large, measure 2.6 to 7.5 (median 3.7); a pen outside [_THIN, _THICK] is
# brought to _STROKE, so that strokes neither vanish nor fill the box when shrunk.
_STROKE, _THIN, _THICK = 2.5, 1.25, 7.0


@dataclass(frozen=True)
class PreparedImage:
    """A picture as the network sees it.

    Attributes
    ----------
    pixels : ndarray of shape (28, 28), uint8, ink high (255) on 0, as MNIST
    inverted : whether the picture's grey levels were inverted (dark ink)
    warnings : why the picture may read badly, one sentence each (empty if none)
    """

    pixels: NDArray[np.uint8]
    inverted: bool
    warnings: tuple[str, ...] = ()

    def save(self, path: str | os.PathLike[str], *, zoom: int = 10) -> Path:
        """Write the 28x28 as a PNG, each pixel a ``zoom`` x ``zoom`` square; returns the path."""
        if not isinstance(zoom, (int, np.integer)) or zoom < 1:
            raise ValueError(f"zoom must be a positive integer, got {zoom!r}")
        Image, _ = _pillow()
        big = np.kron(self.pixels, np.ones((zoom, zoom), dtype=np.uint8))
        path = Path(path)
        Image.fromarray(big).save(path)
        return path


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


def _open(image: Any, Image: Any) -> tuple[Any, str]:
    """The picture, fully decoded, and the name to use in messages.

    Pillow reports a damaged file with a bare ``OSError`` ("image file is
    truncated"), a decompression bomb with its own error (or a warning for
    a merely very large picture) and an empty picture not at all; each
    becomes one DataFormatError that names the file. A missing file stays a
    FileNotFoundError.
    """
    if isinstance(image, Image.Image):
        return _check_not_empty(image, "the picture"), "the picture"
    if not isinstance(image, (str, os.PathLike)):
        raise TypeError(
            f"image must be a file path or a PIL.Image.Image, got {type(image).__name__}"
        )
    name = str(image)
    # Read the bytes first: a damaged chunk length can make Pillow ask the file for 2 GB at
    # once (a read that reserves that much); from memory it gets only what there is.
    data = io.BytesIO(Path(image).read_bytes())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(data) as opened:
                _frame_count(opened)  # counted (and kept by Pillow) while the file is open
                opened.load()
    except Image.UnidentifiedImageError as exc:
        raise DataFormatError(
            f"{name}: not an image Pillow can read; expected a PNG, JPEG or similar file"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataFormatError(
            f"{name}: the picture is too large to decode safely ({exc}); shrink it first, or "
            "raise PIL.Image.MAX_IMAGE_PIXELS if you trust the file"
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as exc:
        # truncated or damaged data; Pillow's message does not say which file
        raise DataFormatError(
            f"{name}: the image file is damaged or truncated ({type(exc).__name__}: {exc}); "
            "save it again"
        ) from exc
    return _check_not_empty(opened, name), name


def _frame_count(img: Any) -> int:
    """How many frames (an animated GIF, PNG or WebP, a multi-page TIFF) the picture has."""
    try:
        return int(getattr(img, "n_frames", 1))
    except (OSError, ValueError, EOFError):  # a user's picture whose file is closed
        return 1


def _frame_notes(img: Any) -> list[str]:
    """A warning for a picture of several frames: how many, and which one is read."""
    frames = _frame_count(img)
    if frames <= 1:
        return []
    current = img.tell() if hasattr(img, "tell") else 0
    return [f"the file has {frames} frames (an animation or several pages); only frame "
            f"{current + 1} of {frames} is read: save the frame you mean as a picture of "
            "its own (e.g. a PNG) to be sure"]


def _check_not_empty(img: Any, what: str) -> Any:
    if img.width < 1 or img.height < 1:
        raise DataFormatError(
            f"{what}: the picture is empty ({img.width}x{img.height} pixels); expected a "
            "picture of a digit at least 1 pixel wide and high"
        )
    return img


def _grey(img: Any, Image: Any, ImageOps: Any) -> NDArray[np.float64]:
    """Grey levels 0-255 of an upright picture, transparency laid on contrasting paper."""
    img = ImageOps.exif_transpose(img)  # photos may be stored sideways
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float greys
        values = np.asarray(img, dtype=np.float64)
        top = values.max()
        return values * (255.0 / top) if top > 0 else values
    has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float64)
    rgba = img.convert("RGBA")
    grey = np.asarray(rgba.convert("L"), dtype=np.float64)
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
    # see-through pixels become paper; paper white under dark ink, black under light ink
    ink_level = float((grey * alpha).sum() / alpha.sum()) if alpha.sum() > 0 else 0.0
    paper = 255.0 if ink_level < 127.5 else 0.0
    return grey * alpha + paper * (1.0 - alpha)


def _resize(values: NDArray, size: tuple[int, int], Image: Any) -> NDArray[np.float64]:
    """Resize a 0-255 array to ``size`` = (width, height) with Lanczos, as float."""
    resampling = getattr(Image, "Resampling", Image)  # Pillow < 9.1 has no Resampling enum
    img = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
    return np.asarray(img.resize(size, resampling.LANCZOS), dtype=np.float64)


def _fit(height: int, width: int, side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is ``side``, keeping the aspect ratio."""
    ratio = side / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _plain(grey: NDArray, invert: bool, Image: Any) -> NDArray[np.uint8]:
    """The whole picture, longer side 28 px, centred on 28x28 of its own paper colour."""
    values = 255.0 - grey if invert else grey
    border = np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])
    # the picture's own background, taken before resizing blurs a thin margin into the ink
    paper = float(np.median(border))
    size = _fit(values.shape[0], values.shape[1], _SIDE)
    small = _resize(values, size, Image)
    canvas = np.full((_SIDE, _SIDE), paper)
    top, left = (_SIDE - size[1]) // 2, (_SIDE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = small
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def _mnist_style(grey: NDArray, invert: bool, Image: Any) -> tuple[NDArray[np.uint8], list[str]]:
    """Cut to the ink, fit in 20x20, centre by mass on 28x28; and what looks odd."""
    ink = dm.ink_map(grey, invert=invert)
    box = dm.ink_bounding_box(ink)
    if box is None:
        return np.zeros((_SIDE, _SIDE), np.uint8), [
            "no ink found: the picture is blank or has no contrast between ink and paper"]
    notes = []
    top, left, bottom, right = box
    height, width = ink.shape
    if top == 0 or left == 0 or bottom == height or right == width:
        notes.append("the ink touches the edge of the picture: part of the digit may be cut "
                     "off; leave a margin of paper around it")
    n_ink = int((ink >= dm.INK_THRESHOLD).sum())
    if n_ink < 20 or max(bottom - top, right - left) < 0.05 * max(height, width):
        notes.append(f"nearly empty: only {n_ink} ink pixels in a {width}x{height} picture; "
                     "is the digit there, large and dark enough?")
    crop = ink[top:bottom, left:right]
    longest = max(crop.shape)
    if longest >= 2 * _BOX:  # below that, stroke widths cannot be estimated
        per_box = longest / _BOX  # pixels of the picture per pixel of the 20x20 box
        width_now = dm.stroke_width(crop)
        if width_now < _THIN * per_box:  # a fine pen on a big canvas would vanish at 20x20
            crop = dm.dilate(np.pad(crop, 1), round(_STROKE * per_box - width_now) + 1)
        elif width_now > _THICK * per_box:  # a marker would fill the box
            crop = dm.erode(crop, round(width_now - _STROKE * per_box) + 1)
    size = _fit(crop.shape[0], crop.shape[1], _BOX)
    small = np.clip(_resize(crop * 255.0, size, Image), 0.0, None)
    peak = small.max()
    if peak > 0:  # the strongest ink is 255 in MNIST; thin strokes lose contrast when shrunk
        small *= 255.0 / peak
    pixels = dm.place_by_centre_of_mass(np.rint(small).astype(np.uint8), _SIDE)
    masses = dm.blob_masses(pixels / 255.0)
    if len(masses) > 1 and masses[1] >= 0.1 * sum(masses):
        notes.append(f"the ink forms {len(masses)} separate blobs: draw one digit per "
                     "picture, and remove specks and lines around it")
    return pixels, notes


def preprocess_image(image: str | os.PathLike[str] | Any, *, preprocess: str = "mnist",
                     invert: bool | None = None) -> PreparedImage:
    """The 28x28 a network trained on MNIST-like data sees for a picture.

    Parameters
    ----------
    image : path of an image file (PNG, JPEG, ...) or a ``PIL.Image.Image``
    preprocess : ``"mnist"`` (default: cut to the ink, fit in 20x20, centre by
        mass, as MNIST's digits were made) or ``"plain"`` (fit the whole
        picture into 28x28, as for Fashion-MNIST's garments)
    invert : True for dark ink on light paper, False for light ink on dark
        paper (as MNIST stores it), None (default) to decide from the
        picture's border (its paper)

    Returns
    -------
    PreparedImage : ``pixels`` (28, 28) uint8 ink high, ``inverted``, ``warnings``

    Raises
    ------
    ImportError
        Pillow is not installed.
    DataFormatError
        The file is not an image Pillow can read, is truncated, too large or empty.
    """
    check_choice(preprocess, PREPROCESSING, "preprocess")
    if invert not in (None, True, False):
        raise TypeError(f"invert must be None, True or False, got {invert!r}")
    Image, ImageOps = _pillow()
    img, _ = _open(image, Image)
    frames = _frame_notes(img)
    grey = _grey(img, Image, ImageOps)
    inverted = dm.background_is_light(grey) if invert is None else bool(invert)
    if preprocess == "plain":
        return PreparedImage(_plain(grey, inverted, Image), inverted, tuple(frames))
    pixels, notes = _mnist_style(grey, inverted, Image)
    return PreparedImage(pixels, inverted, tuple(frames + notes))


def image_to_input(
    image: str | os.PathLike[str] | Any, *, scale: str = "book", dtype: DTypeLike = np.float32,
    preprocess: str = "mnist", invert: bool | None = None, return_preview: bool = False,
) -> NDArray | tuple[NDArray, PreparedImage]:
    """Read a picture of a digit (or garment) as a (784,) network input.

    Each of the picture's warnings (see :func:`preprocess_image`) is also
    issued as an :class:`~glassnet.errors.InputWarning` naming the picture.

    Parameters
    ----------
    image : path of an image file (PNG, JPEG, ...) or a ``PIL.Image.Image``
    scale : ``"book"`` (``x / 255 * 0.99 + 0.01``, default), ``"unit"`` (``x / 255``)
        or ``"none"`` (uint8 0-255), as in :func:`~glassnet.datasets.load_mnist`
    dtype : float32 or float64, for ``"book"`` and ``"unit"``
    preprocess, invert : as in :func:`preprocess_image`
    return_preview : also return the :class:`PreparedImage` (the 28x28 seen)

    Returns
    -------
    ndarray of shape (784,): the 28x28 picture row by row, ink high and paper
    low, scaled by ``scale``; with ``return_preview``, ``(x, prepared)``.
    """
    check_scale(scale)
    prepared = preprocess_image(image, preprocess=preprocess, invert=invert)
    name = str(image) if isinstance(image, (str, os.PathLike)) else "the picture"
    for note in prepared.warnings:
        warnings.warn(f"{name}: {note}", InputWarning, stacklevel=2)
    x = scale_pixels(prepared.pixels.reshape(_SIDE * _SIDE), scale, dtype)
    return (x, prepared) if return_preview else x
