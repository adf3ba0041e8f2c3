"""Pictures of what a network has learned: what it imagines per label, its hidden units.

The numbers come from :mod:`glassnet.inside`; these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import inside
from ..errors import ShapeError
from ._figure import (
    PathLike,
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

__all__ = ["plot_imagined", "plot_hidden_activations", "plot_strongest_inputs"]


def plot_imagined(net: Any, *, labels: Iterable[int] = range(10),
                  image_shape: Sequence[int] = (28, 28),
                  class_names: Sequence[str] | None = None,
                  input_range: tuple[float, float] = (0.0, 1.0),
                  path: PathLike | None = None) -> Figure:
    """For each label, the input the network imagines, drawn ink-dark.

    Networks that can be run backwards (sigmoid, tanh, the book's) are
    backqueried (:func:`glassnet.inside.backquery`); others (ReLU) get
    :func:`glassnet.inside.activation_maximisation` instead, and the title
    says which method drew the pictures.

    Parameters
    ----------
    net : an engine ``Network`` or the book's ``neuralNetwork``
    labels : the classes to draw
    image_shape : (height, width), with height * width the network's inputs
    class_names : one name per output, in label order (default: the labels)
    input_range : the range of the inputs the network was trained on (for
        activation maximisation; backquery always draws 0.01-0.99)
    path : when given, also save the figure there as a PNG
    """
    figure_cls = figure_class()
    path = check_path(path)
    labels = list(labels)
    if not labels:
        raise ValueError("labels is empty; give at least one class to draw")
    h, w = checked_image_shape(image_shape)
    backwards = inside.invertible(net)
    images = [inside.backquery(net, label) if backwards
              else inside.activation_maximisation(net, label, input_range=input_range)
              for label in labels]
    if images[0].size != h * w:
        raise ShapeError(f"image_shape=({h}, {w}) holds {h * w} pixels but the network has "
                         f"{images[0].size} inputs; pass the image_shape of its input images")
    names = display_names(class_names, max(labels) + 1)
    fig, axes = image_grid(figure_cls, len(labels), ncols=min(5, len(labels)))
    for ax, label, image in zip(axes, labels, images, strict=True):
        ax.imshow(image.reshape(h, w), cmap="Greys", interpolation="nearest")
        ax.set_title(names[label], fontsize=9)
    grid_title(fig, "backquery: the network run backwards" if backwards else
               "activation maximisation (ReLU cannot be run backwards)")
    return finish(fig, path)


def plot_hidden_activations(net: Any, x: ArrayLike, *, path: PathLike | None = None) -> Figure:
    """Every layer's output for one input, one strip of coloured cells per layer.

    Parameters
    ----------
    net : an engine ``Network`` or the book's ``neuralNetwork``
    x : one input, shape (n_in,) or (1, n_in)
    path : when given, also save the figure there as a PNG
    """
    figure_cls = figure_class()
    path = check_path(path)
    x_arr = np.asarray(x)
    if x_arr.ndim == 2 and x_arr.shape[0] != 1:
        raise ShapeError(f"x must be one input, shape (n_in,) or (1, n_in), got {x_arr.shape}")
    layers = inside.hidden_activations(net, x_arr.reshape(1, -1))
    fig = figure_cls(figsize=(8.0, 0.55 * len(layers) + 0.8), layout="constrained")
    axes = fig.subplots(len(layers), 1, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, layers, strict=True):
        row = values.reshape(1, -1)
        limit = float(np.abs(row).max()) or 1.0
        ax.imshow(row, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                  interpolation="nearest")
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle("each layer's output for this input (red > 0 > blue)")
    return finish(fig, path)


def plot_strongest_inputs(net: Any, X: ArrayLike, *, units: Iterable[int] = range(8),
                          k: int = 6, layer: int = 1, image_shape: Sequence[int] = (28, 28),
                          path: PathLike | None = None) -> Figure:
    """For each unit (a row), the ``k`` samples of ``X`` that excite it most.

    With ``layer=1`` (the activation after the first Dense) these show what
    each first-layer unit responds to; its weights are
    :func:`~glassnet.plots.plot_first_layer_weights`.
    """
    figure_cls = figure_class()
    path = check_path(path)
    h, w = checked_image_shape(image_shape)
    X_arr = np.asarray(X)
    if X_arr.ndim != 2 or X_arr.shape[1] != h * w:
        raise ShapeError(f"X must have shape (n, {h * w}) for image_shape=({h}, {w}), "
                         f"got {X_arr.shape}")
    top = inside.strongest_inputs(net, X_arr, layer=layer, k=k)
    units = list(units)
    bad = [u for u in units if not 0 <= u < top.shape[0]]
    if bad or not units:
        raise ValueError(f"units must be indices in 0..{top.shape[0] - 1}, got {units}")
    fig, axes = image_grid(figure_cls, len(units) * k, ncols=k)
    for row, unit in enumerate(units):
        for col in range(k):
            ax = axes[row * k + col]
            ax.imshow(X_arr[top[unit, col]].reshape(h, w), cmap="Greys",
                      interpolation="nearest")
            if col == 0:
                ax.set_ylabel(f"unit {unit}", fontsize=8)
    grid_title(fig, f"the samples each unit of layer {layer} responds to most")
    return finish(fig, path)
