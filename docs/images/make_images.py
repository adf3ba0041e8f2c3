"""Redraw the README's pictures: ``PYTHONPATH=src python docs/images/make_images.py``."""

from pathlib import Path

import glassnet as gn
from glassnet import plots
from glassnet.datasets import make_moons

HERE = Path(__file__).resolve().parent

X, y = make_moons(300, noise=0.2, seed=0)
film = plots.boundary_animation(gn.mlp([2, 16, 2], activation="tanh", seed=0), X, y,
                                epochs=80, frames=16, resolution=80,
                                path=HERE / "moons-boundary.gif")
film.save_frame(-1, HERE / "moons-boundary.png")
print(film)
