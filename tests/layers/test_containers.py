"""Layers that hold layers: every walker of the network reaches the layers inside."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import gradcheck, io
from glassnet.errors import ShapeError
from glassnet.layers import Dense, Dropout, Layer, ReLU, Residual, Sequential, Tanh


class Block(Layer):
    """A layer written as Keras and PyTorch teach composition: ``self.inner = Dense(...)``."""

    def __init__(self, n_out=4):
        super().__init__()
        self.n_out = n_out
        self.inner = Dense(n_out, seed=3)

    def build(self, input_shape, dtype):
        self.inner.build(input_shape, dtype)
        return super().build(input_shape, dtype)

    def output_shape(self, input_shape):
        return (self.n_out,)

    def forward(self, x, *, training=False):
        return self.inner.forward(x, training=training)

    def backward(self, dout):
        return self.inner.backward(dout)

    def get_config(self):
        return {"n_out": self.n_out}


gn.layers.register_layer(Block)


class Noisy(Layer):
    """A custom layer with its own generator (``.rng``), as a noise layer has."""

    def __init__(self):
        super().__init__()
        self.rng = np.random.default_rng(123)

    def forward(self, x, *, training=False):
        self._noise = self.rng.standard_normal(x.shape).astype(x.dtype) * 0.1 if training else 0
        return x + self._noise

    def backward(self, dout):
        return dout


def toy(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)).astype(np.float32)
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def block_network():
    return gn.Network([Dense(2, 6, seed=0), Block(), Dense(2, seed=1)])


def test_a_layer_holding_a_layer_exposes_its_parameters_by_dotted_names():
    net = block_network()
    assert [n for n, _, _ in net.named_parameters()] == ["0.W", "0.b", "1.inner.W",
                                                        "1.inner.b", "2.W", "2.b"]
    assert net.n_parameters == 18 + 28 + 10
    assert "1.inner.W" in net.decay_names and "1.inner.b" not in net.decay_names


def test_the_inner_layer_trains():
    X, y = toy()
    net = block_network()
    before = net.layers[1].inner.params["W"].copy()
    net.fit(X, y, epochs=2, verbose=0, seed=0)
    assert not np.array_equal(before, net.layers[1].inner.params["W"])


def test_the_inner_layer_is_saved_loaded_and_cast(tmp_path):
    X, y = toy()
    net = block_network()
    net.fit(X, y, epochs=2, verbose=0, seed=0)
    loaded = io.load(io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer))
    np.testing.assert_array_equal(loaded.layers[1].inner.params["W"],
                                  net.layers[1].inner.params["W"])
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert set(loaded.optimizer.state["m"]) == set(net.optimizer.state["m"])
    twin = net.astype(np.float64)
    assert twin.layers[1].inner.params["W"].dtype == np.float64


def test_freezing_a_container_freezes_the_layers_inside():
    X, y = toy()
    net = gn.Network([Dense(2, 4, seed=0), Residual(Sequential([Dense(8, seed=1), ReLU(),
                                                                 Dense(4, seed=2)])),
                      Dense(2, seed=3)])
    net.layers[1].trainable = False
    frozen = {k: v.copy() for k, v in net.parameters.items() if k.startswith("1.")}
    assert not any(n.startswith("1.") for n, _, _ in net.named_parameters())
    net.fit(X, y, epochs=2, verbose=0, seed=0)
    for name, value in frozen.items():
        np.testing.assert_array_equal(net.parameters[name], value)
    assert not np.array_equal(net.parameters["0.W"], net.parameters["0.W"] * 0)


@pytest.mark.parametrize("inner", ["dropout", "custom rng"])
def test_fit_seed_reseeds_every_generator_inside(inner):
    X, y = toy()

    def trained():
        layer = Dropout(0.3, seed=None) if inner == "dropout" else Noisy()
        net = gn.Network([Dense(2, 4, seed=0), Sequential([Dense(4, seed=1), layer]),
                          Dense(2, seed=2)])
        if inner == "custom rng":
            layer.rng = np.random.default_rng()  # fresh entropy: only fit's seed can fix it
        net.fit(X, y, epochs=2, verbose=0, seed=7)
        return net.get_weights()

    first, second = trained(), trained()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


def test_checkpoint_state_names_the_generators_inside():
    X, y = toy()
    net = gn.Network([Dense(2, 4, seed=0), Sequential([Dense(4, seed=1), Dropout(0.2)]),
                      Dense(2, seed=2)])
    net.fit(X, y, epochs=1, verbose=0, seed=0)
    data = net.training_state.to_json(net)
    assert list(data["layer_rngs"]) == ["1.1"]
    net.training_state.restore_json(data, net)


def test_residual_adds_its_input_and_checks_shapes_at_build():
    block = Dense(3, 3, seed=0)
    res = Residual(block)
    assert res.build((3,), np.float32) == (3,)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(res.forward(x), x + block.forward(x))
    with pytest.raises(ShapeError, match="as many outputs as it takes in"):
        gn.Network([Dense(2, 4), Residual(Dense(5)), Dense(2)])


def test_containers_check_their_gradients_in_float64():
    rng = np.random.default_rng(0)
    layer = Residual(Sequential([Dense(3, 5, seed=0, dtype=np.float64), Tanh(),
                                 Dense(3, seed=1, dtype=np.float64)]))
    layer.build((3,), np.float64)
    result = gradcheck(layer, rng.standard_normal((4, 3)))
    assert result.max_rel_error < 1e-6, str(result)


def test_a_layer_used_twice_anywhere_is_refused():
    shared = Dense(4, 4)
    with pytest.raises(ValueError, match="appears twice"):
        gn.Network([Dense(2, 4), Sequential([shared]), Residual(shared), Dense(2)])


def test_summary_lists_the_layers_inside():
    text = str(gn.Network([Dense(2, 4), Residual(Sequential([Dense(4), ReLU()])),
                           Dense(2)]).summary())
    assert "1.block.0: Dense(n_in=4, n_out=4" in text and "Residual(...)" in text


def test_an_undeclared_custom_layer_is_not_assumed_to_keep_the_shape():
    class Halve(Layer):  # keeps the default output_shape, but halves the features
        def forward(self, x, *, training=False):
            return x[:, ::2]

        def backward(self, dout):
            raise NotImplementedError

    net = gn.Network([Halve(), Dense(3, 2)])
    assert not net.built  # before: built for (3,) inputs, wrong since Halve halves them
    net.build((6,))
    assert net.output_shape == (2,)


def test_the_notebook_table_counts_the_parameters_inside_a_container():
    net = gn.Network([Dense(2, 4), Residual(Sequential([Dense(4), ReLU()])), Dense(2)])
    assert ">20<" in net._repr_html_()  # the Residual row: 4 * 4 + 4


def test_sublayers_follow_assignments_lists_filled_later_and_tuples():
    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []            # filled after assignment
            self.pair = (ReLU(), Tanh())

    holder = Holder()
    holder.blocks.append(Dense(2, 2))
    holder.late = Dense(2, 3)          # an attribute set after construction
    holder.late = Dense(2, 4)          # and replaced: the current one counts
    names = [name for name, _ in holder.sublayers()]
    assert names == ["blocks.0", "pair.0", "pair.1", "late"]
    assert holder.sublayers()[-1][1].n_out == 4


def test_a_layer_that_holds_itself_is_refused_not_walked_forever():
    loop = Sequential([Dense(2, 2)])
    loop.layers.append(loop)
    with pytest.raises(ValueError, match="appears twice"):
        gn.Network([loop])


def test_a_layer_pickled_with_a_plain_trainable_attribute_keeps_it():
    layer = Dense(2, 2)
    state = dict(layer.__dict__)
    state.pop("_trainable", None)
    state["trainable"] = False  # how layers were pickled before freezing reached sub-layers
    old = Dense.__new__(Dense)
    old.__setstate__(state)
    assert old.trainable is False
