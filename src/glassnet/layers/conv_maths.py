"""Two-dimensional convolution, as the textbook writes it and as glassnet runs it.

Pictures are channels-last (NHWC): ``x`` has shape ``(n, h, w, c_in)`` and
the kernel ``W`` has shape ``(kh, kw, c_in, c_out)``. With a stride ``s``, a
dilation ``d`` (the gap between the kernel's taps) and the picture padded
with zeros (``pad = (top, bottom, left, right)``), output position
``(i, j)`` of channel ``f`` is the dot product of one window with one filter::

    out[n, i, j, f] = b[f] + sum_{p, q, c} xp[n, i*s + p*d, j*s + q*d, c] * W[p, q, c, f]

    h_out = (h + top + bottom - d*(kh - 1) - 1) // s + 1    (and w_out alike)

Three ways to compute the same numbers, from the most literal to the fastest:

1. ``conv2d_sliding_window``: the formula above, one window at a time.
2. ``im2col_loops`` + one matrix product: copy every window into one row of
   a matrix ``cols`` of shape ``(n * h_out * w_out, kh * kw * c_in)``; then
   ``out = cols @ W.reshape(kh * kw * c_in, c_out) + b`` is the whole layer,
   shape ``(n * h_out * w_out, c_out)``, which reshapes to
   ``(n, h_out, w_out, c_out)`` without moving a number.
3. ``im2col``: the same matrix, read through a strided view of the padded
   picture (``numpy.lib.stride_tricks.sliding_window_view``: no Python loop
   over positions) and copied once, into a buffer the layer keeps.
   ``im2col_by_tap`` fills the same matrix through its transpose, one
   kernel tap at a time: faster for a picture of one channel.

The backward pass runs the product the other way: ``dcols = dout @ W.T``
gives every window's gradient; ``col2im`` adds each window's gradient back
where the window was read from (``kh * kw`` strided additions, one per
kernel tap, not one per position). ``dW = cols.T @ dout``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

__all__ = ["col2im", "conv2d_im2col", "conv2d_sliding_window", "conv_output_size",
           "im2col", "im2col_by_tap", "im2col_loops", "pad_amounts", "pad_picture", "windows"]

Pad = tuple[int, int, int, int]


def conv_output_size(size: int, kernel: int, stride: int, dilation: int, pad_total: int) -> int:
    """``(size + pad_total - dilation * (kernel - 1) - 1) // stride + 1`` (may be <= 0)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _same_pad(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """Zeros before and after so that ``out = ceil(size / stride)`` (TensorFlow's "same");
    the odd one, if any, goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def pad_amounts(padding: str | int, in_hw: tuple[int, int], kernel: tuple[int, int],
                stride: int, dilation: int) -> Pad:
    """``(top, bottom, left, right)`` zeros for ``padding`` "valid", "same" or an int."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        return (*_same_pad(in_hw[0], kernel[0], stride, dilation),
                *_same_pad(in_hw[1], kernel[1], stride, dilation))
    p = int(padding)
    return (p, p, p, p)


def pad_picture(x: NDArray, pad: Pad, out: NDArray | None = None) -> NDArray:
    """``x`` (n, h, w, c) with zeros around it; into ``out`` (whose border is zero) if given."""
    top, bottom, left, right = pad
    if not any(pad):
        return x
    n, h, w, c = x.shape
    if out is None:
        out = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x
    return out


# -- 1. the textbook ------------------------------------------------------------
def conv2d_sliding_window(x: NDArray, W: NDArray, b: NDArray | None, *, stride: int = 1,
                          pad: Pad = (0, 0, 0, 0), dilation: int = 1) -> NDArray:
    """The convolution one window at a time (slow; for reading and for tests).

    Parameters
    ----------
    x : ndarray of shape (n, h, w, c_in)
    W : ndarray of shape (kh, kw, c_in, c_out)
    b : ndarray of shape (c_out,) or None

    Returns
    -------
    ndarray of shape (n, h_out, w_out, c_out)
    """
    kh, kw, _, c_out = W.shape
    xp = pad_picture(x, pad)
    h_out = conv_output_size(xp.shape[1], kh, stride, dilation, 0)
    w_out = conv_output_size(xp.shape[2], kw, stride, dilation, 0)
    out = np.zeros((x.shape[0], h_out, w_out, c_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            # the window under the kernel at output position (i, j): (n, kh, kw, c_in)
            window = xp[:, i * stride: i * stride + dilation * (kh - 1) + 1: dilation,
                        j * stride: j * stride + dilation * (kw - 1) + 1: dilation, :]
            out[:, i, j, :] = np.tensordot(window, W, axes=([1, 2, 3], [0, 1, 2]))
    return out if b is None else out + b


# -- 2. im2col, the matrix product that is the whole layer ------------------------
def im2col_loops(xp: NDArray, kh: int, kw: int, stride: int, dilation: int) -> NDArray:
    """Each window of the (already padded) ``xp`` as one row, copied one by one.

    Returns
    -------
    cols : ndarray of shape (n * h_out * w_out, kh * kw * c_in); row
        ``(sample, i, j)`` in C order is the window at output position ``(i, j)``,
        flattened in the order ``(p, q, c)`` of ``W.reshape(kh * kw * c_in, c_out)``.
    """
    n, hp, wp, c = xp.shape
    h_out = conv_output_size(hp, kh, stride, dilation, 0)
    w_out = conv_output_size(wp, kw, stride, dilation, 0)
    cols = np.empty((n, h_out, w_out, kh * kw * c), dtype=xp.dtype)
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, i * stride: i * stride + dilation * (kh - 1) + 1: dilation,
                        j * stride: j * stride + dilation * (kw - 1) + 1: dilation, :]
            cols[:, i, j, :] = window.reshape(n, -1)
    return cols.reshape(n * h_out * w_out, kh * kw * c)


def conv2d_im2col(x: NDArray, W: NDArray, b: NDArray | None, *, stride: int = 1,
                  pad: Pad = (0, 0, 0, 0), dilation: int = 1) -> NDArray:
    """``cols @ W.reshape(kh * kw * c_in, c_out) + b``: the convolution as one matrix product.

    Shapes: ``cols`` (n * h_out * w_out, kh * kw * c_in) times the filters
    (kh * kw * c_in, c_out) gives (n * h_out * w_out, c_out), i.e. the output
    (n, h_out, w_out, c_out) in NHWC order.
    """
    kh, kw, c_in, c_out = W.shape
    xp = pad_picture(x, pad)
    cols = im2col_loops(xp, kh, kw, stride, dilation)
    out = cols @ W.reshape(kh * kw * c_in, c_out)
    if b is not None:
        out += b
    h_out = conv_output_size(xp.shape[1], kh, stride, dilation, 0)
    return out.reshape(x.shape[0], h_out, -1, c_out)


# -- 3. the fast path --------------------------------------------------------------
def windows(xp: NDArray, kh: int, kw: int, stride: int, dilation: int) -> NDArray:
    """A strided view (no copy) of every window: shape (n, h_out, w_out, kh, kw, c)."""
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    view = sliding_window_view(xp, (span_h, span_w), axis=(1, 2))  # (n, ., ., c, span_h, span_w)
    view = view[:, ::stride, ::stride, :, ::dilation, ::dilation]
    return view.transpose(0, 1, 2, 4, 5, 3)


def im2col(xp: NDArray, kh: int, kw: int, stride: int, dilation: int,
           out: NDArray | None = None) -> NDArray:
    """``im2col_loops``'s matrix from a strided view: one copy, no Python loop over positions.

    ``out``, if given, is a buffer of shape (n * h_out * w_out, kh * kw * c)
    that is filled and returned (the layer reuses one across steps).
    """
    view = windows(xp, kh, kw, stride, dilation)
    n, h_out, w_out = view.shape[:3]
    shape = (n * h_out * w_out, kh * kw * xp.shape[3])
    if out is None:
        out = np.empty(shape, dtype=xp.dtype)
    np.copyto(out.reshape(view.shape), view)
    return out


def im2col_by_tap(xp: NDArray, kh: int, kw: int, stride: int, dilation: int,
                  out: NDArray | None = None) -> NDArray:
    """``im2col``'s matrix as the transpose of an array filled one kernel tap at a time.

    Column ``(p, q, c)`` of the matrix is the picture shifted by the tap
    ``(p, q)``, channel ``c``, read at every output position: one strided
    copy each, ``kh * kw * c`` of them, of runs ``w_out`` numbers long. For
    a one-channel picture that beats copying the windows view, whose
    innermost run is only ``kw`` numbers. The product ``cols @ W`` is the
    same; BLAS reads the transposed operand as it is.

    ``out``, if given, is a buffer of shape (kh * kw * c, n * h_out * w_out);
    the result is its transpose ``out.T``, of shape (n * h_out * w_out, kh * kw * c).
    """
    n, hp, wp, c = xp.shape
    h_out = conv_output_size(hp, kh, stride, dilation, 0)
    w_out = conv_output_size(wp, kw, stride, dilation, 0)
    if out is None:
        out = np.empty((kh * kw * c, n * h_out * w_out), dtype=xp.dtype)
    by_tap = out.reshape(kh, kw, c, n, h_out, w_out)
    for p in range(kh):
        for q in range(kw):
            shifted = xp[:, p * dilation: p * dilation + stride * (h_out - 1) + 1: stride,
                         q * dilation: q * dilation + stride * (w_out - 1) + 1: stride, :]
            np.copyto(by_tap[p, q], shifted.transpose(3, 0, 1, 2))
    return out.T


def col2im(dcols: NDArray, padded_shape: tuple[int, ...], kh: int, kw: int, stride: int,
           dilation: int) -> NDArray:
    """The adjoint of ``im2col``: add every row back onto the window it was read from.

    Parameters
    ----------
    dcols : ndarray of shape (n * h_out * w_out, kh * kw * c)
    padded_shape : ``(n, hp, wp, c)``, the padded picture's shape

    Returns
    -------
    ndarray of shape ``padded_shape``: windows overlap when ``stride`` is less
    than the kernel, and overlapping gradients add up.
    """
    n, hp, wp, c = padded_shape
    h_out = conv_output_size(hp, kh, stride, dilation, 0)
    w_out = conv_output_size(wp, kw, stride, dilation, 0)
    grads = dcols.reshape(n, h_out, w_out, kh, kw, c)
    dxp = np.zeros(padded_shape, dtype=dcols.dtype)
    for p in range(kh):  # one strided addition per kernel tap, not one per position
        for q in range(kw):
            dxp[:, p * dilation: p * dilation + stride * (h_out - 1) + 1: stride,
                q * dilation: q * dilation + stride * (w_out - 1) + 1: stride, :] \
                += grads[:, :, :, p, q, :]
    return dxp
