"""Downloads under faults, against a local server on 127.0.0.1.

Trickle, reset, wrong hash, 404 then a good mirror, a download killed by
SIGKILL then run again, a corrupted cache, a gzip bomb in the cache, a full
disk and a read-only folder.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
import tracemalloc
import zlib

import pytest

import glassnet._atomic as atomic
from glassnet._atomic import TEMP_PATTERN
from glassnet.datasets import download as download_module
from glassnet.datasets.download import fetch
from glassnet.datasets.sources import locate
from glassnet.errors import DataFormatError, DataNotFoundError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def payload() -> bytes:
    content = bytes([0, 0, 8, 1, 0, 0, 0, 200]) + bytes(range(200))
    return gzip.compress(content, mtime=0)


def mirror(server, route: str | None, payload: bytes, name: str = "data.gz") -> str:
    """A base URL serving ``payload`` as ``name``, through ``route`` if given."""
    server.put(name, payload)
    return f"{server.url}/{route}" if route else server.url


def corrupted(data: bytes) -> bytes:
    """``data`` with one bit changed in its gzip payload (a label, in these files)."""
    out = bytearray(data)
    out[-12] ^= 0x04
    return bytes(out)


def names(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- a mirror that stalls or fails yields to the next -------------------------------------------
def test_a_trickling_mirror_yields_to_the_next(http_server, tmp_path, payload):
    mirrors = [mirror(http_server, "trickle", payload), mirror(http_server, None, payload)]
    start = time.monotonic()
    path = fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path,
                 progress=False, timeout=0.5, min_rate=1000)
    assert time.monotonic() - start < 4  # the trickle would take 22 s
    assert path.read_bytes() == payload and names(tmp_path) == ["data.gz"]
    assert http_server.hits == ["/trickle/data.gz", "/data.gz"]


def test_a_trickling_mirror_alone_is_reported_as_too_slow(http_server, tmp_path, payload):
    with pytest.raises(DataNotFoundError, match=r"too slow: \d+ bytes/s .* min_rate=1000"):
        fetch("data.gz", mirrors=[mirror(http_server, "trickle", payload)], sha256=sha(payload),
              dest_dir=tmp_path, progress=False, timeout=0.5, min_rate=1000)
    assert names(tmp_path) == []


def test_the_deadline_ends_a_mirror_even_with_no_minimum_rate(http_server, tmp_path, payload):
    with pytest.raises(DataNotFoundError, match="deadline of 0.8 s"):
        fetch("data.gz", mirrors=[mirror(http_server, "trickle", payload)], sha256=sha(payload),
              dest_dir=tmp_path, progress=False, timeout=5, min_rate=0, deadline=0.8)
    assert names(tmp_path) == []


def test_a_reset_connection_yields_to_the_next(http_server, tmp_path, payload):
    mirrors = [mirror(http_server, "reset", payload), mirror(http_server, None, payload)]
    path = fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path,
                 progress=False)
    assert path.read_bytes() == payload and names(tmp_path) == ["data.gz"]


def test_wrong_hash_then_404_then_good(http_server, tmp_path, payload):
    (http_server.root / "bad").mkdir()
    http_server.put("bad/data.gz", corrupted(payload))
    mirrors = [http_server.url + "/bad", http_server.url + "/missing",
               mirror(http_server, None, payload)]
    path = fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path,
                 progress=False)
    assert path.read_bytes() == payload and names(tmp_path) == ["data.gz"]


# -- a download killed outright, then run again ------------------------------------------------
CHILD = """
import sys
from glassnet.datasets.download import fetch
fetch("data.gz", mirrors=[sys.argv[1]], sha256=sys.argv[2], dest_dir=sys.argv[3],
      progress=False, timeout=30, min_rate=0)
