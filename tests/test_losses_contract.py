"""The contract every loss keeps inside a network: it trains, keeps the dtype, survives
copies and pickles, and its settings round-trip through its config and a model file."""

import copy
import pickle

import numpy as np
import pytest

import glassnet as gn
from glassnet.losses import (
    LOSSES,
    BinaryCrossEntropy,
    MeanSquaredError,
    PoissonDeviance,
    SoftmaxCrossEntropy,
    SumSquaredError,
)

X, LABELS = gn.datasets.make_moons(300, noise=0.15, seed=0)


def case(name):
    """(network, targets) for each loss, with the last layer it needs."""
    layers = [gn.Dense(2, 16, seed=0), gn.Tanh()]
    return {
        "sse": (layers + [gn.Dense(2, seed=1), gn.Sigmoid()], SumSquaredError(), LABELS),
        "sse_blog": (layers + [gn.Dense(2, seed=1), gn.Sigmoid()], SumSquaredError(half=False),
                     LABELS),
        "mse": (layers + [gn.Dense(1, seed=1)], MeanSquaredError(), X[:, :1] * X[:, 1:]),
        "bce_logits": (layers + [gn.Dense(1, seed=1)], BinaryCrossEntropy(), LABELS),
        "bce_probabilities": (layers + [gn.Dense(1, seed=1), gn.Sigmoid()],
                              BinaryCrossEntropy(from_logits=False), LABELS),
        "softmax_ce": (layers + [gn.Dense(2, seed=1)], SoftmaxCrossEntropy(), LABELS),
        "poisson": (layers + [gn.Dense(1, seed=1)], PoissonDeviance(), COUNTS),
    }[name]


#: counts whose mean grows with the first feature, for the Poisson deviance
COUNTS = np.random.default_rng(0).poisson(np.exp(1.5 * X[:, :1])).astype(np.float64)
NAMES = ["sse", "sse_blog", "mse", "bce_logits", "bce_probabilities", "softmax_ce", "poisson"]


def test_every_built_in_loss_is_in_the_contract():
    built_in = {cls for cls in LOSSES.values() if cls.__module__ == "glassnet.losses"}
    assert {type(case(n)[1]) for n in NAMES} == built_in


def build(name):
    layers, loss, y = case(name)
    return gn.Network(layers, loss=loss), y


@pytest.mark.parametrize("name", NAMES)
def test_trains_inside_a_network_and_keeps_float32(name):
    net, y = build(name)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, optimizer=gn.Adam(0.02), epochs=20, batch_size=32, seed=0, verbose=0)
    assert net.evaluate(X, y)["loss"] < 0.6 * before
    out = net.forward(X.astype(np.float32)[:5], training=True)
    _, grad = net.loss.loss_and_grad(net.loss.prepare_targets(np.asarray(y)[:5], net.n_out,
                                                              net.dtype), out)
    assert grad.dtype == np.float32


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda n: pickle.loads(pickle.dumps(n))])
@pytest.mark.parametrize("name", NAMES)
def test_copies_train(name, copier):
    net, y = build(name)
    twin = copier(net)
    before = twin.evaluate(X, y)["loss"]
    twin.fit(X, y, optimizer=gn.Adam(0.02), epochs=10, batch_size=32, seed=0, verbose=0)
    assert twin.evaluate(X, y)["loss"] < 0.8 * before


@pytest.mark.parametrize("name", NAMES)
def test_config_and_file_round_trips(name, tmp_path):
    net, y = build(name)
    net.fit(X, y, epochs=2, seed=0, verbose=0)
    rebuilt = type(net.loss)(**vars(net.loss))
    assert vars(rebuilt) == vars(net.loss)
    loaded = gn.io.load(gn.io.save(net, tmp_path / "m.safetensors"))
    assert type(loaded.loss) is type(net.loss) and vars(loaded.loss) == vars(net.loss)
    assert loaded.task == net.task
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


# -- the public contract, glassnet.testing.check_loss, on every built-in loss -------------
@pytest.mark.parametrize("name", NAMES)
def test_every_built_in_loss_passes_check_loss(name):
    from glassnet.testing import check_loss

    _, loss, _ = case(name)
    kwargs = {"n_out": 1, "y": np.arange(64) % 2} if isinstance(loss, BinaryCrossEntropy) else {}
    report = check_loss(loss, **kwargs)
    assert "float64 gradient matches finite differences" in report.passed
    assert "a model file round trip keeps the loss" in report.passed


def test_a_poisson_network_loads_in_a_process_that_never_imported_the_estimators(tmp_path):
    import subprocess
    import sys

    net = gn.Network([gn.Dense(2, 4, seed=0), gn.ReLU(), gn.Dense(4, 1, seed=1)],
                     loss="poisson")
    net.fit(X, COUNTS, optimizer=gn.Adam(0.01), epochs=2, verbose=0, seed=0)
    path = gn.io.save(net, tmp_path / "counts.safetensors")
    code = ("import sys; from glassnet import io; net = io.load(sys.argv[1]); "
            "print(type(net.loss).__name__, 'glassnet.sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["PoissonDeviance", "False"]
