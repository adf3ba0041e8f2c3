"""preprocess_image(preprocess="mnist"): pictures of your own prepared the way MNIST's were.

The learning checks (marked data) train a small network on 8,000 MNIST test
digits and read the other 2,000 redrawn as a person would draw them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import require_file, shared_data_dir

from glassnet.datasets import digit_maths as dm
from glassnet.datasets.images import PreparedImage, image_to_input, preprocess_image
from glassnet.errors import DataFormatError, InputWarning

PIL = pytest.importorskip("PIL", reason="Pillow is not installed (pip install 'glassnet[images]')")
from PIL import Image, ImageDraw  # noqa: E402


def draw_digit(digit, *, side=400, width=22, ink=30, paper=255, offset=(0, 0), mode="L"):
    """A digit drawn with Pillow's lines and ellipses, dark on light, as a person would."""
    img = Image.new("L", (side, side), paper)
    pen = ImageDraw.Draw(img)
    s, (dx, dy) = side / 400, offset

    def at(*points):
        return [(dx + x * s, dy + y * s) for x, y in points]

    w = max(1, round(width * s))
    if digit == 0:
        pen.ellipse(at((130, 90), (260, 310)), outline=ink, width=w)
    elif digit == 1:
        pen.line(at((210, 80), (200, 320)), fill=ink, width=w)
        pen.line(at((170, 120), (210, 80)), fill=ink, width=w)
    elif digit == 4:
        pen.line(at((230, 80), (130, 240), (270, 240)), fill=ink, width=w, joint="curve")
        pen.line(at((240, 160), (240, 330)), fill=ink, width=w)
    elif digit == 7:
        pen.line(at((120, 90), (280, 90), (180, 320)), fill=ink, width=w, joint="curve")
    else:
        raise ValueError(f"no drawing of {digit}")
    return img.convert(mode)


def ink_rows_cols(pixels, level=64):
    rows = np.flatnonzero((pixels >= level).any(axis=1))
    cols = np.flatnonzero((pixels >= level).any(axis=0))
    return rows, cols


def test_a_small_digit_off_centre_fills_20x20_centred_by_mass():
    prepared = preprocess_image(draw_digit(7, side=600, offset=(-100, 80)))
    assert isinstance(prepared, PreparedImage) and prepared.inverted
    assert prepared.pixels.shape == (28, 28) and prepared.pixels.dtype == np.uint8
    assert prepared.warnings == ()
    rows, cols = ink_rows_cols(prepared.pixels, level=1)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21)  # Lanczos may ring a pixel
    row, col = dm.centre_of_mass(prepared.pixels.astype(float))
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5
    assert prepared.pixels.max() == 255 and prepared.pixels[0].max() == 0


def test_the_same_digit_anywhere_and_any_size_reads_the_same():
    reference = preprocess_image(draw_digit(4)).pixels.astype(float)
    for kwargs in ({"side": 800}, {"offset": (-90, 60)}, {"side": 300}):
        other = preprocess_image(draw_digit(4, **kwargs)).pixels.astype(float)
        assert np.corrcoef(reference.ravel(), other.ravel())[0, 1] > 0.95, kwargs


def test_inversion_is_decided_by_the_background_unless_given():
    dark_on_light = draw_digit(1)
    light_on_dark = Image.fromarray(255 - np.asarray(dark_on_light))
    a, b = preprocess_image(dark_on_light), preprocess_image(light_on_dark)
    assert a.inverted and not b.inverted
    np.testing.assert_array_equal(a.pixels, b.pixels)
    forced = preprocess_image(light_on_dark, invert=True)  # told wrong: paper read as ink
    assert forced.inverted and not np.array_equal(forced.pixels, b.pixels)
    assert not preprocess_image(light_on_dark, invert=False).inverted
    with pytest.raises(TypeError, match="invert must be None, True or False"):
        preprocess_image(light_on_dark, invert="yes")
    with pytest.raises(ValueError, match="unknown preprocess 'fancy'"):
        preprocess_image(light_on_dark, preprocess="fancy")


def test_a_stored_fashion_style_picture_is_not_inverted_in_plain_mode():
    garment = np.zeros((28, 28), dtype=np.uint8)
    garment[4:24, 6:22] = 180  # light garment on black, as Fashion-MNIST stores it
    prepared = preprocess_image(Image.fromarray(garment), preprocess="plain")
    assert not prepared.inverted
    np.testing.assert_array_equal(prepared.pixels, garment)


