"""``mpiexec -n 2 glassnet train ... --data-parallel``: rank 0 alone prints and writes -o."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mpi_helpers import mpi_env, mpiexec

import glassnet as gn
from glassnet.distributed.mpi import import_mpi


@pytest.mark.slow
def test_the_cli_trains_on_two_ranks_like_one_process(tmp_path: Path) -> None:
    train = [sys.executable, "-m", "glassnet", "train", "moons", "--epochs", "5"]
    two = subprocess.run([mpiexec(), "-n", "2", *train, "--data-parallel", "-o", "two.safetensors"],
                         cwd=tmp_path, env=mpi_env(), capture_output=True, text=True,
                         timeout=300)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("model saved to two.safetensors") == 1  # rank 0 only
    assert two.stdout.count("epoch 5/5") == 1
    one = subprocess.run([*train, "-o", "one.safetensors"], cwd=tmp_path, env=mpi_env(),
                         capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr
    a = gn.io.load(tmp_path / "two.safetensors").get_weights()
    b = gn.io.load(tmp_path / "one.safetensors").get_weights()
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 1e-5


@pytest.mark.slow
def test_an_error_on_the_cli_stops_every_rank(tmp_path: Path) -> None:
    done = subprocess.run([mpiexec(), "-n", "2", sys.executable, "-m", "glassnet", "train",
                           str(tmp_path / "missing.csv"), "--data-parallel"],
                          cwd=tmp_path, env=mpi_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert "glassnet train: error:" in done.stderr
    assert "missing.csv" in done.stderr


def test_without_mpi4py_the_message_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[mpi\]'"):
        import_mpi()


def test_data_parallel_refuses_the_book_loop(capsys) -> None:
    from glassnet.cli import main

    assert main(["train", "moons", "--book", "--data-parallel"]) == 1
    assert "--book trains the book's one-sample loop in one process" in capsys.readouterr().err
