"""glassnet.plots.images: misclassified samples, first-layer weights, backquery."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import glassnet as gn  # noqa: E402
from glassnet import plots  # noqa: E402


def test_misclassified_shows_only_the_mistakes_in_order(images):
    X, y_true, y_pred = images
    fig = plots.plot_misclassified(X, y_true, y_pred)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["true 2\npred 0", "true 2\npred 1",
                                                  "true 1\npred 2"]
    for ax, i in zip(fig.axes, (2, 5, 7), strict=True):
        (image,) = ax.images
        np.testing.assert_array_equal(image.get_array(), X[i].reshape(28, 28))
    assert fig._suptitle.get_text() == "3 of 10 misclassified"


def test_misclassified_titles_and_limits(images):
    X, y_true, y_pred = images
    fig = plots.plot_misclassified(X.reshape(-1, 28, 28), y_true, y_pred, max_images=2,
                                   class_names=["zero", "one", "two"])
    assert [ax.get_title() for ax in fig.axes] == ["true two\npred zero",
                                                  "true two\npred one"]
    assert fig._suptitle.get_text() == "3 of 10 misclassified (first 2 shown)"


def test_misclassified_with_no_mistakes_says_so(images):
    X, y_true, _ = images
    fig = plots.plot_misclassified(X, y_true, y_true)
    assert fig.axes == []
    assert [t.get_text() for t in fig.texts] == [
        "no misclassified examples: all 10 predictions are right"]


def test_misclassified_other_image_shapes(images):
    _, y_true, y_pred = images
    X = np.arange(10 * 12).reshape(10, 12)
    fig = plots.plot_misclassified(X, y_true, y_pred, image_shape=(3, 4))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), X[2].reshape(3, 4))


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"X": np.zeros((10, 100))}, r"^X must have shape \(n_samples, 784\)"),
    ({"image_shape": (20, 20)}, r"^X must have shape \(n_samples, 400\)"),
    ({"image_shape": (28,)}, r"^image_shape must be \(height, width\)"),
    ({"image_shape": (0, 28)}, r"^image_shape\[0\] must be a positive integer"),
    ({"y_pred": np.zeros(9, dtype=int)}, r"^y_pred has 9 labels but there are 10"),
    ({"max_images": 0}, r"^max_images must be a positive integer"),
    ({"class_names": ["a", "b"]}, r"^class_names has 2 names"),
])
def test_misclassified_errors(images, kwargs, pattern):
    X, y_true, y_pred = images
    args = {"X": X, "y_true": y_true, "y_pred": y_pred} | kwargs
    with pytest.raises(ValueError, match=pattern):
        plots.plot_misclassified(args.pop("X"), args.pop("y_true"), args.pop("y_pred"),
                                 **args)


# -- plot_first_layer_weights ------------------------------------------------------
def check_weight_images(fig, W):
    """One image per unit showing its column of W, on one scale symmetric about 0."""
    *grid, cbar = fig.axes
    assert cbar.get_ylabel() == "weight"
    assert len(grid) == W.shape[1]
    limit = np.abs(W).max()
    for j, ax in enumerate(grid):
        (image,) = ax.images
        np.testing.assert_allclose(image.get_array(), W[:, j].reshape(image.get_array().shape))
        np.testing.assert_allclose(image.get_clim(), (-limit, limit))
        assert image.get_cmap().name == "RdBu_r"


def test_first_layer_weights_of_a_network_and_of_its_dense():
    net = gn.mlp([784, 6, 10], seed=0)
    W = net.layers[0].params["W"]
    check_weight_images(plots.plot_first_layer_weights(net), W)
    check_weight_images(plots.plot_first_layer_weights(net.layers[0]), W)


def test_first_layer_weights_of_the_classic_network_use_wih_transposed(classic):
    fig = plots.plot_first_layer_weights(classic, max_units=5)
    check_weight_images(fig, classic.wih.T[:, :5])
    assert fig._suptitle.get_text() == "first-layer weights: 5 of 20 units"


def test_first_layer_weights_of_an_array():
    W = np.linspace(-1, 2, 16 * 3).reshape(16, 3)
    check_weight_images(plots.plot_first_layer_weights(W, image_shape=(4, 4)), W)


def test_first_layer_weights_all_zero_still_draw():
    fig = plots.plot_first_layer_weights(np.zeros((4, 2)), image_shape=(2, 2))
    assert len(fig.axes) == 3


def test_first_layer_weights_errors():
    with pytest.raises(ValueError, match=r"^image_shape=\(28, 28\) holds 784 pixels but the "
                                         r"first layer has n_in=10"):
        plots.plot_first_layer_weights(gn.mlp([10, 4], seed=0))
    with pytest.raises(ValueError, match=r"^source must be a weight array of shape"):
        plots.plot_first_layer_weights(np.zeros(784))
    with pytest.raises(ValueError, match=r"^max_units must be a positive integer"):
        plots.plot_first_layer_weights(np.zeros((784, 2)), max_units=0)
    with pytest.raises(TypeError, match=r"has no weights"):
        plots.plot_first_layer_weights(gn.ReLU())
    with pytest.raises(TypeError, match=r"^source must be a Network"):
        plots.plot_first_layer_weights("weights.npz")


# -- plot_backquery ------------------------------------------------------------------
def test_backquery_draws_the_books_images_one_per_label(classic):
    fig = plots.plot_backquery(classic)
    assert len(fig.axes) == 10
    for label, ax in enumerate(fig.axes):
        targets = np.full(10, 0.01)
        targets[label] = 0.99
        (image,) = ax.images
        np.testing.assert_allclose(image.get_array(),
                                   classic.backquery(targets).reshape(28, 28))
        assert ax.get_title() == str(label)


def test_backquery_chosen_labels_and_names(classic):
    names = [f"digit {k}" for k in range(10)]
    fig = plots.plot_backquery(classic, labels=[7, 3], class_names=names)
    assert [ax.get_title() for ax in fig.axes] == ["digit 7", "digit 3"]


def test_backquery_errors(classic):
    with pytest.raises(ValueError, match=r"^labels must be integers in 0\.\.9.*got 10"):
        plots.plot_backquery(classic, labels=[10])
    with pytest.raises(ValueError, match=r"^labels must be integers.*got 1\.5"):
        plots.plot_backquery(classic, labels=[1.5])
    with pytest.raises(ValueError, match=r"^labels is empty"):
        plots.plot_backquery(classic, labels=[])
    with pytest.raises(ValueError, match=r"^image_shape=\(10, 10\) holds 100 pixels"):
        plots.plot_backquery(classic, image_shape=(10, 10))
    with pytest.raises(ValueError, match=r"^class_names has 3 names"):
        plots.plot_backquery(classic, class_names=["a", "b", "c"])
    with pytest.raises(TypeError, match=r"^classic_network must be a glassnet\.classic"):
        plots.plot_backquery(gn.mlp([784, 10], seed=0))
