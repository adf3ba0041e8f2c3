"""The picture layers' compiled loops: the same bits as NumPy, chosen as documented."""

import copy
import pickle

import numpy as np
import pytest

import glassnet
import glassnet._fused as fused_module
import glassnet.layers._compiled as compiled
from glassnet._fused import FUSE_FROM
from glassnet.gradcheck import gradcheck
from glassnet.layers import AvgPool2D, BatchNorm, Conv2D, MaxPool2D, ReLU, Tanh

needs_numba = pytest.mark.skipif(not fused_module.numba_available(),
                                 reason="the compiled loops need Numba (the 'fast' extra)")

# (layer factory, per-sample input shape)
CASES = {
    "conv same": (lambda f: Conv2D(5, 3, padding="same", seed=0, fused=f), (9, 8, 3)),
    "conv valid stride 2": (lambda f: Conv2D(4, (3, 2), stride=2, seed=0, fused=f), (9, 8, 3)),
    "conv dilated padded": (lambda f: Conv2D(4, 3, dilation=2, padding=1, seed=0, fused=f),
                            (9, 8, 2)),
    "conv same stride 2 odd": (lambda f: Conv2D(3, 4, stride=2, padding="same", seed=0,
                                                fused=f), (7, 9, 2)),
    "conv padding wider than the kernel": (lambda f: Conv2D(3, 3, padding=4, seed=0, fused=f),
                                           (4, 5, 2)),
    "conv (2, 3) stride 3 same": (lambda f: Conv2D(2, (2, 3), stride=3, padding="same", seed=0,
                                                   fused=f), (8, 10, 3)),
    "conv picture narrower than the kernel": (lambda f: Conv2D(2, 5, padding="same", seed=0,
                                                               fused=f), (3, 2, 2)),
    "conv 1x1 padding 2": (lambda f: Conv2D(2, 1, padding=2, seed=0, fused=f), (4, 3, 2)),
    "batchnorm pictures": (lambda f: BatchNorm(fused=f), (6, 5, 4)),
    "batchnorm one feature": (lambda f: BatchNorm(fused=f), (6, 5, 1)),
    "batchnorm rows": (lambda f: BatchNorm(fused=f), (7,)),
    "maxpool 2": (lambda f: MaxPool2D(2, fused=f), (9, 8, 3)),
    "maxpool 3 stride 2 (overlapping)": (lambda f: MaxPool2D(3, stride=2, fused=f), (9, 8, 3)),
    "maxpool 2 stride 3 (gaps)": (lambda f: MaxPool2D(2, stride=3, fused=f), (10, 8, 2)),
    "maxpool (3, 2) stride 1": (lambda f: MaxPool2D((3, 2), stride=1, fused=f), (6, 7, 2)),
    "avgpool 2": (lambda f: AvgPool2D(2, fused=f), (9, 8, 3)),
    "avgpool 3 stride 2 (overlapping)": (lambda f: AvgPool2D(3, stride=2, fused=f), (9, 8, 3)),
    "avgpool 2 stride 3 (gaps)": (lambda f: AvgPool2D(2, stride=3, fused=f), (10, 8, 2)),
    "relu": (lambda f: ReLU(fused=f), (6, 5, 4)),
    "tanh": (lambda f: Tanh(fused=f), (6, 5, 4)),
}


def forward_backward(layer, x, dout_seed=1):
    out = layer.forward(x, training=True)
    dout = np.random.default_rng(dout_seed).standard_normal(out.shape).astype(x.dtype)
    dout[..., 0] = -0.0  # signed zeros must come out with the same sign on both paths
    dx = layer.backward(dout)
    return out.copy(), dx.copy(), {k: g.copy() for k, g in layer.grads.items()}


