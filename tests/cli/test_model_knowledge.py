"""A model keeps what the command line stored (data set, scaling, class names) across
load, fit and save, and info, predict and evaluate say what it knows."""

import re

import numpy as np

from glassnet import io
from glassnet.cli import main
from glassnet.datasets import make_moons, write_digits_csv


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_load_fit_save_keeps_what_evaluate_needs(tmp_path, capsys):
    model = tmp_path / "moons.safetensors"
    code, out, _ = run(capsys, "train", "moons", "--hidden", "8", "--epochs", "3",
                       "-o", model)
    assert code == 0, out
    again = io.load(model)
    X, y = make_moons(200, noise=0.2, seed=5)
    again.fit(X, y, epochs=1, verbose=0)  # a fit in between
    resaved = io.save(again, tmp_path / "resaved.safetensors")
    assert io.model_info(resaved)["metadata"] == io.model_info(model)["metadata"]
    code, out, _ = run(capsys, "evaluate", resaved)
    assert code == 0 and re.search(r"moons \(test, \d+ samples\): loss", out)
    assert "the model knows its data set moons; evaluating on moons" in out
    code, out, _ = run(capsys, "info", resaved)
    assert code == 0 and "the model knows its data set moons" in out
    assert "integrity: SHA-256 per tensor checked" in out


def test_predict_and_info_say_what_a_bare_model_does_not_record(tmp_path, capsys):
    rng = np.random.default_rng(0)
    write_digits_csv(tmp_path / "d.csv", rng.integers(0, 256, (20, 784), dtype=np.uint8),
                     np.arange(20) % 10)
    trained = tmp_path / "m.safetensors"
    assert main(["train", str(tmp_path / "d.csv"), "--epochs", "1", "--hidden", "8",
                 "-o", str(trained)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "predict", trained, tmp_path / "d.csv")
    assert code == 0 and "note: the model knows its data set" in err and "10 class names" in err
    bare = io.load(trained)
    bare.metadata = {}  # as a model saved from the library without notes
    path = io.save(bare, tmp_path / "bare.safetensors")
    code, out, err = run(capsys, "predict", path, tmp_path / "d.csv")
    assert code == 0 and out.count("\n") == 20
    assert ("note: the model file records nothing of its training data; it does not record "
            "its data set, input scaling, class names; assuming input scaling 'unit'") in err
    code, out, _ = run(capsys, "info", path)
    assert "records nothing of its training data" in out
    code, _, err = run(capsys, "evaluate", path)
    assert code != 0 and "name the data set" in err and "does not record its data set" in err


def test_a_diverged_model_is_refused_by_predict_and_evaluate_and_shown_by_info(
        tmp_path, capsys):
    model = tmp_path / "moons.safetensors"
    assert main(["train", "moons", "--hidden", "4", "--epochs", "1", "-o", str(model)]) == 0
    net = io.load(model)
    net.layers[0].params["W"][0, 0] = np.nan
    diverged = io.save(net, tmp_path / "diverged.safetensors", allow_non_finite=True)
    capsys.readouterr()
    code, _, err = run(capsys, "evaluate", diverged)
    assert code == 1 and str(diverged) in err and "NaN or infinity" in err
    code, out, _ = run(capsys, "info", diverged)
    assert code == 0 and "warning: the weights ['0.W'] hold NaN or infinity" in out
