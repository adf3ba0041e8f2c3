"""BatchNorm: training and inference modes, running statistics, and a real data set."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import BatchNorm


def test_training_normalises_each_feature_and_updates_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (256, 4)).astype(np.float32)
    bn = BatchNorm(momentum=0.5)
    bn.build((4,), np.float32)
    out = bn.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(bn.state["running_mean"], 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.state["running_var"], 0.5 + 0.5 * x.var(axis=0), rtol=1e-5)


def test_inference_uses_the_running_statistics_and_changes_nothing():
    bn = BatchNorm(eps=1e-3)
    bn.build((2,), np.float64)
    bn.state["running_mean"][...] = [1.0, -1.0]
    bn.state["running_var"][...] = [4.0, 0.25]
    bn.params["gamma"][...] = [2.0, 1.0]
    bn.params["beta"][...] = [0.5, 0.0]
    x = np.array([[3.0, 0.0]])
    expected = (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-3) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(bn.forward(x), expected)
    np.testing.assert_array_equal(bn.state["running_mean"], [1.0, -1.0])


def test_state_is_never_touched_by_the_optimizer():
    X, y = gn.datasets.make_moons(200, noise=0.1, seed=0)
    net = gn.Network([gn.Dense(2, 8, seed=0), BatchNorm(), gn.ReLU(), gn.Dense(2, seed=1)])
    names = [name for name, _, _ in net.named_parameters()]
    assert "1.gamma" in names and "1.running_mean" not in names
    assert [name for name, _ in net.named_state()] == ["1.running_mean", "1.running_var"]
    assert "1.gamma" not in net.decay_names
    net.fit(X, y, optimizer=gn.Adam(0.01, weight_decay=1e-3), epochs=10, seed=0, verbose=0)
    assert net.evaluate(X, y)["accuracy"] > 0.85


@pytest.mark.data
@pytest.mark.slow
def test_batchnorm_trains_fashion_mnist_and_round_trips(shared_data, tmp_path):
    """784-256-BN-ReLU-128-BN-ReLU-10 on Fashion-MNIST; the file predicts bit for bit."""
    from conftest import require_file

    folder = shared_data / "fashion-mnist"
    require_file(folder / "train-images-idx3-ubyte.gz")
    (X, y), (X_test, y_test) = gn.datasets.load_fashion_mnist(path=folder, download=False,
                                                                progress=False)
    X, y = X[:20000], y[:20000]
    net = gn.Network([gn.Dense(784, 256, seed=0), BatchNorm(), gn.ReLU(),
                      gn.Dense(128, seed=1), BatchNorm(), gn.ReLU(), gn.Dense(10, seed=2)])
    net.fit(X, y, optimizer=gn.Adam(1e-3), epochs=2, batch_size=128, seed=0, verbose=0)
    accuracy = net.evaluate(X_test, y_test)["accuracy"]
    assert accuracy > 0.84, accuracy
    loaded = gn.io.load(gn.io.save(net, tmp_path / "bn.safetensors"))
    np.testing.assert_array_equal(loaded.predict_proba(X_test), net.predict_proba(X_test))
