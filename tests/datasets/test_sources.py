"""The search order for a data set's files, and the message when nothing is found."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from glassnet.datasets.sources import (
    candidate_folders,
    default_cache_dir,
    find_file,
    locate,
)
from glassnet.errors import DataNotFoundError

NAME = "toyset"
STEMS = ("images-idx3-ubyte", "labels-idx1-ubyte")


def fill(folder: Path, tag: str, *, gz: bool = True, stems=STEMS) -> Path:
    """Put the files of STEMS in ``folder``, each holding ``tag`` so we can tell places apart."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        name = f"{stem}.gz" if gz else stem
        (folder / name).write_bytes(tag.encode())
    return folder


def tag_of(found: dict[str, Path]) -> set[str]:
    return {p.read_text() for p in found.values()}


@pytest.fixture
def places(tmp_path):
    """One folder per place, every one filled, plus the matching locate() arguments."""
    root = tmp_path / "places"
    explicit = fill(root / "explicit", "path")
    env_root = fill(root / "env", "env-root")
    fill(env_root / NAME, "env-sub")
    system = root / "system"
    fill(system / NAME, "system")
    cache = root / "cache"
    fill(cache / NAME, "cache")
    kwargs = dict(
        path=explicit,
        environ={"GLASSNET_DATA": str(env_root)},
        system_dirs=[system],
        cache_dir=cache,
        download=False,
        sha256={},
    )
    return kwargs


def test_search_order(places):
    # take the winning place away, step by step, and the next one must win
    kwargs = dict(places)
    assert tag_of(locate(NAME, STEMS, **kwargs)) == {"path"}
    kwargs["path"] = None
    assert tag_of(locate(NAME, STEMS, **kwargs)) == {"env-sub"}
    env_root = Path(kwargs["environ"]["GLASSNET_DATA"])
    for p in (env_root / NAME).iterdir():
        p.unlink()
    assert tag_of(locate(NAME, STEMS, **kwargs)) == {"env-root"}
    kwargs["environ"] = {}
    assert tag_of(locate(NAME, STEMS, **kwargs)) == {"system"}
    kwargs["system_dirs"] = []
    assert tag_of(locate(NAME, STEMS, **kwargs)) == {"cache"}


def test_a_folder_missing_one_file_is_skipped_whole(places):
    # no mixing: the env subfolder lacks the labels, so both files come from the next place
    places["path"] = None
    env_root = Path(places["environ"]["GLASSNET_DATA"])
    (env_root / NAME / f"{STEMS[1]}.gz").unlink()
    found = locate(NAME, STEMS, **places)
    assert tag_of(found) == {"env-root"}


def test_an_incomplete_explicit_folder_is_an_error_not_passed_over(places):
    # every other place holds the files; a path= that lacks one must not fall back to them
    (places["path"] / f"{STEMS[1]}.gz").unlink()
    with pytest.raises(DataNotFoundError) as info:
        locate(NAME, STEMS, **places)
    message = str(info.value)
    assert f"path= argument ({places['path']}): missing {STEMS[1]}" in message
    assert "GLASSNET_DATA" in message and "leave out path=" in message
    assert places["environ"]["GLASSNET_DATA"] not in message  # not searched


def test_uncompressed_files_count_and_win_over_gz(tmp_path):
    folder = fill(tmp_path / "d", "gz", gz=True)
    fill(folder, "raw", gz=False, stems=STEMS[:1])
    found = locate(NAME, STEMS, path=folder, environ={}, system_dirs=[], download=False,
                   cache_dir=tmp_path / "c", sha256={})  # fmt: skip
    assert found[STEMS[0]].name == STEMS[0] and found[STEMS[0]].read_text() == "raw"
    assert found[STEMS[1]].name == f"{STEMS[1]}.gz"
    assert find_file(folder, "absent") is None


