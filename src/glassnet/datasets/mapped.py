"""Rows read on demand from a memory-mapped file, so N processes do not hold N copies.

``fit`` reads a :class:`MappedRows` one mini-batch at a time (``X[idx]``),
so under data-parallel training each rank reads only the rows of its shard;
the operating system's page cache holds the file once per machine, however
many ranks map it. Build one with ``read_idx(path, mmap=True)`` wrapped in
:meth:`MappedRows.from_idx`, or ``read_digits_csv(path, mmap=True)``.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..errors import DataFormatError

__all__ = ["MappedRows"]

_SCALES = {"unit": 1.0 / 255.0, "none": None}


class MappedRows:
    """A read-only (n_samples, n_features) table whose rows are read when indexed.

    Parameters
    ----------
    read : ``indices -> array (len(indices), n_features)`` of the stored values
    shape : ``(n_samples, n_features)``
    scale : ``"unit"`` (divide by 255: pixels to [0, 1]) or ``"none"``
    dtype : the dtype of the rows returned (float32 by default)

    Examples
    --------
    >>> rows = MappedRows(lambda idx: np.arange(6).reshape(3, 2)[idx], (3, 2), scale="none")
    >>> rows[np.array([2, 0])]
    array([[4., 5.],
           [0., 1.]], dtype=float32)
    """

    rows_on_demand = True  # fit reads it batch by batch instead of converting it whole

    def __init__(self, read: Any, shape: tuple[int, int], *, scale: str = "unit",
                 dtype: DTypeLike = np.float32) -> None:
        if scale not in _SCALES:
            raise ValueError(f"scale must be one of {sorted(_SCALES)}, got {scale!r}")
        self._read = read
        self.shape = (int(shape[0]), int(shape[1]))
        self.scale = scale
        self.dtype = np.dtype(dtype)
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"MappedRows(shape={self.shape}, scale={self.scale!r}, dtype={self.dtype.name})"

    def __getitem__(self, indices: Any) -> NDArray:
        """The rows ``indices`` (an integer array or a slice), scaled, as ``dtype``."""
        if isinstance(indices, slice):
            indices = np.arange(self.shape[0])[indices]
        rows = np.asarray(self._read(np.asarray(indices, dtype=np.intp)), dtype=self.dtype)
        factor = _SCALES[self.scale]
        if factor is not None:
            rows *= np.asarray(factor, dtype=self.dtype)
        return rows

    @classmethod
    def from_idx(cls, images: np.ndarray, *, scale: str = "unit",
                 dtype: DTypeLike = np.float32) -> MappedRows:
        """Rows of a memory-mapped IDX image array ``(n, h, w)`` (``read_idx(..., mmap=True)``)."""
        n = images.shape[0]
        flat = images.reshape(n, -1)  # a view of the map: nothing is read yet
        return cls(lambda idx: flat[idx], (n, flat.shape[1]), scale=scale, dtype=dtype)

    @classmethod
    def from_digits_csv(cls, path: str | os.PathLike[str], *, scale: str = "unit",
                        dtype: DTypeLike = np.float32) -> tuple[MappedRows, NDArray[np.int64]]:
        """``(rows, labels)`` of a digits CSV file (label, 784 pixels per line).

        The labels (one integer per line) are read at once; the pixels of a
        row only when that row is indexed.
        """
        path = Path(path)
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise DataFormatError(f"{path}: the file is empty, expected digits CSV lines")
            buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        data = np.frombuffer(buffer, dtype=np.uint8)
        ends = np.flatnonzero(data == ord("\n"))
        if ends.size == 0 or ends[-1] != data.size - 1:
            ends = np.append(ends, data.size)  # a last line without its newline
        starts = np.concatenate(([0], ends[:-1] + 1))
        keep = ends > starts  # blank lines (e.g. a trailing one) hold no row
        starts, ends = starts[keep], ends[keep]

        def line(i: int) -> bytes:
            return buffer[starts[i]:ends[i]]

        first = np.array(line(0).split(b","), dtype=np.int64)
        labels = np.array([int(line(i).split(b",", 1)[0]) for i in range(starts.size)],
                          dtype=np.int64)

        def read(idx: NDArray[np.intp]) -> NDArray:
            out = np.empty((idx.size, first.size - 1), dtype=np.float32)
            for row, i in enumerate(idx):
                values = np.array(line(int(i)).split(b",")[1:], dtype=np.float32)
                if values.size != out.shape[1]:
                    raise DataFormatError(f"{path}: line {int(i) + 1} has {values.size + 1} "
                                          f"fields, expected {out.shape[1] + 1} like line 1")
                out[row] = values
            return out

        return cls(read, (starts.size, first.size - 1), scale=scale, dtype=dtype), labels
