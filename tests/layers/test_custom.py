"""A layer written the way tutorials teach trains in a Network, and saves once registered."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Layer, register_layer


class TutorialDense(Layer):
    """Rebinds its gradient every step, as most tutorials write it."""

    decay_keys = ("W",)

    def __init__(self, n_in, n_out, scale=1.0):
        super().__init__()
        self.n_in, self.n_out, self.scale = n_in, n_out, scale
        rng = np.random.default_rng(n_out)
        self.params["W"] = rng.normal(0, scale * n_in**-0.5, (n_in, n_out)).astype(np.float32)
        self.grads["W"] = np.zeros_like(self.params["W"])

    def forward(self, x, *, training=False):
        self.x = x
        return x @ self.params["W"]

    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout
        return dout @ self.params["W"].T

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "scale": self.scale}


def moons():
    return gn.datasets.make_moons(300, noise=0.1, seed=0)


def test_a_tutorial_layer_trains_inside_a_network():
    X, y = moons()
    net = gn.Network([TutorialDense(2, 16), gn.Tanh(), TutorialDense(16, 2, scale=0.5)])
    before = net.evaluate(X, y)["loss"]
    assert net.output_shape == (2,)  # learnt from the data, by running the layer once
    net.fit(X, y, optimizer=gn.Adam(0.05), epochs=30, batch_size=32, seed=0, verbose=0)
    assert net.evaluate(X, y)["loss"] < 0.5 * before
    assert net.evaluate(X, y)["accuracy"] > 0.85  # no biases: a little below a Dense


def test_rebinding_a_parameter_just_works():
    X, y = moons()
    net = gn.mlp([2, 8, 2], seed=0)
    dense = net.layers[0]
    new = np.full((2, 8), 0.1, dtype=np.float32)
    dense.params["W"] = new  # a new array, not W[...] = ...
    net.fit(X, y, optimizer=gn.SGD(0.5), epochs=1, seed=0, verbose=0)
    assert dense.params["W"] is new and not np.all(new == np.float32(0.1))  # it trained
    assert net.parameters["0.W"] is dense.params["W"]


def test_a_gradient_of_the_wrong_dtype_fails_loudly():
    class Float64Grad(TutorialDense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W"] = self.grads["W"].astype(np.float64)
            return dx

    X, y = moons()
    net = gn.Network([Float64Grad(2, 2)])
    with pytest.raises(gn.DTypeError, match=r"parameter '0.W' is float32 but its gradient is "
                                            r"float64"):
        net.fit(X, y, epochs=1, verbose=0)


def test_a_layer_that_changes_the_dtype_is_refused_when_built():
    class Upcast(Layer):
        def forward(self, x, *, training=False):
            return x.astype(np.float64)

        def backward(self, dout):
            return dout

    with pytest.raises(gn.DTypeError, match="must keep the dtype"):
        gn.Network([gn.Dense(2, 3), Upcast()])


def test_a_missing_gradient_is_named():
    class NoGrad(TutorialDense):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            del self.grads["W"]

        def backward(self, dout):
            return dout @ self.params["W"].T

    X, y = moons()
    with pytest.raises(KeyError, match=r"grads\['W'\]"):
        gn.Network([NoGrad(2, 2)]).fit(X, y, epochs=1, verbose=0)


def test_registered_custom_layer_saves_and_loads(tmp_path):
    register_layer(TutorialDense)
    X, y = moons()
    net = gn.Network([TutorialDense(2, 6), gn.ReLU(), TutorialDense(6, 2, scale=0.3)])
    net.fit(X, y, epochs=2, seed=0, verbose=0)
    loaded = gn.io.load(gn.io.save(net, tmp_path / "custom.safetensors"))
    assert type(loaded.layers[0]) is TutorialDense
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_register_refuses_a_name_clash_and_non_layers():
    class Dense(Layer):
        """A layer of one's own with the same name as the built-in."""

    with pytest.raises(ValueError, match="already registered"):
        register_layer(Dense)
    with pytest.raises(TypeError, match="subclass"):
        register_layer(int)


def test_frozen_layers_are_not_trained():
    X, y = moons()
    net = gn.mlp([2, 8, 2], seed=0)
    net.layers[0].trainable = False
    frozen = net.layers[0].params["W"].copy()
    net.fit(X, y, epochs=2, seed=0, verbose=0)
    np.testing.assert_array_equal(net.layers[0].params["W"], frozen)
    assert "0.W" not in [name for name, _, _ in net.named_parameters()]
    assert not np.array_equal(net.layers[2].params["W"], gn.mlp([2, 8, 2], seed=0)
                              .layers[2].params["W"])
