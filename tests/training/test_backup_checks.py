"""A backup resumes only the run that made it: another network, other data or other
settings are refused with the file's name and the remedy (or resumed on request)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.errors import BackupMismatchError, BackupMismatchWarning, TrainingWarning
from glassnet.training import BackupAndRestore
from glassnet.training.fingerprint import differences, fingerprint


class Crash(Exception):
    """Raised by a callback to end training as a kill would."""


class CrashAfterEpoch1(gn.training.Callback):
    def on_epoch_end(self, network, epoch, logs):
        if epoch == 1:
            raise Crash


def net_of(width, *, seed=0):
    return gn.Network([gn.Dense(2, width, seed=seed), gn.ReLU(), gn.Dense(width, 2, seed=1)])


def crashed_backup(folder, X, y, *, width=8, fingerprint=None):
    backup = BackupAndRestore(folder, fingerprint=fingerprint)
    with pytest.raises(Crash):
        net_of(width).fit(X, y, epochs=4, seed=0, callbacks=[backup, CrashAfterEpoch1()],
                          verbose=0)
    assert backup.path.exists()
    return backup.path


def test_a_backup_of_another_architecture_names_the_file_the_layer_and_the_remedy(tmp_path):
    X, y = make_moons(60, seed=0)
    path = crashed_backup(tmp_path / "bk", X, y, width=16)
    with pytest.raises(BackupMismatchError) as info:
        net_of(8).fit(X, y, epochs=4, seed=0, callbacks=[BackupAndRestore(tmp_path / "bk")],
                      verbose=0)
    message = str(info.value)
    assert message.startswith(f"{path} is a backup of a different network (layer 0: "
                              "Dense(n_in=2, n_out=16")
    assert "in the backup, Dense(n_in=2, n_out=8" in message
    assert f"delete {path} (or back up into another folder) to start afresh" in message
    assert "must have shape" not in message  # not the bare weight-shape complaint
    assert info.value.path == path and not info.value.resumable
    assert isinstance(info.value, ValueError)
    # even on_mismatch="continue" cannot put 16 columns into 8
    with pytest.raises(BackupMismatchError, match="different network"):
        net_of(8).fit(X, y, epochs=4, seed=0, verbose=0, callbacks=[
            BackupAndRestore(tmp_path / "bk", fingerprint={}, on_mismatch="continue")])


def test_a_backup_made_with_other_data_or_seed_is_refused(tmp_path):
    X, y = make_moons(60, seed=0)
    path = crashed_backup(tmp_path / "bk", X, y, fingerprint={"X": X, "y": y, "seed": 0})
    X2, _ = make_moons(60, seed=1)
    for given, what in (({"X": X2, "y": y, "seed": 0}, "X: other values, of the same shape "
                                                       "(60, 2) and dtype float32 (SHA-256 "),
                        ({"X": X, "y": y, "seed": 1}, "seed: 0 in the backup, 1 now")):
        with pytest.raises(BackupMismatchError) as info:
            net_of(8).fit(given["X"], y, epochs=4, seed=given["seed"], verbose=0,
                          callbacks=[BackupAndRestore(tmp_path / "bk", fingerprint=given)])
        message = str(info.value)
        assert message.startswith(f"{path} was made by a different run: {what}")
        assert "on_mismatch='continue'" in message and f"delete {path}" in message
        assert info.value.resumable and len(info.value.differences) == 1
    assert path.exists()  # a refused backup is left as it was


def test_the_same_fingerprint_resumes_and_continue_resumes_with_a_warning(tmp_path):
    X, y = make_moons(60, seed=0)
    same = {"X": X, "y": y, "seed": 0}
    crashed_backup(tmp_path / "a", X, y, fingerprint=same)
    backup = BackupAndRestore(tmp_path / "a", fingerprint={"seed": 0, "y": y.copy(), "X": X})
    net_of(8).fit(X, y, epochs=4, seed=0, callbacks=[backup], verbose=0)
    assert backup.restored_epoch == 1

    crashed_backup(tmp_path / "b", X, y, fingerprint=same)
    anyway = BackupAndRestore(tmp_path / "b", fingerprint={**same, "seed": 7},
                              on_mismatch="continue")
    with pytest.warns(BackupMismatchWarning, match=r"resuming .*backup.safetensors although it was "
                                             r"made by a different run: seed: 0 in the backup, "
                                             r"7 now"):
        net_of(8).fit(X, y, epochs=4, seed=7, callbacks=[anyway], verbose=0)
    assert anyway.restored_epoch == 1


def test_a_backup_without_a_fingerprint_is_refused_when_one_is_given(tmp_path):
    X, y = make_moons(60, seed=0)
    path = crashed_backup(tmp_path / "bk", X, y)  # recorded none
    with pytest.raises(BackupMismatchError, match=r"records no fingerprint of the data"):
        net_of(8).fit(X, y, epochs=4, seed=0, verbose=0, callbacks=[
            BackupAndRestore(tmp_path / "bk", fingerprint={"seed": 0})])
    # and with no fingerprint asked for, only the network and optimizer are checked
    backup = BackupAndRestore(path.parent)
    net_of(8).fit(X, y, epochs=4, seed=0, callbacks=[backup], verbose=0)
    assert backup.restored_epoch == 1


def test_fingerprints_record_arrays_by_digest_and_refuse_other_objects():
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    fp = fingerprint({"X": X, "n": np.int64(3), "sizes": (8, 4)})
    assert fp["n"] == 3 and fp["sizes"] == [8, 4]
    assert fp["X"]["array"][:2] == [[3, 2], "<f4"] and len(fp["X"]["array"][2]) == 64
    assert fingerprint({"X": X.copy()}) == {"X": fp["X"]}  # by content, not identity
    assert fingerprint({"X": np.asfortranarray(X)}) == {"X": fp["X"]}
    Y = X.copy()
    Y[2, 1] += 1
    assert differences({"X": fp["X"]}, fingerprint({"X": Y}))[0].startswith(
        "X: other values, of the same shape (3, 2) and dtype float32 (SHA-256 ")
    assert differences({"X": fp["X"]}, fingerprint({"X": Y[:2]})) == [
        f"X: float32 array of shape (3, 2) (SHA-256 {fp['X']['array'][2][:12]}...) in the "
        f"backup, float32 array of shape (2, 2) (SHA-256 "
        f"{fingerprint({'X': Y[:2]})['X']['array'][2][:12]}...) now"]
    assert issubclass(BackupMismatchWarning, TrainingWarning)
    assert differences({"a": 1}, {"b": 1}) == ["a: 1 in the backup, not given now",
                                               "b: not recorded in the backup, 1 now"]
    with pytest.raises(TypeError, match=r"fingerprint\['f'\] is object; give JSON values"):
        fingerprint({"f": object()})
    with pytest.raises(ValueError, match="on_mismatch"):
        BackupAndRestore("bk", on_mismatch="ignore")
