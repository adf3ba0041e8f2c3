"""The digits CSV format of *Make Your Own Neural Network*.

One image per line: the label, then its 784 pixel values (28x28, row by row),
all integers, comma separated, no header::

    5,0,0,0,...,0
"""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._atomic import atomic_write
from ..errors import DataFormatError, DTypeError, ShapeError

__all__ = ["read_digits_csv", "write_digits_csv", "N_PIXELS"]

N_PIXELS = 28 * 28


def _parse_line(line: str, where: str) -> NDArray[np.int64]:
    """The 1 + 784 integers of one line, or a DataFormatError pointing at ``where``."""
    fields = line.split(",")
    if len(fields) != 1 + N_PIXELS:
        raise DataFormatError(
            f"{where}: expected {1 + N_PIXELS} comma-separated fields (label and {N_PIXELS} "
            f"pixels), found {len(fields)}"
        )
    try:
        values = np.fromiter(map(int, fields), dtype=np.int64, count=len(fields))
    except (ValueError, OverflowError):
        raise _bad_field(fields, where) from None
    if values[0] < 0:
        raise DataFormatError(f"{where}: the label is {values[0]}, expected an integer >= 0")
    pixels = values[1:]
    bad = np.flatnonzero((pixels < 0) | (pixels > 255))
    if bad.size:
        raise DataFormatError(
            f"{where}: pixel {bad[0]} (field {bad[0] + 2}) is {pixels[bad[0]]}, "
            "expected a value in 0..255"
        )
    return values


def _bad_field(fields: list[str], where: str) -> DataFormatError:
    """The error for the first field that is not an integer (or is far too large)."""
    for col, field in enumerate(fields, start=1):
        try:
            int(field)
        except ValueError:
            shown = field.strip()
            shown = shown if len(shown) <= 40 else f"{shown[:40]}... ({len(shown)} characters)"
            return DataFormatError(f"{where}: field {col} is {shown!r}, expected an integer")
    return DataFormatError(f"{where}: a value is too large, expected pixels 0..255 and a label")


def read_digits_csv(path: str | os.PathLike[str]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Read a digits CSV file; blank lines are skipped.

    Parameters
    ----------
    path : the CSV file

    Returns
    -------
    X : ndarray of shape (n, 784), uint8 pixel values 0-255 as stored
    y : ndarray of shape (n,), int64 labels

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError
        No such file, a file that cannot be read, or a folder; the message
        names the path and says which.
    DataFormatError
        A line with a field count other than 785, a non-integer field, a
        negative label or a pixel outside 0..255 (the message gives the line
        number), or a file without any rows.
    """
    path = Path(path)
    _check_readable(path)
    table: NDArray[np.integer] | None = _parse_fast(path)
    if table is None:  # something is wrong or unusual: the careful reader names the line
        table = _parse_by_line(path)
    return table[:, 1:].astype(np.uint8), table[:, 0].astype(np.int64)


def _check_readable(path: Path) -> None:
    """Open ``path`` once to tell a missing file from an unreadable one or a folder."""
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise _os_error(FileNotFoundError, errno.ENOENT, f"no such file: {path}") from None
    except IsADirectoryError:
        raise _os_error(IsADirectoryError, errno.EISDIR,
                        f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise _os_error(PermissionError, errno.EACCES,
                        f"{path} exists but cannot be read (permission denied); check its "
                        "permissions (e.g. chmod u+r) or run as a user who may read it") from None


def _os_error(kind: type[OSError], code: int, message: str) -> OSError:
    """An OSError of ``kind`` whose text is ``message`` alone, with ``errno`` set."""
    error = kind(message)
    error.errno = code
    return error


# "utf-8-sig" reads plain ASCII unchanged and drops the byte-order mark some
# editors (Excel, Notepad) put at the start of a file saved as UTF-8.
_ENCODING = "utf-8-sig"


def _parse_fast(path: Path) -> NDArray[np.int32] | None:
    """The whole table by NumPy's own C parser, or None if it is not a clean digits file.

    None (never an error) sends the file to :func:`_parse_by_line`, which
    reads it the same way but line by line, 10-20 times slower, and says
    which line is wrong; so both paths accept and refuse the same files.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "input contained no data" and the like
            table = np.loadtxt(path, delimiter=",", dtype=np.int32, comments=None, ndmin=2,
                               encoding=_ENCODING)
    except (ValueError, OverflowError, UnicodeDecodeError, UserWarning):
        return None
    if table.shape[0] == 0 or table.shape[1] != 1 + N_PIXELS:
        return None
    pixels = table[:, 1:]
    if table[:, 0].min() < 0 or pixels.min() < 0 or pixels.max() > 255:
        return None
    return table


def _parse_by_line(path: Path) -> NDArray[np.int64]:
    """The table read line by line; the first bad line raises a DataFormatError naming it."""
    rows = []
    with open(path, encoding=_ENCODING, errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                rows.append(_parse_line(line, f"{path}, line {number}"))
    if not rows:
        raise DataFormatError(f"{path}: expected at least one line of label and pixels, found none")
    return np.stack(rows)


def write_digits_csv(path: str | os.PathLike[str], X: ArrayLike, y: ArrayLike) -> None:
    """Write images and labels as a digits CSV file, atomically.

    Parameters
    ----------
    path : destination; written beside it first, then renamed into place
    X : array-like of shape (n, 784), n >= 1, of integers in 0..255
    y : array-like of shape (n,) of integers >= 0

    Raises
    ------
    DTypeError
        ``X`` or ``y`` does not hold integers (scaled floats must be turned
        back into 0-255 integers first).
    ShapeError
        Wrong shapes, or ``X`` and ``y`` of different lengths.
    ValueError
        A pixel outside 0..255 or a negative label.
    """
    X, y = np.asarray(X), np.asarray(y)
    for name, arr in (("X", X), ("y", y)):
        if arr.dtype.kind not in "iu":
            raise DTypeError(
                f"{name} must hold integers, got dtype {arr.dtype}; for pixels scaled to [0, 1] "
                "write np.rint(X * 255).astype(np.uint8)"
            )
    if X.ndim != 2 or X.shape[1] != N_PIXELS or X.shape[0] == 0:
        raise ShapeError(f"X must have shape (n, {N_PIXELS}) with n >= 1, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ShapeError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    if X.size and (X.min() < 0 or X.max() > 255):
        raise ValueError(f"X must hold pixel values in 0..255, got {X.min()}..{X.max()}")
    if y.size and y.min() < 0:
        raise ValueError(f"y must hold labels >= 0, got {y.min()}")
    table = np.column_stack([y.astype(np.int64), X.astype(np.int64)])
    text = "".join(",".join(map(str, row)) + "\n" for row in table.tolist())
    with atomic_write(path) as f:
        f.write(text.encode("ascii"))
