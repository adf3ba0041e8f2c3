"""The command line refuses bad input clearly: options that would do nothing or
select on the test split, backups made by another command, wrong data folders."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_wrong_data_dir_is_an_error_even_with_glassnet_data_set(tmp_path, capsys,
                                                                   monkeypatch):
    from glassnet.datasets.idx import write_idx

    root = tmp_path / "root" / "mnist"  # $GLASSNET_DATA holds the test split
    root.mkdir(parents=True)
    write_idx(root / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(root / "t10k-labels-idx1-ubyte.gz", np.arange(3, dtype=np.uint8))
    monkeypatch.setenv("GLASSNET_DATA", str(root.parent))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    model = tmp_path / "m.safetensors"
    assert main(["train", "moons", "--epochs", "1", "-o", str(model)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "evaluate", model, "mnist", "--data-dir",
                         tmp_path / "empty", "--no-download")
    assert code == 1 and "accuracy" not in out
    assert f"--data-dir ({tmp_path / 'empty'}): missing t10k-images-idx3-ubyte" in err
    assert "leave out --data-dir" in err
    # without --data-dir the files in $GLASSNET_DATA are read (and refused by the model)
    code, _, err = run(capsys, "evaluate", model, "mnist", "--no-download")
    assert code == 1 and "not found" not in err and "784 features" in err


def test_early_stopping_never_selects_on_the_test_split(tmp_path, capsys):
    # --validation-split 0 would leave the test split as the only validation data
    model = tmp_path / "m.safetensors"
    code, out, err = run(capsys, "train", "moons", "--epochs", "3", "--early-stopping", "2",
                         "--validation-split", "0", "-o", model)
    assert code != 0 and out == "" and not model.exists()
    assert "--early-stopping picks the epoch with the best validation loss" in err
    assert "--validation-split 0 leaves no validation data but the test split" in err
    assert "drop --validation-split 0" in err and "drop --early-stopping" in err
    # a fraction of the training data is accepted, and the test split is reported once
    code, out, err = run(capsys, "train", "moons", "--epochs", "3", "--early-stopping", "2",
                         "--validation-split", "0.2", "-o", model)
    assert code == 0, err
    assert "validation: 20% of the training data" in out
    assert out.count("test loss") == 1


@pytest.mark.parametrize("split", ["1", "1.5", "-0.1"])
def test_a_validation_split_outside_0_1_names_the_option(tmp_path, capsys, split):
    code, out, err = run(capsys, "train", "moons", "--validation-split", split,
                         "-o", tmp_path / "m.safetensors")
    assert code != 0 and out == ""
    assert "--validation-split is the fraction of the training data held out, in [0, 1)" in err


def test_warmup_epochs_without_the_cosine_schedule_is_refused(tmp_path, capsys):
    for extra in ([], ["--lr-schedule", "constant"]):
        code, out, err = run(capsys, "train", "moons", "--epochs", "3", "--warmup-epochs",
                             "1", *extra, "-o", tmp_path / "m.safetensors")
        assert code != 0 and out == ""
        assert ("--warmup-epochs 1 only applies to --lr-schedule cosine" in err
                and "add --lr-schedule cosine, or drop --warmup-epochs" in err)
    code, out, err = run(capsys, "train", "moons", "--epochs", "3", "--warmup-epochs", "1",
                         "--lr-schedule", "cosine", "-o", tmp_path / "m.safetensors")
    assert code == 0, err


@pytest.mark.parametrize("option", [["--lr-schedule", "cosine"], ["--warmup-epochs", "1"],
                                    ["--backup-dir", "backup"]])
def test_book_refuses_the_options_its_recipe_ignores(tmp_path, capsys, option):
    code, out, err = run(capsys, "train", "moons", "--book", *option,
                         "-o", tmp_path / "m.safetensors")
    assert code != 0 and out == ""
    assert f"it does not take {option[0]}" in err


@pytest.mark.parametrize(("command", "value"), [("train", "-1"), ("evaluate", "-5"),
                                                ("demo", "-1"), ("train", "one")])
def test_a_negative_seed_names_the_option(tmp_path, capsys, command, value):
    argv = {"train": ["train", "moons", "-o", tmp_path / "m.safetensors"],
            "evaluate": ["evaluate", tmp_path / "m.safetensors"],
            "demo": ["demo", "--no-plots"]}[command]
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in [*argv, "--seed", value]])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --seed: must be a whole number >= 0 (NumPy's seeds are " \
           f"non-negative), got {value}" in err


def test_predict_says_an_animation_has_several_frames_and_which_it_reads(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image", reason="pictures need the 'images' extra")
    ImageDraw = pytest.importorskip("PIL.ImageDraw")
    from glassnet.datasets import write_digits_csv

    rng = np.random.default_rng(0)
    write_digits_csv(tmp_path / "d.csv", rng.integers(0, 256, (20, 784), dtype=np.uint8),
                     np.arange(20) % 10)
    model = tmp_path / "m.safetensors"
    assert main(["train", str(tmp_path / "d.csv"), "--epochs", "1", "--hidden", "4",
                 "-o", str(model)]) == 0
    frames = []
    for k in range(3):  # a stroke that moves: three different digits-to-be
        frame = Image.new("L", (56, 56), 0)
        ImageDraw.Draw(frame).line([(12 + 12 * k, 8), (12 + 12 * k, 48)], fill=255, width=5)
        frames.append(frame)
    gif = tmp_path / "moving.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    still = tmp_path / "still.png"
    frames[0].save(still)
    capsys.readouterr()
    code, out, err = run(capsys, "predict", model, gif, still)
    assert code == 0
    assert (f"warning: {gif}: the file has 3 frames (an animation or several pages); only "
            "frame 1 of 3 is read") in err
    assert str(still) not in err  # one frame: nothing to say
    lines = out.strip().splitlines()
    assert lines[0].split(": ")[1] == lines[1].split(": ")[1]  # frame 1 is what was read


def stopped_run(monkeypatch, capsys, *argv, after=1):
    """Run ``train ... --backup-dir``, stopped like Ctrl-C once epoch ``after`` is backed up."""
    from glassnet.training import checkpoints

    real = checkpoints.BackupAndRestore.on_epoch_end

    def on_epoch_end(self, network, epoch, logs):
        real(self, network, epoch, logs)
        if epoch + 1 == after:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.BackupAndRestore, "on_epoch_end", on_epoch_end)
        code, _, _ = run(capsys, *argv)
    assert code != 0


MOONS = ["train", "moons", "--hidden", "8", "--epochs", "3"]


@pytest.mark.parametrize(("changed", "shown"), [
    (["--seed", "1"], "--seed: 0 in the backup, 1 now"),
    (["--samples", "500"], "--samples: 1000 in the backup, 500 now"),
    (["--noise", "0.3"], "training data: other values, of the same shape (1000, 2) and dtype "
                         "float32 (SHA-256 "),
    (["--lr", "0.02"], "--lr: 0.01 in the backup, 0.02 now"),
])
def test_a_backup_made_by_another_command_is_refused(tmp_path, capsys, monkeypatch, changed,
                                                     shown):
    backup = tmp_path / "bk"
    stopped_run(monkeypatch, capsys, *MOONS, "--backup-dir", backup,
                "-o", tmp_path / "a.safetensors")
    path = backup / "backup.safetensors"
    code, out, err = run(capsys, *MOONS, *changed, "--backup-dir", backup,
                         "-o", tmp_path / "b.safetensors")
    assert code == 1 and not (tmp_path / "b.safetensors").exists()
    assert f"{path} was made by a different command: " in err and shown in err
    assert (f"Rerun the command that made it, delete {path} (or give another --backup-dir) "
            "to start afresh, or add --resume-anyway") in err
    assert "epoch 1/3" not in out and path.exists()  # nothing trained, the backup kept


def test_a_backup_of_another_csv_file_is_refused(tmp_path, capsys, monkeypatch):
    from glassnet.datasets import write_digits_csv

    rng = np.random.default_rng(0)
    csv = tmp_path / "digits.csv"
    write_digits_csv(csv, rng.integers(0, 256, (30, 784), dtype=np.uint8), np.arange(30) % 10)
    argv = ["train", csv, "--hidden", "4", "--epochs", "2", "--backup-dir", tmp_path / "bk",
            "-o", tmp_path / "m.safetensors"]
    stopped_run(monkeypatch, capsys, *argv)
    # the same name, other contents: edited in place
    write_digits_csv(csv, rng.integers(0, 256, (30, 784), dtype=np.uint8), np.arange(30) % 10)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "was made by a different command: training data: other values, of the same shape " \
           "(30, 784) and dtype float32" in err


def test_a_backup_of_another_architecture_names_the_file_and_the_remedy(tmp_path, capsys,
                                                                        monkeypatch):
    backup = tmp_path / "bk"
    stopped_run(monkeypatch, capsys, *MOONS, "--backup-dir", backup,
                "-o", tmp_path / "a.safetensors")
    path = backup / "backup.safetensors"
    code, _, err = run(capsys, "train", "moons", "--hidden", "16", "--epochs", "3",
                       "--backup-dir", backup, "--resume-anyway", "-o", tmp_path / "b.safetensors")
    assert code == 1
    assert f"{path} is a backup of a different network (layer 0: Dense(n_in=2, n_out=8" in err
    assert f"delete {path} (or give another --backup-dir) to start afresh" in err
    assert "must have shape" not in err


@pytest.mark.filterwarnings("always::glassnet.errors.BackupMismatchWarning")
def test_resume_anyway_continues_another_commands_backup_and_says_how_it_differs(
        tmp_path, capsys, monkeypatch):
    backup = tmp_path / "bk"
    stopped_run(monkeypatch, capsys, *MOONS, "--backup-dir", backup,
                "-o", tmp_path / "a.safetensors")
    code, out, err = run(capsys, *MOONS, "--lr", "0.02", "--backup-dir", backup,
                         "--resume-anyway", "-o", tmp_path / "b.safetensors")
    assert (f"warning: resuming {backup / 'backup.safetensors'} although it was made by a "
            "different run: --lr: 0.01 in the backup, 0.02 now (--resume-anyway)\n") in err
    assert "BackupMismatchWarning" not in err  # one line, not Python's warning format
    assert code == 0, err
    assert "epoch 2/3" in out and "epoch 1/3" not in out  # continued, not restarted
    assert (tmp_path / "b.safetensors").exists() and not (backup / "backup.safetensors").exists()
    code, _, err = run(capsys, *MOONS, "--resume-anyway", "-o", tmp_path / "c.safetensors")
    assert code != 0 and "--resume-anyway continues a backup made by another command; it " \
                         "needs --backup-dir DIR" in err


@pytest.mark.parametrize(("stored", "shown"), [
    ({"samples": 10**12}, "samples=1000000000000, which is not a whole number of points "
                          "from 1 to 10,000,000"),
    ({"samples": "many"}, "samples='many', which is not a whole number"),
    ({"noise": -1.5}, "noise=-1.5, which is not a finite number >= 0"),
    ({"seed": -3}, "seed=-3, which is not a whole number >= 0"),
])
def test_evaluate_refuses_generation_settings_a_model_file_should_not_hold(tmp_path, capsys,
                                                                          stored, shown):
    from glassnet import io

    model = tmp_path / "m.safetensors"
    assert main(["train", "moons", "--epochs", "1", "-o", str(model)]) == 0
    crafted = tmp_path / "crafted.safetensors"
    io.save(io.load(model), crafted, metadata={"dataset": "moons", **stored})
    capsys.readouterr()
    code, out, err = run(capsys, "evaluate", crafted)
    assert code == 1 and "accuracy" not in out
    assert f"glassnet evaluate: error: {crafted}: its metadata says the data set was " \
           f"generated with {shown}" in err
    assert "MemoryError" not in err and "unexpected" not in err
    assert f"give --{next(iter(stored))} to choose it" in err
    option = {"samples": "500", "noise": "0.1", "seed": "0"}[next(iter(stored))]
    code, out, err = run(capsys, "evaluate", crafted, f"--{next(iter(stored))}", option)
    assert code == 0, err  # the option overrides the file


@pytest.mark.parametrize("command", [["train", "moons"], ["demo"]])
def test_too_many_generated_points_are_refused_before_any_allocation(tmp_path, capsys,
                                                                     command):
    code, out, err = run(capsys, *command, "--samples", str(10**12),
                         *(["-o", tmp_path / "m.safetensors"] if command[0] == "train" else []))
    assert code == 1 and "--samples 1,000,000,000,000 is more points than a generated data " \
                         "set holds here (at most 10,000,000)" in err
    assert "MemoryError" not in err and "unexpected" not in err


def test_an_unreadable_csv_is_reported_as_unreadable_not_missing(tmp_path, capsys,
                                                                 monkeypatch):
    import builtins
    import os

    import glassnet.datasets.csv as csv_module
    from glassnet.datasets import write_digits_csv

    csv = tmp_path / "locked.csv"
    write_digits_csv(csv, np.zeros((2, 784), np.uint8), [0, 1])
    csv.chmod(0o000)
    if os.geteuid() == 0:  # root reads any file whatever its mode: refuse as the kernel would
        real_open = builtins.open

        def open_refusing(file, *args, **kwargs):
            if os.fspath(file) == os.fspath(csv):
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(csv_module, "open", open_refusing, raising=False)
    code, out, err = run(capsys, "train", csv, "-o", tmp_path / "m.safetensors")
    csv.chmod(0o600)
    assert code == 1 and out == ""
    assert f"glassnet train: error: {csv} exists but cannot be read (permission denied)" in err
    assert "no such" not in err and "not found" not in err
    code, _, err = run(capsys, "train", tmp_path / "absent.csv", "-o", tmp_path / "m.safetensors")
    assert code == 1 and f"no such file: {tmp_path / 'absent.csv'}" in err
