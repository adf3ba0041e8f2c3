"""Data for glassnet: toy problems, MNIST-family loaders, file formats and pictures.

Toy generators (``make_*``) return ``(X, y)`` with float ``X`` of shape
``(n_samples, n_features)`` and int64 labels ``y``. The loaders find data on
disk or download and verify it (see :mod:`glassnet.datasets.sources` for the
search order).
"""

from __future__ import annotations

from .augment import augment_rotations, random_rotate_shift
from .book_csv import find_book_csv
from .csv import read_digits_csv, write_digits_csv
from .download import fetch
from .idx import read_idx, write_idx
from .images import PreparedImage, image_to_input, preprocess_image
from .mapped import MappedRows
from .mnist import FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist, load_mnist
from .toy import make_blobs, make_circles, make_moons, make_spirals, make_xor

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "make_blobs",
    "read_idx",
    "write_idx",
    "fetch",
    "load_mnist",
    "load_fashion_mnist",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "read_digits_csv",
    "find_book_csv",
    "MappedRows",
    "write_digits_csv",
    "image_to_input",
    "preprocess_image",
    "PreparedImage",
    "augment_rotations",
    "random_rotate_shift",
]
