"""``glassnet train``: model selection on the training data, the report of early
stopping, learning-rate schedules and resuming a killed run."""

import re

import numpy as np

from glassnet import io
from glassnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_early_stopping_selects_on_training_data_and_says_what_it_kept(tmp_path, capsys):
    code, out, err = run(capsys, "train", "moons", "--hidden", "8", "--epochs", "40",
                         "--lr", "0.5", "--optimizer", "sgd", "--early-stopping", "2",
                         "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    assert "validation: 10% of the training data (seeded, stratified)" in out
    stopped = re.search(r"early stopping: stopped after epoch (\d+)", out)
    kept = re.search(r"kept the weights of epoch (\d+) \(best validation loss ([\d.]+)\)", out)
    assert stopped and kept and int(kept.group(1)) <= int(stopped.group(1))
    # the epoch lines carry the validation split's loss: the kept epoch has the lowest
    val = [float(v) for v in re.findall(r"val_loss ([\d.]+)", out)]
    assert min(val) == float(kept.group(2)) and val.index(min(val)) + 1 == int(kept.group(1))
    # the test split appears once, at the end
    assert len(re.findall(r"^test loss", out, flags=re.M)) == 1
    assert out.index("kept the weights") < out.index("test loss")


def test_cosine_schedule_with_warm_up_in_the_history(tmp_path, capsys):
    code, out, err = run(capsys, "train", "moons", "--hidden", "8", "--epochs", "4",
                         "--lr", "0.01", "--lr-schedule", "cosine", "--warmup-epochs", "1",
                         "-o", tmp_path / "m.safetensors")
    assert code == 0, err
    lrs = [float(v) for v in re.findall(r"\blr ([\d.e-]+)", out)]
    assert len(lrs) == 4 and lrs[0] == 0.01 and lrs[1] > lrs[2] > lrs[3]
    code, _, err = run(capsys, "train", "moons", "--epochs", "2", "--lr-schedule", "cosine",
                       "--warmup-epochs", "2", "-o", tmp_path / "n.safetensors")
    assert code == 1 and "--warmup-epochs must be in 0..1" in err


def interrupt_after_epoch(monkeypatch, last):
    """Make the next ``--backup-dir`` run stop like Ctrl-C once epoch ``last`` is backed up."""
    from glassnet.training import checkpoints

    real = checkpoints.BackupAndRestore.on_epoch_end

    def on_epoch_end(self, network, epoch, logs):
        real(self, network, epoch, logs)
        if epoch + 1 == last:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints.BackupAndRestore, "on_epoch_end", on_epoch_end)


def test_backup_dir_resumes_a_run_to_the_same_model(tmp_path, capsys, monkeypatch):
    args = ["train", "moons", "--hidden", "8", "--epochs", "4", "--dropout", "0.2"]
    code, _, err = run(capsys, *args, "-o", tmp_path / "reference.safetensors")
    assert code == 0, err

    # the same command, stopped after 2 epochs with its backup kept
    backup = tmp_path / "backup"
    with monkeypatch.context() as patch:
        interrupt_after_epoch(patch, 2)
        code, _, _ = run(capsys, *args, "--backup-dir", backup, "-o", tmp_path / "lost.safetensors")
    assert code != 0 and (backup / "backup.safetensors").exists()

    code, out, err = run(capsys, *args, "--resume", backup, "-o", tmp_path / "resumed.safetensors")
    assert code == 0, err
    assert "epoch 3/4" in out and "epoch 1/4" not in out
    assert not (backup / "backup.safetensors").exists()
    a = io.load(tmp_path / "reference.safetensors").get_weights()
    b = io.load(tmp_path / "resumed.safetensors").get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_adamw_and_rmsprop_from_the_command_line(tmp_path, capsys):
    for name, shown in (("adamw", "AdamW(lr=0.01, weight_decay=0.05"), ("rmsprop", "RMSprop(")):
        model = tmp_path / f"{name}.safetensors"
        code, _, err = run(capsys, "train", "moons", "--hidden", "8", "--epochs", "2",
                           "--lr", "0.01", "--optimizer", name, "--weight-decay", "0.05",
                           "-o", model)
        assert code == 0, err
        code, out, _ = run(capsys, "info", model)
        assert shown in out
