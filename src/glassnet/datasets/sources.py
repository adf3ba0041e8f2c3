"""Where a named data set's files are looked for, in order, and fetched if absent.

For a data set called ``name`` (e.g. ``"fashion-mnist"``) the places are:

1. the folder given as ``path=``: when it is given, it is the only place
   looked at (a wrong ``path=`` is an error, never passed over for the
   places below);
2. ``$GLASSNET_DATA/<name>``, then ``$GLASSNET_DATA`` itself;
3. system folders, ``/usr/share/datasets/<name>`` by default (where Debian's
   ``dataset-fashion-mnist`` package installs its files);
4. the user cache ``<cache_dir>/<name>``, with ``cache_dir`` defaulting to
   ``$XDG_CACHE_HOME/glassnet`` or ``~/.cache/glassnet``;
5. a download into that cache folder, unless ``download=False``.

The first folder holding *all* the requested files wins, so files of one
data set are never mixed from two places. A file counts as present as
``<stem>`` or ``<stem>.gz``.

Files found in the system folders or the cache are checked against their
SHA-256 the first time they are used, and the check is recorded in
``<cache_dir>/<name>.verified.json`` (by path, size and modification time),
so later loads only compare a ``stat``. A corrupt file in the cache is
deleted and downloaded again (or refused, when downloads are off); a corrupt
file in a system folder is refused with a ``DataFormatError`` naming it.
Folders you name yourself (``path=``, ``$GLASSNET_DATA``) are trusted as
they are. An uncompressed file is checked only when the checksums are of the
decompressed content (``content_sha256=True``); else only its ``.gz`` can be.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._atomic import atomic_write
from .._validation import check_positive
from ..errors import DataFormatError, DataNotFoundError
from .download import content_limit, fetch, sha256_of

__all__ = [
    "ENV_VAR",
    "SYSTEM_DIRS",
    "default_cache_dir",
    "cache_folder",
    "candidate_folders",
    "find_file",
    "locate",
]

ENV_VAR = "GLASSNET_DATA"
SYSTEM_DIRS: tuple[str, ...] = ("/usr/share/datasets",)

PathLike = str | os.PathLike[str]


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/glassnet``, or ``~/.cache/glassnet`` when that is unset or empty."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "glassnet"


def candidate_folders(
    name: str,
    *,
    path: PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    system_dirs: Sequence[PathLike] | None = None,
    cache_dir: PathLike | None = None,
) -> list[tuple[str, Path | None]]:
    """The places searched, in order, as ``(label, folder)``; folder None when not configured.

    The last entry is always the cache folder, which is also where downloads go.
    """
    env = os.environ if environ is None else environ
    places: list[tuple[str, Path | None]] = []
    places.append(("path= argument", None if path is None else Path(path).expanduser()))
    root = env.get(ENV_VAR)
    if root:
        places.append((f"${ENV_VAR}/{name}", Path(root).expanduser() / name))
        places.append((f"${ENV_VAR}", Path(root).expanduser()))
    else:
        places.append((f"${ENV_VAR}", None))
    for folder in SYSTEM_DIRS if system_dirs is None else system_dirs:
        places.append(("system folder", Path(folder) / name))
    places.append(("user cache", cache_folder(name, cache_dir=cache_dir, environ=env)))
    return places


def cache_folder(
    name: str, *, cache_dir: PathLike | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """``<cache_dir>/<name>``, with ``cache_dir`` defaulting to :func:`default_cache_dir`."""
    base = default_cache_dir(environ) if cache_dir is None else Path(cache_dir).expanduser()
    return base / name


def find_file(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever is a file (uncompressed first)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


_RACY_NS = 3 * 10**9  # a file modified this recently is not recorded as verified


class _Stamps:
    """Which files were verified, by path, size and mtime: ``<cache_dir>/<name>.verified.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}  # none yet, or unreadable: verify again

    @staticmethod
    def _key(file: Path) -> tuple[str, list]:
        info = file.stat()
        return str(file.resolve()), [info.st_size, info.st_mtime_ns]

    def verified(self, file: Path, sha256: str) -> bool:
        key, signature = self._key(file)
        return self.entries.get(key) == [*signature, sha256]

    def record(self, file: Path, sha256: str) -> None:
        key, signature = self._key(file)
        if time.time_ns() - signature[1] < _RACY_NS:
            return  # it could still change within this mtime's clock tick: check it next time
        self.entries[key] = [*signature, sha256]
        self.changed = True

    def forget(self, file: Path) -> None:
        self.changed |= self.entries.pop(str(file.resolve()), None) is not None

    def save(self) -> None:
        """Write the record; a cache that cannot be written only means checking again later."""
        if self.changed:
            with contextlib.suppress(OSError):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_write(self.path) as f:
                    f.write(json.dumps(self.entries, indent=0, sort_keys=True).encode())


