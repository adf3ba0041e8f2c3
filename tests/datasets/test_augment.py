"""Rotations and shifts: exact on small pictures, the same as SciPy's where SciPy is installed."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.datasets.augment import augment_rotations, random_rotate_shift, rotate, shift
from glassnet.errors import DTypeError, ShapeError


def dot(h=5, w=5, r=0, c=2, value=1.0, dtype=np.float64):
    x = np.zeros((1, h, w), dtype=dtype)
    x[0, r, c] = value
    return x


def test_quarter_turns_move_a_dot_anticlockwise():
    x = dot()  # above the centre
    np.testing.assert_allclose(rotate(x, 90), dot(r=2, c=0), atol=1e-12)  # left
    np.testing.assert_allclose(rotate(x, -90), dot(r=2, c=4), atol=1e-12)  # right
    np.testing.assert_allclose(rotate(x, 180), dot(r=4, c=2), atol=1e-12)  # below
    np.testing.assert_array_equal(rotate(x, 0), x)


def test_bilinear_interpolation_between_pixels():
    x = np.zeros((1, 1, 4))
    x[0, 0] = [0.0, 1.0, 3.0, 7.0]
    out = shift(x, 0, 0.25, image_shape=(1, 4), fill=-1.0)
    # pixel j reads the input at j - 0.25: 3/4 of pixel j and 1/4 of pixel j-1; pixel 0 is outside
    np.testing.assert_allclose(out[0, 0], [-1.0, 0.75, 2.5, 6.0])


def test_points_from_outside_take_the_fill():
    x = np.ones((2, 4, 4))
    out = shift(x, 1, -2, fill=0.5)
    np.testing.assert_array_equal(out[:, 0, :], 0.5)  # the top row came from above the picture
    np.testing.assert_array_equal(out[:, :, 2:], 0.5)  # the right half from beyond the edge
    np.testing.assert_array_equal(out[:, 1:, :2], 1.0)


def test_rows_of_784_and_dtype_are_kept():
    rng = np.random.default_rng(0)
    X = rng.random((3, 784), dtype=np.float32)
    out = rotate(X, 10, fill=0.0)
    assert out.shape == (3, 784) and out.dtype == np.float32
    by_picture = rotate(X.reshape(3, 28, 28), 10, fill=0.0)
    np.testing.assert_array_equal(out, by_picture.reshape(3, 784))
    single = rotate(X[0].reshape(28, 28), 10, fill=0.0)
    assert single.shape == (28, 28)
    np.testing.assert_array_equal(single, by_picture[0])


def test_default_fill_is_the_background():
    X = np.full((2, 784), 0.01)
    X[:, 300:500] = 0.99  # ink in the middle rows, book scale
    out = rotate(X, 45)
    assert out.min() == pytest.approx(0.01) and out[:, 0] == pytest.approx(0.01)


def test_augment_rotations_follows_the_books_order():
    rng = np.random.default_rng(1)
    X = rng.random((4, 784)) * 0.99 + 0.01
    y = np.arange(4)
    X_aug, y_aug = augment_rotations(X, y)
    assert X_aug.shape == (12, 784)
    np.testing.assert_array_equal(y_aug, np.repeat(y, 3))
    np.testing.assert_array_equal(X_aug[0::3], X)
    np.testing.assert_array_equal(X_aug[1::3], rotate(X, 10, fill=X.min()))
    np.testing.assert_array_equal(X_aug[2::3], rotate(X, -10, fill=X.min()))
    targets = np.full((4, 10), 0.01)
    _, t_aug = augment_rotations(X, targets, angles=(5,))
    assert t_aug.shape == (8, 10)


def test_random_rotate_shift_is_seeded_and_differs_per_picture():
    X = np.tile(dot(28, 28, 5, 14), (6, 1, 1)).reshape(6, 784)
    a = random_rotate_shift(X, seed=3)
    np.testing.assert_array_equal(a, random_rotate_shift(X, seed=np.random.default_rng(3)))
    assert not np.array_equal(a, random_rotate_shift(X, seed=4))
    assert len({row.tobytes() for row in a}) == 6
    still = random_rotate_shift(X, max_angle=0, max_shift=0, seed=0)
    np.testing.assert_allclose(still, X, atol=1e-12)


def test_many_pictures_with_their_own_transforms_match_one_at_a_time(monkeypatch):
    import glassnet.datasets.augment as augment

    monkeypatch.setattr(augment, "_CHUNK", 4)  # several blocks
    rng = np.random.default_rng(5)
    X = rng.random((10, 64))
    out = random_rotate_shift(X, image_shape=(8, 8), fill=0.0, seed=11)
    gen = np.random.default_rng(11)
    angle = gen.uniform(-10, 10, size=10)
    rows, cols = gen.uniform(-2, 2, size=(2, 10))
    for i in range(10):
        one = augment._transform(X[i:i + 1], np.full((1, 1, 1), angle[i]),
                                 np.full((1, 1, 1), rows[i]), np.full((1, 1, 1), cols[i]),
                                 0.0, (8, 8))
        np.testing.assert_allclose(out[i], one[0], atol=1e-12)


def test_bad_arguments_are_refused():
    with pytest.raises(DTypeError, match=r"X.astype\(np.float32\) / 255"):
        rotate(np.zeros((2, 784), dtype=np.uint8), 10)
    with pytest.raises(ShapeError, match=r"\(n, 784\) or \(n, h, w\), got \(2, 100\)"):
        rotate(np.zeros((2, 100)), 10)
    with pytest.raises(ValueError, match="angle must be a finite number"):
        rotate(np.zeros((1, 784)), float("nan"))
    with pytest.raises(ValueError, match="max_shift must be a finite number >= 0"):
        random_rotate_shift(np.zeros((1, 784)), max_shift=-1)
    with pytest.raises(ShapeError, match="y must have 2 rows"):
        augment_rotations(np.zeros((2, 784)), np.zeros(3))


def test_the_same_as_scipy_ndimage_as_the_book_calls_it():
    ndimage = pytest.importorskip("scipy.ndimage", reason="SciPy is not installed")
    rng = np.random.default_rng(2)
    pictures = np.full((5, 28, 28), 0.01)
    pictures[:, 4:24, 6:22] = rng.random((5, 20, 16)) * 0.99 + 0.01
    for angle in (10, -10, 33.3, 90):
        book = np.stack([ndimage.rotate(p, angle, cval=0.01, order=1, reshape=False)
                         for p in pictures])
        np.testing.assert_allclose(rotate(pictures, angle, fill=0.01), book, atol=1e-12)
    moved = np.stack([ndimage.shift(p, (1.5, -2.25), cval=0.01, order=1) for p in pictures])
    np.testing.assert_allclose(shift(pictures, 1.5, -2.25, fill=0.01), moved, atol=1e-12)
