"""The train / evaluate / predict / info commands, end to end, and their error paths."""

import re

import numpy as np
import pytest
from conftest import require_file

from glassnet import io
from glassnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_evaluate_info_on_moons(tmp_path, capsys):
    model = tmp_path / "moons.safetensors"
    code, out, _ = run(capsys, "train", "moons", "--hidden", "16", "--epochs", "30",
                       "--lr", "0.01", "--batch-size", "32", "-o", model)
    assert code == 0, out
    test_acc = float(re.search(r"test loss [\d.]+\s+accuracy ([\d.]+)", out).group(1))
    assert test_acc > 0.9
    assert model.is_file() and io.model_info(model)["metadata"]["dataset"] == "moons"
    assert re.search(r"epoch 30/30\s+loss", out)

    code, out, _ = run(capsys, "evaluate", model)
    assert code == 0
    assert f"accuracy {test_acc:.4f}" in out  # the same figure as at the end of training
    matrix = [ln.split() for ln in out.splitlines() if re.match(r"^\s+[01]\s+\d+\s+\d+$", ln)]
    assert len(matrix) == 2 and sum(int(v) for row in matrix for v in row[1:]) == 500

    code, out, _ = run(capsys, "info", model)
    assert code == 0 and "Dense(n_in=2, n_out=16" in out and "Adam(lr=0.01" in out


@pytest.mark.data
def test_train_on_book_csv_then_predict_csv_and_png(tmp_path, capsys, shared_data):
    pytest.importorskip("matplotlib", reason="--plots needs the 'plot' extra")
    pytest.importorskip("PIL", reason="predicting a PNG needs the 'images' extra")
    csv = require_file(shared_data / "rashid-csv" / "mnist_train_100.csv")
    test_csv = require_file(shared_data / "rashid-csv" / "mnist_test_10.csv")
    model = tmp_path / "digits.safetensors"
    code, out, _ = run(capsys, "train", csv, "--hidden", "64", "--epochs", "20",
                       "--scale", "book", "-o", model, "--plots", tmp_path / "plots")
    assert code == 0, out
    assert (tmp_path / "plots" / "history.png").is_file()
    assert (tmp_path / "plots" / "weights.png").is_file()
    assert (tmp_path / "plots" / "imagined.png").is_file()  # ReLU: activation maximisation
    assert (tmp_path / "plots" / "units.png").is_file()  # what first-layer units respond to

    code, out, _ = run(capsys, "predict", model, test_csv)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 10 and lines[0].startswith("mnist_test_10.csv:1: ")

    from PIL import Image

    from glassnet.datasets import read_digits_csv

    pixels, labels = read_digits_csv(test_csv)
    png = tmp_path / "digit.png"
    Image.fromarray(255 - pixels[0].reshape(28, 28)).save(png)  # dark ink on white paper
    code, out, _ = run(capsys, "predict", model, png, "--top", "2")
    assert code == 0
    label = int(re.match(rf"{re.escape(str(png))}: (\d)", out).group(1))
    assert 0 <= label <= 9
    assert len(re.findall(r"\d:[01]\.\d{3}", out)) == 2


@pytest.mark.slow
@pytest.mark.data
def test_fashion_mnist_reaches_85_percent(tmp_path, capsys, shared_data):
    folder = shared_data / "fashion-mnist"
    require_file(folder / "train-images-idx3-ubyte.gz")
    model = tmp_path / "fm.safetensors"
    code, out, _ = run(capsys, "train", "fashion-mnist", "--data-dir", folder, "--no-download",
                       "--hidden", "256,128", "--epochs", "4", "-o", model)
    assert code == 0, out
    acc = float(re.search(r"test loss [\d.]+\s+accuracy ([\d.]+)", out).group(1))
    assert acc >= 0.85
    code, out, _ = run(capsys, "evaluate", model, "--data-dir", folder, "--no-download")
    assert code == 0 and f"accuracy {acc:.4f}" in out


def test_missing_model_file_exits_1(tmp_path, capsys):
    code, _, err = run(capsys, "info", tmp_path / "nope.safetensors")
    assert code == 1
    assert err.startswith("glassnet info: error:") and "nope.safetensors" in err
    assert len(err.strip().splitlines()) == 1


