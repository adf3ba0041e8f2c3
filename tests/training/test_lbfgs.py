"""glassnet.training.lbfgs: full-batch L-BFGS over any network's parameters."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy", reason="SciPy is not installed (the 'lbfgs' extra)")

from glassnet import mlp  # noqa: E402
from glassnet.layers import Dense, Dropout, Tanh  # noqa: E402
from glassnet.network import Network  # noqa: E402
from glassnet.training.lbfgs import FlatObjective, fit_lbfgs  # noqa: E402


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("weighted", [False, True])
def test_objective_gradient_matches_central_differences(weighted):
    X, y = small_problem()
    net = mlp([3, 5, 2], activation="tanh", seed=1, dtype="float64")
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    f = FlatObjective(net, X, y, sample_weight=w, alpha=0.3)
    theta = f.pack()
    value, grad = f(theta)
    h = 1e-6
    numeric = np.array([(f(theta + h * e)[0] - f(theta - h * e)[0]) / (2 * h)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    # J = weighted mean loss + 0.5 alpha ||W||^2 / sum(w), biases not penalised
    f.unpack(theta)
    out = net.forward(X)
    per = net.loss.per_sample_loss(y, out)
    weights = np.ones(len(y)) if w is None else w
    W2 = sum(float((p ** 2).sum()) for name, p, _ in net.named_parameters() if name.endswith("W"))
    assert value == pytest.approx(np.dot(weights, per) / weights.sum()
                                  + 0.5 * 0.3 * W2 / weights.sum(), rel=1e-12)


def test_fit_lbfgs_learns_xor_and_leaves_the_optimum_in_the_network():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    net = mlp([2, 8, 2], activation="tanh", seed=0, dtype="float64")
    result = fit_lbfgs(net, X, np.array([0, 1, 1, 0]), max_iter=200)
    assert result.success and net.predict(X).tolist() == [0, 1, 1, 0]
    f = FlatObjective(net, X, np.array([0, 1, 1, 0]))
    np.testing.assert_array_equal(f.pack(), result.x)
    assert f(result.x)[0] == pytest.approx(result.fun)


def test_fit_lbfgs_builds_an_unbuilt_network_and_warns_when_stopped_early():
    X, y = small_problem()
    net = Network([Dense(4), Tanh(), Dense(2)], dtype="float64")
    with pytest.warns(RuntimeWarning, match="L-BFGS stopped before converging after 2 iter"):
        result = fit_lbfgs(net, X, y, max_iter=2)
    assert net.built and result.nit == 2


def test_refusals():
    X, y = small_problem()
    net = Network([Dense(3, 4), Tanh(), Dropout(0.5), Dense(2)])
    with pytest.raises(ValueError, match="L-BFGS needs the same loss at every evaluation"):
        fit_lbfgs(net, X, y)
    net = mlp([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match="names must list every trainable parameter once"):
        fit_lbfgs(net, X, y, names=["0.W"])
    with pytest.raises(ValueError, match="sample_weight must hold 30 non-negative numbers"):
        fit_lbfgs(net, X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="max_fun must be a positive integer"):
        fit_lbfgs(net, X, y, max_fun=0)
    with pytest.raises(ValueError, match="X holds NaN or infinity"):
        fit_lbfgs(net, np.full((30, 3), np.nan), y)


def test_verbose_prints_each_iteration(capsys):
    X, y = small_problem()
    fit_lbfgs(mlp([3, 4, 2], seed=0, dtype="float64"), X, y, max_iter=3, verbose=True,
              warn=False)
    assert capsys.readouterr().out.startswith("L-BFGS iteration 1, loss = ")
