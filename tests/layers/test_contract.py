"""The contract every layer keeps: shapes, dtype, grads keys, and correct gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet import gradcheck
from glassnet.errors import ShapeError
from glassnet.layers import (
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)

N_IN = 5


def make_layers(dtype, n_in=N_IN, n_out=3, seed=0):
    """One instance of every layer kind (and Dense variants)."""
    return [
        Dense(n_in, n_out, rng=seed, dtype=dtype),
        Dense(n_in, n_out, bias=False, init="normal_fan_in", rng=seed, dtype=dtype),
        Dense(n_in, n_out, init="he_normal", rng=seed, dtype=dtype),
        Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softmax(), Identity(),
        Dropout(0.3, rng=seed),
    ]


LAYER_IDS = ["dense", "dense_nobias", "dense_he", "sigmoid", "tanh", "relu", "leaky_relu",
             "softmax", "identity", "dropout"]


def with_bias_values(layer, rng):
    """Non-zero biases, so their gradients are exercised."""
    if "b" in layer.params:
        layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    return layer


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [False, True])
def test_shapes_and_dtype_are_kept(index, dtype, training):
    layer = make_layers(dtype)[index]
    x = np.random.default_rng(1).standard_normal((7, N_IN)).astype(dtype)
    out = layer.forward(x, training=training)
    assert out.dtype == dtype
    assert out.shape == (7, layer.output_size(N_IN))
    if training:
        dx = layer.backward(np.ones_like(out))
        assert dx.dtype == dtype and dx.shape == x.shape
        for g in layer.grads.values():
            assert g.dtype == dtype


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_grads_keys_match_params(index):
    layer = make_layers(np.float64)[index]
    assert set(layer.grads) == set(layer.params)
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
        assert f"{key}={value!r}" in text


@settings(max_examples=25, deadline=None)
@given(index=st.integers(0, len(LAYER_IDS) - 1), n_samples=st.integers(1, 6),
       n_in=st.integers(1, 6), n_out=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_gradcheck_every_layer_float64(index, n_samples, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = with_bias_values(make_layers(np.float64, n_in, n_out, seed)[index], rng)
    x = rng.standard_normal((n_samples, n_in))
    if isinstance(layer, (ReLU, LeakyReLU)):
        x += np.sign(x) * 0.01  # keep away from the kink at 0, where no derivative exists
    result = gradcheck(layer, x, seed=seed)
    assert result.max_rel_error < 1e-6, str(result)


@pytest.mark.parametrize("index", range(len(LAYER_IDS)), ids=LAYER_IDS)
def test_backward_without_training_forward_is_an_error_or_identity(index):
    """Only Identity, which keeps nothing from forward, may run backward after inference."""
    layer = make_layers(np.float64)[index]
    x = np.ones((2, N_IN))
    layer.forward(x, training=False)
    if isinstance(layer, Identity):
        np.testing.assert_array_equal(layer.backward(np.ones((2, layer.output_size(N_IN)))),
                                      np.ones((2, layer.output_size(N_IN))))
    else:
        with pytest.raises(ShapeError, match="training=True"):
            layer.backward(np.ones((2, layer.output_size(N_IN))))
