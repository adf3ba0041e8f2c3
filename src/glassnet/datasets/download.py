"""Download a file from the first mirror that serves it intact.

Each mirror is tried in order. The body is streamed into a temporary file
beside the destination, its length checked against ``Content-Length`` and
its SHA-256 against the expected value; only a verified file is renamed to
its final name, so a failed or interrupted download never leaves a partial
file where a loader would find it. A download killed outright (SIGKILL,
power loss) leaves its temporary file behind; the next write into that
folder removes it (see ``glassnet._atomic``).

A mirror cannot stall a download: besides the per-read ``timeout``, a
mirror whose body arrives slower than ``min_rate`` bytes per second (on
average, once ``timeout`` seconds have passed) or that has not finished by
``deadline`` seconds is abandoned and the next one tried. A full disk or a
read-only destination is not a mirror's fault: it stops the download at once
with an ``OSError`` that says so.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from .._atomic import commit, temporary_file_beside
from .._progress import progress_bar
from .._validation import check_non_negative, check_positive
from ..errors import DataNotFoundError

__all__ = ["fetch", "sha256_of", "DownloadError"]

_CHUNK = 1 << 16
_USER_AGENT = "glassnet (https://pypi.org/project/glassnet/)"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(Exception):
    """Why one mirror failed; caught by :func:`fetch`, which moves on to the next."""


class _StorageError(Exception):
    """The destination cannot take the file (disk full, read-only): no mirror can help."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def storage_error(exc: OSError, final: Path) -> OSError:
    """An OSError for a destination that cannot be written, saying why and what to do."""
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exhausted",
           errno.EROFS: "the file system is read-only",
           errno.EACCES: "permission denied", errno.EPERM: "permission denied"}
    reason = why.get(exc.errno or 0, exc.strerror or str(exc))
    return OSError(exc.errno, f"cannot write {final}: {reason}; free some space or choose a "
                              "writable folder (e.g. cache_dir= or $XDG_CACHE_HOME)")


def sha256_of(path: str | os.PathLike[str], *, content: bool = False,
              max_content_bytes: int | None = None) -> str:
    """Hex SHA-256 of a file's bytes, or with ``content=True`` of its gzip-decompressed bytes.

    A file that does not start with the gzip magic bytes is hashed as it is
    even when ``content=True``: its content is its bytes. With
    ``max_content_bytes``, decompression stops there and ``ValueError`` is
    raised (a gzip bomb is not read to its end).
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    digest = hashlib.sha256()
    opener = gzip.open if content and gzipped else open
    total = 0
    with opener(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            total += len(chunk)
            if max_content_bytes is not None and total > max_content_bytes:
                raise ValueError(f"{path} decompresses to more than {max_content_bytes} bytes")
    return digest.hexdigest()


def content_limit(path: Path) -> int:
    """The most a genuine archive of this size may decompress to (data sets compress < 64:1)."""
    return 64 * path.stat().st_size + (1 << 20)


def _url(mirror: str, filename: str) -> str:
    return mirror.rstrip("/") + "/" + filename


def _stream(url: str, out: BinaryIO, *, timeout: float, min_rate: float, deadline: float | None,
            progress: bool, desc: str) -> None:
    """Copy the body at ``url`` into ``out``, raising DownloadError on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            received = 0
            with progress_bar(
                total=expected,
                desc=desc,
                unit="B",
                enabled=progress,
                unit_scale=True,
                unit_divisor=1024,
            ) as bar:
                # read1 returns as soon as any bytes arrive, so a trickle is measured
                while chunk := response.read1(_CHUNK):
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise _StorageError(exc) from exc
                    received += len(chunk)
                    bar.update(len(chunk))
                    _check_pace(received, time.monotonic() - start, timeout=timeout,
                                min_rate=min_rate, deadline=deadline)
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the open response
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DownloadError(f"connection failed: {exc.reason}") from exc
    except TimeoutError as exc:
        raise DownloadError(f"timed out after {timeout} s") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # connection reset, broken chunked encoding, malformed URL, disk full, ...
        raise DownloadError(f"{type(exc).__name__}: {exc}") from exc
    if expected is not None and received != expected:
        raise DownloadError(f"truncated: received {received} of {expected} bytes")


