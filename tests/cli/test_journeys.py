"""The command line as a new user meets it: toy data, exit codes, warnings, Ctrl-C,
resuming, a diverging run, and the book's test file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT

from glassnet.cli import data as cli_data
from glassnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", sorted(cli_data.TOYS))
def test_every_toy_tests_on_a_second_sample_of_its_distribution(name, tmp_path, capsys):
    code, out, err = run(capsys, "train", name, "--epochs", "30", "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    accuracy = float(re.search(r"^test loss [\d.]+  accuracy ([\d.]+)", out, re.M).group(1))
    assert accuracy > 0.85, out  # blobs scored 0.0 when its test centres were drawn anew
    assert "not scaled" not in err and "warning" not in err, err  # the tool's own data is fine


def test_blobs_train_and_test_share_their_centres():
    data = cli_data.load("blobs", samples=600, seed=3)
    for k in range(3):  # each class's mean: the same centre in both samples
        assert np.allclose(data.X_train[data.y_train == k].mean(0),
                           data.X_test[data.y_test == k].mean(0), atol=0.03)
    assert np.abs(data.X_train).max() < 2.0  # scaled to about [-1, 1]


USAGE_ERRORS = [
    (["train", "cifar"], "unknown data set 'cifar'"),
    (["train", "moons", "--activation", "swish"], "unknown --activation 'swish'"),
    (["train", "moons", "--loss", "hinge"], "unknown --loss 'hinge'"),
    (["train", "moons", "--lr", "-1"], "--lr must be above 0"),
    (["train", "moons", "--lr", "0"], "--lr must be above 0"),
    (["train", "moons", "--dropout", "1.5"], "--dropout must be at least 0 and below 1"),
    (["train", "moons", "--weight-decay", "-0.1"], "--weight-decay must be at least 0"),
    (["train", "moons", "--clip-norm", "0"], "--clip-norm must be above 0"),
    (["train", "moons", "--validation-split", "1.2"], "--validation-split is the fraction"),
    (["train", "moons", "--early-stopping", "0"], "--early-stopping takes a patience"),
    (["train", "moons", "--momentum", "0.9"], "--momentum only applies to --optimizer sgd"),
    (["train", "moons", "--epochs", "2", "--lr-schedule", "cosine", "--warmup-epochs", "2"],
     "--warmup-epochs must be in 0..1"),
    (["train", "blobs", "--noise", "0.5"], "--noise does not apply to blobs"),
    (["train", "mnist", "--noise", "0.5"], "--noise applies to the generated data sets"),
    (["train", "moons", "--noise", "-1"], "--noise must be 0 or more"),
    (["train", "moons", "--scale", "book"], "drop --scale"),
    (["train", "moons", "--test", "x.csv"], "drop --test"),
    (["train", "moons", "--book", "--activation", "relu"], "it does not take --activation"),
    (["demo", "--epochs", "0"], "must be a positive integer"),
    (["train", "moons", "--epochs", "many"], "argument --epochs: expected a positive integer"),
]


@pytest.mark.parametrize(("argv", "says"), USAGE_ERRORS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_every_usage_error_exits_2_and_names_the_option(argv, says, tmp_path, capsys):
    try:
        output = ["-o", str(tmp_path / "m.safetensors")] if argv[0] == "train" else []
        code = main([*argv, *output])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err
    assert not (tmp_path / "m.safetensors").exists()


RUNTIME_FAILURES = [
    ["train", "missing.csv"],
    ["evaluate", "missing.safetensors"],
    ["predict", "missing.safetensors", "x.png"],
    ["train", "mnist", "--data-dir", "EMPTY", "--no-download"],
]


@pytest.mark.parametrize("argv", RUNTIME_FAILURES, ids=" ".join)
def test_run_time_failures_exit_1_with_one_line(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "EMPTY").mkdir()
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "EMPTY"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith(f"glassnet {argv[0]}: error: ")


def _digits_csv(path, n, seed):
    from glassnet.datasets import write_digits_csv

    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    pixels = np.zeros((n, 784), dtype=np.uint8)
    for i, label in enumerate(labels):  # a bright block whose place says the digit
        pixels[i, 70 * label: 70 * label + 60] = 200 + rng.integers(0, 50)
    write_digits_csv(path, pixels, labels)
    return path


def test_warnings_are_one_clean_line_each(tmp_path, capsys):
    train = _digits_csv(tmp_path / "train.csv", 40, 0)
    code, _, err = run(capsys, "train", train, "--scale", "none", "--epochs", "2",
                       "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    warning = [line for line in err.splitlines() if "warning" in line]
    assert warning and warning[0].startswith("glassnet train: warning: the inputs are not scaled")
    assert "sys.exit" not in err and ".py:" not in err and "Warning:" not in err


def test_a_diverging_run_stops_exits_1_and_saves_nothing(tmp_path, capsys):
    code, out, err = run(capsys, "train", "moons", "--optimizer", "sgd", "--lr", "100",
                         "--epochs", "15", "-o", tmp_path / "m.safetensors")
    assert code == 1
    assert "training diverged; no model saved. Lower --lr (it is 100)" in err
    assert "epoch 15/15" not in out and not (tmp_path / "m.safetensors").exists()


def test_a_too_high_learning_rate_is_not_blamed_on_vanishing_gradients(tmp_path, capsys):
    code, _, err = run(capsys, "train", "moons", "--optimizer", "sgd", "--lr", "30",
                       "--epochs", "15", "-o", tmp_path / "m.safetensors")
    assert "vanishing" not in err and "try ReLU" not in err
    assert "the learning rate is too high" in err


def test_the_book_trains_with_its_test_file_beside_and_evaluate_says_which_is_which(
        tmp_path, capsys):
    train = _digits_csv(tmp_path / "mnist_train_100.csv", 100, 0)
    _digits_csv(tmp_path / "mnist_test_10.csv", 10, 1)
    model = tmp_path / "book.safetensors"
    code, out, err = run(capsys, "train", train, "--book", "--epochs", "2", "-o", model)
    assert code == 0, err
    assert f"test data: {tmp_path / 'mnist_test_10.csv'}" in out
    assert re.search(r"^test accuracy", out, re.M)
    code, out, err = run(capsys, "evaluate", model)
    assert code == 0, err
    assert "mnist_test_10.csv (test, 10 samples)" in out
    code, out, _ = run(capsys, "evaluate", model, train)
    assert "mnist_train_100.csv (training data, not a test score, 100 samples)" in out


def test_a_csv_model_without_a_test_file_is_never_scored_as_test(tmp_path, capsys):
    train = _digits_csv(tmp_path / "digits.csv", 50, 0)
    other = _digits_csv(tmp_path / "other.csv", 20, 1)
    model = tmp_path / "m.safetensors"
    code, out, err = run(capsys, "train", train, "--epochs", "2", "-o", model)
    assert code == 0, err
    assert "training-set (no separate test data)" in out
    code, out, _ = run(capsys, "evaluate", model)
    assert "digits.csv (training data, not a test score, 50 samples)" in out
    assert "(test," not in out and "name a test file" in out
    code, out, _ = run(capsys, "train", train, "--test", other, "--epochs", "2", "-o", model)
    assert re.search(r"^test loss", out, re.M)
    code, out, _ = run(capsys, "evaluate", model)
    assert "other.csv (test, 20 samples)" in out


def _start(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    # Ctrl-C as in a terminal: a test runner started in the background has SIGINT ignored,
    # which a child inherits (and Python then keeps ignoring it)
    return subprocess.Popen([sys.executable, "-m", "glassnet", *map(str, args)], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_after(proc, pattern):
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if re.search(pattern, line):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=300)
    return "".join(lines) + out, err


TRAIN = ["train", "moons", "--samples", "20000", "--hidden", "64", "--epochs", "40",
         "-o", "m.safetensors"]


@pytest.mark.slow
def test_ctrl_c_without_a_backup_says_how_to_make_a_run_resumable(tmp_path):
    out, err = _interrupt_after(_start(TRAIN, tmp_path), r"^epoch  2/40")
    assert "glassnet train: interrupted; nothing was saved. To make a run resumable, add " \
           "--backup-dir DIR" in err
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.slow
def test_ctrl_c_with_a_backup_keeps_it_says_how_to_continue_and_the_rerun_resumes(tmp_path):
    args = [*TRAIN, "--backup-dir", "bk"]
    proc = _start(args, tmp_path)
    out, err = _interrupt_after(proc, r"^epoch  2/40")
    assert proc.returncode == 130, err
    done = int(re.search(r"the whole training state after epoch (\d+) of 40 is backed up in "
                         r"bk/backup.safetensors; to continue with epoch (\d+), run the same "
                         r"command again", err).group(1))
    assert done >= 2 and f"epoch {done:>2}/40" in out and f"epoch {done + 1:>2}/40" not in out
    assert (tmp_path / "bk" / "backup.safetensors").is_file()
    proc = _start([*args[:-6], "--epochs", "40", "--backup-dir", "bk", "-o", "m.safetensors"],
                  tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert (f"resumed from the backup bk/backup.safetensors: epochs 1-{done} were done before, "
            f"continuing with epoch {done + 1} of 40") in out
    ran = 40 - done
    match = re.search(r"trained (\d+) epochs \(epochs (\d+)-40, resumed after epoch (\d+)\) in "
                      r"([\d.]+)s \(([\d,]+) samples/s\)", out)
    assert match and int(match.group(1)) == ran and int(match.group(3)) == done
    rate = float(match.group(5).replace(",", ""))
    assert rate == pytest.approx(ran * 20000 / float(match.group(4)), rel=0.05)



def test_the_book_s_file_absent_says_where_it_comes_from(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "none"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, _, err = run(capsys, "train", "mnist_train_100.csv", "--book")
    assert code == 1
    assert "mnist_train_100.csv" in err and ". It is a file of the book Make Your Own" in err
    assert "makeyourownneuralnetwork" in err and "find_book_csv" in err


def test_the_two_training_accuracies_say_which_is_which(capsys):
    code, out, err = run(capsys, "demo", "--epochs", "3", "--samples", "200", "--no-plots")
    assert code == 0, err
    assert "each epoch line: loss and accuracy averaged over the epoch's batches while the " \
           "weights changed; val_loss and val_accuracy: the test points" in out
    assert re.search(r"^after training: train accuracy [\d.]+   test accuracy", out, re.M)