def same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    width = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    np.testing.assert_array_equal(np.ascontiguousarray(a).view(width),
                                  np.ascontiguousarray(b).view(width))


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_path_gives_the_same_bits_as_numpy(case, dtype):
    make, shape = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, *shape)).astype(dtype)
    x[x < -1] = 0.0  # ties (ReLU's zeros) for the max pool
    results = []
    for fused in (False, True):
        layer = make(fused)
        layer.build(shape, dtype)
        results.append(forward_backward(layer, x))
    (out0, dx0, g0), (out1, dx1, g1) = results
    same_bits(out0, out1)
    same_bits(dx0, dx1)
    assert g0.keys() == g1.keys()
    for key in g0:
        same_bits(g0[key], g1[key])


@needs_numba
@pytest.mark.parametrize("case", sorted(CASES))
def test_arrays_in_any_memory_order_give_the_same_bits(case):
    """The compiled loops read flat C-ordered rows: a transposed input or a sliced gradient
    (a padded convolution's NumPy backward returns a slice) must not fail or differ."""
    make, shape = CASES[case]
    rng = np.random.default_rng(2)
    x = np.asfortranarray(rng.standard_normal((7, *shape)).astype(np.float32))
    dout = None
    results = []
    for fused in (False, True):
        layer = make(fused)
        layer.build(shape, np.float32)
        out = layer.forward(x, training=True)
        if dout is None:  # every other channel of a wider array: not contiguous
            wide = rng.standard_normal((*out.shape[:-1], 2 * out.shape[-1]))
            dout = wide.astype(np.float32)[..., ::2]
        results.append((out.copy(), layer.backward(dout).copy(),
                        {k: g.copy() for k, g in layer.grads.items()},
                        layer.forward(x[::-1], training=False).copy()))
    (out0, dx0, g0, inf0), (out1, dx1, g1, inf1) = results
    same_bits(out0, out1)
    same_bits(dx0, dx1)
    same_bits(inf0, inf1)
    for key in g0:
        same_bits(g0[key], g1[key])


@needs_numba
def test_a_compiled_pool_takes_the_gradient_of_a_numpy_padded_convolution():
    """A padded Conv2D on the NumPy path hands back a sliced (non-contiguous) gradient."""
    x = np.random.default_rng(0).standard_normal((16, 32, 32, 8)).astype(np.float32)
    for pool in (MaxPool2D(2, fused=True), AvgPool2D(2, fused=True)):
        conv = Conv2D(16, 3, padding="same", seed=0, fused=False)
        conv.build((16, 16, 8), np.float32)
        pooled = pool.forward(x, training=True)
        out = conv.forward(pooled, training=True)
        dpooled = conv.backward(np.ones_like(out))
        assert not dpooled.flags.c_contiguous  # the case this test is about
        reference = type(pool)(2, fused=False)
        reference.forward(x, training=True)
        same_bits(pool.backward(dpooled), reference.backward(dpooled))


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pictures", [1, 3, 4])
@pytest.mark.parametrize("case", sorted(c for c in CASES if c.startswith("conv")))
def test_the_compiled_backward_in_chunks_gives_the_same_bits(monkeypatch, case, pictures,
                                                             dtype):
    """The compiled backward computes dcols and col2im a few pictures at a time: chunks of
    1, 3 (11 = 3 + 3 + 5) and 4 (11 = 4 + 7) pictures give what NumPy gives all at once."""
    import glassnet.layers.conv as conv_module

    make, shape = CASES[case]
    x = np.random.default_rng(5).standard_normal((11, *shape)).astype(dtype)
    results = []
    for fused in (False, True):
        layer = make(fused)
        layer.build(shape, dtype)
        h_out, w_out, _ = layer.output_shape(shape)
        per_picture = h_out * w_out * layer.params["W"][..., 0].size * x.itemsize
        monkeypatch.setattr(conv_module, "BACKWARD_CHUNK_BYTES", pictures * per_picture + 1)
        monkeypatch.setattr(conv_module, "BACKWARD_CHUNK_ROWS", 1)  # few filters: safe here
        results.append(forward_backward(layer, x))
        if fused:  # the buffer holds the longest chunk (the last takes the rest), not the batch
            longest = pictures + 11 % pictures
            assert layer._buffers["train/dcols"].shape[0] == longest * h_out * w_out
    (out0, dx0, g0), (out1, dx1, g1) = results
    same_bits(dx0, dx1)
    for key in g0:
        same_bits(g0[key], g1[key])


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, shape, filters", [(29, (3, 3, 512), 32), (455, (6, 6, 8), 32),
                                               (1001, (4, 4, 16), 64)])
