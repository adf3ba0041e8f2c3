"""plots.inside: what a network imagines per label, its hidden units, their favourite samples."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="matplotlib is not installed (the plot extra)")

import glassnet  # noqa: E402
from glassnet import inside, plots  # noqa: E402
from glassnet.errors import ShapeError  # noqa: E402


def drawn_images(fig):
    return [ax.images[0].get_array() for ax in fig.axes if ax.images]


def test_imagined_backqueries_an_invertible_network(classic):
    fig = plots.plot_imagined(classic, labels=[3, 7])
    assert "backquery" in fig._suptitle.get_text()
    pictures = drawn_images(fig)
    assert len(pictures) == 2
    np.testing.assert_allclose(pictures[1], inside.backquery(classic, 7).reshape(28, 28))
    assert [ax.get_title() for ax in fig.axes] == ["3", "7"]


def test_imagined_says_when_it_maximises_instead():
    net = glassnet.mlp([16, 6, 3], activation="relu", seed=0)
    fig = plots.plot_imagined(net, labels=range(3), image_shape=(4, 4))
    assert "activation maximisation" in fig._suptitle.get_text()
    np.testing.assert_allclose(drawn_images(fig)[2],
                               inside.activation_maximisation(net, 2).reshape(4, 4))
    with pytest.raises(ShapeError, match=r"image_shape=\(28, 28\) holds 784 pixels"):
        plots.plot_imagined(net, labels=[0])
    with pytest.raises(ValueError, match="labels is empty"):
        plots.plot_imagined(net, labels=[])


def test_hidden_activations_draws_one_strip_per_layer(classic, images):
    X, _, _ = images
    fig = plots.plot_hidden_activations(classic, X[0])
    strips = drawn_images(fig)
    assert [s.shape for s in strips] == [(1, 20), (1, 20), (1, 10), (1, 10)]
    np.testing.assert_allclose(strips[-1][0], classic.query(X[0])[:, 0], rtol=1e-12)
    with pytest.raises(ShapeError, match="x must be one input"):
        plots.plot_hidden_activations(classic, X[:2])


def test_strongest_inputs_shows_each_units_favourites(classic, images):
    X, _, _ = images
    fig = plots.plot_strongest_inputs(classic, X, units=[1, 4], k=3)
    pictures = drawn_images(fig)
    top = inside.strongest_inputs(classic, X, layer=1, k=3)
    assert len(pictures) == 6
    np.testing.assert_array_equal(pictures[3], X[top[4, 0]].reshape(28, 28))
    with pytest.raises(ValueError, match=r"units must be indices in 0..19"):
        plots.plot_strongest_inputs(classic, X, units=[25])
    with pytest.raises(ShapeError, match=r"X must have shape \(n, 784\)"):
        plots.plot_strongest_inputs(classic, X[:, :100])
