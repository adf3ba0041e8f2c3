"""What a convolutional network learned and computes: its filters, and the feature maps
of one picture layer by layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_int
from ..errors import ShapeError
from ..layers import Conv2D, Reshape
from ..network import Network
from ._figure import PathLike, as_numeric, check_path, figure_class, finish, grid_title, image_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["conv_layers", "feature_maps", "plot_conv_filters", "plot_feature_maps"]


def conv_layers(network: Network) -> list[int]:
    """Indices of the network's ``Conv2D`` layers, first to last."""
    return [i for i, layer in enumerate(network.layers) if isinstance(layer, Conv2D)]


def _conv_layer(source: Network | Conv2D, layer: int | None) -> tuple[Conv2D, str]:
    if isinstance(source, Conv2D):
        return source, repr(source)
    if not isinstance(source, Network):
        raise TypeError(f"expected a Network or a Conv2D layer, got {type(source).__name__}")
    convs = conv_layers(source)
    if not convs:
        raise ValueError("the network has no Conv2D layer; plot_first_layer_weights draws a "
                         "Dense layer's weights")
    index = convs[0] if layer is None else layer
    if index not in convs:
        raise ValueError(f"layer {index} is not a Conv2D layer; the Conv2D layers are {convs}")
    conv = source.layers[index]
    if "W" not in conv.params:
        raise ShapeError(f"layer {index} {conv!r} is not built yet: fit or build the network")
    return conv, f"layer {index}"  # type: ignore[return-value]


def plot_conv_filters(source: Network | Conv2D, *, layer: int | None = None,
                      max_filters: int = 64, path: PathLike | None = None) -> Figure:
    """Each filter of a convolution, one small image per (filter, input channel) kernel.

    Red weights excite the filter, blue ones inhibit it; one colour scale,
    symmetric about 0, for all. A filter over several input channels is drawn
    as one row of kernels per filter (at most 8 channels shown).

    Parameters
    ----------
    source : a ``Network`` (its first ``Conv2D`` unless ``layer`` is given) or a ``Conv2D``
    layer : index of the ``Conv2D`` layer in the network
    max_filters : draw at most this many filters, the first ones
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes per kernel drawn plus a colour bar axes.
    """
    figure_cls = figure_class()
    path = check_path(path)
    conv, where = _conv_layer(source, layer)
    W = np.asarray(conv.params["W"], dtype=np.float64)   # (kh, kw, c_in, c_out)
    n_filters = min(W.shape[3], check_positive_int(max_filters, "max_filters"))
    n_channels = min(W.shape[2], 8)
    limit = float(np.abs(W).max()) or 1.0
    ncols = n_channels if n_channels > 1 else min(n_filters, 8)
    fig, axes = image_grid(figure_cls, n_filters * n_channels, ncols=ncols, colorbar=True)
    images = []
    for k, ax in enumerate(axes):
        f, c = divmod(k, n_channels)
        images.append(ax.imshow(W[:, :, c, f], cmap="RdBu_r", vmin=-limit, vmax=limit,
                                interpolation="nearest"))
        ax.set_title(f"filter {f}" + (f" ch {c}" if n_channels > 1 else ""), fontsize=7)
    top = axes[0].get_position().y1
    width = fig.get_figwidth()
    cax = fig.add_axes((1.0 - 1.1 / width, 0.1, 0.2 / width, top - 0.1))
    fig.colorbar(images[-1], cax=cax, label="weight")
    grid_title(fig, f"{where}: {n_filters} of {W.shape[3]} filters, "
                    f"{W.shape[0]}x{W.shape[1]} kernels")
    return finish(fig, path)


def feature_maps(network: Network, x: ArrayLike) -> list[tuple[int, str, NDArray]]:
    """The output of every layer whose output is a picture, for one sample ``x``
    (but a ``Reshape``'s, which is the input again).

    Returns
    -------
    list of ``(layer index, layer name, maps of shape (height, width, channels))``,
    computed in inference mode.
    """
    sample = as_numeric(x, "x").astype(network.dtype)
    if network.input_shape is None:
        raise ShapeError("the network is not built yet: fit or build it first")
    if sample.size != int(np.prod(network.input_shape)):
        raise ShapeError(f"x must be one sample of shape {network.input_shape}, got "
                         f"{sample.shape}")
    out: Any = sample.reshape(1, *network.input_shape)
    maps = []
    for i, layer in enumerate(network.layers):
        out = layer.forward(out, training=False)
        if out.ndim == 4 and not isinstance(layer, Reshape):  # a Reshape shows the input again
            maps.append((i, type(layer).__name__, out[0]))
    return maps


def _input_picture(network: Network, x: ArrayLike) -> NDArray:
    """``x`` as (height, width, channels), through a first ``Reshape`` if there is one."""
    shape = tuple(network.input_shape or ())
    if len(shape) == 1 and isinstance(network.layers[0], Reshape):
        shape = network.layers[0].output_shape(shape)
    picture = np.asarray(x, dtype=np.float64).reshape(shape)
    return picture[:, :, None] if picture.ndim == 2 else picture


def plot_feature_maps(network: Network, x: ArrayLike, *, max_channels: int = 8,
                      path: PathLike | None = None) -> Figure:
    """One picture seen layer by layer: a row per layer, one image per channel.

    Each row is the output of one layer whose output is still a picture
    (convolutions, normalisations, activations, pooling), in inference mode;
    the first row is the input. Each image has its own grey scale (white =
    that channel's largest value), since channels differ in size.

    Parameters
    ----------
    network : a built ``Network`` with at least one picture-shaped output
    x : one sample, of the network's input shape (e.g. 784 pixels)
    max_channels : draw at most this many channels per layer, the first ones
    path : when given, also save the figure there as a PNG

    Returns
    -------
    Figure with one axes per (layer, channel) drawn.
    """
    figure_cls = figure_class()
    path = check_path(path)
    n_cols = check_positive_int(max_channels, "max_channels")
    maps = feature_maps(network, x)
    if not maps:
        raise ValueError("no layer of this network outputs a picture (height, width, "
                         "channels); feature maps need convolution or pooling layers")
    picture = _input_picture(network, x)
    rows = [(-1, "input", picture)] + maps
    fig, axes = image_grid(figure_cls, len(rows) * n_cols, ncols=n_cols, row_gap=0.35)
    for r, (i, name, m) in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r * n_cols + c]
            if c >= m.shape[2]:
                ax.set_visible(False)
                continue
            ax.imshow(m[:, :, c], cmap="gray", interpolation="nearest")
            if c == 0:
                ax.set_title(name if i < 0 else f"{i} {name} {m.shape[0]}x{m.shape[1]}",
                             fontsize=7, loc="left")
    grid_title(fig, "feature maps of one picture, layer by layer")
    return finish(fig, path)
