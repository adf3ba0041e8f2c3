import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.errors import ShapeError, TrainingHealthWarning
from glassnet.training.health import CHECKS, HealthCheck


@pytest.fixture(scope="module")
def moons():
    return make_moons(300, noise=0.2, seed=0)


def fit(net, X, y, *, optimizer=None, epochs=6, batch_size=32, check=None):
    check = check or HealthCheck(X, y)
    net.fit(X, y, optimizer=optimizer or gn.Adam(0.01), epochs=epochs,
            batch_size=batch_size, seed=0, verbose=0, callbacks=[check])
    return check


def kinds(check):
    return [kind for kind, _ in check.issued]


def messages(record):
    assert all(w.category is TrainingHealthWarning for w in record)
    return [str(w.message) for w in record]


def recorded():
    """Record every warning (a run may give several kinds; each test looks for its own)."""
    manager = warnings.catch_warnings(record=True)
    return manager


# -- healthy runs stay quiet (warnings are errors in this test suite) ----------
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_healthy_moons_runs_stay_quiet(moons, activation):
    X, y = moons
    check = fit(gn.mlp([2, 16, 2], activation=activation, seed=0), X, y, epochs=30)
    assert check.issued == []


def test_the_blogs_setup_with_sgd_stays_quiet(moons):
    X, y = moons
    net = gn.mlp([2, 16, 2], activation="sigmoid", loss="sse", output_activation="sigmoid",
                 task="classification", seed=0)
    assert fit(net, X, y, optimizer=gn.SGD(0.5), epochs=30).issued == []


def test_a_deep_relu_network_has_no_vanishing_gradients(moons):
    X, y = moons
    net = gn.mlp([2] + [16] * 8 + [2], activation="relu", seed=0)
    with recorded() as record:
        warnings.simplefilter("always")
        check = fit(net, X, y, epochs=3)
    assert "vanishing_gradients" not in kinds(check)
    assert len(record) == len(check.issued)


# -- each check, provoked -------------------------------------------------------
def test_unscaled_inputs(moons):
    X, y = moons
    with recorded() as record:
        warnings.simplefilter("always")
        check = fit(gn.mlp([2, 16, 2], activation="tanh", seed=0), X * 255, y, epochs=1)
    assert kinds(check)[0] == "inputs"
    assert record[0].filename == __file__  # the warning names the caller's line
    assert re.match(r"the inputs are not scaled: they range from -4\d\d.* to 5\d\d.*, far "
                    r"outside \[-10, 10\].*X / 255", messages(record)[0])


def test_inputs_within_limits_are_fine():
    check = HealthCheck(np.full((4, 2), 9.5))
    check.on_train_begin(gn.mlp([2, 2]))
    assert check.issued == []


def test_saturated_sigmoid(moons):
    X, y = moons
    net = gn.mlp([2, 16, 2], activation="sigmoid", seed=0)
    net.layers[0].params["W"][...] *= 200  # huge weighted sums
    with pytest.warns(TrainingHealthWarning, match=r"layer 1 Sigmoid is saturated: \d+% of its "
                                                   r"activations .* within 0.001 of 0 or 1"):
        check = fit(net, X, y, epochs=1)
    assert kinds(check) == ["saturation"]


def test_saturated_tanh(moons):
    X, y = moons
    net = gn.mlp([2, 16, 2], activation="tanh", seed=0)
    net.layers[0].params["W"][...] *= 200
    with pytest.warns(TrainingHealthWarning, match=r"layer 1 Tanh is saturated.*-1 or 1"):
        fit(net, X, y, epochs=1)


