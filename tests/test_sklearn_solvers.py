"""glassnet.sklearn as a drop-in: the same numbers as scikit-learn's MLP, and its behaviour."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (the 'sklearn' extra)")
scipy_sparse = pytest.importorskip("scipy.sparse", reason="SciPy is not installed")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import check_methods_subset_invariance  # noqa: E402

from glassnet.sklearn import MLPClassifier, MLPRegressor  # noqa: E402
from glassnet.training.callbacks import Callback  # noqa: E402


def quiet(estimator, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kw)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return X[:150] / 16.0, y[:150]


# -- the same numbers as scikit-learn ------------------------------------------------
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_same_weights_as_scikit_learn(digits, solver):
    """Same initial weights, shuffles and arithmetic: the fitted weights agree to rounding."""
    X, y = digits
    settings = dict(hidden_layer_sizes=(12,), solver=solver, random_state=0, max_iter=15)
    ours = quiet(MLPClassifier(**settings), X, y)
    theirs = quiet(neural_network.MLPClassifier(**settings), X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-9)
    for mine, ref in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                         strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_momentum_under_a_changing_learning_rate_as_scikit_learn(digits, schedule):
    """scikit-learn's velocity is in units of the step: a new rate scales only new gradients."""
    X, y = digits
    settings = dict(hidden_layer_sizes=(10,), solver="sgd", learning_rate=schedule,
                    learning_rate_init=0.2, momentum=0.9, tol=0.05, n_iter_no_change=1,
                    random_state=1, max_iter=10)
    ours = quiet(MLPClassifier(**settings), X, y)
    theirs = quiet(neural_network.MLPClassifier(**settings), X, y)
    assert ours._optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate)
    for mine, ref in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-7, atol=1e-10)


def test_constructor_takes_scikit_learns_parameters():
    for ours, theirs in ((MLPClassifier, neural_network.MLPClassifier),
                         (MLPRegressor, neural_network.MLPRegressor)):
        params = theirs(max_fun=77).get_params()
        assert ours(**params).get_params()["max_fun"] == 77
    assert MLPRegressor(loss="poisson").get_params()["loss"] == "poisson"


# -- the head decides the labels -------------------------------------------------------
def test_predict_uses_the_heads_labels_for_a_tiny_positive_logit():
    """In float32, sigmoid(z) rounds to 0.5 for 0 < z < 1.2e-7: a probability threshold
    would say class 0, the logit says class 1; predict follows the network's head."""
    X = np.array([[0.0, 1.0], [1.0, 0.0]] * 10, dtype=np.float32)
    y = np.array(["a", "b"] * 10)
    clf = quiet(MLPClassifier((3,), max_iter=2, random_state=0), X, y)
    assert clf.network_.dtype == np.float32
    clf.coefs_[-1] = np.zeros_like(clf.coefs_[-1])
    clf.intercepts_[-1] = np.array([5e-8], dtype=np.float32)   # every logit is 5e-8 > 0
    assert clf.predict_proba(X)[0, 1] == np.float32(0.5)      # rounds to one half
    assert clf.predict(X).tolist() == ["b"] * len(X)
    assert clf.network_.predict(X).tolist() == [1] * len(X)


# -- assignable weights ----------------------------------------------------------------
def test_coefs_item_assignment_writes_into_the_network(digits):
    X, y = digits
    clf = quiet(MLPClassifier((5,), max_iter=2, random_state=0), X, y)
    W = np.full_like(clf.coefs_[1], 0.25)
    clf.coefs_[1] = W
    np.testing.assert_array_equal(clf.network_.layers[2].params["W"], W)
    clf.intercepts_ = [np.zeros(5), np.ones(3)]
    np.testing.assert_array_equal(clf.network_.layers[2].params["b"], np.ones(3))
    with pytest.raises(ValueError, match=r"coefs_\[0\] has shape \(64, 5\), got an array of "
                                         r"shape \(3, 3\)"):
        clf.coefs_[0] = np.zeros((3, 3))
    with pytest.raises(ValueError, match="intercepts_ must hold 2 arrays"):
        clf.intercepts_ = [np.zeros(5)]
    with pytest.raises(TypeError, match="its length cannot change"):
        clf.coefs_.append(W)
    # copies and pickles are plain lists of copies, as scikit-learn's lists copy
    for duplicate in (copy.deepcopy(clf.coefs_), pickle.loads(pickle.dumps(clf.coefs_))):
        assert type(duplicate) is list and duplicate[1] is not clf.coefs_[1]
        np.testing.assert_array_equal(duplicate[1], W)
    assert copy.copy(clf.intercepts_)[1] is clf.intercepts_[1]  # a shallow copy shares


