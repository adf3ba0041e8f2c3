"""Small two-dimensional classification problems, generated on the spot.

Every generator returns ``(X, y)`` with ``X`` of shape ``(n_samples, n_features)``
and the requested float dtype, and ``y`` of int64 labels ``0 .. n_classes-1``.
Classes are as balanced as ``n_samples`` allows (sizes differ by at most one,
the first classes get the extra samples), rows come in a shuffled order, and
the same ``seed`` always gives the same data.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .._validation import as_rng, check_dtype, check_non_negative, check_positive_int

__all__ = ["make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs"]

Seed = int | np.random.Generator | None


def _class_sizes(n_samples: object, n_classes: int) -> NDArray[np.int64]:
    """Split ``n_samples`` into ``n_classes`` sizes differing by at most one."""
    n = check_positive_int(n_samples, "n_samples")
    if n < n_classes:
        raise ValueError(
            f"n_samples must be at least the number of classes ({n_classes}) so that every "
            f"class gets a sample, got n_samples={n}; pass n_samples >= {n_classes}"
        )
    sizes = np.full(n_classes, n // n_classes, dtype=np.int64)
    sizes[: n % n_classes] += 1
    return sizes


def _finish(
    parts: list[NDArray], sizes: NDArray[np.int64], rng: np.random.Generator, dtype: np.dtype
) -> tuple[NDArray, NDArray[np.int64]]:
    """Stack per-class points, label them by class, and shuffle the rows together."""
    X = np.concatenate(parts, axis=0)
    y = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order], dtype=dtype), y[order]


def make_moons(
    n_samples: int = 200, *, noise: float = 0.1, seed: Seed = None, dtype: DTypeLike = np.float32
) -> tuple[NDArray, NDArray[np.int64]]:
    """Two interleaving half circles: the upper moon is class 0, the lower class 1.

    Class 0 lies on ``(cos t, sin t)`` and class 1 on ``(1 - cos t, 0.5 - sin t)``
    for ``t`` evenly spaced in ``[0, pi]``; then Gaussian noise of standard
    deviation ``noise`` is added to both coordinates. No straight line separates
    the classes.

    Parameters
    ----------
    n_samples : int, at least 2
    noise : float >= 0, standard deviation of the added noise
    seed : int, numpy.random.Generator or None
    dtype : float32 or float64

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_samples, 2)
    noise = check_non_negative(noise, "noise")
    dt = check_dtype(dtype)
    rng = as_rng(seed)
    t0 = np.linspace(0.0, np.pi, sizes[0])
    t1 = np.linspace(0.0, np.pi, sizes[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(int(sizes.sum()), 2))
    return _finish([X], sizes, rng, dt)


def make_circles(
    n_samples: int = 200,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: Seed = None,
    dtype: DTypeLike = np.float32,
) -> tuple[NDArray, NDArray[np.int64]]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1).

    Points are evenly spaced in angle on each circle, then Gaussian noise of
    standard deviation ``noise`` is added to both coordinates.

    Parameters
    ----------
    n_samples : int, at least 2
    noise : float >= 0
    factor : float in (0, 1), radius of the inner circle
    seed : int, numpy.random.Generator or None
    dtype : float32 or float64

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_samples, 2)
    noise = check_non_negative(noise, "noise")
    factor = check_non_negative(factor, "factor", upper=1.0, strict_upper=True)
    if factor == 0:
        raise ValueError("factor must be > 0 (the inner radius), got 0; pass 0 < factor < 1")
    dt = check_dtype(dtype)
    rng = as_rng(seed)
    parts = []
    for radius, size in zip((1.0, factor), sizes, strict=True):
        angle = np.linspace(0.0, 2.0 * np.pi, size, endpoint=False)
        parts.append(radius * np.column_stack([np.cos(angle), np.sin(angle)]))
    X = np.concatenate(parts) + rng.normal(0.0, noise, size=(int(sizes.sum()), 2))
    return _finish([X], sizes, rng, dt)


