"""atomic_write: the destination holds the old bytes or the whole new ones, never a part."""

from __future__ import annotations

import pytest

from glassnet._atomic import TEMP_PATTERN, atomic_write


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
        temps = [p for p in tmp_path.iterdir() if p.name != "f.bin"]
        assert len(temps) == 1 and TEMP_PATTERN.match(temps[0].name)
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


# -- long names, stale temporaries, symbolic links -------------------------------------------
def test_the_longest_valid_name_can_be_written(tmp_path):
    target = tmp_path / ("n" * 251 + ".bin")  # 255 bytes, the usual limit of one name
    with atomic_write(target) as f:
        f.write(b"long")
    assert target.read_bytes() == b"long"


def test_a_temporary_name_is_short(tmp_path):
    with atomic_write(tmp_path / "x") as f:
        (temp,) = [p for p in tmp_path.iterdir()]
        assert len(temp.name) <= 24
        f.write(b"")


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    stale = tmp_path / ".gn-999999-0123abcd.tmp"
    stale.write_bytes(b"left by a crashed save")
    lookalikes = [".gn-1-xyz.tmp", ".gn-12-0123abcd.tmp.bak", "gn-1-0123abcd.tmp", ".f.part"]
    for name in lookalikes:
        (tmp_path / name).write_bytes(b"not ours")
    with atomic_write(tmp_path / "f.bin") as f:
        f.write(b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(lookalikes + ["f.bin"])


def test_a_temporary_being_written_is_not_removed(tmp_path):
    with atomic_write(tmp_path / "slow.bin") as slow:
        slow.write(b"first half ")
        with atomic_write(tmp_path / "quick.bin") as quick:  # cleans the folder meanwhile
            quick.write(b"quick")
        slow.write(b"second half")
    assert (tmp_path / "slow.bin").read_bytes() == b"first half second half"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quick.bin", "slow.bin"]


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "models" / "net.bin"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "latest.bin"
    link.symlink_to(real)
    with atomic_write(link) as f:
        f.write(b"new")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["net.bin"]


CHILD = """
import sys, time
from glassnet._atomic import atomic_write
target = sys.argv[1]
with atomic_write(target) as f:
    f.write(b"x" * 1_000_000)
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_sigkill_during_a_write_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    target = tmp_path / "model.bin"
    target.write_bytes(b"old and whole")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target)],
                                 stdout=subprocess.PIPE, env=env)
        assert child.stdout.readline() == b"writing\n"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert target.read_bytes() == b"old and whole"
        # each killed writer leaves one; the next writer removed the one before
        assert len([p for p in tmp_path.iterdir() if TEMP_PATTERN.match(p.name)]) == 1
    with atomic_write(target) as f:
        f.write(b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    assert target.read_bytes() == b"new"


SAVER = """
import sys
import glassnet
from glassnet import io
net = glassnet.mlp([784, 256, 10], seed=0)
print("ready", flush=True)
i = 0
while True:
    i += 1
    io.save(net, sys.argv[1], metadata={"save": i})
"""


@pytest.mark.slow
def test_model_saves_killed_at_random_moments(tmp_path):
    """A real save loop killed at random: the file always loads, temporaries never pile up."""
    import os
    import signal
    import subprocess
    import sys

    import numpy as np

    from glassnet.io import model_info

    target = tmp_path / "net.safetensors"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    rng = np.random.default_rng(0)
    saves = []
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(target)],
                                 stdout=subprocess.PIPE, env=env)
        assert child.stdout.readline() == b"ready\n"
        try:
            child.wait(timeout=float(rng.uniform(0.05, 0.6)))
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        child.stdout.close()
        if target.exists():
            saves.append(model_info(target)["metadata"]["save"])  # whole, never torn
        assert len([p for p in tmp_path.iterdir() if TEMP_PATTERN.match(p.name)]) <= 1
    assert saves  # some saves completed
    with atomic_write(tmp_path / "other") as f:
        f.write(b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.safetensors", "other"]
