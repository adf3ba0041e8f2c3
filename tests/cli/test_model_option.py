"""``glassnet train --model cnn | lenet5``: the convolutional models from the command line,
and the options they refuse rather than ignore."""

import numpy as np
import pytest

from glassnet import io
from glassnet.cli import main
from glassnet.layers import Conv2D


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def digits_csv(path, n=40, seed=0):
    """A CSV in the book's format: a label, then 784 pixels 0-255, per line."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    pixels = rng.integers(0, 60, (n, 784))
    pixels[np.arange(n), 100 + 200 * labels] = 255   # a bright dot whose place is the label
    rows = np.column_stack([labels, pixels])
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


@pytest.mark.parametrize("model, kind", [("cnn", "MaxPool2D"), ("lenet5", "AvgPool2D")])
def test_trains_saves_and_evaluates_a_convolutional_model(model, kind, tmp_path, capsys):
    csv = digits_csv(tmp_path / "digits.csv")
    saved = tmp_path / f"{model}.safetensors"
    code, out, err = run(capsys, "train", csv, "--model", model, "--epochs", "1",
                         "--batch-size", "16", "-o", saved)
    assert code == 0, err
    assert "(None, 28, 28, 1)" in out and kind in out
    net = io.load(saved)
    assert sum(isinstance(layer, Conv2D) for layer in net.layers) == 2
    code, out, err = run(capsys, "evaluate", saved, csv)
    assert code == 0, err
    assert "accuracy" in out


@pytest.mark.parametrize("installed", [True, False])
def test_a_cnn_without_numba_says_how_to_get_the_compiled_loops(installed, tmp_path, capsys,
                                                                monkeypatch):
    import glassnet._fused as fused_module

    monkeypatch.setattr(fused_module, "numba_available", lambda: installed)
    if not installed:  # the layers' automatic choice must agree with what the note says
        import glassnet.layers._compiled as compiled
        monkeypatch.setattr(compiled, "numba_available", lambda: False)
    csv = digits_csv(tmp_path / "digits.csv")
    code, out, err = run(capsys, "train", csv, "--model", "cnn", "--epochs", "1",
                         "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    noted = [line for line in err.splitlines() if "Numba is not installed" in line]
    assert noted == ([] if installed else [
        "note: Numba is not installed, so the picture layers run their NumPy code, a few "
        "times slower; pip install 'glassnet[fast]' for their compiled loops"])


def test_cnn_takes_the_dense_head_width_and_dropout(tmp_path, capsys):
    csv = digits_csv(tmp_path / "digits.csv")
    code, out, err = run(capsys, "train", csv, "--model", "cnn", "--hidden", "16",
                         "--dropout", "0.25", "--epochs", "1", "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    assert "n_out=16" in out and "Dropout(p=0.25" in out


@pytest.mark.parametrize("argv, message", [
    (["moons", "--model", "cnn"], "reads 28x28 pictures"),
    (["mnist", "--model", "cnn", "--activation", "tanh"], "does not take --activation"),
    (["mnist", "--model", "lenet5", "--hidden", "64"], "does not take --hidden"),
    (["mnist", "--model", "cnn", "--loss", "sse"], "does not take --loss"),
    (["mnist", "--model", "cnn", "--hidden", "64,32"], "one dense hidden layer"),
    (["mnist", "--model", "lenet5", "--book"], "drop --model lenet5"),
])
def test_options_a_convolutional_model_would_ignore_are_refused(argv, message, tmp_path,
                                                               capsys):
    code, _, err = run(capsys, "train", *argv, "-o", tmp_path / "m.safetensors")
    assert code != 0 and message in err


def test_a_csv_of_other_sizes_is_refused_before_training(tmp_path, capsys):
    csv = tmp_path / "small.csv"
    csv.write_text("\n".join(f"{i % 2}," + ",".join(["7"] * 100) for i in range(10)) + "\n")
    code, _, err = run(capsys, "train", csv, "--model", "cnn", "-o", tmp_path / "m.safetensors")
    assert code != 0 and ("784" in err)
