"""More training pictures from the ones you have: small rotations and shifts, in NumPy.

*Make Your Own Neural Network* adds, for every training digit, a copy turned
10 degrees anticlockwise and one turned 10 degrees clockwise, and its
accuracy rises a little: a digit written at a slant is still the same digit.
:func:`augment_rotations` repeats that recipe; :func:`rotate` and
:func:`shift` transform a batch; :func:`random_rotate_shift` draws a
different small rotation and shift for each picture, seeded.

Each output pixel is read from the input at the point the inverse transform
sends it to, by bilinear interpolation between the four nearest pixels;
points that fall outside the picture take the ``fill`` value (the
background). This matches ``scipy.ndimage.rotate(..., reshape=False,
order=1, mode="constant")``, the book's call, without needing SciPy.

Pictures come as rows of ``h * w`` values, ``(n, h * w)`` (the layout the
networks train on, 28x28 by default) or as ``(n, h, w)``; the result has the
same shape and dtype. The transforms hold no state and need no gradients.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_rng
from ..errors import DTypeError, ShapeError

__all__ = ["rotate", "shift", "random_rotate_shift", "augment_rotations"]

_CHUNK = 2048  # pictures per block when each has its own transform (bounds the index arrays)


def _as_images(images: ArrayLike, image_shape: Sequence[int]) -> tuple[NDArray, tuple[int, ...]]:
    """``images`` as a float (n, h, w) array, and the shape to give the result back in."""
    arr = np.asarray(images)
    if arr.dtype.kind != "f":
        raise DTypeError(f"images must hold floats, got dtype {arr.dtype}; scale stored pixels "
                         "first, e.g. X.astype(np.float32) / 255")
    h, w = (int(s) for s in image_shape)
    if arr.ndim == 2 and arr.shape[1] == h * w:
        return arr.reshape(-1, h, w), arr.shape
    if arr.ndim == 3:
        return arr, arr.shape
    if arr.ndim == 2 and arr.shape == (h, w):
        return arr[None], arr.shape
    raise ShapeError(f"images must have shape (n, {h * w}) or (n, h, w), got {arr.shape}; "
                     f"for pictures other than {h}x{w} pass image_shape=(h, w)")


def _source_points(h: int, w: int, angle: NDArray, rows: NDArray, cols: NDArray
                   ) -> tuple[NDArray, NDArray]:
    """Where each output pixel comes from: the inverse of "rotate, then shift".

    A rotation by ``angle`` degrees anticlockwise (as the picture is seen,
    rows growing downwards) about the centre ``((h-1)/2, (w-1)/2)``, then a
    shift of ``rows`` down and ``cols`` right. For an output pixel
    ``(r, c)``, with ``(r', c') = (r - rows, c - cols)`` measured from the
    centre::

        r_in = cy + sin(a) * (c' - cx) + cos(a) * (r' - cy)
        c_in = cx + cos(a) * (c' - cx) - sin(a) * (r' - cy)

    ``angle``, ``rows`` and ``cols`` have shape (k, 1, 1) for k transforms;
    the results have shape (k, h, w).
    """
    cy, cx = (h - 1) / 2, (w - 1) / 2
    r = np.arange(h, dtype=np.float64)[:, None] - rows - cy
    c = np.arange(w, dtype=np.float64)[None, :] - cols - cx
    a = np.deg2rad(angle)
    sin, cos = np.sin(a), np.cos(a)
    return cy + sin * c + cos * r, cx + cos * c - sin * r


def _sample(images: NDArray, r_in: NDArray, c_in: NDArray, fill: float) -> NDArray:
    """Bilinear interpolation of ``images`` (n, h, w) at the points (k, h, w), k = 1 or n."""
    n, h, w = images.shape
    eps = 1e-9  # a point computed as h - 1 + 1e-15 is still on the picture
    inside = (r_in >= -eps) & (r_in <= h - 1 + eps) & (c_in >= -eps) & (c_in <= w - 1 + eps)
    r_in, c_in = np.clip(r_in, 0, h - 1), np.clip(c_in, 0, w - 1)
    r0, c0 = np.floor(r_in).astype(np.intp), np.floor(c_in).astype(np.intp)
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    fr, fc = (r_in - r0).astype(images.dtype), (c_in - c0).astype(images.dtype)
    flat = images.reshape(n, h * w)

    def at(r: NDArray, c: NDArray) -> NDArray:
        index = (r * w + c).reshape(r.shape[0], h * w)
        if index.shape[0] == 1:  # one transform for all pictures: one fancy index
            return flat[:, index[0]].reshape(n, h, w)
        return np.take_along_axis(flat, index, axis=1).reshape(n, h, w)

    top = at(r0, c0) * (1 - fc) + at(r0, c1) * fc
    bottom = at(r1, c0) * (1 - fc) + at(r1, c1) * fc
    out = top * (1 - fr) + bottom * fr
    return np.where(inside, out, images.dtype.type(fill))


def _transform(images: ArrayLike, angle: NDArray, rows: NDArray, cols: NDArray,
               fill: float | None, image_shape: Sequence[int]) -> NDArray:
    pictures, shape = _as_images(images, image_shape)
    fill = float(pictures.min()) if fill is None else float(fill)
    if not np.isfinite(fill):
        raise ValueError(f"fill must be a finite number, got {fill}")
    n, h, w = pictures.shape
    if angle.size == 1:
        r_in, c_in = _source_points(h, w, angle, rows, cols)
        return _sample(pictures, r_in, c_in, fill).reshape(shape)
    out = np.empty_like(pictures)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        r_in, c_in = _source_points(h, w, angle[part], rows[part], cols[part])
        out[part] = _sample(pictures[part], r_in, c_in, fill)
    return out.reshape(shape)


def _one(value: float, name: str) -> NDArray:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return np.full((1, 1, 1), value)


def rotate(images: ArrayLike, angle: float, *, fill: float | None = None,
           image_shape: Sequence[int] = (28, 28)) -> NDArray:
    """Turn every picture ``angle`` degrees anticlockwise about its centre.

    Parameters
    ----------
    images : float array of shape (n, h*w), (n, h, w) or (h, w)
    angle : degrees, anticlockwise as the picture is seen (negative: clockwise)
    fill : the value of pixels turned in from outside the picture; None
        (default) takes the smallest value in ``images``, the background of
        MNIST-like data (0.0 for ``scale="unit"``, 0.01 for the book's scale)
    image_shape : (h, w) of pictures given as rows, 28x28 by default

    Returns
    -------
    ndarray of the shape and dtype of ``images``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 3, 3)); x[0, 0, 1] = 1.0   # a dot above the centre
    >>> rotate(x, 90)[0].round(6) + 0.0                # now left of it
    array([[0., 0., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    """
    zero = np.zeros((1, 1, 1))
    return _transform(images, _one(angle, "angle"), zero, zero, fill, image_shape)


def shift(images: ArrayLike, rows: float, cols: float, *, fill: float | None = None,
          image_shape: Sequence[int] = (28, 28)) -> NDArray:
    """Move every picture ``rows`` pixels down and ``cols`` right (fractions interpolate).

    Parameters as in :func:`rotate`; negative values move up and left.
    """
    return _transform(images, np.zeros((1, 1, 1)), _one(rows, "rows"), _one(cols, "cols"),
                      fill, image_shape)


def random_rotate_shift(images: ArrayLike, *, max_angle: float = 10.0, max_shift: float = 2.0,
                        fill: float | None = None, image_shape: Sequence[int] = (28, 28),
                        seed: int | np.random.Generator | None = None) -> NDArray:
    """Each picture turned and moved by its own random amount, for training on the fly.

    The angle is uniform in ``[-max_angle, max_angle]`` degrees and each of
    the two shifts uniform in ``[-max_shift, max_shift]`` pixels, drawn from
    ``seed`` (an int, a Generator, or None for fresh entropy).
    """
    for value, name in ((max_angle, "max_angle"), (max_shift, "max_shift")):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    pictures, _ = _as_images(images, image_shape)
    gen = as_rng(seed)
    n = pictures.shape[0]
    angle = gen.uniform(-max_angle, max_angle, size=(n, 1, 1))
    rows, cols = gen.uniform(-max_shift, max_shift, size=(2, n, 1, 1))
    return _transform(images, angle, rows, cols, fill, image_shape)


def augment_rotations(X: ArrayLike, y: ArrayLike, *, angles: Sequence[float] = (10.0, -10.0),
                      fill: float | None = None, image_shape: Sequence[int] = (28, 28)
                      ) -> tuple[NDArray, NDArray]:
    """The book's recipe: each picture followed by its copies turned by each of ``angles``.

    With the default ``angles=(10, -10)`` the rows come in the book's order:
    picture 0, picture 0 turned 10 degrees anticlockwise, then 10 degrees
    clockwise, picture 1, ...; training on them one at a time, in this order,
    is the book's training loop with rotations. With ``fill=None`` the
    background is the smallest value of ``X``: 0.01 on the book's scale (the
    book's ``cval=0.01``), 0.0 on the unit scale.

    Parameters
    ----------
    X : float array of shape (n, h*w)
    y : array of shape (n,) (labels) or (n, k) (targets), repeated alongside
    angles : degrees, anticlockwise positive

    Returns
    -------
    X_aug : ndarray of shape (n * (1 + len(angles)), h*w)
    y_aug : ``y`` repeated the same way
    """
    X_arr, y_arr = np.asarray(X), np.asarray(y)
    if X_arr.ndim != 2:
        raise ShapeError(f"X must have shape (n, h*w), got {X_arr.shape}")
    if y_arr.shape[:1] != X_arr.shape[:1]:
        raise ShapeError(f"y must have {X_arr.shape[0]} rows to match X {X_arr.shape}, "
                         f"got {y_arr.shape}")
    fill = float(X_arr.min()) if fill is None and X_arr.size else fill
    copies = [X_arr] + [rotate(X_arr, a, fill=fill, image_shape=image_shape) for a in angles]
    X_aug = np.stack(copies, axis=1).reshape(-1, X_arr.shape[1])
    return X_aug, np.repeat(y_arr, len(copies), axis=0)
