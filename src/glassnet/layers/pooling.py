"""Pooling: the largest or the mean value of each window, channel by channel (NHWC)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._fused import check_fused
from .._validation import check_positive_int
from ..errors import ShapeError
from ._compiled import (
    avgpool_forward_kernel,
    maxpool_forward_kernel,
    pool_backward_kernel,
    use_fused,
)
from .base import Layer
from .conv import pair

__all__ = ["AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"]

_NO_TAPS = np.zeros((1, 1, 1, 1), dtype=np.uint8)  # the winning taps average pooling has not


class _Pool2D(Layer):
    """Windows of ``pool_size`` every ``stride`` pixels, no padding (windows that do not fit
    are left out), computed one window tap at a time: ``kh * kw`` strided array operations."""

    def __init__(self, pool_size: int | tuple[int, int] = 2,
                 stride: int | None = None) -> None:
        super().__init__()
        self.pool_size = pair(pool_size, "pool_size")
        self.stride = None if stride is None else check_positive_int(stride, "stride")
        self._cache: tuple[NDArray, NDArray] | None = None

    @property
    def _step(self) -> int:
        return self.pool_size[0] if self.stride is None else self.stride

    def build(self, input_shape: tuple[int, ...], dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 3:
            raise ShapeError(f"{self!r} takes pictures (n_samples, height, width, channels), "
                             f"got (n_samples, {', '.join(map(str, input_shape))}); put a "
                             "Reshape before it")
        return super().build(input_shape, dtype)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w, c = input_shape
        (kh, kw), s = self.pool_size, self._step
        if h < kh or w < kw:
            raise ShapeError(f"{self!r} needs pictures of at least {kh}x{kw}, got {h}x{w}")
        return ((h - kh) // s + 1, (w - kw) // s + 1, c)

    def _taps(self, x: NDArray, h_out: int, w_out: int) -> list[tuple[tuple[slice, ...], NDArray]]:
        """For each position ``(p, q)`` in the window, the strided view of the pixels it reads."""
        s = self._step
        taps: list[tuple[tuple[slice, ...], NDArray]] = []
        for p in range(self.pool_size[0]):
            for q in range(self.pool_size[1]):
                where = (slice(None), slice(p, p + s * (h_out - 1) + 1, s),
                         slice(q, q + s * (w_out - 1) + 1, s), slice(None))
                taps.append((where, x[where]))
        return taps

    def _check(self, x: NDArray) -> tuple[int, int]:
        if x.ndim != 4 or (self.input_shape is not None and x.shape[1:] != self.input_shape):
            expected = ", ".join(map(str, self.input_shape or ("height", "width", "channels")))
            raise ShapeError(f"{self!r} expects input of shape (n_samples, {expected}), "
                             f"got {x.shape}")
        h_out, w_out, _ = self.output_shape(x.shape[1:])
        return h_out, w_out

    def get_config(self) -> dict[str, Any]:
        return {"pool_size": list(self.pool_size), "stride": self.stride}


class MaxPool2D(_Pool2D):
    """The largest value of each window: ``out[n, i, j, c] = max_{p,q} x[n, i*s + p, j*s + q, c]``.

    Parameters
    ----------
    pool_size : ``k`` or ``(kh, kw)``
    stride : step between windows; None (default) means the window's height
        (non-overlapping windows)
    fused : how it runs (never what it computes): True with the compiled
        one-pass loops of ``glassnet.layers._compiled`` (needs Numba), False
        with NumPy, None (default) compiled when Numba is installed and the
        input has at least 65,536 entries. Both give the same bits.

    Shape
    -----
    x : (n, h, w, c), channels last -> out : (n, (h - kh) // s + 1, (w - kw) // s + 1, c)

    Backward
    --------
    Each window's gradient goes to its largest input, remembered in forward
    as the window tap ``p * kw + q`` that won. On a tie the first tap in
    row-major order wins (as in PyTorch), so ties (ReLU's zeros) do not
    multiply the gradient; a NaN wins over numbers, so it spreads.
    """

    fused: bool | None = None  # see the docstring; a class default for older pickles

    def __init__(self, pool_size: int | tuple[int, int] = 2, stride: int | None = None, *,
                 fused: bool | None = None) -> None:
        super().__init__(pool_size, stride)
        self.fused = check_fused(fused, "MaxPool2D")

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        h_out, w_out = self._check(x)
        (kh, kw), n_taps = self.pool_size, self.pool_size[0] * self.pool_size[1]
        arg = np.empty((x.shape[0], h_out, w_out, x.shape[3]),
                       dtype=np.uint8 if n_taps <= 256 else np.int32)
        if use_fused(self.fused, x.size):
            out = np.empty(arg.shape, dtype=x.dtype)
            maxpool_forward_kernel()(np.ascontiguousarray(x), kh, kw, self._step, out, arg)
        else:
            taps = self._taps(x, h_out, w_out)
            out = taps[0][1].copy()
            arg[...] = 0
            for tap, (_, values) in enumerate(taps[1:], start=1):
                wins = values > out
                wins |= (values != values) & (out == out)  # a NaN wins, and stays
                np.copyto(out, values, where=wins)
                arg[wins] = tap
        self._cache = (x, arg) if training else None
        return out

    def backward(self, dout: NDArray) -> NDArray:
        if self._cache is None:
            raise self._missing_cache()
        x, arg = self._cache
        if use_fused(self.fused, x.size):  # the loops read and write C-ordered arrays
            dx = np.empty(x.shape, dtype=x.dtype)
            pool_backward_kernel()(np.ascontiguousarray(dout), arg, False, *self.pool_size,
                                   self._step, dx)
            return dx
        dx = np.empty_like(x)
        dx[...] = 0
        for tap, (where, _) in enumerate(self._taps(x, dout.shape[1], dout.shape[2])):
            dx[where] += np.where(arg == tap, dout, 0)
        return dx


class AvgPool2D(_Pool2D):
    """The mean of each window: ``out[n, i, j, c] = mean_{p,q} x[n, i*s + p, j*s + q, c]``.

    Parameters
    ----------
    pool_size : ``k`` or ``(kh, kw)``
    stride : step between windows; None (default) means the window's height
    fused : how it runs (never what it computes), as for ``MaxPool2D``

    Shape
    -----
    x : (n, h, w, c), channels last -> out : (n, (h - kh) // s + 1, (w - kw) // s + 1, c)

    Backward
    --------
    Every input of a window gets ``dout / (kh * kw)`` (summed over the windows it is in).
    """

    fused: bool | None = None  # see MaxPool2D's docstring; a class default for older pickles

    def __init__(self, pool_size: int | tuple[int, int] = 2, stride: int | None = None, *,
                 fused: bool | None = None) -> None:
        super().__init__(pool_size, stride)
        self.fused = check_fused(fused, "AvgPool2D")

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        h_out, w_out = self._check(x)
        scale = x.dtype.type(1.0 / (self.pool_size[0] * self.pool_size[1]))
        if use_fused(self.fused, x.size):
            out = np.empty((x.shape[0], h_out, w_out, x.shape[3]), dtype=x.dtype)
            avgpool_forward_kernel()(np.ascontiguousarray(x), *self.pool_size, self._step,
                                     scale, out)
        else:
            taps = self._taps(x, h_out, w_out)
            out = taps[0][1].copy()
            for _, tap in taps[1:]:
                out += tap
            out *= scale
        self._cache = (x, out) if training else None
        return out

    def backward(self, dout: NDArray) -> NDArray:
        if self._cache is None:
            raise self._missing_cache()
        x, out = self._cache
        share = dout * x.dtype.type(1.0 / (self.pool_size[0] * self.pool_size[1]))
        if use_fused(self.fused, x.size):  # the loops read and write C-ordered arrays
            dx = np.empty(x.shape, dtype=x.dtype)
            pool_backward_kernel()(np.ascontiguousarray(share), _NO_TAPS, True,
                                   *self.pool_size, self._step, dx)
            return dx
        dx = np.zeros_like(x)
        for where, _ in self._taps(x, out.shape[1], out.shape[2]):
            dx[where] += share
        return dx


class GlobalAvgPool2D(Layer):
    """The mean of each channel over the whole picture: ``out[n, c] = mean_{i,j} x[n, i, j, c]``.

    Shape
    -----
    x : (n, h, w, c), channels last -> out : (n, c)

    Backward
    --------
    ``dx[n, i, j, c] = dout[n, c] / (h * w)``.
    """

    def build(self, input_shape: tuple[int, ...], dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 3:
            raise ShapeError(f"{self!r} takes pictures (n_samples, height, width, channels), "
                             f"got (n_samples, {', '.join(map(str, input_shape))})")
        return super().build(input_shape, dtype)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[-1],)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        if x.ndim != 4:
            raise ShapeError(f"{self!r} expects input of shape (n_samples, height, width, "
                             f"channels), got {x.shape}")
        self._shape = x.shape if training else None
        return x.mean(axis=(1, 2))

    def backward(self, dout: NDArray) -> NDArray:
        shape = getattr(self, "_shape", None)
        if shape is None:
            raise self._missing_cache()
        n, h, w, c = shape
        share = dout * dout.dtype.type(1.0 / (h * w))
        return np.broadcast_to(share[:, None, None, :], shape).copy()
