"""ONNX export: the checker's full check, and onnxruntime's outputs against glassnet's."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet import Dense, LeakyReLU, Network, ReLU, Sigmoid, Softmax
from glassnet.errors import ExportError
from glassnet.layers import Layer
from glassnet.losses import Loss

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed "
                                          "(pip install 'glassnet[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                                                "(pip install 'glassnet[onnx]')")

from glassnet.export import DEFAULT_OPSET, IR_VERSIONS, PIXEL_SCALES, to_onnx  # noqa: E402

TOLERANCE = 1e-5
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax")
DTYPES = (np.float32, np.float64)


def session(model):
    """An onnxruntime session on one thread (the test machine is shared)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run(model, X):
    """Every graph output by name."""
    names = [o.name for o in model.graph.output]
    return dict(zip(names, session(model).run(None, {"input": X}), strict=True))


def inputs(n_features, dtype, n=64, seed=0):
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, n_features)).astype(dtype)


def test_default_model_has_the_fixed_opset_ir_version_and_a_dynamic_batch():
    model = to_onnx(glassnet.mlp([4, 5, 3], seed=0))
    assert [(o.domain, o.version) for o in model.opset_import] == [("", DEFAULT_OPSET)]
    assert model.ir_version == IR_VERSIONS[DEFAULT_OPSET] == 8
    assert model.producer_name == "glassnet"
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 4
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    # tensor outputs only: no ZipMap, no sequence or map types, no other domain
    assert {n.op_type for n in model.graph.node}.isdisjoint({"ZipMap"})
    assert all(o.type.HasField("tensor_type") for o in model.graph.output)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_matches_glassnet(activation, dtype):
    net = glassnet.mlp([6, 9, 7, 4], activation=activation, dropout=0.25, seed=1, dtype=dtype)
    model = to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    X = inputs(6, dtype)
    got = run(model, X)
    assert got["probabilities"].dtype == dtype
    assert got["label"].dtype == np.int64 and got["label"].shape == (64,)
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), rtol=0,
                               atol=TOLERANCE)
    np.testing.assert_array_equal(got["label"], net.predict(X))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_leaky_relu_keeps_its_slope(dtype):
    net = Network([Dense(3, 5, seed=0, dtype=dtype), LeakyReLU(0.3), Dense(5, 2, seed=1,
                                                                           dtype=dtype)])
    X = inputs(3, dtype)
    got = run(to_onnx(net, outputs=("output",)), X)["output"]
    tolerance = 1e-6 if dtype == np.float32 else 1e-12  # float64 keeps the exact alpha
    np.testing.assert_allclose(got, net.forward(X), rtol=0, atol=tolerance)


@pytest.mark.parametrize("batch", [1, 2, 257])
def test_any_batch_size_runs(batch):
    net = glassnet.mlp([3, 4, 2], seed=0)
    X = inputs(3, np.float32, n=batch)
    got = run(to_onnx(net), X)
    assert got["probabilities"].shape == (batch, 2) and got["label"].shape == (batch,)
    np.testing.assert_array_equal(got["label"], net.predict(X))


@pytest.mark.parametrize("opset", sorted(IR_VERSIONS))
def test_each_supported_opset_is_stamped_exactly_and_runs(opset):
    net = glassnet.mlp([3, 4, 2], activation="leaky_relu", seed=0)
    model = to_onnx(net, opset=opset)
    assert model.opset_import[0].version == opset
    assert model.ir_version == IR_VERSIONS[opset]
    onnx.checker.check_model(model, full_check=True)
    X = inputs(3, np.float32)
    np.testing.assert_allclose(run(model, X)["probabilities"], net.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("opset", [12, 22, 17.0, True, "17"])
def test_unsupported_opsets_are_refused(opset):
    with pytest.raises(ExportError, match="opset must be one of 13..21"):
        to_onnx(glassnet.mlp([3, 2], seed=0), opset=opset)


# -- heads ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_binary_cross_entropy_with_one_output_gives_0_1_labels(dtype):
    net = glassnet.mlp([4, 6, 1], loss="binary_cross_entropy", seed=2, dtype=dtype)
    X = inputs(4, dtype, n=200)
    got = run(to_onnx(net), X)
    assert got["label"].shape == (200,) and set(np.unique(got["label"])) == {0, 1}
    np.testing.assert_array_equal(got["label"], net.predict(X))
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)