"""


def test_kill_then_rerun_leaves_nothing_stale(http_server, tmp_path, payload):
    slow = mirror(http_server, "trickle", payload)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", CHILD, slow, sha(payload), str(tmp_path)],
                             env=env)
    try:
        deadline = time.monotonic() + 30
        while not any(TEMP_PATTERN.match(n) for n in names(tmp_path)):
            assert time.monotonic() < deadline, "the child never started writing"
            assert child.poll() is None, "the child ended before it was killed"
            time.sleep(0.05)
        time.sleep(0.3)  # a few bytes in
        assert child.poll() is None, "the child ended before it was killed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    (partial,) = names(tmp_path)  # the killed download's partial file, under its temp name
    assert TEMP_PATTERN.match(partial)
    path = fetch("data.gz", mirrors=[mirror(http_server, None, payload)], sha256=sha(payload),
                 dest_dir=tmp_path, progress=False)
    assert path.read_bytes() == payload
    assert names(tmp_path) == ["data.gz"]  # the partial file is gone


# -- the cache is verified once, and a corrupted cache is repaired -----------------------------
STEMS = ["t10k-labels-idx1-ubyte"]


def locate_args(tmp_path, server, payload, **extra):
    server.put(f"{STEMS[0]}.gz", payload)
    args = dict(environ={}, system_dirs=[], cache_dir=tmp_path / "cache", progress=False,
                sha256={STEMS[0]: sha(payload)}, mirrors=[server.url])
    return args | extra


def count_hashes(monkeypatch) -> list:
    calls: list = []
    real = download_module.sha256_of

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    import glassnet.datasets.sources as sources

    monkeypatch.setattr(sources, "sha256_of", counting)
    return calls


def test_cached_files_are_hashed_once(http_server, tmp_path, payload, monkeypatch):
    args = locate_args(tmp_path, http_server, payload) | dict(download=False)
    cached = locate("mnist", STEMS, **(args | dict(download=True)))[STEMS[0]]
    hashes = count_hashes(monkeypatch)
    locate("mnist", STEMS, **args)
    # a file changed within the last seconds may change again unseen within one clock tick
    # (the mtime would not show it), so such a file is checked but not yet recorded
    assert len(hashes) == 1
    past = time.time_ns() - 10**10
    os.utime(cached, ns=(past, past))
    locate("mnist", STEMS, **args)
    assert len(hashes) == 2  # checked, and now recorded
    again = locate("mnist", STEMS, **args)
    assert again == {STEMS[0]: cached} and len(hashes) == 2  # the record answered
    assert (tmp_path / "cache" / "mnist.verified.json").is_file()
    assert names(tmp_path / "cache" / "mnist") == [f"{STEMS[0]}.gz"]


def test_a_corrupted_cached_file_is_downloaded_again(http_server, tmp_path, payload):
    args = locate_args(tmp_path, http_server, payload)
    cached = locate("mnist", STEMS, **args)[STEMS[0]]
    cached.write_bytes(corrupted(payload))
    os.utime(cached, ns=(1, 1))  # a different mtime: the record no longer vouches for it
    http_server.hits.clear()
    again = locate("mnist", STEMS, **args)[STEMS[0]]
    assert again.read_bytes() == payload and http_server.hits == [f"/{STEMS[0]}.gz"]


def test_a_corrupted_cached_file_without_download_is_refused_clearly(http_server, tmp_path,
                                                                      payload):
    args = locate_args(tmp_path, http_server, payload)
    cached = locate("mnist", STEMS, **args)[STEMS[0]]
    cached.write_bytes(corrupted(payload))
    with pytest.raises(DataNotFoundError, match=r"removed corrupt .*SHA-256 is [0-9a-f]{64}"):
        locate("mnist", STEMS, **(args | dict(download=False)))
    assert names(tmp_path / "cache" / "mnist") == []


def test_a_corrupted_file_in_a_system_folder_is_refused(http_server, tmp_path, payload):
    system = tmp_path / "system"
    (system / "mnist").mkdir(parents=True)
    (system / "mnist" / f"{STEMS[0]}.gz").write_bytes(corrupted(payload))
    args = locate_args(tmp_path, http_server, payload, system_dirs=[system])
    with pytest.raises(DataFormatError, match=rf"{STEMS[0]}.gz: not the expected"):
        locate("mnist", STEMS, **args)
    (system / "mnist" / f"{STEMS[0]}.gz").write_bytes(payload)
    found = locate("mnist", STEMS, **args)
    assert found[STEMS[0]].parent == system / "mnist"


def test_a_gzip_bomb_in_the_cache_is_caught_cheaply(http_server, tmp_path, payload):
    content = gzip.decompress(payload)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(content) + b"".join(packer.compress(bytes(1 << 20))
                                               for _ in range(200)) + packer.flush()
    args = locate_args(tmp_path, http_server, payload, content_sha256=True,
                       sha256={STEMS[0]: sha(content)})
    (tmp_path / "cache" / "mnist").mkdir(parents=True)
    (tmp_path / "cache" / "mnist" / f"{STEMS[0]}.gz").write_bytes(bomb)
    tracemalloc.start()
    start = time.monotonic()
    try:
        found = locate("mnist", STEMS, **args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found[STEMS[0]].read_bytes() == payload  # replaced by the download
    assert peak < 20_000_000 and time.monotonic() - start < 10


# -- the destination cannot take the file ---------------------------------------------------------
def test_disk_full_stops_at_once_with_a_clear_error(http_server, tmp_path, payload,
                                                    monkeypatch):
    class FullDisk:
        """A file whose writes fail as on a full disk."""

        def __init__(self, f):
            self._f = f

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    real_fdopen = atomic.os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    mirrors = [mirror(http_server, None, payload), http_server.url + "/other"]
    with pytest.raises(OSError, match=r"cannot write .*data.gz: the disk is full") as info:
        fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path,
              progress=False)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert http_server.hits == ["/data.gz"]  # no other mirror tried: none could help
    assert names(tmp_path) == []


def test_read_only_destination(http_server, tmp_path, payload, monkeypatch):
    real_open = atomic.os.open

    def read_only(path, flags, *args):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic.os, "open", read_only)
    with pytest.raises(OSError, match="the file system is read-only"):
        fetch("data.gz", mirrors=[mirror(http_server, None, payload)], sha256=sha(payload),
              dest_dir=tmp_path, progress=False)
    assert http_server.hits == []
