"""ONNX export of the picture layers: Conv, MaxPool, AveragePool, GlobalAveragePool with the
NHWC <-> NCHW transposes, checked against onnxruntime to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ExportError
from glassnet.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    ReLU,
    Reshape,
    Tanh,
)

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed "
                                          "(pip install 'glassnet[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                                                "(pip install 'glassnet[onnx]')")

from glassnet.export import PIXEL_SCALES, to_onnx  # noqa: E402

TOLERANCE = 1e-5
DTYPES = (np.float32, np.float64)


def run(model, X):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output]
    return dict(zip(names, sess.run(None, {"input": X}), strict=True))


def trained(layers, shape, dtype, n=96, seed=0):
    """A network on flat rows of ``shape`` pictures, trained two epochs (BatchNorm moves)."""
    net = gn.Network([Reshape(shape), *layers], input_shape=(int(np.prod(shape)),), dtype=dtype)
    X = np.random.default_rng(seed).standard_normal((n, int(np.prod(shape)))).astype(dtype)
    net.fit(X, np.arange(n) % 3, epochs=2, batch_size=32, verbose=0, seed=0)
    return net, X


def check_parity(net, X):
    model = to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    try:
        got = run(model, X)
    except ort.capi.onnxruntime_pybind11_state.NotImplemented as exc:
        # the graph is valid ONNX (checked above); onnxruntime's CPU provider has float32
        # kernels only for some of these operators
        assert net.dtype == np.float64, exc
        pytest.skip(f"onnxruntime has no float64 kernel here: {exc}")
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)
    np.testing.assert_array_equal(got["label"], net.predict(X))
    return model


CASES = {
    "conv_valid_max": lambda d: [Conv2D(4, 3, seed=0, dtype=d), ReLU(), MaxPool2D(2)],
    "conv_same_strided_dilated": lambda d: [
        Conv2D(3, (3, 2), stride=2, padding="same", dilation=2, seed=0, dtype=d), Tanh()],
    "conv_pad_int_nobias_avg": lambda d: [Conv2D(3, 2, padding=1, bias=False, seed=0, dtype=d),
                                          AvgPool2D((2, 3), stride=1)],
    "maxpool_overlapping": lambda d: [Conv2D(2, 1, seed=0, dtype=d), MaxPool2D(3, stride=2)],
    "conv_bn_relu_global": lambda d: [Conv2D(5, 3, padding="same", bias=False, seed=0, dtype=d),
                                      BatchNorm(), ReLU(), GlobalAvgPool2D()],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_picture_layers_match_onnxruntime(case, dtype):
    tail = [] if case == "conv_bn_relu_global" else [Flatten()]
    net, X = trained([*CASES[case](dtype), *tail, Dense(3, seed=1, dtype=dtype)], (9, 8, 2),
                     dtype)
    model = check_parity(net, X)
    ops = {node.op_type for node in model.graph.node}
    assert "Transpose" in ops and "Reshape" in ops


def test_lenet5_and_small_cnn_export_with_the_layout_transposes():
    for net in (gn.models.lenet5(seed=0), gn.models.small_cnn(channels=(4, 8), seed=0)):
        X = np.random.default_rng(0).random((64, 784)).astype(np.float32)
        net.fit(X, np.arange(64) % 10, epochs=1, batch_size=32, verbose=0, seed=0)
        model = check_parity(net, X)
        ops = [node.op_type for node in model.graph.node]
        assert ops.count("Conv") == 2
        assert ("AveragePool" if net.layers[3].__class__ is AvgPool2D else "MaxPool") in ops


def test_a_picture_layer_on_flat_input_is_refused_by_position():
    net = gn.Network([Reshape((4, 4, 1)), Conv2D(2, 3, seed=0), Flatten(), Dense(2, seed=0)],
                     input_shape=(16,))
    net.layers[1].input_shape = None  # as if the reshape had been forgotten
    net.layers = [net.layers[1], *net.layers[2:]]
    with pytest.raises(ExportError, match="layer 0 Conv2D.*pictures"):
        to_onnx(net)


@pytest.mark.data
@pytest.mark.slow
def test_fashion_mnist_cnn_test_set_matches_onnxruntime(shared_data):
    """A small CNN, one epoch on 5,000 training images, all 10,000 test images compared."""
    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found in {folder}")
    (X_train, y_train), (X_test, y_test) = gn.datasets.load_fashion_mnist(
        folder, download=False, scale="none", progress=False)
    net = gn.models.small_cnn(channels=(8, 16), hidden=64, seed=0)
    unit = PIXEL_SCALES["unit"]
    net.fit(X_train[:5000].astype(np.float32) / 255, y_train[:5000], epochs=1, batch_size=64,
            seed=0, verbose=0)
    X_raw = X_test.astype(np.float32)
    got = run(to_onnx(net, input_scale=unit), X_raw)
    X = X_raw * np.float32(unit[0])
    proba, labels = net.predict_proba(X), net.predict(X)
    difference = np.abs(got["probabilities"] - proba).max()
    assert difference <= TOLERANCE, difference
    np.testing.assert_array_equal(got["label"], labels)
    assert np.mean(labels == y_test) > 0.7