def _check_pace(received: int, elapsed: float, *, timeout: float, min_rate: float,
                deadline: float | None) -> None:
    """Give up on a mirror that is past the deadline or, after ``timeout`` s, too slow."""
    if deadline is not None and elapsed > deadline:
        raise DownloadError(f"gave up after the deadline of {deadline} s "
                            f"({received} bytes received)")
    if elapsed > timeout and received < min_rate * elapsed:
        raise DownloadError(f"too slow: {received / elapsed:.0f} bytes/s over {elapsed:.1f} s, "
                            f"below min_rate={min_rate:g} bytes/s")


def _verify(temp: Path, sha256: str, *, content: bool) -> None:
    try:
        actual = sha256_of(temp, content=content, max_content_bytes=content_limit(temp))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DownloadError(f"not a valid gzip file ({exc})") from exc
    if actual != sha256:
        what = "decompressed content" if content else "file"
        raise DownloadError(f"SHA-256 mismatch of the {what}: expected {sha256}, got {actual}")


def fetch(
    filename: str,
    *,
    mirrors: Sequence[str],
    sha256: str,
    dest_dir: str | os.PathLike[str],
    content_sha256: bool = False,
    progress: bool = True,
    timeout: float = 30,
    min_rate: float = 1024,
    deadline: float | None = None,
) -> Path:
    """Download ``filename`` from the first mirror that serves it with the right checksum.

    Parameters
    ----------
    filename : name of the file on the mirrors and in ``dest_dir``
    mirrors : base URLs tried in order; the URL is ``mirror + "/" + filename``
    sha256 : expected hex SHA-256 (64 characters)
    dest_dir : folder the file is placed in (created if missing)
    content_sha256 : compare ``sha256`` with the hash of the gzip-decompressed
        content instead of the file's bytes (for archives that are recompressed
        by some distributors)
    progress : show a tqdm progress bar when tqdm is installed
    timeout : seconds to wait for the connection and for each read; also the
        grace period after which ``min_rate`` applies
    min_rate : bytes per second a mirror must average once ``timeout`` seconds
        have passed, or it is abandoned for the next one (0 to never give up)
    deadline : seconds after which a mirror still sending is abandoned (None: no limit)

    Returns
    -------
    Path of the verified file, ``dest_dir / filename``.

    Raises
    ------
    ValueError
        A malformed ``sha256`` or ``mirrors``, ``timeout`` or ``deadline`` not a
        positive number, or a negative ``min_rate``.
    DataNotFoundError
        No mirror gave a verified file; the message lists each URL and why it failed.
    OSError
        ``dest_dir`` cannot be written (disk full, read-only, no permission);
        the message names the file and the reason. No further mirror is tried.
    """
    check_positive(timeout, "timeout")
    check_non_negative(min_rate, "min_rate")
    if deadline is not None:
        check_positive(deadline, "deadline")
    expected = sha256.lower()
    if not _HEX64.fullmatch(expected):
        raise ValueError(f"sha256 must be 64 hexadecimal characters, got {sha256!r}")
    if isinstance(mirrors, (str, bytes)) or not mirrors \
            or not all(isinstance(m, str) and m.strip() for m in mirrors):
        raise ValueError(
            f"mirrors must be a non-empty list of base URLs, got {mirrors!r}; "
            "e.g. mirrors=['https://example.org/data/']"
        )
    folder = Path(dest_dir)
    final = folder / filename
    failures = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for mirror in mirrors:
            url = _url(mirror, filename)
            with temporary_file_beside(final) as (out, temp):
                try:
                    _stream(url, out, timeout=timeout, min_rate=min_rate, deadline=deadline,
                            progress=progress, desc=filename)
                    out.flush()
                    _verify(temp, expected, content=content_sha256)
                    commit(out, temp, final)
                    return final
                except DownloadError as exc:
                    failures.append(f"  {url}: {exc}")
    except _StorageError as exc:
        raise storage_error(exc.error, final) from exc.error
    except OSError as exc:  # the folder or the temporary file cannot be made, or the rename
        if isinstance(exc, DataNotFoundError):
            raise
        raise storage_error(exc, final) from exc
    raise DataNotFoundError(
        f"could not download {filename}; every mirror failed:\n"
        + "\n".join(failures)
        + "\nCheck your internet connection or proxy, or fetch the file by hand into "
        f"{folder}"
    )