def test_corrupt_model_file_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model at all")
    code, _, err = run(capsys, "evaluate", bad, "moons")
    assert code == 1 and "not a glassnet model" in err


def test_unknown_data_set_exits_1(tmp_path, capsys):
    code, _, err = run(capsys, "train", "imagenet", "-o", tmp_path / "m.safetensors")
    assert code == 1 and "unknown data set 'imagenet'" in err and "fashion-mnist" in err


def test_missing_image_data_says_where_it_looked(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    code, _, err = run(capsys, "train", "mnist", "--data-dir", tmp_path / "empty",
                       "--no-download", "-o", tmp_path / "m.safetensors")
    assert code == 1 and str(tmp_path / "empty") in err
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("argv", [
    ["train"],
    ["train", "moons", "--hidden", "0"],
    ["train", "moons", "--hidden", "a,b"],
    ["train", "moons", "--optimizer", "adagrad"],
    ["predict", "model.safetensors"],
    ["evaluate"],
    ["frobnicate"],
])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["demo", "train", "evaluate", "predict", "info"])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: glassnet {command}" in capsys.readouterr().out


def test_bad_hyper_parameter_is_a_runtime_error_naming_it(tmp_path, capsys):
    code, _, err = run(capsys, "train", "moons", "--lr", "-1", "-o", tmp_path / "m.safetensors")
    assert code == 1 and "lr must be > 0" in err


def test_demo_writes_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the pictures need the 'plot' extra")
    code, out, _ = run(capsys, "demo", "--epochs", "5", "--samples", "200",
                       "--out-dir", tmp_path / "pics")
    assert code == 0
    for name in ("moons-boundary.png", "moons-history.png"):
        data = (tmp_path / "pics" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    assert np.all([name in out for name in ("moons-boundary.png", "moons-history.png")])


def test_without_matplotlib_demo_says_how_to_get_pictures(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, out, _ = run(capsys, "demo", "--epochs", "2", "--samples", "100",
                       "--out-dir", tmp_path / "pics")
    assert code == 0 and "pip install 'glassnet[plot]'" in out
    assert not (tmp_path / "pics").exists()  # no empty folder left behind
    code, _, err = run(capsys, "train", "moons", "--epochs", "1", "--plots", tmp_path / "p",
                       "-o", tmp_path / "m.safetensors")
    assert code == 1 and "pip install 'glassnet[plot]'" in err
    assert not (tmp_path / "m.safetensors").exists()  # refused before training, not after


def test_evaluate_regenerates_the_toy_data_it_was_trained_on(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    code, out, _ = run(capsys, "train", "moons", "--seed", "1", "--noise", "0.4", "--hidden",
                       "8", "--epochs", "5", "-o", model)
    assert code == 0
    test_acc = re.search(r"test loss [\d.]+\s+accuracy ([\d.]+)", out).group(1)
    code, out, _ = run(capsys, "evaluate", model)
    assert code == 0 and f"accuracy {test_acc}" in out


def test_output_path_is_checked_before_training(tmp_path, capsys):
    code, out, err = run(capsys, "train", "moons", "-o", tmp_path / "missing" / "m.safetensors")
    assert code == 1 and "does not exist" in err and "epoch" not in out
    code, out, err = run(capsys, "train", "moons", "-o", tmp_path)
    assert code == 1 and "is a folder" in err and "epoch" not in out


def test_the_books_loss_still_trains_a_classifier(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    code, out, _ = run(capsys, "train", "moons", "--loss", "sse", "--epochs", "3",
                       "-o", model)
    assert code == 0 and re.search(r"test loss [\d.]+\s+accuracy", out)
    code, out, _ = run(capsys, "evaluate", model)
    assert "confusion matrix" in out


@pytest.mark.data
def test_csv_scores_are_labelled_as_training_scores(tmp_path, capsys, shared_data):
    csv = require_file(shared_data / "rashid-csv" / "mnist_train_100.csv")
    code, out, _ = run(capsys, "train", csv, "--epochs", "1", "-o", tmp_path / "m.safetensors")
    assert code == 0 and "training-set (no separate test data)" in out
    # early stopping validates on a split of the training rows (the CSV has no other)
    code, out, _ = run(capsys, "train", csv, "--early-stopping", "2", "--epochs", "2",
                       "-o", tmp_path / "n.safetensors")
    assert code == 0 and "validation: 10% of the training data" in out
