"""A training script run by the distributed tests, under ``mpiexec -n N`` or alone.

It trains a 2-32-2 network on moons and rank 0 writes the final weights
(and the history) to ``--out`` as ``.npz``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import numpy as np

import glassnet as gn
from glassnet.training import BackupAndRestore, Callback, EarlyStopping


class KillAt(Callback):
    """SIGKILL this process at the end of epoch ``epoch`` (after the backup is written)."""

    def __init__(self, rank: int, epoch: int) -> None:
        self.rank, self.epoch = rank, epoch

    def on_epoch_end(self, network: gn.Network, epoch: int, logs: dict[str, float]) -> None:
        strategy_rank = int(os.environ.get("PMI_RANK", "0"))
        if strategy_rank == self.rank and epoch == self.epoch:
            print(f"killing rank {self.rank} after epoch {epoch}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


class Perturb(Callback):
    """Rank ``rank`` nudges one weight at the start of epoch 2: the ranks diverge."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def on_epoch_begin(self, network: gn.Network, epoch: int) -> None:
        if int(os.environ.get("PMI_RANK", "0")) == self.rank and epoch == 2:
            network.parameters["0.W"][0, 0] += 1e-3


class Stall(Callback):
    """Rank ``rank`` stops answering (sleeps 60 s) at the start of epoch 2."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def on_epoch_begin(self, network: gn.Network, epoch: int) -> None:
        if int(os.environ.get("PMI_RANK", "0")) == self.rank and epoch == 2:
            time.sleep(60)


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--single", action="store_true", help="no strategy: one process")
    p.add_argument("--weights", action="store_true", help="random sample weights")
    p.add_argument("--batchnorm", action="store_true")
    p.add_argument("--per-array", action="store_true")
    p.add_argument("--backup")
    p.add_argument("--kill-rank", type=int)
    p.add_argument("--kill-epoch", type=int)
    p.add_argument("--validation", action="store_true")
    p.add_argument("--all-ranks", action="store_true", help="every rank writes out.rankR.npz")
    p.add_argument("--mapped", action="store_true",
                   help="X as MappedRows; every rank writes how many rows it read")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--stall-rank", type=int, help="this rank sleeps 60 s at epoch 2")
    p.add_argument("--perturb-rank", type=int, help="this rank nudges a weight at epoch 2")
    args = p.parse_args(argv)

    X, y = gn.datasets.make_moons(args.n, noise=0.2, seed=0)
    rows_read = [0]
    if args.mapped:
        from glassnet.datasets.mapped import MappedRows

        def read(idx: np.ndarray, table: np.ndarray = X) -> np.ndarray:
            rows_read[0] += idx.size
            return table[idx]

        X = MappedRows(read, X.shape, scale="none")  # type: ignore[assignment]
    layers: list[gn.Layer] = [gn.Dense(2, 32, seed=1)]
    if args.batchnorm:
        layers.append(gn.BatchNorm())
    layers += [gn.ReLU(), gn.Dense(32, 2, seed=2)]
    net = gn.Network(layers)
    strategy = None
    if not args.single:
        from glassnet.distributed import DataParallel

        strategy = DataParallel(fused=not args.per_array, timeout=args.timeout)
    weights = np.random.default_rng(3).uniform(0, 2, args.n) if args.weights else None
    callbacks: list[Callback] = []
    if args.kill_rank is not None:
        callbacks.append(KillAt(args.kill_rank, args.kill_epoch))
    if args.validation:
        callbacks.append(EarlyStopping("val_loss", patience=2))
    if args.stall_rank is not None:
        callbacks.append(Stall(args.stall_rank))
    if args.perturb_rank is not None:
        callbacks.append(Perturb(args.perturb_rank))
    if args.backup:
        callbacks.append(BackupAndRestore(args.backup))
    history = net.fit(X, y, optimizer=gn.Adam(lr=0.01), epochs=args.epochs,
                      batch_size=args.batch_size, seed=7, sample_weight=weights,
                      validation_split=0.2 if args.validation else 0.0,
                      callbacks=callbacks, verbose=0, strategy=strategy)
    rank = 0 if strategy is None else strategy.rank
    if args.all_ranks:
        np.savez(f"{args.out}.rank{rank}.npz", **net.get_weights(), rows_read=rows_read[0])
    if rank == 0:
        np.savez(args.out, **net.get_weights(),
                 **{f"history/{k}": np.asarray(v) for k, v in history.history.items()})


if __name__ == "__main__":
    main(sys.argv[1:])
