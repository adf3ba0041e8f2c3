"""Write a file so that readers see either the old file or the whole new one.

The bytes go to a temporary file in the destination's own folder (so the
final ``os.replace`` is a rename within one file system, which is atomic),
are flushed and fsynced, and only then replace the destination. If the
writer raises, the temporary file is deleted and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "commit", "temporary_file_beside"]


@contextlib.contextmanager
def temporary_file_beside(path: str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temp_path)`` for a hidden temporary file next to ``path``.

    The temporary file is always removed on exit unless the caller has already
    renamed it away; use :func:`atomic_write` for the usual write-then-replace.
    """
    final = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, temp
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def commit(f: BinaryIO, temp: Path, final: Path) -> None:
    """Flush, fsync and close ``f``, then move ``temp`` onto ``final`` in one step."""
    f.flush()
    os.fsync(f.fileno())
    f.close()  # Windows cannot rename a file that is still open
    os.replace(temp, final)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary file that appears at ``path`` only once the block ends without error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.bin"
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"hello")
    >>> target.read_bytes()
    b'hello'
    """
    final = Path(path)
    with temporary_file_beside(final) as (f, temp):
        yield f
        commit(f, temp, final)
