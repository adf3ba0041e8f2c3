"""Compiled loops for the picture layers' memory-bound passes (Numba, the ``fast`` extra).

A convolutional network spends most of a training step outside its matrix
products: BatchNorm over ``n * h * w`` rows, max-pooling, im2col and the
backward pass's col2im each make several whole-array NumPy passes with
temporaries, over arrays of megabytes (``python -m benchmarks.profile_step
--model cnn``). Each loop here makes one pass. They compute, element by
element and in the same order, what the NumPy code of their layer computes,
so the two paths give the same bits (``tests/layers/test_compiled.py``),
sums over a batch included: they add in the order of ``column_sums``.

Where a loop walks runs of consecutive numbers through computed offsets, the
offsets are unsigned (``np.uint64``): a signed index might be negative, so
the compiler would check it at every element and could not use vector
instructions; an unsigned one cannot. (A run's start may lie before the
array when its first numbers are skipped; the unsigned sum wraps back to
the right place.) Those loops read their arrays as flat rows of numbers, so
the layers give them C-contiguous arrays.

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

__all__ = ["add_to_rows", "avgpool_forward_kernel", "batchnorm_backward_kernel",
           "batchnorm_scale_kernel",
           "col2im_kernel", "column_sums", "column_sums_kernel", "im2col_kernel",
           "maxpool_forward_kernel",
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


def add_to_rows(a: NDArray, v: NDArray) -> None:
    """``a += v`` for ``a`` of shape (rows, d) and ``v`` of shape (d,), in place.

    The same additions as NumPy's broadcast, made through rows of ``GROUPS * d``
    numbers (``v`` repeated): a few output channels make an inner loop too short
    to be fast.
    """
    rows, d = a.shape
    full = rows // GROUPS * GROUPS
    if not a.flags.c_contiguous or not full:  # a reshape would copy: add in place instead
        a += v
        return
    a[:full].reshape(-1, GROUPS * d)[...] += np.tile(v, GROUPS)
    if full < rows:
        a[full:] += v


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
    """``(a, mask, x, mu, scale, kind, out, out2)``: ``column_sums`` of a term, without its array.

    ``a``, ``mask``, ``x`` : (rows, d); ``mu``, ``scale`` : (d,); ``out``, ``out2`` : (d,).

    - ``kind`` 0: ``out = column_sums(a)``;
    - ``kind`` 1: ``out = column_sums((a - mu) * (a - mu))``;
    - ``kind`` 2: ``out = column_sums(a)`` and
      ``out2 = column_sums(a * ((x - mu) * scale))``, in one pass;
    - ``kind`` 3: kind 2 with ``a`` replaced by ``a * (mask > 0)`` (ReLU's
      backward, computed as its loop computes it, element by element).

    ``a``, ``mask`` and ``x`` must be C-contiguous, of ``a``'s shape even
    where the kind does not use them (pass ``a``), and ``mu``, ``scale`` of
    ``d`` entries (their values are unused by kind 0, ``scale``'s by kind 1);
    ``out2`` is written for every kind, so give it its own array. Each term is
    computed as NumPy computes its array, and added in ``column_sums``'s
    order (for ``d > 1``), so the sums have the same bits. The full groups
    are read as rows of ``GROUPS * d`` numbers, each added into a row of
    partial sums: a long loop without branches, which the compiler turns
    into vector instructions.
    """
    @_jit()
    def sums(a, mask, x, mu, scale, kind, out, out2):
        rows, d = a.shape
        groups = rows // GROUPS
        width = GROUPS * d
        full = groups * width
        a_rows = a.reshape(-1)[:full].reshape(groups, width)
        m_rows = mask.reshape(-1)[:full].reshape(groups, width)
        x_rows = x.reshape(-1)[:full].reshape(groups, width)
        mu_row, scale_row = np.empty(width, a.dtype), np.empty(width, a.dtype)
        for k in range(width):  # mu and scale repeated along a row of GROUPS * d numbers
            mu_row[k], scale_row[k] = mu[k % d], scale[k % d]
        acc = np.zeros(width, dtype=out.dtype)   # every sum starts at 0.0, as NumPy's do
        acc2 = np.zeros(width, dtype=out.dtype)  # (0.0 + -0.0 is 0.0)
        if kind == 0:
            for i in range(groups):
                for k in range(width):
                    acc[k] += a_rows[i, k]
        elif kind == 1:
            for i in range(groups):
                for k in range(width):
                    c = a_rows[i, k] - mu_row[k]
                    acc[k] += c * c
        elif kind == 2:
            for i in range(groups):
                for k in range(width):
                    acc[k] += a_rows[i, k]
                    acc2[k] += a_rows[i, k] * ((x_rows[i, k] - mu_row[k]) * scale_row[k])
        else:
            for i in range(groups):
                for k in range(width):
                    g = a.dtype.type(a_rows[i, k] * (1.0 if m_rows[i, k] > 0 else 0.0))
                    acc[k] += g
                    acc2[k] += g * ((x_rows[i, k] - mu_row[k]) * scale_row[k])
        left = np.zeros(d, dtype=out.dtype)   # the rows after the last full group
        left2 = np.zeros(d, dtype=out.dtype)
        for i in range(groups * GROUPS, rows):
            for j in range(d):
                g = a[i, j]
                if kind == 3:
                    g = a.dtype.type(g * (1.0 if mask[i, j] > 0 else 0.0))
                if kind == 1:
                    c = g - mu[j]
                    left[j] += c * c
                else:
                    left[j] += g
                if kind >= 2:
                    left2[j] += g * ((x[i, j] - mu[j]) * scale[j])
        for j in range(d):
            if groups == 0:
                out[j], out2[j] = left[j], left2[j]
                continue
            out[j] = out2[j] = 0
            for group in range(GROUPS):
                out[j] += acc[group * d + j]
                out2[j] += acc2[group * d + j]
            if groups * GROUPS < rows:
                out[j] += left[j]
                out2[j] += left2[j]

    return sums


@functools.cache
def batchnorm_scale_kernel() -> Callable[..., Any]:
    """``(x, mu, inv_std, gamma, beta, relu, out)``: ``out = ((x - mu) * inv_std) * gamma + beta``,
    then ``out = maximum(out, 0)`` when ``relu`` (as NumPy's ``maximum``: NaN stays, -0.0
    becomes 0.0).

    ``x``, ``out`` : (rows, d); the rest (d,). ``(x - mu) * inv_std`` is
    ``x_hat``, computed as NumPy computes it and not kept: the backward pass
    computes it again from ``x``, which saves writing and reading an array.
    """
    @_jit()
    def scale(x, mu, inv_std, gamma, beta, relu, out):
        rows, d = x.shape
        if relu:
            for i in range(rows):
                for j in range(d):
                    v = (x[i, j] - mu[j]) * inv_std[j] * gamma[j] + beta[j]
                    out[i, j] = v if v > 0 or v != v else 0.0
            return
        for i in range(rows):
            for j in range(d):
                out[i, j] = (x[i, j] - mu[j]) * inv_std[j] * gamma[j] + beta[j]

    return scale


@functools.cache
def batchnorm_backward_kernel() -> Callable[..., Any]:
    """``(dout, mask, relu, x, mu, inv_std, mean_dout, mean_dout_x_hat, gain, dx)``:
    ``dx = (dout - mean_dout - x_hat * mean_dout_x_hat) * gain``, ``x_hat = (x - mu) * inv_std``.

    ``dout``, ``mask``, ``x``, ``dx`` : (rows, d); the rest (d,). With
    ``relu``, ``dout`` is first replaced by ``dout * (mask > 0)``, as ReLU's
    backward loop computes it (``mask`` is then ReLU's output).
    """
    @_jit()
    def backward(dout, mask, relu, x, mu, inv_std, mean_dout, mean_dout_x_hat, gain, dx):
        rows, d = dout.shape
        if relu:
            for i in range(rows):
                for j in range(d):
                    g = dx.dtype.type(dout[i, j] * (1.0 if mask[i, j] > 0 else 0.0))
                    x_hat = (x[i, j] - mu[j]) * inv_std[j]
                    dx[i, j] = (g - mean_dout[j] - x_hat * mean_dout_x_hat[j]) * gain[j]
            return
        for i in range(rows):
            for j in range(d):
                x_hat = (x[i, j] - mu[j]) * inv_std[j]
                dx[i, j] = (dout[i, j] - mean_dout[j] - x_hat * mean_dout_x_hat[j]) * gain[j]

    return backward


@functools.cache
def im2col_kernel() -> Callable[..., Any]:
    """``(x, kh, kw, stride, top, left, cols)``: ``conv_maths.im2col`` of the padded
    picture, read from ``x`` itself (no dilation).

    ``x`` : (n, h, w, c), unpadded; ``cols`` : (n, h_out, w_out, kh, kw, c),
    filled: ``cols[b, i, j]`` is the window at output position ``(i, j)``,
    with zeros where it reaches into the padding. A kernel row ``p`` of a
    window is ``kw * c`` consecutive numbers of ``x`` and of ``cols``: the
    loop copies such runs (unsigned indices, so the compiler knows they are
    never negative), without making a padded copy of the picture first.
    Every array must be C-contiguous (the layers pass them so).
    """
    @_jit()
    def fill(x, kh, kw, stride, top, left, cols):
        n, h, w, c = x.shape
        h_out, w_out = cols.shape[1], cols.shape[2]
        src, dst = x.reshape(-1), cols.reshape(-1)
        run = kw * c
        for b in range(n):
            for i in range(h_out):
                for j in range(w_out):
                    col = j * stride - left  # the window's first column
                    inside = min(max(0, -col), kw)  # taps q in [inside, stop) are in x
                    stop = max(min(kw, w - col), inside)
                    first, end = np.uint64(inside * c), np.uint64(stop * c)
                    for p in range(kh):
                        row = i * stride + p - top
                        at = np.uint64((((b * h_out + i) * w_out + j) * kh + p) * run)
                        if row < 0 or row >= h:  # a row of padding: all zeros
                            for m in range(np.uint64(0), np.uint64(run)):
                                dst[at + m] = 0
                            continue
                        # src[frm + m] for m >= first is inside x (uint64 wraps back)
                        frm = np.uint64(((b * h + row) * w + col) * c)
                        for m in range(np.uint64(0), first):
                            dst[at + m] = 0
                        for m in range(first, end):
                            dst[at + m] = src[frm + m]
                        for m in range(end, np.uint64(run)):
                            dst[at + m] = 0

    return fill


@functools.cache
def col2im_kernel() -> Callable[..., Any]:
    """``(dcols, kh, kw, stride, dilation, top, left, dx)``: ``conv_maths.col2im``, unpadded.

    ``dcols`` : (n, h_out, w_out, kh, kw, c); ``dx`` : (n, h, w, c), zeroed
    here: the inside of the padded picture's gradient (rows ``top`` to
    ``top + h``, columns ``left`` to ``left + w``), the part the layer returns.
    Every entry receives its windows' gradients in the order of the kernel
    taps ``(p, q)``, as the NumPy loop adds them.

    Without dilation, one window row ``dcols[b, i, j, p]`` (``kw * c``
    numbers) lands on ``kw * c`` consecutive numbers of ``dx``: the loop
    adds such runs, with windows visited from the last to the first, so that
    an entry still gets its taps in increasing ``(p, q)`` (a later window
    reaches the entry with an earlier tap). Indices are unsigned so that the
    compiler knows they are never negative, and adds a run with vector
    instructions. With dilation, the taps are visited one by one.
    """
    @_jit()
    def col2im(dcols, kh, kw, stride, dilation, top, left, dx):
        n, h_out, w_out = dcols.shape[0], dcols.shape[1], dcols.shape[2]
        h, w, c = dx.shape[1], dx.shape[2], dx.shape[3]
        src, dst = dcols.reshape(-1), dx.reshape(-1)
        dst[:] = 0
        if dilation == 1:
            run = kw * c
            for b in range(n):
                for i in range(h_out - 1, -1, -1):
                    for p in range(kh):
                        row = i * stride + p - top
                        if row < 0 or row >= h:
                            continue  # a padding zero's gradient: nobody needs it
                        for j in range(w_out - 1, -1, -1):
                            col = j * stride - left  # the run's first column
                            inside = min(max(0, -col), kw)  # taps q in [inside, stop) land in dx
                            stop = max(min(kw, w - col), inside)
                            first, end = np.uint64(inside * c), np.uint64(stop * c)
                            # dst[at + m] for m >= first is inside dx (uint64 wraps back)
                            at = np.uint64(((b * h + row) * w + col) * c)
                            frm = np.uint64((((b * h_out + i) * w_out + j) * kh + p) * run)
                            for m in range(first, end):
                                dst[at + m] += src[frm + m]
            return
        for b in range(n):
            for p in range(kh):
                for q in range(kw):
                    for i in range(h_out):
                        row = i * stride + p * dilation - top
                        if row < 0 or row >= h:
                            continue
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
        h, w = x.shape[1], x.shape[2]
        src, dst, won = x.reshape(-1), out.reshape(-1), arg.reshape(-1)
        channels = np.uint64(c)
        for b in range(n):
            for i in range(h_out):
                for j in range(w_out):
                    at = np.uint64(((b * h_out + i) * w_out + j) * c)
                    corner = np.uint64(((b * h + i * stride) * w + j * stride) * c)
                    for ch in range(np.uint64(0), channels):
                        dst[at + ch] = src[corner + ch]
                        won[at + ch] = 0
                    for p in range(kh):
                        for q in range(kw):
                            if p == 0 and q == 0:
                                continue
                            tap = p * kw + q
                            frm = corner + np.uint64((p * w + q) * c)
                            for ch in range(np.uint64(0), channels):
                                v = src[frm + ch]
                                best = dst[at + ch]
                                if v > best or (v != v and best == best):
                                    dst[at + ch] = v
                                    won[at + ch] = tap

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
        h, w = x.shape[1], x.shape[2]
        src, dst = x.reshape(-1), out.reshape(-1)
        channels = np.uint64(c)
        for b in range(n):
            for i in range(h_out):
                for j in range(w_out):
                    at = np.uint64(((b * h_out + i) * w_out + j) * c)
                    corner = np.uint64(((b * h + i * stride) * w + j * stride) * c)
                    for ch in range(np.uint64(0), channels):
                        dst[at + ch] = src[corner + ch]
                    for p in range(kh):
                        for q in range(kw):
                            if p == 0 and q == 0:
                                continue
                            frm = corner + np.uint64((p * w + q) * c)
                            for ch in range(np.uint64(0), channels):
                                dst[at + ch] += src[frm + ch]
                    for ch in range(np.uint64(0), channels):
                        dst[at + ch] *= scale

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
        if stride < kh or stride < kw:
            for b in range(n):
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
            return
        grad, won, dst = dout.reshape(-1), arg.reshape(-1), dx.reshape(-1)
        channels = np.uint64(c)
        for b in range(n):
            dx[b, h_out * stride:] = 0  # rows and columns no window reads stay zero
            dx[b, :, w_out * stride:] = 0
            for i in range(h_out):
                for p in range(min(stride, h - i * stride)):
                    for j in range(w_out):
                        at = np.uint64(((b * h_out + i) * w_out + j) * c)
                        for q in range(min(stride, w - j * stride)):
                            tap = p * kw + q
                            inside = p < kh and q < kw  # else a gap between windows
                            to = np.uint64(((b * h + i * stride + p) * w + j * stride + q) * c)
                            for ch in range(np.uint64(0), channels):
                                g = 0.0 + grad[at + ch]
                                dst[to + ch] = g if inside and (every_tap or won[at + ch] == tap) \
                                    else 0.0

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
