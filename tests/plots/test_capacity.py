import numpy as np
import pytest

pytest.importorskip("matplotlib")

from glassnet.datasets import make_moons  # noqa: E402
from glassnet.errors import ShapeError  # noqa: E402
from glassnet.plots import CapacitySweep, capacity_sweep, plot_capacity_sweep  # noqa: E402


def test_sweep_trains_one_network_per_size():
    X, y = make_moons(40, noise=0.1, seed=0)
    X_test, y_test = make_moons(100, noise=0.1, seed=1)
    sweep = capacity_sweep(X, y, X_test, y_test, hidden=(1, 16), epochs=300, lr=0.05)
    assert sweep.hidden == [1, 16] and sweep.n_train == 40
    assert all(0 <= a <= 1 for a in sweep.train_accuracy + sweep.test_accuracy)
    # one hidden unit is a bent line at best; sixteen follow the moons
    assert sweep.train_accuracy[1] > sweep.train_accuracy[0]
    table = str(sweep)
    assert table.splitlines()[0].split() == ["hidden", "units", "train", "acc", "test", "acc",
                                             "gap", "train", "loss", "test", "loss"]
    assert len(table.splitlines()) == 3


def test_the_picture(tmp_path):
    sweep = CapacitySweep([1, 4, 16, 64], [0.85, 0.9, 1.0, 1.0], [0.84, 0.86, 0.85, 0.82],
                          "relu", 100, 30)
    fig = sweep.plot(path=tmp_path / "capacity.png")
    ax = fig.axes[0]
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), sweep.train_accuracy)
    np.testing.assert_array_equal(lines[1].get_ydata(), sweep.test_accuracy)
    assert ax.get_xscale() == "log"
    assert "best test: 86.0% with 4" in [t.get_text() for t in ax.texts]
    assert "30 training samples" in ax.get_title()
    assert (tmp_path / "capacity.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((np.zeros(4), np.zeros(4, int)), {}, ShapeError, r"X must have shape"),
    ((np.zeros((4, 2)), np.zeros(3, int)), {}, ShapeError, "3 labels but there are 4"),
    ((np.zeros((4, 2)), np.zeros(4, int)), {"hidden": ()}, ValueError, "at least one"),
    ((np.zeros((4, 2)), np.zeros(4, int)), {"hidden": (0,)}, ValueError, "hidden\\[0\\]"),
    ((np.zeros((4, 2)), np.zeros(4, int)), {"lr": -1}, ValueError, "lr must be > 0"),
])
def test_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        capacity_sweep(*args, np.zeros((2, 2)), np.zeros(2, int), **kwargs)


def test_plot_needs_a_sweep():
    with pytest.raises(TypeError, match="CapacitySweep returned by capacity_sweep"):
        plot_capacity_sweep({"hidden": [1]})


@pytest.mark.slow
def test_the_sweep_s_picture_shows_overfitting_in_the_test_loss():
    X, y = make_moons(30, noise=0.35, seed=1)  # few, noisy points: the notebook's set-up
    X_test, y_test = make_moons(1000, noise=0.35, seed=2)
    sweep = capacity_sweep(X, y, X_test, y_test, hidden=(1, 64), activation="relu",
                           epochs=1000, lr=0.03)
    assert sweep.train_loss[1] < sweep.train_loss[0] / 10  # the large layer fits the noise
    assert sweep.test_loss[1] > 2 * sweep.test_loss[0]  # and does worse on new points
    fig = sweep.plot()
    loss_panel = fig.axes[1]
    np.testing.assert_array_equal(loss_panel.get_lines()[1].get_ydata(), sweep.test_loss)
    assert "overfitting" in loss_panel.get_title()
