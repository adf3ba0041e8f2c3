"""Read and write IDX files, the format MNIST and Fashion-MNIST are stored in.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the element
type, ``DD`` the number of dimensions), then ``DD`` big-endian uint32 sizes,
then the elements in C order, big-endian. Files may be gzip-compressed;
compression is recognised by the gzip magic bytes ``1f 8b``, never by the name.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._atomic import atomic_write
from ..errors import DataFormatError, DTypeError, ShapeError

__all__ = ["read_idx", "write_idx", "IDX_DTYPES", "is_gzip"]

#: IDX type code -> big-endian NumPy dtype of the elements as stored.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIMS = 4


def is_gzip(data: bytes) -> bool:
    """True when ``data`` starts with the gzip magic bytes ``1f 8b``."""
    return data[:2] == _GZIP_MAGIC


def _decompress(data: bytes, path: Path) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFormatError(
            f"{path}: the gzip stream is corrupt or truncated ({exc}); expected a complete "
            f"gzip file, found {len(data)} bytes that do not decompress. Delete the file "
            "and download it again"
        ) from exc


def read_idx(path: str | os.PathLike[str]) -> NDArray:
    """Read an IDX file, gzip-compressed or raw, into an array.

    Parameters
    ----------
    path : path of the file

    Returns
    -------
    ndarray of shape given by the file's 1 to 4 dimensions, in native byte
    order: uint8, int8, int16, int32, float32 or float64 as the type code says.

    Raises
    ------
    DataFormatError
        Bad magic number, unknown type code, a dimension count outside 1..4,
        a corrupt gzip stream, or a payload whose size is not the product of
        the dimensions times the item size (truncated file or trailing bytes).
    """
    path = Path(path)
    data = path.read_bytes()
    if is_gzip(data):
        data = _decompress(data, path)
    return _parse(data, path)


def _parse(data: bytes, path: Path) -> NDArray:
    if len(data) < 4:
        raise DataFormatError(
            f"{path}: too short for an IDX header: expected at least 4 bytes, found {len(data)}"
        )
    zero0, zero1, code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0:
        raise DataFormatError(
            f"{path}: not an IDX file: expected the magic number to start with two zero bytes, "
            f"found {data[:4].hex(' ')}"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({dt.name})" for c, dt in IDX_DTYPES.items())
        raise DataFormatError(
            f"{path}: unknown IDX type code 0x{code:02X}; expected one of {known}"
        )
    if not 1 <= ndim <= _MAX_DIMS:
        raise DataFormatError(
            f"{path}: expected 1 to {_MAX_DIMS} dimensions in the IDX header, found {ndim}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(
            f"{path}: truncated header: expected {header} bytes for {ndim} dimensions, "
            f"found {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        what = "truncated" if found < expected else f"{found - expected} trailing bytes"
        raise DataFormatError(
            f"{path}: {what}: shape {shape} of {dtype.name} needs a payload of {expected} "
            f"bytes, found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native, writable copy


def write_idx(
    path: str | os.PathLike[str], array: ArrayLike, *, compress: bool | None = None
) -> None:
    """Write ``array`` as an IDX file, atomically.

    Parameters
    ----------
    path : destination; written to a temporary file beside it, fsynced, then renamed
    array : array-like with 1 to 4 dimensions of dtype uint8, int8, int16,
        int32, float32 or float64
    compress : gzip the file; None (default) means "when the name ends with .gz"

    Raises
    ------
    DTypeError
        The dtype has no IDX type code.
    ShapeError
        Fewer than 1 or more than 4 dimensions, or a size that does not fit in uint32.
    """
    path = Path(path)
    arr = np.asarray(array)
    native = arr.dtype.newbyteorder("=")
    if native not in _CODES:
        names = ", ".join(dt.name for dt in IDX_DTYPES.values())
        raise DTypeError(
            f"array has dtype {arr.dtype}, which IDX cannot store; expected one of {names}. "
            "Convert first, e.g. array.astype(np.int32)"
        )
    if not 1 <= arr.ndim <= _MAX_DIMS:
        raise ShapeError(
            f"array must have 1 to {_MAX_DIMS} dimensions to be stored as IDX, got shape "
            f"{arr.shape}; reshape it first"
        )
    if max(arr.shape) >= 2**32:
        raise ShapeError(f"array shape {arr.shape} has a size too large for IDX (uint32)")
    code = _CODES[native]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = header + np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    if compress if compress is not None else path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)  # mtime=0: same bytes every time
    with atomic_write(path) as f:
        f.write(data)
