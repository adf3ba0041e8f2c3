"""An optimizer's state belongs to the parameters it stepped: per-parameter step counts,
and one network per optimizer."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense, ReLU
from glassnet.optimizers import Adam


def moons(n=100):
    return gn.datasets.make_moons(n, noise=0.2, seed=0)


def test_a_layer_unfrozen_late_takes_adams_first_step_size():
    """PyTorch keeps a step count per parameter: the first step moves each weight by about lr."""
    X, y = moons()
    net = gn.Network([Dense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    net.layers[0].trainable = False
    net.fit(X, y, optimizer=Adam(0.01), epochs=3, batch_size=10, verbose=0)
    assert net.optimizer.t == 30 and "0.W" not in net.optimizer.steps
    net.layers[0].trainable = True
    before = net.parameters["0.W"].copy()
    net.train_on_batch(X[:10], y[:10])
    moved = np.abs(net.parameters["0.W"] - before)
    assert net.optimizer.steps["0.W"] == 1 and net.optimizer.steps["2.W"] == 31
    # Adam's first step moves a weight by lr * |g| / (|g| + eps), just under lr; with
    # the optimizer's count (31) it would move by about 0.58 lr (and 2.5 lr at step 1000)
    assert 0.0099 < moved.max() <= 0.01 * (1 + 1e-5)


def test_an_optimizer_refuses_a_second_network():
    X, y = moons()
    opt = Adam(0.01)
    first, second = gn.mlp([2, 4, 2], seed=0), gn.mlp([2, 4, 2], seed=1)
    first.fit(X, y, optimizer=opt, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="already trains another network.*reset"):
        second.fit(X, y, optimizer=opt, epochs=1, verbose=0)
    opt.reset()  # start afresh: now it may train the second network
    second.fit(X, y, optimizer=opt, epochs=1, verbose=0)
    assert opt.network is second and opt.t == 4


def test_copies_keep_their_own_optimizer_bound_to_themselves():
    import copy
    import pickle

    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X, y, epochs=1, verbose=0)
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert twin.optimizer.network is twin
        twin.fit(X, y, epochs=1, verbose=0)  # continues its own copy of the optimizer


def test_the_step_counts_survive_a_file_and_a_checkpoint(tmp_path):
    X, y = moons()
    net = gn.Network([Dense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    net.layers[0].trainable = False
    net.fit(X, y, optimizer=Adam(0.01), epochs=1, batch_size=20, verbose=0)
    net.layers[0].trainable = True
    net.fit(X, y, epochs=1, batch_size=20, verbose=0)
    back = gn.io.load(gn.io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer))
    assert back.optimizer.steps == net.optimizer.steps == {"0.W": 5, "0.b": 5, "2.W": 10,
                                                            "2.b": 10}


def test_state_restored_without_step_counts_continues_with_the_global_count():
    """Files and pickles from before per-parameter counts: a parameter with state has
    made every step (t), one without state starts at its first."""
    w, b = np.ones(3), np.ones(3)
    reference = Adam(0.1)
    for _ in range(5):
        reference.step([("w", w, np.full(3, 0.5))])
    restored = Adam(0.1)
    restored.t, restored.state = reference.t, {k: {n: a.copy() for n, a in v.items()}
                                               for k, v in reference.state.items()}
    w2 = w.copy()
    reference.step([("w", w, np.full(3, 0.5)), ("b", b, np.full(3, 0.5))])
    restored.step([("w", w2, np.full(3, 0.5)), ("b", np.ones(3), np.full(3, 0.5))])
    np.testing.assert_array_equal(w, w2)
    assert restored.steps == {"w": 6, "b": 1}
