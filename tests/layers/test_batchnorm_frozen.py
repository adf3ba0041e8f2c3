"""A frozen BatchNorm runs in inference mode while the network trains (as in Keras)."""

import numpy as np

import glassnet as gn
from glassnet import gradcheck
from glassnet.layers import BatchNorm, Dense, ReLU, Sequential


def test_a_frozen_batchnorm_keeps_its_statistics_and_normalises_with_them():
    X, y = gn.datasets.make_moons(100, noise=0.2, seed=0)
    net = gn.Network([Dense(2, 8, seed=0), BatchNorm(), ReLU(), Dense(2, seed=1)])
    net.fit(X, y, epochs=2, batch_size=20, seed=0, verbose=0)
    bn = net.layers[1]
    bn.trainable = False
    stats = {k: v.copy() for k, v in bn.state.items()}
    net.fit(X, y, epochs=2, batch_size=20, seed=0, verbose=0)
    for key, value in stats.items():  # before: the running statistics kept moving
        np.testing.assert_array_equal(bn.state[key], value)
    x = np.ones((3, 8), np.float32)
    np.testing.assert_array_equal(bn.forward(x, training=True), bn.forward(x, training=False))


def test_freezing_a_container_freezes_the_batchnorm_inside():
    block = Sequential([Dense(2, 4, seed=0), BatchNorm()])
    block.trainable = False
    assert block.layers[1].trainable is False
    block.trainable = True
    assert block.layers[1].trainable is True


def test_the_frozen_batchnorm_backward_is_its_inference_gradient():
    bn = BatchNorm(dtype=np.float64)
    bn.build((3,), np.float64)
    rng = np.random.default_rng(0)
    bn.state["running_mean"][...] = rng.standard_normal(3)
    bn.state["running_var"][...] = rng.random(3) + 0.5
    bn.params["gamma"][...] = rng.standard_normal(3)
    bn.trainable = False
    result = gradcheck(bn, rng.standard_normal((4, 3)))
    assert result.max_rel_error < 1e-7, str(result)
