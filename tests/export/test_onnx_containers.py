"""ONNX export of layers made of layers, and the residual MLP end to end."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import BatchNorm, Dense, Dropout, ReLU, Residual, Sequential, Tanh

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed "
                                          "(pip install 'glassnet[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                                                "(pip install 'glassnet[onnx]')")

from glassnet.export import to_onnx  # noqa: E402


def run(model, X):
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output]
    return dict(zip(names, sess.run(None, {"input": X}), strict=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_and_residual_match_glassnet(dtype):
    net = gn.Network([Dense(8, seed=0),
                      Residual(Sequential([Dense(8, seed=1), Tanh(), Dropout(0.2),
                                           Dense(8, seed=2)])),
                      Sequential([BatchNorm(), ReLU(), Residual(Dense(8, seed=3))]),
                      Dense(4, seed=4)], dtype=dtype, input_shape=(3,))
    X = np.random.default_rng(0).normal(size=(32, 3)).astype(dtype)
    net.fit(X, np.arange(32) % 4, epochs=2, batch_size=8, seed=0, verbose=0)
    model = to_onnx(net, outputs=("label", "probabilities", "output"))
    assert sum(n.op_type == "Add" for n in model.graph.node) == 2  # the two skips
    assert {i.name for i in model.graph.initializer} >= {"param/1.block.0.W",
                                                        "param/2.2.block.b"}
    got = run(model, X)
    np.testing.assert_allclose(got["output"], net.forward(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["label"], net.predict(X))


def test_a_layer_without_export_inside_a_container_is_named_by_its_path():
    class Custom(gn.layers.Layer):
        def forward(self, x, *, training=False):
            return x

        def backward(self, dout):
            return dout

    net = gn.Network([Dense(2, 2), Residual(Sequential([Dense(2), Custom()])), Dense(2)])
    with pytest.raises(gn.errors.ExportError, match=r"layer 1\.block\.1 .*no ONNX export"):
        to_onnx(net)


@pytest.mark.slow
def test_a_residual_mlp_on_moons_trains_round_trips_and_exports(tmp_path):
    """Residual(Sequential([...])) on moons: over 95% test accuracy, a bit-identical file
    round trip (weights, predictions, optimizer), and an ONNX model that agrees."""
    X, y = gn.datasets.make_moons(1000, noise=0.2, seed=0)
    X_test, y_test = gn.datasets.make_moons(500, noise=0.2, seed=1)
    net = gn.Network([Dense(2, 32, seed=0), ReLU(),
                      Residual(Sequential([Dense(32, seed=1), ReLU(), Dense(32, seed=2)])),
                      ReLU(), Dense(2, seed=3)])
    net.fit(X, y, optimizer=gn.Adam(0.01), epochs=30, batch_size=32, seed=0, verbose=0)
    accuracy = float(np.mean(net.predict(X_test) == y_test))
    assert accuracy > 0.95, accuracy
    path = gn.io.save(net, tmp_path / "residual.safetensors", optimizer=net.optimizer)
    loaded = gn.io.load(path)
    for name, value in net.get_weights().items():
        assert loaded.get_weights()[name].tobytes() == value.tobytes(), name
    np.testing.assert_array_equal(loaded.predict_proba(X_test), net.predict_proba(X_test))
    assert gn.layers.describe(loaded.layers[2]) == gn.layers.describe(net.layers[2])
    got = run(to_onnx(loaded), X_test.astype(np.float32))
    np.testing.assert_array_equal(got["label"], net.predict(X_test))
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X_test), rtol=1e-5,
                               atol=1e-6)
