"""atomic_write: the destination holds the old bytes or the whole new ones, never a part."""

from __future__ import annotations

import pytest

from glassnet._atomic import atomic_write


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "f.bin"
    with atomic_write(target) as f:
        f.write(b"first")
    with atomic_write(target) as f:
        f.write(b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_error_inside_keeps_the_old_file_and_removes_the_temp(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_nothing_appears_until_the_block_ends(tmp_path):
    target = tmp_path / "f.bin"
    with atomic_write(target) as f:
        f.write(b"data")
        f.flush()
        assert not target.exists()
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        assert len(temps) == 1 and temps[0].name.startswith(".f.bin.")
    assert target.read_bytes() == b"data"


def test_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "no" / "f.bin") as f:
        f.write(b"x")


def test_data_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    import glassnet._atomic as atomic

    events = []
    real_fsync, real_replace = atomic.os.fsync, atomic.os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: events.append("replace") or real_replace(a, b)
    )
    with atomic_write(tmp_path / "f.bin") as f:
        f.write(b"data")
    assert events == ["fsync", "replace", "fsync"]  # data, rename, then the folder
