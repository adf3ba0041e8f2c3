"""Convolutional networks against PyTorch: the ``cnn`` tasks of ``python -m benchmarks``.

The small CNN (``glassnet.models.small_cnn``: two conv-BN-ReLU-pool blocks and
a dense head) and LeNet-5 (``glassnet.models.lenet5``, tanh), each trained by
glassnet and by the same architecture in PyTorch (``nn.Sequential``,
``CrossEntropyLoss``, ``torch.optim.Adam``), at batch 128 on Fashion-MNIST
with the same thread count. The suite runs each in its own worker process,
interleaved with the other tasks (``--only cnn`` selects these alone). A run
trains five untimed warm-up steps (Numba compiles its kernels there), then
times ``--cnn-steps`` steps; it reports training samples per second, peak
resident memory (VmHWM) and, for glassnet, the share of the step that its
matrix products alone take at the same shapes.

``python -m benchmarks.cnn`` is ``python -m benchmarks --only cnn`` with the
options it has always had (``--steps``, ``--models``); any other option of
``python -m benchmarks`` passes through.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from .spec import LR

MODELS = ("cnn", "lenet5")
FRAMEWORKS = ("glassnet", "torch")
BATCH = 128
WARMUP_STEPS = 5  # untimed; glassnet compiles its Numba kernels in these
_MAKERS = {"cnn": "small_cnn", "lenet5": "lenet5"}


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

    return getattr(glassnet.models, _MAKERS[name])(seed=0)


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


def _train_glassnet(task: dict[str, Any], X: Any, y: Any) -> tuple[Any, float, str]:
    """Warm up (Numba compiles here), then time ``task["steps"]`` batches of ``fit``."""
    import glassnet

    from .measure import EpochClock
    from .runners.run_glassnet import ClockCallback

    net = glassnet_model(task["model"])
    n_warm = WARMUP_STEPS * BATCH
    net.fit(X[:n_warm], y[:n_warm], optimizer=glassnet.Adam(LR), epochs=1, batch_size=BATCH,
            shuffle=False, seed=0, verbose=0)
    clock = EpochClock(lambda: float("nan"), X.shape[0] - n_warm)  # no test accuracy here
    # the clock starts at on_train_begin, after fit's one-off input checks
    net.fit(X[n_warm:], y[n_warm:], epochs=1, batch_size=BATCH, seed=task["seed"], verbose=0,
            callbacks=[ClockCallback(clock)])
    note = (f"glassnet {glassnet.__version__}: models.{_MAKERS[task['model']]}(seed=0), "
            f"Network.fit(shuffle=True, verbose=0), Adam {LR:g}")
    return net, clock.epochs[0]["train_s"], note


def _train_torch(task: dict[str, Any], X: Any, y: Any) -> tuple[Any, float, str]:
    """The same steps in a plain PyTorch loop: indexing, zero_grad, forward, backward, step."""
    import torch

    from .measure import EpochClock

    torch.set_num_threads(task["threads"])
    torch.manual_seed(task["seed"])
    net = torch_model(task["model"])
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)  # share memory, no copy
    n_warm = WARMUP_STEPS * BATCH
    warm = [torch.arange(i, i + BATCH) for i in range(0, n_warm, BATCH)]
    order = torch.randperm(Xt.shape[0] - n_warm) + n_warm
    timed = [order[i:i + BATCH] for i in range(0, order.shape[0], BATCH)]
    clock = EpochClock(lambda: float("nan"), order.shape[0])
    net.train()
    for step, idx in enumerate(warm + timed):
        if step == len(warm):
            clock.start()
        opt.zero_grad()
        loss_fn(net(Xt[idx]), yt[idx]).backward()
        opt.step()
    clock.epoch_end()
    note = (f"torch {torch.__version__}: nn.Sequential twin, CrossEntropyLoss, "
            f"torch.optim.Adam {LR:g}, {torch.get_num_threads()} intra-op threads")
    return net, clock.epochs[0]["train_s"], note


def train_task(task: dict[str, Any]) -> dict[str, Any]:
    """One run in the worker process: ``WARMUP_STEPS`` untimed steps, then ``task["steps"]``.

    Parameters
    ----------
    task : the suite's config: ``model`` (``"cnn"`` or ``"lenet5"``), ``framework``
        (``"glassnet"`` or ``"torch"``), ``steps``, ``matmul_repeats``, ``seed``,
        ``threads``, ``data_dir``

    Returns
    -------
    dict
        ``samples_per_s`` (timed steps * 128 / seconds), ``step_s``, the memory
        after import, data and training (MiB) and, for glassnet, ``matmul_s``: the
        same step's matrix products alone (``conv_matmul_seconds``), and their
        ``matmul_share`` of the step.
    """
    from . import data as data_mod
    from .measure import memory_mib

    steps, framework = task["steps"], task["framework"]
    if framework == "torch":
        import torch  # noqa: F401 - imported before the memory reading, as glassnet is
    else:
        import glassnet  # noqa: F401
    mem_import = memory_mib()
    n_rows = (WARMUP_STEPS + steps) * BATCH
    d = data_mod.load(task["data_dir"], n_train=n_rows, n_test=1)
    if d.X_train.shape[0] < n_rows:
        raise ValueError(f"{steps} timed steps need {n_rows:,} training samples "
                         f"({WARMUP_STEPS} warm-up steps included) at batch {BATCH}; "
                         f"the data have {d.X_train.shape[0]:,}: ask for fewer --cnn-steps")
    mem_data = memory_mib()
    train = _train_torch if framework == "torch" else _train_glassnet
    net, seconds, note = train(task, d.X_train, d.y_train)
    mem_trained = memory_mib()  # before the products are timed, which allocate their own
    result: dict[str, Any] = {
        "kind": "cnn", "model": task["model"], "framework": framework, "batch_size": BATCH,
        "steps": steps, "warmup_steps": WARMUP_STEPS, "train_s": seconds,
        "step_s": seconds / steps, "samples_per_s": steps * BATCH / seconds,
        "data_source": d.source, "notes": [note],
        "memory": {"after_import": mem_import, "after_data": mem_data,
                   "after_training": mem_trained},
    }
    if framework == "glassnet":
        matmul_s = conv_matmul_seconds(net, BATCH, repeats=task["matmul_repeats"])
        result.update(matmul_s=matmul_s, matmul_share=matmul_s / result["step_s"],
                      flops_per_step=conv_train_step_flops(net, BATCH))
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.cnn``: ``python -m benchmarks --only cnn`` under its old options.

    Other options (``--quick``, ``--baseline SRC``, ``--report``, ...) pass through.
    """
    p = argparse.ArgumentParser(prog="python -m benchmarks.cnn", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, help="timed steps per run, batch 128 (default 100)")
    p.add_argument("--models", default=",".join(MODELS),
                   help=f"comma-separated, of {', '.join(MODELS)} (default: both)")
    args, rest = p.parse_known_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        p.error(f"--models: unknown {', '.join(unknown) or 'empty list'}; "
                f"choose from {', '.join(MODELS)}")
    tasks = [f"{m}-{f}-b{BATCH}" for m in models for f in FRAMEWORKS]
    forwarded = ["--only", ",".join(tasks)] + rest
    if args.steps is not None:
        forwarded += ["--cnn-steps", str(args.steps)]
    from .__main__ import main as run_benchmarks

    return run_benchmarks(forwarded)


if __name__ == "__main__":
    sys.exit(main())