def test_environment_is_read_from_os_environ(tmp_path, monkeypatch):
    data = tmp_path / "data"
    fill(data / NAME, "from-env")
    monkeypatch.setenv("GLASSNET_DATA", str(data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    found = locate(NAME, STEMS, system_dirs=[], download=False, sha256={})
    assert tag_of(found) == {"from-env"}


def test_xdg_cache_home_is_the_default_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fill(tmp_path / "xdg" / "glassnet" / NAME, "xdg")
    assert default_cache_dir() == tmp_path / "xdg" / "glassnet"
    assert tag_of(locate(NAME, STEMS, system_dirs=[], download=False, sha256={})) == {"xdg"}


def test_home_cache_when_xdg_is_unset_or_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir({}) == tmp_path / "home" / ".cache" / "glassnet"
    assert default_cache_dir({"XDG_CACHE_HOME": ""}) == tmp_path / "home" / ".cache" / "glassnet"


def test_candidate_folders_lists_every_place_in_order(tmp_path):
    listed = candidate_folders(
        NAME,
        path=tmp_path / "p",
        environ={"GLASSNET_DATA": str(tmp_path / "e")},
        system_dirs=[tmp_path / "s1", tmp_path / "s2"],
        cache_dir=tmp_path / "c",
    )
    assert [folder for _, folder in listed] == [
        tmp_path / "p",
        tmp_path / "e" / NAME,
        tmp_path / "e",
        tmp_path / "s1" / NAME,
        tmp_path / "s2" / NAME,
        tmp_path / "c" / NAME,
    ]


def test_default_system_folder_is_debians(tmp_path):
    listed = candidate_folders(NAME, environ={}, cache_dir=tmp_path)
    assert ("system folder", Path("/usr/share/datasets") / NAME) in listed


def test_nothing_found_lists_every_place_and_the_fixes(tmp_path):
    env_root = tmp_path / "env"
    fill(env_root / NAME, "x", stems=STEMS[:1])
    system = tmp_path / "system"
    cache = tmp_path / "cache"
    with pytest.raises(DataNotFoundError) as info:
        locate(NAME, STEMS, environ={"GLASSNET_DATA": str(env_root)},
               system_dirs=[system], cache_dir=cache, download=False, sha256={})  # fmt: skip
    message = str(info.value)
    for place in (env_root / NAME, env_root, system / NAME, cache / NAME):
        assert str(place) in message
    assert f"missing {STEMS[1]}" in message  # the env subfolder had only the images
    assert "no such folder" in message
    assert "download=False" in message
    assert "GLASSNET_DATA" in message and "path=" in message and "download=True" in message
    assert isinstance(info.value, FileNotFoundError)


def test_unset_environment_is_reported(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"\$GLASSNET_DATA: not set"):
        locate(NAME, STEMS, environ={}, system_dirs=[], cache_dir=tmp_path, download=False,
               sha256={})  # fmt: skip


def test_download_needs_mirrors(tmp_path):
    with pytest.raises(DataNotFoundError, match="no mirrors given"):
        locate(NAME, STEMS, environ={}, system_dirs=[], cache_dir=tmp_path, download=True,
               mirrors=(), sha256={})  # fmt: skip


# --- downloading into the cache ----------------------------------------------------


def _serve_all(server, stems=STEMS) -> dict[str, str]:
    sums = {}
    for stem in stems:
        data = gzip.compress(stem.encode(), mtime=0)
        server.put(f"{stem}.gz", data)
        sums[stem] = hashlib.sha256(data).hexdigest()
    return sums


def test_downloads_into_the_cache_then_finds_it_there(http_server, tmp_path):
    sums = _serve_all(http_server)
    args = dict(environ={}, system_dirs=[], cache_dir=tmp_path / "cache", progress=False)
    found = locate(NAME, STEMS, sha256=sums, mirrors=[http_server.url], **args)
    assert {p.parent for p in found.values()} == {tmp_path / "cache" / NAME}
    assert gzip.decompress(found[STEMS[0]].read_bytes()) == STEMS[0].encode()
    for p in http_server.root.iterdir():
        p.unlink()  # the server is empty now; the cache must be enough
    again = locate(NAME, STEMS, sha256=sums, mirrors=[http_server.url], download=False, **args)
    assert again == found


def test_only_missing_files_are_downloaded(http_server, tmp_path):
    sums = _serve_all(http_server, stems=STEMS[1:])  # the server lacks the images
    fill(tmp_path / "cache" / NAME, "cached", stems=STEMS[:1])
    found = locate(NAME, STEMS, sha256=sums, mirrors=[http_server.url], environ={},
                   system_dirs=[], cache_dir=tmp_path / "cache", progress=False)  # fmt: skip
    assert found[STEMS[0]].read_text() == "cached"
    assert gzip.decompress(found[STEMS[1]].read_bytes()) == STEMS[1].encode()


def test_failed_download_lists_places_and_each_url(http_server, dead_url, tmp_path):
    sums = {stem: "0" * 64 for stem in STEMS}
    _serve_all(http_server)
    with pytest.raises(DataNotFoundError) as info:
        locate(NAME, STEMS, sha256=sums, mirrors=[dead_url, http_server.url], environ={},
               system_dirs=[], cache_dir=tmp_path / "cache", progress=False)  # fmt: skip
    message = str(info.value)
    assert str(tmp_path / "cache" / NAME) in message
    assert f"{dead_url}/{STEMS[0]}.gz: connection failed" in message
    assert f"{http_server.url}/{STEMS[0]}.gz: SHA-256 mismatch" in message
    assert not any((tmp_path / "cache" / NAME).iterdir())
