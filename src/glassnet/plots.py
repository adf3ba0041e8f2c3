"""Pictures of data, decision boundaries, training curves and what a network learned.

Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (``Figure()``, never ``pyplot``): nothing is shown, no
display or GUI backend is needed, and no figure lingers in a global registry.
Pass ``path="name.png"`` to also save the picture as a PNG; the file appears
whole or not at all (written beside the destination, then renamed).

matplotlib is optional and imported only when a function is called::

    pip install 'glassnet[plot]'

Examples
--------
>>> from glassnet import mlp, plots
>>> from glassnet.datasets import make_moons
>>> X, y = make_moons(200, noise=0.2, seed=0)
>>> net = mlp([2, 16, 2], seed=0)
>>> history = net.fit(X, y, epochs=5, validation_split=0.2, verbose=0)
>>> fig = plots.plot_decision_boundary(net, X, y)
>>> fig = plots.plot_history(history)
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._atomic import atomic_write
from ._validation import check_positive_int
from .classic import NeuralNetwork
from .errors import ShapeError
from .layers import Dense, Layer
from .network import Network
from .training.metrics import confusion_matrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .training.history import History

__all__ = [
    "plot_backquery",
    "plot_confusion_matrix",
    "plot_dataset",
    "plot_decision_boundary",
    "plot_first_layer_weights",
    "plot_history",
    "plot_misclassified",
]

PathLike = str | os.PathLike[str]

DPI = 120  # sharp on screen, small on disk
_CELL = 1.25  # inches per image in the image grids


# -- shared helpers --------------------------------------------------------
def require_matplotlib() -> None:
    """Raise the ImportError with install instructions unless matplotlib is importable.

    For callers that prepare something (a folder, a long computation) before plotting.
    """
    _figure_class()


def _figure_class() -> type[Figure]:
    """matplotlib's Figure class, or an ImportError saying how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "glassnet.plots needs matplotlib, which is not installed; "
            "install it with: pip install 'glassnet[plot]'"
        ) from exc
    return Figure


def _check_path(path: PathLike | None) -> Path | None:
    if path is None:
        return None
    final = Path(path)
    if final.suffix.lower() not in ("", ".png"):
        raise ValueError(f"path must name a .png file (plots are saved as PNG), got {str(path)!r}; "
                         "for another format call fig.savefig yourself")
    return final


def _finish(fig: Figure, path: Path | None) -> Figure:
    """Save ``fig`` to ``path`` as a PNG, atomically, when a path is given."""
    if path is not None:
        with atomic_write(path) as f:
            fig.savefig(f, format="png", dpi=DPI)
    return fig


def _numeric(value: ArrayLike, name: str) -> NDArray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; clean the data first")
    return arr


def _points(X: ArrayLike, name: str = "X") -> NDArray:
    """``X`` as a float (n_samples, 2) array."""
    arr = _numeric(X, name)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ShapeError(f"{name} must have shape (n_samples, 2) with n_samples >= 1, got "
                         f"{arr.shape}; to plot two of the features pass {name}[:, :2]")
    return arr.astype(np.float64)


def _labels(y: ArrayLike, name: str, n_samples: int | None = None) -> NDArray[np.int64]:
    """``y`` as an int64 vector of non-negative class labels."""
    arr = _numeric(y, name)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ShapeError(f"{name} must be a non-empty vector of class labels (n_samples,), got "
                         f"shape {arr.shape}; for one-hot targets pass {name}.argmax(axis=1)")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ShapeError(f"{name} has {arr.shape[0]} labels but there are {n_samples} samples; "
                         "give one label per sample")
    if np.any(arr != np.round(arr)) or arr.min() < 0:
        raise ValueError(f"{name} must hold non-negative integer class labels, "
                         f"got values such as {arr[(arr != np.round(arr)) | (arr < 0)][0]!r}")
    return arr.astype(np.int64)


