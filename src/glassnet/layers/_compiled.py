"""Compiled loops for the picture layers' memory-bound passes (Numba, the ``fast`` extra).

A convolutional network spends most of a training step outside its matrix
products: BatchNorm over ``n * h * w`` rows, max-pooling and the backward
pass's col2im each make several whole-array NumPy passes with temporaries,
over arrays of megabytes (``python -m benchmarks.profile_step --model cnn``).
Each loop here makes one pass. They compute, element by element and in the
same order, what the NumPy code of their layer computes, so the two paths
give the same bits (``tests/layers/test_compiled.py``), sums over a batch
included: they add in the order of ``column_sums``.

A layer takes this path when its ``fused`` switch is True, or when it is
None (the default), Numba is installed and the array has at least
``glassnet._fused.FUSE_FROM`` entries (see ``use_fused``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._fused import FUSE_FROM, numba_available

__all__ = ["avgpool_forward_kernel", "batchnorm_backward_kernel", "batchnorm_scale_kernel",
           "col2im_kernel", "column_sums", "column_sums_kernel", "maxpool_forward_kernel",
           "pool_backward_kernel", "relu_backward_kernel", "tanh_backward_kernel",
           "use_fused"]


def use_fused(fused: bool | None, size: int) -> bool:
    """Whether a layer with switch ``fused`` takes the compiled path for ``size`` entries.

    A layer made with ``fused=True`` and unpickled where Numba is missing is
    refused here, with the way out, rather than failing inside a kernel.
    """
    if fused is None:
        return size >= FUSE_FROM and numba_available()
    if fused and not numba_available():
        raise ImportError("this layer was made with fused=True, which needs Numba, installed "
                          "and importable: pip install 'glassnet[fast]', or set its .fused "
                          "to None or False")
    return fused


#: Rows summed in interleaved groups by ``column_sums`` (see there).
GROUPS = 32


def column_sums(a: NDArray) -> NDArray:
    """``a.sum(axis=0)`` for ``a`` of shape (rows, d), in an order the compiled loops repeat.

    NumPy sums down the columns row after row, ``d`` numbers at a time: for
    a convolution's output (``n * h * w`` rows, a few channels) that inner
    loop is too short to be fast. Here the rows go in ``GROUPS`` interleaved
    groups (row ``i`` to group ``i % GROUPS``, the same as reading ``a`` as
    rows of ``GROUPS * d`` numbers), each summed row after row; then the
    groups are added in order, then the rows left over (when ``rows`` is not
    a multiple of ``GROUPS``), summed apart. Several times faster, and a
    little more accurate (32 partial sums). With ``d == 1`` NumPy sums the
    one column pairwise; that is kept as it is, and the compiled loops then
    leave the sums to this function.
    """
    rows, d = a.shape
    full = rows // GROUPS * GROUPS
    if d == 1 or full == 0:
        return a.sum(axis=0)
    total = a[:full].reshape(-1, GROUPS * d).sum(axis=0).reshape(GROUPS, d).sum(axis=0)
    if full < rows:
        total += a[full:].sum(axis=0)
    return total


def _jit() -> Any:
    """``numba.njit`` as every kernel here uses it.

    ``error_model="numpy"``: a division by zero gives inf or nan as in NumPy,
    not a Python exception checked at each element. No ``fastmath``: the
    result must match the NumPy path bit for bit.
    """
    import numba

    return numba.njit(nogil=True, cache=True, error_model="numpy")


@functools.cache
def column_sums_kernel() -> Callable[..., Any]:
    """``(a, b, kind, out, out2)``: ``column_sums`` of a term, without making the term's array.

    ``kind`` 0: ``out = column_sums(a)`` (``b`` not read); 1: ``out =
    column_sums((a - b) * (a - b))`` with ``b`` of shape (1, d); 2: ``out =
    column_sums(a)`` and ``out2 = column_sums(a * b)`` with ``b`` of ``a``'s
    shape, in one pass. ``out2`` is written for every kind: give it its own array.
    Each term is computed as NumPy computes its array, and added in
    ``column_sums``'s order (for ``d > 1``), so the sums have the same bits.
    """
    @_jit()
    def sums(a, b, kind, out, out2):
        rows, d = a.shape
        groups = rows // GROUPS
        acc = np.zeros((GROUPS, d), dtype=out.dtype)
        acc2 = np.zeros((GROUPS, d), dtype=out.dtype)
        left = np.zeros(d, dtype=out.dtype)   # the rows after the last full group
        left2 = np.zeros(d, dtype=out.dtype)
        for i in range(rows):  # every sum starts at 0.0, as NumPy's do (0.0 + -0.0 is 0.0)
            group, rest = i % GROUPS, i >= groups * GROUPS
            for j in range(d):
                if kind == 1:
                    c = a[i, j] - b[0, j]
                    term = c * c
                else:
                    term = a[i, j]
                if rest:
                    left[j] += term
                else:
                    acc[group, j] += term
                if kind == 2:
                    term2 = a[i, j] * b[i, j]
                    if rest:
                        left2[j] += term2
                    else:
                        acc2[group, j] += term2
        for j in range(d):
            if groups == 0:
                out[j], out2[j] = left[j], left2[j]
                continue
            out[j] = out2[j] = 0
            for group in range(GROUPS):
                out[j] += acc[group, j]
                out2[j] += acc2[group, j]
            if groups * GROUPS < rows:
                out[j] += left[j]
                out2[j] += left2[j]

    return sums


@functools.cache
def batchnorm_scale_kernel() -> Callable[..., Any]:
    """``(x, mu, inv_std, gamma, beta, x_hat, out)``:
    ``x_hat = (x - mu) * inv_std``, ``out = x_hat * gamma + beta``.

    ``x``, ``x_hat``, ``out`` : (rows, d); the rest (d,).
    """
    @_jit()
    def scale(x, mu, inv_std, gamma, beta, x_hat, out):
        rows, d = x.shape
        for i in range(rows):
            for j in range(d):
                h = (x[i, j] - mu[j]) * inv_std[j]
                x_hat[i, j] = h
                out[i, j] = h * gamma[j] + beta[j]

    return scale


@functools.cache
def batchnorm_backward_kernel() -> Callable[..., Any]:
    """``(dout, x_hat, mean_dout, mean_dout_x_hat, gain, dx)``:
    ``dx = (dout - mean_dout - x_hat * mean_dout_x_hat) * gain``.

    ``dout``, ``x_hat``, ``dx`` : (rows, d); the rest (d,).
    """
    @_jit()
    def backward(dout, x_hat, mean_dout, mean_dout_x_hat, gain, dx):
        rows, d = dout.shape
        for i in range(rows):
            for j in range(d):
                dx[i, j] = (dout[i, j] - mean_dout[j] - x_hat[i, j] * mean_dout_x_hat[j]) \
                    * gain[j]

    return backward


@functools.cache
def col2im_kernel() -> Callable[..., Any]:
    """``(dcols, kh, kw, stride, dilation, top, left, dx)``: ``conv_maths.col2im``, unpadded.

    ``dcols`` : (n, h_out, w_out, kh, kw, c); ``dx`` : (n, h, w, c), zeroed
    here: the inside of the padded picture's gradient (rows ``top`` to
    ``top + h``, columns ``left`` to ``left + w``), the part the layer returns.
    Every entry receives its windows' gradients in the order of the kernel
    taps ``(p, q)``, as the NumPy loop adds them.
    """
    @_jit()
    def col2im(dcols, kh, kw, stride, dilation, top, left, dx):
        n, h_out, w_out = dcols.shape[0], dcols.shape[1], dcols.shape[2]
        h, w, c = dx.shape[1], dx.shape[2], dx.shape[3]
        for b in range(n):
            dx[b] = 0
            for p in range(kh):
                for q in range(kw):
                    for i in range(h_out):
                        row = i * stride + p * dilation - top
                        if row < 0 or row >= h:
                            continue  # a padding zero's gradient: nobody needs it
                        for j in range(w_out):
                            col = j * stride + q * dilation - left
                            if col < 0 or col >= w:
                                continue
                            for ch in range(c):
                                dx[b, row, col, ch] += dcols[b, i, j, p, q, ch]

    return col2im


@functools.cache
def maxpool_forward_kernel() -> Callable[..., Any]:
    """``(x, kh, kw, stride, out, arg)``: each window's largest value and which tap it was.

    ``x`` : (n, h, w, c); ``out``, ``arg`` : (n, h_out, w_out, c). A tap wins
    when it is larger than the best so far, or NaN while the best is not (NaN
    spreads, as in PyTorch); on a tie the first tap in row-major order stays.
    """
    @_jit()
    def forward(x, kh, kw, stride, out, arg):
        n, h_out, w_out, c = out.shape
        for b in range(n):
            for i in range(h_out):
                for j in range(w_out):
                    for ch in range(c):
                        out[b, i, j, ch] = x[b, i * stride, j * stride, ch]
                        arg[b, i, j, ch] = 0
                    for p in range(kh):
                        for q in range(kw):
                            if p == 0 and q == 0:
                                continue
                            tap = p * kw + q
                            for ch in range(c):
                                v = x[b, i * stride + p, j * stride + q, ch]
                                best = out[b, i, j, ch]
                                if v > best or (v != v and best == best):
                                    out[b, i, j, ch] = v
                                    arg[b, i, j, ch] = tap

    return forward


@functools.cache
def avgpool_forward_kernel() -> Callable[..., Any]:
    """``(x, kh, kw, stride, scale, out)``: each window's sum, tap by tap, times ``scale``.

    ``x`` : (n, h, w, c); ``out`` : (n, h_out, w_out, c); ``scale`` is
    ``1 / (kh * kw)`` in the arrays' dtype.
    """
    @_jit()
    def forward(x, kh, kw, stride, scale, out):
        n, h_out, w_out, c = out.shape
        for b in range(n):
            for i in range(h_out):
                for j in range(w_out):
                    for ch in range(c):
                        out[b, i, j, ch] = x[b, i * stride, j * stride, ch]
                    for p in range(kh):
                        for q in range(kw):
                            if p == 0 and q == 0:
                                continue
                            for ch in range(c):
                                out[b, i, j, ch] += x[b, i * stride + p, j * stride + q, ch]
                    for ch in range(c):
                        out[b, i, j, ch] *= scale

    return forward


@functools.cache
def pool_backward_kernel() -> Callable[..., Any]:
    """``(dout, arg, every_tap, kh, kw, stride, dx)``: each window's gradient back to its taps.

    To the tap ``arg`` names (max-pooling), or to every tap when
    ``every_tap`` (average pooling: ``dout`` is then already divided by
    ``kh * kw``; ``arg`` is not read). ``dx`` : (n, h, w, c). Windows that do
    not overlap (``stride >= kh, kw``) are written in one pass: each entry
    gets ``0 + dout`` or ``0``, as the NumPy loop's ``0 + where(...)`` gives
    it. Overlapping windows add their gradients tap by tap, in the NumPy
    loop's order.
    """
    @_jit()
    def backward(dout, arg, every_tap, kh, kw, stride, dx):
        n, h_out, w_out, c = dout.shape
        h, w = dx.shape[1], dx.shape[2]
        for b in range(n):
            if stride < kh or stride < kw:
                dx[b] = 0
                for p in range(kh):
                    for q in range(kw):
                        tap = p * kw + q
                        for i in range(h_out):
                            for j in range(w_out):
                                for ch in range(c):
                                    if every_tap or arg[b, i, j, ch] == tap:
                                        dx[b, i * stride + p, j * stride + q, ch] += \
                                            dout[b, i, j, ch]
                continue
            # rows and columns no window reads stay zero
            dx[b, h_out * stride:] = 0
            dx[b, :, w_out * stride:] = 0
            for i in range(h_out):
                for p in range(min(stride, h - i * stride)):
                    for j in range(w_out):
                        for q in range(min(stride, w - j * stride)):
                            tap = p * kw + q
                            for ch in range(c):
                                if p < kh and q < kw and (every_tap or arg[b, i, j, ch] == tap):
                                    dx[b, i * stride + p, j * stride + q, ch] = \
                                        0.0 + dout[b, i, j, ch]
                                else:
                                    dx[b, i * stride + p, j * stride + q, ch] = 0

    return backward


@functools.cache
def relu_backward_kernel() -> Callable[..., Any]:
    """``(dout, out, dx)`` over flat arrays: ``dx = dout * (out > 0)``, one pass."""
    @_jit()
    def backward(dout, out, dx):
        for i in range(dx.size):
            dx[i] = dout[i] * (1.0 if out[i] > 0 else 0.0)  # exact in float64, then stored

    return backward


@functools.cache
def tanh_backward_kernel() -> Callable[..., Any]:
    """``(dout, out, one, dx)`` over flat arrays: ``dx = dout * (one - out * out)``, one pass.

    ``one`` is 1 in the arrays' dtype, so that the arithmetic stays in it
    (as NumPy's ``dout * (1 - out * out)`` does).
    """
    @_jit()
    def backward(dout, out, one, dx):
        for i in range(dx.size):
            dx[i] = dout[i] * (one - out[i] * out[i])

    return backward
