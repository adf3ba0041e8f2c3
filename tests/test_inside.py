"""Looking inside networks: backquery of any depth, activation maximisation, hidden units."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet import functional as F
from glassnet.classic import neuralNetwork
from glassnet.inside import (
    activation_maximisation,
    backquery,
    hidden_activations,
    invertible,
    strongest_inputs,
)
from glassnet.layers import Dense, LeakyReLU, Sigmoid, Tanh
from glassnet.network import Network


def trained_classic(seed=0):
    rng = np.random.default_rng(seed)
    net = neuralNetwork(12, 6, 3, 0.3, seed=seed)
    for _ in range(300):
        x = rng.random(12) * 0.99 + 0.01
        t = np.full(3, 0.01)
        t[int(x[:4].sum() * 3) % 3] = 0.99
        net.train(x, t)
    return net


def test_backquery_of_the_books_network_is_the_books_backquery():
    net = trained_classic()
    for label in range(3):
        targets = np.full(3, 0.01)
        targets[label] = 0.99
        np.testing.assert_allclose(backquery(net, label), net.backquery(targets)[:, 0],
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(backquery(net.network, target=targets),
                                   net.backquery(targets)[:, 0], rtol=0, atol=1e-12)


def test_deep_tanh_and_sigmoid_networks_worked_by_hand():
    rng = np.random.default_rng(1)
    layers = [Dense(5, 4, seed=rng, dtype=np.float64), Tanh(),
              Dense(4, 3, seed=rng, dtype=np.float64), Sigmoid(),
              Dense(3, 2, seed=rng, dtype=np.float64)]
    net = Network(layers, loss="softmax_cross_entropy")
    result = backquery(net, 1)
    # by hand: logits from the target, then each layer undone
    target = np.array([[0.01, 0.99]])
    s = np.log(target) - np.log(target).mean()
    s = (s - layers[4].params["b"]) @ layers[4].params["W"].T
    span = lambda v, lo, hi: lo + (v - v.min()) / (v.max() - v.min()) * (hi - lo)  # noqa: E731
    s = F.logit(span(s, 0.01, 0.99))
    s = (s - layers[2].params["b"]) @ layers[2].params["W"].T
    s = np.arctanh(span(s, -0.98, 0.98))
    s = (s - layers[0].params["b"]) @ layers[0].params["W"].T
    np.testing.assert_allclose(result, span(s, 0.01, 0.99)[0], rtol=0, atol=1e-12)
    assert result.shape == (5,) and result.min() == pytest.approx(0.01)


def test_leaky_relu_is_undone_and_relu_is_refused_with_the_way_out():
    leaky = glassnet.mlp([6, 5, 3], activation="leaky_relu", seed=0)
    assert invertible(leaky)
    assert np.isfinite(backquery(leaky, 2)).all()
    relu = glassnet.mlp([6, 5, 3], activation="relu", seed=0)
    assert not invertible(relu)
    with pytest.raises(ValueError, match="cannot run a ReLU backwards.*activation_maximisation"):
        backquery(relu, 0)
    flat = Network([Dense(3, 2, seed=0), LeakyReLU(alpha=0.0), Dense(2, 2, seed=0)])
    assert not invertible(flat)


def test_backquery_refuses_bad_labels_and_targets():
    net = trained_classic()
    with pytest.raises(ValueError, match=r"label must be an integer in 0..2"):
        backquery(net, 3)
    with pytest.raises(ValueError, match="exactly one of label= .* or target="):
        backquery(net)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        backquery(net, target=[1.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="expected a glassnet Network"):
        backquery(object(), 1)


def test_activation_maximisation_raises_the_chosen_output():
    X, y = glassnet.datasets.make_blobs(300, seed=0)
    net = glassnet.mlp([X.shape[1], 16, int(y.max()) + 1], activation="relu", seed=0)
    net.fit(X, y, epochs=20, seed=0, verbose=0)
    lo, hi = float(X.min()), float(X.max())
    for label in range(int(y.max()) + 1):
        x = activation_maximisation(net, label, input_range=(lo, hi), steps=100,
                                    step_size=0.05 * (hi - lo), seed=1)
        assert x.shape == (X.shape[1],) and lo <= x.min() and x.max() <= hi
        assert int(net.predict(x[None])[0]) == label
    again = activation_maximisation(net, 0, input_range=(lo, hi), steps=10, seed=1)
    np.testing.assert_array_equal(
        again, activation_maximisation(net, 0, input_range=(lo, hi), steps=10, seed=1))
    with pytest.raises(ValueError, match="low < high"):
        activation_maximisation(net, 0, input_range=(1.0, 0.0))


def test_hidden_activations_and_strongest_inputs():
    net = glassnet.mlp([4, 3, 2], activation="sigmoid", dropout=0.5, seed=0)
    X = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    layers = hidden_activations(net, X)
    assert [name for name, _ in layers] == ["0 Dense", "1 Sigmoid", "3 Dense"]
    np.testing.assert_allclose(layers[-1][1], net.forward(X), rtol=1e-6)
    top = strongest_inputs(net, X, layer=1, k=4)
    assert top.shape == (3, 4)
    hidden = layers[1][1]
    for unit in range(3):
        assert hidden[top[unit, 0], unit] == hidden[:, unit].max()
        assert list(hidden[top[unit], unit]) == sorted(hidden[top[unit], unit], reverse=True)
    with pytest.raises(ValueError, match="k must be between 1 and the 20 rows"):
        strongest_inputs(net, X, k=21)
    with pytest.raises(ValueError, match="layer must be an index"):
        strongest_inputs(net, X, layer=9)
