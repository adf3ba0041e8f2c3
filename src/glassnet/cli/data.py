"""Data sets by name for the command line: generated toys, MNIST family, CSV files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from .. import datasets
from ..errors import DataNotFoundError

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
#: the most points a toy data set is generated with (80 MB of float32 inputs)
MAX_TOY_SAMPLES = 10_000_000


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
         seed: int = 0, download: bool = True, limit: int | None = None) -> Data:
    """Load a data set by name, or a CSV file (the book's format) by path.

    ``split`` is None for both splits, or ``"train"`` / ``"test"`` for one.
    ``samples`` is the size of a generated toy data set; ``limit`` keeps the
    first ``limit`` rows of each split of pictures or a CSV file.
    """
    if name in TOYS:
        if samples > MAX_TOY_SAMPLES:
            raise ValueError(f"--samples {samples:,} is more points than a generated data set "
                             f"holds here (at most {MAX_TOY_SAMPLES:,}); give fewer")
        kwargs = {} if noise is None else {"noise": noise}
        make = TOYS[name]
        X, y = make(samples, seed=seed, **kwargs) if split != "test" else (None, None)
        X_t, y_t = make(max(samples // 2, 4), seed=seed + 1, **kwargs) \
            if split != "train" else (None, None)
        return Data(name, X, y, X_t, y_t, None)
    if name in IMAGE_SETS:
        loader = IMAGE_SETS[name]
        folder = _data_folder(data_dir, name)

        def one(which: str) -> tuple[NDArray | None, NDArray | None]:
            if split not in (None, which):
                return None, None
            try:
                X, y = cast("tuple[NDArray, NDArray]",
                            loader(folder, split=which, scale=scale, download=download))
            except DataNotFoundError as exc:
                raise DataNotFoundError(_in_cli_terms(str(exc), name,
                                                      given=folder is not None)) from None
            return X[:limit], y[:limit]

        (X, y), (X_t, y_t) = one("train"), one("test")
        return Data(name, X, y, X_t, y_t, scale, CLASS_NAMES[name])
    path = Path(name)
    if path.suffix.lower() == ".csv":
        # the reader tells a missing file from an unreadable one or a folder
        pixels, labels = datasets.read_digits_csv(path)
        X = _scale(pixels[:limit], scale)
        labels = labels[:limit]
        # a CSV file is one split; it serves as train or test as asked
        return Data(path.name, X, labels, X, labels, scale, CLASS_NAMES["mnist"])
    raise ValueError(f"unknown data set {name!r}; choose one of {NAMES} or give a .csv file")


def _data_folder(data_dir: str | None, name: str) -> str | None:
    """``data_dir``, or its ``name`` subfolder when it is the folder holding the data sets.

    ``GLASSNET_DATA`` may name either; ``--data-dir`` accepts both the same way.
    """
    if data_dir is None:
        return None
    sub = Path(data_dir).expanduser() / name
    holds_files = any(Path(data_dir).expanduser().glob("*-ubyte*"))
    return str(sub) if sub.is_dir() and not holds_files else data_dir


def _in_cli_terms(message: str, name: str, *, given: bool = False) -> str:
    """A loader's not-found message with the command line's options instead of arguments.

    ``given``: ``--data-dir`` was given, so it was the only place looked at.
    """
    from ..datasets.sources import ENV_VAR, cache_folder

    places = message.split("\nTo fix:")[0]
    places = places.replace("path= argument", "--data-dir").replace(
        "(download=False)", "(--no-download)").replace("path= takes", "--data-dir takes")
    if given:
        return (f"{places}\nTo fix: give --data-dir a folder holding these files (or the "
                f"folder holding a '{name}' subfolder), or leave out --data-dir to search "
                f"${ENV_VAR}, the system folders and the cache {cache_folder(name)} (and "
                "download there unless --no-download).")
    return (f"{places}\nTo fix: give --data-dir a folder holding these files (or the folder "
            f"holding a '{name}' subfolder), set {ENV_VAR} likewise, or leave out "
            f"--no-download with a working internet connection to fetch them into "
            f"{cache_folder(name)}.")


def warn_unexpected_labels(data: Data) -> None:
    """Say so on stderr when labels fall outside the data set's classes (a digit label 12)."""
    if not data.class_names or data.y_train is None:
        return
    labels = np.concatenate([y for y in (data.y_train, data.y_test) if y is not None])
    n = len(data.class_names)
    odd = np.unique(labels[(labels < 0) | (labels >= n)])
    if odd.size:
        count = int(np.isin(data.y_train, odd).sum())
        shown = ", ".join(map(str, odd[:5].tolist())) + (", ..." if odd.size > 5 else "")
        print(f"warning: {data.name} has labels outside 0-{n - 1} ({shown}; {count} training "
              f"samples); the network gets {int(labels.max()) + 1} outputs. Check the file's "
              "first column (the label)", file=sys.stderr)


def stored_name(name: str) -> str:
    """How a model file records its data set: the name, or a CSV file's absolute path."""
    return name if name in TOYS or name in IMAGE_SETS else str(Path(name).resolve())


def stored_setting(meta: dict[str, Any], key: str, model: str) -> Any:
    """A toy data set's ``samples``, ``noise`` or ``seed`` from a model file, checked.

    The file may have been edited or crafted: a value of the wrong kind or size
    is refused with the option that overrides it, before anything is generated.
    """
    value = meta.get(key)
    if value is None:
        return None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    limit = MAX_TOY_SAMPLES
    ok = {"samples": number and isinstance(value, int) and 1 <= value <= limit,
          "noise": number and np.isfinite(value) and value >= 0,
          "seed": number and isinstance(value, int) and value >= 0}[key]
    if not ok:
        wanted = {"samples": f"a whole number of points from 1 to {limit:,}",
                  "noise": "a finite number >= 0", "seed": "a whole number >= 0"}[key]
        raise ValueError(f"{model}: its metadata says the data set was generated with "
                         f"{key}={_short(value)}, which is not {wanted}; the file was altered "
                         f"or not written by glassnet train: give --{key} to choose it")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _scale(pixels: NDArray, scale: str) -> NDArray:
    from ..datasets._pixels import scale_pixels

    return scale_pixels(pixels, scale, np.float32)
