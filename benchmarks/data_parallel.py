"""Data parallelism on one machine: 2 MPI ranks x 1 thread against 1 process x 2 threads.

(and 1 process x 1 thread, the reference for both).

Both train 784-256-128-10 (ReLU, softmax cross-entropy, Adam 1e-3) on
Fashion-MNIST with the same global batch (256), seed and number of epochs,
and report training throughput (samples/s, data loading excluded) and test
accuracy. A third measurement times the gradient all-reduce of this network
on 2 ranks, one fused buffer against one request per array. The runs are
interleaved over ``--repeats``; the background load is printed beside them.

    python -m benchmarks.data_parallel --epochs 3 --repeats 2

Needs the ``mpi`` extra (mpi4py and the mpich wheel's ``mpiexec``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .measure import background_cores
from .spec import SIZES

HERE = Path(__file__).resolve().parent


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        env[name] = str(threads)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, str(HERE.parent),
                                                    env.get("PYTHONPATH")) if p)
    return env


def _mpiexec() -> str:
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("no mpiexec found: pip install 'glassnet[mpi]'")
    return found


def worker(args: argparse.Namespace) -> None:
    """One training run (under mpiexec when --data-parallel); rank 0 prints a JSON line."""
    import glassnet as gn
    from benchmarks.data import load

    data = load(args.data_dir)
    net = gn.models.mlp(list(SIZES), activation="relu", seed=0)
    strategy = None
    if args.data_parallel:
        from glassnet.distributed import DataParallel

        strategy = DataParallel()
    start = time.perf_counter()
    net.fit(data.X_train, data.y_train, optimizer=gn.Adam(1e-3), epochs=args.epochs,
            batch_size=256, seed=0, verbose=0, strategy=strategy)
    seconds = time.perf_counter() - start
    if strategy is None or strategy.is_chief:
        scores = net.evaluate(data.X_test, data.y_test)
        print(json.dumps({"samples_per_s": args.epochs * data.X_train.shape[0] / seconds,
                          "seconds": seconds, "test_accuracy": scores["accuracy"]}))


def allreduce_timing(args: argparse.Namespace) -> None:
    """Under mpiexec -n 2: median seconds of one gradient all-reduce, fused and per array."""
    import glassnet as gn
    from glassnet.distributed import DataParallel

    net = gn.models.mlp(list(SIZES), activation="relu", seed=0)
    net.build((SIZES[0],))
    for _, _, grad in net.named_parameters():
        grad[...] = 1.0
    fused, per_array = DataParallel(fused=True), DataParallel(fused=False)
    times: dict[str, list[float]] = {"fused": [], "per_array": []}
    for _ in range(args.calls):
        for name, strategy in (("fused", fused), ("per_array", per_array)):
            fused.allgather(None)  # start together
            t0 = time.perf_counter()
            strategy.reduce_gradients(net, 128, 256)
            times[name].append(time.perf_counter() - t0)
    if fused.is_chief:
        n_bytes = sum(g.nbytes for _, _, g in net.named_parameters())
        print(json.dumps({"gradient_bytes": n_bytes, "arrays": len(net.named_parameters()),
                          **{k: float(np.median(v)) for k, v in times.items()}}))


def _run(command: list[str], threads: int) -> dict[str, float]:
    done = subprocess.run(command, env=_env(threads), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--calls", type=int, default=200, help="all-reduce timings per variant")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--data-parallel", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--allreduce", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.allreduce:
        return allreduce_timing(args)
    me = [sys.executable, "-m", "benchmarks.data_parallel", "--epochs", str(args.epochs)]
    if args.data_dir:
        me += ["--data-dir", args.data_dir]
    rows: list[tuple[str, dict[str, float], float]] = []
    for _ in range(args.repeats):
        busy = background_cores(1.0)
        rows.append(("1 process x 2 threads", _run([*me, "--worker"], 2), busy))
        busy = background_cores(1.0)
        rows.append(("1 process x 1 thread", _run([*me, "--worker"], 1), busy))
        busy = background_cores(1.0)
        rows.append(("2 ranks x 1 thread", _run([_mpiexec(), "-n", "2", *me, "--worker",
                                                  "--data-parallel"], 1), busy))
    print(f"784-256-128-10 on Fashion-MNIST, global batch 256, {args.epochs} epochs, Adam 1e-3")
    print("| run | samples/s | test accuracy | other processes' cores before the run |")
    print("| --- | ---: | ---: | ---: |")
    for name, r, busy in rows:
        print(f"| {name} | {r['samples_per_s']:,.0f} | {r['test_accuracy']:.4f} | {busy:.1f} |")
    reduce = _run([_mpiexec(), "-n", "2", sys.executable, "-m", "benchmarks.data_parallel",
                   "--allreduce", "--calls", str(args.calls)], 1)
    print(f"\nall-reduce of {reduce['gradient_bytes'] / 1e6:.2f} MB of gradients "
          f"({int(reduce['arrays'])} arrays), 2 ranks, median of {args.calls}: "
          f"fused {reduce['fused'] * 1e3:.3f} ms, per array {reduce['per_array'] * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
