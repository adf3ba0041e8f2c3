"""Write a file so that readers see either the old file or the whole new one.

The bytes go to a temporary file in the destination's own folder (so the
final ``os.replace`` is a rename within one file system, which is atomic),
are flushed and fsynced, and only then replace the destination; the folder
is fsynced after the rename so the rename itself survives a crash. If
anything fails, even a KeyboardInterrupt, the temporary file is deleted and
the destination is untouched. Every file glassnet writes (models, pictures,
data sets, downloads) goes through here.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "commit", "temporary_file_beside"]


@contextlib.contextmanager
def temporary_file_beside(path: str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temp_path)`` for a hidden temporary file next to ``path``.

    The temporary file gets the mode a new file would get (0o666 less the
    umask) or, when ``path`` exists, that file's mode. It is removed on exit
    unless :func:`commit` has renamed it onto ``path``.
    """
    final = Path(path)
    if not final.parent.is_dir():
        raise FileNotFoundError(f"cannot write {final}: the folder {final.parent} does not "
                                "exist; create it first")
    temp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)  # O_EXCL: never write through someone else's file
    try:
        with os.fdopen(fd, "wb") as f:
            with contextlib.suppress(FileNotFoundError):
                # Replacing a file keeps its permissions, as overwriting it would; set
                # before any data is written, so a private file's contents never leak.
                os.chmod(temp, stat.S_IMODE(os.stat(final).st_mode))
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
    _fsync_folder(final.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
