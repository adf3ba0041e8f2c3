"""Write a file so that readers see either the old file or the whole new one.

The bytes go to a temporary file in the destination's own folder (so the
final ``os.replace`` is a rename within one file system, which is atomic),
are flushed and fsynced, and only then replace the destination; the folder
is fsynced after the rename so the rename itself survives a crash. If
anything fails, even a KeyboardInterrupt, the temporary file is deleted and
the destination is untouched. Every file glassnet writes (models, pictures,
data sets, downloads) goes through here.

Temporary files
    are named ``.gn-<pid>-<8 hex>.tmp`` (at most 24 bytes), whatever the
    destination's name, so every valid file name (up to 255 bytes) can be
    written. A process killed mid-write (SIGKILL, power loss) cannot delete
    its temporary file, so each new write first removes the stale ones in
    its folder: a writer holds an exclusive ``flock`` on its temporary file
    for as long as it writes, and a temporary file nobody holds a lock on
    belongs to a dead writer. Only names of exactly that pattern are ever
    touched. Where ``flock`` does not exist (Windows), a temporary file is
    stale once it is a day old.

Symbolic links
    are followed, as text editors do: writing to ``link`` replaces the file
    it points to and leaves the link in place (the temporary file is made
    beside the target, so the rename stays within one folder). A dangling
    link is written through to its target, whose folder must exist.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["atomic_write", "commit", "temporary_file_beside", "remove_stale_temporaries",
           "TEMP_PATTERN"]

#: The names of glassnet's temporary files; nothing else is ever removed as stale.
TEMP_PATTERN = re.compile(r"\.gn-[0-9]+-[0-9a-f]{8}\.tmp\Z")
_STALE_AFTER = 24 * 3600.0  # seconds; used only where locks are unavailable


def _lock(fd: int, *, block: bool) -> bool:
    """Take an exclusive lock on ``fd``; False if another process holds one and block is False."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that crashed writes left in ``folder``; return their paths.

    A file counts as stale when its name matches :data:`TEMP_PATTERN` and no
    process holds its lock (or, without locks, when it is a day old). Errors
    (a file that vanishes, a folder that cannot be listed) are ignored: this
    is housekeeping and must never make a save fail.
    """
    removed = []
    with contextlib.suppress(OSError):
        with os.scandir(folder) as entries:
            candidates = [e.path for e in entries
                          if e.name.startswith(".gn-") and TEMP_PATTERN.match(e.name)]
        for candidate in candidates:
            with contextlib.suppress(OSError):
                if _remove_if_stale(candidate):
                    removed.append(Path(candidate))
    return removed


def _remove_if_stale(path: str) -> bool:
    if fcntl is None:
        if time.time() - os.lstat(path).st_mtime < _STALE_AFTER:
            return False
        os.unlink(path)
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not _lock(fd, block=False):
            return False  # a live writer holds it
        if not os.path.samestat(os.fstat(fd), os.lstat(path)):
            return False  # replaced meanwhile: not the file we locked
        os.unlink(path)
        return True
    finally:
        os.close(fd)


def _resolve(path: str | os.PathLike[str]) -> Path:
    """``path``, or what it points to when it is a symbolic link (followed to the end)."""
    final = Path(path)
    return Path(os.path.realpath(final)) if final.is_symlink() else final


@contextlib.contextmanager
def temporary_file_beside(path: str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temp_path)`` for a hidden, locked temporary file next to ``path``.

    The temporary file gets the mode a new file would get (0o666 less the
    umask) or, when ``path`` exists, that file's mode. It is removed on exit
    unless :func:`commit` has renamed it onto ``path``. Stale temporary files
    of earlier crashed writes in the same folder are removed first.
    """
    final = _resolve(path)
    if not final.parent.is_dir():
        raise FileNotFoundError(f"cannot write {final}: the folder {final.parent} does not "
                                "exist; create it first")
    remove_stale_temporaries(final.parent)
    fd, temp = _create_locked(final.parent)
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


def _create_locked(folder: Path) -> tuple[int, Path]:
    """A new temporary file in ``folder``, open and locked by this process."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = folder / f".gn-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        fd = os.open(temp, flags, 0o666)  # O_EXCL: never write through someone else's file
        _lock(fd, block=True)
        # Another process's cleanup may have locked and deleted the file between its
        # creation and our lock; then it is gone from the folder and we start again.
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.lstat(temp)):
                return fd, temp
        os.close(fd)


def commit(f: BinaryIO, temp: Path, final: Path) -> None:
    """Flush and fsync ``f``, move ``temp`` onto ``final`` in one step, then close ``f``."""
    final = _resolve(final)
    f.flush()
    os.fsync(f.fileno())
    if fcntl is None:
        f.close()  # Windows cannot rename a file that is still open (and has no locks)
    # Elsewhere the lock is kept until the rename, so no cleanup can take the file first.
    os.replace(temp, final)
    f.close()
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
    final = _resolve(path)
    with temporary_file_beside(final) as (f, temp):
        yield f
        commit(f, temp, final)
