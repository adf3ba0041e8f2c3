"""image_to_input in both modes, and the errors of opening pictures.

The MNIST-style steps are tested in test_images_mnist_style.py."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from glassnet.datasets.images import image_to_input
from glassnet.errors import DataFormatError

try:
    from PIL import Image, ImageDraw
except ImportError:  # the install-hint test below still runs
    Image = ImageDraw = None

needs_pillow = pytest.mark.skipif(Image is None, reason="Pillow is not installed")


def stroke_picture(size=(56, 56), paper=255, ink=20, mode="L"):
    """A vertical bar of dark ink in the middle of light paper, like a drawn digit 1."""
    img = Image.new("L", size, paper)
    w, h = size
    ImageDraw.Draw(img).rectangle([w // 2 - 4, h // 7, w // 2 + 3, h - h // 7 - 1], fill=ink)
    return img.convert(mode)


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "one.png"
    stroke_picture().save(path)
    return path


@needs_pillow
def test_shape_range_and_dtype_with_book_scale(png):
    x = image_to_input(png)
    assert x.shape == (784,)
    assert x.dtype == np.float32
    assert x.min() >= 0.01 - 1e-7 and x.max() <= 1.0 + 1e-7
    assert x.min() == pytest.approx(0.01)  # white paper is the lowest input


@needs_pillow
def test_ink_becomes_high_and_paper_low(png):
    image = image_to_input(png, scale="unit").reshape(28, 28)
    # the bar covers columns 12..15 and rows 4..23 after halving the 56x56 picture
    assert image[10:18, 13:15].min() > 0.85  # dark ink (20) becomes about 1 - 20/255
    assert image[:, :8].max() == 0.0 and image[:, 20:].max() == 0.0
    assert image[0].max() == 0.0 and image[-1].max() == 0.0


@needs_pillow
def test_none_scale_gives_inverted_uint8(png):
    raw = image_to_input(png, scale="none")
    assert raw.dtype == np.uint8
    unit = image_to_input(png, scale="unit", dtype=np.float64)
    np.testing.assert_allclose(unit, raw / 255.0)
    book = image_to_input(png, scale="book", dtype=np.float64)
    np.testing.assert_allclose(book, raw / 255.0 * 0.99 + 0.01)


@needs_pillow
def test_plain_mode_only_inverts_a_28x28_picture(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(28, 28), dtype=np.uint8)
    pixels[0, :] = 255  # a white border, so the paper colour is white
    pixels[-1, :] = pixels[:, 0] = pixels[:, -1] = 255
    Image.fromarray(pixels).save(tmp_path / "p.png")
    np.testing.assert_array_equal(image_to_input(tmp_path / "p.png", scale="none",
                                                 preprocess="plain"),
                                  255 - pixels.reshape(-1))  # fmt: skip


@needs_pillow
def test_pil_image_and_path_give_the_same_input(png):
    with Image.open(png) as img:
        from_image = image_to_input(img)
    np.testing.assert_array_equal(from_image, image_to_input(str(png)))


@needs_pillow
def test_wide_picture_keeps_its_aspect_and_is_centred(tmp_path):
    path = tmp_path / "wide.png"
    img = Image.new("L", (100, 50), 255)  # twice as wide as tall,
    ImageDraw.Draw(img).rectangle([1, 1, 98, 48], fill=0)  # ink inside a thin white margin
    img.save(path)
    image = image_to_input(path, scale="unit", preprocess="plain").reshape(28, 28)
    ink_rows = np.flatnonzero(image.max(axis=1) > 0.5)
    assert ink_rows.min() == 7 and ink_rows.max() == 20  # 14 rows, centred
    assert (image[10, :] > 0.5).all()  # full width


@needs_pillow
def test_off_white_paper_becomes_the_background(tmp_path):
    path = tmp_path / "grey.jpg"
    stroke_picture(size=(40, 80), paper=220).save(path)  # tall: padding on the sides
    image = image_to_input(path, scale="none", preprocess="plain").reshape(28, 28)
    # padding takes the paper's colour, so the sides match the paper left in the picture
    assert abs(int(image[14, 0]) - (255 - 220)) <= 3
    assert abs(int(image[0, 14]) - (255 - 220)) <= 3


@needs_pillow
def test_rgb_and_transparent_pictures(tmp_path):
    stroke_picture(mode="RGB").save(tmp_path / "rgb.png")
    grey = image_to_input(tmp_path / "rgb.png")
    rgba = Image.new("RGBA", (56, 56), (0, 0, 0, 0))  # transparent black "paper"
    ImageDraw.Draw(rgba).rectangle([24, 8, 31, 47], fill=(20, 20, 20, 255))
    rgba.save(tmp_path / "rgba.png")
    clear = image_to_input(tmp_path / "rgba.png")
    assert clear.min() == pytest.approx(0.01)  # transparent counts as paper, not as ink
    np.testing.assert_allclose(clear, grey, atol=0.02)


def test_missing_pillow_gives_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[images\]'"):
        image_to_input(tmp_path / "any.png")


@needs_pillow
def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture")
    with pytest.raises(DataFormatError, match="not an image"):
        image_to_input(path)


@needs_pillow
def test_bad_arguments(png):
    with pytest.raises(TypeError, match="file path or a PIL.Image"):
        image_to_input(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="scale"):
        image_to_input(png, scale="percent")
    with pytest.raises(FileNotFoundError):
        image_to_input(png.parent / "absent.png")
