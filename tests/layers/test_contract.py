"""The contract every layer keeps: shapes, dtype, grads keys, correct gradients,
training inside a network, copies that train, and config and file round trips."""

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
    LAYERS,
    BatchNorm,
    Dense,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.testing import check_layer

N_IN = 5


def make_layers(dtype, n_in=N_IN, n_out=3, seed=0):
    """One instance of every layer kind (and Dense variants), built for ``n_in`` features."""
    layers = [
        Dense(n_in, n_out, seed=seed, dtype=dtype),
        Dense(n_in, n_out, bias=False, init="normal_fan_in", seed=seed, dtype=dtype),
        Dense(n_out, init="he_normal", seed=seed, dtype=dtype),  # n_in from build
        Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softmax(), Identity(),
        Dropout(0.3, seed=seed), BatchNorm(dtype=dtype), Flatten(),
        Sequential([Dense(n_in, 4, seed=seed, dtype=dtype), Tanh(),
                    Dense(n_out, seed=seed + 1, dtype=dtype)]),
        Residual(Sequential([Dense(n_in, 4, seed=seed, dtype=dtype), Tanh(),
                             Dense(n_in, seed=seed + 1, dtype=dtype)])),
    ]
    for layer in layers:
        layer.build((n_in,), dtype)
    return layers


LAYER_IDS = ["dense", "dense_nobias", "dense_lazy", "sigmoid", "tanh", "relu", "leaky_relu",
             "softmax", "identity", "dropout", "batchnorm", "flatten", "sequential", "residual"]


def test_every_built_in_layer_is_in_the_contract():
    from test_contract_pictures import PICTURE_LAYERS  # pictures have their own contract

    kinds = {type(layer).__name__ for layer in make_layers(np.float64)} | PICTURE_LAYERS
    assert kinds == {name for name, cls in LAYERS.items()
                     if cls.__module__.startswith("glassnet.layers")}


def with_param_values(layer, rng):
    """Non-trivial biases and scales, so their gradients are exercised."""
    for key in ("b", "beta", "gamma"):
        if key in layer.params:
            layer.params[key][...] = rng.standard_normal(layer.params[key].shape)
    return layer


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [False, True])
def test_shapes_and_dtype_are_kept(index, dtype, training):
    layer = make_layers(dtype)[index]
    x = np.random.default_rng(1).standard_normal((7, N_IN)).astype(dtype)
    out = layer.forward(x, training=training)
    assert out.dtype == dtype
    assert out.shape == (7, *layer.output_shape((N_IN,)))
    if training:
        dx = layer.backward(np.ones_like(out))
        assert dx.dtype == dtype and dx.shape == x.shape
        for g in layer.grads.values():
            assert g.dtype == dtype


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_grads_keys_match_params(index):
    layer = make_layers(np.float64)[index]
    assert set(layer.grads) == set(layer.params)
    assert not set(layer.state) & set(layer.params)
    for key in layer.params:
        assert layer.grads[key].shape == layer.params[key].shape


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_backward_does_not_change_parameters(index):
    layer = make_layers(np.float64)[index]
    before = {k: v.copy() for k, v in layer.params.items()}
    x = np.random.default_rng(2).standard_normal((4, N_IN))
    layer.backward(np.ones_like(layer.forward(x, training=True)))
    for key, value in before.items():
        np.testing.assert_array_equal(layer.params[key], value)


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_repr_shows_configuration(index):
    layer = make_layers(np.float64)[index]
    text = repr(layer)
    assert text.startswith(type(layer).__name__ + "(")
    for key, value in layer.get_config().items():
        if isinstance(value, list):  # a container shows its layers
            assert all(repr(item) in text for item in value)
        elif isinstance(value, gn.layers.Layer):
            assert repr(value) in text
        else:
            assert f"{key}={value!r}" in text


