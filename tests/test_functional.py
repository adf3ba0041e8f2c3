import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from glassnet import functional as F

finite = st.floats(-50, 50, allow_nan=False, width=64)


def test_sigmoid_matches_definition():
    z = np.linspace(-20, 20, 101)
    np.testing.assert_allclose(F.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(z)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s, np.array([0, 0, 0.5, 1, 1], dtype=dtype))


def test_logit_inverts_sigmoid():
    p = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(F.sigmoid(F.logit(p)), p, rtol=1e-12)


@given(arrays(np.float64, (3, 5), elements=finite))
def test_softmax_rows_sum_to_one_and_shift_invariant(z):
    p = F.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(z + 1000.0), p, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.exp(F.log_softmax(z)), p, rtol=1e-9, atol=1e-300)


def test_softmax_does_not_overflow():
    z = np.array([[1e4, 0.0, -1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(F.softmax(z), [[1, 0, 0]])


def test_derivatives_match_finite_differences():
    z = np.linspace(-3, 3, 13) + 0.05  # avoid the ReLU kink at 0
    h = 1e-6
    for f, df, from_output in [(F.sigmoid, F.sigmoid_grad, True), (F.tanh, F.tanh_grad, True),
                               (F.relu, F.relu_grad, False),
                               (F.leaky_relu, F.leaky_relu_grad, False)]:
        numeric = (f(z + h) - f(z - h)) / (2 * h)
        analytic = df(f(z)) if from_output else df(z)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9, err_msg=f.__name__)


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot([1], 2, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="0..2"):
        F.one_hot([3], 3)
    with pytest.raises(ValueError, match="shape"):
        F.one_hot([[1]], 3)


# -- accuracy in the tails and no overflow anywhere ------------------------------------------
def test_sigmoid_left_tail_in_float64():
    assert F.sigmoid(np.array([-40.0]))[0] == pytest.approx(4.248354255291589e-18, rel=1e-15)
    z = np.linspace(-700, 36, 2001)
    reference = np.exp(z) / (1 + np.exp(z))  # exact enough: exp(z) neither over- nor underflows
    np.testing.assert_allclose(F.sigmoid(z), reference, rtol=4e-16)


def test_sigmoid_left_tail_in_float32():
    z = np.linspace(-87, 15, 1001).astype(np.float32)
    reference = 1 / (1 + np.exp(-z.astype(np.float64)))
    np.testing.assert_allclose(F.sigmoid(z), reference, rtol=3e-7)
    deep = np.array([-88, -95, -100, -103], dtype=np.float32)  # subnormal results
    s = F.sigmoid(deep)
    assert s.dtype == np.float32 and np.all(s > 0) and np.all(np.diff(s) < 0)
    assert F.sigmoid(np.array([-104.0], np.float32))[0] == 0  # below the smallest subnormal


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extremes_without_warnings(dtype):
    big = np.finfo(dtype).max
    z = np.array([-np.inf, -big, -1e30, 0.0, 1e30, big, np.inf, np.nan], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            s = F.sigmoid(z)
    np.testing.assert_array_equal(s, np.array([0, 0, 0, 0.5, 1, 1, 1, np.nan], dtype=dtype))


def test_sigmoid_in_place_and_of_integers():
    z = np.array([-50.0, 0.0, 2.0])
    expected = F.sigmoid(z.copy())
    assert F.sigmoid(z, out=z) is z
    np.testing.assert_array_equal(z, expected)
    np.testing.assert_allclose(F.sigmoid(np.array([0, 1])), [0.5, 1 / (1 + np.exp(-1))])


@pytest.mark.parametrize("dtype, low, high, rtol", [(np.float64, -700, 10, 1e-12),
                                                    (np.float32, -87, 5, 2e-5)])
def test_logit_inverts_sigmoid_in_both_tails(dtype, low, high, rtol):
    """Far left exactly; on the right only while 1 - sigmoid(z) keeps enough digits."""
    z = np.linspace(low, high, 997).astype(dtype)
    z = z[np.abs(z) > 0.01]  # relative error near 0 is meaningless
    np.testing.assert_allclose(F.logit(F.sigmoid(z)), z, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_at_the_largest_float(dtype):
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0], [big, big, big], [-big, -big, -big]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = F.softmax(z.copy())
        log_p = F.log_softmax(z)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3], rtol=1e-6)
    assert log_p[0, 0] == 0 and log_p[0, 1] == -np.inf  # -2*big is below the dtype's range
    np.testing.assert_allclose(log_p[1:], np.log(1 / 3), rtol=1e-6)