def make_spirals(
    n_samples: int = 300,
    *,
    n_arms: int = 3,
    noise: float = 0.2,
    seed: Seed = None,
    dtype: DTypeLike = np.float32,
) -> tuple[NDArray, NDArray[np.int64]]:
    """``n_arms`` interleaved spiral arms growing out of the origin, one class per arm.

    Arm ``k`` has points at radius ``r`` evenly spaced in ``[0, 1]`` and angle
    ``2 pi k / n_arms + 4 r + noise * e`` with ``e ~ N(0, 1)``: the noise jitters
    the angle (in radians), so it moves points further near the rim than near
    the centre.

    Parameters
    ----------
    n_samples : int, at least ``n_arms``
    n_arms : int, at least 2, the number of classes
    noise : float >= 0, standard deviation of the angle noise in radians
    seed : int, numpy.random.Generator or None
    dtype : float32 or float64

    Returns
    -------
    X : ndarray of shape (n_samples, 2), inside the unit disc
    y : ndarray of shape (n_samples,), int64 in ``0 .. n_arms-1``
    """
    arms = check_positive_int(n_arms, "n_arms")
    if arms < 2:
        raise ValueError(f"n_arms must be at least 2 (one class per arm), got {arms}")
    sizes = _class_sizes(n_samples, arms)
    noise = check_non_negative(noise, "noise")
    dt = check_dtype(dtype)
    rng = as_rng(seed)
    parts = []
    for k, size in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, size)
        angle = 2.0 * np.pi * k / arms + 4.0 * radius + rng.normal(0.0, noise, size=size)
        parts.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
    return _finish(parts, sizes, rng, dt)


def make_xor(
    n_samples: int = 200, *, noise: float = 0.1, seed: Seed = None, dtype: DTypeLike = np.float32
) -> tuple[NDArray, NDArray[np.int64]]:
    """Four Gaussian clusters at the corners ``(+-1, +-1)``, labelled by XOR of the signs.

    ``y = 1`` where exactly one coordinate of the corner is positive, ``y = 0`` at
    ``(1, 1)`` and ``(-1, -1)``. Each class is split evenly over its two corners.
    With ``n_samples=4`` and ``noise=0`` the result is exactly the XOR truth table
    in +-1 coding: the four corners once each, in shuffled order.

    Parameters
    ----------
    n_samples : int, at least 2
    noise : float >= 0, standard deviation of each cluster
    seed : int, numpy.random.Generator or None
    dtype : float32 or float64

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_samples, 2)
    noise = check_non_negative(noise, "noise")
    dt = check_dtype(dtype)
    rng = as_rng(seed)
    corners = (((-1.0, -1.0), (1.0, 1.0)), ((-1.0, 1.0), (1.0, -1.0)))
    parts = []
    for class_corners, size in zip(corners, sizes, strict=True):
        first = (size + 1) // 2
        centre = np.repeat(np.array(class_corners), [first, size - first], axis=0)
        parts.append(centre + rng.normal(0.0, noise, size=centre.shape))
    return _finish(parts, sizes, rng, dt)


def make_blobs(
    n_samples: int = 300,
    *,
    centers: int | ArrayLike = 3,
    cluster_std: float | ArrayLike = 1.0,
    n_features: int | None = None,
    seed: Seed = None,
    dtype: DTypeLike = np.float32,
) -> tuple[NDArray, NDArray[np.int64]]:
    """Isotropic Gaussian clusters, one class per cluster.

    Parameters
    ----------
    n_samples : int, at least the number of centres
    centers : int or array-like of shape (n_centers, n_features)
        An int draws that many centres uniformly in the box ``[-10, 10]^n_features``.
    cluster_std : float >= 0, or array-like of shape (n_centers,)
        Standard deviation of each cluster.
    n_features : int or None
        Dimension of the points when ``centers`` is an int (None means 2). When
        ``centers`` is an array its width decides; ``n_features`` may then be
        None or must match that width.
    seed : int, numpy.random.Generator or None
    dtype : float32 or float64

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int64 in ``0 .. n_centers-1``
    """
    dt = check_dtype(dtype)
    rng = as_rng(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = check_positive_int(centers, "centers")
        dim = 2 if n_features is None else check_positive_int(n_features, "n_features")
        sizes = _class_sizes(n_samples, n_centers)
        means = rng.uniform(-10.0, 10.0, size=(n_centers, dim))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] == 0 or means.shape[1] == 0:
            raise ValueError(
                f"centers must be an int or an array of shape (n_centers, n_features), "
                f"got shape {means.shape}; e.g. centers=[[0, 0], [3, 3]]"
            )
        if not np.isfinite(means).all():
            raise ValueError("centers must be finite, got NaN or infinity")
        if n_features is not None and n_features != means.shape[1]:
            raise ValueError(
                f"n_features={n_features!r} disagrees with centers of shape {means.shape}; "
                "leave n_features=None when passing an array of centres"
            )
        n_centers = means.shape[0]
        sizes = _class_sizes(n_samples, n_centers)
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim == 0:
        stds = np.full(n_centers, float(stds))
    if stds.shape != (n_centers,):
        raise ValueError(
            f"cluster_std must be a number or have one entry per centre ({n_centers}), "
            f"got {cluster_std!r}"
        )
    for s in stds:
        check_non_negative(float(s), "cluster_std")
    parts = [
        m + rng.normal(0.0, s, size=(size, means.shape[1]))
        for m, s, size in zip(means, stds, sizes, strict=True)
    ]
    return _finish(parts, sizes, rng, dt)
