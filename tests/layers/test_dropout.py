import numpy as np
import pytest

from glassnet.layers import Dropout


def test_inference_is_identity():
    x = np.ones((4, 5), dtype=np.float32)
    assert Dropout(0.5, seed=0).forward(x, training=False) is x


def test_training_drops_about_p_and_keeps_the_mean():
    x = np.ones((400, 250), dtype=np.float32)
    out = Dropout(0.3, seed=0).forward(x, training=True)
    assert out.dtype == np.float32
    dropped = np.mean(out == 0)
    assert dropped == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert out.mean() == pytest.approx(1.0, abs=0.02)


def test_backward_uses_the_same_mask():
    layer = Dropout(0.5, seed=1)
    out = layer.forward(np.ones((3, 8)), training=True)
    np.testing.assert_array_equal(layer.backward(np.ones((3, 8))), out)


def test_backward_needs_a_training_forward_even_at_p_zero():
    from glassnet.errors import ShapeError

    layer = Dropout(0.0)
    with pytest.raises(ShapeError, match="training=True"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 3)), training=True)
    np.testing.assert_array_equal(layer.backward(np.full((2, 3), 2.0)), np.full((2, 3), 2.0))
    layer.forward(np.ones((2, 3)), training=False)
    with pytest.raises(ShapeError, match="training=True"):
        layer.backward(np.ones((2, 3)))


def test_seeded_masks_repeat():
    x = np.ones((5, 5))
    a = Dropout(0.5, seed=4).forward(x, training=True)
    b = Dropout(0.5, seed=4).forward(x, training=True)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_bad_p(p):
    with pytest.raises(ValueError, match="p must"):
        Dropout(p)