def _names(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    """One display name per class ``0 .. n_classes-1`` (the labels themselves by default)."""
    if class_names is None:
        return [str(k) for k in range(n_classes)]
    names = [str(c) for c in class_names]
    if len(names) < n_classes:
        raise ValueError(f"class_names has {len(names)} names but the labels go up to "
                         f"{n_classes - 1}; give one name per class")
    return names


def _class_colors(n_classes: int) -> list[Any]:
    """Distinct colours indexed by class label, the same in every plot."""
    from matplotlib import colormaps

    if n_classes <= 10:
        return [colormaps["tab10"](k) for k in range(n_classes)]
    if n_classes <= 20:
        return [colormaps["tab20"](k) for k in range(n_classes)]
    return [colormaps["turbo"](k / (n_classes - 1)) for k in range(n_classes)]


def _scatter_classes(ax: Axes, X: NDArray, y: NDArray[np.int64], colors: list[Any]) -> None:
    """One scatter (and legend entry) per class present in ``y``."""
    size = 25 if X.shape[0] <= 500 else 10
    for k in np.unique(y):
        mask = y == k
        ax.scatter(X[mask, 0], X[mask, 1], s=size, color=colors[k], edgecolors="black",
                   linewidths=0.4, label=f"class {k}")
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)


def _image_shape(image_shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(image_shape)
    if len(shape) != 2:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}")
    h, w = (check_positive_int(s, f"image_shape[{i}]") for i, s in enumerate(shape))
    return h, w


def _image_grid(figure_cls: type[Figure], n_images: int, *, ncols: int | None = None,
                header: float = 0.5, row_gap: float = 0.25, colorbar: bool = False
                ) -> tuple[Figure, list[Axes]]:
    """A figure with ``n_images`` small, tick-less axes in a grid (spare cells removed).

    The layout is fixed by hand rather than by a layout engine: with dozens of
    tiny axes, constrained layout can collapse them and warn.
    """
    ncols = ncols or math.ceil(math.sqrt(n_images))
    nrows = math.ceil(n_images / ncols)
    extra = 1.2 if colorbar else 0.0  # inches for a colour bar, its ticks and label
    width, height = ncols * _CELL + extra, nrows * (_CELL + row_gap) + header
    fig = figure_cls(figsize=(width, height))
    right = 1.0 - (extra + 0.05) / width
    fig.subplots_adjust(left=0.02, right=right, bottom=0.02, top=1.0 - header / height,
                        wspace=0.1, hspace=1.4 * row_gap / _CELL)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n_images:]:
        ax.remove()
    for ax in axes[:n_images]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes[:n_images]


def _grid_title(fig: Figure, text: str) -> None:
    """A title in the grid's header band, a fixed distance from the top edge."""
    fig.suptitle(text, y=1.0 - 0.08 / fig.get_figheight(), va="top")


