"""The decision boundary moving as a network trains: an animated GIF."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._atomic import atomic_write
from .._validation import as_rng, check_positive, check_positive_int
from ..network import Network
from ..optimizers import Optimizer, get_optimizer
from ..training.history import History
from ._figure import PathLike, as_labels, as_points, class_colors, figure_class, scatter_classes

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["BoundaryAnimation", "boundary_animation"]

FRAME_DPI = 80  # frames are small: a GIF of 20 of them stays well under a megabyte


@dataclass
class BoundaryAnimation:
    """The frames of ``boundary_animation`` and the GIF made of them.

    Shown in Jupyter as the animated picture. ``gif`` holds the file's bytes;
    ``epochs[i]`` and ``accuracy[i]`` describe frame ``i``; ``history`` is the
    whole training record, epoch by epoch.
    """

    gif: bytes
    epochs: list[int]
    accuracy: list[float]
    history: History
    frames: list[Image] = field(repr=False, default_factory=list)
    path: Path | None = None

    def save(self, path: PathLike) -> Path:
        """Write the GIF to ``path`` (a ``.gif`` file), atomically."""
        final = _gif_path(path)
        with atomic_write(final) as f:
            f.write(self.gif)
        return final

    def save_frame(self, index: int, path: PathLike) -> Path:
        """Write frame ``index`` (``-1``: the last) as a PNG, e.g. for a README."""
        final = Path(path)
        if final.suffix.lower() != ".png":
            raise ValueError(f"save_frame writes PNG files, got {str(path)!r}")
        frame = self.frames[index]
        with atomic_write(final) as f:
            frame.convert("RGB").save(f, format="PNG")
        return final

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif).decode("ascii")
        return (f"<img src='data:image/gif;base64,{data}' alt='decision boundary over "
                f"{self.epochs[-1]} epochs of training'/>")

    def __repr__(self) -> str:
        return (f"BoundaryAnimation({len(self.epochs)} frames, epochs 0..{self.epochs[-1]}, "
                f"accuracy {self.accuracy[0]:.1%} -> {self.accuracy[-1]:.1%})")


def boundary_animation(network: Network, X: ArrayLike, y: ArrayLike, *, epochs: int = 100,
                       frames: int = 20, optimizer: str | Optimizer | None = None,
                       batch_size: int = 32, seed: int | np.random.Generator | None = 0,
                       resolution: int = 100, fps: float = 5.0, path: PathLike | None = None,
                       callbacks: tuple[Any, ...] = ()) -> BoundaryAnimation:
    """Train ``network`` on ``(X, y)`` and film its decision boundary as it changes.

    The network is drawn before training (epoch 0) and then ``frames - 1``
    more times at evenly spaced epochs up to ``epochs``, with
    ``plot_decision_boundary``; the frames become a looping GIF (matplotlib
    draws, Pillow writes). The network is trained in place, as by ``fit``.

    Parameters
    ----------
    network : a classifier with two inputs
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,), integer class labels
    epochs : epochs of training in all
    frames : pictures in the film, at least 2 (at most ``epochs + 1``)
    optimizer : as for ``fit`` (one instance is used throughout, so its state
        carries over from frame to frame); None means Adam(0.01)
    batch_size, seed, callbacks : as for ``fit``
    resolution : grid points per axis of each picture
    fps : frames per second of the GIF (the last frame stays three times as long)
    path : when given, also write the GIF there (a ``.gif`` file)

    Returns
    -------
    BoundaryAnimation, shown in Jupyter as the animation.
    """
    figure_class()  # matplotlib present, or say how to install it before training
    from PIL import Image as PILImage

    final = None if path is None else _gif_path(path)
    X_arr = as_points(X)
    y_arr = as_labels(y, "y", X_arr.shape[0])
    epochs = check_positive_int(epochs, "epochs")
    frames = check_positive_int(frames, "frames")
    if frames < 2:
        raise ValueError(f"frames must be at least 2 (before and after training), got {frames}")
    fps = check_positive(fps, "fps")
    opt = get_optimizer(optimizer, lr=0.01) if optimizer is None or isinstance(optimizer, str) \
        else optimizer
    rng = as_rng(seed)
    stops = sorted(set(np.linspace(0, epochs, frames).round().astype(int).tolist()))

    film = _Film(network, X_arr, y_arr, resolution)
    history = History()
    images: list[PILImage.Image] = []
    accuracy: list[float] = []
    done = 0
    for stop in stops:
        if stop > done:
            part = network.fit(X_arr, y_arr, optimizer=opt, epochs=stop - done,
                               batch_size=batch_size, seed=rng, verbose=0,
                               callbacks=callbacks)
            for i in range(part.epochs_run):
                history.append({k: v[i] for k, v in part.history.items()})
            done = stop
        accuracy.append(float(np.mean(network.predict(X_arr) == y_arr)))
        # before training the weights are random: any accuracy, even far below 50 %
        when = f"epoch {done}" if done else "epoch 0, untrained (random weights)"
        images.append(film.frame(f"{when}: accuracy {accuracy[-1]:.1%}",
                                 PILImage.frombuffer))

    duration = [round(1000 / fps)] * len(images)
    duration[-1] *= 3
    buffer = io.BytesIO()
    palette = [im.convert("RGB").quantize(colors=255) for im in images]
    palette[0].save(buffer, format="GIF", save_all=True, append_images=palette[1:],
                    duration=duration, loop=0)
    result = BoundaryAnimation(buffer.getvalue(), stops, accuracy, history, images)
    if final is not None:
        result.path = result.save(final)
    return result


class _Film:
    """One figure redrawn for every frame: the points stay, the boundary changes.

    Drawn like ``plot_decision_boundary`` (P(class 1) filled, the 0.5 line in
    black), but the figure, its layout and the scatter are made once, which
    makes a frame several times quicker than a new figure.
    """

    def __init__(self, network: Network, X: NDArray, y: NDArray, resolution: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import LinearSegmentedColormap

        resolution = check_positive_int(resolution, "resolution")
        if resolution < 2:
            raise ValueError(f"resolution must be at least 2, got {resolution}")
        if network.n_in != 2:
            raise ValueError(f"network must take 2 inputs to draw its decision boundary in the "
                             f"plane, but its first layer expects n_in={network.n_in}")
        self.network = network
        low, high = X.min(axis=0), X.max(axis=0)
        margin = np.where(high > low, 0.1 * (high - low), 0.5)
        self.xx, self.yy = np.meshgrid(
            np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
            np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))
        self.grid = np.column_stack([self.xx.ravel(), self.yy.ravel()])
        colors = class_colors(max(2, int(y.max()) + 1))
        self.cmap = LinearSegmentedColormap.from_list("glassnet_binary",
                                                      [colors[0], "white", colors[1]])
        self.fig = figure_class()(figsize=(5.0, 4.0), dpi=FRAME_DPI, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot()
        scatter_classes(self.ax, X, y, colors)
        # the colours' meaning, once: the probability the network gives the last class
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        legend = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=self.cmap)
        self.fig.colorbar(legend, ax=self.ax, label=f"P(class {max(1, int(y.max()))})",
                          ticks=[0.0, 0.25, 0.5, 0.75, 1.0])
        self.ax.set_xlim(self.xx[0, 0], self.xx[0, -1])
        self.ax.set_ylim(self.yy[0, 0], self.yy[-1, 0])
        self.drawn: list[Any] = []
        self.first = True

    def frame(self, title: str, from_buffer: Callable[..., Image]) -> Image:
        for artist in self.drawn:
            artist.remove()
        proba = self.network.predict_proba(self.grid, batch_size=16384)
        p1 = proba[:, -1].reshape(self.xx.shape)  # P(class 1), for 1 or 2 outputs
        self.drawn = [self.ax.contourf(self.xx, self.yy, p1, levels=np.linspace(0.0, 1.0, 11),
                                       cmap=self.cmap, vmin=0.0, vmax=1.0, alpha=0.7,
                                       zorder=0)]
        if p1.min() < 0.5 < p1.max():  # else there is no boundary in view to draw
            self.drawn.append(self.ax.contour(self.xx, self.yy, p1, levels=[0.5],
                                              colors="black", linewidths=1.2, zorder=1))
        self.ax.set_title(title)
        self.canvas.draw()
        if self.first:  # lay out once; later frames keep the same positions
            self.fig.set_layout_engine("none")
            self.first = False
        width, height = self.canvas.get_width_height()
        rgba = bytes(self.canvas.buffer_rgba())
        return from_buffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")


def _gif_path(path: PathLike) -> Path:
    final = Path(path)
    if final.suffix.lower() != ".gif":
        raise ValueError(f"path must name a .gif file, got {str(path)!r}")
    return final
