"""Where a named data set's files are looked for, in order, and fetched if absent.

For a data set called ``name`` (e.g. ``"fashion-mnist"``) the places are:

1. the folder given as ``path=``;
2. ``$GLASSNET_DATA/<name>``, then ``$GLASSNET_DATA`` itself;
3. system folders, ``/usr/share/datasets/<name>`` by default (where Debian's
   ``dataset-fashion-mnist`` package installs its files);
4. the user cache ``<cache_dir>/<name>``, with ``cache_dir`` defaulting to
   ``$XDG_CACHE_HOME/glassnet`` or ``~/.cache/glassnet``;
5. a download into that cache folder, unless ``download=False``.

The first folder holding *all* the requested files wins, so files of one
data set are never mixed from two places. A file counts as present as
``<stem>`` or ``<stem>.gz``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import DataNotFoundError
from .download import fetch

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


def _look(folder: Path | None, stems: Sequence[str]) -> tuple[dict[str, Path], str]:
    """The files of ``stems`` found in ``folder``, and a note on what is missing."""
    if folder is None:
        return {}, "not set"
    if not folder.is_dir():
        return {}, "no such folder"
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
    sha256 : expected SHA-256 per stem, checked on downloads only
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
        there, and the ways to provide the files.
    """
    places = candidate_folders(
        name, path=path, environ=environ, system_dirs=system_dirs, cache_dir=cache_dir
    )
    notes = []
    for label, folder in places:
        found, note = _look(folder, stems)
        if len(found) == len(stems):
            return found
        notes.append(label + (f" ({folder})" if folder is not None else "") + f": {note}")
    cache = cache_folder(name, cache_dir=cache_dir, environ=environ)
    if not download:
        notes.append("download: not attempted (download=False)")
    elif not mirrors:
        notes.append("download: no mirrors given")
    else:
        try:
            return {
                stem: find_file(cache, stem)
                or fetch(
                    f"{stem}.gz",
                    mirrors=mirrors,
                    sha256=sha256[stem],
                    dest_dir=cache,
                    content_sha256=content_sha256,
                    progress=progress,
                    timeout=timeout,
                )
                for stem in stems
            }
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