# -- two-dimensional data --------------------------------------------------
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
    figure_cls = _figure_class()
    path = _check_path(path)
    X = _points(X)
    y = _labels(y, "y", X.shape[0])
    fig = figure_cls(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    _scatter_classes(ax, X, y, _class_colors(int(y.max()) + 1))
    n_classes = len(np.unique(y))
    ax.set_title(title if title is not None else f"{X.shape[0]} samples, {n_classes} classes")
    return _finish(fig, path)


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
    figure_cls = _figure_class()
    path = _check_path(path)
    if not (hasattr(network, "predict_proba") and hasattr(network, "n_in")):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    if network.n_in != 2:
        raise ValueError(f"network must take 2 inputs to draw its decision boundary in the "
                         f"plane, but its first layer expects n_in={network.n_in}")
    if getattr(network, "task", "classification") != "classification":
        raise ValueError(f"network must be a classifier, got task={network.task!r}")
    X = _points(X)
    y = _labels(y, "y", X.shape[0])
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
    colors = _class_colors(max(n_out, int(y.max()) + 1))

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
    _scatter_classes(ax, X, y, colors)
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    if title is None:
        accuracy = float(np.mean(network.predict(X) == y))
        title = f"decision boundary (accuracy {accuracy:.1%} on {X.shape[0]} points)"
    ax.set_title(title)
    return _finish(fig, path)


# -- training --------------------------------------------------------------
def plot_history(history: History | Mapping[str, Sequence[float]], *,
                 path: PathLike | None = None) -> Figure:
    """Training curves: loss, and accuracy when recorded, against the epoch.

    Parameters
    ----------
    history : the ``History`` returned by ``fit`` (or any object with a
        ``history`` dict, such as Keras's), or a plain dict of metric name ->
        one value per epoch. ``"loss"`` is required; ``"val_loss"``,
        ``"accuracy"`` and ``"val_accuracy"`` are drawn when present.
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one panel (loss) or two (loss, accuracy); each panel has a
    solid training line, a dashed validation line when recorded, and a legend.
    """
    figure_cls = _figure_class()
    path = _check_path(path)
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(f"history must be a History or a dict of lists, "
                        f"got {type(history).__name__}")
    if len(logs.get("loss", ())) == 0:
        raise ValueError(f"history has no 'loss' values to plot (keys: {sorted(logs)}); "
                         "pass the History returned by fit")
    curves = {}
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        if key in logs and len(logs[key]) > 0:
            values = np.asarray(logs[key], dtype=np.float64)
            if values.ndim != 1:
                raise ValueError(f"history[{key!r}] must be a list of one number per epoch, "
                                 f"got shape {values.shape}")
            curves[key] = values
    metrics = ["loss"] + (["accuracy"] if {"accuracy", "val_accuracy"} & curves.keys() else [])

    from matplotlib.ticker import MaxNLocator

    fig = figure_cls(figsize=(5.0 * len(metrics), 3.8), layout="constrained")
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics, strict=True):
        for key, label, style in ((metric, "train", "-"), (f"val_{metric}", "validation", "--")):
            if key in curves:
                values = curves[key]
                marker = "o" if len(values) <= 30 else None  # a short run is a few dots
                ax.plot(np.arange(1, len(values) + 1), values, style, marker=marker,
                        markersize=4, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return _finish(fig, path)


def plot_confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *,
                          class_names: Sequence[str] | None = None, normalize: bool = False,
                          path: PathLike | None = None) -> Figure:
    """Heat map of ``C[i, j]``, the samples of true class ``i`` predicted as ``j``.

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n_samples,), integer class labels
    class_names : one name per class, in label order (default: the labels);
        the matrix then has ``len(class_names)`` rows even for unseen classes
    normalize : colour and write each row as fractions of its true class
        (rows sum to 1; an empty row stays 0) instead of counts
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with the matrix axes (one text per cell: the count, or the
    fraction to two decimals) and a colour bar axes.
    """
    figure_cls = _figure_class()
    path = _check_path(path)
    t = _labels(y_true, "y_true")
    p = _labels(y_pred, "y_pred", t.shape[0])
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"normalize must be True or False, got {normalize!r}")
    names = _names(class_names, int(max(t.max(), p.max())) + 1)
    n = len(names)
    counts = confusion_matrix(t, p, n)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        vmax = 1.0
    else:
        values = counts.astype(np.float64)
        vmax = max(float(counts.max()), 1.0)

    side = max(4.5, 0.55 * n + 2.0)
    fig = figure_cls(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax)
    fontsize = 10 if n <= 10 else 8 if n <= 20 else 6
    for i in range(n):
        for j in range(n):
            text = f"{values[i, j]:.2f}" if normalize else str(counts[i, j])
            # dark cells get white text so every number stays readable
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if values[i, j] > 0.5 * vmax else "black")
    long_names = max(len(s) for s in names) > 3
    ax.set_xticks(range(n), labels=names, rotation=45 if long_names else 0,
                  ha="right" if long_names else "center")
    ax.set_yticks(range(n), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = float(np.trace(counts)) / t.shape[0]
    ax.set_title(f"confusion matrix: accuracy {accuracy:.1%} on {t.shape[0]} samples")
    fig.colorbar(image, ax=ax, label="fraction of true class" if normalize else "count")
    return _finish(fig, path)


# -- images ----------------------------------------------------------------
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
    figure_cls = _figure_class()
    path = _check_path(path)
    h, w = _image_shape(image_shape)
    images = _numeric(X, "X")
    if images.ndim == 2 and images.shape[1] == h * w:
        images = images.reshape(-1, h, w)
    elif images.shape[1:] != (h, w):
        raise ShapeError(f"X must have shape (n_samples, {h * w}) or (n_samples, {h}, {w}) "
                         f"for image_shape=({h}, {w}), got {images.shape}; pass the "
                         "image_shape of your data")
    t = _labels(y_true, "y_true", images.shape[0])
    p = _labels(y_pred, "y_pred", images.shape[0])
    max_images = check_positive_int(max_images, "max_images")
    names = _names(class_names, int(max(t.max(), p.max())) + 1)

    wrong = np.flatnonzero(t != p)
    if wrong.size == 0:
        fig = figure_cls(figsize=(5.0, 1.5))
        fig.text(0.5, 0.5, f"no misclassified examples: all {t.shape[0]} predictions are right",
                 ha="center", va="center")
        return _finish(fig, path)
    shown = wrong[:max_images]
    fig, axes = _image_grid(figure_cls, len(shown), header=0.75, row_gap=0.45)
    for ax, i in zip(axes, shown, strict=True):
        ax.imshow(images[i], cmap="Greys", interpolation="nearest")
        ax.set_title(f"true {names[t[i]]}\npred {names[p[i]]}", fontsize=7)
    _grid_title(fig, f"{wrong.size} of {t.shape[0]} misclassified"
                 + (f" (first {len(shown)} shown)" if len(shown) < wrong.size else ""))
    return _finish(fig, path)


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
    W = _numeric(source, "source")
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
    figure_cls = _figure_class()
    path = _check_path(path)
    W = np.asarray(_first_layer_weights(source), dtype=np.float64)
    h, w = _image_shape(image_shape)
    if W.shape[0] != h * w:
        raise ShapeError(f"image_shape=({h}, {w}) holds {h * w} pixels but the first layer has "
                         f"n_in={W.shape[0]} inputs; pass the image_shape of the input images")
    n_shown = min(W.shape[1], check_positive_int(max_units, "max_units"))
    limit = float(np.abs(W[:, :n_shown]).max()) or 1.0  # symmetric: 0 is white
    fig, axes = _image_grid(figure_cls, n_shown, colorbar=True)
    for j, ax in enumerate(axes):
        image = ax.imshow(W[:, j].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")
        ax.set_title(f"unit {j}", fontsize=7)
    top = axes[0].get_position().y1
    width = fig.get_figwidth()
    cax = fig.add_axes((1.0 - 1.1 / width, 0.1, 0.2 / width, top - 0.1))
    fig.colorbar(image, cax=cax, label="weight")
    _grid_title(fig, f"first-layer weights: {n_shown} of {W.shape[1]} units")
    return _finish(fig, path)


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
    figure_cls = _figure_class()
    path = _check_path(path)
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
    h, w = _image_shape(image_shape)
    if h * w != n_in:
        raise ShapeError(f"image_shape=({h}, {w}) holds {h * w} pixels but the network has "
                         f"{n_in} input nodes; pass the image_shape of its input images")
    names = _names(class_names, n_out)

    fig, axes = _image_grid(figure_cls, len(labels), ncols=min(5, len(labels)))
    for ax, label in zip(axes, labels, strict=True):
        targets = np.full(n_out, 0.01)
        targets[label] = 0.99
        image = classic_network.backquery(targets).reshape(h, w)
        ax.imshow(image, cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(names[label], fontsize=9)
    _grid_title(fig, "backquery: the input each label asks for")
    return _finish(fig, path)
