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


# -- the training state and the continue / start-afresh convention ---------------
def test_callbacks_see_the_training_state_from_the_first_hook():
    seen = []

    class Spy(gn.training.Callback):
        def on_train_begin(self, network):
            state = network.training_state
            seen.append((network.optimizer is not None, state.epoch, state.step))

    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X, y, epochs=2, batch_size=50, callbacks=[Spy()], verbose=0)
    net.fit(X, y, epochs=1, batch_size=50, callbacks=[Spy()], verbose=0)
    assert seen == [(True, 0, 0), (True, 0, 8)]  # the step count continues


def test_a_second_fit_continues_the_shuffling_and_dropout_generators():
    X, y = moons()

    def make():
        return gn.Network([gn.Dense(2, 16, seed=0), gn.ReLU(), gn.Dropout(0.3),
                           gn.Dense(16, 2, seed=1)])

    a, b = make(), make()
    a.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0)
    a.fit(X, y, epochs=3, batch_size=16, verbose=0)  # no seed: continue
    b.fit(X, y, epochs=5, batch_size=16, seed=0, verbose=0)
    np.testing.assert_array_equal(flat_weights(a), flat_weights(b))
    assert a.training_state.step == b.training_state.step == 5 * 13


@pytest.mark.parametrize("how", ["reset", "new optimizer", "reset_training"])
def test_a_fresh_start_forgets_the_state(how):
    X, y = moons()
    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X, y, epochs=1, batch_size=50, seed=0, verbose=0)
    old_state, old_opt = net.training_state, net.optimizer
    if how == "reset":
        net.fit(X, y, epochs=1, batch_size=50, reset=True, verbose=0)
        assert net.optimizer is old_opt and old_opt.t == 4  # its moments were reset first
    elif how == "new optimizer":
        net.fit(X, y, optimizer=gn.Adam(), epochs=1, batch_size=50, verbose=0)
        assert net.optimizer is not old_opt and net.optimizer.t == 4
    else:
        net.reset_training()
        assert net.training_state is None and old_opt.t == 0
        net.fit(X, y, epochs=1, batch_size=50, verbose=0)
    assert net.training_state is not old_state and net.training_state.step == 4


def test_initial_epoch_runs_the_remaining_epochs_with_their_numbers():
    epochs_seen = []

    class Spy(gn.training.Callback):
        def on_epoch_begin(self, network, epoch):
            epochs_seen.append(epoch)

    X, y = moons()
    h = gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=5, initial_epoch=3, callbacks=[Spy()],
                                      verbose=0)
    assert epochs_seen == [3, 4] and h.epochs_run == 2
    with pytest.raises(ValueError, match=r"an integer in 0..epochs-1 = 0..4, got 5"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=5, initial_epoch=5, verbose=0)


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_on_train_end_runs_after_an_exception(error):
    X, y = moons()
    net = gn.mlp([2, 8, 2], seed=0)
    ended = []

    class Crash(gn.training.Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 2:
                raise error("stop")

        def on_train_end(self, network):
            ended.append(network.optimizer)

    stop = EarlyStopping("loss", patience=10)
    with pytest.raises(error):
        net.fit(X, y, epochs=10, callbacks=[stop, Crash()], verbose=0)
    assert ended == [net.optimizer] and stop.restored
    assert net.training_state.interrupted


def test_per_batch_hooks_get_loss_batch_step_and_lr_and_can_stop():
    logs_seen = []

    class Spy(gn.training.Callback):
        def on_batch_end(self, network, batch, logs):
            logs_seen.append(dict(logs))
            if logs["step"] == 5:
                network.stop_training = True

    X, y = moons()
    h = gn.mlp([2, 4, 2], seed=0).fit(X, y, optimizer=gn.SGD(0.1), epochs=3, batch_size=50,
                                      callbacks=[Spy()], verbose=0)
    assert [(d["batch"], d["step"]) for d in logs_seen] == [(0, 1), (1, 2), (2, 3), (3, 4),
                                                           (0, 5)]
    assert all(d["lr"] == 0.1 and np.isfinite(d["loss"]) for d in logs_seen)
    assert h.stopped_early and h.epochs_run == 2


def test_history_records_the_learning_rate_a_callback_sets():
    class Halve(gn.training.Callback):
        def on_epoch_end(self, network, epoch, logs):
            network.optimizer.lr /= 2

    X, y = moons()
    h = gn.mlp([2, 4, 2], seed=0).fit(X, y, optimizer=gn.SGD(0.8), epochs=3,
                                      callbacks=[Halve()], verbose=0)
    assert h["lr"] == [0.8, 0.4, 0.2]


# -- divergence ----------------------------------------------------------------
def test_a_non_finite_loss_names_the_epoch_the_step_and_the_fixes():
    X, y = moons()
    net = gn.mlp([2, 16, 2], seed=0)
    net.fit(X, y, optimizer=gn.SGD(0.1), epochs=2, batch_size=50, verbose=0)
    with pytest.raises(FloatingPointError) as info:
        net.fit(X * 1e30, y, epochs=4, initial_epoch=2, batch_size=50, verbose=0)
    message = str(info.value)
    assert "loss became" in message
    # steps 1-8 in the first fit; step 9 (huge inputs) still has a finite loss, step 10 not
    assert "in epoch 3" in message and "optimizer step 10 of the run" in message
    assert "lower the learning rate (it is 0.1)" in message and "clip_norm" in message


def test_non_finite_parameters_stop_training_at_the_end_of_the_epoch():
    class Poison(gn.training.Callback):
        def on_batch_end(self, network, batch, logs):
            if batch == 3:
                network.layers[0].params["W"][0, 0] = np.nan

    X, y = moons()
    with pytest.raises(FloatingPointError, match=r"parameter became NaN.*\['0.W'\]"):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, batch_size=50, callbacks=[Poison()],
                                      verbose=0)


