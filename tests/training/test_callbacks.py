import csv

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.training import (
    BackupAndRestore,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


class FakeNet:
    """Just what the monitoring callbacks touch."""

    def __init__(self, lr=1.0):
        self.stop_training = False
        self.optimizer = gn.SGD(lr)


def feed(callback, values, key="val_loss"):
    net = FakeNet()
    callback.on_train_begin(net)
    for epoch, value in enumerate(values):
        callback.on_epoch_end(net, epoch, {key: value})
        if net.stop_training:
            break
    return net


def moons():
    return make_moons(200, noise=0.2, seed=0)


# -- EarlyStopping -----------------------------------------------------------
@pytest.mark.parametrize("monitor,expected", [("val_loss", "min"), ("loss", "min"),
                                              ("val_accuracy", "max"), ("accuracy", "max")])
def test_auto_mode_knows_loss_and_accuracy(monitor, expected):
    assert EarlyStopping(monitor).mode == expected


def test_auto_mode_refuses_to_guess_other_names():
    # the old EarlyStopping guessed from the name: "val_top_accuracy_gap" would be maximised
    with pytest.raises(ValueError, match="pass mode='min' or mode='max'"):
        EarlyStopping("val_error_rate")
    assert EarlyStopping("val_error_rate", mode="min").mode == "min"
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping("val_loss", mode="down")


def test_max_mode_stops_when_the_value_stops_rising():
    stop = EarlyStopping("val_f1", mode="max", patience=1, restore_best_weights=False)
    net = feed(stop, [0.5, 0.7, 0.6, 0.9], key="val_f1")
    assert net.stop_training and stop.best == 0.7 and stop.stopped_epoch == 2


def test_early_stopping_state_round_trip():
    stop = EarlyStopping("val_loss", patience=3, restore_best_weights=False)
    feed(stop, [1.0, 0.5, 0.7])
    twin = EarlyStopping("val_loss", patience=3, restore_best_weights=False)
    twin.on_train_begin(FakeNet())
    twin.set_state(stop.get_state())
    assert (twin.best, twin.best_epoch, twin.wait) == (0.5, 1, 1)


# -- ReduceLROnPlateau -------------------------------------------------------------
def test_reduce_lr_on_plateau_halves_after_patience_and_cools_down():
    cb = ReduceLROnPlateau("val_loss", factor=0.5, patience=2, cooldown=1, min_lr=0.2,
                           min_delta=0.0)
    net = FakeNet(lr=1.0)
    cb.on_train_begin(net)
    lrs = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        cb.on_epoch_end(net, epoch, {"val_loss": value})
        lrs.append(net.optimizer.lr)
    # reduced after 2 epochs without improvement, then 1 epoch of cooldown; floor 0.2
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    state = cb.get_state()
    assert set(state) == {"best", "best_epoch", "wait", "cooldown_left"}


def test_reduce_lr_on_plateau_in_fit_is_recorded_in_history():
    X, y = moons()
    cb = ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=10.0)  # never improves
    h = gn.mlp([2, 4, 2], seed=0).fit(X, y, optimizer=gn.SGD(0.4), epochs=3, callbacks=[cb],
                                      verbose=0)
    assert h["lr"] == [0.4, 0.4, 0.2]  # epoch 0 improves on nothing; epoch 1 does not


# -- TerminateOnNaN, CSVLogger -------------------------------------------------------
def test_terminate_on_nan_stops_quietly():
    cb = TerminateOnNaN()
    net = FakeNet()
    net.training_state = None
    cb.on_batch_end(net, 0, {"loss": 1.0})
    assert not net.stop_training
    cb.on_batch_end(net, 3, {"loss": float("nan")})
    assert net.stop_training and cb.terminated_at == (-1, 3)


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    X, y = moons()
    path = tmp_path / "log.csv"
    gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, validation_split=0.2, seed=0,
                                  callbacks=[CSVLogger(path)], verbose=0)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} <= set(rows[0])


# -- ModelCheckpoint ---------------------------------------------------------------
def test_model_checkpoint_best_only_keeps_the_best_epoch(tmp_path):
    X, y = moons()
    cb = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_loss", save_best_only=True)
    net = gn.mlp([2, 8, 2], seed=0)
    h = net.fit(X, y, optimizer=gn.SGD(3.0), epochs=8, validation_split=0.3, seed=0,
                callbacks=[cb], verbose=0)
    best = gn.io.load(tmp_path / "best.safetensors")
    assert cb.best == min(h["val_loss"])
    assert best.optimizer is not None and best.optimizer.t > 0
    n_improvements = sum(v == min(h["val_loss"][:i + 1]) for i, v in enumerate(h["val_loss"]))
    assert len(cb.saved) == n_improvements


def test_model_checkpoint_every_n_epochs_with_a_pattern(tmp_path):
    X, y = moons()
    cb = ModelCheckpoint(tmp_path / "ckpt" / "m-{epoch:02d}-{loss:.3f}.safetensors", every=2)
    gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=5, callbacks=[cb], verbose=0)
    assert [p.name[:4] for p in cb.saved] == ["m-02", "m-04"]
    assert all(p.exists() for p in cb.saved)
    assert not list((tmp_path / "ckpt").glob(".*.part"))  # atomic writes leave nothing behind


