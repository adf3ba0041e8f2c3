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

# A small CNN trained as tests/test_models_cnn.py pins it (MNIST test digits 8,000/2,000):
# its feature maps, its first filters and one filter sliding over a digit.
MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
if (MNIST / "t10k-images-idx3-ubyte.gz").is_file():
    import numpy as np

    from glassnet.plots.sliding import sliding_filter_animation

    digits, labels = gn.datasets.load_mnist(MNIST, split="test", download=False,
                                            progress=False)
    cnn = gn.models.small_cnn(seed=0)
    cnn.fit(digits[:8000], labels[:8000], optimizer=gn.Adam(1e-3), epochs=6, batch_size=64,
            seed=0, verbose=0)
    print("small CNN, 2,000 held-out digits:", cnn.evaluate(digits[8000:], labels[8000:]))
    plots.plot_feature_maps(cnn, digits[8000], max_channels=8,
                            path=HERE / "cnn-feature-maps.png")
    plots.plot_conv_filters(cnn, path=HERE / "cnn-filters.png")
    kernel = cnn.layers[1].params["W"][:, :, 0, 0]
    sliding_filter_animation(digits[8000].reshape(28, 28), kernel, frames=20,
                             path=HERE / "cnn-sliding-filter.gif")
else:
    print(f"MNIST's test files are not in {MNIST}: the CNN pictures are not redrawn")
