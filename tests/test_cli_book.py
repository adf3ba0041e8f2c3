"""glassnet train --book, the options train refuses, its per-data-set defaults and labels."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import require_file

from glassnet import io
from glassnet.classic import NeuralNetwork, neuralNetwork
from glassnet.cli import main
from glassnet.datasets import write_digits_csv


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def digits_csv(tmp_path):
    """60 'digits': label k lights up a band of rows of its own (learnable, and small)."""
    rng = np.random.default_rng(0)
    y = np.arange(60) % 10
    X = rng.integers(0, 40, size=(60, 784), dtype=np.uint8)
    for i, label in enumerate(y):
        X[i, label * 78:(label + 1) * 78] = 250
    path = tmp_path / "digits.csv"
    write_digits_csv(path, X, y)
    return path, X, y


def test_book_trains_exactly_the_books_network(tmp_path, capsys, digits_csv):
    path, X, y = digits_csv
    model = tmp_path / "book.safetensors"
    code, out, err = run(capsys, "train", path, "--book", "--epochs", "2", "--seed", "3",
                         "-o", model)
    assert code == 0, err
    assert "neuralNetwork(input_nodes=784, hidden_nodes=200, output_nodes=10, " \
           "learning_rate=0.1)" in out
    assert re.search(r"epoch  2/2  train accuracy 1\.0000", out)
    saved = io.load(model)
    assert isinstance(saved, NeuralNetwork)
    # the same network trained by hand, the book's way, from the same seed
    reference = neuralNetwork(784, 200, 10, 0.1, seed=3)
    inputs = X / 255.0 * 0.99 + 0.01
    for _ in range(2):
        for x, label in zip(inputs, y, strict=True):
            targets = np.full(10, 0.01)
            targets[label] = 0.99
            reference.train(x, targets)
    np.testing.assert_allclose(saved.wih, reference.wih, rtol=0, atol=1e-6)
    np.testing.assert_allclose(saved.who, reference.who, rtol=0, atol=1e-6)
    assert io.model_info(model)["metadata"]["scale"] == "book"

    code, out, _ = run(capsys, "evaluate", model, path)
    assert code == 0 and "accuracy 1.0000" in out and "confusion matrix" in out
    code, out, _ = run(capsys, "predict", model, path, "--top", "1")
    assert code == 0
    predicted = [int(m) for m in re.findall(r"digits\.csv:\d+: (\d)", out)]
    assert predicted == y.tolist()


def test_the_books_network_reads_a_picture(tmp_path, capsys, digits_csv):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    path, X, y = digits_csv
    model = tmp_path / "book.safetensors"
    assert run(capsys, "train", path, "--book", "--epochs", "2", "-o", model)[0] == 0
    png = tmp_path / "row3.png"  # light on black, as stored: read as the row itself
    Image.fromarray(X[3].reshape(28, 28)).save(png)
    code, out, _ = run(capsys, "predict", model, png, "--preprocess", "plain", "--top", "1")
    assert code == 0 and out.startswith(f"{png}: {y[3]}")


def test_book_takes_hidden_lr_and_epochs(tmp_path, capsys, digits_csv):
    path, _, _ = digits_csv
    code, out, _ = run(capsys, "train", path, "--book", "--hidden", "30", "--lr", "0.2",
                       "--epochs", "1", "--samples", "20", "-o", tmp_path / "m.safetensors")
    assert code == 0
    assert "hidden_nodes=30" in out and "learning_rate=0.2" in out
    assert "20 training samples" in out and "epoch  1/1" in out


def test_book_plots_backquery_and_weights(tmp_path, capsys, digits_csv):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the plot extra)")
    code, _, _ = run(capsys, "train", digits_csv[0], "--book", "--epochs", "1", "--hidden", "20",
                     "-o", tmp_path / "m.safetensors", "--plots", tmp_path / "pics")
    assert code == 0
    assert (tmp_path / "pics" / "backquery.png").is_file()
    assert (tmp_path / "pics" / "weights.png").is_file()


@pytest.mark.parametrize("extra, named", [
    (["--activation", "relu"], "--activation"),
    (["--optimizer", "sgd", "--batch-size", "8"], "--optimizer, --batch-size"),
    (["--momentum", "0.9"], "--momentum"),
    (["--dropout", "0.2"], "--dropout"),
])
def test_book_refuses_what_the_book_does_not_do(tmp_path, capsys, digits_csv, extra, named):
    path, _, _ = digits_csv
    code, out, err = run(capsys, "train", path, "--book", *extra, "-o", tmp_path / "m.safetensors")
    assert code == 1 and f"it does not take {named}" in err and "epoch" not in out
    assert not (tmp_path / "m.safetensors").exists()


def test_book_refuses_two_hidden_layers_and_another_scale(tmp_path, capsys, digits_csv):
    path, _, _ = digits_csv
    code, _, err = run(capsys, "train", path, "--book", "--hidden", "64,32")
    assert code == 1 and "one hidden layer" in err
    code, _, err = run(capsys, "train", path, "--book", "--scale", "unit")
    assert code == 1 and "drop --scale unit" in err


@pytest.mark.parametrize("extra", [["--momentum", "0.9"], ["--nesterov"],
                                   ["--optimizer", "adam", "--momentum", "0.5"]])
def test_momentum_with_adam_is_refused(tmp_path, capsys, extra):
    code, out, err = run(capsys, "train", "moons", *extra, "-o", tmp_path / "m.safetensors")
    assert code == 1 and "epoch" not in out
    assert re.search(r"only appl(ies|y) to --optimizer sgd; Adam keeps", err)


def test_nesterov_needs_momentum(tmp_path, capsys):
    code, _, err = run(capsys, "train", "moons", "--optimizer", "sgd", "--nesterov",
                       "-o", tmp_path / "m.safetensors")
    assert code == 1 and "--nesterov needs --momentum" in err
    code, out, _ = run(capsys, "train", "moons", "--optimizer", "sgd", "--lr", "0.1",
                       "--momentum", "0.9", "--nesterov", "--epochs", "2",
                       "-o", tmp_path / "m.safetensors")
    assert code == 0 and "epoch 2/2" in out


@pytest.mark.parametrize("hidden", ["", "16,,8", " , "])
def test_empty_layer_sizes_are_bad_usage(capsys, hidden):
    with pytest.raises(SystemExit) as exc:
        main(["train", "moons", "--hidden", hidden])
    assert exc.value.code == 2
    assert "empty size" in capsys.readouterr().err


def test_moons_trains_well_with_the_defaults(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "moons", "--hidden", "16", "--epochs", "50",
                       "-o", tmp_path / "m.safetensors")
    assert code == 0
    assert float(re.search(r"test loss [\d.]+\s+accuracy ([\d.]+)", out).group(1)) >= 0.97
    assert "Tanh" in out  # the toy data sets' default activation


def test_labels_outside_the_digits_are_reported(tmp_path, capsys, digits_csv):
    path, X, y = digits_csv
    y = y.copy()
    y[[4, 9]] = 12
    odd = tmp_path / "odd.csv"
    write_digits_csv(odd, X, y)
    code, _, err = run(capsys, "train", odd, "--epochs", "1", "-o", tmp_path / "m.safetensors")
    assert code == 0
    assert "warning: odd.csv has labels outside 0-9 (12; 2 training samples)" in err
    assert "13 outputs" in err
    code, _, err = run(capsys, "train", digits_csv[0], "--epochs", "1",
                       "-o", tmp_path / "n.safetensors")
    assert "warning" not in err


@pytest.mark.data
def test_book_on_idx_pictures_with_the_parent_data_dir(tmp_path, capsys, shared_data):
    require_file(shared_data / "fashion-mnist" / "train-images-idx3-ubyte.gz")
    model = tmp_path / "fm.safetensors"
    code, out, err = run(capsys, "train", "fashion-mnist", "--book", "--samples", "500",
                         "--epochs", "1", "--data-dir", shared_data, "--no-download",
                         "-o", model)
    assert code == 0, err
    assert "500 training samples" in out
    test_acc = float(re.search(r"^test accuracy ([\d.]+)", out, re.M).group(1))
    assert test_acc > 0.5  # 500 pictures, one epoch: well above 10% chance
    code, out, _ = run(capsys, "evaluate", model, "--data-dir", shared_data / "fashion-mnist",
                       "--no-download", "--samples", "500")
    assert code == 0 and f"accuracy {test_acc:.4f}" in out


@pytest.mark.data
def test_the_readers_journey_with_the_books_csv_files(tmp_path, capsys, shared_data):
    train_csv = require_file(shared_data / "rashid-csv" / "mnist_train_100.csv")
    test_csv = require_file(shared_data / "rashid-csv" / "mnist_test_10.csv")
    model = tmp_path / "book.safetensors"
    code, out, _ = run(capsys, "train", train_csv, "--book", "-o", model)
    assert code == 0 and "epoch  5/5" in out and "hidden_nodes=200" in out
    code, out, _ = run(capsys, "evaluate", model, test_csv)
    assert code == 0
    accuracy = float(re.search(r"10 samples\): accuracy ([\d.]+)", out).group(1))
    assert accuracy >= 0.5  # the book's 100 digits read about 6 or 7 of its 10
