"""Memory-mapped IDX and CSV data, read by fit one batch (one shard) at a time."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import read_digits_csv, read_idx, write_digits_csv, write_idx
from glassnet.datasets.mapped import MappedRows
from glassnet.errors import DataFormatError


def _images(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 3, n)


def test_read_idx_maps_the_same_values_and_refuses_gzip(tmp_path: Path) -> None:
    images, _ = _images()
    write_idx(tmp_path / "x.idx", images)
    mapped = read_idx(tmp_path / "x.idx", mmap=True)
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, images)
    write_idx(tmp_path / "x.idx.gz", images)
    with pytest.raises(DataFormatError, match=r"gzip-compressed.*gunzip -k x.idx.gz"):
        read_idx(tmp_path / "x.idx.gz", mmap=True)
    (tmp_path / "short.idx").write_bytes((tmp_path / "x.idx").read_bytes()[:-5])
    with pytest.raises(DataFormatError, match="truncated or corrupt"):
        read_idx(tmp_path / "short.idx", mmap=True)


def test_read_digits_csv_maps_the_same_rows(tmp_path: Path) -> None:
    images, labels = _images(12)
    write_digits_csv(tmp_path / "d.csv", images.reshape(12, -1), labels)
    X, y = read_digits_csv(tmp_path / "d.csv")
    rows, y_mapped = read_digits_csv(tmp_path / "d.csv", mmap=True)
    assert isinstance(rows, MappedRows) and rows.shape == (12, 784)
    np.testing.assert_array_equal(y_mapped, y)
    np.testing.assert_array_equal(rows[np.array([5, 0, 11])], X[[5, 0, 11]].astype(np.float32))
    np.testing.assert_array_equal(rows[2:4], X[2:4].astype(np.float32))


def test_fit_on_mapped_rows_equals_fit_on_the_array_in_memory(tmp_path: Path) -> None:
    images, labels = _images()
    write_idx(tmp_path / "x.idx", images)
    rows = MappedRows.from_idx(read_idx(tmp_path / "x.idx", mmap=True))
    in_memory = images.reshape(40, -1).astype(np.float32) * np.float32(1 / 255)

    def trained(X: object) -> dict[str, np.ndarray]:
        net = gn.Network([gn.Dense(784, 8, seed=0), gn.ReLU(), gn.Dense(8, 3, seed=1)])
        net.fit(X, labels, epochs=2, batch_size=16, seed=0, verbose=0)
        return net.get_weights()

    a, b = trained(rows), trained(in_memory)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_mapped_rows_refuse_what_would_read_them_whole(tmp_path: Path) -> None:
    images, labels = _images()
    write_idx(tmp_path / "x.idx", images)
    rows = MappedRows.from_idx(read_idx(tmp_path / "x.idx", mmap=True))
    net = gn.Network([gn.Dense(784, 3, seed=0)])
    with pytest.raises(ValueError, match="validation_split would read all of MappedRows"):
        net.fit(rows, labels, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="scale must be one of"):
        MappedRows.from_idx(images, scale="book")


@pytest.mark.data
def test_the_real_fashion_mnist_test_set_maps(shared_data: Path, tmp_path: Path) -> None:
    from conftest import require_file

    packed = require_file(shared_data / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")
    raw = tmp_path / "t10k-images.idx"
    with gzip.open(packed) as src:
        raw.write_bytes(src.read())
    mapped = read_idx(raw, mmap=True)
    np.testing.assert_array_equal(mapped, read_idx(packed))
