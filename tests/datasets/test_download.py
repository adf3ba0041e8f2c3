"""fetch against a local HTTP server: verified files land, anything else leaves nothing."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
from conftest import require_file

from glassnet.datasets.download import fetch, sha256_of
from glassnet.datasets.idx import read_idx, write_idx
from glassnet.errors import DataNotFoundError

MNIST_T10K_LABELS_GZ_SHA256 = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def payload() -> bytes:
    """A small gzipped IDX file."""
    content = bytes([0, 0, 8, 1, 0, 0, 0, 200]) + bytes(range(200))
    return gzip.compress(content, mtime=0)


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_file_is_verified_and_placed(http_server, tmp_path, payload):
    http_server.put("data.gz", payload)
    dest = tmp_path / "dest" / "nested"
    path = fetch(
        "data.gz", mirrors=[http_server.url], sha256=sha(payload), dest_dir=dest, progress=False
    )
    assert path == dest / "data.gz"
    assert path.read_bytes() == payload
    assert files_in(dest) == ["data.gz"]  # no temporary file left behind
    np.testing.assert_array_equal(read_idx(path), np.arange(200, dtype=np.uint8))


def test_trailing_slash_and_upper_case_checksum(http_server, tmp_path, payload):
    http_server.put("data.gz", payload)
    path = fetch(
        "data.gz",
        mirrors=[http_server.url + "/"],
        sha256=sha(payload).upper(),
        dest_dir=tmp_path,
        progress=False,
    )
    assert path.read_bytes() == payload


def test_progress_bar_does_not_disturb_the_download(http_server, tmp_path, payload):
    pytest.importorskip("tqdm")
    http_server.put("data.gz", payload)
    path = fetch(
        "data.gz", mirrors=[http_server.url], sha256=sha(payload), dest_dir=tmp_path, progress=True
    )
    assert path.read_bytes() == payload


def test_wrong_checksum_is_refused_and_nothing_is_left(http_server, tmp_path, payload):
    http_server.put("data.gz", payload)
    wrong = sha(payload + b"x")
    with pytest.raises(DataNotFoundError) as info:
        fetch("data.gz", mirrors=[http_server.url], sha256=wrong, dest_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "SHA-256 mismatch" in message and wrong in message and sha(payload) in message
    assert files_in(tmp_path) == []


def test_failed_download_keeps_an_existing_file(http_server, tmp_path, payload):
    http_server.put("data.gz", payload)
    (tmp_path / "data.gz").write_bytes(b"old")
    with pytest.raises(DataNotFoundError):
        fetch("data.gz", mirrors=[http_server.url], sha256="0" * 64, dest_dir=tmp_path,
              progress=False)  # fmt: skip
    assert (tmp_path / "data.gz").read_bytes() == b"old"
    assert files_in(tmp_path) == ["data.gz"]


def test_body_shorter_than_content_length_is_refused(http_server, tmp_path, payload):
    url = http_server.url + "/short"
    with pytest.raises(DataNotFoundError, match="truncated: received 32 of 1032 bytes"):
        fetch("data.gz", mirrors=[url], sha256=sha(payload), dest_dir=tmp_path, progress=False)
    assert files_in(tmp_path) == []


def test_truncated_copy_on_the_server_is_refused(http_server, tmp_path, payload):
    http_server.put("data.gz", payload[:-20])  # a complete response of an incomplete file
    with pytest.raises(DataNotFoundError, match="SHA-256 mismatch"):
        fetch("data.gz", mirrors=[http_server.url], sha256=sha(payload), dest_dir=tmp_path,
              progress=False)  # fmt: skip
    assert files_in(tmp_path) == []


def test_404_on_the_first_mirror_then_a_good_second(http_server, tmp_path, payload):
    (http_server.root / "good").mkdir()
    http_server.put("good/data.gz", payload)
    mirrors = [http_server.url + "/missing/", http_server.url + "/good/"]
    path = fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path, progress=False)
    assert path.read_bytes() == payload
    assert files_in(tmp_path) == ["data.gz"]


def test_bad_first_mirror_then_good_second(http_server, tmp_path, payload):
    (http_server.root / "bad").mkdir()
    (http_server.root / "good").mkdir()
    http_server.put("bad/data.gz", b"\x1f\x8b garbage")
    http_server.put("good/data.gz", payload)
    mirrors = [http_server.url + "/bad", http_server.url + "/good"]
    path = fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path, progress=False)
    assert path.read_bytes() == payload


def test_all_mirrors_fail_and_each_reason_is_listed(http_server, dead_url, tmp_path, payload):
    (http_server.root / "bad").mkdir()
    http_server.put("bad/data.gz", b"not the file")
    mirrors = [http_server.url + "/missing", dead_url, http_server.url + "/short",
               http_server.url + "/bad"]  # fmt: skip
    with pytest.raises(DataNotFoundError) as info:
        fetch("data.gz", mirrors=mirrors, sha256=sha(payload), dest_dir=tmp_path, progress=False)
    lines = str(info.value).splitlines()
    expected = [
        (f"{http_server.url}/missing/data.gz", "HTTP 404"),
        (f"{dead_url}/data.gz", "connection failed"),
        (f"{http_server.url}/short/data.gz", "truncated"),
        (f"{http_server.url}/bad/data.gz", "SHA-256 mismatch"),
    ]
    for url, reason in expected:
        assert any(url in line and reason in line for line in lines), (url, reason, lines)
    assert isinstance(info.value, OSError)
    assert files_in(tmp_path) == []


def test_timeout_is_a_reason_too(http_server, tmp_path, payload):
    http_server.put("data.gz", payload)
    with pytest.raises(DataNotFoundError, match="timed out"):
        fetch("data.gz", mirrors=[http_server.url + "/slow"], sha256=sha(payload),
              dest_dir=tmp_path, progress=False, timeout=0.2)  # fmt: skip
    assert files_in(tmp_path) == []


def test_content_checksum_accepts_a_recompressed_archive(http_server, tmp_path):
    array = np.arange(1000, dtype=np.int32)
    write_idx(tmp_path / "original.gz", array)
    content = gzip.decompress((tmp_path / "original.gz").read_bytes())
    recompressed = gzip.compress(content, compresslevel=1, mtime=12345)
    assert recompressed != (tmp_path / "original.gz").read_bytes()
    http_server.put("data.gz", recompressed)
    dest = tmp_path / "dest"
    path = fetch("data.gz", mirrors=[http_server.url], sha256=sha(content), dest_dir=dest,
                 content_sha256=True, progress=False)  # fmt: skip
    np.testing.assert_array_equal(read_idx(path), array)
    with pytest.raises(DataNotFoundError, match="SHA-256 mismatch of the file"):
        fetch("data.gz", mirrors=[http_server.url], sha256=sha(content), dest_dir=dest / "2",
              progress=False)  # fmt: skip


def test_content_checksum_of_a_corrupt_gzip_is_refused(http_server, tmp_path):
    http_server.put("data.gz", b"\x1f\x8b\x08\x00 definitely not deflate data")
    with pytest.raises(DataNotFoundError, match="not a valid gzip file"):
        fetch("data.gz", mirrors=[http_server.url], sha256="a" * 64, dest_dir=tmp_path,
              content_sha256=True, progress=False)  # fmt: skip
    assert files_in(tmp_path) == []


def test_sha256_of_file_and_content(tmp_path):
    raw = b"some content" * 100
    (tmp_path / "raw").write_bytes(raw)
    (tmp_path / "packed.gz").write_bytes(gzip.compress(raw))
    assert sha256_of(tmp_path / "raw") == sha(raw)
    assert sha256_of(tmp_path / "raw", content=True) == sha(raw)  # not gzip: content = bytes
    assert sha256_of(tmp_path / "packed.gz", content=True) == sha(raw)
    assert sha256_of(tmp_path / "packed.gz") == sha((tmp_path / "packed.gz").read_bytes())


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "0" * 63, ""])
def test_rejects_malformed_checksum(tmp_path, bad):
    with pytest.raises(ValueError, match="sha256"):
        fetch("x.gz", mirrors=["http://127.0.0.1:9/"], sha256=bad, dest_dir=tmp_path)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(deadline=-1), "deadline must be > 0, got -1"),
    (dict(deadline=0), "deadline must be > 0"),
    (dict(timeout=0), "timeout must be > 0, got 0"),
    (dict(timeout=-5.0), "timeout must be > 0"),
    (dict(timeout=float("nan")), "timeout must be a finite number"),
    (dict(min_rate=-1), "min_rate must be >= 0"),
])
def test_rejects_bad_time_limits_before_any_connection(http_server, tmp_path, payload,
                                                       kwargs, match):
    # the server holds the file: an unchecked limit would mean a download, or a later
    # failure that blames the connection
    http_server.put("data.gz", payload)
    with pytest.raises(ValueError, match=match):
        fetch("data.gz", mirrors=[http_server.url], sha256=sha(payload), dest_dir=tmp_path,
              progress=False, **kwargs)
    assert not (tmp_path / "data.gz").exists()
    assert http_server.hits == []


@pytest.mark.parametrize("mirrors", [[], (), "http://127.0.0.1:9/", [""], [None]])
def test_rejects_empty_or_string_mirrors(tmp_path, mirrors):
    with pytest.raises(ValueError, match="mirrors"):
        fetch("x.gz", mirrors=mirrors, sha256="0" * 64, dest_dir=tmp_path)


@pytest.mark.data
def test_real_mnist_file_with_its_published_checksum(http_server, shared_data, tmp_path):
    source = require_file(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    http_server.put(source.name, source.read_bytes())
    path = fetch(source.name, mirrors=[http_server.url], sha256=MNIST_T10K_LABELS_GZ_SHA256,
                 dest_dir=tmp_path, progress=False)  # fmt: skip
    assert read_idx(path).shape == (10_000,)


def test_download_is_fsynced_before_it_is_renamed(http_server, tmp_path, payload, monkeypatch):
    import glassnet._atomic as atomic

    events = []
    real_fsync, real_replace = atomic.os.fsync, atomic.os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: events.append("replace") or real_replace(a, b)
    )
    http_server.put("data.gz", payload)
    fetch("data.gz", mirrors=[http_server.url], sha256=sha(payload), dest_dir=tmp_path,
          progress=False)  # fmt: skip
    assert events == ["fsync", "replace", "fsync"]  # data, rename, then the folder
