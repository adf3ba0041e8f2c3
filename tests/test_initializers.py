import numpy as np
import pytest

from glassnet import initializers as I


@pytest.mark.parametrize("name,expected_std", [
    ("normal_fan_in", 400**-0.5),
    ("glorot_uniform", np.sqrt(2 / 700)),
    ("glorot_normal", np.sqrt(2 / 700)),
    ("he_uniform", np.sqrt(2 / 400)),
    ("he_normal", np.sqrt(2 / 400)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initializer_scale_shape_dtype(name, expected_std, dtype):
    w = I.get_initializer(name)(np.random.default_rng(0), (400, 300), dtype)
    assert w.shape == (400, 300) and w.dtype == dtype
    assert abs(w.mean()) < 0.05 * expected_std * 10
    assert w.std() == pytest.approx(expected_std, rel=0.02)


def test_uniform_initializers_respect_their_limits():
    rng = np.random.default_rng(0)
    assert np.abs(I.glorot_uniform(rng, (50, 30), np.float64)).max() <= np.sqrt(6 / 80)
    assert np.abs(I.he_uniform(rng, (50, 30), np.float64)).max() <= np.sqrt(6 / 50)


def test_same_seed_same_weights():
    a = I.he_normal(np.random.default_rng(7), (5, 4), np.float32)
    b = I.he_normal(np.random.default_rng(7), (5, 4), np.float32)
    np.testing.assert_array_equal(a, b)


def test_zeros_and_unknown_name():
    assert not I.zeros(np.random.default_rng(0), (3,), np.float32).any()
    with pytest.raises(ValueError, match="glorot_uniform"):
        I.get_initializer("xavier")
