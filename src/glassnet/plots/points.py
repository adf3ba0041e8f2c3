"""Two-dimensional data: the points by class, and a network's decision boundary over them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_positive_int
from ..network import Network
from ._figure import (
    PathLike,
    as_labels,
    as_points,
    check_path,
    class_colors,
    figure_class,
    finish,
    scatter_classes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_dataset(X: ArrayLike, y: ArrayLike, *, title: str | None = None,
                 path: PathLike | None = None) -> Figure:
    """Scatter plot of two-dimensional points coloured by class.

    Parameters
    ----------
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,), integer class labels
    title : the axes title (default: the number of samples and classes)
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes holding one scatter per class and a legend.
    """
    figure_cls = figure_class()
    path = check_path(path)
    X = as_points(X)
    y = as_labels(y, "y", X.shape[0])
    fig = figure_cls(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    scatter_classes(ax, X, y, class_colors(int(y.max()) + 1))
    n_classes = len(np.unique(y))
    ax.set_title(title if title is not None else f"{X.shape[0]} samples, {n_classes} classes")
    return finish(fig, path)


def plot_decision_boundary(network: Network, X: ArrayLike, y: ArrayLike, *,
                           resolution: int = 200, title: str | None = None,
                           path: PathLike | None = None) -> Figure:
    """The regions a two-input classifier assigns to each class, with the data on top.

    The network is evaluated on a ``resolution x resolution`` grid covering
    the data plus a 10 % margin. With two classes (two outputs, or one
    sigmoid output) the filled contours show ``P(class 1)`` with the 0.5
    line drawn in black and a colour bar; with more classes they show the
    predicted class, in the colours of the points.

    Parameters
    ----------
    network : a classification ``Network`` with ``n_in == 2``
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,), integer class labels
    resolution : grid points per axis, >= 2 (the network runs on resolution**2 points)
    title : the axes title (default: the accuracy on ``(X, y)``)
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure: the main axes (a filled contour set and one scatter per class),
    plus a colour bar axes for two classes.
    """
    figure_cls = figure_class()
    path = check_path(path)
    if not (hasattr(network, "predict_proba") and hasattr(network, "n_in")):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    if network.n_in != 2:
        raise ValueError(f"network must take 2 inputs to draw its decision boundary in the "
                         f"plane, but its first layer expects n_in={network.n_in}")
    if getattr(network, "task", "classification") != "classification":
        raise ValueError(f"network must be a classifier, got task={network.task!r}")
    X = as_points(X)
    y = as_labels(y, "y", X.shape[0])
    resolution = check_positive_int(resolution, "resolution")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")

    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.where(high > low, 0.1 * (high - low), 0.5)
    xx, yy = np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
                         np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    proba = network.predict_proba(grid, batch_size=16384)
    n_out = proba.shape[1]
    colors = class_colors(max(n_out, int(y.max()) + 1))

    fig = figure_cls(figsize=(6.5 if n_out <= 2 else 5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    if n_out <= 2:
        from matplotlib.colors import LinearSegmentedColormap

        p1 = proba[:, -1].reshape(xx.shape)  # the last column is P(class 1) for 1 or 2 outputs
        cmap = LinearSegmentedColormap.from_list("glassnet_binary", [colors[0], "white",
                                                                      colors[1]])
        filled = ax.contourf(xx, yy, p1, levels=np.linspace(0.0, 1.0, 11), cmap=cmap,
                             vmin=0.0, vmax=1.0, alpha=0.7)
        ax.contour(xx, yy, p1, levels=[0.5], colors="black", linewidths=1.2)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
    else:
        predicted = proba.argmax(axis=1).reshape(xx.shape)
        ax.contourf(xx, yy, predicted, levels=np.arange(n_out + 1) - 0.5,
                    colors=colors[:n_out], alpha=0.35)
    scatter_classes(ax, X, y, colors)
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    if title is None:
        accuracy = float(np.mean(network.predict(X) == y))
        title = f"decision boundary (accuracy {accuracy:.1%} on {X.shape[0]} points)"
    ax.set_title(title)
    return finish(fig, path)
