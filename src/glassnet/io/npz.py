"""Read ``.npz`` archives (version-1 glassnet model files) without trusting a byte of them.

A version-1 file is what ``np.savez`` writes: a zip archive of uncompressed
``.npy`` members, one per array, plus ``__meta__.npy`` (UTF-8 JSON as uint8).
``np.load`` is too forgiving for a file from a stranger: a zip may hold two
members of one name (the last wins), a member ``0.W`` beside ``0.W.npy``
(checked under one name, read under the other), a second archive glued to
the first (the second is read), bytes after a member's array (which its CRC
then never covers), deflated members that inflate to gigabytes, and flags
that make ``zipfile`` raise ``RuntimeError``.

This reader accepts exactly the layout ``np.savez`` produces and nothing
else:

* the archive starts with its first member and ends with its end record
  (no bytes before, between or after; no archive comment); the central
  directory agrees with every local header (name, sizes, CRC, flags);
* member names are distinct and are exactly ``<name>.npy`` for the expected
  names and the metadata;
* every member is stored (not compressed, not encrypted); its ``.npy``
  header (version, dtype, shape, C order) is checked against what is
  expected *before* any data is read, its size is exactly that header plus
  the array's bytes, and its CRC-32 is checked;
* the metadata member is capped in size and its JSON in depth.

Memory used is the expected arrays (each checked against the bytes the file
really has for it) plus the metadata cap. Nothing here knows of networks:
the caller says which arrays it expects, directly or from the metadata.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._aligned import aligned_zeros
from ..errors import ModelFormatError
from .strict_json import loads_strict

__all__ = ["MAX_META_BYTES", "read_legacy_meta", "read_legacy_npz"]

MAX_META_BYTES = 1 << 20  # a version-1 metadata document is a few kilobytes
MAX_META_DEPTH = 64
META_NAME = "__meta__"
_NPY_HEADER_CAP = 10_000  # numpy's own limit for .npy headers it will parse
_NPY_MAGIC = b"\x93NUMPY"
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header, 30 bytes
_END = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record, 56 bytes
_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator, 20 bytes
_UTF8_FLAG = 0x800  # the only flag np.savez may set: UTF-8 member names
_ZIP64_TAG = 0x0001
_MASK32 = 0xFFFFFFFF

Expected = Mapping[str, tuple[DTypeLike, tuple[int, ...]]]


@dataclass(frozen=True)
class _Member:
    name: str  # without ".npy"
    start: int  # offset of the member's bytes (its .npy file) in the archive
    size: int
    crc: int


def _fail(path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


# Everything zipfile may raise while it reads a damaged central directory.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, OSError,
               EOFError, KeyError, IndexError, OverflowError, NotImplementedError)


def _members(f: BinaryIO, path: Path) -> dict[str, _Member]:
    """The archive's members by name, after every structural rule is checked."""
    size = os.fstat(f.fileno()).st_size
    if size < _END.size:
        raise _fail(path, f"not a glassnet model file ({size} bytes, too short for an archive)")
    try:
        infos = zipfile.ZipFile(f).infolist()  # reads the central directory only
    except _ZIP_ERRORS as exc:
        raise _fail(path, f"not a readable .npz archive, truncated or corrupt "
                          f"({type(exc).__name__}: {exc})") from None
    names = [i.orig_filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise _fail(path, f"the archive holds several members named {twice[:5]}; a glassnet "
                          "file holds each array once")
    position = 0
    members: dict[str, _Member] = {}
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != position:
            where = "before the first member" if position == 0 else f"before {info.filename!r}"
            raise _fail(path, f"{abs(info.header_offset - position)} unexpected bytes {where} "
                              "(two archives glued together, or a damaged file)")
        start = _check_local_header(f, info, path)
        position = start + info.compress_size
        if not info.orig_filename.endswith(".npy") or "\0" in info.orig_filename:
            raise _fail(path, f"member {info.orig_filename[:100]!r} is not a .npy array; a "
                              "glassnet file holds only <name>.npy members")
        name = info.orig_filename[:-4]
        members[name] = _Member(name, start, info.compress_size, info.CRC)
    _check_end(f, size, position, len(infos), path)
    return members


def _check_local_header(f: BinaryIO, info: zipfile.ZipInfo, path: Path) -> int:
    """Check ``info``'s local header against its directory entry; return where its data starts."""
    what = f"member {info.orig_filename[:100]!r}"
    f.seek(info.header_offset)
    raw = f.read(_LOCAL.size)
    if len(raw) != _LOCAL.size:
        raise _fail(path, f"{what}: truncated local header")
    (signature, _, flags, method, _, _, crc, csize, usize, name_len, extra_len) = \
        _LOCAL.unpack(raw)
    if signature != b"PK\x03\x04":
        raise _fail(path, f"{what}: no local header where the directory says it is")
    for where, bits, how in (("local", flags, method), ("central", info.flag_bits,
                                                         info.compress_type)):
        if bits & 0x1:
            raise _fail(path, f"{what} is flagged as encrypted ({where} header); glassnet "
                              "files are never encrypted")
        if bits & ~_UTF8_FLAG:
            raise _fail(path, f"{what} has unexpected flags 0x{bits:04x} ({where} header)")
        if how != zipfile.ZIP_STORED:
            raise _fail(path, f"{what} is compressed (method {how}, {where} header); glassnet "
                              "writes stored members only")
    name = f.read(name_len)
    extra = f.read(extra_len)
    if len(name) != name_len or len(extra) != extra_len:
        raise _fail(path, f"{what}: truncated local header")
    encoding = "utf-8" if flags & _UTF8_FLAG else "cp437"
    if name.decode(encoding, errors="replace") != info.orig_filename:
        raise _fail(path, f"{what}: the local header names it {name[:100]!r}; the directory "
                          "and the data disagree")
    if (csize, usize) == (_MASK32, _MASK32):
        csize, usize = _zip64_sizes(extra, what, path)
    if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
        raise _fail(path, f"{what}: the local header (CRC {crc:08x}, {csize} bytes) and the "
                          f"directory (CRC {info.CRC:08x}, {info.compress_size} bytes) disagree")
    if info.file_size != info.compress_size:
        raise _fail(path, f"{what}: stored size {info.compress_size} but file size "
                          f"{info.file_size}")
    return info.header_offset + _LOCAL.size + name_len + extra_len


def _zip64_sizes(extra: bytes, what: str, path: Path) -> tuple[int, int]:
    """(compressed, uncompressed) sizes from a local header's zip64 extra field."""
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, i)
        if tag == _ZIP64_TAG and length >= 16 and i + 4 + length <= len(extra):
            usize, csize = struct.unpack_from("<2Q", extra, i + 4)
            return csize, usize
        i += 4 + length
    raise _fail(path, f"{what}: sizes marked as zip64 but no zip64 field holds them")


