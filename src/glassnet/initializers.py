"""Weight initialisers: ``(rng, shape, dtype) -> array``.

For a weight matrix of shape ``(n_in, n_out)``, ``fan_in = n_in`` and
``fan_out = n_out``; for a convolution kernel of shape ``(kh, kw, c_in, c_out)``
each output sees ``kh * kw * c_in`` inputs, so ``fan_in = kh * kw * c_in`` and
``fan_out = kh * kw * c_out``. Each initialiser keeps the variance of the signal
roughly constant from layer to layer for the activation it is named for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = [
    "normal_fan_in",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "zeros",
    "get_initializer",
    "INITIALIZERS",
]

Initializer = Callable[[np.random.Generator, tuple[int, ...], DTypeLike], NDArray]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) > 2:  # a kernel (kh, kw, c_in, c_out): every tap of the window is an input
        receptive_field = int(np.prod(shape[:-2]))
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    return (shape[0], shape[1]) if len(shape) == 2 else (shape[0], shape[0])


def normal_fan_in(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """The book's choice: ``N(0, sigma^2)`` with ``sigma = fan_in ** -0.5``."""
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, fan_in**-0.5, size=shape).astype(dtype)


def glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """Glorot/Xavier: ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """Glorot/Xavier: ``N(0, 2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape).astype(dtype)


def he_uniform(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """He/Kaiming for ReLU: ``U(-a, a)`` with ``a = sqrt(6 / fan_in)``."""
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """He/Kaiming for ReLU: ``N(0, 2 / fan_in)``."""
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(dtype)


def zeros(rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike) -> NDArray:
    """All zeros (the usual start for biases); ``rng`` is unused."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "normal_fan_in": normal_fan_in,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
}


def get_initializer(name: str) -> Initializer:
    """Look an initialiser up by name; the error lists the valid names."""
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown init {name!r}; choose one of {sorted(INITIALIZERS)}"
        ) from None