def test_dead_relu_layer_and_accuracy_at_chance(moons):
    X, y = moons
    net = gn.mlp([2, 16, 2], activation="relu", seed=0)
    net.layers[0].params["b"][...] = -50.0  # no unit is ever positive
    with pytest.warns(TrainingHealthWarning) as record:
        check = fit(net, X, y, epochs=8)
    assert kinds(check) == ["dead_relu", "chance"]  # each once, though seen every epoch
    messages = [str(w.message) for w in record]
    assert any("layer 1 ReLU has dead units: 16 of its 16 units (all)" in m for m in messages)
    assert any("stayed at 0.48" in m and "most common class (0.500)" in m for m in messages)


def test_loss_rising_with_a_learning_rate_far_too_high(moons):
    X, y = moons
    with recorded() as record:
        warnings.simplefilter("always")
        check = fit(gn.mlp([2, 16, 2], activation="tanh", seed=0), X, y,
                    optimizer=gn.SGD(5.0), epochs=10, batch_size=16)
    assert "loss" in kinds(check)
    assert any(re.match(r"the training loss rose from .* above its best: the learning rate "
                        r"is probably too high", m) for m in messages(record))


def test_loss_swinging_with_a_learning_rate_too_high(moons):
    X, y = moons
    with recorded() as record:
        warnings.simplefilter("always")
        check = fit(gn.mlp([2, 16, 2], activation="tanh", seed=0), X, y,
                    optimizer=gn.SGD(2.0), epochs=20, batch_size=16)
    assert kinds(check) == ["loss"]
    assert "loss swings up and down every epoch" in messages(record)[0]


def _feed(check, net, losses, accuracies=None):
    check.on_train_begin(net)
    for epoch, loss in enumerate(losses):
        logs = {"loss": loss}
        if accuracies is not None:
            logs["accuracy"] = accuracies[epoch]
        check.on_epoch_end(net, epoch, logs)


@pytest.mark.parametrize("losses, expected", [
    ([1.0, 0.8, 0.7, 0.9], "rose"),                      # 29 % above the best
    ([1.0, 0.9, 1.0, 0.9, 1.0, 0.9], "swings"),           # direction flips every epoch
    ([1.0, 0.8, 0.7, 0.8], None),                         # 14 %: within the tolerance
    ([1.0, 0.9, 0.91, 0.85, 0.86, 0.8], None),            # small wiggles on the way down
    ([1.0, 0.5, 0.25, 0.12, 0.06, 0.03], None),
])
def test_loss_rules(losses, expected):
    net = gn.mlp([2, 2])
    check = HealthCheck()
    if expected is None:
        _feed(check, net, losses)
        assert check.issued == []
    else:
        with pytest.warns(TrainingHealthWarning, match=expected):
            _feed(check, net, losses)


def test_chance_rule_uses_the_majority_class():
    net = gn.mlp([2, 2])
    y = np.array([0] * 70 + [1] * 30)
    with pytest.warns(TrainingHealthWarning, match=r"most common class \(0.700\)"):
        _feed(HealthCheck(y=y), net, [0.6] * 5, [0.70, 0.69, 0.71, 0.70, 0.70])
    quiet = HealthCheck(y=y)
    _feed(quiet, net, [0.6] * 5, [0.70, 0.69, 0.71, 0.75, 0.70])  # one epoch above chance
    assert quiet.issued == []
    no_labels = HealthCheck()  # chance 1/n_classes without labels
    with pytest.warns(TrainingHealthWarning, match=r"most common class \(0.500\)"):
        _feed(no_labels, net, [0.6] * 5, [0.5] * 5)