def test_binary_cross_entropy_with_k_outputs_gives_one_label_per_output():
    net = glassnet.mlp([4, 6, 3], loss="binary_cross_entropy", seed=3)
    X = inputs(4, np.float32, n=200)
    got = run(to_onnx(net), X)
    proba = net.predict_proba(X)
    if hasattr(net.loss, "labels"):  # the network's own multi-label decoding
        expected = np.asarray(net.loss.labels(net.forward(X)))
    else:  # the multi-label rule: each output's probability above one half
        expected = (proba > 0.5).astype(np.int64)
    assert got["label"].shape == (200, 3) and got["label"].dtype == np.int64
    np.testing.assert_array_equal(got["label"], expected)
    np.testing.assert_allclose(got["probabilities"], proba, atol=TOLERANCE)


def test_binary_cross_entropy_on_probabilities_thresholds_at_one_half():
    net = Network([Dense(4, 1, seed=0), Sigmoid()],
                  loss=glassnet.BinaryCrossEntropy(from_logits=False))
    X = inputs(4, np.float32, n=300)
    got = run(to_onnx(net), X)
    np.testing.assert_array_equal(got["label"], net.predict(X))
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)


@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_squared_error_classifier_labels_by_argmax(loss):
    net = glassnet.mlp([5, 8, 4], loss=loss, output_activation="sigmoid", task="classification",
                       seed=4)
    X = inputs(5, np.float32, n=300)
    got = run(to_onnx(net), X)
    np.testing.assert_array_equal(got["label"], net.predict(X))
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)


def test_squared_error_classifier_with_one_output_thresholds_at_one_half():
    net = Network([Dense(3, 1, seed=5), Sigmoid()], loss="sse", task="classification")
    X = inputs(3, np.float32, n=300)
    got = run(to_onnx(net), X)
    assert set(np.unique(got["label"])) == {0, 1}
    np.testing.assert_array_equal(got["label"], net.predict(X))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_regression_gives_the_output_alone(loss, dtype):
    net = glassnet.mlp([3, 7, 2], activation="tanh", loss=loss, seed=6, dtype=dtype)
    assert net.task is None  # a squared loss not fitted yet: exported as a regressor
    model = to_onnx(net)
    assert [o.name for o in model.graph.output] == ["output"]
    X = inputs(3, dtype)
    np.testing.assert_allclose(run(model, X)["output"], net.predict(X), rtol=0, atol=TOLERANCE)


def test_regression_refuses_labels_and_probabilities():
    net = glassnet.mlp([3, 2], loss="mse", seed=0)
    with pytest.raises(ExportError, match=r"task='regression'.*outputs=\('output',\)"):
        to_onnx(net, outputs=("label",))


def test_outputs_are_given_in_the_order_asked():
    net = glassnet.mlp([3, 4, 2], seed=0)
    model = to_onnx(net, outputs=("output", "label"))
    assert [o.name for o in model.graph.output] == ["output", "label"]
    X = inputs(3, np.float32)
    got = run(model, X)
    np.testing.assert_allclose(got["output"], net.forward(X), atol=TOLERANCE)


@pytest.mark.parametrize("outputs", [(), ("labels",), ("label", "label"), ("proba",)])
def test_unknown_or_repeated_outputs_are_refused(outputs):
    with pytest.raises(ExportError, match="outputs must be distinct names among"):
        to_onnx(glassnet.mlp([3, 2], seed=0), outputs=outputs)


def test_the_book_network_exports_through_its_engine_network():
    book = glassnet.neuralNetwork(5, 4, 3, 0.3)
    X = inputs(5, np.float64, n=20)
    model = to_onnx(book, outputs=None if book.network.task == "regression" else ("output",))
    got = run(model, X)["output"]  # the book reads its outputs as they are
    expected = np.stack([book.query(row)[:, 0] for row in X])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)


