"""Training beyond one process: data parallelism over MPI, sweeps on Dask.

``DataParallel`` (extra ``mpi``) is a ``glassnet.training.step.Strategy``:
``fit(..., strategy=DataParallel())`` under ``mpiexec -n N``. ``ThreadLimited``
(extras ``sklearn``/``dask``) bounds the threads of each trial of a
scikit-learn or dask-ml search over the glassnet estimators. mpi4py,
scikit-learn and Dask are imported only when used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataParallel", "ThreadLimited"]


def __getattr__(name: str) -> Any:
    if name == "DataParallel":
        from .mpi import DataParallel

        return DataParallel
    if name == "ThreadLimited":
        from .sweeps import ThreadLimited

        return ThreadLimited
    raise AttributeError(f"module 'glassnet.distributed' has no attribute {name!r}")
