"""What the numbers were measured on: CPU, cores, library versions, BLAS, threads."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def set_thread_env(threads: int) -> None:
    """Fix every native thread pool's size; must run before NumPy/PyTorch are imported."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _blas() -> str:
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - older NumPy has no mode="dicts"
        return "unknown"


def _git_commit(repo: Path) -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=repo,
                               capture_output=True, text=True).stdout.strip()
        return head + (" (src/ has uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def glassnet_source_digest() -> str:
    """A short hash of the imported glassnet package's .py files.

    The engine is edited while benchmarks run; each run records this so that
    runs measuring different code are noticed (see summary.summarise).
    """
    import glassnet

    root = Path(glassnet.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def describe(repo: Path) -> dict[str, Any]:
    """A JSON-able description of the machine and software."""
    import numpy as np

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "cpus_usable": affinity,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "torch": _version("torch"),
        "scikit-learn": _version("scikit-learn"),
        "glassnet": _version("glassnet"),
        "glassnet_commit": _git_commit(repo),
        "glassnet_source": glassnet_source_digest(),
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "loadavg_start": os.getloadavg()[0],
    }
