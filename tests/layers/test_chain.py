"""Layers run in a chain: a BatchNorm then a ReLU as one pass, with the same bits and arrays."""

import numpy as np
import pytest

import glassnet
import glassnet._fused as fused_module
import glassnet.layers._compiled as compiled
from glassnet.errors import ShapeError
from glassnet.gradcheck import gradcheck, gradcheck_network
from glassnet.layers import BatchNorm, Conv2D, Dense, MaxPool2D, ReLU, Sequential
from glassnet.layers.chain import backward_through, forward_through

needs_numba = pytest.mark.skipif(not fused_module.numba_available(),
                                 reason="the compiled loops need Numba (the 'fast' extra)")


def same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    width = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    np.testing.assert_array_equal(np.ascontiguousarray(a).view(width),
                                  np.ascontiguousarray(b).view(width))


def picture_block(fused=True, relu=ReLU):
    return [Conv2D(6, 3, padding="same", bias=False, seed=0), BatchNorm(fused=fused),
            relu(fused=fused), MaxPool2D(2)]


def one_step(layers, x, dout_seed=1, *, chained):
    """Forward and backward through ``layers`` (built): via the chain, or one layer at a time."""
    if chained:
        out = forward_through(layers, x, training=True)
    else:
        out = x
        for layer in layers:
            out = layer.forward(out, training=True)
    dout = np.random.default_rng(dout_seed).standard_normal(out.shape).astype(x.dtype)
    if chained:
        dx = backward_through(layers, dout)
    else:
        dx = dout
        for layer in reversed(layers):
            dx = layer.backward(dx)
    return out, dx


def build(layers, shape, dtype):
    for layer in layers:
        shape = layer.build(shape, dtype)


def assert_same_state(layers0, layers1):
    for a, b in zip(layers0, layers1, strict=True):
        for store in ("params", "grads", "state"):
            for key in getattr(a, store):
                same_bits(getattr(a, store)[key], getattr(b, store)[key])
    for a, b in zip(layers0, layers1, strict=True):  # what backward will read
        if isinstance(a, ReLU):
            same_bits(a._cache, b._cache)
        if isinstance(a, BatchNorm):
            for kept0, kept1 in zip(a._cache, b._cache, strict=True):
                if isinstance(kept0, np.ndarray):
                    same_bits(kept0, kept1)
                else:
                    assert kept0 == kept1


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def testbatchnorm_then_relu_in_one_pass_gives_the_same_bits_and_arrays(dtype, monkeypatch):
    x = np.random.default_rng(0).standard_normal((40, 12, 12, 2)).astype(dtype)
    x[:, :2] = 0.0  # ties and zeros after the normalisation
    results = []
    for chained in (False, True):
        layers = picture_block()
        build(layers, (12, 12, 2), dtype)
        if chained:  # the pair must not fall back on ReLU's own passes
            monkeypatch.setattr(ReLU, "forward", lambda *a, **k: pytest.fail("ReLU.forward ran"))
            monkeypatch.setattr(ReLU, "backward", lambda *a, **k: pytest.fail("ReLU.backward ran"))
        results.append((*one_step(layers, x, chained=chained), layers))
        monkeypatch.undo()
    (out0, dx0, layers0), (out1, dx1, layers1) = results
    same_bits(out0, out1)
    same_bits(dx0, dx1)
    assert_same_state(layers0, layers1)
    # and a second step from there: the kept arrays serve the next backward the same way
    same_bits(one_step(layers0, x[::-1].copy(), 3, chained=False)[1],
              one_step(layers1, x[::-1].copy(), 3, chained=True)[1])


@needs_numba
@pytest.mark.parametrize("case", ["fused False", "relu fused False", "frozen", "inference",
                                  "one feature", "relu subclass", "small default",
                                  "instance hook"])
def test_the_pair_runs_layer_by_layer_where_it_cannot_be_one_pass(case, monkeypatch):
    """Each way out gives what the two layers give on their own; none is silently different."""
    dtype, features, n = np.float32, 6, 40

    class MyReLU(ReLU):
        def forward(self, x, *, training=False):
            return super().forward(x, training=training) * 2  # an override must run

    def make():
        bn, relu = BatchNorm(fused=True), ReLU(fused=True)
        if case == "fused False":
            bn = BatchNorm(fused=False)
        elif case == "relu fused False":
            relu = ReLU(fused=False)
        elif case == "relu subclass":
            relu = MyReLU(fused=True)
        elif case == "small default":
            bn, relu = BatchNorm(), ReLU()  # fused=None: below FUSE_FROM entries, NumPy
        elif case == "instance hook":  # a forward set on the instance must run
            def hooked(x, *, training=False, _forward=relu.forward):
                return _forward(x, training=training) * 2
            relu.forward = hooked
        return [Dense(5, features, seed=0), bn, relu, Dense(features, 3, seed=1)]

    if case == "one feature":
        features = 1
    x = np.random.default_rng(1).standard_normal((n, 5)).astype(dtype)
    results = []
    for chained in (False, True):
        layers = make()
        build(layers, (5,), dtype)
        if case == "frozen":
            layers[1].trainable = False
        if case == "inference":
            out = forward_through(layers, x, training=False) if chained else \
                layers[3].forward(layers[2].forward(layers[1].forward(layers[0].forward(x))))
            results.append((out, out, layers))
            continue
        results.append((*one_step(layers, x, chained=chained), layers))
    (out0, dx0, layers0), (out1, dx1, layers1) = results
    same_bits(out0, out1)
    same_bits(dx0, dx1)
    if case != "inference":
        assert_same_state(layers0, layers1)
    if case in ("relu subclass", "instance hook"):  # the override ran in both
        assert not (out1 == 0).all()
        plain = make()
        build(plain, (5,), dtype)
        plain[2] = ReLU(fused=True)
        assert not np.array_equal(forward_through(plain, x, training=True), out1)


