import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet import gradcheck_loss
from glassnet.errors import ShapeError
from glassnet.losses import (
    BinaryCrossEntropy,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    SumSquaredError,
    get_loss,
)


def test_sse_by_hand():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.array([[0.5, 0.5], [1.0, 1.0]])
    # per sample 1/2 * (0.25 + 0.25) = 0.25 and 1/2 * (1 + 0) = 0.5; mean 0.375
    assert SumSquaredError().loss(y, p) == pytest.approx(0.375)
    np.testing.assert_allclose(SumSquaredError().grad(y, p), (p - y) / 2)


def test_mse_by_hand():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.array([[0.5, 0.5], [1.0, 1.0]])
    assert MeanSquaredError().loss(y, p) == pytest.approx((0.25 + 0.25 + 1 + 0) / 4)
    np.testing.assert_allclose(MeanSquaredError().grad(y, p), 2 * (p - y) / 4)


def test_softmax_cross_entropy_by_hand():
    z = np.array([[1.0, 2.0, 3.0]])
    p = np.exp(z) / np.exp(z).sum()
    loss, grad = SoftmaxCrossEntropy().loss_and_grad(np.array([2]), z)
    assert loss == pytest.approx(-np.log(p[0, 2]))
    np.testing.assert_allclose(grad, p - [[0, 0, 1]])


def test_softmax_cross_entropy_labels_equal_one_hot():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    loss = SoftmaxCrossEntropy()
    a = loss.loss_and_grad(labels, z)
    b = loss.loss_and_grad(np.eye(4)[labels], z)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)


@pytest.mark.parametrize("layout", ["F", "strided"])
def test_softmax_cross_entropy_does_not_depend_on_the_memory_layout(layout):
    rng = np.random.default_rng(4)
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    other = np.asfortranarray(z) if layout == "F" else np.repeat(z, 2, axis=1)[:, ::2]
    loss = SoftmaxCrossEntropy()
    expected_loss, expected_grad = loss.loss_and_grad(y, z)
    got_loss, got_grad = loss.loss_and_grad(y, other)
    assert got_loss == expected_loss
    np.testing.assert_array_equal(got_grad, expected_grad)
    assert gradcheck_loss(loss, y, other).max_rel_error < 1e-6


@pytest.mark.parametrize("labels", [[0, 4, 1], [0, -1, 1], [0.0, 1.0, 2.0]])
def test_softmax_cross_entropy_refuses_labels_out_of_range(labels):
    with pytest.raises(ValueError, match=r"integer class labels in 0..3 for 4 outputs"):
        SoftmaxCrossEntropy().loss_and_grad(np.array(labels), np.zeros((3, 4)))


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = SoftmaxCrossEntropy().loss_and_grad(np.array([1, 1]), z)
    assert loss == pytest.approx(1e4, rel=1e-6)  # first sample: log(1 + e^-2e4) + 2e4
    assert grad.dtype == np.float32 and np.isfinite(grad).all()


def test_bce_logits_equal_probabilities():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 2))
    y = rng.integers(0, 2, (5, 2)).astype(float)
    p = 1 / (1 + np.exp(-z))
    a = BinaryCrossEntropy(from_logits=True).loss(y, z)
    b = BinaryCrossEntropy(from_logits=False).loss(y, p)
    assert a == pytest.approx(b, rel=1e-9)
    assert a == pytest.approx(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / 5)


def test_bce_logits_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = BinaryCrossEntropy().loss(np.array([[0.0]]), np.array([[800.0]]))
    assert loss == pytest.approx(800.0)



@pytest.mark.parametrize(("dtype", "z"), [(np.float32, 10.0), (np.float32, 16.0),
                                          (np.float64, 40.0), (np.float64, 700.0)])
