"""The two-dimensional convolution layer (channels-last pictures)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_copy
from .._fused import check_fused
from .._validation import as_rng, check_dtype, check_positive_int
from ..errors import ShapeError
from ..initializers import get_initializer
from ._compiled import add_to_rows, col2im_kernel, column_sums, im2col_kernel, use_fused
from .base import Layer, seed_argument
from .conv_maths import col2im, conv_output_size, im2col, im2col_by_tap, pad_amounts, pad_picture

__all__ = ["Conv2D", "pair"]

#: Entries of the im2col matrix computed at once at inference (32 MB in float32):
#: a prediction on 10,000 pictures runs in slices instead of asking for gigabytes.
INFERENCE_CHUNK = 8 * 2**20

#: Bytes of window gradients (``dcols``) the compiled backward computes at once: a
#: few pictures at a time, so that col2im reads them from the cache, not from memory.
BACKWARD_CHUNK_BYTES = 2**20

#: Fewest rows of ``dout @ W.T`` computed at once by the compiled backward. A product
#: of one row, or a small one (up to about 130 rows at a convolution's shapes), takes
#: other code paths in OpenBLAS, which add in another order: its rows would differ in
#: the last bits from the same rows of the whole batch's product.
BACKWARD_CHUNK_ROWS = 1024


def pair(value: Any, name: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(3, 5)`` stays; anything else is refused naming ``name``."""
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (check_positive_int(value[0], name), check_positive_int(value[1], name))
    size = check_positive_int(value, name)
    return (size, size)


