"""The loss is the one output head: probabilities, labels, accuracy and refusals agree."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.losses import (
    BinaryCrossEntropy,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    SumSquaredError,
)


def moons(n=200):
    return gn.datasets.make_moons(n, noise=0.2, seed=0)


def test_sigmoid_before_logit_bce_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="remove the last Sigmoid.*from_logits=False"):
        gn.mlp([2, 8, 1], output_activation="sigmoid", loss="binary_cross_entropy")


def test_softmax_before_softmax_cross_entropy_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="remove the last Softmax"):
        gn.mlp([2, 8, 2], output_activation="softmax")
    with pytest.raises(ValueError, match="at least 2 outputs.*binary_cross_entropy"):
        gn.mlp([2, 8, 1])


def test_a_sigmoid_with_bce_on_probabilities_trains():
    X, y = moons()
    net = gn.mlp([2, 16, 1], activation="tanh", output_activation="sigmoid",
                 loss=BinaryCrossEntropy(from_logits=False), seed=0)
    net.fit(X, y, optimizer=gn.Adam(0.02), epochs=40, seed=0, verbose=0)
    assert net.evaluate(X, y)["accuracy"] > 0.9


@pytest.mark.parametrize("loss", [SumSquaredError(), SumSquaredError(half=False),
                                  MeanSquaredError(), BinaryCrossEntropy(),
                                  BinaryCrossEntropy(from_logits=False), SoftmaxCrossEntropy()])
def test_gradients_keep_the_dtype_of_the_predictions(loss):
    pred = np.random.default_rng(0).uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    targets = np.eye(3)[[0, 1, 2, 0]]  # float64 one-hot
    assert loss.grad(targets, pred).dtype == np.float32
    assert isinstance(loss.loss(targets, pred), float)


def test_sum_squared_error_says_what_it_sums():
    y, p = np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])
    assert SumSquaredError().loss(y, p) == pytest.approx(0.5 * (0.25 + 0.25))
    assert SumSquaredError(half=False).loss(y, p) == pytest.approx(0.5)
    np.testing.assert_allclose(SumSquaredError().grad(y, p), p - y)           # the book's
    np.testing.assert_allclose(SumSquaredError(half=False).grad(y, p), 2 * (p - y))  # the blog's
    two = np.vstack([y, y]), np.vstack([p, p])  # averaged over the batch
    assert SumSquaredError().loss(*two) == SumSquaredError().loss(y, p)


def test_no_overflow_warning_at_float32_extremes():
    big = np.finfo(np.float32).max
    out = np.array([[big, -big], [-big, big]], dtype=np.float32)
    for loss, y in [(SoftmaxCrossEntropy(), np.array([0, 1])),
                    (BinaryCrossEntropy(), np.array([[1.0, 0.0], [0.0, 1.0]])),
                    (MeanSquaredError(), np.zeros((2, 2))), (SumSquaredError(), np.zeros((2, 2)))]:
        loss.loss_and_grad(y, out)  # warnings are errors in this suite


def test_predict_and_evaluate_agree_near_the_threshold():
    """Accuracy is counted from exactly the labels predict gives."""
    X, y = moons(400)
    for loss, n_out in [("binary_cross_entropy", 1), ("softmax_cross_entropy", 2), ("mse", 2)]:
        net = gn.mlp([2, 3, n_out], loss=loss, seed=1)
        net.fit(X, y, epochs=1, seed=0, verbose=0)  # barely trained: many outputs near 0.5
        assert net.evaluate(X, y)["accuracy"] == np.mean(net.predict(X) == y)


def test_multi_label_predicts_a_matrix_and_counts_each_label():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4)).astype(np.float32)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0], axis=1).astype(int)
    net = gn.mlp([4, 16, 3], loss="binary_cross_entropy", seed=0)
    net.fit(X, Y, optimizer=gn.Adam(0.02), epochs=30, seed=0, verbose=0)
    labels = net.predict(X)
    assert labels.shape == (300, 3) and set(np.unique(labels)) <= {0, 1}
    assert net.evaluate(X, Y)["accuracy"] == pytest.approx(np.mean(labels == Y))
    assert net.evaluate(X, Y)["accuracy"] > 0.9
    with pytest.raises(gn.ShapeError, match="multi-label"):
        net.evaluate(X, Y[:, 0])


def test_one_sigmoid_output_is_a_binary_classifier():
    X, y = moons()
    net = gn.mlp([2, 8, 1], loss="binary_cross_entropy", seed=0)
    net.fit(X, y, epochs=5, seed=0, verbose=0)
    assert net.predict(X).shape == (200,)
    np.testing.assert_array_equal(net.predict(X), (net.predict_proba(X)[:, 0] > 0.5))
