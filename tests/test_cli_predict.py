"""glassnet predict on pictures: --invert/--no-invert, --preprocess, --show, warnings;
and the data-not-found message in the command line's own terms."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.datasets import preprocess_image, write_digits_csv

PIL = pytest.importorskip("PIL", reason="Pillow is not installed")
from PIL import Image, ImageDraw  # noqa: E402


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A small engine model trained on a generated CSV (what it predicts is not the point)."""
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 784), dtype=np.uint8)
    write_digits_csv(folder / "d.csv", X, np.arange(40) % 10)
    assert main(["train", str(folder / "d.csv"), "--epochs", "1", "--hidden", "8",
                 "-o", str(folder / "m.safetensors")]) == 0
    return folder / "m.safetensors"


def seven(path, *, dark_on_light=True, size=200):
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    img = Image.new("L", (size, size), paper)
    ImageDraw.Draw(img).line([(50, 40), (150, 40), (90, 170)], fill=ink, width=14)
    img.save(path)
    return path


def test_show_writes_the_28x28_the_network_sees(tmp_path, capsys, model):
    picture = seven(tmp_path / "seven.png")
    shown = tmp_path / "seen.png"
    code, out, err = run(capsys, "predict", model, picture, "--show", shown)
    assert code == 0 and out.startswith(f"{picture}: ")
    assert f"the network sees {shown} (inverted)" in err
    with Image.open(shown) as img:
        seen = np.asarray(img)[::10, ::10]
    np.testing.assert_array_equal(seen, preprocess_image(picture).pixels)


def test_invert_and_no_invert_override_the_background(tmp_path, capsys, model):
    light_on_dark = seven(tmp_path / "mnist-like.png", dark_on_light=False)
    code, _, err = run(capsys, "predict", model, light_on_dark, "--show", tmp_path / "a.png")
    assert code == 0 and "(inverted)" not in err
    code, _, err = run(capsys, "predict", model, light_on_dark, "--invert",
                       "--show", tmp_path / "b.png")
    assert code == 0 and "(inverted)" in err
    dark_on_light = seven(tmp_path / "paper.png")
    code, _, err = run(capsys, "predict", model, dark_on_light, "--no-invert",
                       "--show", tmp_path / "c.png")
    assert code == 0 and "(inverted)" not in err
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "c.png") as c:
        assert not np.array_equal(np.asarray(a), np.asarray(c))  # white paper read as ink


def test_plain_preprocessing_and_several_pictures_into_a_folder(tmp_path, capsys, model):
    pictures = [seven(tmp_path / "one.png"), seven(tmp_path / "two.png", size=300)]
    folder = tmp_path / "seen"
    code, out, _ = run(capsys, "predict", model, *pictures, "--preprocess", "plain",
                       "--show", folder)
    assert code == 0 and len(out.strip().splitlines()) == 2
    for picture in pictures:
        with Image.open(folder / f"{picture.stem}.seen.png") as img:
            seen = np.asarray(img)[::10, ::10]
        np.testing.assert_array_equal(
            seen, preprocess_image(picture, preprocess="plain").pixels)


def test_show_refuses_what_it_cannot_do(tmp_path, capsys, model):
    pictures = [seven(tmp_path / "one.png"), seven(tmp_path / "two.png")]
    code, _, err = run(capsys, "predict", model, *pictures, "--show", pictures[0])
    assert code == 1 and "is a file, but there are 2 pictures" in err
    code, _, err = run(capsys, "predict", model, pictures[0],
                       "--show", tmp_path / "missing" / "x.png")
    assert code == 1 and "does not exist" in err


def test_pictures_unlike_the_training_data_are_warned_about(tmp_path, capsys, model):
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    code, out, err = run(capsys, "predict", model, blank)
    assert code == 0 and out.startswith(f"{blank}: ")  # still answered, but
    assert f"warning: {blank}: no ink found" in err


def test_a_broken_picture_is_one_line_naming_it(tmp_path, capsys, model):
    broken = tmp_path / "broken.png"
    seven(tmp_path / "good.png")
    broken.write_bytes((tmp_path / "good.png").read_bytes()[:200])
    code, _, err = run(capsys, "predict", model, broken)
    assert code == 1 and "broken.png" in err and len(err.strip().splitlines()) == 1


def test_data_not_found_speaks_of_the_options(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    code, _, err = run(capsys, "train", "fashion-mnist", "--data-dir", tmp_path / "empty",
                       "--no-download", "-o", tmp_path / "m.safetensors")
    assert code == 1
    assert f"--data-dir ({tmp_path / 'empty'}): no such folder" in err
    assert "To fix: give --data-dir" in err and "leave out --data-dir" in err
    assert "path=" not in err and "download=True" not in err and "download=False" not in err
    # without --data-dir, every place is searched and the fixes name the options
    code, _, err = run(capsys, "train", "fashion-mnist", "--no-download",
                       "-o", tmp_path / "m.npz")
    assert code == 1 and "not attempted (--no-download)" in err
    assert "To fix: give --data-dir" in err and "leave out --no-download" in err
    assert "path=" not in err and "download=True" not in err and "download=False" not in err


@pytest.mark.data
def test_a_fashion_picture_saved_as_stored_reads_as_the_stored_one(tmp_path, capsys,
                                                                   shared_data):
    from conftest import require_file

    from glassnet import io
    from glassnet.datasets import load_fashion_mnist

    folder = shared_data / "fashion-mnist"
    require_file(folder / "t10k-images-idx3-ubyte.gz")
    model = tmp_path / "fm.safetensors"
    assert main(["train", "fashion-mnist", "--data-dir", str(shared_data), "--no-download",
                 "--samples", "2000", "--epochs", "2", "-o", str(model)]) == 0
    X, _ = load_fashion_mnist(folder, split="test", scale="none", download=False)
    paths = []
    for i in range(5):  # light garments on black, as the data set stores them
        paths.append(tmp_path / f"garment{i}.png")
        Image.fromarray(X[i].reshape(28, 28)).save(paths[-1])
    capsys.readouterr()
    code, out, _ = run(capsys, "predict", model, *paths, "--top", "1")
    assert code == 0
    read = [int(line.split(": ")[1].split()[0]) for line in out.strip().splitlines()]
    expected = io.load(model).predict(X[:5] / np.float32(255))
    assert read == expected.tolist()


def test_data_dir_may_be_the_folder_that_holds_the_data_sets(tmp_path):
    from glassnet.cli.data import _data_folder

    (tmp_path / "mnist").mkdir()
    assert _data_folder(str(tmp_path), "mnist") == str(tmp_path / "mnist")
    assert _data_folder(str(tmp_path), "fashion-mnist") == str(tmp_path)  # no such subfolder
    (tmp_path / "t10k-images-idx3-ubyte.gz").touch()  # the files themselves are here
    assert _data_folder(str(tmp_path), "mnist") == str(tmp_path)
    assert _data_folder(None, "mnist") is None