class Conv2D(Layer):
    """``filters`` learned kernels slid over a picture (cross-correlation, as every library does).

    ``out[n, i, j, f] = b[f] + sum_{p,q,c} xp[n, i*stride + p*dilation, j*stride + q*dilation, c]
    * W[p, q, c, f]``, with ``xp`` the input padded with zeros. Computed as one
    matrix product over the im2col matrix (see ``glassnet.layers.conv_maths``).

    Parameters
    ----------
    filters : number of output channels ``c_out``
    kernel_size : ``k`` or ``(kh, kw)``
    stride : step between windows, both axes
    padding : ``"valid"`` (no zeros), ``"same"`` (zeros so that
        ``h_out = ceil(h / stride)``; the odd zero goes after) or an int ``p``
        (``p`` zeros on every side)
    dilation : spacing between the kernel's taps (1 = contiguous)
    bias : whether to learn ``b``
    init : weight initialiser, see ``glassnet.initializers``; its fan-in is
        ``kh * kw * c_in`` and its fan-out ``kh * kw * c_out``
    seed : int or Generator used to draw the initial weights
    dtype : float32 or float64; None (default) takes the network's dtype
    fused : how im2col (pictures of several channels, no dilation) and the
        backward pass's col2im run (never what they compute): True with the
        compiled loops of ``glassnet.layers._compiled`` (needs Numba; the
        backward then goes a few pictures at a time), False with NumPy (a
        padded copy and a strided view; ``kh * kw`` strided additions), None
        (default) compiled when Numba is installed and the picture has at
        least 65,536 entries. Both give the same bits.

    Shape
    -----
    x : (n, h, w, c_in), channels last (NHWC) -> out : (n, h_out, w_out, c_out) with
    ``h_out = (h + pad_top + pad_bottom - dilation * (kh - 1) - 1) // stride + 1``
    (``w_out`` alike); W : (kh, kw, c_in, c_out), b : (c_out,)

    Backward
    --------
    ``dW = cols.T @ dout``, ``db = dout.sum(axis=(0, 1, 2))`` (``column_sums``'s order),
    ``dx = col2im(dout @ W.T)`` (gradients of overlapping windows add up).
    """

    decay_keys = ("W",)

    fused: bool | None = None  # see the docstring; a class default for older pickles

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], *, stride: int = 1,
                 padding: str | int = "valid", dilation: int = 1, bias: bool = True,
                 init: str = "glorot_uniform", seed: int | np.random.Generator | None = None,
                 dtype: DTypeLike | None = None,
                 rng: int | np.random.Generator | None = None,
                 fused: bool | None = None) -> None:
        super().__init__()
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = check_positive_int(stride, "stride")
        self.dilation = check_positive_int(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"unknown padding {padding!r}; choose 'valid', 'same' or a "
                                 "number of zeros (an int >= 0)")
        elif isinstance(padding, bool) or not isinstance(padding, int | np.integer) \
                or padding < 0:
            raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
        self.padding: str | int = padding if isinstance(padding, str) else int(padding)
        self.bias = bool(bias)
        self.init = init
        self._initializer = get_initializer(init)  # fails now for an unknown name
        self._rng = as_rng(seed_argument(seed, rng, "Conv2D"))
        self._dtype = None if dtype is None else check_dtype(dtype)
        self.fused = check_fused(fused, "Conv2D")
        self._pad = (0, 0, 0, 0)
        self._cache: tuple[NDArray, tuple[int, ...], tuple[int, ...]] | None = None
        self._buffers: dict[str, NDArray] = {}

    # -- building ----------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        if len(input_shape) != 3:
            raise ShapeError(
                f"{self!r} takes pictures (n_samples, height, width, channels), but gets "
                f"(n_samples, {', '.join(map(str, input_shape))}); put a Reshape before it, "
                "e.g. Reshape((28, 28, 1)) for 784 pixels")
        out_shape = self.output_shape(tuple(input_shape))
        if "W" not in self.params:
            kh, kw = self.kernel_size
            dt = self._dtype or check_dtype(dtype)
            W = self._initializer(self._rng, (kh, kw, int(input_shape[2]), self.filters), dt)
            self.params["W"] = aligned_copy(W)
            self.grads["W"] = np.zeros_like(W)
            if self.bias:
                self.params["b"] = aligned_copy(np.zeros(self.filters, dtype=dt))
                self.grads["b"] = np.zeros(self.filters, dtype=dt)
        super().build(input_shape, dtype)
        self._pad = pad_amounts(self.padding, (input_shape[0], input_shape[1]),
                                self.kernel_size, self.stride, self.dilation)
        return out_shape

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w = int(input_shape[0]), int(input_shape[1])
        top, bottom, left, right = pad_amounts(self.padding, (h, w), self.kernel_size,
                                               self.stride, self.dilation)
        h_out = conv_output_size(h, self.kernel_size[0], self.stride, self.dilation, top + bottom)
        w_out = conv_output_size(w, self.kernel_size[1], self.stride, self.dilation, left + right)
        if h_out < 1 or w_out < 1:
            raise ShapeError(
                f"{self!r} on pictures of {h}x{w} leaves no output position (the dilated "
                f"kernel spans {self.dilation * (self.kernel_size[0] - 1) + 1}x"
                f"{self.dilation * (self.kernel_size[1] - 1) + 1}); use padding='same', a "
                "smaller kernel or larger pictures")
        return (h_out, w_out, self.filters)

    # -- computation ----------------------------------------------------------------
    def _buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> NDArray:
        """The first ``shape[0]`` rows of a buffer kept across steps (zeros when first made)."""
        buf = self._buffers.get(name)
        if buf is None or buf.dtype != dtype or buf.shape[1:] != shape[1:] \
                or buf.shape[0] < shape[0]:
            buf = self._buffers[name] = np.zeros(shape, dtype=dtype)
        return buf[:shape[0]]

    def _convolve(self, x: NDArray, reuse: str | None
                  ) -> tuple[NDArray, NDArray, tuple[int, ...]]:
        """``(out, cols, padded shape)``; ``reuse`` names the buffers to fill (None: fresh)."""
        W = self.params["W"]
        kh, kw, c_in, c_out = W.shape
        top, bottom, left, right = self._pad
        n, h, w, _ = x.shape
        padded = (n, h + top + bottom, w + left + right, c_in)
        h_out, w_out, _ = self.output_shape((h, w, c_in))
        pad_buf = cols_buf = None
        by_tap = c_in == 1  # one channel: filling the matrix tap by tap is faster
        # the compiled loop reads the windows from x itself, with no padded copy
        compiled = not by_tap and self.dilation == 1 and use_fused(self.fused, x.size)
        if reuse is not None:  # the padded buffer's border stays zero: only its inside is written
            if any(self._pad) and not compiled:
                pad_buf = self._buffer(reuse + "/padded", padded, x.dtype)
            rows, K = n * h_out * w_out, kh * kw * c_in
            cols_buf = self._buffer(reuse + "/cols", (rows * K,), x.dtype).reshape(
                (K, rows) if by_tap else (rows, K))
        if compiled:
            if cols_buf is None:
                cols_buf = np.empty((n * h_out * w_out, kh * kw * c_in), dtype=x.dtype)
            im2col_kernel()(np.ascontiguousarray(x), kh, kw, self.stride, top, left,
                            cols_buf.reshape(n, h_out, w_out, kh, kw, c_in))
            cols = cols_buf
        else:
            xp = pad_picture(x, self._pad, out=pad_buf)
            cols = (im2col_by_tap if by_tap else im2col)(xp, kh, kw, self.stride,
                                                         self.dilation, out=cols_buf)
        out = cols @ W.reshape(kh * kw * c_in, c_out)   # (n * h_out * w_out, c_out)
        if self.bias:
            add_to_rows(out, self.params["b"])  # out += b
        return out.reshape(n, h_out, w_out, c_out), cols, padded

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        """Convolve ``x`` of shape (n, h, w, c_in) into (n, h_out, w_out, filters)."""
        W = self.params.get("W")
        if W is None:
            raise ShapeError(f"{self!r} is not built yet: put it in a Network")
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            expected = ", ".join(map(str, self.input_shape or ()))
            raise ShapeError(f"{self!r} expects input of shape (n_samples, {expected}), got "
                             f"{x.shape}; check the previous layer's output")
        self._check_dtype(x, W.dtype)
        if training:
            out, cols, padded = self._convolve(x, "train")
            self._cache = (cols, padded, x.shape)
            return out
        self._cache = None
        h_out, w_out, _ = self.output_shape(x.shape[1:])
        per_sample = h_out * w_out * W.shape[0] * W.shape[1] * W.shape[2]
        step = max(1, INFERENCE_CHUNK // per_sample)
        if x.shape[0] <= step:
            return self._convolve(x, "infer")[0]
        return np.concatenate([self._convolve(x[i:i + step], "infer")[0]
                               for i in range(0, x.shape[0], step)])

    def backward(self, dout: NDArray) -> NDArray:
        if self._cache is None:
            raise self._missing_cache()
        cols, padded, x_shape = self._cache
        dout2 = self._params_grads(cols, dout)
        W = self.params["W"]
        W_T = W.reshape(cols.shape[1], W.shape[3]).T
        kh, kw = self.kernel_size
        top, _, left, _ = self._pad
        if use_fused(self.fused, int(np.prod(padded))):
            return self._compiled_dx(dout2, W_T, x_shape, dout.shape[1], dout.shape[2])
        dcols = self._buffer("train/dcols", cols.shape, dout.dtype)
        np.dot(dout2, W_T, out=dcols)  # every window's gradient
        dxp = col2im(dcols, padded, kh, kw, self.stride, self.dilation)
        return dxp[:, top:top + x_shape[1], left:left + x_shape[2], :]

    def _compiled_dx(self, dout2: NDArray, W_T: NDArray, x_shape: tuple[int, ...],
                     h_out: int, w_out: int) -> NDArray:
        """``col2im(dout @ W.T)`` a few pictures at a time (``BACKWARD_CHUNK_BYTES``).

        The same bits as all at once: col2im adds each picture's windows on
        their own, and a row of a large product does not depend on the other
        rows (NumPy's OpenBLAS). A chunk has at least ``BACKWARD_CHUNK_ROWS``
        rows, and the last one joins the one before it when it would be
        shorter than a chunk.
        """
        n, c = x_shape[0], x_shape[3]
        kh, kw = self.kernel_size
        top, _, left, _ = self._pad
        per_picture = h_out * w_out * W_T.shape[1]
        step = max(BACKWARD_CHUNK_BYTES // (per_picture * dout2.itemsize),
                   -(-BACKWARD_CHUNK_ROWS // (h_out * w_out)), 1)
        starts = list(range(0, n - step + 1, step)) or [0]  # the rest joins the last chunk
        longest = max(step, n - starts[-1])
        dcols = self._buffer("train/dcols", (longest * h_out * w_out, W_T.shape[1]),
                             dout2.dtype)
        dout2 = np.ascontiguousarray(dout2)
        dx = np.empty(x_shape, dtype=dout2.dtype)
        for start, stop in zip(starts, [*starts[1:], n], strict=True):
            part = dcols[:(stop - start) * h_out * w_out]
            np.dot(dout2[start * h_out * w_out:stop * h_out * w_out], W_T, out=part)
            col2im_kernel()(part.reshape(stop - start, h_out, w_out, kh, kw, c),
                            kh, kw, self.stride, self.dilation, top, left, dx[start:stop])
        return dx

    def backward_params(self, dout: NDArray) -> None:
        """``dW`` and ``db`` only: the network calls this for its first layer, whose ``dx``
        nobody needs (it saves a matrix product and the col2im)."""
        if self._cache is None:
            raise self._missing_cache()
        self._params_grads(self._cache[0], dout)

    def _params_grads(self, cols: NDArray, dout: NDArray) -> NDArray:
        """Write ``dW = cols.T @ dout`` and ``db`` into the kept arrays; return ``dout`` as
        a matrix (n * h_out * w_out, c_out)."""
        W = self.params["W"]
        dout2 = dout.reshape(cols.shape[0], W.shape[3])
        dW = self.grads["W"]
        if dW.shape != W.shape or dW.dtype != dout.dtype or not dW.flags.c_contiguous:
            dW = self.grads["W"] = np.empty(W.shape, dtype=dout.dtype)
        np.dot(cols.T, dout2, out=dW.reshape(cols.shape[1], W.shape[3]))
        if self.bias:  # NumPy's sum(axis=0) is slow down a few long columns
            self.grads["b"][...] = column_sums(dout2)
        return dout2

    # -- copying and description ------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_buffers"], state["_cache"] = {}, None  # scratch space, rebuilt on demand
        return state

    def get_config(self) -> dict[str, Any]:
        return {"filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": self.stride, "padding": self.padding, "dilation": self.dilation,
                "bias": self.bias, "init": self.init}
