import io

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.training import EarlyStopping


def flat_weights(net):
    return np.concatenate([w.ravel() for w in net.get_weights().values()])


def moons(n=200, seed=0):
    return make_moons(n, noise=0.2, seed=seed)


def test_same_seed_gives_bit_identical_weights_and_history():
    X, y = moons()
    runs = []
    for _ in range(2):
        net = gn.mlp([2, 8, 2], dropout=0.2, seed=3)
        h = net.fit(X, y, epochs=3, batch_size=16, seed=11, verbose=0, validation_split=0.2)
        runs.append((flat_weights(net), h.history))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    other = gn.mlp([2, 8, 2], dropout=0.2, seed=3)
    other.fit(X, y, epochs=3, batch_size=16, seed=12, verbose=0)
    assert not np.array_equal(flat_weights(other), runs[0][0])


def test_history_keys_and_lengths():
    X, y = moons()
    h = gn.mlp([2, 8, 2], seed=0).fit(X, y, epochs=4, validation_data=moons(50, 1), verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in h.history.values()) and h.epochs_run == 4
    h = gn.Network([gn.Dense(2, 1, seed=0)], loss="mse").fit(X, y.astype(float), epochs=2,
                                                             verbose=0)
    assert set(h.history) == {"loss", "lr"}


def test_one_step_matches_hand_computation():
    """One SGD step on a 2-2 linear softmax classifier, worked out by hand."""
    net = gn.Network([gn.Dense(2, 2, dtype=np.float64)])
    net.layers[0].params["W"][...] = [[1.0, 0.0], [0.0, 1.0]]
    X = np.array([[1.0, 2.0]])
    # logits (1, 2); softmax p = (e / (e + e^2), e^2 / (e + e^2)); label 0
    p0 = np.e / (np.e + np.e**2)
    dz = np.array([[p0 - 1, 1 - p0]])
    expected_W = np.eye(2) - 0.5 * X.T @ dz
    expected_b = -0.5 * dz[0]
    net.fit(X, np.array([0]), optimizer=gn.SGD(0.5), epochs=1, batch_size=1, shuffle=False,
            verbose=0)
    np.testing.assert_allclose(net.layers[0].params["W"], expected_W, rtol=1e-14)
    np.testing.assert_allclose(net.layers[0].params["b"], expected_b, rtol=1e-14)


def test_float64_data_stays_out_of_a_float32_network():
    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X.astype(np.float64), y, epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in net.get_weights().values())


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"batch_size": -1}, "batch_size must be a positive integer"),
    ({"validation_split": 1.0}, "validation_split must be < 1"),
    ({"validation_split": 0.2, "validation_data": ([[0, 0]], [0])}, "not both"),
    ({"validation_split": 0.001}, "leaves 0 of 200"),
])
def test_bad_fit_arguments(kwargs, match):
    X, y = moons()
    with pytest.raises(ValueError, match=match):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, verbose=0, **kwargs)


def test_length_mismatch_names_both_shapes():
    X, y = moons()
    with pytest.raises(ValueError, match=r"X.shape=\(200, 2\) and y.shape=\(199,\)"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y[:-1], verbose=0)


def test_labels_out_of_range():
    X, y = moons()
    with pytest.raises(ValueError, match="0..1"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y + 1, verbose=0)


def test_diverging_training_raises_a_clear_error():
    X, y = moons()
    X = X * 1e30
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        gn.Network([gn.Dense(2, 1, seed=0)], loss="mse").fit(
            X, y.astype(np.float32) * 1e30, optimizer=gn.SGD(1e10), epochs=3, verbose=0)


def test_early_stopping_restores_best_weights():
    X, y = moons(300)
    net = gn.mlp([2, 16, 2], seed=0)
    stop = EarlyStopping("val_loss", patience=2)
    # a learning rate far too high makes the validation loss bounce around
    X_val, y_val = X[-90:], y[-90:]
    h = net.fit(X[:-90], y[:-90], optimizer=gn.SGD(5.0), epochs=50,
                validation_data=(X_val, y_val), seed=0, callbacks=[stop], verbose=0)
    assert h.stopped_early and h.epochs_run < 50
    assert stop.stopped_epoch == h.epochs_run - 1
    assert stop.best == min(h["val_loss"])
    assert net.evaluate(X_val, y_val)["loss"] == pytest.approx(stop.best, rel=1e-5)


def test_early_stopping_needs_the_monitored_key():
    X, y = moons()
    with pytest.raises(ValueError, match="pass validation data"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])


