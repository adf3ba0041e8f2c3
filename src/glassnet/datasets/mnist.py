"""MNIST and Fashion-MNIST: 28x28 greyscale images in ten classes.

Files are found (or downloaded and verified) by :mod:`glassnet.datasets.sources`,
read by :func:`~glassnet.datasets.idx.read_idx` and checked for agreeing shapes.
Downloads are verified by SHA-256: of the ``.gz`` archive for MNIST, of the
decompressed content for Fashion-MNIST (whose archives some distributors,
such as Debian, recompress). Files found on disk are not checksummed, only
parsed and checked, with one exception: the two data sets share their file
names and shapes, so the labels are fingerprinted (SHA-256 of 60,000 or
10,000 bytes, instantly) to refuse MNIST's files where Fashion-MNIST's are
asked for, and the reverse.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import check_choice, check_dtype
from ..errors import DataFormatError
from ._pixels import check_scale, scale_pixels
from .idx import read_idx
from .sources import locate

__all__ = ["load_mnist", "load_fashion_mnist", "MNIST_CLASSES", "FASHION_MNIST_CLASSES"]

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_TRAIN_X, _TRAIN_Y = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
_TEST_X, _TEST_Y = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
_FILES = {"train": (_TRAIN_X, _TRAIN_Y), "test": (_TEST_X, _TEST_Y)}
_SIDE = 28

Split = tuple[NDArray, NDArray[np.int64]]


@dataclass(frozen=True)
class _Spec:
    """What distinguishes one data set of this family from another."""

    name: str
    mirrors: tuple[str, ...]
    sha256: Mapping[str, str]
    content_sha256: bool
    n_classes: int
    labels_sha256: Mapping[str, str]  # split -> SHA-256 of its label values (uint8)


MNIST = _Spec(
    name="mnist",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    sha256={  # of the .gz archives as their authors distribute them
        _TRAIN_X: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        _TRAIN_Y: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        _TEST_X: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        _TEST_Y: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    content_sha256=False,
    n_classes=len(MNIST_CLASSES),
    labels_sha256={
        "train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
)

FASHION_MNIST = _Spec(
    name="fashion-mnist",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    sha256={  # of the decompressed IDX bytes
        _TRAIN_X: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        _TRAIN_Y: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        _TEST_X: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        _TEST_Y: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    content_sha256=True,
    n_classes=len(FASHION_MNIST_CLASSES),
    labels_sha256={
        "train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    },
)
_FAMILY = (MNIST, FASHION_MNIST)


def _read_split(images_path: Path, labels_path: Path, n_classes: int) -> tuple[NDArray, NDArray]:
    """Read one split's image and label files and check that they belong together."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
        raise DataFormatError(
            f"{images_path}: expected uint8 images of shape (n, {_SIDE}, {_SIDE}), "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataFormatError(
            f"{labels_path}: expected uint8 labels of shape (n,), "
            f"found {labels.dtype} of shape {labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise DataFormatError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
            f"{labels.shape[0]} labels; the files belong to different splits or data sets"
        )
    if labels.size and labels.max() >= n_classes:
        raise DataFormatError(
            f"{labels_path}: expected labels 0..{n_classes - 1}, found {int(labels.max())}"
        )
    return images, labels


def _refuse_the_other_data_sets_labels(spec: _Spec, labels: NDArray[np.uint8],
                                       labels_path: Path) -> None:
    """Refuse the labels of the other data set of the family (same names, same shapes)."""
    digest = hashlib.sha256(labels.tobytes()).hexdigest()
    for other in _FAMILY:
        if other is not spec and digest in other.labels_sha256.values():
            raise DataFormatError(
                f"{labels_path} holds the {other.name} labels, not {spec.name}'s: the folder "
                f"found belongs to {other.name} (both use the same file names); point path= "
                f"or $GLASSNET_DATA at a folder with the {spec.name} files, or at the parent "
                f"of a '{spec.name}' subfolder"
            )


def _load(
    spec: _Spec,
    path: str | os.PathLike[str] | None,
    *,
    split: str | None,
    scale: str,
    flatten: bool,
    download: bool,
    dtype: DTypeLike,
    mirrors: Sequence[str] | None,
    cache_dir: str | os.PathLike[str] | None,
    system_dirs: Sequence[str | os.PathLike[str]] | None,
    progress: bool,
) -> Split | tuple[Split, Split]:
    if split is not None:
        check_choice(split, ("train", "test"), "split")
    check_scale(scale)
    if scale != "none":
        check_dtype(dtype)
    splits = ("train", "test") if split is None else (split,)
    stems = [stem for s in splits for stem in _FILES[s]]
    files = locate(
        spec.name,
        stems,
        sha256=spec.sha256,
        mirrors=spec.mirrors if mirrors is None else mirrors,
        path=path,
        download=download,
        content_sha256=spec.content_sha256,
        cache_dir=cache_dir,
        system_dirs=system_dirs,
        progress=progress,
    )
    out = []
    for s in splits:
        images_stem, labels_stem = _FILES[s]
        images, labels = _read_split(files[images_stem], files[labels_stem], spec.n_classes)
        _refuse_the_other_data_sets_labels(spec, labels, files[labels_stem])
        if flatten:
            images = images.reshape(images.shape[0], _SIDE * _SIDE)
        out.append((scale_pixels(images, scale, dtype), labels.astype(np.int64)))
    return out[0] if split is not None else (out[0], out[1])


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    split: str | None = None,
    scale: str = "unit",
    flatten: bool = True,
    download: bool = True,
    dtype: DTypeLike = np.float32,
    mirrors: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    system_dirs: Sequence[str | os.PathLike[str]] | None = None,
    progress: bool = True,
) -> Split | tuple[Split, Split]:
    """Load the MNIST handwritten digits (60,000 training and 10,000 test images).

    Parameters
    ----------
    path : folder holding the IDX files (``.gz`` or not); when given, the only
        place looked at (a folder without them is an error, never passed over
        for ``$GLASSNET_DATA`` or the cache)
    split : None for both splits, or ``"train"`` / ``"test"`` for one (only
        that split's files are then needed)
    scale : ``"none"`` (uint8 0-255 as stored; ``dtype`` is ignored),
        ``"unit"`` (``x / 255``) or ``"book"`` (``x / 255 * 0.99 + 0.01``)
    flatten : images as rows of 784 pixels, else as 28x28
    download : allow downloading missing files into the cache
    dtype : float32 or float64, for ``scale="unit"`` or ``"book"``
    mirrors : base URLs to download from, in order (default: the official mirrors)
    cache_dir : cache base folder; files go to ``cache_dir/mnist`` (default
        ``$XDG_CACHE_HOME/glassnet`` or ``~/.cache/glassnet``)
    system_dirs : system folders searched for a ``mnist`` subfolder (default
        ``("/usr/share/datasets",)``)
    progress : show download progress (needs tqdm)

    Returns
    -------
    ((X_train, y_train), (X_test, y_test)), or ``(X, y)`` for a single split, with
    X of shape (n, 784) or (n, 28, 28) and y of shape (n,), int64 in 0..9.

    Raises
    ------
    DataNotFoundError
        The files are nowhere to be found and could not be downloaded, or
        ``path`` does not hold them; the message lists every place searched.
        See :mod:`glassnet.datasets.sources`.
    ValueError
        ``mirrors`` is a string, or holds something other than URLs.
    DataFormatError
        A file found is corrupt, or images and labels disagree.
    """
    return _load(
        MNIST,
        path,
        split=split,
        scale=scale,
        flatten=flatten,
        download=download,
        dtype=dtype,
        mirrors=mirrors,
        cache_dir=cache_dir,
        system_dirs=system_dirs,
        progress=progress,
    )


def load_fashion_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    split: str | None = None,
    scale: str = "unit",
    flatten: bool = True,
    download: bool = True,
    dtype: DTypeLike = np.float32,
    mirrors: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    system_dirs: Sequence[str | os.PathLike[str]] | None = None,
    progress: bool = True,
) -> Split | tuple[Split, Split]:
    """Load Fashion-MNIST (Zalando): 60,000 + 10,000 clothing images in 10 classes.

    Same parameters and return values as :func:`load_mnist`; the class names
    are in :data:`FASHION_MNIST_CLASSES`, and files are looked for in
    ``fashion-mnist`` subfolders (Debian's ``dataset-fashion-mnist`` package
    installs them in ``/usr/share/datasets/fashion-mnist``).
    """
    return _load(
        FASHION_MNIST,
        path,
        split=split,
        scale=scale,
        flatten=flatten,
        download=download,
        dtype=dtype,
        mirrors=mirrors,
        cache_dir=cache_dir,
        system_dirs=system_dirs,
        progress=progress,
    )
