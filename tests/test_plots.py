"""glassnet.plots: figure contents, PNG files, argument checks, optional matplotlib.

Figures are built with ``matplotlib.figure.Figure`` directly, so no display
and no pyplot backend is involved anywhere in these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import QuadContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet import plots  # noqa: E402
from glassnet.classic import NeuralNetwork  # noqa: E402
from glassnet.datasets import make_blobs, make_moons  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- fixtures --------------------------------------------------------------
@pytest.fixture(scope="module")
def moons():
    return make_moons(60, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def trained(moons):
    X, y = moons
    net = gn.mlp([2, 8, 2], seed=0)
    history = net.fit(X, y, epochs=5, validation_split=0.25, seed=0, verbose=0)
    return net, history


@pytest.fixture(scope="module")
def classic():
    return NeuralNetwork(784, 20, 10, 0.1, seed=0)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.random((10, 784))
    y_true = np.arange(10) % 3
    y_pred = y_true.copy()
    y_pred[[2, 5, 7]] = [0, 1, 2]  # three mistakes, at rows 2, 5 and 7
    return X, y_true, y_pred


def scatter_points(ax) -> int:
    """Points drawn by the class scatters (contour sets are collections too)."""
    return sum(len(c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and c.get_label().startswith("class "))


def assert_png(path) -> None:
    from PIL import Image

    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 0 and image.size[1] > 0


# -- import and optional dependency ----------------------------------------
def test_importing_glassnet_does_not_import_matplotlib():
    code = ("import sys, glassnet, glassnet.plots; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import time'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def _calls(moons, trained, images, classic):
    X, y = moons
    net, history = trained
    Ximg, y_true, y_pred = images
    return {
        "plot_dataset": lambda: plots.plot_dataset(X, y),
        "plot_decision_boundary": lambda: plots.plot_decision_boundary(net, X, y,
                                                                       resolution=20),
        "plot_history": lambda: plots.plot_history(history),
        "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(y_true, y_pred),
        "plot_misclassified": lambda: plots.plot_misclassified(Ximg, y_true, y_pred),
        "plot_first_layer_weights": lambda: plots.plot_first_layer_weights(classic,
                                                                           max_units=4),
        "plot_backquery": lambda: plots.plot_backquery(classic, labels=[0, 1]),
    }


ALL = sorted(plots.__all__)


@pytest.mark.parametrize("name", ALL)
def test_missing_matplotlib_gives_the_install_hint(name, monkeypatch, moons, trained, images,
                                                   classic):
    call = _calls(moons, trained, images, classic)[name]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        call()


@pytest.mark.parametrize("name", ALL)
def test_no_function_uses_pyplot(name, monkeypatch, moons, trained, images, classic):
    call = _calls(moons, trained, images, classic)[name]
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # importing it would fail
    assert isinstance(call(), Figure)


@pytest.mark.parametrize("name", ALL)
def test_every_function_returns_a_figure_and_saves_a_png_atomically(
        name, tmp_path, moons, trained, images, classic):
    target = tmp_path / f"{name}.png"
    fig = _with_path(name, target, moons, trained, images, classic)
    assert isinstance(fig, Figure)
    assert_png(target)
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind
    if os.name == "posix":
        umask = os.umask(0o022)
        os.umask(umask)
        assert (target.stat().st_mode & 0o777) == 0o666 & ~umask  # not mkstemp's 0o600


def _with_path(name, path, moons, trained, images, classic):
    X, y = moons
    net, history = trained
    Ximg, y_true, y_pred = images
    if name == "plot_dataset":
        return plots.plot_dataset(X, y, path=path)
    if name == "plot_decision_boundary":
        return plots.plot_decision_boundary(net, X, y, resolution=20, path=path)
    if name == "plot_history":
        return plots.plot_history(history, path=path)
    if name == "plot_confusion_matrix":
        return plots.plot_confusion_matrix(y_true, y_pred, path=path)
    if name == "plot_misclassified":
        return plots.plot_misclassified(Ximg, y_true, y_pred, path=path)
    if name == "plot_first_layer_weights":
        return plots.plot_first_layer_weights(classic, max_units=4, path=path)
    return plots.plot_backquery(classic, labels=[0, 1], path=str(path))  # str paths too


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, moons, monkeypatch):
    target = tmp_path / "moons.png"
    target.write_bytes(b"old picture")

    def broken_savefig(self, f, **kwargs):
        f.write(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.plot_dataset(*moons, path=target)
    assert target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["moons.png"]


def test_saving_overwrites_an_existing_file(tmp_path, moons):
    target = tmp_path / "moons.png"
    target.write_bytes(b"old picture")
    plots.plot_dataset(*moons, path=target)
    assert_png(target)


@pytest.mark.parametrize("bad", ["plot.pdf", "plot.jpg"])
def test_path_must_be_a_png(tmp_path, moons, bad):
    with pytest.raises(ValueError, match=r"path must name a \.png file"):
        plots.plot_dataset(*moons, path=tmp_path / bad)
    assert os.listdir(tmp_path) == []


def test_a_path_without_suffix_gets_a_png(tmp_path, moons):
    plots.plot_dataset(*moons, path=tmp_path / "moons")
    assert_png(tmp_path / "moons")


# -- plot_dataset ------------------------------------------------------------
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
    net = gn.mlp([2, 4, 1], loss="binary_cross_entropy", output_activation="sigmoid", seed=0)
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


# -- plot_history ----------------------------------------------------------------
def test_history_with_validation_has_two_panels_of_two_lines(trained):
    _, history = trained
    fig = plots.plot_history(history)
    assert len(fig.axes) == 2
    for ax, metric in zip(fig.axes, ["loss", "accuracy"], strict=True):
        lines = ax.get_lines()
        assert len(lines) == 2
        np.testing.assert_allclose(lines[0].get_ydata(), history.history[metric])
        np.testing.assert_allclose(lines[1].get_ydata(), history.history[f"val_{metric}"])
        np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4, 5])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == metric


def test_history_as_a_plain_dict_of_loss_only_has_one_panel():
    fig = plots.plot_history({"loss": [3.0, 2.0, 1.5]})
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_xlabel() == "epoch"


def test_history_with_accuracy_but_no_validation():
    fig = plots.plot_history({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8]})
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


@pytest.mark.parametrize(("history", "error", "pattern"), [
    ({}, ValueError, r"^history has no 'loss' values"),
    ({"loss": []}, ValueError, r"^history has no 'loss' values"),
    ({"accuracy": [0.5]}, ValueError, r"^history has no 'loss' values"),
    ({"loss": [[1.0, 2.0]]}, ValueError, r"^history\['loss'\] must be a list"),
    ([1.0, 2.0], TypeError, r"^history must be a History or a dict"),
])
def test_history_errors(history, error, pattern):
    with pytest.raises(error, match=pattern):
        plots.plot_history(history)


# -- plot_confusion_matrix -------------------------------------------------------
Y_TRUE = [0, 0, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 2, 0, 2]
COUNTS = [[1, 1, 0],  # worked by hand: row = true class, column = predicted
          [0, 1, 0],
          [1, 0, 2]]


def cell_texts(ax):
    """The cell texts as a matrix, read from their positions (x = column, y = row)."""
    n = len(ax.get_xticks())
    grid = np.empty((n, n), dtype=object)
    for text in ax.texts:
        col, row = text.get_position()
        grid[int(row), int(col)] = text.get_text()
    return grid


def test_confusion_matrix_cells_show_the_counts():
    fig = plots.plot_confusion_matrix(Y_TRUE, Y_PRED)
    assert len(fig.axes) == 2  # matrix and colour bar
    ax = fig.axes[0]
    assert len(ax.texts) == 9
    np.testing.assert_array_equal(cell_texts(ax), np.array(COUNTS).astype(str))
    np.testing.assert_array_equal(ax.images[0].get_array(), COUNTS)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert "accuracy 66.7% on 6 samples" in ax.get_title()


def test_confusion_matrix_normalized_rows_sum_to_one():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=True).axes[0]
    expected = np.array(COUNTS) / np.array(COUNTS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    np.testing.assert_array_equal(cell_texts(ax), np.vectorize(lambda v: f"{v:.2f}")(expected))


def test_confusion_matrix_class_names_add_rows_for_unseen_classes():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=True,
                                     class_names=["cat", "dog", "owl", "eel"]).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "owl", "eel"]
    assert len(ax.texts) == 16
    assert cell_texts(ax)[3].tolist() == ["0.00"] * 4  # an empty row stays 0, no warning


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"y_true": [0, 1], "y_pred": [0]}, r"^y_pred has 1 labels but there are 2"),
    ({"y_true": [0.5, 1], "y_pred": [0, 1]}, r"^y_true must hold non-negative integer"),
    ({"y_true": [[0, 1]], "y_pred": [[0, 1]]}, r"^y_true must be a non-empty vector"),
    ({"y_true": [], "y_pred": []}, r"^y_true must be a non-empty vector"),
    ({"y_true": [0, 2], "y_pred": [0, 1], "class_names": ["a", "b"]},
     r"^class_names has 2 names but the labels go up to 2"),
    ({"y_true": [0, 1], "y_pred": [0, 1], "normalize": "rows"}, r"^normalize must be True"),
])
def test_confusion_matrix_errors(kwargs, pattern):
    y_true, y_pred = kwargs.pop("y_true"), kwargs.pop("y_pred")
    with pytest.raises(ValueError, match=pattern):
        plots.plot_confusion_matrix(y_true, y_pred, **kwargs)


# -- plot_misclassified ----------------------------------------------------------
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