def test_the_backward_chunks_are_large_products(n, shape, filters, dtype):
    """Small products (one row; up to about 130 rows) take other code paths in OpenBLAS,
    with sums in another order: a chunk has at least BACKWARD_CHUNK_ROWS rows, and a short
    last chunk joins the one before it. 29 pictures of a 1x1 output once came as 28 + 1;
    455 and 1001 pictures (4x4 and 2x2 outputs) come in several chunks."""
    x = np.random.default_rng(6).standard_normal((n, *shape)).astype(dtype)
    results = []
    for fused in (False, True):
        layer = Conv2D(filters, 3, seed=0, fused=fused)
        layer.build(shape, dtype)
        results.append(forward_backward(layer, x))
        if fused and n > 29:  # several chunks, the last the longest
            assert layer._buffers["train/dcols"].shape[0] < n * (shape[0] - 2) ** 2
    same_bits(results[0][1], results[1][1])


@needs_numba
@pytest.mark.parametrize("fused", [False, True])
def test_conv_inference_in_slices_gives_the_same_bits_as_at_once(monkeypatch, fused):
    import glassnet.layers.conv as conv_module

    x = np.random.default_rng(4).standard_normal((10, 9, 8, 3)).astype(np.float32)
    layer = Conv2D(4, 3, padding="same", seed=0, fused=fused)
    layer.build((9, 8, 3), np.float32)
    whole = layer.forward(x)
    numpy_whole = Conv2D(4, 3, padding="same", seed=0, fused=False)
    numpy_whole.build((9, 8, 3), np.float32)
    same_bits(whole, numpy_whole.forward(x))
    monkeypatch.setattr(conv_module, "INFERENCE_CHUNK", 3 * 9 * 8 * 27)  # 3 pictures a slice
    same_bits(layer.forward(x), whole)  # slices of 3, 3, 3 and 1


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_keeps_the_same_bits_frozen_and_when_switched_between_passes(dtype):
    """The compiled forward keeps x, not x_hat: a backward on either path, and a frozen
    layer (running statistics), give the NumPy path's bits."""
    x = np.random.default_rng(3).standard_normal((9, 6, 5, 4)).astype(dtype)
    reference = forward_backward(BatchNorm(fused=False), x)
    for forward_fused, backward_fused in [(True, False), (False, True), (True, True)]:
        layer = BatchNorm(fused=forward_fused)
        out = layer.forward(x, training=True).copy()
        layer.fused = backward_fused
        dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
        dout[..., 0] = -0.0
        dx = layer.backward(dout)
        same_bits(out, reference[0])
        same_bits(dx, reference[1])
        for key in reference[2]:
            same_bits(layer.grads[key], reference[2][key])
    frozen = []
    for fused in (False, True):
        layer = BatchNorm(fused=fused)
        layer.build(x.shape[1:], dtype)
        layer.state["running_mean"][:] = dtype(0.25)
        layer.state["running_var"][:] = dtype(2.0)
        layer.trainable = False
        frozen.append(forward_backward(layer, x))
    for a, b in zip(frozen[0][:2], frozen[1][:2], strict=True):
        same_bits(a, b)
    for key in frozen[0][2]:
        same_bits(frozen[0][2][key], frozen[1][2][key])


