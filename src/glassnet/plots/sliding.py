"""One filter sliding over a picture, as an animated GIF with the numbers of each step."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._atomic import atomic_write
from .._validation import check_positive, check_positive_int
from ..errors import ShapeError
from ..layers.conv_maths import conv2d_sliding_window
from ._figure import PathLike, as_numeric, figure_class

__all__ = ["SlidingAnimation", "sliding_filter_animation"]

FRAME_DPI = 72


@dataclass
class SlidingAnimation:
    """The GIF of ``sliding_filter_animation`` (shown in Jupyter as the animation).

    ``output`` is the whole feature map; ``positions[i]`` the output position
    ``(row, col)`` of frame ``i``.
    """

    gif: bytes
    output: NDArray
    positions: list[tuple[int, int]]
    path: Path | None = None

    def save(self, path: PathLike) -> Path:
        """Write the GIF to ``path`` (a ``.gif`` file), atomically."""
        final = Path(path)
        if final.suffix.lower() != ".gif":
            raise ValueError(f"the animation is a GIF: give a path ending in .gif, got {path!r}")
        with atomic_write(final) as f:
            f.write(self.gif)
        return final

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif).decode("ascii")
        return f"<img src='data:image/gif;base64,{data}' alt='a filter sliding over a picture'/>"


def sliding_filter_animation(picture: ArrayLike, kernel: ArrayLike, *, bias: float = 0.0,
                             stride: int = 1, frames: int = 24, fps: float = 4.0,
                             path: PathLike | None = None) -> SlidingAnimation:
    """Film a ``kh x kw`` kernel sliding over a grey picture (valid padding).

    Each frame shows the picture with the window outlined, the window's
    pixel values, the kernel's weights, and the feature map filled up to
    that position; its title is the sum that gives the output there:
    ``out[i, j] = sum(window * kernel) + b``. The map is computed with
    ``glassnet.layers.conv_maths.conv2d_sliding_window``, the textbook loop.

    Parameters
    ----------
    picture : array of shape (height, width), e.g. a digit's 28x28 pixels
    kernel : array of shape (kh, kw), e.g. a trained ``Conv2D``'s
        ``params["W"][:, :, 0, f]``
    bias : added to every output
    stride : step between windows
    frames : positions filmed, evenly spread over the map (row by row)
    fps : frames per second
    path : when given, also write the GIF there

    Returns
    -------
    SlidingAnimation
    """
    figure_cls = figure_class()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    x = as_numeric(picture, "picture").astype(np.float64)
    W = as_numeric(kernel, "kernel").astype(np.float64)
    if x.ndim != 2 or W.ndim != 2 or W.shape[0] > x.shape[0] or W.shape[1] > x.shape[1]:
        raise ShapeError(f"picture must be (height, width) and kernel (kh, kw) no larger, got "
                         f"{x.shape} and {W.shape}")
    stride = check_positive_int(stride, "stride")
    fps = check_positive(fps, "fps")
    out = conv2d_sliding_window(x[None, :, :, None], W[:, :, None, None],
                                np.array([float(bias)]), stride=stride)[0, :, :, 0]
    h_out, w_out = out.shape
    n = min(check_positive_int(frames, "frames"), h_out * w_out)
    flat = np.linspace(0, h_out * w_out - 1, n).round().astype(int)
    positions = [(int(k) // w_out, int(k) % w_out) for k in flat]
    fig = figure_cls(figsize=(9.0, 2.9), dpi=FRAME_DPI)
    canvas = FigureCanvasAgg(fig)
    images = []
    for i, j in positions:
        fig.clear()
        _draw_frame(fig, x, W, out, (i, j), stride, float(bias))
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        images.append(Image.fromarray(rgba).convert("RGB").quantize(colors=255))
    buffer = io.BytesIO()
    duration = [round(1000 / fps)] * len(images)
    duration[-1] *= 3
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration, loop=0)
    result = SlidingAnimation(buffer.getvalue(), out, positions)
    if path is not None:
        result.path = result.save(path)
    return result


def _numbers(ax: Any, values: NDArray, title: str, cmap: str, limit: float | None) -> None:
    """A small matrix drawn as an image with its values written in it."""
    vmin = -limit if limit is not None else None
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=limit, interpolation="nearest")
    if values.size <= 49:
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7, color="tab:orange")
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_frame(fig: Any, x: NDArray, W: NDArray, out: NDArray, at: tuple[int, int],
                stride: int, bias: float) -> None:
    from matplotlib.patches import Rectangle

    i, j = at
    kh, kw = W.shape
    window = x[i * stride:i * stride + kh, j * stride:j * stride + kw]
    axes = fig.subplots(1, 4)
    axes[0].imshow(x, cmap="gray_r", interpolation="nearest")
    axes[0].add_patch(Rectangle((j * stride - 0.5, i * stride - 0.5), kw, kh, fill=False,
                                edgecolor="tab:red", linewidth=2))
    axes[0].set_title("picture", fontsize=8)
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    _numbers(axes[1], window, "window", "gray_r", None)
    _numbers(axes[2], W, "kernel", "RdBu_r", float(np.abs(W).max()) or 1.0)
    shown = np.full(out.shape, np.nan)
    flat = i * out.shape[1] + j
    shown.flat[:flat + 1] = out.flat[:flat + 1]
    limit = float(np.abs(out).max()) or 1.0
    axes[3].imshow(shown, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    axes[3].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:red",
                                linewidth=2))
    axes[3].set_title("feature map", fontsize=8)
    axes[3].set_xticks([])
    axes[3].set_yticks([])
    total = float((window * W).sum())
    fig.suptitle(f"out[{i}, {j}] = sum(window * kernel) + b = {total:.3f} + {bias:.3f} "
                 f"= {out[i, j]:.3f}", fontsize=9)