# -- input scaling -------------------------------------------------------------
@pytest.mark.parametrize("scale", ["unit", "book"])
def test_pixel_scaling_inside_the_graph(scale):
    from glassnet.datasets._pixels import scale_pixels

    net = glassnet.mlp([16, 8, 3], seed=7)
    pixels = np.random.default_rng(0).integers(0, 256, size=(100, 16), dtype=np.uint8)
    model = to_onnx(net, input_scale=PIXEL_SCALES[scale])
    got = run(model, pixels.astype(np.float32))
    X = scale_pixels(pixels, scale, np.float32)
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)
    np.testing.assert_array_equal(got["label"], net.predict(X))


def test_per_feature_scaling_standardises_inside_the_graph():
    net = glassnet.mlp([3, 5, 2], seed=8, dtype=np.float64)
    mean, std = np.array([1.0, -2.0, 10.0]), np.array([0.5, 2.0, 4.0])
    raw = inputs(3, np.float64) * std + mean
    got = run(to_onnx(net, input_scale=(1 / std, -mean / std)), raw)
    np.testing.assert_allclose(got["probabilities"], net.predict_proba((raw - mean) / std),
                               atol=1e-12)


@pytest.mark.parametrize("input_scale, message", [
    ((1.0,), "must be a pair"),
    (2.0, "must be a pair"),
    ((np.ones(4), 0.0), r"shape \(3,\)"),
    ((np.nan, 0.0), "must be finite"),
    ((1.0, "zero"), "must be a number"),
])
def test_bad_input_scaling_is_refused(input_scale, message):
    with pytest.raises(ExportError, match=message):
        to_onnx(glassnet.mlp([3, 2], seed=0), input_scale=input_scale)


# -- what cannot be exported ---------------------------------------------------
class Square(Layer):
    """A layer glassnet's exporter does not know."""

    def forward(self, x, *, training=False):
        return x * x

    def backward(self, dout):
        return dout


def test_an_unknown_layer_is_refused_by_name_and_position():
    net = Network([Dense(3, 4, seed=0), Square(), Dense(4, 2, seed=1)])
    with pytest.raises(ExportError, match=r"layer 1 Square\(\) has no ONNX export; "
                                          r"exportable layers are Dense, .*Dropout"):
        to_onnx(net)


def test_a_subclass_of_a_known_layer_is_refused_not_guessed():
    class Relu6(ReLU):
        def forward(self, x, *, training=False):
            return np.minimum(super().forward(x, training=training), 6)

    net = Network([Dense(3, 4, seed=0), Relu6(), Dense(4, 2, seed=1)])
    with pytest.raises(ExportError, match="layer 1 Relu6"):
        to_onnx(net)


def test_an_unknown_loss_is_refused_by_name():
    class Hinge(Loss):
        is_classification = True

        def __repr__(self):
            return "Hinge()"

    net = Network([Dense(3, 2, seed=0)], loss=Hinge())
    with pytest.raises(ExportError, match=r"the loss Hinge\(\) has no ONNX head"):
        to_onnx(net)


def test_a_non_network_is_refused():
    with pytest.raises(TypeError, match="exports a glassnet Network, got list"):
        to_onnx([Dense(2, 2)])


# -- writing -------------------------------------------------------------------
def test_writes_the_file_it_returns(tmp_path):
    net = glassnet.mlp([3, 4, 2], activation="tanh", seed=0)
    path = tmp_path / "net.onnx"
    model = to_onnx(net, path, metadata={"class_names": '["a", "b"]'})
    loaded = onnx.load(str(path))
    assert loaded.SerializeToString() == model.SerializeToString()
    props = {p.key: p.value for p in loaded.metadata_props}
    assert props["class_names"] == '["a", "b"]' and props["task"] == "classification"
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]  # no temporary file left