@needs_numba
@pytest.mark.parametrize("fused", [False, True])
def test_max_pool_spreads_nan_and_breaks_ties_to_the_first_tap(fused):
    x = np.zeros((1, 2, 4, 1), dtype=np.float32)
    x[0, 1, 1, 0] = np.nan          # window 0: a NaN after a zero, which must win
    x[0, 0, 2, 0] = x[0, 1, 3, 0] = 5.0  # window 1: a tie, the first (row-major) wins
    layer = MaxPool2D(2, fused=fused)
    layer.build((2, 4, 1), np.float32)
    out = layer.forward(x, training=True)
    assert np.isnan(out[0, 0, 0, 0]) and out[0, 0, 1, 0] == 5.0
    dx = layer.backward(np.array([[[[2.0], [3.0]]]], dtype=np.float32))
    assert dx[0, 1, 1, 0] == 2.0 and dx[0, 0, 2, 0] == 3.0
    assert np.count_nonzero(dx) == 2


@needs_numba
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_path_passes_the_gradient_check(case):
    make, shape = CASES[case]
    layer = make(True)
    layer.build(shape, np.float64)
    size = 2 * int(np.prod(shape))  # distinct values: no max-pool ties, no ReLU kinks at 0
    x = (np.random.default_rng(2).permutation(size).reshape(2, *shape) + 0.5) / size - 0.5
    result = gradcheck(layer, x, seed=0)
    assert result.max_rel_error < 1e-6, str(result)


def small_cnn_weights(fused, steps=3):
    net = glassnet.models.small_cnn(seed=0, channels=(4, 8), hidden=16,
                                    input_shape=(12, 12, 1), dtype=np.float64)
    for layer in net.layers:
        if hasattr(layer, "fused"):
            layer.fused = fused
    rng = np.random.default_rng(0)
    X = rng.random((64, 144))
    y = rng.integers(0, 10, 64)
    net.fit(X, y, optimizer=glassnet.Adam(1e-2), epochs=steps, batch_size=32, seed=0,
            verbose=0)
    return net


@needs_numba
def test_a_network_trains_to_the_same_bits_on_both_paths():
    fused, plain = small_cnn_weights(True), small_cnn_weights(False)
    for (_, a, ga), (_, b, gb) in zip(fused.named_parameters(), plain.named_parameters(),
                                      strict=True):
        same_bits(a, b)
        same_bits(ga, gb)
    for layer_f, layer_p in zip(fused.layers, plain.layers, strict=True):
        for key, value in layer_f.state.items():
            same_bits(value, layer_p.state[key])


def test_the_default_compiles_large_inputs_only_where_numba_is(monkeypatch):
    monkeypatch.setattr(compiled, "numba_available", lambda: True)
    assert compiled.use_fused(None, FUSE_FROM)
    assert not compiled.use_fused(None, FUSE_FROM - 1)
    assert not compiled.use_fused(False, 10**9)
    assert compiled.use_fused(True, 1)
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    assert not compiled.use_fused(None, 10**9)


@pytest.mark.parametrize("make", [lambda: Conv2D(2, 3, fused=True), lambda: BatchNorm(fused=True),
                                  lambda: MaxPool2D(fused=True), lambda: ReLU(fused=True),
                                  lambda: AvgPool2D(fused=True), lambda: Tanh(fused=True)])
def test_fused_true_without_numba_names_the_extra(monkeypatch, make):
    monkeypatch.setattr(fused_module, "numba_available", lambda: False)
    with pytest.raises(ImportError, match=r"glassnet\[fast\]"):
        make()


def test_a_fused_layer_unpickled_without_numba_says_what_to_do(monkeypatch):
    layer = ReLU(fused=True) if fused_module.numba_available() else ReLU()
    layer.fused = True  # as if made where Numba was installed
    layer = pickle.loads(pickle.dumps(layer))
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    layer.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ImportError, match=r"fused=True.*glassnet\[fast\].*\.fused"):
        layer.backward(np.ones((2, 3)))


@pytest.mark.parametrize("cls", [Conv2D, BatchNorm, MaxPool2D, AvgPool2D, ReLU, Tanh])
def test_fused_must_be_a_bool_or_none(cls):
    args = (2, 3) if cls is Conv2D else ()
    with pytest.raises(TypeError, match="fused must be True, False or None, got 'yes'"):
        cls(*args, fused="yes")