def _mismatch(file: Path, expected: str | None, content: bool, stamps: _Stamps) -> str | None:
    """Why ``file`` is not the expected file (its actual hash, or a reason), or None if it is."""
    if expected is None or (not content and not file.name.endswith(".gz")):
        return None  # nothing to check it against
    expected = expected.lower()
    if stamps.verified(file, expected):
        return None
    try:
        actual = sha256_of(file, content=content, max_content_bytes=content_limit(file))
    except (EOFError, zlib.error, ValueError, OSError) as exc:
        return f"it cannot be read as a gzip file ({exc})"
    if actual != expected:
        return f"its SHA-256 is {actual}, expected {expected}"
    stamps.record(file, expected)
    return None


def _look(folder: Path | None, stems: Sequence[str]) -> tuple[dict[str, Path], str]:
    """The files of ``stems`` found in ``folder``, and a note on what is missing."""
    if folder is None:
        return {}, "not set"
    if not folder.is_dir():
        return {}, "a file, not a folder" if folder.is_file() else "no such folder"
    found = {stem: p for stem in stems if (p := find_file(folder, stem)) is not None}
    missing = [s for s in stems if s not in found]
    return found, ("missing " + ", ".join(missing)) if missing else "found"


def locate(
    name: str,
    stems: Sequence[str],
    *,
    sha256: Mapping[str, str],
    mirrors: Sequence[str] = (),
    path: PathLike | None = None,
    download: bool = True,
    content_sha256: bool = False,
    cache_dir: PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    system_dirs: Sequence[PathLike] | None = None,
    progress: bool = True,
    timeout: float = 30,
) -> dict[str, Path]:
    """Find (or download) every file of ``stems`` for the data set ``name``.

    Parameters
    ----------
    name : data set name, also the subfolder name (``"mnist"``)
    stems : file names without ``.gz`` (``"t10k-labels-idx1-ubyte"``)
    sha256 : expected SHA-256 per stem, checked on downloads and, once, on files found in
        the system folders or the cache (a stem without one is not checked)
    mirrors : base URLs a download tries in order; ``stems[i] + ".gz"`` is fetched
    path, cache_dir, environ, system_dirs : override the places searched (see the
        module docstring); ``environ`` defaults to ``os.environ``
    download : allow the last step, a download into the cache folder
    content_sha256, progress, timeout : passed to :func:`~glassnet.datasets.download.fetch`

    Returns
    -------
    dict mapping each stem to the path of its file

    Raises
    ------
    DataNotFoundError
        Nothing worked; the message lists every place with what was missing
        there, and the ways to provide the files. With ``path=``, that folder
        does not hold every file (or is not a folder).
    ValueError
        ``mirrors`` is a string or holds something other than URL strings, or
        ``timeout`` is not a positive number.
    """
    _check_mirrors(mirrors)
    check_positive(timeout, "timeout")
    places = candidate_folders(
        name, path=path, environ=environ, system_dirs=system_dirs, cache_dir=cache_dir
    )
    cache = cache_folder(name, cache_dir=cache_dir, environ=environ)
    if path is not None:
        return _in_given_folder(name, stems, Path(path).expanduser(), cache, download)
    stamps = _Stamps(cache.parent / f"{name}.verified.json")
    try:
        return _locate(name, stems, places, cache, stamps, sha256=sha256, mirrors=mirrors,
                       download=download, content_sha256=content_sha256, progress=progress,
                       timeout=timeout)
    finally:
        stamps.save()


