"""Measuring tools shared by the runners: clocks, latency, memory, the matmul ceiling."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np

from .spec import MIB, SIZES, train_step_flops


class EpochClock:
    """Times training epochs, excluding the test evaluation done at each epoch end.

    A runner calls ``start()`` just before its first batch and ``epoch_end()``
    after each epoch's last optimizer step. ``epoch_end`` reads the clock,
    then evaluates (untimed) and restarts the clock.

    Parameters
    ----------
    evaluate : returns the test accuracy of the model as it is now
    n_train : training samples per epoch
    """

    def __init__(self, evaluate: Callable[[], float], n_train: int) -> None:
        self.evaluate = evaluate
        self.n_train = n_train
        self.epochs: list[dict[str, float]] = []
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.perf_counter()

    def epoch_end(self) -> None:
        train_s = time.perf_counter() - self._t0
        t_eval = time.perf_counter()
        accuracy = float(self.evaluate())
        self.epochs.append({"train_s": train_s, "test_accuracy": accuracy,
                            "eval_s": time.perf_counter() - t_eval})
        self._t0 = time.perf_counter()


def median_call_seconds(fn: Callable[[], object], n_calls: int, n_warmup: int = 20) -> float:
    """Median wall time of ``n_calls`` separately timed calls of ``fn``, after a warm-up."""
    for _ in range(n_warmup):
        fn()
    times = []
    for _ in range(n_calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def memory_mib() -> dict[str, float]:
    """Resident set now (VmRSS), its peak (VmHWM) and ``ru_maxrss``, in MiB."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024 / MIB
    except OSError:
        pass
    out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB  # KiB
    return out


def loadavg() -> float | None:
    """The 1-minute load average, a hint of how busy the shared machine was."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def matmul_ceiling(batch_size: int, *, sizes: tuple[int, ...] = SIZES,
                   chunks: int = 5, chunk_seconds: float = 0.2) -> dict[str, float]:
    """GFLOP/s of only the matrix products of one training step, run back to back.

    The products are those of ``spec.train_step_flops`` (forward, weight
    gradients, input gradients of layers 2..), in float32 with NumPy, into
    preallocated outputs, with the transposes the backward pass uses. This is
    what the BLAS gives for these shapes on this machine and thread count:
    the most a NumPy training step could reach.

    Returns the median and best GFLOP/s over ``chunks`` runs of about
    ``chunk_seconds`` each.
    """
    rng = np.random.default_rng(0)
    f32 = np.float32
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    Ws = [rng.standard_normal((a, b), dtype=f32) for a, b in pairs]
    acts = [rng.standard_normal((batch_size, a), dtype=f32) for a, _ in pairs]
    outs = [np.empty((batch_size, b), dtype=f32) for _, b in pairs]
    douts = [rng.standard_normal((batch_size, b), dtype=f32) for _, b in pairs]
    dWs = [np.empty_like(W) for W in Ws]
    dxs = [np.empty((batch_size, a), dtype=f32) for a, _ in pairs]

    def step() -> None:
        for x, W, out in zip(acts, Ws, outs, strict=True):
            np.matmul(x, W, out=out)
        for x, d, dW in zip(acts, douts, dWs, strict=True):
            np.matmul(x.T, d, out=dW)
        for d, W, dx in list(zip(douts, Ws, dxs, strict=True))[1:]:
            np.matmul(d, W.T, out=dx)

    for _ in range(5):
        step()
    flops = train_step_flops(batch_size, sizes)
    rates = []
    for _ in range(chunks):
        steps, t = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t) < chunk_seconds:
            step()
            steps += 1
        rates.append(flops * steps / elapsed / 1e9)
    return {"batch_size": batch_size, "gflops_median": statistics.median(rates),
            "gflops_best": max(rates), "chunk_seconds": chunk_seconds}


def thread_pools() -> list[dict[str, object]]:
    """The native thread pools loaded in this process and their sizes (needs threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"api": p.get("internal_api"), "threads": p.get("num_threads"),
             "library": os.path.basename(str(p.get("filepath", "")))}
            for p in threadpool_info()]


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot, all CPUs (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU seconds used by this process's finished children."""
    t = os.times()
    return t.children_user + t.children_system


def background_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by other processes over ``seconds``, while this one sleeps."""
    b0 = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - b0) / seconds