def test_the_switch_is_kept_by_copies_and_left_out_of_the_config():
    layer = MaxPool2D(2, fused=False)
    assert copy.deepcopy(layer).fused is False
    assert pickle.loads(pickle.dumps(layer)).fused is False
    assert "fused" not in layer.get_config()


@pytest.mark.parametrize("rows, d", [(1, 3), (31, 2), (32, 5), (33, 4), (100, 16), (640, 3),
                                     (50, 1)])
def test_column_sums_are_the_sums_over_the_rows(rows, d):
    a = np.random.default_rng(rows).standard_normal((rows, d))
    np.testing.assert_allclose(compiled.column_sums(a), a.sum(axis=0), rtol=1e-12, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, d", [(1, 3), (31, 2), (32, 5), (33, 4), (100, 16), (640, 3),
                                     (1000, 7)])
def test_the_compiled_sums_add_in_the_order_of_column_sums(rows, d, dtype):
    rng = np.random.default_rng(rows * d)
    a = rng.standard_normal((rows, d)).astype(dtype)
    x = rng.standard_normal((rows, d)).astype(dtype)
    a[rng.random((rows, d)) < 0.3] = -0.0  # signed zeros: sums start at 0.0, as NumPy's do
    a[:, 0] = -0.0
    mu = compiled.column_sums(a) / dtype(rows)
    scale = rng.random(d).astype(dtype) + dtype(0.5)
    kernel = compiled.column_sums_kernel()
    total, unused, of_products, of_squares = (np.empty(d, dtype) for _ in range(4))
    kernel(a, a, x, mu, scale, 2, total, of_products)
    same_bits(total, compiled.column_sums(a))
    x_hat = x - mu
    x_hat *= scale  # as BatchNorm's NumPy path makes it
    same_bits(of_products, compiled.column_sums(a * x_hat))
    kernel(a, a, x, mu, scale, 1, of_squares, unused)
    same_bits(of_squares, compiled.column_sums((a - mu) * (a - mu)))
    kernel(a, a, x, mu, scale, 0, total, unused)
    same_bits(total, compiled.column_sums(a))
    # kind 3: through a ReLU's backward first (its output as the mask: zeros, NaN, positives)
    relu_out = np.maximum(rng.standard_normal((rows, d)).astype(dtype), 0)
    relu_out[rng.random((rows, d)) < 0.05] = np.nan
    kernel(a, relu_out, x, mu, scale, 3, total, of_products)
    through_relu = a * (relu_out > 0)
    same_bits(total, compiled.column_sums(through_relu))
    same_bits(of_products, compiled.column_sums(through_relu * x_hat))

@pytest.mark.parametrize("rows, d", [(1, 3), (31, 2), (32, 5), (70, 6), (100, 1)])
def test_add_to_rows_is_the_broadcast_addition(rows, d):
    rng = np.random.default_rng(rows + d)
    a = rng.standard_normal((rows, d)).astype(np.float32)
    v = rng.standard_normal(d).astype(np.float32)
    expected = a + v
    compiled.add_to_rows(a, v)
    same_bits(a, expected)


def test_a_batchnorm_pickled_between_passes_with_the_old_cache_still_runs_backward():
    """Before, the cache was (x_hat, inv_std, frozen); such a pickle keeps working."""
    x = np.random.default_rng(5).standard_normal((40, 3)).astype(np.float32)
    dout = np.random.default_rng(6).standard_normal((40, 3)).astype(np.float32)
    layer = BatchNorm(fused=False)
    layer.forward(x, training=True)
    expected = layer.backward(dout)
    x_hat, _, mu, inv_std, frozen = layer._cache
    state = layer.__dict__.copy()
    state["_cache"] = (x_hat, inv_std, frozen)  # as an older glassnet pickled it
    old = BatchNorm.__new__(BatchNorm)
    old.__setstate__(state)
    same_bits(old.backward(dout), expected)
