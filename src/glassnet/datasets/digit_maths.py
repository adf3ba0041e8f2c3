"""The pixel arithmetic of MNIST-style preprocessing, in plain NumPy.

MNIST's digits were made in four steps: the scanned digit was cut to its
bounding box, scaled (anti-aliased) to fit a 20x20 box keeping its aspect
ratio, and placed on a 28x28 canvas so that its centre of mass sits at the
centre. A picture of your own reads well only after the same steps. This
module holds the parts that are arithmetic on arrays; the resizing itself
(which needs a good filter) is Pillow's, in :mod:`glassnet.datasets.images`.

Arrays here are "ink maps": 2-D float arrays in [0, 1], ink high, paper 0,
as MNIST stores its digits.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "background_is_light",
    "ink_map",
    "ink_bounding_box",
    "stroke_width",
    "dilate",
    "erode",
    "centre_of_mass",
    "place_by_centre_of_mass",
    "blob_masses",
    "INK_THRESHOLD",
]

INK_THRESHOLD = 0.25
"""An ink-map value at or above this counts as ink (for boxes, widths and blobs)."""


def _border(grey: NDArray) -> NDArray:
    return np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])


def background_is_light(grey: NDArray) -> bool:
    """Whether the paper is lighter than the ink.

    The paper is what the border of the picture shows most (its median): a
    digit is drawn inside its paper. A border that is half ink, which only a
    digit cut off on every side gives, falls back to the median of the whole
    picture, where paper is still the majority of pixels.

    Parameters
    ----------
    grey : ndarray of shape (height, width), grey levels 0-255
    """
    border = _border(grey)
    level = float(np.median(border))
    if abs(level - 127.5) < 32:  # an ambiguous border: ask the whole picture
        level = float(np.median(grey))
    return level >= 127.5


def ink_map(grey: NDArray, *, invert: bool) -> NDArray[np.float64]:
    """Grey levels to ink in [0, 1]: paper 0, the darkest (or lightest) ink 1.

    ``invert=True`` for dark ink on light paper. The paper's own level (the
    border's median, e.g. a grey photo of white paper) becomes 0 and strong
    ink (the 99th percentile of the pixels clearly darker than the paper, so
    a few specks cannot set the scale) becomes 1; values in between are
    stretched linearly::

        ink = clip((v - paper) / (strong - paper), 0, 1),  v = 255 - grey if invert

    Parameters
    ----------
    grey : ndarray of shape (height, width), grey levels 0-255
    invert : whether ink is darker than paper

    Returns
    -------
    ndarray of shape (height, width), float64 in [0, 1]
    """
    values = np.asarray(grey, dtype=np.float64)
    if invert:
        values = 255.0 - values
    paper = float(np.median(_border(values)))
    marked = values[values > paper + 16.0]  # clearly not paper (16 grey levels: JPEG noise)
    if marked.size == 0:  # no contrast: the picture is blank
        return np.zeros_like(values)
    strong = float(np.percentile(marked, 99))
    return np.clip((values - paper) / (strong - paper), 0.0, 1.0)


def ink_bounding_box(ink: NDArray, threshold: float = INK_THRESHOLD
                     ) -> tuple[int, int, int, int] | None:
    """``(top, left, bottom, right)`` (bottom and right exclusive) of the ink, or None."""
    rows = np.flatnonzero((ink >= threshold).any(axis=1))
    cols = np.flatnonzero((ink >= threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def stroke_width(ink: NDArray, threshold: float = INK_THRESHOLD) -> float:
    """The typical width of the strokes, in pixels, estimated as ``2 * area / perimeter``.

    A stroke of width ``w`` and length ``L`` covers ``w * L`` pixels and has
    about ``2 * L`` pixels on its edge (ink pixels with a paper pixel among
    their four neighbours), so ``w ~ 2 * area / edge``. A one-pixel line,
    all edge, gives 2; the estimate is meant for comparing, not measuring.
    """
    mask = ink >= threshold
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    inner = (padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])
    edge = int((mask & ~inner).sum())
    return 2.0 * area / max(edge, 1)


def _sliding(ink: NDArray, size: int, reduce: np.ufunc) -> NDArray:
    """Max (or min) over a ``size`` x ``size`` square around each pixel, separably."""
    lo = size // 2
    hi = size - 1 - lo
    fill = 0.0 if reduce is np.maximum else 1.0
    out = ink
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (lo, hi)
        padded = np.pad(out, pad, constant_values=fill)
        n = out.shape[axis]
        acc = np.take(padded, range(0, n), axis=axis)
        for k in range(1, size):
            acc = reduce(acc, np.take(padded, range(k, k + n), axis=axis))
        out = acc
    return out


def dilate(ink: NDArray, size: int) -> NDArray:
    """Thicken strokes: each pixel becomes the maximum of its ``size`` x ``size`` square."""
    return ink if size <= 1 else _sliding(ink, size, np.maximum)


def erode(ink: NDArray, size: int) -> NDArray:
    """Thin strokes: each pixel becomes the minimum of its ``size`` x ``size`` square."""
    return ink if size <= 1 else _sliding(ink, size, np.minimum)


def centre_of_mass(ink: NDArray) -> tuple[float, float]:
    """``(row, column)`` of the ink's centre of mass, ``sum(v * index) / sum(v)``.

    An empty map has no centre; its geometric centre is returned instead.
    """
    total = float(ink.sum())
    if total <= 0.0:
        return (ink.shape[0] - 1) / 2, (ink.shape[1] - 1) / 2
    rows = np.arange(ink.shape[0], dtype=np.float64)
    cols = np.arange(ink.shape[1], dtype=np.float64)
    return (float(ink.sum(axis=1) @ rows) / total, float(ink.sum(axis=0) @ cols) / total)


def place_by_centre_of_mass(digit: NDArray, side: int = 28) -> NDArray:
    """Paste ``digit`` on a ``side`` x ``side`` canvas with its centre of mass at the centre.

    The shift is rounded to whole pixels, as MNIST's was, so no extra blur is
    added; it is limited so the whole digit stays on the canvas (a lopsided
    digit then sits a little off centre rather than being cut).

    Parameters
    ----------
    digit : ndarray of shape (h, w), h, w <= side

    Returns
    -------
    ndarray of shape (side, side), the same dtype as ``digit``
    """
    h, w = digit.shape
    if h > side or w > side:
        raise ValueError(f"a digit of {h}x{w} pixels does not fit a {side}x{side} canvas")
    row, col = centre_of_mass(digit)
    centre = (side - 1) / 2
    top = int(np.clip(round(centre - row), 0, side - h))
    left = int(np.clip(round(centre - col), 0, side - w))
    canvas = np.zeros((side, side), dtype=digit.dtype)
    canvas[top:top + h, left:left + w] = digit
    return canvas


def blob_masses(ink: NDArray, threshold: float = INK_THRESHOLD) -> list[float]:
    """The ink mass of each separate blob (8-connected), largest first.

    Meant for small maps such as the 28x28 result: a breadth-first search in
    Python, one visit per ink pixel.
    """
    mask = ink >= threshold
    seen = np.zeros_like(mask)
    masses = []
    height, width = mask.shape
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        queue, mass = deque([start]), 0.0
        while queue:
            r, c = queue.popleft()
            mass += float(ink[r, c])
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < height and 0 <= cc < width and mask[rr, cc] and not seen[rr, cc]:
                        seen[rr, cc] = True
                        queue.append((rr, cc))
        masses.append(mass)
    return sorted(masses, reverse=True)