def test_colour_and_grey_paper_read_like_black_on_white():
    reference = preprocess_image(draw_digit(7)).pixels.astype(float)
    blue = Image.new("RGB", (400, 400), (250, 245, 235))  # cream paper, blue ballpoint
    mask = draw_digit(7).point(lambda v: 255 if v < 128 else 0)
    blue.paste((20, 40, 160), mask=mask)
    grey_photo = draw_digit(7, ink=70, paper=180)
    for picture in (blue, grey_photo):
        pixels = preprocess_image(picture).pixels.astype(float)
        assert np.corrcoef(reference.ravel(), pixels.ravel())[0, 1] > 0.97


def test_transparency_is_laid_on_paper_that_contrasts_with_the_ink():
    reference = preprocess_image(draw_digit(0)).pixels
    alpha = 255 - np.asarray(draw_digit(0))  # opaque where the ink is
    for ink in (0, 255):  # dark ink, then light ink, on a see-through sheet
        rgba = np.zeros((400, 400, 4), dtype=np.uint8)
        rgba[..., :3] = ink
        rgba[..., 3] = alpha
        prepared = preprocess_image(Image.fromarray(rgba, mode="RGBA"))
        assert prepared.inverted == (ink == 0)
        assert np.abs(prepared.pixels.astype(int) - reference).max() <= 2


def test_exif_rotation_is_undone(tmp_path):
    upright = draw_digit(7, side=200)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a sideways camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    stored.save(tmp_path / "photo.jpg", exif=exif, quality=95)
    reference = preprocess_image(upright).pixels.astype(float)
    pixels = preprocess_image(tmp_path / "photo.jpg").pixels.astype(float)
    assert np.corrcoef(reference.ravel(), pixels.ravel())[0, 1] > 0.95


def test_a_thin_pen_is_thickened_to_an_mnist_stroke():
    normal = preprocess_image(draw_digit(7)).pixels
    thin = preprocess_image(draw_digit(7, width=3)).pixels
    # shrunk as drawn, a 3 px line on 400 px would keep about a fifth of the strong ink
    ratio = (thin >= 128).sum() / (normal >= 128).sum()
    assert 0.6 < ratio < 2.5, ratio
    # and the strokes lie where the normal pen's do, give or take a pixel
    near_normal, near_thin = (dm.dilate(p.astype(float), 3).ravel() for p in (normal, thin))
    assert np.corrcoef(near_normal, near_thin)[0, 1] > 0.75


def test_a_marker_beyond_mnists_strokes_is_thinned(monkeypatch):
    marker = draw_digit(7, side=800, width=200)  # a 400 px marker
    thinned = preprocess_image(marker).pixels
    monkeypatch.setattr(dm, "erode", lambda ink, size: ink)  # what it would be without
    as_drawn = preprocess_image(marker).pixels
    assert (thinned >= 128).sum() < 0.8 * (as_drawn >= 128).sum()
    normal = preprocess_image(draw_digit(7)).pixels
    assert (thinned >= 128).sum() < 2.5 * (normal >= 128).sum()


def test_warnings_for_pictures_unlike_the_training_data():
    blank = preprocess_image(Image.new("L", (100, 100), 255))
    assert blank.pixels.max() == 0 and "no ink found" in blank.warnings[0]
    speck = Image.new("L", (500, 500), 255)
    ImageDraw.Draw(speck).ellipse([240, 240, 243, 243], fill=0)
    assert any("nearly empty" in w for w in preprocess_image(speck).warnings)
    cut = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(cut).line([(100, 0), (100, 150)], fill=0, width=12)
    assert any("touches the edge" in w for w in preprocess_image(cut).warnings)
    two = draw_digit(1)
    ImageDraw.Draw(two).ellipse([40, 40, 110, 110], fill=0)
    assert any("2 separate blobs" in w for w in preprocess_image(two).warnings)
    assert preprocess_image(draw_digit(0)).warnings == ()


