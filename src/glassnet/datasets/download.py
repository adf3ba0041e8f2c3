"""Download a file from the first mirror that serves it intact.

Each mirror is tried in order. The body is streamed into a temporary file
beside the destination, its length checked against ``Content-Length`` and
its SHA-256 against the expected value; only a verified file is renamed to
its final name, so a failed or interrupted download never leaves a partial
file where a loader would find it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from .._atomic import commit, temporary_file_beside
from .._progress import progress_bar
from ..errors import DataNotFoundError

__all__ = ["fetch", "sha256_of", "DownloadError"]

_CHUNK = 1 << 16
_USER_AGENT = "glassnet (https://pypi.org/project/glassnet/)"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(Exception):
    """Why one mirror failed; caught by :func:`fetch`, which moves on to the next."""


def sha256_of(path: str | os.PathLike[str], *, content: bool = False) -> str:
    """Hex SHA-256 of a file's bytes, or with ``content=True`` of its gzip-decompressed bytes.

    A file that does not start with the gzip magic bytes is hashed as it is
    even when ``content=True``: its content is its bytes.
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    digest = hashlib.sha256()
    opener = gzip.open if content and gzipped else open
    with opener(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _url(mirror: str, filename: str) -> str:
    return mirror.rstrip("/") + "/" + filename


def _stream(url: str, out: BinaryIO, *, timeout: float, progress: bool, desc: str) -> None:
    """Copy the body at ``url`` into ``out``, raising DownloadError on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
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
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
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


def _verify(temp: Path, sha256: str, *, content: bool) -> None:
    try:
        actual = sha256_of(temp, content=content)
    except (OSError, EOFError, zlib.error) as exc:
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
    timeout : seconds to wait for the connection and for each read

    Returns
    -------
    Path of the verified file, ``dest_dir / filename``.

    Raises
    ------
    DataNotFoundError
        No mirror gave a verified file; the message lists each URL and why it failed.
    """
    expected = sha256.lower()
    if not _HEX64.fullmatch(expected):
        raise ValueError(f"sha256 must be 64 hexadecimal characters, got {sha256!r}")
    if isinstance(mirrors, str) or not mirrors:
        raise ValueError(
            f"mirrors must be a non-empty sequence of base URLs, got {mirrors!r}; "
            "e.g. mirrors=['https://example.org/data/']"
        )
    folder = Path(dest_dir)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / filename
    failures = []
    for mirror in mirrors:
        url = _url(mirror, filename)
        with temporary_file_beside(final) as (out, temp):
            try:
                _stream(url, out, timeout=timeout, progress=progress, desc=filename)
                out.flush()
                _verify(temp, expected, content=content_sha256)
                commit(out, temp, final)
                return final
            except DownloadError as exc:
                failures.append(f"  {url}: {exc}")
    raise DataNotFoundError(
        f"could not download {filename}; every mirror failed:\n"
        + "\n".join(failures)
        + "\nCheck your internet connection or proxy, or fetch the file by hand into "
        f"{folder}"
    )