def test_a_missing_folder_fails_before_anything_is_written(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        to_onnx(glassnet.mlp([3, 2], seed=0), tmp_path / "absent" / "net.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_an_existing_file_untouched(tmp_path):
    path = tmp_path / "net.onnx"
    path.write_bytes(b"previous")
    with pytest.raises(ExportError):
        to_onnx(Network([Dense(3, 4, seed=0), Square(), Dense(4, 2, seed=1)]), path)
    assert path.read_bytes() == b"previous"


# -- layers from the engine work (BatchNorm, Flatten) ----------------------------
def test_batch_norm_exports_in_inference_mode():
    if not hasattr(glassnet.layers, "BatchNorm"):
        pytest.skip("glassnet.layers.BatchNorm does not exist yet; its export is written "
                    "and this test runs once the layer lands")
    BatchNorm = glassnet.layers.BatchNorm
    for dtype in DTYPES:
        net = Network([Dense(5, 8, seed=0, dtype=dtype), BatchNorm(), ReLU(),
                       Dense(8, 3, seed=1, dtype=dtype)])
        X = inputs(5, dtype, n=128)
        net.fit(X, np.arange(128) % 3, epochs=2, batch_size=32, verbose=0, seed=0)
        bn = net.layers[1]
        assert not np.allclose(bn.state["running_mean"], 0)  # the statistics moved
        model = to_onnx(net)
        onnx.checker.check_model(model, full_check=True)
        got = run(model, X)
        np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)
        np.testing.assert_array_equal(got["label"], net.predict(X))


def test_flatten_exports():
    if not hasattr(glassnet.layers, "Flatten"):
        pytest.skip("glassnet.layers.Flatten does not exist yet; its export is written "
                    "and this test runs once the layer lands")
    Flatten = glassnet.layers.Flatten
    net = Network([Flatten(), Dense(12, 3, seed=0), Softmax()], loss="sse",
                  task="classification")
    X = inputs(12, np.float32).reshape(64, 3, 4)
    if getattr(net, "input_shape", None) is None and hasattr(net, "build"):
        net.build((3, 4))
    got = run(to_onnx(net), X)
    np.testing.assert_allclose(got["probabilities"], net.predict_proba(X), atol=TOLERANCE)



def test_batch_norm_without_its_statistics_is_refused():
    bn = glassnet.layers.BatchNorm()
    net = Network([Dense(3, 4, seed=0), bn, Dense(4, 2, seed=1)])
    del bn.state["running_var"]
    with pytest.raises(ExportError, match=r"layer 1 BatchNorm\(.*\) lacks \['running_var'\]"):
        to_onnx(net)


def test_dense_on_unflattened_input_is_refused():
    if isinstance(getattr(Network, "input_shape", None), property):
        pytest.skip("Network records its input shape itself now; a network with a Dense on "
                    "(3, 4) inputs cannot be built to test this")
    net = Network([Dense(12, 3, seed=0)])
    net.input_shape = (3, 4)  # as build(input_shape) will record it
    with pytest.raises(ExportError, match="layer 0 Dense.*put a Flatten before it"):
        to_onnx(net)

# -- real data -----------------------------------------------------------------
@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_fashion_mnist_test_set_matches_onnxruntime(shared_data, dtype):
    """A small MLP, one epoch on 10,000 training images, all 10,000 test images compared."""
    from glassnet.datasets import load_fashion_mnist

    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found in {folder}")
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(
        folder, download=False, scale="none", progress=False)
    net = glassnet.mlp([784, 64, 32, 10], activation="relu", seed=0, dtype=dtype)
    unit = PIXEL_SCALES["unit"]
    net.fit(X_train[:10000].astype(dtype) / 255, y_train[:10000], epochs=1, batch_size=64,
            seed=0, verbose=0)
    # the graph scales raw pixels itself; glassnet is given the same x * (1/255)
    X_raw = X_test.astype(dtype)
    got = run(to_onnx(net, input_scale=unit), X_raw)
    X = X_raw * dtype(unit[0])
    proba, labels = net.predict_proba(X), net.predict(X)
    difference = np.abs(got["probabilities"] - proba).max()
    assert difference <= TOLERANCE, difference
    np.testing.assert_array_equal(got["label"], labels)
    assert np.mean(labels == y_test) > 0.7  # it learned something: the comparison means something
