import numpy as np
import pytest

from glassnet._validation import as_2d_float

SMALL, LARGE = (3, 4), (300, 400)  # on either side of the size where the finite check changes


@pytest.mark.parametrize("shape", [SMALL, LARGE])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinity_are_refused_with_their_position(shape, bad):
    X = np.ones(shape, dtype=np.float32)
    X[2, 3] = bad
    with pytest.raises(ValueError, match=r"NaN or infinity \(first at row 2, column 3\)"):
        as_2d_float(X, dtype=np.float32)


@pytest.mark.parametrize("shape", [SMALL, LARGE])
def test_huge_finite_values_pass_without_overflow_warnings(shape):
    X = np.full(shape, np.finfo(np.float32).max, dtype=np.float32)  # their sum overflows
    out = as_2d_float(X, dtype=np.float32)  # warnings are errors in this test suite
    assert out is X


def test_converts_only_when_needed():
    X = np.arange(12, dtype=np.float64).reshape(3, 4)
    assert as_2d_float(X, dtype=np.float64) is X
    out = as_2d_float(X.T, dtype=np.float32)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, X.T)