@needs_numba
def test_a_network_and_a_sequential_run_the_pair_as_one_pass(monkeypatch):
    calls = []
    original = BatchNorm.forward_then_relu

    def spy(self, x, relu, *, training=False):
        calls.append(training)
        return original(self, x, relu, training=training)

    monkeypatch.setattr(BatchNorm, "forward_then_relu", spy)
    X = np.random.default_rng(2).standard_normal((64, 8, 8, 1)).astype(np.float32)
    y = np.arange(64) % 3
    for blocks in (picture_block(), [Sequential(picture_block())]):
        net = glassnet.Network([*blocks, glassnet.layers.Flatten(), Dense(None, 3, seed=0)],
                               loss="softmax_cross_entropy")
        calls.clear()
        net.fit(X, y, epochs=1, batch_size=32, verbose=0)
        assert calls.count(True) == 2  # one call a batch in training (then inference)


@needs_numba
def test_a_trained_small_cnn_has_the_same_bits_with_the_pair_in_one_pass_or_not(monkeypatch):
    X = np.random.default_rng(3).standard_normal((96, 784)).astype(np.float32)
    y = np.arange(96) % 10
    weights = []
    for chained in (False, True):
        if not chained:  # every BatchNorm then ReLU, layer by layer
            monkeypatch.setattr("glassnet.layers.chain.batchnorm_then_relu",
                                lambda layers, i: False)
        net = glassnet.models.small_cnn(channels=(4, 8), hidden=16, seed=0)
        net.fit(X, y, epochs=2, batch_size=32, verbose=0, seed=0)
        weights.append({k: v.copy() for k, v, _ in net.named_parameters()})
        monkeypatch.undo()
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        same_bits(weights[0][key], weights[1][key])


@needs_numba
def test_the_pair_passes_the_gradient_check_on_the_compiled_path(monkeypatch):
    pair = Sequential([BatchNorm(fused=True), ReLU(fused=True)])  # x's gradient
    x = np.random.default_rng(4).standard_normal((7, 3, 3, 4)) + 0.1
    result = gradcheck(pair, x, seed=0)
    assert result.max_rel_error < 1e-6, str(result)
    net = glassnet.Network([Dense(3, 4, seed=0, dtype=np.float64), BatchNorm(fused=True),
                            ReLU(fused=True), Dense(4, 2, seed=1, dtype=np.float64)],
                           loss="softmax_cross_entropy")  # gamma's and beta's, in a network
    ran = []
    original = BatchNorm.backward_through_relu
    monkeypatch.setattr(BatchNorm, "backward_through_relu",
                        lambda self, *a: ran.append(1) or original(self, *a))
    X = np.random.default_rng(5).standard_normal((9, 3))
    result = gradcheck_network(net, X, np.arange(9) % 2)
    assert result.max_rel_error < 1e-6, str(result)
    assert ran


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_relu_of_the_scale_loop_is_numpys_maximum(dtype):
    """NaN stays NaN and -0.0 becomes 0.0, as ``np.maximum(y, 0)`` gives them."""
    rows, d = 70, 3
    rng = np.random.default_rng(5)
    x = rng.standard_normal((rows, d)).astype(dtype)
    x[::7, 0] = np.nan
    mu, inv_std = np.zeros(d, dtype), np.ones(d, dtype)
    gamma, beta = np.array([1, 0, -1], dtype), np.array([0, -0.0, 0.5], dtype)
    scaled, relu_out = np.empty_like(x), np.empty_like(x)
    compiled.batchnorm_scale_kernel()(x, mu, inv_std, gamma, beta, False, scaled)
    compiled.batchnorm_scale_kernel()(x, mu, inv_std, gamma, beta, True, relu_out)
    assert np.signbit(scaled[:, 1]).any()  # the -0.0 case is there
    same_bits(relu_out, np.maximum(scaled, 0))


@needs_numba
def test_backward_through_the_pair_without_a_forward_says_so():
    bn, relu = BatchNorm(fused=True), ReLU(fused=True)
    bn.build((4,), np.float32)
    with pytest.raises(ShapeError, match="without a forward"):
        bn.backward_through_relu(np.ones((3, 4), np.float32), relu)
