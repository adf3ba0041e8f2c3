"""Read and write safetensors files with NumPy alone, trusting nothing in the file.

The format (the one PyTorch and the Hugging Face hub use for weights)::

    [8 bytes: N, little-endian uint64]
    [N bytes: a JSON object, UTF-8, padded with spaces to a multiple of 8]
    [the tensors' raw little-endian bytes, back to back]

The JSON object maps each tensor's name to ``{"dtype": "F32", "shape": [784,
256], "data_offsets": [begin, end]}`` (offsets counted from the start of the
data) and may hold ``"__metadata__"``, a flat object of string values. There
is no compression, no zip and nothing executable.

The reader checks every rule before it allocates anything the size of a
tensor: a header within a size cap, strict JSON (no repeated key, no NaN,
shallow), dtypes from a fixed list, shapes of non-negative integers, byte
ranges that match dtype x shape, follow one another without gap or overlap
and cover the data exactly, and a file that ends where the data ends. A
caller that knows what it expects (names, dtypes, shapes) says so, and a
file that disagrees is refused before any tensor is read. Memory used is
then the declared tensors (which the file's own size bounds) plus the header.

Integrity
---------
The format has no checksum, so :func:`write_safetensors` adds a SHA-256
digest of the metadata and of each tensor to the string metadata
(``glassnet.io.digest``). The reader checks the metadata's with the header
and each tensor's right after reading it, before any array is returned; a
file without one (another tool wrote it) loads with ``Header.digest`` None.
The official package reads these files unchanged.

Bounds
------
The header is parsed in time and memory linear in its size (the standard
library's C scanner, then one iterative walk), with caps on its size
(100 MB, the reference implementation's), on any one string in it (16 MiB)
and tensor name (1,024 characters), and on the number of tensors (100,000).

This module knows nothing of networks; ``glassnet.io`` builds on it.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_zeros
from .._atomic import atomic_write
from ..errors import DTypeError, ModelFormatError
from .digest import DIGEST_KEY, checked_digest, metadata_digest, tensor_digest
from .strict_json import loads_strict

__all__ = [
    "DIGEST_KEY",
    "DTYPES",
    "MAX_HEADER_BYTES",
    "Header",
    "TensorInfo",
    "read_header",
    "read_tensors",
    "write_safetensors",
]

#: The format's dtype names glassnet reads and writes, with their little-endian NumPy dtypes.
DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype("?"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}
_NAMES = {dt.newbyteorder("="): name for name, dt in DTYPES.items()}
# Valid in the format but with no NumPy dtype; named in the error so it is clear why.
_KNOWN_UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                      "C64")
MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit
METADATA_KEY = "__metadata__"
MAX_HEADER_STRING = 16 << 20  # characters in any one string of the header
MAX_NAME = 1024  # characters in a tensor's name
MAX_TENSORS = 100_000
_MAX_DEPTH = 4  # {tensor: {"shape": [..]}} is 3 deep; anything deeper is not this format

Expected = Mapping[str, tuple[DTypeLike, tuple[int, ...]]]


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's entry in the header: its dtype, shape and byte range in the data."""

    name: str
    dtype: np.dtype  # little-endian, as stored
    shape: tuple[int, ...]
    begin: int  # offsets from the start of the data, as in the file
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


@dataclass(frozen=True)
class Header:
    """A checked header: ``tensors`` in file order, ``metadata`` (str -> str), sizes in bytes."""

    path: Path
    metadata: dict[str, str]  # without the digest entry
    tensors: dict[str, TensorInfo]
    header_bytes: int  # N, the JSON's length with its padding
    data_bytes: int
    #: tensor name -> SHA-256 hex digest, checked (None: the file carries no digest)
    digest: dict[str, str] | None = None

    @property
    def data_start(self) -> int:
        return 8 + self.header_bytes


ExpectedOrCallback = Expected | Callable[[Header], Expected] | None


