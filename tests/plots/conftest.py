"""Data, networks and predictions shared by the plot tests (no matplotlib needed here)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.classic import NeuralNetwork
from glassnet.datasets import make_moons


@pytest.fixture(scope="module")
def moons():
    return make_moons(60, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def trained(moons):
    X, y = moons
    net = gn.mlp([2, 8, 2], seed=0)
    history = net.fit(X, y, epochs=5, validation_split=0.25, seed=0, verbose=0)
    return net, history


@pytest.fixture(scope="module")
def classic():
    return NeuralNetwork(784, 20, 10, 0.1, seed=0)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.random((10, 784))
    y_true = np.arange(10) % 3
    y_pred = y_true.copy()
    y_pred[[2, 5, 7]] = [0, 1, 2]  # three mistakes, at rows 2, 5 and 7
    return X, y_true, y_pred