def test_bce_logit_gradient_for_target_one_keeps_its_digits_far_out(dtype, z):
    # dL/dz = (sigmoid(z) - 1) / n = -sigmoid(-z) / n = -1 / (1 + exp(z)) / n; computed as
    # sigmoid(z) - 1 it cancels (float32 at z=10 is 4.6e-4 off, float64 at z=40 gives 0)
    logits = np.array([[z], [-z]], dtype=dtype)
    targets = np.array([[1.0], [0.0]], dtype=dtype)
    grad = BinaryCrossEntropy().grad(targets, logits)
    exact = np.float64(-1.0) / (1.0 + np.exp(np.float64(z))) / 2
    assert grad.dtype == dtype
    assert exact != 0
    for got, want in ((grad[0, 0], exact), (grad[1, 0], -exact)):  # y=1 at z, y=0 at -z
        ulps = abs(float(got) - want) / np.spacing(dtype(abs(want)))
        assert ulps <= 4, (got, want, ulps)


def test_bce_logit_gradient_checked_far_from_zero_and_with_soft_targets():
    rng = np.random.default_rng(7)
    # beyond |z| ~ 8 the central differences of the loss, not the gradient, lose digits
    z = rng.uniform(-8.0, 8.0, (6, 3))
    for y in (rng.integers(0, 2, (6, 3)).astype(float), rng.uniform(0.0, 1.0, (6, 3))):
        result = gradcheck_loss(BinaryCrossEntropy(), y, z)
        assert result.max_rel_error < 1e-6, str(result)
        z = z * 4  # the closed form holds at any z, hard 0/1 targets or soft
        p = 1.0 / (1.0 + np.exp(-z))
        np.testing.assert_allclose(BinaryCrossEntropy().grad(y, z), (p - y) / 6, rtol=1e-12,
                                   atol=1e-15)


LOSS_CASES = {
    "sse": (SumSquaredError(), "dense"),
    "mse": (MeanSquaredError(), "dense"),
    "bce_logits": (BinaryCrossEntropy(from_logits=True), "binary"),
    "bce_probs": (BinaryCrossEntropy(from_logits=False), "binary_probs"),
    "softmax_ce_labels": (SoftmaxCrossEntropy(), "labels"),
    "softmax_ce_onehot": (SoftmaxCrossEntropy(), "onehot"),
}


@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from(sorted(LOSS_CASES)), n=st.integers(1, 6), k=st.integers(1, 5),
       seed=st.integers(0, 2**32 - 1))
def test_gradcheck_every_loss_float64(case, n, k, seed):
    loss, kind = LOSS_CASES[case]
    rng = np.random.default_rng(seed)
    y_pred = rng.standard_normal((n, k))
    if kind == "dense":
        y_true = rng.standard_normal((n, k))
    elif kind == "binary":
        y_true = rng.integers(0, 2, (n, k)).astype(float)
    elif kind == "binary_probs":
        y_true = rng.integers(0, 2, (n, k)).astype(float)
        y_pred = rng.uniform(0.05, 0.95, (n, k))
    elif kind == "labels":
        y_true = rng.integers(0, k, n)
    else:
        y_true = np.eye(k)[rng.integers(0, k, n)]
    result = gradcheck_loss(loss, y_true, y_pred)
    assert result.max_rel_error < 1e-6, str(result)


def test_prepare_targets():
    sce = SoftmaxCrossEntropy()
    np.testing.assert_array_equal(sce.prepare_targets(np.array([0, 2]), 3, np.float32), [0, 2])
    with pytest.raises(ValueError, match="0..2"):
        sce.prepare_targets(np.array([0, 3]), 3, np.float32)
    with pytest.raises(ValueError, match="integers"):
        sce.prepare_targets(np.array([0.5, 1.0]), 3, np.float32)
    onehot = SumSquaredError().prepare_targets(np.array([1, 0]), 2, np.float32)
    np.testing.assert_array_equal(onehot, [[0, 1], [1, 0]])
    with pytest.raises(ShapeError, match=r"\(n_samples, 2\)"):
        MeanSquaredError().prepare_targets(np.zeros((3, 4)), 2, np.float32)
    with pytest.raises(ValueError, match="0 or 1"):
        BinaryCrossEntropy().prepare_targets(np.array([0.0, 2.0]), 1, np.float32)


def test_get_loss():
    assert isinstance(get_loss("cross_entropy"), SoftmaxCrossEntropy)
    instance = MeanSquaredError()
    assert get_loss(instance) is instance
    with pytest.raises(ValueError, match="choose one of"):
        get_loss("hinge")