def test_verbose_prints_a_line_per_epoch(capsys):
    X, y = moons()
    gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, verbose=2)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 3 and "loss" in lines[0] and "accuracy" in lines[0]
    gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, verbose=0)
    assert capsys.readouterr().out == ""


def test_continuing_with_the_same_optimizer_keeps_its_state():
    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    opt = gn.Adam(0.01)
    net.fit(X, y, optimizer=opt, epochs=1, batch_size=50, verbose=0)
    net.fit(X, y, optimizer=opt, epochs=1, batch_size=50, verbose=0)
    assert opt.t == 8 and net.optimizer is opt


def test_xor_is_learned_by_a_2_4_1_network():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    net = gn.Network([gn.Dense(2, 4, init="glorot_uniform", seed=1), gn.Tanh(),
                      gn.Dense(4, 1, seed=2)], loss="binary_cross_entropy")
    net.fit(X, y, optimizer=gn.Adam(0.05), epochs=500, batch_size=4, seed=0, verbose=0)
    np.testing.assert_array_equal(net.predict(X), y)
    assert net.evaluate(X, y)["loss"] < 0.05


@pytest.mark.slow
def test_moons_demo_network_reaches_97_percent():
    X, y = make_moons(1000, noise=0.2, seed=0)
    X_test, y_test = make_moons(500, noise=0.2, seed=1)
    net = gn.mlp([2, 16, 2], activation="tanh", seed=0)
    net.fit(X, y, optimizer=gn.Adam(0.01), epochs=200, batch_size=32, seed=0, verbose=0)
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.97


def test_epoch_logger_every():
    stream = io.StringIO()
    X, y = moons()
    gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=10, verbose=0,
                                 callbacks=[gn.training.EpochLogger(10, every=5, stream=stream)])
    assert [ln.split()[1] for ln in stream.getvalue().splitlines()] == ["1/10", "5/10", "10/10"]


def test_early_stopping_waits_exactly_patience_epochs():
    class Net:
        stop_training = False

    net = Net()
    stop = EarlyStopping("val_loss", patience=2, restore_best_weights=False)
    stop.on_train_begin(net)
    for epoch, value in enumerate([1.0, 0.5, 0.6, 0.7, 0.4]):
        stop.on_epoch_end(net, epoch, {"val_loss": value})
        if net.stop_training:
            break
    assert stop.stopped_epoch == 3  # epochs 2 and 3 did not improve on epoch 1
    assert stop.best == 0.5 and stop.best_epoch == 1


def test_seeded_dropout_layer_is_deterministic_without_a_fit_seed():
    X, y = moons()
    weights = []
    for _ in range(2):
        net = gn.Network([gn.Dense(2, 8, seed=0), gn.ReLU(), gn.Dropout(0.5, seed=123),
                          gn.Dense(8, 2, seed=1)])
        net.fit(X, y, epochs=2, shuffle=False, verbose=0)
        weights.append(flat_weights(net))
    np.testing.assert_array_equal(weights[0], weights[1])


def test_a_second_fit_without_an_optimizer_continues_the_first():
    X, y = moons()
    a, b = gn.mlp([2, 4, 2], seed=0), gn.mlp([2, 4, 2], seed=0)
    a.fit(X, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    first = a.optimizer
    a.fit(X, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    assert a.optimizer is first and first.t == 2 * 4
    b.fit(X, y, epochs=2, batch_size=50, shuffle=False, verbose=0)
    np.testing.assert_array_equal(flat_weights(a), flat_weights(b))


def test_callbacks_see_the_optimizer_of_this_fit():
    seen = []

    class Spy(gn.training.Callback):
        def on_train_begin(self, network):
            seen.append(network.optimizer)

    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    opt = gn.SGD(0.1)
    net.fit(X, y, optimizer=opt, epochs=1, callbacks=[Spy()], verbose=0)
    assert seen == [opt]


def test_continued_training_equals_one_longer_run():
    X, y = moons()
    a, b = gn.mlp([2, 4, 2], seed=0), gn.mlp([2, 4, 2], seed=0)
    opt = gn.Adam(0.01)
    a.fit(X, y, optimizer=opt, epochs=1, batch_size=50, shuffle=False, verbose=0)
    a.fit(X, y, optimizer=opt, epochs=1, batch_size=50, shuffle=False, verbose=0)
    b.fit(X, y, optimizer=gn.Adam(0.01), epochs=2, batch_size=50, shuffle=False, verbose=0)
    np.testing.assert_array_equal(flat_weights(a), flat_weights(b))
