"""The step seam: a strategy and on_gradients callbacks act between backward and the step."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense, ReLU
from glassnet.training import Callback, CSVLogger, HealthCheck, ModelCheckpoint
from glassnet.training.step import Strategy


def toy(n=40):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def net():
    return gn.Network([Dense(3, 8, seed=0), ReLU(), Dense(2, seed=1)])


class Recording(Strategy):
    """Rank 1 of 2: takes every other row of a batch and records what fit asks of it."""

    rank, world_size = 1, 2

    def __init__(self):
        self.calls = []

    def on_train_begin(self, network):
        self.calls.append("train_begin")

    def shard(self, indices):
        return indices[self.rank::self.world_size]

    def reduce_gradients(self, network, n_local, n_global):
        self.calls.append(("reduce", n_local, n_global))
        for _, _, g in network.named_parameters():
            g[...] = 0  # nothing may move: proves the step reads the reduced gradients

    def reduce_metrics(self, values, n_local):
        self.calls.append(("metrics", n_local))
        return {**values, "reduced": 1.0}

    def on_epoch_end(self, network):
        self.calls.append("epoch_end")


def test_a_strategy_shards_reduces_and_sees_every_epoch(tmp_path):
    X, y = toy()
    network = net()
    before = network.get_weights()
    strategy = Recording()
    checkpoint = ModelCheckpoint(tmp_path / "m.safetensors", monitor="loss")
    history = network.fit(X, y, epochs=2, batch_size=10, strategy=strategy, seed=0,
                          validation_data=(X, y), callbacks=[checkpoint], verbose=2)
    assert strategy.calls[0] == "train_begin"
    assert strategy.calls.count(("reduce", 5, 10)) == 8  # 4 batches of 10, 5 rows each
    assert strategy.calls.count("epoch_end") == 2
    assert history.history["reduced"] == [1.0, 1.0]
    # the zeroed gradients were the ones stepped (Adam with g = 0 leaves p alone)
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, before[name])
    # a non-chief rank validates nothing and runs no chief-only callback
    assert "val_loss" not in history.history
    assert not (tmp_path / "m.safetensors").exists()


def test_the_chief_only_callbacks_are_the_loggers_checkpoints_and_health_check():
    for cls in (CSVLogger, ModelCheckpoint, HealthCheck, gn.training.EpochLogger,
                gn.training.BackupAndRestore):
        assert cls.chief_only is True
    assert Callback.chief_only is False and Strategy().is_chief


def test_on_gradients_runs_between_backward_and_step():
    X, y = toy()
    seen = []

    class Clip(Callback):
        def on_gradients(self, network):
            grads = [g for _, _, g in network.named_parameters()]
            seen.append(all(np.isfinite(g).all() and np.abs(g).sum() > 0 for g in grads[:1]))
            for g in grads:
                g *= 0

    network = net()
    before = network.get_weights()
    network.fit(X, y, epochs=1, batch_size=20, callbacks=[Clip()], verbose=0)
    assert seen == [True, True]
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, before[name])


def test_the_default_strategy_trains_bit_for_bit_as_none():
    X, y = toy()
    a, b = net(), net()
    a.fit(X, y, epochs=2, batch_size=8, seed=3, verbose=0)
    b.fit(X, y, epochs=2, batch_size=8, seed=3, verbose=0, strategy=Strategy())
    for name, value in a.get_weights().items():
        np.testing.assert_array_equal(value, b.get_weights()[name])


@pytest.mark.parametrize("bad", [{"sample_weight": np.ones(3)}, {"class_weight": "balanced"}])
def test_prepare_refuses_weights_without_targets(bad):
    with pytest.raises(ValueError, match="need the targets"):
        net().prepare(np.zeros((3, 3)), **bad)


def test_an_empty_shard_still_reduces_and_steps():
    """A global batch with fewer rows than ranks leaves some ranks nothing: they still
    meet the others in reduce_gradients (zero gradients) and step, in lockstep."""

    class Third(Recording):
        rank, world_size = 2, 3

        def shard(self, indices):
            return indices[self.rank::self.world_size]

        def reduce_gradients(self, network, n_local, n_global):
            self.calls.append(("reduce", n_local, n_global))
            assert all(not g.any() for _, _, g in network.named_parameters()) or n_local

    X, y = toy(8)
    network = net()
    strategy = Third()
    network.fit(X, y, optimizer=gn.SGD(0.1), epochs=1, batch_size=2, strategy=strategy,
                verbose=0)
    assert strategy.calls.count(("reduce", 0.0, 2)) == 4 and network.optimizer.t == 4
