"""describe(layer) and rebuild(description): the JSON of the architecture, both ways."""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import io
from glassnet.layers import (
    Dense,
    Layer,
    ReLU,
    Residual,
    Sequential,
    describe,
    rebuild,
    register_layer,
)


@register_layer
class Pool(Layer):
    """A config with a tuple, as a pooling or convolution layer has."""

    def __init__(self, size=(2, 2)):
        super().__init__()
        self.size = tuple(size)

    def forward(self, x, *, training=False):
        return x

    def backward(self, dout):
        return dout

    def get_config(self):
        return {"size": self.size}


@register_layer
class Anything(Layer):
    """A constructor taking ``*args, **kwargs``."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, x, *, training=False):
        return x

    def backward(self, dout):
        return dout

    def get_config(self):
        return dict(self.kwargs)


@register_layer
class Coercing(Layer):
    def __init__(self, flag=True):
        super().__init__()
        self.flag = bool(flag)

    def forward(self, x, *, training=False):
        return x

    def backward(self, dout):
        return dout

    def get_config(self):
        return {"flag": self.flag}


def test_a_container_is_described_with_its_layers_inside_and_rebuilt():
    layer = Residual(Sequential([Dense(3, 4, seed=0), ReLU(), Dense(3, seed=1)]))
    layer.block.layers[1].trainable = False
    description = describe(layer)
    assert json.loads(json.dumps(description)) == description
    inner = description["config"]["block"]["config"]["layers"]
    assert [d["class"] for d in inner] == ["Dense", "ReLU", "Dense"]
    again = rebuild(description)
    assert describe(again) == description
    assert again.block.layers[1].trainable is False


@pytest.mark.parametrize("layer", [Pool((3, 3)), Anything(k=2, name="x")],
                         ids=["tuple config", "**kwargs constructor"])
def test_configs_that_files_once_refused_round_trip(layer, tmp_path):
    net = gn.Network([Dense(2, 4, seed=0), layer, Dense(2, seed=1)])
    X = np.ones((4, 2), np.float32)
    loaded = io.load(io.save(net, tmp_path / "m.safetensors"))
    assert describe(loaded.layers[1]) == describe(layer)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_describe_refuses_what_rebuild_could_not_read():
    class Unregistered(Layer):
        """A layer nobody registered, so no file could name its class."""

    with pytest.raises(TypeError, match="register_layer"):
        describe(Unregistered())
    with pytest.raises(TypeError, match=r"Pool.get_config\(\)\['size'\]\[0\]"):
        describe(Pool((np.float64("nan"), 2)))  # NaN is not JSON


def test_rebuild_names_what_is_wrong():
    with pytest.raises(ValueError, match="unknown class 'Nope'"):
        rebuild({"class": "Nope", "config": {}})
    with pytest.raises(ValueError, match="unknown settings"):
        rebuild({"class": "Dense", "config": {"n_out": 2, "colour": "red"}})
    with pytest.raises(ValueError, match="flag='no' is not valid"):
        rebuild({"class": "Coercing", "config": {"flag": "no"}})
    with pytest.raises(ValueError, match=r"layer.layers.0 has unknown class"):
        rebuild({"class": "Sequential", "config": {"layers": [{"class": "X", "config": {}}]}})


def test_rebuild_gives_the_network_dtype():
    layer = rebuild({"class": "Dense", "config": {"n_in": 2, "n_out": 3}}, dtype=np.float64)
    assert layer.params["W"].dtype == np.float64


class Scaled(gn.losses.Loss):
    """A loss whose attribute is not named like its argument."""

    name = "scaled_mse_for_tests"

    def __init__(self, factor=1.0):
        self._k = float(factor)

    def loss(self, y_true, y_pred):
        return self._k * float(np.mean((y_pred - y_true) ** 2))

    def grad(self, y_true, y_pred):
        return self._k * 2 * (y_pred - y_true) / y_pred.size

    def get_config(self):
        return {"factor": self._k}


def test_a_loss_whose_attributes_differ_from_its_arguments_round_trips(tmp_path):
    gn.losses.register_loss(Scaled)
    net = gn.Network([Dense(2, 1, seed=0)], loss=Scaled(3.0), task="regression")
    loaded = io.load(io.save(net, tmp_path / "m.safetensors"))
    assert loaded.loss.get_config() == {"factor": 3.0}


def test_the_default_loss_config_fails_loudly_when_it_cannot_know():
    class Hidden(gn.losses.Loss):
        def __init__(self, factor=1.0):
            self._k = factor

    with pytest.raises(TypeError, match="define get_config"):
        Hidden().get_config()
    assert gn.losses.BinaryCrossEntropy(eps=1e-4).get_config() == {"from_logits": True,
                                                                  "eps": 1e-4}