def test_weights_set_before_fitting_start_partial_fit():
    X = np.array([[0.6, 0.8, 0.7]])
    clf = MLPClassifier(hidden_layer_sizes=2, solver="sgd", activation="logistic",
                        learning_rate_init=0.1, momentum=0, alpha=0.0)
    clf.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])]
    clf.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    clf.partial_fit(X, [0], classes=[0, 1])
    # one SGD step from the given weights: the output bias moves by -lr * sigmoid(o)
    o = 1.0 + np.dot(1 / (1 + np.exp(-(X @ [[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]] + 0.1))),
                     [[0.1], [0.2]])
    np.testing.assert_allclose(clf.intercepts_[1], 1.0 - 0.1 / (1 + np.exp(-o[0])))


# -- scikit-learn's behaviour ----------------------------------------------------------
def test_single_class_fits_and_predicts_it():
    X = np.arange(20.0).reshape(10, 2)
    clf = MLPClassifier((3,), max_iter=5, random_state=0)
    quiet(clf, X, ["only"] * 10)
    assert clf.classes_.tolist() == ["only"] and clf.n_outputs_ == 1
    assert clf.predict(X).tolist() == ["only"] * 10
    assert clf.predict_proba(X).shape == (10, 2)


def test_schedules_are_ignored_by_adam(digits):
    X, y = digits
    a = quiet(MLPClassifier((6,), learning_rate="adaptive", max_iter=5, random_state=0), X, y)
    b = quiet(MLPClassifier((6,), max_iter=5, random_state=0), X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_n_iter_no_change_inf_runs_max_iter(digits):
    X, y = digits
    clf = quiet(MLPClassifier((4,), tol=1e9, n_iter_no_change=np.inf, max_iter=7,
                              random_state=0), X, y)
    assert clf.n_iter_ == 7 and clf._no_improvement_count == 6


def test_divergence_is_a_value_error_and_early_stopping_keeps_the_best():
    rng = np.random.default_rng(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        quiet(MLPRegressor(max_iter=3), X, rng.normal(size=10))
    X, y = make_regression(100, 4, random_state=0)
    reg = quiet(MLPRegressor(20, activation="identity", solver="sgd", learning_rate_init=1.0,
                             max_iter=8, early_stopping=True, random_state=0), X, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert all(np.isfinite(W).all() for W in reg.coefs_)


def test_ctrl_c_warns_and_keeps_the_model(digits):
    X, y = digits

    class Interrupt(Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt

    clf = MLPClassifier((6,), max_iter=50, random_state=0, callbacks=(Interrupt(),))
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and clf.predict(X).shape == (150,)


def test_partial_fit_is_hidden_for_lbfgs():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")


# -- sample weights, sparse input, Poisson, L-BFGS -------------------------------------
def test_integer_sample_weight_equals_repeating_rows(digits):
    X, y = digits
    w = np.arange(len(y)) % 3
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=0)
    weighted = quiet(MLPClassifier(**kw), X, y, sample_weight=w)
    repeated = quiet(MLPClassifier(**kw), np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.loss_, repeated.loss_, rtol=1e-8)
    np.testing.assert_allclose(weighted.coefs_[0], repeated.coefs_[0], rtol=1e-6, atol=1e-9)


def test_sample_weight_in_partial_fit_matches_scikit_learn(digits):
    X, y = digits
    w = 1.0 + (np.arange(len(y)) % 4)
    ours = MLPClassifier((8,), solver="sgd", random_state=0)
    theirs = neural_network.MLPClassifier((8,), solver="sgd", random_state=0)
    for est in (ours, theirs):
        for _ in range(3):
            est.partial_fit(X, y, sample_weight=w, classes=[0, 1, 2])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_csr_input_gives_the_dense_results(digits, solver):
    X, y = digits
    kw = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=10, random_state=0)
    dense = quiet(MLPClassifier(**kw), X, y)
    sparse = quiet(MLPClassifier(**kw), scipy_sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sparse.predict_proba(scipy_sparse.csr_array(X)),
                               dense.predict_proba(X), rtol=1e-9)


def test_poisson_regressor_predicts_positive_means():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(200, 2))
    y = rng.poisson(np.exp(1.0 + X[:, 0] - X[:, 1]))
    reg = MLPRegressor((4,), loss="poisson", solver="lbfgs", random_state=0, max_iter=300)
    reg.fit(X, y)
    assert reg.out_activation_ == "exp" and (reg.predict(X) > 0).all()
    # the mean prediction matches the mean count (the intercept's first-order condition)
    assert reg.predict(X).mean() == pytest.approx(y.mean(), rel=0.02)


def test_lbfgs_max_fun_limits_the_evaluations(digits):
    X, y = digits
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier((8,), solver="lbfgs", max_fun=5, random_state=0).fit(X, y)
    assert clf.n_iter_ <= 5 and np.isfinite(clf.loss_)


def test_loss_is_the_last_iterations_loss(digits):
    X, y = digits
    clf = quiet(MLPClassifier((6,), max_iter=4, random_state=0), X, y)
    assert clf.loss_ == clf.loss_curve_[-1]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_one_row_and_batch_predictions_agree():
    """max_iter=100 instances in float32: predictions do not depend on the batch."""
    check_methods_subset_invariance("MLPRegressor", MLPRegressor(max_iter=100, dtype="float32"))
    check_methods_subset_invariance("MLPClassifier",
                                    MLPClassifier(max_iter=100, dtype="float32"))


def test_pickled_lbfgs_model_predicts_the_same(digits):
    X, y = digits
    clf = quiet(MLPClassifier((6,), solver="lbfgs", max_iter=20, random_state=0), X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_lbfgs_without_scipy_names_the_extra():
    code = ("import sys; sys.modules['scipy'] = None\n"
            "import glassnet.training\n"  # the rest of the engine needs no SciPy
            "try:\n    import glassnet.training.lbfgs\n"
            "except ModuleNotFoundError as e:\n    print(e.name, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("scipy ") and "pip install 'glassnet[lbfgs]'" in out


# -- the Poisson head ------------------------------------------------------------------
def test_poisson_deviance_gradient_contract_and_scikit_learns_value(tmp_path):
    from sklearn.neural_network._base import poisson_loss

    from glassnet import io
    from glassnet.gradcheck import gradcheck_loss
    from glassnet.losses import PoissonDeviance

    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, 2))
    y = rng.poisson(2.0, size=(7, 2)).astype(float)
    loss = PoissonDeviance()
    assert gradcheck_loss(loss, y, z).max_rel_error < 1e-6
    # scikit-learn's value, with p = exp(z); the loss is the mean of the per-sample losses
    assert loss.loss(y, z) == pytest.approx(poisson_loss(y, np.exp(z)), rel=1e-12)
    assert loss.per_sample_loss(y, z).mean() == pytest.approx(loss.loss(y, z), rel=1e-12)
    z32 = z.astype(np.float32)
    assert loss.grad(y, z32).dtype == np.float32
    # a network trained with it saves and loads like any (the loss is registered)
    X = rng.uniform(size=(50, 2))
    reg = quiet(MLPRegressor((3,), loss="poisson", max_iter=5, random_state=0), X,
                rng.poisson(3.0, 50))
    io.save(reg.network_, tmp_path / "poisson.safetensors")
    again = io.load(tmp_path / "poisson.safetensors")
    np.testing.assert_array_equal(again.predict(X)[:, 0], reg.predict(X))


def test_a_poisson_network_is_refused_by_the_onnx_export(tmp_path):
    """Its prediction is exp(output): an export of the raw output would be silently wrong."""
    pytest.importorskip("onnx", reason="onnx is not installed (the 'onnx' extra)")
    from glassnet.errors import ExportError
    from glassnet.export import to_onnx

    rng = np.random.default_rng(0)
    reg = quiet(MLPRegressor((3,), loss="poisson", max_iter=2, random_state=0),
                rng.uniform(size=(30, 2)), rng.poisson(2.0, 30))
    with pytest.raises(ExportError, match="PoissonDeviance.*has no ONNX head"):
        to_onnx(reg.network_, tmp_path / "poisson.onnx")
