"""Input checks done once, at the boundary (constructors, fit, predict, loaders).

The maths inside trusts what passed these checks.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .errors import DTypeError, ShapeError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _finite_float(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return v


def check_non_negative(value: object, name: str, *, upper: float | None = None,
                       strict_upper: bool = False) -> float:
    """``value`` as a finite float >= 0 (and below ``upper``), or a ValueError."""
    v = _finite_float(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    if upper is not None and (v >= upper if strict_upper else v > upper):
        bound = "<" if strict_upper else "<="
        raise ValueError(f"{name} must be {bound} {upper}, got {value!r}")
    return v


def check_positive(value: object, name: str) -> float:
    """``value`` as a finite float > 0, or a ValueError naming ``name``."""
    v = _finite_float(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def check_dtype(dtype: DTypeLike, name: str = "dtype") -> np.dtype:
    """float32 or float64, or a DTypeError saying which are allowed."""
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise DTypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def check_choice(value: str, choices: object, name: str) -> str:
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if value not in choices:  # type: ignore[operator]
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(choices)}")  # type: ignore[call-overload]
    return value


def as_2d_float(X: ArrayLike, *, dtype: np.dtype, name: str = "X",
                n_features: int | None = None) -> NDArray:
    """``X`` as a C-contiguous (n_samples, n_features) array of ``dtype``.

    Copies only when ``X`` is not already of that dtype and layout. Rejects
    NaN and infinity, and a feature count other than ``n_features``.
    """
    arr = as_array(X, name)
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim == 1 and n_features is not None and arr.shape[0] == n_features:
        raise ShapeError(
            f"{name} must have shape (n_samples, {n_features}), got {arr.shape}; "
            f"for a single sample pass {name}.reshape(1, -1)"
        )
    if arr.ndim != 2:
        raise ShapeError(f"{name} must have shape (n_samples, n_features), got {arr.shape}")
    if arr.shape[0] == 0:
        raise ShapeError(f"{name} has no samples (shape {arr.shape})")
    if n_features is not None and arr.shape[1] != n_features:
        raise ShapeError(
            f"{name} has {arr.shape[1]} features but the network's first layer expects "
            f"{n_features}: got shape {arr.shape}, expected (n_samples, {n_features})"
        )
    return _converted(arr, dtype, name)


def as_float_batch(X: ArrayLike, *, dtype: np.dtype, sample_shape: tuple[int, ...] | None,
                   name: str = "X") -> NDArray:
    """``X`` as a C-contiguous (n_samples, *sample_shape) array of ``dtype``.

    2-D data goes through ``as_2d_float`` (its messages speak of features);
    ``sample_shape=None`` accepts any shape with at least two dimensions.
    """
    arr = as_array(X, name)
    if (sample_shape is None and arr.ndim <= 2) or (sample_shape is not None
                                                    and len(sample_shape) == 1):
        return as_2d_float(arr, dtype=dtype, name=name,
                           n_features=None if sample_shape is None else sample_shape[0])
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if sample_shape is None:
        sample_shape = arr.shape[1:]
    if arr.shape[1:] != tuple(sample_shape) or arr.shape[0] == 0:
        expected = ", ".join(map(str, sample_shape))
        hint = (f"; for a single sample pass {name}[None]" if arr.shape == tuple(sample_shape)
                else "")
        raise ShapeError(f"{name} must have shape (n_samples, {expected}) with at least one "
                         f"sample, got {arr.shape}{hint}")
    return _converted(arr, dtype, name)


def as_array(X: ArrayLike, name: str = "X") -> NDArray:
    """``np.asarray(X)``, with glassnet's message for a ragged list (rows of unequal length)."""
    try:
        return np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ShapeError(_ragged_message(X, name, exc)) from None


def _ragged_message(X: object, name: str, exc: Exception) -> str:
    try:
        lengths = [len(row) for row in X]  # type: ignore[attr-defined, arg-type]
    except TypeError:  # rows without a length: numbers mixed with lists
        return (f"{name} cannot be made into an array: its rows mix single numbers and "
                "sequences; give every sample as a row of the same number of values")
    for i, n in enumerate(lengths):
        if n != lengths[0]:
            return (f"{name} is ragged: row 0 has {lengths[0]} values but row {i} has {n}; "
                    "every sample needs the same number of features (pad or drop the short "
                    "rows first)")
    return (f"{name} is ragged: its rows have equal lengths but their items differ in shape "
            f"(NumPy: {exc}); every sample must have the same shape")