def _locate(name: str, stems: Sequence[str], places: list[tuple[str, Path | None]], cache: Path,
            stamps: _Stamps, *, sha256: Mapping[str, str], mirrors: Sequence[str],
            download: bool, content_sha256: bool, progress: bool, timeout: float
            ) -> dict[str, Path]:
    notes: list[str] = []
    for label, folder in places:
        found, note = _look(folder, stems)
        if len(found) == len(stems):
            if label == "system folder":
                _refuse_corrupt(found, sha256, content_sha256, stamps)
            if label != "user cache" or not _drop_corrupt(found, sha256, content_sha256,
                                                          stamps, notes):
                return found
            note = "corrupt files removed, to be downloaded again"
        notes.append(label + (f" ({folder})" if folder is not None else "") + f": {note}")
    if not download:
        notes.append("download: not attempted (download=False)")
    elif not mirrors:
        notes.append("download: no mirrors given")
    else:
        try:
            present = {s: p for s in stems if (p := find_file(cache, s)) is not None}
            _drop_corrupt(present, sha256, content_sha256, stamps, notes)
            result = {}
            for stem in stems:
                cached = find_file(cache, stem)
                if cached is None:
                    cached = fetch(f"{stem}.gz", mirrors=mirrors, sha256=sha256[stem],
                                   dest_dir=cache, content_sha256=content_sha256,
                                   progress=progress, timeout=timeout)
                    stamps.record(cached, sha256[stem].lower())  # fetch has just verified it
                result[stem] = cached
            return result
        except OSError as exc:  # DataNotFoundError from fetch, or the cache is not writable
            notes.append(
                f"download into {cache}: failed\n     " + str(exc).replace("\n", "\n     ")
            )
    raise DataNotFoundError(
        f"{name} not found. Looked for {', '.join(s + '[.gz]' for s in stems)} in:\n"
        + "\n".join(f"  {i}. {note}" for i, note in enumerate(notes, start=1))
        + f"\nTo fix: pass path= a folder holding these files, set {ENV_VAR} to such a folder "
        f"(or to a folder with a '{name}' subfolder), or call with download=True and a working "
        f"internet connection to fetch them into {cache}."
    )


def _check_mirrors(mirrors: Sequence[str]) -> None:
    """Refuse a string (which would be taken one character at a time) or non-URL items."""
    if isinstance(mirrors, (str, bytes)):
        raise ValueError(f"mirrors must be a list of base URLs, got the string {mirrors!r}; "
                         f"wrap it in a list: mirrors=[{mirrors!r}]")
    try:
        items = list(mirrors)
    except TypeError:
        raise ValueError(f"mirrors must be a list of base URLs, got {mirrors!r}") from None
    bad = [m for m in items if not isinstance(m, str) or not m.strip()]
    if bad:
        raise ValueError(f"mirrors must be a list of base URLs (non-empty strings such as "
                         f"'https://example.org/data/'), got {bad[0]!r} in it")


def _in_given_folder(name: str, stems: Sequence[str], folder: Path, cache: Path,
                     download: bool) -> dict[str, Path]:
    """The files in the folder the caller named, or a DataNotFoundError saying what is wrong.

    A folder named explicitly is the only place looked at: falling back to
    ``$GLASSNET_DATA`` or the cache would silently read other files than the
    ones asked for.
    """
    found, note = _look(folder, stems)
    if len(found) == len(stems):
        return found
    if folder.is_file():
        note += "; path= takes the folder holding the files, e.g. " + str(folder.parent)
        if folder.suffix.lower() == ".csv":
            note += " (a CSV file in the book's format is read by read_digits_csv)"
    elsewhere = "the system folders and the cache" + (
        f", and download into {cache} if they are missing there" if download else "")
    raise DataNotFoundError(
        f"{name} not found. Looked for {', '.join(s + '[.gz]' for s in stems)} only in the "
        f"folder given:\n  1. path= argument ({folder}): {note}"
        f"\nTo fix: pass path= a folder holding these files, or leave out path= to search "
        f"${ENV_VAR} (its '{name}' subfolder, then itself), {elsewhere}."
    )


def _refuse_corrupt(found: Mapping[str, Path], sha256: Mapping[str, str], content: bool,
                    stamps: _Stamps) -> None:
    """Raise DataFormatError for the first file of ``found`` that is not what it should be."""
    for stem, file in found.items():
        why = _mismatch(file, sha256.get(stem), content, stamps)
        if why:
            raise DataFormatError(
                f"{file}: not the expected {stem}: {why}. The file is corrupt or of another "
                "version; replace it, or pass path= a folder with the right files"
            )


def _drop_corrupt(found: Mapping[str, Path], sha256: Mapping[str, str], content: bool,
                  stamps: _Stamps, notes: list[str]) -> bool:
    """Delete the cached files of ``found`` that fail their checksum; True if any did."""
    dropped = False
    for stem, file in found.items():
        why = _mismatch(file, sha256.get(stem), content, stamps)
        if why:
            stamps.forget(file)
            file.unlink()
            notes.append(f"user cache: removed corrupt {file} ({why})")
            dropped = True
    return dropped
