"""Pictures as images: misclassified samples, first-layer weights, the book's backquery."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_int
from ..classic import NeuralNetwork
from ..errors import ShapeError
from ..layers import Dense, Layer
from ..network import Network
from ._figure import (
    PathLike,
    as_labels,
    as_numeric,
    check_path,
    checked_image_shape,
    display_names,
    figure_class,
    finish,
    grid_title,
    image_grid,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_misclassified(X: ArrayLike, y_true: ArrayLike, y_pred: ArrayLike, *,
                       image_shape: Sequence[int] = (28, 28),
                       class_names: Sequence[str] | None = None, max_images: int = 25,
                       path: PathLike | None = None) -> Figure:
    """A grid of the examples whose predicted label differs from the true one.

    Parameters
    ----------
    X : array of shape (n_samples, height * width) or (n_samples, height, width)
    y_true, y_pred : arrays of shape (n_samples,), integer class labels
    image_shape : (height, width) of one image
    class_names : one name per class, in label order (default: the labels)
    max_images : show at most this many, the first ones in ``X`` order
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes (one grey-scale image) per shown example, titled
    ``"true <label>\\npred <label>"`` (two lines, so long class names fit).
    When every prediction is right the figure has no axes, only a message
    saying so: a perfect result is not an error, so a script that plots
    after training keeps running.
    """
    figure_cls = figure_class()
    path = check_path(path)
    h, w = checked_image_shape(image_shape)
    images = as_numeric(X, "X")
    if images.ndim == 2 and images.shape[1] == h * w:
        images = images.reshape(-1, h, w)
    elif images.shape[1:] != (h, w):
        raise ShapeError(f"X must have shape (n_samples, {h * w}) or (n_samples, {h}, {w}) "
                         f"for image_shape=({h}, {w}), got {images.shape}; pass the "
                         "image_shape of your data")
    t = as_labels(y_true, "y_true", images.shape[0])
    p = as_labels(y_pred, "y_pred", images.shape[0])
    max_images = check_positive_int(max_images, "max_images")
    names = display_names(class_names, int(max(t.max(), p.max())) + 1)

    wrong = np.flatnonzero(t != p)
    if wrong.size == 0:
        fig = figure_cls(figsize=(5.0, 1.5))
        fig.text(0.5, 0.5, f"no misclassified examples: all {t.shape[0]} predictions are right",
                 ha="center", va="center")
        return finish(fig, path)
    shown = wrong[:max_images]
    fig, axes = image_grid(figure_cls, len(shown), header=0.75, row_gap=0.45)
    for ax, i in zip(axes, shown, strict=True):
        ax.imshow(images[i], cmap="Greys", interpolation="nearest")
        ax.set_title(f"true {names[t[i]]}\npred {names[p[i]]}", fontsize=7)
    grid_title(fig, f"{wrong.size} of {t.shape[0]} misclassified"
                 + (f" (first {len(shown)} shown)" if len(shown) < wrong.size else ""))
    return finish(fig, path)


def _first_layer_weights(source: object) -> NDArray:
    """The (n_in, n_units) incoming weights of the first layer of ``source``."""
    if isinstance(source, NeuralNetwork):
        return source.wih.T  # the book's (hidden x input) layout, transposed
    if isinstance(source, Network):
        dense = next((la for la in source.layers if isinstance(la, Dense)), None)
        if dense is None:
            raise ValueError("the network has no Dense layer whose weights could be drawn")
        return dense.params["W"]
    if isinstance(source, Dense):
        return source.params["W"]
    if isinstance(source, Layer):
        raise TypeError(f"{source!r} has no weights; pass a Dense layer or the whole Network")
    if not isinstance(source, (np.ndarray, list, tuple)):
        raise TypeError("source must be a Network, a Dense, a classic NeuralNetwork or an "
                        f"array of shape (n_in, n_units), got {type(source).__name__}")
    W = as_numeric(source, "source")
    if W.ndim != 2:
        raise ShapeError(f"source must be a weight array of shape (n_in, n_units), "
                         f"got shape {W.shape}")
    return W


def plot_first_layer_weights(source: Network | Dense | NeuralNetwork | ArrayLike, *,
                             image_shape: Sequence[int] = (28, 28), max_units: int = 64,
                             path: PathLike | None = None) -> Figure:
    """Each first-layer unit's incoming weights, drawn as an image.

    Red pixels excite the unit, blue pixels inhibit it, white ones do not
    matter; all units share one colour scale, symmetric about 0, so their
    strengths can be compared.

    Parameters
    ----------
    source : a ``Network`` (its first ``Dense``), a ``Dense``, the classic
        ``NeuralNetwork`` (``wih.T``), or an array of shape (n_in, n_units)
    image_shape : (height, width) with ``height * width == n_in``
    max_units : draw at most this many units, the first ones
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes (one image) per drawn unit plus a colour bar axes.
    """
    figure_cls = figure_class()
    path = check_path(path)
    W = np.asarray(_first_layer_weights(source), dtype=np.float64)
    h, w = checked_image_shape(image_shape)
    if W.shape[0] != h * w:
        raise ShapeError(f"image_shape=({h}, {w}) holds {h * w} pixels but the first layer has "
                         f"n_in={W.shape[0]} inputs; pass the image_shape of the input images")
    n_shown = min(W.shape[1], check_positive_int(max_units, "max_units"))
    limit = float(np.abs(W[:, :n_shown]).max()) or 1.0  # symmetric: 0 is white
    fig, axes = image_grid(figure_cls, n_shown, colorbar=True)
    for j, ax in enumerate(axes):
        image = ax.imshow(W[:, j].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")
        ax.set_title(f"unit {j}", fontsize=7)
    top = axes[0].get_position().y1
    width = fig.get_figwidth()
    cax = fig.add_axes((1.0 - 1.1 / width, 0.1, 0.2 / width, top - 0.1))
    fig.colorbar(image, cax=cax, label="weight")
    grid_title(fig, f"first-layer weights: {n_shown} of {W.shape[1]} units")
    return finish(fig, path)


def plot_backquery(classic_network: NeuralNetwork, *, labels: Iterable[int] = range(10),
                   image_shape: Sequence[int] = (28, 28),
                   class_names: Sequence[str] | None = None,
                   path: PathLike | None = None) -> Figure:
    """The input the book's network "imagines" for each label, run backwards.

    For each label the targets are 0.99 for that class and 0.01 elsewhere,
    and ``classic_network.backquery(targets)`` turns them into an image.

    Parameters
    ----------
    classic_network : a ``glassnet.classic.NeuralNetwork``
    labels : the classes to draw, each in ``0 .. output_nodes - 1``
    image_shape : (height, width) with ``height * width == input_nodes``
    class_names : one name per output node, in label order (default: the labels)
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes (one grey-scale image, dark = strong) per label.
    """
    figure_cls = figure_class()
    path = check_path(path)
    if not isinstance(classic_network, NeuralNetwork):
        raise TypeError("classic_network must be a glassnet.classic.NeuralNetwork, got "
                        f"{type(classic_network).__name__}; for other networks see "
                        "plot_first_layer_weights")
    n_out, n_in = classic_network.onodes, classic_network.inodes
    labels = list(labels)
    if not labels:
        raise ValueError("labels is empty; give at least one class to draw")
    for label in labels:
        if (isinstance(label, bool) or not isinstance(label, numbers.Integral)
                or not 0 <= label < n_out):
            raise ValueError(f"labels must be integers in 0..{n_out - 1} (the network has "
                             f"{n_out} output nodes), got {label!r}")
    h, w = checked_image_shape(image_shape)
    if h * w != n_in:
        raise ShapeError(f"image_shape=({h}, {w}) holds {h * w} pixels but the network has "
                         f"{n_in} input nodes; pass the image_shape of its input images")
    names = display_names(class_names, n_out)

    fig, axes = image_grid(figure_cls, len(labels), ncols=min(5, len(labels)))
    for ax, label in zip(axes, labels, strict=True):
        targets = np.full(n_out, 0.01)
        targets[label] = 0.99
        image = classic_network.backquery(targets).reshape(h, w)
        ax.imshow(image, cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(names[label], fontsize=9)
    grid_title(fig, "backquery: the input each label asks for")
    return finish(fig, path)
