"""Exact resume across processes: a child process is SIGKILLed at random
moments of training (mid-epoch, mid-save) and rerun until it completes; its
final weights must equal, bit for bit, those of a run never interrupted."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from glassnet._fused import numba_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")]

SRC = Path(__file__).resolve().parents[2] / "src"

# Shuffling, two Dropout layers, a validation split, a warm-up cosine
# schedule (per step), ReduceLROnPlateau and EarlyStopping (callback state):
# everything a resume must restore.
CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import glassnet as gn
    from glassnet._atomic import atomic_write
    from glassnet.datasets import make_moons
    from glassnet.training import (BackupAndRestore, CosineDecay, EarlyStopping,
                                   ReduceLROnPlateau)

    import time
    import glassnet._atomic

    # Say when a save is about to rename its finished temporary file, and
    # linger there a moment, so that the parent can kill mid-save on purpose.
    real_commit = glassnet._atomic.commit

    def announced_commit(f, temp, final):
        print("saving", flush=True)
        time.sleep(0.01)
        real_commit(f, temp, final)

    glassnet._atomic.commit = announced_commit
    backup, out, fused = sys.argv[1], sys.argv[2], sys.argv[3] == "fused"
    X, y = make_moons(800, noise=0.25, seed=0)
    net = gn.Network([gn.Dense(2, 192, seed=0), gn.ReLU(), gn.Dropout(0.2),
                      gn.Dense(192, 192, seed=1), gn.ReLU(), gn.Dropout(0.2),
                      gn.Dense(192, 2, seed=2)])
    callbacks = [CosineDecay(3e-3, total_steps=10 * 40, warmup_steps=40),
                 ReduceLROnPlateau("val_loss", patience=1, factor=0.5),
                 EarlyStopping("val_loss", patience=100)]
    if backup != "-":
        callbacks.append(BackupAndRestore(backup))
    if fused:  # load the compiled kernel now, so the kills below land in training
        gn.Adam(fused=True).step(np.zeros(1, np.float32), np.zeros(1, np.float32))
    print("training", flush=True)
    net.fit(X, y, optimizer=gn.Adam(fused=fused), epochs=10, batch_size=16, seed=0,
            validation_split=0.2, callbacks=callbacks, verbose=0)
    with atomic_write(out) as f:
        np.savez(f, **net.get_weights())
""")

KILLS_PER_VARIANT = 10
KILLS_PER_ROUND = 4


def _env():
    # one BLAS thread: on a busy machine threads fighting for cores slow the
    # child many times over (the results do not depend on it)
    return {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _start(script, backup, out, fused):
    return subprocess.Popen([sys.executable, str(script), str(backup), str(out), fused],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
                            text=True)


def _weights(path):
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def _kill_and_resume(tmp_path, fused, rng):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    reference = tmp_path / f"reference-{fused}.npz"
    child = _start(script, "-", reference, fused)
    assert child.stdout.readline() == "training\n"
    began = time.perf_counter()
    _, err = child.communicate(timeout=120)
    train_time = time.perf_counter() - began
    assert child.returncode == 0, err
    expected = _weights(reference)

    kills = runs = mid_save = rounds = exit_kills = 0
    identical = []
    while kills < KILLS_PER_VARIANT:
        rounds += 1
        backup, out = tmp_path / f"backup-{fused}-{rounds}", tmp_path / f"out-{fused}-{rounds}.npz"
        round_kills = 0
        while True:
            runs += 1
            assert runs < 200, "the run never completed"
            child = _start(script, backup, out, fused)
            assert child.stdout.readline() == "training\n", child.stderr.read()
            if round_kills == KILLS_PER_ROUND:  # then let the run complete, and compare
                _, err = child.communicate(timeout=120)
                assert child.returncode == 0, err
                break
            if rng.random() < 0.3:  # aim at a save: kill between its write and its rename
                for _ in range(rng.integers(1, 4)):
                    if child.stdout.readline() != "saving\n":
                        break
                time.sleep(rng.uniform(0.0, 0.008))
            else:
                time.sleep(rng.uniform(0.0, 0.7 * train_time))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.communicate()  # reaps it and closes the pipes
                if out.exists():  # killed while exiting, after training had ended
                    exit_kills += 1
                    break
                kills += 1
                round_kills += 1
                mid_save += any(backup.glob(".gn-*.tmp"))
                continue
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            break
        assert not (backup / "backup.safetensors").exists()  # deleted after a normal end
        got = _weights(out)
        identical.append(got.keys() == expected.keys()
                         and all(np.array_equal(got[k], expected[k]) for k in expected))
    return {"kills": kills, "runs": runs, "rounds": rounds, "mid_save": mid_save,
            "killed_while_exiting": exit_kills,
            "identical": identical}


@pytest.mark.parametrize("fused", ["numpy", "fused"])
def test_sigkilled_runs_resume_bit_identical(tmp_path, fused):
    if fused == "fused" and not numba_available():
        pytest.skip("Adam(fused=True) needs Numba (the 'fast' extra), which is not installed")
    rng = np.random.default_rng(2026 if fused == "numpy" else 2027)
    figures = _kill_and_resume(tmp_path, fused, rng)
    print(f"\n{fused}: {figures}")
    assert figures["kills"] >= KILLS_PER_VARIANT
    assert all(figures["identical"]), figures
