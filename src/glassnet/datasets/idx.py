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
from typing import Any

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
MAX_BYTES = 2 << 30  # the largest IDX file read_idx accepts unless told otherwise


def is_gzip(data: bytes) -> bool:
    """True when ``data`` starts with the gzip magic bytes ``1f 8b``."""
    return data[:2] == _GZIP_MAGIC


def _gunzip_capped(data: bytes, path: Path, max_bytes: int) -> bytearray:
    """Decompress ``data`` but never past the size its own IDX header implies.

    The header (the first 4 + 4 x ndim decompressed bytes) fixes the file's
    exact length, so a gzip bomb, or a stream longer than its header says,
    is refused after at most that many bytes plus one, never by running out
    of memory. ``max_bytes`` caps what a lying header may ask for.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16: expect the gzip wrapper
    out = bytearray()
    pending = data

    def pull(target: int) -> None:
        nonlocal pending
        while len(out) < target and not inflater.eof:
            chunk = inflater.decompress(pending, min(target - len(out), 1 << 24))
            pending = inflater.unconsumed_tail
            out.extend(chunk)
            if not chunk and not pending:
                return  # the input ran out: a truncated stream

    try:
        pull(4)
        if len(out) < 4 or out[:2] != b"\0\0" or out[2] not in IDX_DTYPES \
                or not 1 <= out[3] <= _MAX_DIMS:
            return out  # not an IDX header: _parse names the problem
        pull(4 + 4 * out[3])
        expected = _implied_size(bytes(out)) if len(out) >= 4 + 4 * out[3] else len(out)
        if expected > max_bytes:
            raise DataFormatError(
                f"{path}: the IDX header declares {expected} bytes, more than the limit of "
                f"{max_bytes}; pass max_bytes= to read a larger file"
            )
        pull(expected + 1)  # one byte more than allowed shows a stream that is too long
        if len(out) <= expected and not inflater.eof:
            pull(expected + 1)
    except zlib.error as exc:
        raise DataFormatError(
            f"{path}: the gzip stream is corrupt ({exc}); expected a complete gzip file of "
            f"{len(data)} bytes that decompresses. Delete the file and download it again"
        ) from exc
    if len(out) > expected:
        raise DataFormatError(
            f"{path}: the decompressed data is longer than the {expected} bytes its IDX header "
            "declares (trailing bytes, or a gzip bomb); the file is corrupt"
        )
    if not inflater.eof:
        raise DataFormatError(
            f"{path}: the gzip stream is truncated after {len(out)} decompressed bytes; "
            "delete the file and download it again"
        )
    if inflater.unused_data:
        raise DataFormatError(
            f"{path}: {len(inflater.unused_data)} bytes follow the end of the gzip stream; "
            "expected one gzip stream holding one IDX file"
        )
    return out


def _implied_size(header: bytes) -> int:
    """The total length in bytes (header and payload) that an IDX header declares."""
    dtype, ndim = IDX_DTYPES[header[2]], header[3]
    shape = struct.unpack(f">{ndim}I", header[4:4 + 4 * ndim])
    return 4 + 4 * ndim + math.prod(shape) * dtype.itemsize


def read_idx(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES,
             mmap: bool = False) -> NDArray:
    """Read an IDX file, gzip-compressed or raw, into an array.

    Parameters
    ----------
    path : path of the file
    max_bytes : refuse a file whose header declares more bytes than this
        (2 GiB by default; MNIST's largest file is 47 MB)
    mmap : map an uncompressed file instead of reading it: a read-only
        ``np.memmap`` (in the file's byte order) whose pages are read when
        used, shared by every process that maps the file. Wrap images in
        ``MappedRows.from_idx`` for ``fit`` to read them batch by batch.

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
        A compressed file is never decompressed past the size its header
        declares, so a gzip bomb costs no more memory than an honest file.
    """
    path = Path(path)
    if mmap:
        return _map(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataFormatError(f"{path}: is a folder, expected an IDX file") from None
    return _parse(_gunzip_capped(raw, path, max_bytes) if is_gzip(raw) else raw, path)


def _map(path: Path) -> NDArray:
    """A read-only memory map of the IDX file ``path``'s elements, its header checked."""
    try:
        with open(path, "rb") as f:
            head = f.read(4 + 4 * _MAX_DIMS)
            size = os.fstat(f.fileno()).st_size
    except IsADirectoryError:
        raise DataFormatError(f"{path}: is a folder, expected an IDX file") from None
    if is_gzip(head):
        raise DataFormatError(f"{path}: is gzip-compressed, which cannot be memory-mapped; "
                              f"decompress it once (gunzip -k {path.name}) and map that file")
    header = _parse(head[:4 + 4 * head[3]] if len(head) >= 4 else head, path, header_only=True)
    dtype, shape, offset = header
    if size != offset + math.prod(shape) * dtype.itemsize:
        raise DataFormatError(f"{path}: the header declares shape {shape} of {dtype.name} "
                              f"({offset + math.prod(shape) * dtype.itemsize} bytes), but the "
                              f"file has {size} bytes; it is truncated or corrupt")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def _parse(data: bytes | bytearray, path: Path, header_only: bool = False) -> Any:
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
    if header_only:
        return dtype, shape, header
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
