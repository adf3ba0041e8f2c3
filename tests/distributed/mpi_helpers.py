"""Helpers for the tests that start ``mpiexec``: where it is, and how to run the script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet

SCRIPT = Path(__file__).with_name("mpi_train.py")


def mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the mpich wheel's), or on PATH; else skip."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install 'glassnet[mpi]')")
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec beside the Python or on PATH (pip install mpich)")
    return found


def mpi_env() -> dict[str, str]:
    """This process's environment, one thread per rank, and this checkout's glassnet."""
    env = dict(os.environ)
    src = str(Path(glassnet.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def run_script(ranks: int | None, *args: str, check: bool = True,
               hang_guard: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``mpi_train.py`` on ``ranks`` ranks (None: plain Python, no mpiexec)."""
    command = [sys.executable, str(SCRIPT), *args]
    if ranks is not None:
        command = [mpiexec(), "-n", str(ranks), *command]
    done = subprocess.run(command, env=mpi_env(), capture_output=True, text=True,
                          timeout=hang_guard)
    if check and done.returncode != 0:
        raise AssertionError(f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done