@settings(max_examples=30, deadline=None)
@given(index=st.integers(0, len(LAYER_IDS) - 1), n_samples=st.integers(2, 6),
       n_in=st.integers(1, 6), n_out=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_gradcheck_every_layer_float64(index, n_samples, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = with_param_values(make_layers(np.float64, n_in, n_out, seed)[index], rng)
    # BatchNorm of two samples maps them to exactly -1 and +1, a corner where
    # the check's rounding noise (1e-12) exceeds the tiny gradients' floor
    x = rng.standard_normal((n_samples + 3 * isinstance(layer, BatchNorm), n_in))
    if isinstance(layer, (ReLU, LeakyReLU)):
        x += np.sign(x) * 0.01  # keep away from the kink at 0, where no derivative exists
    result = gradcheck(layer, x, seed=seed)
    assert result.max_rel_error < 1e-6, str(result)


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_backward_without_training_forward_raises(index):
    """Only Identity, which keeps nothing from forward, may run backward after inference."""
    layer = make_layers(np.float64)[index]
    x = np.ones((2, N_IN))
    out = layer.forward(x, training=False)
    if isinstance(layer, Identity):
        np.testing.assert_array_equal(layer.backward(np.ones_like(out)), np.ones_like(out))
    else:
        with pytest.raises(ShapeError, match="training=True"):
            layer.backward(np.ones_like(out))


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_backward_before_any_forward_raises(index):
    layer = make_layers(np.float64)[index]
    if isinstance(layer, Identity):
        return
    with pytest.raises(ShapeError, match="training=True"):
        layer.backward(np.ones((2, *layer.output_shape((N_IN,)))))


# -- inside a network -----------------------------------------------------------
def network_with(index, dtype=np.float32, seed=0):
    """A small classifier ``Dense(N_IN, 8) -> <the layer> -> ... -> Dense(3)`` on 8 features."""
    layer = {
        "dense": lambda: Dense(8, 8, seed=seed, dtype=dtype),
        "dense_nobias": lambda: Dense(8, 8, bias=False, seed=seed, dtype=dtype),
        "dense_lazy": lambda: Dense(8, seed=seed),
        "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": lambda: LeakyReLU(0.1),
        "softmax": Softmax, "identity": Identity, "dropout": lambda: Dropout(0.2, seed=seed),
        "batchnorm": BatchNorm, "flatten": Flatten,
        "sequential": lambda: Sequential([Dense(8, seed=seed), Tanh(), Dense(8, seed=seed + 2)]),
        "residual": lambda: Residual(Sequential([Dense(8, seed=seed), Tanh(),
                                                 Dense(8, seed=seed + 2)])),
    }[LAYER_IDS[index]]()
    return gn.Network([Dense(N_IN, 8, seed=seed, dtype=dtype), Tanh(), layer,
                       Dense(3, seed=seed + 1)], dtype=dtype)


def toy_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_IN)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_trains_inside_a_network(index):
    X, y = toy_data()
    net = network_with(index)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, optimizer=gn.Adam(0.02), epochs=15, batch_size=16, seed=0, verbose=0)
    assert net.evaluate(X, y)["loss"] < 0.8 * before
    assert all(p.dtype == np.float32 for p in net.parameters.values())


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_copies_train_independently(index, copier):
    X, y = toy_data()
    net = network_with(index)
    net.fit(X, y, epochs=1, batch_size=32, seed=0, verbose=0)
    twin = copy.deepcopy(net) if copier == "deepcopy" else pickle.loads(pickle.dumps(net))
    original = net.get_weights()
    before = twin.evaluate(X, y)["loss"]
    twin.fit(X, y, optimizer=gn.Adam(0.02), epochs=10, batch_size=16, seed=0, verbose=0)
    assert twin.evaluate(X, y)["loss"] < 0.8 * before  # the copy learns
    for name, value in net.get_weights().items():  # and the original is untouched
        np.testing.assert_array_equal(value, original[name])


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_config_round_trip_rebuilds_the_layer(index):
    layer = make_layers(np.float64)[index]
    config = layer.get_config()
    rebuilt = type(layer)(**config)
    assert rebuilt.get_config() == config


@pytest.mark.parametrize("suffix", [".safetensors"])
@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_save_load_round_trip_predicts_the_same(index, suffix, tmp_path):
    X, y = toy_data()
    net = network_with(index)
    net.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0)
    loaded = gn.io.load(gn.io.save(net, tmp_path / f"m{suffix}"))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value)


# -- the public contract, glassnet.testing.check_layer, on every built-in layer ---------
CHECKED = {
    "dense": (lambda: Dense(4, seed=0), [(5,)]),
    "dense_nobias": (lambda: Dense(4, bias=False, init="normal_fan_in", seed=0), [(5,)]),
    "sigmoid": (Sigmoid, [(5,), (3, 4)]), "tanh": (Tanh, [(5,), (3, 4)]),
    "relu": (ReLU, [(5,), (3, 4)]), "leaky_relu": (lambda: LeakyReLU(0.1), [(5,), (3, 4)]),
    "softmax": (Softmax, [(5,)]), "identity": (Identity, [(5,), (2, 3, 2)]),
    "dropout": (lambda: Dropout(0.3, seed=0), [(5,), (3, 4)]),
    "batchnorm": (BatchNorm, [(5,)]), "flatten": (Flatten, [(5,), (3, 4), (2, 3, 2)]),
    "sequential": (lambda: Sequential([Dense(6, seed=0), Tanh(), Dense(4, seed=1)]), [(5,)]),
    "residual": (lambda: Residual(Sequential([Dense(6, seed=0), Tanh(), Dense(5, seed=1)])),
                 [(5,)]),
}


def test_check_layer_covers_every_built_in_layer():
    from test_check_layer_pictures import CASES  # the picture layers, checked there

    names = {type(factory()).__name__ for factory, _ in CHECKED.values()}
    names |= {type(factory()).__name__ for factory, _ in CASES.values()}
    assert names == {name for name, cls in LAYERS.items()
                     if cls.__module__.startswith("glassnet.layers")}


@pytest.mark.parametrize("name, shape", [(name, shape) for name, (_, shapes) in CHECKED.items()
                                         for shape in shapes])
def test_every_built_in_layer_passes_check_layer(name, shape):
    report = check_layer(CHECKED[name][0], shape)
    assert "float64 gradients match finite differences" in report.passed
    assert any(p.startswith("io.save/io.load") and "frozen from the start" in p
               for p in report.passed)
    assert len(report.passed) >= 11, str(report)
