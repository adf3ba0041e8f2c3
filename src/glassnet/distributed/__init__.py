"""Training beyond one process: data parallelism over MPI, sweeps on Dask.

``DataParallel`` (extra ``mpi``) is a ``glassnet.training.step.Strategy``:
``fit(..., strategy=DataParallel())`` under ``mpiexec -n N``. The sweep
helpers (extra ``dask``) run scikit-learn searches over the glassnet
estimators on a Dask cluster. mpi4py and Dask are imported only when used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataParallel", "bounded_threads", "dask_backend"]


def __getattr__(name: str) -> Any:
    if name == "DataParallel":
        from .mpi import DataParallel

        return DataParallel
    if name in ("bounded_threads", "dask_backend"):
        from . import sweeps

        return getattr(sweeps, name)
    raise AttributeError(f"module 'glassnet.distributed' has no attribute {name!r}")