def _check_end(f: BinaryIO, size: int, cd_start: int, count: int, path: Path) -> None:
    """The central directory starts at ``cd_start`` and the end record closes the file."""
    f.seek(size - _END.size)
    end = _END.unpack(f.read(_END.size))
    signature, disk, cd_disk, n_here, n_total, cd_size, cd_offset, comment_len = end
    if signature != b"PK\x05\x06" or comment_len != 0:
        raise _fail(path, "bytes after the archive's end record (or an archive comment)")
    end_of_cd = size - _END.size
    if _MASK32 in (cd_offset, cd_size) or 0xFFFF in (n_here, n_total):
        locator_at = size - _END.size - _LOCATOR.size
        if locator_at < _END64.size:
            raise _fail(path, "a damaged zip64 end record")
        f.seek(locator_at)
        sig, _, record_at, _ = _LOCATOR.unpack(f.read(_LOCATOR.size))
        if sig != b"PK\x06\x07" or record_at + _END64.size != locator_at:
            raise _fail(path, "a damaged zip64 end record")
        f.seek(record_at)
        record = _END64.unpack(f.read(_END64.size))
        if record[0] != b"PK\x06\x06":
            raise _fail(path, "a damaged zip64 end record")
        n_here, n_total, cd_size, cd_offset = record[6], record[7], record[8], record[9]
        end_of_cd = record_at
    if (disk, cd_disk) != (0, 0) or n_here != n_total or n_total != count:
        raise _fail(path, "the end record disagrees with the central directory")
    if cd_offset != cd_start or cd_offset + cd_size != end_of_cd:
        raise _fail(path, f"the central directory should span bytes {cd_start} to {end_of_cd}, "
                          f"the end record says {cd_offset} to {cd_offset + cd_size} (bytes "
                          "between the members and the directory, or a glued archive)")


