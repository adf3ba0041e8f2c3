"""The three pixel scales shared by the loaders and image_to_input."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.datasets._pixels import SCALES, scale_pixels
from glassnet.errors import DTypeError

PIXELS = np.array([[0, 1, 127, 128, 254, 255]], dtype=np.uint8)


def test_none_returns_the_stored_values():
    out = scale_pixels(PIXELS, "none", np.float32)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, PIXELS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unit(dtype):
    out = scale_pixels(PIXELS, "unit", dtype)
    assert out.dtype == dtype and out.shape == PIXELS.shape
    np.testing.assert_array_equal(out, (PIXELS / 255.0).astype(dtype))
    assert out[0, 0] == 0.0 and out[0, -1] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_book(dtype):
    out = scale_pixels(PIXELS, "book", dtype)
    assert out.dtype == dtype
    expected = [0.01, 1 / 255 * 0.99 + 0.01, 127 / 255 * 0.99 + 0.01, 128 / 255 * 0.99 + 0.01,
                254 / 255 * 0.99 + 0.01, 1.0]  # fmt: skip
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)


def test_input_is_not_modified():
    before = PIXELS.copy()
    scale_pixels(PIXELS, "book", np.float64)
    np.testing.assert_array_equal(PIXELS, before)


def test_bad_scale_lists_the_choices():
    with pytest.raises(ValueError, match="book.*none.*unit"):
        scale_pixels(PIXELS, "bytes", np.float32)
    assert SCALES == ("none", "unit", "book")


def test_integer_dtype_is_refused():
    with pytest.raises(DTypeError):
        scale_pixels(PIXELS, "unit", np.int32)
