import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.plots import BoundaryAnimation, boundary_animation  # noqa: E402


def test_trains_and_films_the_boundary(moons, tmp_path):
    X, y = moons
    net = gn.mlp([2, 8, 2], activation="tanh", seed=0)
    path = tmp_path / "moons.gif"
    film = boundary_animation(net, X, y, epochs=10, frames=4, resolution=20, path=path)
    assert isinstance(film, BoundaryAnimation)
    assert film.epochs == [0, 3, 7, 10]
    assert film.history.epochs_run == 10 and len(film.history["loss"]) == 10
    assert film.accuracy[-1] == pytest.approx(np.mean(net.predict(X) == y))
    assert film.path == path and path.read_bytes() == film.gif
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 4
        sizes = set()
        for i in range(gif.n_frames):
            gif.seek(i)
            sizes.add(gif.size)
        assert len(sizes) == 1
    # the frames differ: the boundary moved
    first, last = (np.asarray(f.convert("RGB"), dtype=np.int16) for f in film.frames[::3])
    assert np.abs(first - last).mean() > 1.0


def test_same_seed_same_film(moons):
    X, y = moons
    films = [boundary_animation(gn.mlp([2, 4, 2], seed=0), X, y, epochs=4, frames=2,
                                resolution=10) for _ in range(2)]
    assert films[0].accuracy == films[1].accuracy
    assert films[0].history.history == films[1].history.history


def test_shows_inline_in_jupyter_and_saves_a_frame(moons, tmp_path):
    X, y = moons
    film = boundary_animation(gn.mlp([2, 4, 2], seed=0), X, y, epochs=2, frames=2,
                              resolution=10)
    assert film._repr_html_().startswith("<img src='data:image/gif;base64,R0lGOD")
    png = film.save_frame(-1, tmp_path / "last.png")
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == film.frames[-1].size
    assert "2 frames, epochs 0..2" in repr(film)
    with Image.open(io.BytesIO(film.gif)) as gif:
        assert gif.info.get("loop") == 0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"frames": 1}, ValueError, "frames must be at least 2"),
    ({"path": "film.png"}, ValueError, r"path must name a .gif file"),
    ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
    ({"fps": 0}, ValueError, "fps must be > 0"),
    ({"resolution": 1}, ValueError, "resolution must be at least 2"),
])
def test_bad_arguments(moons, kwargs, error, match):
    X, y = moons
    with pytest.raises(error, match=match):
        boundary_animation(gn.mlp([2, 4, 2], seed=0), X, y, **{"epochs": 2, **kwargs})


def test_needs_two_inputs():
    X = np.zeros((4, 3))
    with pytest.raises(Exception, match="must have shape \\(n_samples, 2\\)"):
        boundary_animation(gn.mlp([3, 4, 2]), X, np.zeros(4, dtype=int))


def test_missing_matplotlib_gives_the_install_hint(moons, monkeypatch):
    import sys

    from glassnet.plots import capacity_sweep

    X, y = moons
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    net = gn.mlp([2, 4, 2], seed=0)
    before = net.get_weights()
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        boundary_animation(net, X, y, epochs=2)
    for name, value in net.get_weights().items():  # refused before any training
        np.testing.assert_array_equal(value, before[name])
    sweep = capacity_sweep(X, y, X, y, hidden=(2,), epochs=1)  # the numbers need no matplotlib
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        sweep.plot()


def test_the_colours_have_a_legend_and_the_first_frame_says_it_is_untrained(moons,
                                                                           monkeypatch):
    from glassnet.plots import animation

    X, y = moons
    titles, figures = [], []
    frame = animation._Film.frame

    def record(self, title, from_buffer):
        titles.append(title)
        figures.append(self.fig)
        return frame(self, title, from_buffer)

    monkeypatch.setattr(animation._Film, "frame", record)
    boundary_animation(gn.mlp([2, 8, 2], activation="tanh", seed=0), X, y, epochs=4,
                       frames=3, resolution=20)
    assert titles[0].startswith("epoch 0, untrained (random weights): accuracy ")
    assert titles[1].startswith("epoch 2: accuracy ")
    labels = [ax.get_ylabel() for ax in figures[0].axes]
    assert "P(class 1)" in labels  # the colour bar: what the fill colours mean
