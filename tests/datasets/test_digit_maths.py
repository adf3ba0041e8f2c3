"""The NumPy steps of MNIST-style preprocessing, each on a picture small enough to check by eye."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.datasets import digit_maths as dm


def test_background_is_light_reads_the_border():
    paper = np.full((10, 10), 250.0)
    paper[3:7, 3:7] = 10  # dark ink inside light paper
    assert dm.background_is_light(paper)
    assert not dm.background_is_light(255 - paper)


def test_an_ambiguous_border_asks_the_whole_picture():
    grey = np.full((10, 10), 240.0)
    grey[:, 0] = grey[0, :5] = grey[-1, :5] = 20  # half the border is ink: a digit cut off
    assert dm.background_is_light(grey)


def test_ink_map_stretches_paper_to_zero_and_ink_to_one():
    grey = np.full((20, 20), 200.0)  # grey paper, as in a photo
    grey[5:15, 9:11] = 50.0
    ink = dm.ink_map(grey, invert=True)
    assert ink.min() == 0.0 and ink.max() == 1.0
    np.testing.assert_array_equal(ink[5:15, 9:11], 1.0)
    assert ink[0].max() == 0.0
    half = np.full((20, 20), 200.0)
    half[5:15, 9:11] = 50.0
    half[0, 0] = 125.0  # halfway between paper and ink on the border
    assert dm.ink_map(half, invert=True)[0, 0] == pytest.approx(0.5)


def test_a_blank_picture_has_no_ink_and_no_box():
    blank = np.full((30, 30), 128.0)
    ink = dm.ink_map(blank, invert=True)
    assert ink.max() == 0.0 and dm.ink_bounding_box(ink) is None


def test_bounding_box_is_half_open():
    ink = np.zeros((10, 12))
    ink[2:5, 3:9] = 1.0
    ink[7, 1] = 0.1  # too faint to count
    assert dm.ink_bounding_box(ink) == (2, 3, 5, 9)


@pytest.mark.parametrize("width", [4, 8, 16])
def test_stroke_width_of_a_bar(width):
    ink = np.zeros((200, 60))
    ink[20:180, 10:10 + width] = 1.0
    # 2 * area / edge = 2 * w * L / (2 L + 2 w - 4), close to w for a long bar
    assert dm.stroke_width(ink) == pytest.approx(width * 160 / (160 + width - 2), rel=1e-9)
    assert dm.stroke_width(np.zeros((5, 5))) == 0.0


def test_dilate_and_erode_are_square_max_and_min():
    ink = np.zeros((9, 9))
    ink[4, 4] = 1.0
    grown = dm.dilate(ink, 3)
    np.testing.assert_array_equal(np.argwhere(grown == 1.0).min(axis=0), [3, 3])
    np.testing.assert_array_equal(np.argwhere(grown == 1.0).max(axis=0), [5, 5])
    assert grown.sum() == 9
    np.testing.assert_array_equal(dm.erode(grown, 3), ink)
    assert dm.dilate(ink, 1) is ink
    even = dm.dilate(ink, 4)  # an even square reaches one further on one side
    assert even.sum() == 16


def test_centre_of_mass_weights_each_pixel_by_its_ink():
    ink = np.zeros((5, 7))
    ink[1, 2] = 1.0
    ink[3, 6] = 3.0
    row, col = dm.centre_of_mass(ink)
    assert row == pytest.approx((1 * 1 + 3 * 3) / 4) and col == pytest.approx((2 + 18) / 4)
    assert dm.centre_of_mass(np.zeros((4, 6))) == (1.5, 2.5)


def test_place_by_centre_of_mass_centres_and_keeps_the_digit_whole():
    digit = np.zeros((20, 10), dtype=np.uint8)
    digit[:, 4:6] = 255
    canvas = dm.place_by_centre_of_mass(digit)
    assert canvas.shape == (28, 28) and canvas.dtype == np.uint8
    row, col = dm.centre_of_mass(canvas.astype(float))
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5
    lopsided = np.zeros((20, 20), dtype=np.uint8)
    lopsided[0, 0] = 255  # centring its mass would push it off the canvas
    lopsided[19, 19] = 1
    placed = dm.place_by_centre_of_mass(lopsided)
    assert placed.sum() == lopsided.sum() and placed[8, 8] == 255 and placed[27, 27] == 1
    with pytest.raises(ValueError, match="does not fit a 28x28 canvas"):
        dm.place_by_centre_of_mass(np.zeros((29, 3)))


def test_blob_masses_counts_8_connected_blobs():
    ink = np.zeros((10, 10))
    ink[1, 1] = ink[2, 2] = 1.0  # diagonal neighbours: one blob
    ink[6:8, 6:9] = 0.5
    ink[0, 9] = 0.1  # below the ink threshold
    assert dm.blob_masses(ink) == [3.0, 2.0]
    assert dm.blob_masses(np.zeros((3, 3))) == []
