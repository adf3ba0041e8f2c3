import warnings

import numpy as np
import pytest

from glassnet.layers import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, get_activation


def test_values():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0, 0, 3]])
    np.testing.assert_allclose(LeakyReLU(0.1).forward(x), [[-0.2, 0, 3]])
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Softmax().forward(x).sum(), 1.0)


def test_relu_backward_by_hand():
    layer = ReLU()
    layer.forward(np.array([[-1.0, 2.0]]), training=True)
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 7.0]])), [[0, 7]])


def test_sigmoid_layer_has_no_overflow_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Sigmoid().forward(np.array([[-1e4, 1e4]], dtype=np.float32))
    np.testing.assert_array_equal(out, [[0, 1]])


def test_get_activation():
    assert isinstance(get_activation("relu"), ReLU)
    with pytest.raises(ValueError, match="choose one of"):
        get_activation("swish")


def test_leaky_relu_rejects_negative_alpha():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        LeakyReLU(-0.1)
