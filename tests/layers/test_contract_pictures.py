"""The layer contract for the picture layers (Conv2D, pooling, Reshape): shapes, dtype,
grads keys, float64 gradients over paddings, strides, dilations and odd sizes, training
inside a network, copies, config and file round trips, summaries, BatchNorm per channel."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import gradcheck
from glassnet.errors import ShapeError
from glassnet.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    ReLU,
    Reshape,
)

SHAPE = (7, 6, 2)   # odd height, even width, two channels


def make_layers(dtype, seed=0):
    """One instance of every picture layer kind (and Conv2D variants), built for SHAPE."""
    layers = [
        Conv2D(3, 3, seed=seed, dtype=dtype),
        Conv2D(4, (3, 2), stride=2, padding="same", dilation=2, bias=False, init="he_normal",
               seed=seed, dtype=dtype),
        Conv2D(2, 2, padding=1, seed=seed),  # dtype from build
        MaxPool2D(2), MaxPool2D(3, stride=2), AvgPool2D(2), AvgPool2D((2, 3), stride=1),
        GlobalAvgPool2D(), Reshape((-1,)), Reshape((6, 7, 2)),
    ]
    for layer in layers:
        layer.build(SHAPE, dtype)
    return layers


LAYER_IDS = ["conv", "conv_same_strided_dilated", "conv_pad_int", "maxpool", "maxpool_overlap",
             "avgpool", "avgpool_rect", "global_avgpool", "reshape_flat", "reshape"]
PICTURE_LAYERS = {"Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Reshape"}


def test_every_picture_layer_is_in_this_contract():
    assert {type(layer).__name__ for layer in make_layers(np.float64)} == PICTURE_LAYERS


def with_bias_values(layer, rng):
    if "b" in layer.params:
        layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    return layer


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [False, True])
def test_shapes_and_dtype_are_kept(index, dtype, training):
    layer = make_layers(dtype)[index]
    x = np.random.default_rng(1).standard_normal((5, *SHAPE)).astype(dtype)
    out = layer.forward(x, training=training)
    assert out.dtype == dtype
    assert out.shape == (5, *layer.output_shape(SHAPE))
    if training:
        dx = layer.backward(np.ones_like(out))
        assert dx.dtype == dtype and dx.shape == x.shape
        for g in layer.grads.values():
            assert g.dtype == dtype


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_grads_keys_match_params_and_backward_keeps_them(index):
    layer = make_layers(np.float64)[index]
    assert set(layer.grads) == set(layer.params)
    before = {k: v.copy() for k, v in layer.params.items()}
    x = np.random.default_rng(2).standard_normal((3, *SHAPE))
    layer.backward(np.ones_like(layer.forward(x, training=True)))
    for key, value in before.items():
        assert layer.grads[key].shape == value.shape
        np.testing.assert_array_equal(layer.params[key], value)


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_repr_shows_configuration_and_config_rebuilds(index):
    layer = make_layers(np.float64)[index]
    for key, value in layer.get_config().items():
        assert f"{key}={value!r}" in repr(layer)
    rebuilt = type(layer)(**layer.get_config())
    assert rebuilt.get_config() == layer.get_config()


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_backward_without_training_forward_raises(index):
    layer = make_layers(np.float64)[index]
    with pytest.raises(ShapeError, match="training=True"):  # before any forward
        layer.backward(np.ones((2, *layer.output_shape(SHAPE))))
    out = layer.forward(np.ones((2, *SHAPE)), training=False)
    with pytest.raises(ShapeError, match="training=True"):
        layer.backward(np.ones_like(out))


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
@pytest.mark.parametrize("n_samples", [1, 3])
def test_gradcheck_float64(index, n_samples):
    rng = np.random.default_rng(index)
    layer = with_bias_values(make_layers(np.float64)[index], rng)
    x = rng.standard_normal((n_samples, *SHAPE))
    result = gradcheck(layer, x, seed=index)
    assert result.max_rel_error < 1e-6, str(result)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(3, 9), w=st.integers(3, 9), c_in=st.integers(1, 3),
       filters=st.integers(1, 3), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same", 0, 1, 2]), n=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_gradcheck_conv_over_paddings_strides_dilations(h, w, c_in, filters, kh, kw, stride,
                                                        dilation, padding, n, seed):
    layer = Conv2D(filters, (kh, kw), stride=stride, padding=padding, dilation=dilation,
                   seed=seed, dtype=np.float64)
    try:
        layer.build((h, w, c_in), np.float64)
    except ShapeError:  # the dilated kernel does not fit: refused, as tested below
        return
    rng = np.random.default_rng(seed)
    with_bias_values(layer, rng)
    result = gradcheck(layer, rng.standard_normal((n, h, w, c_in)), seed=seed)
    assert result.max_rel_error < 1e-6, str(result)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(2, 8), w=st.integers(2, 8), c=st.integers(1, 3), k=st.integers(1, 3),
       stride=st.sampled_from([None, 1, 2, 3]), kind=st.sampled_from([MaxPool2D, AvgPool2D]),
       n=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_gradcheck_pooling_over_sizes_and_strides(h, w, c, k, stride, kind, n, seed):
    layer = kind(k, stride=stride)
    if k > min(h, w):
        with pytest.raises(ShapeError, match="at least"):
            layer.build((h, w, c), np.float64)
        return
    layer.build((h, w, c), np.float64)
    # distinct values: a max pool's derivative does not exist where two inputs tie; in
    # [0, 1), since the difference quotient's rounding grows with the inputs' size
    size = n * h * w * c
    x = np.random.default_rng(seed).permutation(size).reshape(n, h, w, c) / size
    result = gradcheck(layer, x.astype(np.float64), seed=seed)
    assert result.max_rel_error < 1e-6, str(result)


# -- inside a network ------------------------------------------------------------
def network_with(index, dtype=np.float32, seed=0):
    """``Reshape(SHAPE) -> Conv2D -> ReLU -> <the layer> -> Flatten -> Dense(3)`` on 84 inputs."""
    layer = {
        "conv": lambda: Conv2D(3, 3, padding="same", seed=seed),
        "conv_same_strided_dilated": lambda: Conv2D(4, (3, 2), stride=2, padding="same",
                                                    dilation=2, bias=False, seed=seed),
        "conv_pad_int": lambda: Conv2D(2, 2, padding=1, seed=seed),
        "maxpool": lambda: MaxPool2D(2), "maxpool_overlap": lambda: MaxPool2D(3, stride=2),
        "avgpool": lambda: AvgPool2D(2), "avgpool_rect": lambda: AvgPool2D((2, 3), stride=1),
        "global_avgpool": GlobalAvgPool2D, "reshape_flat": lambda: Reshape((-1,)),
        "reshape": lambda: Reshape((6, 7, 4)),
    }[LAYER_IDS[index]]()
    return gn.Network([Reshape(SHAPE), Conv2D(4, 3, padding="same", seed=seed, dtype=dtype),
                       ReLU(), layer, Flatten(), Dense(3, seed=seed + 1)], dtype=dtype)


def toy_pictures(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, int(np.prod(SHAPE)))).astype(np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(int) + (X[:, 40:50].sum(axis=1) > 1).astype(int)
    return X, y


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_trains_inside_a_network(index):
    X, y = toy_pictures()
    net = network_with(index)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, optimizer=gn.Adam(0.02), epochs=15, batch_size=16, seed=0, verbose=0)
    assert net.evaluate(X, y)["loss"] < 0.8 * before
    assert all(p.dtype == np.float32 for p in net.parameters.values())


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
@pytest.mark.parametrize("index", [0, 1, 3, 5], ids=[LAYER_IDS[i] for i in (0, 1, 3, 5)])
def test_copies_train_independently(index, copier):
    X, y = toy_pictures()
    net = network_with(index)
    net.fit(X, y, epochs=1, batch_size=32, seed=0, verbose=0)
    twin = copy.deepcopy(net) if copier == "deepcopy" else pickle.loads(pickle.dumps(net))
    original = net.get_weights()
    before = twin.evaluate(X, y)["loss"]
    twin.fit(X, y, optimizer=gn.Adam(0.02), epochs=10, batch_size=16, seed=0, verbose=0)
    assert twin.evaluate(X, y)["loss"] < 0.8 * before
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(value, original[name])


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_save_load_round_trip_predicts_the_same(index, tmp_path):
    X, y = toy_pictures()
    net = network_with(index)
    net.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0)
    loaded = gn.io.load(gn.io.save(net, tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert repr(loaded) == repr(net)


def test_a_cnn_file_round_trip_keeps_the_optimizer_and_continues(tmp_path):
    X, y = toy_pictures()
    net = gn.models.small_cnn(input_shape=SHAPE, channels=(3, 4), hidden=8, n_classes=3, seed=0)
    net.fit(X, y, epochs=1, batch_size=16, seed=0, verbose=0)
    path = gn.io.save(net, tmp_path / "cnn.safetensors", optimizer=net.optimizer)
    loaded = gn.io.load(path)
    assert loaded.optimizer is not None and loaded.optimizer.t == net.optimizer.t
    for twin in (net, loaded):  # both continue their optimizer's moments
        twin.fit(X, y, epochs=1, batch_size=16, seed=1, verbose=0)
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value, err_msg=name)


def test_summary_shows_picture_shapes_and_parameter_counts():
    net = gn.Network([Reshape((28, 28, 1)), Conv2D(8, 5, padding="same", seed=0), ReLU(),
                      MaxPool2D(2), Conv2D(4, 3, bias=False, seed=0), GlobalAvgPool2D(),
                      Dense(10, seed=0)], input_shape=(784,))
    text = str(net.summary())
    assert "(None, 28, 28, 8)" in text and "(None, 14, 14, 8)" in text
    assert "(None, 12, 12, 4)" in text and "(None, 4)" in text
    assert net.n_parameters == (5 * 5 * 1 * 8 + 8) + 3 * 3 * 8 * 4 + (4 * 10 + 10)
    assert f"total parameters: {net.n_parameters:,}" in text


def test_astype_float64_predicts_like_float32():
    X, _ = toy_pictures(20)
    net = network_with(0)
    twin = net.astype(np.float64)
    assert all(p.dtype == np.float64 for p in twin.parameters.values())
    np.testing.assert_allclose(twin.predict_proba(X), net.predict_proba(X), atol=1e-5)


def test_batchnorm_after_a_convolution_normalises_each_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (16, 9, 9, 2)) * [1.0, 5.0] + [3.0, -2.0]
    conv = Conv2D(3, 3, seed=0, dtype=np.float64)
    conv.build((9, 9, 2), np.float64)
    features = conv.forward(x, training=True)
    bn = BatchNorm(momentum=0.0)
    bn.build(features.shape[1:], np.float64)
    assert bn.params["gamma"].shape == (3,)  # one scale per channel, not per pixel
    out = bn.forward(features, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    np.testing.assert_allclose(bn.state["running_mean"], features.mean(axis=(0, 1, 2)))
    result = gradcheck(bn, rng.standard_normal((3, 7, 7, 3)), seed=0)  # per channel, in 4-D
    assert result.max_rel_error < 1e-6, str(result)