# -- writing -------------------------------------------------------------------------------
def write_safetensors(path: str | os.PathLike[str], tensors: Mapping[str, NDArray], *,
                      metadata: Mapping[str, str] | None = None, digest: bool = True) -> Path:
    """Write ``tensors`` and string ``metadata`` as one safetensors file, atomically.

    With ``digest`` (the default) the metadata also holds the SHA-256 digest
    of the other metadata and of each tensor (see the module docstring).

    Tensors are stored in order of decreasing item size (the caller's order
    among equals), so that each starts on a multiple of its item size, as
    the reference implementation arranges; the header lists them in that
    order. Nothing is copied unless an array is not C-contiguous
    little-endian.

    Raises
    ------
    TypeError : a name or metadata value that is not a string
    ValueError : the name ``"__metadata__"`` used for a tensor
    DTypeError : a dtype without a safetensors name (object, complex, ...)
    """
    meta = dict(metadata or {})
    for key, value in meta.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"safetensors metadata maps strings to strings; got {key!r}: "
                            f"{type(value).__name__}; encode other values (e.g. with json.dumps)")
    if DIGEST_KEY in meta:
        raise ValueError(f"the metadata key {DIGEST_KEY!r} is reserved for the digest")
    arrays: list[tuple[str, str, NDArray]] = []
    for name, array in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {name!r}")
        if name == METADATA_KEY:
            raise ValueError(f"{METADATA_KEY!r} is reserved for the metadata; rename the tensor")
        if len(name) > MAX_NAME:
            raise ValueError(f"tensor name {name[:40]!r}... has {len(name)} characters; "
                             f"at most {MAX_NAME} can be read back")
        array = np.asarray(array)
        code = _NAMES.get(array.dtype.newbyteorder("="))
        if code is None:
            raise DTypeError(f"tensor {name!r} has dtype {array.dtype}, which safetensors "
                             f"cannot hold; use one of {sorted(_NAMES.values())}")
        arrays.append((name, code, np.ascontiguousarray(array, dtype=DTYPES[code])))
    arrays.sort(key=lambda item: -item[2].itemsize)  # stable: equal sizes keep their order
    if digest:
        meta[DIGEST_KEY] = json.dumps({
            "metadata": metadata_digest(meta),
            "tensors": {name: tensor_digest(name, code, array.shape, array)
                        for name, code, array in arrays}}, separators=(",", ":"))
    header: dict[str, Any] = {METADATA_KEY: meta} if meta else {}
    offset = 0
    for name, code, array in arrays:
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = _dumps(header)
    text += b" " * (-len(text) % 8)  # the data then starts on an 8-byte boundary
    with atomic_write(path) as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        _write_data(f, [array for _, _, array in arrays])
    return Path(path)


def _write_data(f: BinaryIO, arrays: list[NDArray]) -> None:
    """The tensors' bytes, back to back (no copy)."""
    for array in arrays:
        if array.size:
            f.write(array.data.cast("B"))


def _dumps(header: dict[str, Any]) -> bytes:
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- reading the header ---------------------------------------------------------------------
def read_header(path: str | os.PathLike[str], *,
                max_header_bytes: int = MAX_HEADER_BYTES) -> Header:
    """The checked header of the safetensors file at ``path`` (no tensor is read).

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : the file breaks any rule of the format (see the module
        docstring); the message names the file and the rule
    """
    with _open(path) as f:
        return _parse_header(f, Path(path), max_header_bytes)