def _converted(arr: NDArray, dtype: np.dtype, name: str) -> NDArray:
    """``arr`` as C-contiguous ``dtype``, or a ValueError for NaN, infinity or overflow."""
    with np.errstate(over="ignore", invalid="ignore"):  # said below, with the fix
        out = np.ascontiguousarray(arr, dtype=dtype)
    if out.dtype.kind == "f" and not _all_finite(out):
        raise _not_finite(arr, out, name)
    return out


def _not_finite(original: NDArray, converted: NDArray, name: str) -> ValueError:
    """The error for the first entry that is not finite once converted.

    A finite value too large for the network's dtype (1e300 into float32)
    is not NaN or infinity in the caller's data: say it overflows instead.
    """
    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
    where = (f"row {bad[0]}, column {bad[1]}" if len(bad) == 2
             else f"index {bad if len(bad) > 1 else bad[0]}")
    value = original[bad]
    if np.isfinite(value):
        largest = float(np.finfo(converted.dtype).max)
        return ValueError(
            f"{name} holds {float(value):g} at {where}, beyond the largest {converted.dtype} "
            f"({largest:.4g}), the network's dtype it is converted to; scale the data "
            "(e.g. standardise each feature) or build the network with dtype=np.float64")
    return ValueError(f"{name} contains NaN or infinity (first at {where}); clean or impute "
                      "the data first")


# Up to this many entries (a sample, a batch) the direct finite test is the
# quickest; beyond, its boolean temporary grows with the data.
_DIRECT_FINITE_CHECK_MAX = 2**16


def _all_finite(arr: NDArray) -> bool:
    """Whether no entry of the float array ``arr`` is NaN or infinite."""
    if arr.size <= _DIRECT_FINITE_CHECK_MAX:
        return bool(np.isfinite(arr).all())
    # A sum is NaN or infinite whenever any entry is, and needs no n-by-d
    # boolean temporary (47 MiB for Fashion-MNIST); only then look closer.
    with np.errstate(over="ignore", invalid="ignore"):  # huge finite values may overflow
        total = np.add.reduce(arr, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(arr).all())


def check_same_length(X: NDArray, y: NDArray, names: tuple[str, str] = ("X", "y")) -> None:
    """Raise a ShapeError when X and y disagree on the number of samples."""
    if X.shape[0] != y.shape[0]:
        raise ShapeError(
            f"{names[0]} and {names[1]} must have the same number of samples, "
            f"got {names[0]}.shape={X.shape} and {names[1]}.shape={y.shape}"
        )


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """An int seed, a Generator (used as is) or None (fresh entropy) to a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")


def step_entries(owner: Any, params_and_grads: Any, grads: NDArray | None
                 ) -> list[tuple[str, NDArray, NDArray]]:
    """An optimizer step's ``(name, param, grad)`` list, each checked (cheap attribute reads only).

    ``params_and_grads``: triples, ``(param, grad)`` pairs (named ``"0"``, ``"1"``, ...),
    or one array with its gradient as ``grads``; ``owner`` names the optimizer in errors.
    """
    if isinstance(params_and_grads, np.ndarray):
        if grads is None:
            raise TypeError(f"{owner!r}.step(param, grad) needs the gradient too")
        items: list[Any] = [("0", params_and_grads, grads)]
    elif grads is not None:
        raise TypeError(f"{owner!r}.step takes (param, grad) arrays or a list of "
                        "(name, param, grad) triples, not both")
    else:
        items = list(params_and_grads)
    entries = []
    for i, item in enumerate(items):
        if len(item) == 3:
            name, p, g = item
        elif len(item) == 2:
            (p, g), name = item, str(i)
        else:
            raise TypeError(f"{owner!r}.step expects (name, param, grad) triples or "
                            f"(param, grad) pairs, got an item of length {len(item)}")
        if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
            raise TypeError(f"{owner!r}.step: parameter {name!r} and its gradient must be "
                            f"NumPy arrays, got {type(p).__name__} and {type(g).__name__}")
        if p.shape != g.shape:
            raise ShapeError(f"parameter {name!r} has shape {p.shape} but its gradient "
                             f"{g.shape}; the layer's backward must give grads of its "
                             "params' shapes")
        if p.dtype != g.dtype:
            raise DTypeError(f"parameter {name!r} is {p.dtype} but its gradient is {g.dtype}; "
                             f"the layer's backward must keep the dtype (e.g. "
                             f"grad.astype(np.{p.dtype}))")
        if p.dtype.kind != "f":
            raise DTypeError(f"parameter {name!r} must be a float array, got {p.dtype}")
        if not p.flags.writeable:
            raise ValueError(f"{owner!r}.step updates parameters in place, but {name!r} is "
                             "read-only; pass a writeable array (e.g. param.copy())")
        entries.append((name, p, g))
    return entries
