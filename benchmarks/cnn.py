"""Convolutional networks against PyTorch: ``python -m benchmarks.cnn``.

The small CNN (``glassnet.models.small_cnn``: two conv-BN-ReLU-pool blocks and
a dense head) and LeNet-5 (``glassnet.models.lenet5``, tanh), each trained by
glassnet and by the same architecture in PyTorch (``nn.Sequential``,
``CrossEntropyLoss``, ``torch.optim.Adam``), at batch 128 on Fashion-MNIST
with the same thread count. Every run is its own process; runs are
interleaved (repeat 1 runs every task once, repeat 2 again in a rotated
order), so a burst of load on a shared machine spreads over all of them.
Each run reports training samples per second over ``--steps`` steps after
five warm-up steps, and its peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

MODELS = ("cnn", "lenet5")
FRAMEWORKS = ("glassnet", "torch")
BATCH = 128


def conv_train_step_flops(net: Any, batch_size: int) -> int:
    """Matrix-product FLOPs of one training step of a glassnet network with Conv2D layers.

    For a Conv2D with ``rows = B * h_out * w_out`` and ``K = kh * kw * c_in``:
    forward ``2 rows K c_out``, ``dW`` the same, ``dcols`` the same (not for the
    first layer); for a Dense, the same with ``rows = B`` and ``K = n_in``.
    """
    from glassnet.layers import Conv2D, Dense

    flops, shape = 0, net.input_shape
    for i, layer in enumerate(net.layers):
        out = layer.output_shape(shape)
        if isinstance(layer, Conv2D):
            kh, kw, c_in, c_out = layer.params["W"].shape
            one = 2 * batch_size * out[0] * out[1] * kh * kw * c_in * c_out
        elif isinstance(layer, Dense):
            one = 2 * batch_size * layer.n_in * layer.n_out
        else:
            one = 0
        flops += one * (2 if i == 0 else 3)
        shape = out
    return flops


def conv_matmul_seconds(net: Any, batch_size: int, repeats: int = 20) -> float:
    """Seconds of only the matrix products of one training step, at their real shapes.

    For each Conv2D and Dense: ``cols @ W``, ``cols.T @ dout`` and (but for the
    first layer) ``dout @ W.T``, float32, into preallocated outputs, back to
    back; the median over ``repeats`` steps.
    """
    import numpy as np

    from glassnet.layers import Conv2D, Dense

    rng = np.random.default_rng(0)
    products = []
    shape = net.input_shape
    for i, layer in enumerate(net.layers):
        out = layer.output_shape(shape)
        if isinstance(layer, Conv2D | Dense):
            W = layer.params["W"]
            K, F = int(np.prod(W.shape[:-1])), W.shape[-1]
            rows = batch_size * (out[0] * out[1] if isinstance(layer, Conv2D) else 1)
            a = rng.standard_normal((rows, K), dtype=np.float32)
            w = rng.standard_normal((K, F), dtype=np.float32)
            g = rng.standard_normal((rows, F), dtype=np.float32)
            products.append((a, w, np.empty((rows, F), np.float32)))
            products.append((a.T, g, np.empty((K, F), np.float32)))
            if i:
                products.append((g, w.T, np.empty((rows, K), np.float32)))
        shape = out
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for a, b, c in products:
            np.dot(a, b, out=c)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def glassnet_model(name: str) -> Any:
    import glassnet

    return glassnet.models.lenet5(seed=0) if name == "lenet5" \
        else glassnet.models.small_cnn(seed=0)


def torch_model(name: str) -> Any:
    """The same architecture in PyTorch (NCHW inside; the same counts of weights)."""
    from torch import nn

    if name == "lenet5":
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(),
            nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(model: str, framework: str, steps: int, data_dir: str | None) -> dict[str, Any]:
    """One run: train ``5 + steps`` batches, time the last ``steps``."""
    import numpy as np

    from . import data as data_mod

    d = data_mod.load(data_dir, n_train=(steps + 5) * BATCH, n_test=1)
    X, y = d.X_train, d.y_train
    if framework == "glassnet":
        import glassnet

        net = glassnet_model(model)
        opt = glassnet.Adam(1e-3)
        net.fit(X[:5 * BATCH], y[:5 * BATCH], optimizer=opt, epochs=1, batch_size=BATCH,
                shuffle=False, seed=0, verbose=0)
        start = time.perf_counter()
        net.fit(X[5 * BATCH:], y[5 * BATCH:], epochs=1, batch_size=BATCH, seed=0, verbose=0)
        elapsed = time.perf_counter() - start
        version = glassnet.__version__
    else:
        import torch

        torch.manual_seed(0)
        net = torch_model(model)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        order = torch.randperm(Xt.shape[0] - 5 * BATCH) + 5 * BATCH
        net.train()
        start = 0.0
        for step in range(steps + 5):
            if step == 5:
                start = time.perf_counter()
            idx = order[(step - 5) * BATCH:(step - 4) * BATCH] if step >= 5 \
                else torch.arange(step * BATCH, (step + 1) * BATCH)
            opt.zero_grad()
            loss_fn(net(Xt[idx]), yt[idx]).backward()
            opt.step()
        elapsed = time.perf_counter() - start
        version = torch.__version__
    return {"model": model, "framework": framework, "version": version,
            "samples_per_s": steps * BATCH / elapsed, "peak_rss_mib": _peak_rss_mib(),
            "threads": os.environ.get("OMP_NUM_THREADS"), "numpy": np.__version__}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cnn", description=__doc__)
    p.add_argument("--steps", type=int, default=100, help="timed steps per run (batch 128)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--data-dir")
    p.add_argument("--child", nargs=2, metavar=("MODEL", "FRAMEWORK"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    from .machine import set_thread_env

    set_thread_env(args.threads)  # before NumPy or PyTorch is imported, here and in children
    if args.child:
        print(json.dumps(child(*args.child, args.steps, args.data_dir)))
        return 0
    tasks = [(m, f) for m in args.models.split(",") for f in FRAMEWORKS]
    results: dict[tuple[str, str], list[dict[str, Any]]] = {t: [] for t in tasks}
    for r in range(args.repeats):
        for model, framework in tasks[r % len(tasks):] + tasks[:r % len(tasks)]:
            cmd = [sys.executable, "-m", "benchmarks.cnn", "--child", model, framework,
                   "--steps", str(args.steps), "--threads", str(args.threads)]
            if args.data_dir:
                cmd += ["--data-dir", args.data_dir]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                print(f"{model}/{framework} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            results[(model, framework)].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"batch {BATCH}, {args.threads} threads, {args.steps} timed steps, median of "
          f"{args.repeats} interleaved runs\n")
    print(f"{'model':<8} {'framework':<10} {'samples/s':>10} {'peak RSS MiB':>13}")
    for model in args.models.split(","):
        rates = {}
        for framework in FRAMEWORKS:
            runs = results[(model, framework)]
            if not runs:
                continue
            rates[framework] = statistics.median(r["samples_per_s"] for r in runs)
            rss = max(r["peak_rss_mib"] for r in runs)
            print(f"{model:<8} {framework + ' ' + runs[0]['version']:<22} "
                  f"{rates[framework]:>10,.0f} {rss:>13,.0f}")
        if len(rates) == 2:
            ratio = rates["glassnet"] / rates["torch"]
            print(f"{model:<8} glassnet / torch throughput: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
