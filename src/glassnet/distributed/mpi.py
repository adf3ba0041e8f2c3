"""Data-parallel training over MPI (``mpi4py``): one network, N processes.

The same script runs as one process or as ``mpiexec -n N python train.py``::

    from glassnet.distributed import DataParallel
    net.fit(X, y, batch_size=256, epochs=10, seed=0, strategy=DataParallel())

How a step is shared, with ``B`` the global batch size the user gave:

1. at the start every rank takes rank 0's weights, non-trainable state,
   optimizer (moments, step count, learning rate), training state (shuffling
   generator, epoch, step, history) and the state of the callbacks it shares
   (a backup restored on rank 0 thus reaches every rank);
2. every rank draws the same shuffled order, and rank ``r`` of ``N`` takes
   rows ``B*r//N .. B*(r+1)//N - 1`` of each global batch (shards may differ
   by one row);
3. after backward each rank scales its batch-mean gradient ``g_r`` by
   ``n_r / B`` (with sample weights: ``w_r / w_batch``, its share of the
   batch's weight) and one all-reduce sums them:
   ``g = sum_r (n_r / B) g_r = (1 / B) sum_i grad l_i``, the one-process mean;
4. every rank applies the same optimizer step to the same gradient.

BatchNorm normalises each shard with that shard's own batch statistics
(as PyTorch's ``DistributedDataParallel`` does without ``SyncBatchNorm``);
its running mean and variance travel in the same all-reduce, averaged with
the same weights, so every rank keeps identical running statistics (the
running variance is the mean of the shards' variances). Dropout draws
its masks from a per-rank stream (rank ``r`` jumps rank 0's generator ``r``
times), so with Dropout or BatchNorm the run is reproducible for a given
number of ranks but is not the one-process run.

Only rank 0 shows progress, validates and runs the callbacks with
``chief_only = True`` (ModelCheckpoint, BackupAndRestore, CSVLogger,
EpochLogger, HealthCheck); the epoch's metrics (training loss and accuracy
over all ranks' rows, rank 0's validation metrics) reach every rank, so
EarlyStopping and ReduceLROnPlateau decide alike everywhere. A checkpoint
holds nothing per rank, so a run backed up on N ranks resumes on M.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import RankDivergenceError
from ..training.step import Strategy
from ._watch import test_all, wait

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["DataParallel", "import_mpi"]


def import_mpi() -> Any:
    """``mpi4py.MPI``, or an ImportError saying what to install."""
    try:
        from mpi4py import MPI
    except ImportError as exc:  # the extra is missing, or the MPI library under it
        raise ImportError("data-parallel training needs mpi4py and an MPI library: "
                          "pip install 'glassnet[mpi]' (mpi4py with the mpich wheel), "
                          f"then run with mpiexec -n N ...; the import failed with: {exc}"
                          ) from exc
    return MPI


class DataParallel(Strategy):
    """Train one network on ``world_size`` MPI processes (see the module docstring).

    Parameters
    ----------
    comm : the MPI communicator (default ``MPI.COMM_WORLD``)
    fused : pack every gradient (and BatchNorm's running statistics) into one
        buffer and all-reduce it once per step (True, measured faster); False
        starts one non-blocking all-reduce per array, in name order
    timeout : seconds a collective may wait for the other ranks before this
        rank stops with ``RankFailureError``; must exceed the longest time rank
        0 spends alone (validation, checkpoints). A dead rank on this machine
        is noticed within about a second whatever the timeout.
    check_weights : compare a checksum of every rank's weights at each epoch
        end and raise ``RankDivergenceError`` if they differ
    abort_on_error : with more than one rank, an exception that ends this
        process (uncaught) prints its traceback, then ``MPI_Abort`` stops every
        rank at once (as ``python -m mpi4py`` does) instead of leaving the
        others waiting for it until ``timeout``
    """

    def __init__(self, comm: Any = None, *, fused: bool = True, timeout: float = 300.0,
                 check_weights: bool = True, abort_on_error: bool = True) -> None:
        MPI = import_mpi()
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = int(self.comm.Get_rank())
        self.world_size = int(self.comm.Get_size())
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.fused = bool(fused)
        self.timeout = float(timeout)
        self.check_weights = bool(check_weights)
        host = socket.gethostname()
        where = self.comm.allgather((host, os.getpid()))
        self.local_peers = [(r, pid) for r, (h, pid) in enumerate(where)
                            if h == host and r != self.rank]
        self.steps = 0
        self._buffer: np.ndarray | None = None
        if abort_on_error and self.world_size > 1:
            previous = sys.excepthook

            def abort_all(kind: Any, value: Any, tb: Any) -> None:
                previous(kind, value, tb)
                self.abort(1)

            sys.excepthook = abort_all

    def abort(self, code: int = 1) -> None:
        """Stop every rank now (``MPI_Abort``): for a rank that cannot go on."""
        sys.stdout.flush()
        sys.stderr.flush()
        # mpiexec forwards each rank's output through its own process; an abort at once
        # can end that forwarding before the message just printed reaches the user
        time.sleep(0.5)
        self.comm.Abort(code)

    def __repr__(self) -> str:
        return (f"DataParallel(rank={self.rank}, world_size={self.world_size}, "
                f"fused={self.fused}, timeout={self.timeout:g})")

    # -- collectives that cannot hang -------------------------------------------
    def _wait(self, requests: list[Any], what: str) -> None:
        wait(test_all(requests), what=what, timeout=self.timeout,
             local_peers=self.local_peers)

    def _sync(self, what: str) -> None:
        """All ranks reach this point (a polled barrier) before a blocking collective."""
        self._wait([self.comm.Ibarrier()], what)

    def broadcast(self, obj: Any, what: str = "a broadcast from rank 0") -> Any:
        """Rank 0's ``obj`` on every rank."""
        self._sync(what)
        return self.comm.bcast(obj, root=0)

    def allgather(self, obj: Any, what: str = "an exchange between the ranks") -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        self._sync(what)
        return list(self.comm.allgather(obj))

    # -- the Strategy ---------------------------------------------------------------
    def on_train_begin(self, network: Network) -> None:
        """Every rank takes rank 0's weights, optimizer, training and callback state."""
        names = [(name, p.shape, str(p.dtype)) for name, p, _ in network.named_parameters()]
        everyone = self.allgather(names, "the check that every rank built the same network")
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                raise ValueError(f"rank {rank} built another network than rank 0: its "
                                 f"parameters are {theirs}, rank 0's are {everyone[0]}; "
                                 "every rank must run the same script on the same data")
        opt, state = network.optimizer, network.training_state
        if opt is None or state is None:
            raise ValueError("DataParallel.on_train_begin is called by fit, after the "
                             "optimizer and training state exist")
        shared = [cb for cb in state.callbacks if not getattr(cb, "chief_only", False)]
        payload = None
        if self.is_chief:
            payload = {"weights": network.get_weights(),
                       "opt": (opt.state, opt.t, opt.lr, dict(opt.steps)),
                       "state": state.to_json(network), "stop": bool(network.stop_training),
                       "callbacks": [cb.get_state() if hasattr(cb, "get_state") else None
                                     for cb in shared]}
        payload = self.broadcast(payload, "rank 0's starting weights and state")
        if not self.is_chief:
            network.set_weights(payload["weights"])
            opt.state, opt.t, opt.lr, opt.steps = payload["opt"]
            state.restore_json(payload["state"], network)
            network.stop_training = payload["stop"]
            for cb, cb_state in zip(shared, payload["callbacks"], strict=True):
                if cb_state is not None:
                    cb.set_state(cb_state)
            for _, layer in network.walk():  # Dropout: an independent stream per rank
                rng = getattr(layer, "rng", None)
                if isinstance(rng, np.random.Generator):
                    jumped = getattr(rng.bit_generator, "jumped", None)
                    if jumped is None:
                        raise ValueError(f"{layer!r} draws from a {type(rng.bit_generator)} "
                                         "generator, which cannot jump to a stream per rank; "
                                         "give it np.random.default_rng(seed) (PCG64)")
                    setattr(layer, "rng", np.random.Generator(jumped(self.rank)))  # noqa: B010
        self._buffer = None

    def shard(self, indices: np.ndarray) -> np.ndarray:
        """Rows ``B*r//N .. B*(r+1)//N - 1`` of the global batch ``indices`` (``B`` rows)."""
        n = indices.shape[0]
        return indices[n * self.rank // self.world_size:n * (self.rank + 1) // self.world_size]

    def reduce_gradients(self, network: Network, n_local: float, n_global: float) -> None:
        """``g <- sum_r (n_r / n_global) g_r`` for every gradient, and the same mean of
        BatchNorm's running statistics, with one all-reduce in name order."""
        scale = n_local / n_global
        arrays = [g for _, _, g in network.named_parameters()]
        arrays += [a for _, a in network.named_state()]
        self.steps += 1
        what = f"the gradient all-reduce of step {self.steps}"
        MPI = self._MPI
        if self.fused and len({a.dtype for a in arrays}) == 1:
            buf = self._fused_buffer(arrays)
            pos = 0
            for a in arrays:
                np.multiply(a.reshape(-1), a.dtype.type(scale), out=buf[pos:pos + a.size])
                pos += a.size
            self._wait([self.comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM)], what)
            pos = 0
            for a in arrays:
                a[...] = buf[pos:pos + a.size].reshape(a.shape)
                pos += a.size
            return
        requests = []
        for a in arrays:
            a *= a.dtype.type(scale)
            requests.append(self.comm.Iallreduce(MPI.IN_PLACE, a, op=MPI.SUM))
        self._wait(requests, what)

    def _fused_buffer(self, arrays: list[np.ndarray]) -> np.ndarray:
        size = sum(a.size for a in arrays)
        buf = self._buffer
        if buf is None or buf.size != size or buf.dtype != arrays[0].dtype:
            buf = self._buffer = np.empty(size, dtype=arrays[0].dtype)
        return buf

    def reduce_metrics(self, values: dict[str, float], n_local: float) -> dict[str, float]:
        """Each metric's mean over the ranks that report it, weighted by their ``n_local``.

        A metric only rank 0 computes (validation) thus reaches every rank as is.
        """
        gathered = self.allgather((dict(values), float(n_local)), "the epoch's metrics")
        out: dict[str, float] = {}
        for key in dict.fromkeys(k for vals, _ in gathered for k in vals):
            pairs = [(vals[key], n) for vals, n in gathered if key in vals and n > 0]
            total = sum(n for _, n in pairs)
            out[key] = sum(v * n for v, n in pairs) / total if total else float("nan")
        return out

    def on_epoch_end(self, network: Network) -> None:
        if self.check_weights:
            self.verify(network)

    def verify(self, network: Network) -> None:
        """Raise ``RankDivergenceError`` unless every rank holds the same weights and state.

        A CRC-32 of each array's bytes (about 1 ms per million numbers) is
        compared across ranks.
        """
        mine = [(name, zlib.crc32(np.ascontiguousarray(a).data))
                for name, a in sorted(network.get_weights().items())]
        everyone = self.allgather(mine, "the weight checksum")
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                names = [n for (n, c), (_, c0) in zip(theirs, everyone[0], strict=True)
                         if c != c0]
                raise RankDivergenceError(
                    f"rank {rank}'s weights differ from rank 0's in {names} after "
                    f"{self.steps} steps: the ranks no longer train the same network "
                    "(different data or code on some rank, or non-deterministic "
                    "arithmetic); stop and rerun with the same script on every rank")
