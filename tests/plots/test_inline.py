"""Figures draw themselves in Jupyter (``_repr_png_``) without pyplot or any magic."""

import io

import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from glassnet import plots  # noqa: E402


def test_every_figure_has_a_png_representation(moons, trained):
    X, y = moons
    net, history = trained
    for fig in (plots.plot_dataset(X, y), plots.plot_decision_boundary(net, X, y, resolution=20),
                plots.plot_history(history)):
        assert isinstance(fig, Figure)  # still matplotlib's Figure for everything else
        png = fig._repr_png_()
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.size[0] > 100


def test_the_figure_class_pickles(moons):
    import pickle

    fig = plots.plot_dataset(*moons)
    again = pickle.loads(pickle.dumps(fig))
    assert type(again) is type(fig)
