"""Fashion-MNIST for every runner: found on disk, never downloaded.

Where the files are taken from, in order: ``--data-dir``; else the loader's own
search (which reads ``$GLASSNET_DATA`` first), with downloads disabled; else
``../shared/data/fashion-mnist`` beside the checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FALLBACK = REPO_ROOT.parent / "shared" / "data" / "fashion-mnist"


@dataclass
class Data:
    """Training and test splits, ``X`` of shape (n, 784), ``y`` int64 of shape (n,)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str


def load(data_dir: str | None, *, scale: str = "unit", dtype: type = np.float32,
         n_train: int | None = None, n_test: int | None = None) -> Data:
    """Load both splits, optionally keeping only the first ``n_train`` / ``n_test`` rows.

    Parameters
    ----------
    data_dir : a folder holding the four IDX files, or None to search
    scale : the loader's pixel scaling: ``"unit"`` (x / 255) or ``"none"`` (uint8)
    dtype : float32 or float64 for ``scale="unit"``
    """
    from glassnet.datasets import load_fashion_mnist
    from glassnet.errors import DataNotFoundError

    # For a subset, read the pixels as uint8 and scale only the rows kept, so that
    # the float copy of all 70,000 images never inflates the run's peak memory.
    subset = scale == "unit" and (n_train is not None or n_test is not None)

    def read(path: str | Path | None):
        return load_fashion_mnist(path, scale="none" if subset else scale, dtype=dtype,
                                  download=False, progress=False)

    if data_dir is not None:
        splits, source = read(data_dir), str(data_dir)
    else:
        try:
            splits, source = read(None), "glassnet loader search ($GLASSNET_DATA, system folders)"
        except DataNotFoundError:
            if not SHARED_FALLBACK.is_dir():
                raise
            splits, source = read(SHARED_FALLBACK), str(SHARED_FALLBACK)
    (X, y), (Xt, yt) = splits
    # A copy of the first rows, so the full arrays can be freed.
    if n_train is not None and n_train < X.shape[0]:
        X, y = X[:n_train].copy(), y[:n_train].copy()
    if n_test is not None and n_test < Xt.shape[0]:
        Xt, yt = Xt[:n_test].copy(), yt[:n_test].copy()
    if subset:
        X, Xt = _unit(X, dtype), _unit(Xt, dtype)
    return Data(X, y, Xt, yt, source)


def _unit(pixels: np.ndarray, dtype: type) -> np.ndarray:
    """``pixels / 255`` in ``dtype``: the loader's "unit" scaling, in its order of operations
    (the same bits)."""
    out = pixels.astype(dtype)
    out /= 255.0
    return out
