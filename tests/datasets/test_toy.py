"""The toy generators: shapes, dtypes, balance, determinism, geometry, argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.datasets.toy import make_blobs, make_circles, make_moons, make_spirals, make_xor
from glassnet.errors import DTypeError

# generator, number of classes with its default arguments
GENERATORS = [
    (make_moons, 2),
    (make_circles, 2),
    (make_spirals, 3),
    (make_xor, 2),
    (make_blobs, 3),
]
ids = [g.__name__ for g, _ in GENERATORS]


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_shapes_dtypes_and_labels(make, n_classes):
    X, y = make(101, seed=0)
    assert X.shape == (101, 2)
    assert X.dtype == np.float32
    assert X.flags.c_contiguous
    assert y.shape == (101,)
    assert y.dtype == np.int64
    assert set(np.unique(y)) == set(range(n_classes))
    assert np.isfinite(X).all()


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=3, max_value=400))
def test_classes_are_balanced(make, n_classes, n):
    _, y = make(n, seed=1)
    counts = np.bincount(y, minlength=n_classes)
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert counts[0] == counts.max()  # the first classes take the remainder


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_same_seed_same_data_other_seed_other_data(make, n_classes):
    X1, y1 = make(60, seed=7)
    X2, y2 = make(60, seed=7)
    X3, _ = make(60, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_generator_seed_is_used_and_advanced(make, n_classes):
    rng = np.random.default_rng(3)
    X1, _ = make(40, seed=rng)
    X2, _ = make(40, seed=rng)
    assert not np.array_equal(X1, X2)
    np.testing.assert_array_equal(X1, make(40, seed=np.random.default_rng(3))[0])


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_float64_on_request(make, n_classes):
    X32, _ = make(30, seed=2)
    X64, _ = make(30, seed=2, dtype=np.float64)
    assert X64.dtype == np.float64
    np.testing.assert_allclose(X32, X64, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_rows_are_shuffled(make, n_classes):
    _, y = make(200, seed=4)
    assert not np.all(np.diff(y) >= 0)


@pytest.mark.parametrize(("make", "n_classes"), GENERATORS, ids=ids)
def test_rejects_bad_common_arguments(make, n_classes):
    with pytest.raises(ValueError, match="n_samples"):
        make(n_classes - 1, seed=0)
    with pytest.raises(ValueError, match="n_samples"):
        make(0, seed=0)
    with pytest.raises(ValueError, match="n_samples"):
        make(10.5, seed=0)
    with pytest.raises(DTypeError, match="dtype"):
        make(10, seed=0, dtype=np.int32)
    with pytest.raises(TypeError, match="seed"):
        make(10, seed="twelve")


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals, make_xor])
def test_rejects_negative_or_nan_noise(make):
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=float("nan"))


def _least_squares_accuracy(X, y):
    """Accuracy of the linear classifier sign(w.x + b) fitted by least squares to +-1 targets."""
    A = np.column_stack([X.astype(np.float64), np.ones(len(X))])
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
    return np.mean((A @ w > 0) == (y == 1))


def test_moons_are_not_linearly_separable():
    X, y = make_moons(1000, noise=0.1, seed=0)
    accuracy = _least_squares_accuracy(X, y)
    assert 0.75 < accuracy < 0.95  # a line gets most points, never nearly all


def test_linear_classifier_check_can_succeed():
    # guards the test above: on separable blobs the same check reaches 100 %
    X, y = make_blobs(400, centers=[[-5, 0], [5, 0]], cluster_std=0.5, seed=0)
    assert _least_squares_accuracy(X, y) == 1.0


def test_moons_without_noise_lie_on_their_arcs():
    X, y = make_moons(50, noise=0.0, seed=0, dtype=np.float64)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()


def test_moons_noise_has_the_requested_spread():
    X, y = make_moons(4000, noise=0.3, seed=5, dtype=np.float64)
    upper = X[y == 0]
    # radial distance from the arc: Gaussian noise of std 0.3 projected on the radius
    residual = np.hypot(upper[:, 0], upper[:, 1]) - 1.0
    assert 0.25 < residual.std() < 0.35


def test_circles_radii():
    X, y = make_circles(80, noise=0.0, factor=0.3, seed=0, dtype=np.float64)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


@pytest.mark.parametrize("factor", [0.0, 1.0, 1.5, -0.2])
def test_circles_rejects_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=factor)


def test_spirals_arms_and_disc():
    X, y = make_spirals(500, n_arms=5, noise=0.3, seed=0)
    assert set(np.unique(y)) == set(range(5))
    assert (np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-6).all()


def test_spirals_arms_are_rotated_copies_without_noise():
    X, y = make_spirals(300, n_arms=3, noise=0.0, seed=0, dtype=np.float64)
    arms = [X[y == k] for k in range(3)]
    order = [np.argsort(np.hypot(a[:, 0], a[:, 1])) for a in arms]
    arm0, arm1 = arms[0][order[0]], arms[1][order[1]]
    c, s = np.cos(2 * np.pi / 3), np.sin(2 * np.pi / 3)
    np.testing.assert_allclose(arm0 @ np.array([[c, s], [-s, c]]), arm1, atol=1e-12)


@pytest.mark.parametrize("n_arms", [1, 0, -2])
def test_spirals_rejects_bad_arm_count(n_arms):
    with pytest.raises(ValueError, match="n_arms"):
        make_spirals(30, n_arms=n_arms)


def test_xor_four_points_without_noise_is_the_truth_table():
    X, y = make_xor(4, noise=0.0, seed=0)
    rows = {(float(a), float(b)): int(label) for (a, b), label in zip(X, y, strict=True)}
    assert rows == {(-1.0, -1.0): 0, (-1.0, 1.0): 1, (1.0, -1.0): 1, (1.0, 1.0): 0}


def test_xor_labels_follow_the_signs():
    X, y = make_xor(1000, noise=0.1, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    quadrant = (X[:, 0] > 0) * 2 + (X[:, 1] > 0)
    counts = np.bincount(quadrant, minlength=4)
    assert counts.min() == counts.max() == 250


def test_blobs_with_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 5.0]])
    X, y = make_blobs(2000, centers=centres, cluster_std=[0.5, 2.0], seed=0, dtype=np.float64)
    assert X.shape == (2000, 3)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centres[k], atol=0.2)
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.5, rtol=0.1)
    np.testing.assert_allclose(X[y == 1].std(axis=0), 2.0, rtol=0.1)


def test_blobs_random_centres_in_the_box():
    X, y = make_blobs(500, centers=4, cluster_std=0.0, n_features=5, seed=0)
    assert X.shape == (500, 5)
    centres = np.array([X[y == k][0] for k in range(4)])
    assert (np.abs(centres) <= 10).all()
    for k in range(4):
        assert np.all(X[y == k] == centres[k])  # zero spread: every point on its centre


def test_blobs_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_features"):
        make_blobs(10, centers=[[0, 0], [1, 1]], n_features=3)
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=[0, 1, 2])
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=0)
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, centers=3, cluster_std=[1.0, 2.0])
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, centers=2, cluster_std=-1.0)
    with pytest.raises(ValueError, match="n_samples"):
        make_blobs(3, centers=4)
    with pytest.raises(ValueError, match="n_features"):
        make_blobs(10, centers=2, n_features=0)