def test_a_loss_rising_by_orders_of_magnitude_warns_once():
    X, y = moons()
    net = gn.mlp([2, 16, 2], seed=0)
    with pytest.warns(gn.errors.TrainingWarning, match="rose from .* more than 1000 times") \
            as record:
        net.fit(X, y, optimizer=gn.SGD(1e3), epochs=4, batch_size=200, verbose=0)
    assert len(record) == 1


# -- weights, the validation split, incremental learning ----------------------
def test_integer_sample_weights_equal_repeated_samples():
    X, y = moons(40)
    w = np.ones(40)
    w[:5] = 3
    X_rep = np.concatenate([X, X[:5], X[:5]])
    y_rep = np.concatenate([y, y[:5], y[:5]])
    a, b = gn.mlp([2, 6, 2], seed=0), gn.mlp([2, 6, 2], seed=0)
    ha = a.fit(X, y, optimizer=gn.SGD(0.5), epochs=3, batch_size=40, sample_weight=w,
               shuffle=False, verbose=0)
    hb = b.fit(X_rep, y_rep, optimizer=gn.SGD(0.5), epochs=3, batch_size=50, shuffle=False,
               verbose=0)
    np.testing.assert_allclose(flat_weights(a), flat_weights(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ha["loss"], hb["loss"], rtol=1e-5)
    np.testing.assert_allclose(a.evaluate(X, y, sample_weight=w)["loss"],
                               a.evaluate(X_rep, y_rep)["loss"], rtol=1e-5)
    np.testing.assert_allclose(a.evaluate(X, y, sample_weight=w)["accuracy"],
                               a.evaluate(X_rep, y_rep)["accuracy"])


def test_weighted_gradient_matches_finite_differences():
    # the loop's gradient (rows scaled by w_i / mean(w)) is the gradient of
    # sum_i w_i l_i / sum_i w_i, checked in float64 on one SGD step
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    y = np.array([0, 1, 2, 1, 0, 2])
    w = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 1.5])
    net = gn.Network([gn.Dense(3, 3, seed=0, dtype=np.float64)])
    W0 = net.layers[0].params["W"].copy()

    def weighted_loss(W):
        out = X @ W + net.layers[0].params["b"]
        return float(np.dot(w, net.loss.per_sample_loss(y, out)) / w.sum())

    numeric = np.zeros_like(W0)
    for idx in np.ndindex(W0.shape):
        plus, minus = W0.copy(), W0.copy()
        plus[idx] += 1e-6
        minus[idx] -= 1e-6
        numeric[idx] = (weighted_loss(plus) - weighted_loss(minus)) / 2e-6
    net.fit(X, y, optimizer=gn.SGD(1.0), epochs=1, batch_size=6, sample_weight=w,
            shuffle=False, verbose=0)
    np.testing.assert_allclose(W0 - net.layers[0].params["W"], numeric, rtol=1e-6, atol=1e-9)


