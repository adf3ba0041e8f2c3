"""glassnet.plots.conv and .sliding: filters, feature maps, a filter sliding over a digit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

import glassnet as gn  # noqa: E402
from glassnet import plots  # noqa: E402
from glassnet.layers import Conv2D  # noqa: E402
from glassnet.plots.conv import feature_maps  # noqa: E402
from glassnet.plots.sliding import sliding_filter_animation  # noqa: E402


@pytest.fixture(scope="module")
def cnn():
    return gn.models.small_cnn(channels=(4, 6), hidden=8, seed=0)


def test_filters_show_every_kernel_with_its_weights(cnn, tmp_path):
    fig = plots.plot_conv_filters(cnn, path=tmp_path / "filters.png")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    W = cnn.layers[1].params["W"]
    assert len(images) == 4
    np.testing.assert_array_equal(images[2].get_array(), W[:, :, 0, 2])
    assert (tmp_path / "filters.png").stat().st_size > 0
    second = plots.plot_conv_filters(cnn, layer=5, max_filters=2)   # 4 input channels each
    assert sum(bool(ax.images) for ax in second.axes) == 2 * 4
    with pytest.raises(ValueError, match=r"the Conv2D layers are \[1, 5\]"):
        plots.plot_conv_filters(cnn, layer=2)
    with pytest.raises(ValueError, match="no Conv2D"):
        plots.plot_conv_filters(gn.mlp([4, 3, 2], seed=0))


def test_feature_maps_are_each_picture_layers_output(cnn):
    x = np.random.default_rng(0).random(784).astype(np.float32)
    maps = feature_maps(cnn, x)
    assert [i for i, _, _ in maps] == [1, 2, 3, 4, 5, 6, 7, 8]
    expected = cnn.layers[1].forward(x.reshape(1, 28, 28, 1))[0]
    np.testing.assert_array_equal(maps[0][2], expected)
    fig = plots.plot_feature_maps(cnn, x, max_channels=3)
    drawn = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert len(drawn) == 1 + 8 * 3  # the input (one channel), then 3 channels a layer
    np.testing.assert_array_equal(drawn[0].images[0].get_array(), x.reshape(28, 28))
    with pytest.raises(gn.errors.ShapeError, match="one sample"):
        feature_maps(cnn, x[:100])


def test_the_sliding_filter_film_adds_up_the_numbers_it_shows(tmp_path):
    picture = np.zeros((8, 8))
    picture[2:6, 3] = 1.0   # a vertical stroke
    kernel = np.array([[-1.0, 2.0, -1.0]] * 3)  # a vertical-line detector
    film = sliding_filter_animation(picture, kernel, bias=0.5, frames=5,
                                    path=tmp_path / "slide.gif")
    conv = Conv2D(1, 3, seed=0, dtype=np.float64)
    conv.build((8, 8, 1), np.float64)
    conv.params["W"][...] = kernel[:, :, None, None]
    conv.params["b"][...] = 0.5
    np.testing.assert_allclose(film.output, conv.forward(picture[None, :, :, None])[0, :, :, 0])
    assert film.positions[0] == (0, 0) and film.positions[-1] == (5, 5) and len(film.positions) == 5
    assert film.gif[:6] == b"GIF89a" and (tmp_path / "slide.gif").read_bytes() == film.gif
    assert film.output.max() == pytest.approx(6.5)  # three stroke pixels times 2, plus b
    with pytest.raises(gn.errors.ShapeError, match="no larger"):
        sliding_filter_animation(np.zeros((2, 2)), kernel)