# -- .npy members ---------------------------------------------------------------------------
def _npy_header(f: BinaryIO, member: _Member, path: Path) -> tuple[bytes, np.dtype,
                                                                   tuple[int, ...]]:
    """The member's raw .npy header bytes, dtype and shape, checked to be C-ordered."""
    what = f"array {member.name[:100]!r}"
    f.seek(member.start)
    prefix = f.read(min(member.size, 12))
    if len(prefix) < 10 or not prefix.startswith(_NPY_MAGIC):
        raise _fail(path, f"{what} is not a .npy array (no NUMPY magic)")
    major = prefix[6]
    if (major, prefix[7]) not in {(1, 0), (2, 0), (3, 0)}:
        raise _fail(path, f"{what} has unsupported .npy version {major}.{prefix[7]}")
    length_size = 2 if major == 1 else 4
    (length,) = struct.unpack("<H" if major == 1 else "<I", prefix[8:8 + length_size])
    total = 8 + length_size + length
    if length > _NPY_HEADER_CAP or total > member.size:
        raise _fail(path, f"{what} has a .npy header of {length} bytes, too long for its "
                          f"member of {member.size} bytes")
    f.seek(member.start)
    raw = f.read(total)
    reader = {1: np.lib.format.read_array_header_1_0, 2: np.lib.format.read_array_header_2_0}
    try:
        stream = io.BytesIO(raw[8:])
        if major == 3:  # version 3 is version 2 with a UTF-8 header; numpy parses both the same
            stream = io.BytesIO(raw[8:12] + raw[12:].decode("utf-8").encode("latin1"))
        shape, fortran, dtype = reader[min(major, 2)](stream)
    except Exception as exc:  # numpy parses the header text with Python's tokenizer: any error
        raise _fail(path, f"{what} has an unreadable .npy header ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None
    if fortran:
        raise _fail(path, f"{what} is stored in Fortran order; glassnet writes C order")
    return raw, dtype, shape


def _read_member(f: BinaryIO, member: _Member, dtype: DTypeLike, shape: tuple[int, ...],
                 path: Path) -> NDArray:
    """The member's array, after its header matches ``dtype`` and ``shape`` and its size fits."""
    what = f"array {member.name[:100]!r}"
    raw, found_dtype, found_shape = _npy_header(f, member, path)
    want = np.dtype(dtype)
    if found_dtype != want or found_shape != tuple(shape):
        raise _fail(path, f"{what} has dtype {found_dtype} and shape {found_shape}, but it must "
                          f"have dtype {want} and shape {tuple(shape)}")
    count = math.prod(found_shape)
    if len(raw) + count * want.itemsize != member.size:
        extra = member.size - len(raw) - count * want.itemsize
        what_is_wrong = f"{extra} bytes after its data" if extra > 0 else "truncated"
        raise _fail(path, f"{what}: {what_is_wrong} (member of {member.size} bytes for a "
                          f"{len(raw)}-byte header and {count} x {want.itemsize}-byte items)")
    flat = aligned_zeros(count, want)
    got = f.readinto(flat.data.cast("B")) if count else 0  # type: ignore[attr-defined]
    if got != count * want.itemsize:
        raise _fail(path, f"{what}: the file ended inside its data")
    crc = zlib.crc32(flat.data.cast("B"), zlib.crc32(raw)) if count else zlib.crc32(raw)
    if crc != member.crc:
        raise _fail(path, f"{what}: CRC-32 mismatch (stored {member.crc:08x}, computed "
                          f"{crc:08x}); the file is corrupt")
    if not want.isnative:
        flat = flat.astype(want.newbyteorder("="))
    return flat.reshape(found_shape)


def _read_meta(f: BinaryIO, members: Mapping[str, _Member], path: Path, meta_name: str,
               max_meta_bytes: int, max_depth: int) -> dict[str, Any]:
    member = members.get(meta_name)
    if member is None:
        raise _fail(path, f"not a glassnet model file (no {meta_name!r} entry)")
    if member.size > max_meta_bytes + _NPY_HEADER_CAP:
        raise _fail(path, f"the {meta_name!r} entry holds {member.size} bytes, more than the "
                          f"limit of {max_meta_bytes}")
    raw, dtype, shape = _npy_header(f, member, path)
    if dtype != np.dtype(np.uint8) or len(shape) != 1 or shape[0] > max_meta_bytes:
        raise _fail(path, f"the {meta_name!r} entry must be at most {max_meta_bytes} uint8 "
                          f"bytes, got dtype {dtype} and shape {shape}")
    text = _read_member(f, member, np.uint8, shape, path).tobytes()
    try:
        meta = loads_strict(text, max_depth=max_depth)
    except ValueError as exc:
        raise _fail(path, f"the {meta_name!r} entry is not valid metadata: {exc}") from None
    if not isinstance(meta, dict):
        raise _fail(path, f"not a glassnet model file: the {meta_name!r} entry must be a JSON "
                          f"object, got {type(meta).__name__}")
    return meta


# -- public ---------------------------------------------------------------------------------
def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a model file") from None


def read_legacy_meta(path: str | os.PathLike[str], *, meta_name: str = META_NAME,
                     max_meta_bytes: int = MAX_META_BYTES,
                     max_depth: int = MAX_META_DEPTH) -> dict[str, Any]:
    """The metadata of a version-1 file, after the archive's structure is checked.

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : any broken rule (see the module docstring)
    """
    path = Path(path)
    with _open(path) as f:
        members = _members(f, path)
        return _read_meta(f, members, path, meta_name, max_meta_bytes, max_depth)


def read_legacy_npz(path: str | os.PathLike[str],
                    expected: Expected | Callable[[dict[str, Any]], Expected], *,
                    meta_name: str = META_NAME, max_meta_bytes: int = MAX_META_BYTES,
                    max_depth: int = MAX_META_DEPTH) -> tuple[dict[str, Any], dict[str, NDArray]]:
    """The metadata and arrays of a version-1 file, each array checked before it is read.

    Parameters
    ----------
    path : the ``.npz`` file
    expected : ``{name: (dtype, shape)}`` of every array besides the metadata,
        or a function of the metadata (a dict) that returns it and raises
        ``ModelFormatError`` for metadata it cannot use
    meta_name, max_meta_bytes, max_depth : the metadata member's name (without
        ``.npy``), its size cap in bytes and its JSON's nesting cap

    Returns
    -------
    meta : the metadata JSON object
    arrays : dict name -> fresh, 64-byte aligned array, in ``expected``'s order

    Raises
    ------
    FileNotFoundError : no file at ``path``
    ModelFormatError : any broken rule, or arrays other than those expected
    """
    path = Path(path)
    with _open(path) as f:
        members = _members(f, path)
        meta = _read_meta(f, members, path, meta_name, max_meta_bytes, max_depth)
        wanted = expected(meta) if callable(expected) else expected
        found = [n for n in members if n != meta_name]
        missing = [n for n in wanted if n not in members or n == meta_name]
        extra = [n for n in found if n not in wanted]
        if missing or extra:
            raise _fail(path, f"the file's arrays do not match: missing {_listing(missing)}, "
                              f"unexpected {_listing(extra)}")
        # Every header first, so a wrong array is refused before any large one is read.
        for name, (dtype, shape) in wanted.items():
            _, found_dtype, found_shape = _npy_header(f, members[name], path)
            if found_dtype != np.dtype(dtype) or found_shape != tuple(shape):
                raise _fail(path, f"array {name!r} has dtype {found_dtype} and shape "
                                  f"{found_shape}, but it must have dtype {np.dtype(dtype)} "
                                  f"and shape {tuple(shape)}")
        arrays = {name: _read_member(f, members[name], dtype, shape, path)
                  for name, (dtype, shape) in wanted.items()}
    return meta, arrays


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n[:100]) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"