def test_model_checkpoint_bad_pattern_names_the_logs(tmp_path):
    X, y = moons()
    cb = ModelCheckpoint(tmp_path / "m-{val_f1}.safetensors")
    with pytest.raises(ValueError, match="cannot be filled"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=1, callbacks=[cb], verbose=0)


# -- BackupAndRestore ----------------------------------------------------------------
def test_backup_is_kept_after_a_crash_and_deleted_after_a_normal_end(tmp_path):
    X, y = moons()

    class Crash(gn.training.Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 2:
                raise RuntimeError("power cut")

    def make():
        return gn.Network([gn.Dense(2, 8, seed=0), gn.ReLU(), gn.Dropout(0.2),
                           gn.Dense(8, 2, seed=1)])

    stop = EarlyStopping("loss", patience=50)
    backup = BackupAndRestore(tmp_path / "bk")
    with pytest.raises(RuntimeError):
        make().fit(X, y, epochs=5, seed=0, callbacks=[backup, stop, Crash()], verbose=0)
    assert backup.path.exists()

    stop2 = EarlyStopping("loss", patience=50)
    backup2 = BackupAndRestore(tmp_path / "bk")
    net = make()
    h = net.fit(X, y, epochs=5, seed=0, callbacks=[backup2, stop2], verbose=0)
    assert backup2.restored_epoch == 2  # epochs 0 and 1 were backed up
    assert h.epochs_run == 5 and not backup2.path.exists()
    assert stop2.best == min(h["loss"])

    reference = make()
    h_ref = reference.fit(X, y, epochs=5, seed=0, callbacks=[EarlyStopping("loss", patience=50)],
                          verbose=0)
    assert h.history == h_ref.history
    for a, b in zip(net.get_weights().values(), reference.get_weights().values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_terminate_on_nan_in_fit_ends_the_run_without_raising():
    X, y = moons()

    def trained():
        net = gn.mlp([2, 16, 2], seed=0)
        net.fit(X, y, optimizer=gn.SGD(0.1), epochs=2, batch_size=50, verbose=0)
        return net

    net, cb = trained(), TerminateOnNaN()
    with pytest.warns(gn.errors.TrainingWarning, match="rose from"):
        h = net.fit(X * 1e30, y, epochs=4, initial_epoch=2, batch_size=50, callbacks=[cb],
                    verbose=0)
    # epoch 2 (0-based): its first batch stepped with a finite loss, the second did not
    assert cb.terminated_at == (2, 1) and h.stopped_early and h.epochs_run == 1
    assert net.training_state.step == 9
    with pytest.raises(FloatingPointError, match="in epoch 3"):  # the same run, no callback
        trained().fit(X * 1e30, y, epochs=4, initial_epoch=2, batch_size=50, verbose=0)


def test_terminate_on_nan_covers_the_epochs_last_step():
    """A step that makes the parameters non-finite at the end of an epoch stops training
    quietly with TerminateOnNaN, as on any other step (before: fit raised)."""
    X, y = gn.datasets.make_moons(40, noise=0.1, seed=0)
    stop = gn.training.TerminateOnNaN()
    net = gn.mlp([2, 16, 2], seed=0)
    history = net.fit(X, y, optimizer=gn.SGD(1e30), epochs=3, batch_size=40, verbose=0,
                      callbacks=[stop])
    assert stop.terminated_at == (0, 0) and history.stopped_early
    assert len(history.history["loss"]) == 1


class _DuckCallback:
    """Not a Callback subclass, but its class defines every hook: accepted."""

    def __init__(self):
        self.epochs = 0

    def on_train_begin(self, network): ...  # noqa: D102 - each hook is a no-op here

    def on_epoch_begin(self, network, epoch): ...  # noqa: D102

    def on_batch_begin(self, network, batch): ...  # noqa: D102

    def on_batch_end(self, network, batch, logs): ...  # noqa: D102

    def on_epoch_end(self, network, epoch, logs):
        self.epochs += 1

    def on_train_end(self, network): ...  # noqa: D102


@pytest.mark.parametrize(("callbacks", "match"), [
    ([object()], r"callbacks\[0\] is object .*not a callback: it lacks on_train_begin, "
                 r"on_epoch_begin.*A callback is a glassnet.training.Callback: subclass it"),
    ([EarlyStopping(), "csv"], r"callbacks\[1\] is str 'csv'.*not a callback"),
    ([EarlyStopping], r"callbacks\[0\] is the class EarlyStopping, not a callback: give an "
                      r"instance, e.g. EarlyStopping\(...\)"),
    (EarlyStopping(), r"callbacks must be a list of callbacks, got one EarlyStopping; write "
                      r"callbacks=\[...\]"),
    (None, "callbacks must be a list of callbacks, got None"),
])
def test_what_is_not_a_callback_is_refused_before_training(callbacks, match):
    X, y = make_moons(40, seed=0)
    net = gn.mlp([2, 4, 2], seed=0)
    with pytest.raises(TypeError, match=match):
        net.fit(X, y, epochs=1, callbacks=callbacks, verbose=0)
    assert net.training_state is None  # refused at the door: nothing ran
    duck = _DuckCallback()
    net.fit(X, y, epochs=2, callbacks=(duck,), verbose=0)
    assert duck.epochs == 2
