"""The network's side of the layer protocol: backward_params, partial_fit, parameter names."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense, Dropout, Flatten, Layer, ReLU


def moons(n=120):
    return gn.datasets.make_moons(n, noise=0.2, seed=0)


class LoggedDense(Dense):
    """A Dense subclass with its own backward (as a contributor writes one)."""

    calls = 0

    def backward(self, dout):
        LoggedDense.calls += 1
        return super().backward(dout)


def test_a_dense_subclass_own_backward_is_called_when_it_is_first():
    X, y = moons()
    LoggedDense.calls = 0
    net = gn.Network([LoggedDense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    net.fit(X, y, epochs=1, batch_size=40, verbose=0)
    assert LoggedDense.calls == 3  # before: Network.backward called backward_params instead


def test_backward_params_is_a_protocol_method_with_a_default():
    class Half(Layer):
        def forward(self, x, *, training=False):
            return x / 2

        def backward(self, dout):
            self.seen = dout
            return dout / 2

    layer = Half()
    layer.backward_params(np.ones((1, 2)))  # the default runs backward, dropping dx
    np.testing.assert_array_equal(layer.seen, np.ones((1, 2)))
    assert gn.layers.base.skips_dx(Dense) and not gn.layers.base.skips_dx(LoggedDense)


def test_partial_fit_is_one_epoch_of_mini_batches():
    X, y = moons()
    a, b = gn.mlp([2, 8, 2], seed=0), gn.mlp([2, 8, 2], seed=0)
    loss = a.partial_fit(X, y, batch_size=30, shuffle=False)
    history = b.fit(X, y, epochs=1, batch_size=30, shuffle=False, verbose=0)
    assert a.training_state.step == 4 and loss == history.history["loss"][0]
    for name, value in a.get_weights().items():
        np.testing.assert_array_equal(value, b.get_weights()[name])
    a.partial_fit(X, y, batch_size=30)
    assert a.training_state.step == 8 and a.training_state.epoch == 2


def test_parameters_and_named_parameters_name_the_same_arrays():
    net = gn.Network([Dense(2, 4, seed=0), Dropout(0.1), Dense(2, seed=1)])
    net.layers[0].trainable = False
    every = net.named_parameters(trainable_only=False)
    assert [n for n, _, _ in every] == list(net.parameters)
    assert all(p is net.parameters[n] for n, p, _ in every)
    assert [n for n, _, _ in net.named_parameters()] == ["2.W", "2.b"]


def test_a_network_of_nd_inputs_trains_at_the_default_verbosity(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 8, 8)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(int) + (X[:, 1, 1] > 0).astype(int)
    net = gn.Network([Flatten(), Dense(16, seed=0), ReLU(), Dense(3, seed=1)])
    history = net.fit(X, y, epochs=2)  # before: ShapeError from the HealthCheck verbose adds
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("bad", [np.zeros((3, 4, 2))])
def test_healthcheck_refuses_data_of_another_sample_shape(bad):
    net = gn.Network([Flatten(), Dense(2, seed=0)], input_shape=(4, 3))
    check = gn.training.HealthCheck(bad)
    with pytest.raises(gn.errors.ShapeError, match="samples of shape"):
        check.on_train_begin(net)
