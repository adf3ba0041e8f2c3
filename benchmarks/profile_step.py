"""Where one glassnet training step spends its time: ``python -m benchmarks.profile_step``.

Replays ``glassnet.training.loop.fit``'s inner loop (gather, forward per
layer, loss, backward per layer, optimizer step, accuracy count; a BatchNorm
and the ReLU after it as one part, as ``glassnet.layers.chain`` runs them) with a
clock around each part, over a number of batches of Fashion-MNIST, and
prints the time per step of each part beside the matrix products alone (the
NumPy ceiling). ``--cprofile`` instead runs ``Network.fit`` under cProfile.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict


def timed_steps(net, X, y, *, batch_size: int, n_steps: int, seed: int = 0,
                fused: bool | None = None) -> dict[str, float]:
    """Seconds per step of each part of the training step, averaged over ``n_steps``."""
    import numpy as np

    import glassnet
    from glassnet.layers.base import skips_dx
    from glassnet.layers.chain import backward_through, batchnorm_then_relu, forward_through

    opt = glassnet.Adam(1e-3, fused=fused)
    rng = np.random.default_rng(seed)
    parts: dict[str, float] = defaultdict(float)
    passes = []  # (first, last) layer of each pass, as glassnet.layers.chain runs them
    i = 0
    while i < len(net.layers):
        j = i + 1 if batchnorm_then_relu(net.layers, i) else i
        passes.append((i, j))
        i = j + 1

    def name(i: int, j: int) -> str:
        return f"{i} " + "+".join(type(net.layers[k]).__name__ for k in range(i, j + 1))

    first = 0  # as Network.backward: layers that only reshape the data come first,
    while type(net.layers[first]).reshapes_only:  # and nobody needs their dout
        first += 1
    clock = time.perf_counter
    n = X.shape[0]
    order = rng.permutation(n)
    start = 0
    for _ in range(n_steps):
        if start + batch_size > n:
            order, start = rng.permutation(n), 0
        idx = order[start:start + batch_size]
        start += batch_size
        t = clock()
        X_b = X[idx]  # as glassnet.training.loop.fit gathers a batch
        y_b = y[idx]
        parts["gather batch"] += clock() - t
        out = X_b
        for i, j in passes:
            t = clock()
            out = forward_through(net.layers[i:j + 1], out, training=True)
            parts[f"forward  {name(i, j)}"] += clock() - t
        t = clock()
        _, dout = net.loss.loss_and_grad(y_b, out)
        parts["loss and gradient"] += clock() - t
        for i, j in reversed(passes):
            if j < first:
                break
            t = clock()
            if i > first:
                dout = backward_through(net.layers[i:j + 1], dout)
            else:  # as Network.backward: the first layer on its own, after the rest
                dout = backward_through(net.layers[i + 1:j + 1], dout)
                if skips_dx(type(net.layers[i])):  # its dL/dX is not needed
                    net.layers[i].backward_params(dout)
                else:
                    dout = net.layers[i].backward(dout)
            parts[f"backward {name(i, j)}"] += clock() - t
        t = clock()
        opt.step(net.named_parameters(), decay=net.decay_names)
        parts["Adam step"] += clock() - t
        t = clock()
        net.loss.n_correct(out, y_b)
        parts["count correct"] += clock() - t
    return {k: v / n_steps for k, v in parts.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_step", description=__doc__)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=1500, help="steps timed (469 = one epoch)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir")
    p.add_argument("--numpy-adam", action="store_true",
                   help="Adam(fused=False): the NumPy update even when Numba is installed")
    p.add_argument("--numpy-layers", action="store_true",
                   help="fused=False on every layer that has the switch (BatchNorm, ReLU, "
                        "Conv2D, the pools): their NumPy code even when Numba is installed")
    p.add_argument("--cprofile", action="store_true", help="cProfile one epoch of Network.fit")
    p.add_argument("--model", choices=("mlp", "cnn", "lenet5"), default="mlp",
                   help="mlp: 784-256-128-10 (default); cnn: glassnet.models.small_cnn; "
                        "lenet5: glassnet.models.lenet5")
    args = p.parse_args(argv)

    from .machine import set_thread_env

    set_thread_env(args.threads)  # before NumPy is imported

    import glassnet

    from . import data as data_mod
    from .measure import matmul_ceiling
    from .spec import SIZES, train_step_flops

    d = data_mod.load(args.data_dir, n_test=1)
    if args.model == "mlp":
        net = glassnet.mlp(list(SIZES), seed=0)
        step_flops = train_step_flops(args.batch_size)
    else:
        from .cnn import conv_train_step_flops, glassnet_model

        net = glassnet_model(args.model)
        step_flops = conv_train_step_flops(net, args.batch_size)
    fused = False if args.numpy_adam else None
    if args.numpy_layers:
        for layer in net.layers:
            if hasattr(layer, "fused"):
                layer.fused = False
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        net.fit(d.X_train, d.y_train, optimizer=glassnet.Adam(1e-3, fused=fused), epochs=1,
                batch_size=args.batch_size, seed=0, verbose=0)
        prof.disable()
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(20)
        return 0

    timed_steps(net, d.X_train, d.y_train, batch_size=args.batch_size, n_steps=50,
                fused=fused)  # warm-up
    parts = timed_steps(net, d.X_train, d.y_train, batch_size=args.batch_size,
                        n_steps=args.steps, fused=fused)
    total = sum(parts.values())
    ceiling = matmul_ceiling(args.batch_size)
    matmul_s = step_flops / (ceiling["gflops_median"] * 1e9)
    if args.model != "mlp":  # the products at the convolutions' own shapes
        from .cnn import conv_matmul_seconds

        matmul_s = conv_matmul_seconds(net, args.batch_size)
        ceiling = {"gflops_median": step_flops / matmul_s / 1e9}
    from .machine import _git_commit, glassnet_source_digest

    print(f"glassnet {args.model} training step, batch {args.batch_size}, {args.threads} threads, "
          f"{args.steps} steps (the clock calls add ~1 µs per part), "
          f"{'NumPy layers' if args.numpy_layers else 'layers compiled where Numba is'}; "
          f"glassnet at "
          f"{_git_commit(data_mod.REPO_ROOT)}, source digest {glassnet_source_digest()}\n")
    print(f"{'part':<24} {'µs/step':>9} {'share':>7}")
    for name, sec in parts.items():
        print(f"{name:<24} {sec * 1e6:9.1f} {sec / total:7.1%}")
    print(f"{'total':<24} {total * 1e6:9.1f}   -> {args.batch_size / total:,.0f} samples/s")
    print(f"\nthe same matrix products alone, back to back: {matmul_s * 1e6:.1f} µs/step "
          f"({step_flops / 1e6:,.0f} MFLOP at {ceiling['gflops_median']:.1f} GFLOP/s): the step "
          f"is {total / matmul_s:.2f}x that, so {matmul_s / total:.0%} of it is matrix products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