def _fail(path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


def _open(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading; a missing file is a FileNotFoundError saying so."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise ModelFormatError(f"{path}: is a folder, not a model file") from None


def _parse_header(f: BinaryIO, path: Path, max_header_bytes: int) -> Header:
    size = os.fstat(f.fileno()).st_size
    prefix = f.read(8)
    if len(prefix) < 8:
        raise _fail(path, f"not a safetensors file: {size} bytes, too short for the 8-byte "
                          "header length")
    (n,) = struct.unpack("<Q", prefix)
    if n > max_header_bytes:
        raise _fail(path, f"the header claims {n} bytes, more than the limit of "
                          f"{max_header_bytes}; the file is corrupt or not a safetensors file")
    if 8 + n > size:
        raise _fail(path, f"truncated: the header claims {n} bytes but only {size - 8} follow")
    raw = f.read(n)
    if len(raw) != n:
        raise _fail(path, "the file shrank while it was read")
    if not raw.startswith(b"{"):
        raise _fail(path, "not a safetensors file: the header does not start with '{'")
    try:
        # trailing spaces are JSON whitespace
        doc = loads_strict(raw, max_depth=_MAX_DEPTH, max_string=MAX_HEADER_STRING)
    except ValueError as exc:
        raise _fail(path, f"the header is not valid: {exc}") from None
    if not isinstance(doc, dict):
        raise _fail(path, f"the header must be a JSON object, got {type(doc).__name__}")
    metadata = _check_metadata(doc.pop(METADATA_KEY, {}), path)
    if len(doc) > MAX_TENSORS:
        raise _fail(path, f"the header lists {len(doc):,} tensors; at most {MAX_TENSORS:,} "
                          "are read")
    tensors = [_check_entry(name, entry, path) for name, entry in doc.items()]
    tensors.sort(key=lambda t: (t.begin, t.end))
    data_bytes = size - 8 - n
    position = 0
    for t in tensors:
        if t.begin != position:
            what = "a gap" if t.begin > position else "an overlap"
            raise _fail(path, f"tensor {t.name!r} starts at byte {t.begin} of the data but the "
                              f"previous one ends at {position}: {what}; the byte ranges must "
                              "follow one another")
        position = t.end
    if position != data_bytes:
        what = ("truncated" if position > data_bytes
                else f"{data_bytes - position} bytes after the last tensor")
        raise _fail(path, f"{what}: the header's tensors cover {position} bytes of data, "
                          f"the file holds {data_bytes}")
    digest = checked_digest(metadata, [t.name for t in tensors], path)
    return Header(path=path, metadata=metadata, tensors={t.name: t for t in tensors},
                  header_bytes=n, data_bytes=data_bytes, digest=digest)


def _check_metadata(meta: Any, path: Path) -> dict[str, str]:
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _fail(path, f"{METADATA_KEY!r} must map strings to strings, got "
                          f"{_short(meta)}")
    return meta


def _check_entry(name: str, entry: Any, path: Path) -> TensorInfo:
    where = f"tensor {name[:100]!r}"
    if len(name) > MAX_NAME:
        raise _fail(path, f"{where}... has a name of {len(name):,} characters; at most "
                          f"{MAX_NAME} are allowed")
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _fail(path, f"{where} must be {{'dtype', 'shape', 'data_offsets'}}, got "
                          f"{_short(entry)}")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if code not in DTYPES:
        why = ("which glassnet cannot read" if code in _KNOWN_UNSUPPORTED
               else "which is not a safetensors dtype")
        raise _fail(path, f"{where} has dtype {_short(code)}, {why}; expected one of "
                          f"{list(DTYPES)}")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise _fail(path, f"{where} has shape {_short(shape)}; expected a list of integers >= 0")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]):
        raise _fail(path, f"{where} has data_offsets {_short(offsets)}; expected [begin, end] "
                          "with 0 <= begin <= end")
    dtype = DTYPES[code]
    needed = math.prod(shape) * dtype.itemsize  # Python integers: no overflow
    if offsets[1] - offsets[0] != needed:
        raise _fail(path, f"{where} of dtype {code} and shape {tuple(shape)} needs {needed} "
                          f"bytes but its data_offsets {offsets} span {offsets[1] - offsets[0]}")
    return TensorInfo(name, dtype, tuple(shape), offsets[0], offsets[1])


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# -- reading the tensors --------------------------------------------------------------------
def read_tensors(path: str | os.PathLike[str], expected: ExpectedOrCallback = None, *,
                 max_bytes: int | None = None, max_header_bytes: int = MAX_HEADER_BYTES,
                 aligned: bool = True) -> tuple[dict[str, NDArray], Header]:
    """Every tensor of the file at ``path``, checked against ``expected`` before any is read.

    Parameters
    ----------
    path : the safetensors file
    expected : ``{name: (dtype, shape)}`` the file must hold exactly (no
        tensor more or less), or a function of the checked :class:`Header`
        returning it (to derive it from the metadata), or None to accept
        any tensors
    max_bytes : refuse a file whose tensors hold more bytes than this
    max_header_bytes : refuse a header longer than this
    aligned : give each array a 64-byte aligned start (see ``_aligned``)

    Returns
    -------
    arrays : dict name -> fresh writable array in native byte order, in file order
    header : the checked header (its ``metadata`` holds the string metadata)

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : any broken rule, a disagreement with ``expected`` or
        ``max_bytes``, or a file that changed while it was read
    """
    path = Path(path)
    with _open(path) as f:
        header = _parse_header(f, path, max_header_bytes)
        wanted = expected(header) if callable(expected) else expected
        if wanted is not None:
            _check_expected(header, wanted)
        if max_bytes is not None and header.data_bytes > max_bytes:
            raise _fail(path, f"the tensors hold {header.data_bytes} bytes, more than the "
                              f"limit of {max_bytes}")
        arrays = {t.name: _read_one(f, t, header, aligned) for t in header.tensors.values()}
        if f.read(1):
            raise _fail(path, "the file grew while it was read")
    return arrays, header


def _check_expected(header: Header, expected: Expected) -> None:
    names, wanted = list(header.tensors), set(expected)
    missing = [n for n in expected if n not in header.tensors]
    extra = [n for n in names if n not in wanted]
    if missing or extra:
        raise _fail(header.path, f"the file's tensors do not match: missing {_listing(missing)}, "
                                 f"unexpected {_listing(extra)}")
    for name, (dtype, shape) in expected.items():
        t = header.tensors[name]
        if t.dtype != np.dtype(dtype).newbyteorder("<") or t.shape != tuple(shape):
            raise _fail(header.path, f"tensor {name!r} has dtype {t.dtype.name} and shape "
                                     f"{t.shape}, but it must have dtype {np.dtype(dtype).name} "
                                     f"and shape {tuple(shape)}")


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n[:100]) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


def _read_one(f: BinaryIO, t: TensorInfo, header: Header, aligned: bool) -> NDArray:
    count = math.prod(t.shape)
    flat = aligned_zeros(count, t.dtype) if aligned else np.zeros(count, t.dtype)
    f.seek(header.data_start + t.begin)
    got = f.readinto(flat.data.cast("B")) if count else 0  # type: ignore[attr-defined]
    if got != t.nbytes:
        raise _fail(header.path, f"tensor {t.name!r}: the file ended after {got} of its "
                                 f"{t.nbytes} bytes (it changed while it was read)")
    if header.digest is not None:
        code = next(c for c, dt in DTYPES.items() if dt == t.dtype)
        if tensor_digest(t.name, code, t.shape, flat) != header.digest[t.name]:
            raise _fail(header.path, f"tensor {t.name!r} does not match its SHA-256 digest; "
                                     "the file is corrupt (damaged on disk or in transfer)")
    if not t.dtype.isnative:  # a big-endian machine: the values are right, the order is not
        flat = flat.astype(t.dtype.newbyteorder("="))
    return flat.reshape(t.shape)
