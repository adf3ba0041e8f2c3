"""How training went: loss and accuracy per epoch, and the confusion matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..training.metrics import confusion_matrix
from ._figure import (
    PathLike,
    as_labels,
    check_path,
    display_names,
    figure_class,
    finish,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..training.history import History


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
    figure_cls = figure_class()
    path = check_path(path)
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
    return finish(fig, path)


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
    figure_cls = figure_class()
    path = check_path(path)
    t = as_labels(y_true, "y_true")
    p = as_labels(y_pred, "y_pred", t.shape[0])
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"normalize must be True or False, got {normalize!r}")
    names = display_names(class_names, int(max(t.max(), p.max())) + 1)
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
    return finish(fig, path)