def test_vanishing_gradients_in_a_deep_sigmoid_network(moons):
    X, y = moons
    net = gn.mlp([2] + [16] * 8 + [2], activation="sigmoid", seed=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        check = fit(net, X, y, optimizer=gn.SGD(0.1), epochs=1)
    assert "vanishing_gradients" in kinds(check)
    message = next(str(w.message) for w in record if "vanishing" in str(w.message))
    assert "network of 9 Dense layers" in message and "use ReLU" in message


def test_the_checks_change_nothing_in_the_run(moons):
    X, y = moons
    nets = [gn.Network([gn.Dense(2, 16, seed=0), gn.ReLU(), gn.Dropout(0.3, seed=1),
                        gn.Dense(16, 2, seed=2)]) for _ in range(2)]
    # seed=None keeps each Dropout's own generator: the checks' copies draw no masks from it
    nets[0].fit(X, y, epochs=3, shuffle=False, verbose=0)
    nets[1].fit(X, y, epochs=3, shuffle=False, verbose=0, callbacks=[HealthCheck(X, y)])
    for name, value in nets[0].parameters.items():
        np.testing.assert_allclose(value, nets[1].parameters[name], rtol=0, atol=0, err_msg=name)


def test_a_new_run_warns_again(moons):
    X, y = moons
    check = HealthCheck(X * 255)
    net = gn.mlp([2, 4, 2], seed=0)
    for _ in range(2):
        with pytest.warns(TrainingHealthWarning, match="not scaled"):
            net.fit(X * 255, y, epochs=1, verbose=0, callbacks=[check])
    assert kinds(check) == ["inputs"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"X": np.zeros(3)}, ShapeError, r"X of shape \(n_samples, \*input_shape\), got \(3,\)"),
    ({"X": np.zeros((3, 2)), "y": np.zeros(4)}, ShapeError, "X with 3 samples but y with 4"),
    ({"max_saturated": 2.0}, ValueError, "max_saturated must be <= 1.0"),
    ({"swing_window": 2}, ValueError, "swing_window must be at least 3"),
    ({"min_gradient_ratio": 0}, ValueError, "min_gradient_ratio must be > 0"),
])
def test_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        HealthCheck(**kwargs)


def test_every_check_is_named():
    assert set(CHECKS) == {"inputs", "saturation", "dead_relu", "loss", "chance",
                           "vanishing_gradients"}


def test_data_that_does_not_fit_the_network_is_refused(moons):
    X, y = moons
    with pytest.raises(ShapeError, match="X with 3 features .* but the network takes 2"):
        gn.mlp([2, 4, 2]).fit(X, y, epochs=1, verbose=0,
                              callbacks=[HealthCheck(np.zeros((len(X), 3)))])


def test_integer_inputs_are_not_judged_for_scale_at_the_default_verbosity():
    """An integer-input first layer (an embedding) gets its ids as integers, unwarned."""

    class Ids(gn.layers.Layer):
        input_kind = "int"

        def build(self, input_shape, dtype):
            self.params["E"] = np.random.default_rng(0).standard_normal((50, 2)).astype(dtype)
            self.grads["E"] = np.zeros((50, 2), dtype)
            return super().build(input_shape, dtype)

        def output_shape(self, input_shape):
            return (input_shape[0] * 2,)

        def forward(self, x, *, training=False):
            assert x.dtype.kind == "i", x.dtype  # kept integer all the way
            self._ids = x
            return self.params["E"][x].reshape(len(x), -1)

        def backward(self, dout):
            grad = np.zeros_like(self.params["E"])
            np.add.at(grad, self._ids, dout.reshape(*self._ids.shape, 2))
            self.grads["E"] = grad
            return np.zeros(self._ids.shape, dout.dtype)

    X = np.random.default_rng(1).integers(0, 50, (64, 3))  # ids up to 49: "not scaled"
    net = gn.Network([Ids(), gn.Dense(2, seed=0)], input_shape=(3,))
    net.fit(X, X[:, 0] % 2, epochs=2)  # warnings are errors in this suite


def test_the_chance_rate_comes_from_the_loss_labels():
    """HealthCheck asks the head for labels: multi-label 0/1 targets count per label."""
    net = gn.Network([gn.Dense(2, 3, seed=0)], loss="binary_cross_entropy")
    y = np.array([[1, 0, 0]] * 9 + [[0, 1, 1]])
    check = HealthCheck(np.zeros((10, 2)), y)
    check.on_train_begin(net)
    assert check._chance_rate(net) == pytest.approx(0.9)