def test_image_to_input_issues_the_warnings_and_returns_the_preview(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(path)
    with pytest.warns(InputWarning, match=r"blank\.png: no ink found"):
        x, prepared = image_to_input(path, scale="unit", return_preview=True)
    assert x.shape == (784,) and x.max() == 0.0 and prepared.pixels.max() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = image_to_input(draw_digit(1), scale="none")
    np.testing.assert_array_equal(x, preprocess_image(draw_digit(1)).pixels.ravel())


def test_preview_saves_an_enlarged_picture(tmp_path):
    prepared = preprocess_image(draw_digit(4))
    path = prepared.save(tmp_path / "seen.png", zoom=5)
    with Image.open(path) as img:
        assert img.size == (140, 140)
        np.testing.assert_array_equal(np.asarray(img)[::5, ::5], prepared.pixels)
    with pytest.raises(ValueError, match="zoom must be a positive integer"):
        prepared.save(tmp_path / "x.png", zoom=0)


def test_truncated_huge_and_empty_pictures_are_data_format_errors(tmp_path, monkeypatch):
    good = tmp_path / "good.png"
    draw_digit(7).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DataFormatError, match=r"truncated\.png: the image file is damaged"):
        preprocess_image(truncated)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 400x400 is then over twice as many
    with pytest.raises(DataFormatError, match=r"good\.png: the picture is too large to decode"):
        preprocess_image(good)
    monkeypatch.undo()
    with pytest.raises(DataFormatError, match=r"the picture is empty \(0x0 pixels\)"):
        preprocess_image(Image.new("L", (0, 0)))


# --- learning checks on real digits -------------------------------------------------------

def redraw(pixels, rng, side=280):
    """An MNIST digit as a person draws it: dark on white, 30-70% of a big canvas, anywhere."""
    size = int(side * rng.uniform(0.3, 0.7))
    digit = Image.fromarray(255 - pixels.reshape(28, 28)).resize(
        (size, size), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (side, side), 255)
    canvas.paste(digit, (int(rng.integers(0, side - size + 1)),
                         int(rng.integers(0, side - size + 1))))
    return canvas


@pytest.fixture(scope="module")
def digits_and_network():
    """A 784-256-10 network trained (seeded) on 8,000 MNIST test digits, and the other 2,000."""
    import glassnet
    from glassnet.datasets import load_mnist

    folder = shared_data_dir() / "mnist"
    require_file(folder / "t10k-images-idx3-ubyte.gz")
    X, y = load_mnist(folder, split="test", scale="none", download=False)
    net = glassnet.mlp([784, 256, 10], seed=0)
    net.fit(X[:8000] / np.float32(255), y[:8000], optimizer=glassnet.optimizers.Adam(1e-3),
            epochs=8, batch_size=64, seed=0, verbose=0)
    return X[8000:], y[8000:], net


@pytest.mark.data
@pytest.mark.slow
def test_redrawn_mnist_digits_read_within_2_points_of_the_stored_ones(digits_and_network):
    X, y, net = digits_and_network
    n = 1000
    rng = np.random.default_rng(7)
    stored = net.evaluate(X[:n] / np.float32(255), y[:n])["accuracy"]
    pictures = [redraw(x, rng) for x in X[:n]]
    # a few digits are broken or blotchy, and are reported so: the warnings are not the test
    prepared = np.stack([preprocess_image(p).pixels.ravel() for p in pictures]) / 255
    plain = np.stack([preprocess_image(p, preprocess="plain").pixels.ravel()
                      for p in pictures]) / 255
    redrawn = net.evaluate(prepared, y[:n])["accuracy"]
    unprepared = net.evaluate(plain, y[:n])["accuracy"]
    print(f"stored {stored:.4f}  redrawn, MNIST-style {redrawn:.4f}  "
          f"redrawn, plain {unprepared:.4f}")
    assert stored > 0.93
    assert redrawn >= stored - 0.02
    assert unprepared < 0.5  # the picture as a whole, shrunk, is not what the network knows


@pytest.fixture
def hand_drawn_pngs(tmp_path):
    """Four digits drawn with Pillow and saved as PNGs, each in its own style."""
    styles = {0: {}, 1: {"side": 600, "width": 8, "offset": (120, -40)},
              4: {"ink": 80, "paper": 200}, 7: {"side": 300, "width": 40, "mode": "RGB"}}
    paths = {}
    for digit, style in styles.items():
        paths[digit] = tmp_path / f"hand-{digit}.png"
        draw_digit(digit, **style).save(paths[digit])
    return paths


@pytest.mark.data
@pytest.mark.slow
def test_hand_drawn_digits_are_read_correctly(digits_and_network, hand_drawn_pngs):
    _, _, net = digits_and_network
    for digit, path in hand_drawn_pngs.items():
        proba = net.predict_proba(image_to_input(path, scale="unit")[None])[0]
        assert int(proba.argmax()) == digit, (digit, np.round(proba, 3))
