import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import make_moons
from glassnet.training import CosineDecay, ExponentialDecay, OneCycle, StepDecay


def test_step_decay_drops_every_few_epochs():
    s = StepDecay(0.1, steps_per_epoch=10, every_epochs=2, factor=0.5)
    np.testing.assert_allclose(s([0, 19, 20, 39, 40]), [0.1, 0.1, 0.05, 0.05, 0.025])


def test_exponential_decay():
    s = ExponentialDecay(1.0, decay_steps=10, rate=0.5)
    np.testing.assert_allclose(s([0, 5, 10, 20]), [1.0, 2**-0.5, 0.5, 0.25])


def test_cosine_decay_with_warm_up():
    s = CosineDecay(1.0, total_steps=110, warmup_steps=10, final_lr=0.1)
    np.testing.assert_allclose(s([0, 4, 9]), [0.1, 0.5, 1.0])  # linear warm-up
    assert s.lr_at(10) == pytest.approx(1.0)
    assert s.lr_at(60) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way down the cosine
    assert s.lr_at(110) == s.lr_at(500) == 0.1
    rates = s(np.arange(10, 111))
    assert np.all(np.diff(rates) <= 0)


def test_one_cycle_goes_up_then_down():
    s = OneCycle(1.0, total_steps=100, pct_up=0.3, div=10, final_div=100)
    assert s.lr_at(0) == pytest.approx(0.1)
    assert s.lr_at(30) == pytest.approx(1.0)
    assert s.lr_at(99) == pytest.approx(1e-3, rel=0.05)
    rates = s(np.arange(100))
    assert np.argmax(rates) == 30 and rates[-1] < rates[0]


@pytest.mark.parametrize("make,match", [
    (lambda: CosineDecay(0.1, total_steps=10, warmup_steps=10), "warmup_steps"),
    (lambda: OneCycle(0.1, total_steps=10, pct_up=1.0), "pct_up"),
    (lambda: StepDecay(0.1, steps_per_epoch=0), "steps_per_epoch"),
    (lambda: ExponentialDecay(-1.0, decay_steps=5), "initial_lr"),
])
def test_bad_schedule_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_fit_applies_the_schedule_at_every_step_and_records_it():
    X, y = make_moons(100, noise=0.2, seed=0)
    steps_per_epoch = 5
    schedule = CosineDecay(0.05, total_steps=4 * steps_per_epoch, warmup_steps=3)
    seen = []

    class Spy(gn.training.Callback):
        def on_batch_end(self, network, batch, logs):
            seen.append(logs["lr"])

    h = gn.mlp([2, 4, 2], seed=0).fit(X, y, optimizer=gn.SGD(1.0), epochs=4, batch_size=20,
                                      callbacks=[schedule, Spy()], verbose=0)
    np.testing.assert_allclose(seen, schedule(np.arange(20)))
    # the history's lr is the rate of the epoch's last step
    np.testing.assert_allclose(h["lr"], [seen[4], seen[9], seen[14], seen[19]])


def test_the_schedule_continues_from_the_global_step_in_a_second_fit():
    X, y = make_moons(100, noise=0.2, seed=0)
    schedule = ExponentialDecay(0.1, decay_steps=5, rate=0.5)
    net = gn.mlp([2, 4, 2], seed=0)
    net.fit(X, y, optimizer=gn.SGD(1.0), epochs=1, batch_size=20, callbacks=[schedule],
            verbose=0)
    h = net.fit(X, y, epochs=1, batch_size=20, callbacks=[schedule], verbose=0)
    assert h["lr"] == [pytest.approx(0.1 * 0.5 ** (9 / 5))]
    assert math.isclose(net.optimizer.lr, schedule.lr_at(9))
