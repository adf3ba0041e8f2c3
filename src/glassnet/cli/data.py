"""Data sets by name for the command line: generated toys, MNIST family, CSV files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray

from .. import datasets

TOYS: dict[str, Callable[..., tuple[NDArray, NDArray]]] = {
    "moons": datasets.make_moons,
    "circles": datasets.make_circles,
    "spirals": datasets.make_spirals,
    "xor": datasets.make_xor,
    "blobs": datasets.make_blobs,
}
IMAGE_SETS = {"mnist": datasets.load_mnist, "fashion-mnist": datasets.load_fashion_mnist}
CLASS_NAMES = {"mnist": list(datasets.MNIST_CLASSES),
               "fashion-mnist": list(datasets.FASHION_MNIST_CLASSES)}
NAMES = sorted(TOYS) + sorted(IMAGE_SETS)


@dataclass
class Data:
    """A data set split for training and testing, and how its inputs were scaled."""

    name: str
    X_train: NDArray | None
    y_train: NDArray | None
    X_test: NDArray | None
    y_test: NDArray | None
    scale: str | None  # pixel scaling for image data, None for toys
    class_names: list[str] | None = None


def load(name: str, *, data_dir: str | None = None, split: str | None = None,
         scale: str = "unit", samples: int = 1000, noise: float | None = None,
         seed: int = 0, download: bool = True) -> Data:
    """Load a data set by name, or a CSV file (the book's format) by path.

    ``split`` is None for both splits, or ``"train"`` / ``"test"`` for one.
    """
    if name in TOYS:
        kwargs = {} if noise is None else {"noise": noise}
        make = TOYS[name]
        X, y = make(samples, seed=seed, **kwargs) if split != "test" else (None, None)
        X_t, y_t = make(max(samples // 2, 4), seed=seed + 1, **kwargs) \
            if split != "train" else (None, None)
        return Data(name, X, y, X_t, y_t, None)
    if name in IMAGE_SETS:
        loader = IMAGE_SETS[name]

        def one(which: str) -> tuple[NDArray | None, NDArray | None]:
            if split not in (None, which):
                return None, None
            return cast("tuple[NDArray, NDArray]",
                        loader(data_dir, split=which, scale=scale, download=download))

        (X, y), (X_t, y_t) = one("train"), one("test")
        return Data(name, X, y, X_t, y_t, scale, CLASS_NAMES[name])
    path = Path(name)
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise FileNotFoundError(f"no CSV file at {path}")
        pixels, labels = datasets.read_digits_csv(path)
        X = _scale(pixels, scale)
        # a CSV file is one split; it serves as train or test as asked
        return Data(path.name, X, labels, X, labels, scale, CLASS_NAMES["mnist"])
    raise ValueError(f"unknown data set {name!r}; choose one of {NAMES} or give a .csv file")


def stored_name(name: str) -> str:
    """How a model file records its data set: the name, or a CSV file's absolute path."""
    return name if name in TOYS or name in IMAGE_SETS else str(Path(name).resolve())


def _scale(pixels: NDArray, scale: str) -> NDArray:
    from ..datasets._pixels import scale_pixels

    return scale_pixels(pixels, scale, np.float32)
