"""glassnet.plots.points: the data set and the decision boundary."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import QuadContourSet  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet import plots  # noqa: E402
from glassnet.datasets import make_blobs  # noqa: E402


def scatter_points(ax) -> int:
    """Points drawn by the class scatters (contour sets are collections too)."""
    return sum(len(c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and c.get_label().startswith("class "))


def test_plot_dataset_draws_one_scatter_per_class_with_a_legend(moons):
    X, y = moons
    fig = plots.plot_dataset(X, y, title="moons")
    (ax,) = fig.axes
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    assert scatter_points(ax) == len(X)
    for k, scatter in enumerate(scatters):
        np.testing.assert_allclose(scatter.get_offsets(), X[y == k])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    assert ax.get_title() == "moons"
    assert ax.get_xlabel() and ax.get_ylabel()


def test_plot_dataset_default_title_counts_samples_and_classes():
    X, y = make_blobs(30, centers=3, seed=0)
    (ax,) = plots.plot_dataset(X, y).axes
    assert ax.get_title() == "30 samples, 3 classes"
    assert len(ax.get_legend().get_texts()) == 3


@pytest.mark.parametrize(("X", "y", "name"), [
    (np.zeros((5, 3)), np.zeros(5, dtype=int), "X"),
    (np.zeros(5), np.zeros(5, dtype=int), "X"),
    (np.zeros((0, 2)), np.zeros(0, dtype=int), "X"),
    (np.array([[0.0, np.nan]]), np.zeros(1, dtype=int), "X"),
    (np.zeros((5, 2)), np.zeros(4, dtype=int), "y"),
    (np.zeros((5, 2)), np.zeros((5, 2)), "y"),
    (np.zeros((5, 2)), np.full(5, 0.5), "y"),
    (np.zeros((5, 2)), np.full(5, -1), "y"),
])
def test_plot_dataset_rejects_bad_arrays_naming_them(X, y, name):
    with pytest.raises(ValueError, match=rf"^{name} "):
        plots.plot_dataset(X, y)


# -- plot_decision_boundary ----------------------------------------------------
def test_decision_boundary_of_two_classes_shows_p1_the_half_line_and_the_points(moons, trained):
    X, y = moons
    net, _ = trained
    fig = plots.plot_decision_boundary(net, X, y, resolution=30)
    assert len(fig.axes) == 2  # the plot and its colour bar
    ax, cbar = fig.axes
    assert cbar.get_ylabel() == "P(class 1)"
    contours = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    filled = [c for c in contours if c.filled]
    lines = [c for c in contours if not c.filled]
    assert len(filled) == 1 and len(lines) == 1
    np.testing.assert_allclose(filled[0].levels, np.linspace(0, 1, 11))
    np.testing.assert_allclose(lines[0].levels, [0.5])
    assert scatter_points(ax) == len(X)
    # the grid pads the data on every side
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max()
    assert y0 < X[:, 1].min() and y1 > X[:, 1].max()
    accuracy = np.mean(net.predict(X) == y)
    assert ax.get_title() == f"decision boundary (accuracy {accuracy:.1%} on {len(X)} points)"


def test_decision_boundary_of_three_classes_fills_the_predicted_class():
    X, y = make_blobs(45, centers=3, seed=0)
    net = gn.mlp([2, 8, 3], seed=0)
    net.fit(X, y, epochs=5, verbose=0, seed=0)
    fig = plots.plot_decision_boundary(net, X, y, resolution=25, title="blobs")
    (ax,) = fig.axes  # no colour bar: region colours are the class colours
    (filled,) = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    assert filled.filled
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5, 2.5])
    assert scatter_points(ax) == len(X)
    assert ax.get_title() == "blobs"


def test_decision_boundary_of_one_sigmoid_output_shows_p1(moons):
    X, y = moons
    net = gn.mlp([2, 4, 1], loss=gn.BinaryCrossEntropy(from_logits=False),
                 output_activation="sigmoid", seed=0)
    fig = plots.plot_decision_boundary(net, X, y, resolution=10)
    assert fig.axes[1].get_ylabel() == "P(class 1)"
    assert scatter_points(fig.axes[0]) == len(X)


def test_decision_boundary_argument_errors(moons, trained):
    X, y = moons
    net, _ = trained
    with pytest.raises(ValueError, match=r"^X must have shape \(n_samples, 2\)"):
        plots.plot_decision_boundary(net, np.zeros((5, 3)), y[:5])
    with pytest.raises(ValueError, match=r"^network must take 2 inputs.*n_in=3"):
        plots.plot_decision_boundary(gn.mlp([3, 2], seed=0), X, y)
    with pytest.raises(ValueError, match=r"^network must be a classifier"):
        plots.plot_decision_boundary(gn.mlp([2, 1], loss="mse", seed=0), X, y)
    with pytest.raises(ValueError, match=r"^resolution must be at least 2"):
        plots.plot_decision_boundary(net, X, y, resolution=1)
    with pytest.raises(ValueError, match=r"^resolution must be a positive integer"):
        plots.plot_decision_boundary(net, X, y, resolution=2.5)
    with pytest.raises(ValueError, match=r"^y has 59 labels but there are 60 samples"):
        plots.plot_decision_boundary(net, X, y[:-1])
    with pytest.raises(TypeError, match=r"^network must be a glassnet Network"):
        plots.plot_decision_boundary("net", X, y)
