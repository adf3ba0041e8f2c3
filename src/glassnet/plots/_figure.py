"""What every plot shares: matplotlib on demand, PNG files, argument checks, colours, grids.

matplotlib is imported only inside these functions, when a plot is drawn, so
``import glassnet`` never needs it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._atomic import atomic_write
from .._validation import check_positive_int
from ..errors import ShapeError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str]

DPI = 120  # sharp on screen, small on disk
CELL = 1.25  # inches per image in the image grids


def require_matplotlib() -> None:
    """Raise the ImportError with install instructions unless matplotlib is importable.

    For callers that prepare something (a folder, a long computation) before plotting.
    """
    figure_class()


def figure_class() -> type[Figure]:
    """matplotlib's Figure class, or an ImportError saying how to install it.

    The class is matplotlib's ``Figure`` with a ``_repr_png_`` added (see
    ``glassnet.plots._inline``), so that Jupyter draws it without any magic.
    """
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "glassnet.plots needs matplotlib, which is not installed; "
            "install it with: pip install 'glassnet[plot]'"
        ) from exc
    from ._inline import Figure

    return Figure


def check_path(path: PathLike | None) -> Path | None:
    if path is None:
        return None
    final = Path(path)
    if final.suffix.lower() not in ("", ".png"):
        raise ValueError(f"path must name a .png file (plots are saved as PNG), got {str(path)!r}; "
                         "for another format call fig.savefig yourself")
    return final


def finish(fig: Figure, path: Path | None) -> Figure:
    """Save ``fig`` to ``path`` as a PNG, atomically, when a path is given."""
    if path is not None:
        with atomic_write(path) as f:
            fig.savefig(f, format="png", dpi=DPI)
    return fig


def as_numeric(value: ArrayLike, name: str) -> NDArray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; clean the data first")
    return arr


def as_points(X: ArrayLike, name: str = "X") -> NDArray:
    """``X`` as a float (n_samples, 2) array."""
    arr = as_numeric(X, name)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ShapeError(f"{name} must have shape (n_samples, 2) with n_samples >= 1, got "
                         f"{arr.shape}; to plot two of the features pass {name}[:, :2]")
    return arr.astype(np.float64)


def as_labels(y: ArrayLike, name: str, n_samples: int | None = None) -> NDArray[np.int64]:
    """``y`` as an int64 vector of non-negative class labels."""
    arr = as_numeric(y, name)
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


def display_names(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    """One display name per class ``0 .. n_classes-1`` (the labels themselves by default)."""
    if class_names is None:
        return [str(k) for k in range(n_classes)]
    names = [str(c) for c in class_names]
    if len(names) < n_classes:
        raise ValueError(f"class_names has {len(names)} names but the labels go up to "
                         f"{n_classes - 1}; give one name per class")
    return names


def class_colors(n_classes: int) -> list[Any]:
    """Distinct colours indexed by class label, the same in every plot."""
    from matplotlib import colormaps

    if n_classes <= 10:
        return [colormaps["tab10"](k) for k in range(n_classes)]
    if n_classes <= 20:
        return [colormaps["tab20"](k) for k in range(n_classes)]
    return [colormaps["turbo"](k / (n_classes - 1)) for k in range(n_classes)]


def scatter_classes(ax: Axes, X: NDArray, y: NDArray[np.int64], colors: list[Any]) -> None:
    """One scatter (and legend entry) per class present in ``y``."""
    size = 25 if X.shape[0] <= 500 else 10
    for k in np.unique(y):
        mask = y == k
        ax.scatter(X[mask, 0], X[mask, 1], s=size, color=colors[k], edgecolors="black",
                   linewidths=0.4, label=f"class {k}")
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)


def checked_image_shape(image_shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(image_shape)
    if len(shape) != 2:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}")
    h, w = (check_positive_int(s, f"image_shape[{i}]") for i, s in enumerate(shape))
    return h, w


def image_grid(figure_cls: type[Figure], n_images: int, *, ncols: int | None = None,
                header: float = 0.5, row_gap: float = 0.25, colorbar: bool = False
                ) -> tuple[Figure, list[Axes]]:
    """A figure with ``n_images`` small, tick-less axes in a grid (spare cells removed).

    The layout is fixed by hand rather than by a layout engine: with dozens of
    tiny axes, constrained layout can collapse them and warn.
    """
    ncols = ncols or math.ceil(math.sqrt(n_images))
    nrows = math.ceil(n_images / ncols)
    extra = 1.2 if colorbar else 0.0  # inches for a colour bar, its ticks and label
    width, height = ncols * CELL + extra, nrows * (CELL + row_gap) + header
    fig = figure_cls(figsize=(width, height))
    right = 1.0 - (extra + 0.05) / width
    fig.subplots_adjust(left=0.02, right=right, bottom=0.02, top=1.0 - header / height,
                        wspace=0.1, hspace=1.4 * row_gap / CELL)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n_images:]:
        ax.remove()
    for ax in axes[:n_images]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes[:n_images]


def grid_title(fig: Figure, text: str) -> None:
    """A title in the grid's header band, a fixed distance from the top edge."""
    fig.suptitle(text, y=1.0 - 0.08 / fig.get_figheight(), va="top")
