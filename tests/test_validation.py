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


@pytest.mark.parametrize("shape", [SMALL, LARGE])
def test_finite_values_beyond_float32_are_not_blamed_as_nan(shape):
    import glassnet as gn

    X = np.ones(shape, dtype=np.float64)
    X[1, 2] = 1e300  # finite in the caller's float64 data; infinite once cast to float32
    with pytest.raises(ValueError) as info:  # and no "overflow in cast" warning on the way
        as_2d_float(X, dtype=np.float32)
    message = str(info.value)
    assert "NaN" not in message and "infinity" not in message
    assert "1e+300 at row 1, column 2, beyond the largest float32" in message
    assert "scale the data" in message and "dtype=np.float64" in message
    assert as_2d_float(X, dtype=np.float64) is X  # the suggested fix works
    # through fit, with images (n, h, w) as well as tables
    net = gn.Network([gn.Flatten(), gn.Dense(2, seed=0)])
    with pytest.raises(ValueError, match=r"-1e\+300 at index \(0, 1, 1\), beyond the largest"):
        net.fit(np.array([[[0.0, 0.0], [0.0, -1e300]]]), [1], epochs=1, verbose=0)


@pytest.mark.parametrize(("X", "match"), [
    ([[1.0, 2.0], [3.0]], r"X is ragged: row 0 has 2 values but row 1 has 1; every sample "
                          r"needs the same number of features"),
    ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0, 7.0]], "row 0 has 2 values but row 2 has 3"),
    ([[1.0, 2.0], 3.0], "its rows mix single numbers and sequences"),
])
def test_a_ragged_list_gets_glassnets_own_message(X, match):
    import glassnet as gn
    from glassnet.errors import ShapeError

    with pytest.raises(ShapeError, match=match) as info:
        gn.mlp([2, 3, 2], seed=0).fit(X, [0, 1, 0][: len(X)], epochs=1, verbose=0)
    assert "inhomogeneous" not in str(info.value)  # NumPy's own words stay out
    with pytest.raises(ShapeError, match="X_val is ragged"):
        gn.mlp([2, 3, 2], seed=0).fit([[0.0, 1.0]], [0], validation_data=([[1.0], [1.0, 2.0]],
                                                                         [0, 1]), verbose=0)