def test_class_weight_balanced_equals_explicit_weights():
    X, y = moons(100)
    y = y.copy()
    y[:30] = 0  # unbalance the classes
    counts = np.bincount(y)
    explicit = {c: len(y) / (2 * counts[c]) for c in (0, 1)}
    a, b = gn.mlp([2, 6, 2], seed=0), gn.mlp([2, 6, 2], seed=0)
    a.fit(X, y, epochs=2, class_weight="balanced", seed=0, verbose=0)
    b.fit(X, y, epochs=2, class_weight=explicit, seed=0, verbose=0)
    np.testing.assert_array_equal(flat_weights(a), flat_weights(b))
    c = gn.mlp([2, 6, 2], seed=0)
    c.fit(X, y, epochs=2, seed=0, verbose=0)
    assert not np.array_equal(flat_weights(a), flat_weights(c))


@pytest.mark.parametrize("kwargs,match", [
    ({"sample_weight": np.ones(3)}, r"sample_weight must have shape \(n_samples,\) = \(200,\)"),
    ({"sample_weight": -np.ones(200)}, "finite numbers >= 0"),
    ({"sample_weight": np.zeros(200)}, "all zero"),
    ({"class_weight": "even"}, "or 'balanced'"),
    ({"class_weight": {5: 1.0}}, r"labels are integers in 0..1"),
])
def test_bad_weights_are_refused(kwargs, match):
    X, y = moons()
    with pytest.raises(ValueError, match=match):
        gn.mlp([2, 4, 2], seed=0).fit(X, y, epochs=1, verbose=0, **kwargs)


def test_validation_split_is_shuffled_and_stratified_on_sorted_labels():
    X, y = moons(300)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]  # label-sorted: the last rows are all class 1
    seen = {}

    class Spy(gn.training.Callback):
        def on_epoch_end(self, network, epoch, logs):
            seen.update(logs)

    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X, y, epochs=1, validation_split=0.2, seed=3, callbacks=[Spy()], verbose=0)
    from glassnet.training.weights import stratified_split

    train_idx, val_idx = stratified_split(300, 0.2, y, np.random.default_rng(3))
    assert np.bincount(y[val_idx]).tolist() == [30, 30]
    assert len(set(train_idx) | set(val_idx)) == 300 and not set(train_idx) & set(val_idx)
    assert seen["val_loss"] == pytest.approx(net.evaluate(X[val_idx], y[val_idx])["loss"],
                                             rel=1e-6)


def test_train_on_batch_is_one_step_that_continues_the_optimizer():
    X, y = moons()
    a, b = gn.mlp([2, 4, 2], seed=0), gn.mlp([2, 4, 2], seed=0)
    losses = [a.train_on_batch(X[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50)]
    b.fit(X, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    np.testing.assert_array_equal(flat_weights(a), flat_weights(b))
    assert a.optimizer.t == 4 and all(np.isfinite(losses))
    assert a.partial_fit(X[:10], y[:10]) > 0 and a.training_state.step == 5


def test_a_single_huge_step_does_not_return_normally():
    # the old failure: one step at lr 1e30 returned, and the model then answered nonsense
    X, y = moons()
    net = gn.mlp([2, 16, 2], seed=0)
    with pytest.raises(FloatingPointError, match="after the epoch's last step the loss of its "
                                                 "last batch is"):
        net.fit(X, y, optimizer=gn.SGD(1e30), epochs=1, batch_size=200, verbose=0)
