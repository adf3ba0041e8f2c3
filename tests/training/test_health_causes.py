"""HealthCheck's advice follows the cause it found: a learning rate too high is named as
such, not blamed on vanishing gradients with a suggestion to use ReLU."""

from __future__ import annotations

import warnings

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.training import HealthCheck


def _issued(lr):
    X, y = make_moons(300, noise=0.2, seed=0)
    check = HealthCheck(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gn.mlp([2, 16, 2], activation="tanh", seed=0).fit(
            X, y, optimizer=gn.SGD(lr), epochs=10, batch_size=16, verbose=0, seed=0,
            callbacks=[check])
    return dict(check.issued)


def test_a_too_high_learning_rate_is_named_as_the_cause():
    issued = _issued(50.0)
    assert "vanishing_gradients" not in issued
    assert "learning rate is too high" in issued["saturation"]
    assert "try ReLU" not in issued["saturation"]
    assert "learning rate is probably too high" in issued["loss"]


def test_a_sound_run_stays_quiet():
    assert _issued(0.1) == {}


def test_the_loss_advice_suggests_adam_only_to_those_not_using_it():
    X, y = make_moons(300, noise=0.2, seed=0)
    advice = {}
    for optimizer in (gn.SGD(50.0), gn.Adam(5.0)):
        check = HealthCheck(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gn.mlp([2, 16, 2], activation="tanh", seed=0).fit(
                X, y, optimizer=optimizer, epochs=10, batch_size=16, verbose=0, seed=0,
                callbacks=[check])
        advice[type(optimizer).__name__] = dict(check.issued).get("loss", "")
    assert "learning rate is probably too high" in advice["SGD"]
    assert advice["SGD"].endswith("or use Adam")
    assert "learning rate is probably too high" in advice["Adam"]
    assert "Adam" not in advice["Adam"]
