"""Conv2D and its maths: the textbook loop, im2col and the fast strided path give the same
numbers; col2im is im2col's adjoint; buffers are reused; errors say what to do."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import initializers
from glassnet.errors import DTypeError, ShapeError
from glassnet.layers import Conv2D, MaxPool2D, Reshape
from glassnet.layers import conv as conv_module
from glassnet.layers import conv_maths as cm


def built(layer, shape, dtype=np.float64):
    layer.build(shape, dtype)
    return layer


def test_a_convolution_worked_by_hand():
    """A 3x3 picture, a 2x2 kernel of ones but one -1, valid padding: four window sums."""
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)   # 0 1 2 / 3 4 5 / 6 7 8
    conv = built(Conv2D(1, 2, dtype=np.float64), (3, 3, 1))
    conv.params["W"][...] = np.array([[1.0, 1.0], [1.0, -1.0]]).reshape(2, 2, 1, 1)
    conv.params["b"][...] = 0.5
    out = conv.forward(x)
    # window at (0, 0): 0 + 1 + 3 - 4 = 0; (0, 1): 1 + 2 + 4 - 5 = 2; (1, 0): 3 + 4 + 6 - 7 = 6
    np.testing.assert_array_equal(out[0, :, :, 0], [[0.5, 2.5], [6.5, 8.5]])


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), c_in=st.integers(1, 3), c_out=st.integers(1, 4),
       kh=st.integers(1, 4), kw=st.integers(1, 4), stride=st.integers(1, 3),
       dilation=st.integers(1, 3), padding=st.sampled_from(["valid", "same", 0, 1, 3]),
       n=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_textbook_im2col_and_fast_path_agree(h, w, c_in, c_out, kh, kw, stride, dilation,
                                              padding, n, seed):
    conv = Conv2D(c_out, (kh, kw), stride=stride, padding=padding, dilation=dilation,
                  seed=seed, dtype=np.float64)
    try:
        conv.build((h, w, c_in), np.float64)
    except ShapeError:
        return  # the dilated kernel does not fit (tested below)
    rng = np.random.default_rng(seed)
    conv.params["b"][...] = rng.standard_normal(c_out)
    x = rng.standard_normal((n, h, w, c_in))
    args = dict(stride=stride, pad=conv._pad, dilation=dilation)
    by_hand = cm.conv2d_sliding_window(x, conv.params["W"], conv.params["b"], **args)
    by_im2col = cm.conv2d_im2col(x, conv.params["W"], conv.params["b"], **args)
    fast = conv.forward(x, training=True)
    assert fast.shape == by_hand.shape == (n, *conv.output_shape((h, w, c_in)))
    np.testing.assert_allclose(by_im2col, by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast, by_hand, rtol=1e-12, atol=1e-12)
    xp = cm.pad_picture(x, conv._pad)
    np.testing.assert_array_equal(cm.im2col(xp, kh, kw, stride, dilation),
                                  cm.im2col_loops(xp, kh, kw, stride, dilation))
    np.testing.assert_array_equal(cm.im2col_by_tap(xp, kh, kw, stride, dilation),
                                  cm.im2col_loops(xp, kh, kw, stride, dilation))


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8),
                       st.integers(1, 3)),
       k=st.integers(1, 3), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       seed=st.integers(0, 2**32 - 1))
def test_col2im_is_the_adjoint_of_im2col(shape, k, stride, dilation, seed):
    """<im2col(x), y> == <x, col2im(y)> for every x, y: what makes dx the exact gradient."""
    if dilation * (k - 1) + 1 > min(shape[1], shape[2]):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cols = cm.im2col(x, k, k, stride, dilation)
    y = rng.standard_normal(cols.shape)
    back = cm.col2im(y, x.shape, k, k, stride, dilation)
    assert np.vdot(cols, y) == pytest.approx(np.vdot(x, back), rel=1e-12, abs=1e-12)


def test_same_padding_keeps_the_size_and_puts_the_odd_zero_after():
    assert cm.pad_amounts("same", (28, 28), (3, 3), 1, 1) == (1, 1, 1, 1)
    assert cm.pad_amounts("same", (28, 28), (4, 4), 1, 1) == (1, 2, 1, 2)
    assert cm.pad_amounts("same", (7, 7), (3, 3), 2, 1) == (1, 1, 1, 1)   # out = ceil(7 / 2)
    assert cm.pad_amounts("same", (6, 6), (3, 3), 1, 2) == (2, 2, 2, 2)   # dilated span 5
    conv = Conv2D(2, 3, stride=2, padding="same")
    assert conv.output_shape((28, 27, 1)) == (14, 14, 2)


def test_first_layer_skips_dx_and_gets_the_same_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 6, 2))
    a = built(Conv2D(3, 3, padding="same", seed=0), (6, 6, 2))
    b = built(Conv2D(3, 3, padding="same", seed=0), (6, 6, 2))
    dout = rng.standard_normal(a.forward(x, training=True).shape)
    b.forward(x, training=True)
    a.backward(dout)
    assert b.backward_params(dout) is None
    for key in a.grads:
        np.testing.assert_array_equal(a.grads[key], b.grads[key])


@pytest.mark.parametrize("c_in", [1, 2])  # one channel: the matrix is filled tap by tap
def test_im2col_buffers_are_reused_across_steps(c_in):
    conv = built(Conv2D(4, 3, padding="same", seed=0), (8, 8, c_in), np.float32)
    x = np.random.default_rng(0).random((16, 8, 8, c_in), dtype=np.float32)
    fresh = built(Conv2D(4, 3, padding="same", seed=0), (8, 8, c_in), np.float32)
    conv.backward(conv.forward(x, training=True))
    buffers = {name: buf.ctypes.data for name, buf in conv._buffers.items()}
    assert set(buffers) == {"train/padded", "train/cols", "train/dcols"}
    conv.backward(conv.forward(x[:5], training=True))   # a smaller last batch: same memory
    np.testing.assert_array_equal(conv.forward(x[:5], training=True), fresh.forward(x[:5]))
    conv.backward(conv.forward(x, training=True))
    assert {name: buf.ctypes.data for name, buf in conv._buffers.items()} == buffers


def test_inference_runs_in_slices_with_the_same_result(monkeypatch):
    conv = built(Conv2D(4, 3, padding="same", seed=0), (8, 8, 2))
    x = np.random.default_rng(0).standard_normal((50, 8, 8, 2))
    whole = conv.forward(x)
    monkeypatch.setattr(conv_module, "INFERENCE_CHUNK", 8 * 8 * 18 * 7)  # 7 pictures a slice
    np.testing.assert_array_equal(conv.forward(x), whole)


def test_copies_leave_the_scratch_buffers_behind():
    import pickle

    conv = built(Conv2D(4, 3, seed=0), (8, 8, 2), np.float32)
    conv.forward(np.ones((64, 8, 8, 2), dtype=np.float32), training=True)
    twin = pickle.loads(pickle.dumps(conv))
    assert twin._buffers == {} and twin._cache is None
    np.testing.assert_array_equal(twin.params["W"], conv.params["W"])


def test_kernel_initialisers_use_the_window_as_fan_in():
    rng = np.random.default_rng(0)
    W = initializers.he_normal(rng, (5, 5, 16, 64), np.float64)
    assert W.std() == pytest.approx(np.sqrt(2 / (5 * 5 * 16)), rel=0.02)
    W = initializers.glorot_uniform(rng, (3, 3, 32, 64), np.float64)
    assert np.abs(W).max() <= np.sqrt(6 / (9 * 32 + 9 * 64))
    assert W.std() == pytest.approx(np.sqrt(2 / (9 * 32 + 9 * 64)), rel=0.02)


@pytest.mark.parametrize("kwargs, match", [
    ({"padding": "full"}, "padding"),
    ({"padding": -1}, "padding"),
    ({"stride": 0}, "stride"),
    ({"dilation": 1.5}, "dilation"),
    ({"init": "xavier"}, "glorot_uniform"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(4, 3, **kwargs)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(4, (3, 3, 3))


def test_flat_input_asks_for_a_reshape_and_a_large_kernel_is_refused():
    with pytest.raises(ShapeError, match=r"Reshape\(\(28, 28, 1\)\)"):
        gn.Network([Conv2D(4, 3), gn.Flatten(), gn.Dense(2)], input_shape=(784,))
    with pytest.raises(ShapeError, match="no output position"):
        Conv2D(4, 5, dilation=2).build((8, 8, 1), np.float32)
    with pytest.raises(ShapeError, match="at least 3x3"):
        MaxPool2D(3).build((2, 8, 1), np.float32)
    with pytest.raises(ShapeError, match="sizes must match"):
        Reshape((27, 28, 1)).build((784,), np.float32)
    with pytest.raises(ValueError, match="target_shape"):
        Reshape((-1, -1))


def test_wrong_input_shape_or_dtype_names_the_layer():
    conv = built(Conv2D(4, 3), (8, 8, 2), np.float32)
    with pytest.raises(ShapeError, match=r"Conv2D.*\(n_samples, 8, 8, 2\)"):
        conv.forward(np.ones((1, 8, 8, 3), dtype=np.float32))
    with pytest.raises(DTypeError, match="float32"):
        conv.forward(np.ones((1, 8, 8, 2)))
    with pytest.raises(ShapeError, match="not built"):
        Conv2D(4, 3).forward(np.ones((1, 8, 8, 2), dtype=np.float32))


def test_max_pool_sends_a_tied_gradient_to_one_input_only():
    pool = built(MaxPool2D(2), (2, 2, 1))
    x = np.zeros((1, 2, 2, 1))                       # e.g. four ReLU zeros
    pool.forward(x, training=True)
    dx = pool.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1.0 and dx[0, 0, 0, 0] == 1.0   # the first, as PyTorch does
