"""The step seam: fit with the default Strategy is fit without one, bit for bit."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.training import BackupAndRestore, CSVLogger, EpochLogger, HealthCheck, ModelCheckpoint
from glassnet.training.step import Strategy


def _net() -> gn.Network:
    return gn.Network([gn.Dense(2, 8, seed=0), gn.ReLU(), gn.Dense(8, 2, seed=1)])


def test_the_default_strategy_changes_nothing() -> None:
    X, y = gn.datasets.make_moons(100, seed=0)
    a, b = _net(), _net()
    ha = a.fit(X, y, epochs=3, batch_size=16, seed=0, verbose=0)
    hb = b.fit(X, y, epochs=3, batch_size=16, seed=0, verbose=0, strategy=Strategy())
    for k, v in a.get_weights().items():
        np.testing.assert_array_equal(v, b.get_weights()[k])
    assert ha.history == hb.history


class _Worker(Strategy):
    """A rank other than the chief, alone: it must skip the chief-only callbacks."""

    rank = 1

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_train_begin(self, network: gn.Network) -> None:
        self.calls.append("begin")

    def reduce_metrics(self, values: dict[str, float], n_local: float) -> dict[str, float]:
        self.calls.append(f"metrics {sorted(values)} {n_local:g}")
        return values

    def on_epoch_end(self, network: gn.Network) -> None:
        self.calls.append("epoch end")


def test_a_non_chief_rank_runs_no_logging_validation_or_checkpoints(tmp_path, capsys) -> None:
    X, y = gn.datasets.make_moons(40, seed=0)
    worker = _Worker()
    net = _net()
    callbacks = [CSVLogger(tmp_path / "log.csv"), ModelCheckpoint(tmp_path / "m.safetensors"),
                 BackupAndRestore(tmp_path / "backup")]
    history = net.fit(X, y, epochs=1, batch_size=40, seed=0, validation_data=(X, y),
                      callbacks=callbacks, strategy=worker)  # default verbosity
    assert not list(tmp_path.iterdir())
    assert capsys.readouterr().out == ""
    assert worker.calls == ["begin", "metrics ['loss'] 40", "metrics ['accuracy'] 40",
                            "metrics [] 1", "epoch end"]
    assert "val_loss" not in history.history  # only the chief validates
    for cls in (BackupAndRestore, CSVLogger, EpochLogger, HealthCheck, ModelCheckpoint):
        assert cls.chief_only is True
