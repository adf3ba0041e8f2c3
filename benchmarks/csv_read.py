"""How long reading the book's 60,000-line ``mnist_train.csv`` takes, against ``np.loadtxt``.

    python -m benchmarks.csv_read [--lines 60000] [--repeats 3]

Writes a digits CSV of random pixels (the size and shape of the book's file)
into a temporary folder, then times ``glassnet.datasets.read_digits_csv``
(fast path), its line-by-line reader (the path that names a bad line), and
NumPy's own ``np.loadtxt(path, delimiter=",")``, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def best_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.csv_read", description=__doc__)
    p.add_argument("--lines", type=int, default=60_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-slow", action="store_true", help="do not time the line-by-line reader")
    args = p.parse_args(argv)

    from glassnet.datasets import csv as digits_csv

    rng = np.random.default_rng(0)
    # MNIST-like: four pixels in five are 0, the rest anything
    X = rng.integers(0, 256, size=(args.lines, 784), dtype=np.uint8)
    X[rng.random(X.shape) < 0.8] = 0
    y = rng.integers(0, 10, size=args.lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mnist_train.csv"
        digits_csv.write_digits_csv(path, X, y)
        size_mb = path.stat().st_size / 1e6
        X_read, y_read = digits_csv.read_digits_csv(path)
        assert np.array_equal(X_read, X) and np.array_equal(y_read, y)
        rows = [("np.loadtxt(delimiter=',')",
                 best_time(lambda: np.loadtxt(path, delimiter=","), args.repeats)),
                ("np.loadtxt(delimiter=',', dtype=int32)",
                 best_time(lambda: np.loadtxt(path, delimiter=",", dtype=np.int32), args.repeats)),
                ("glassnet read_digits_csv",
                 best_time(lambda: digits_csv.read_digits_csv(path), args.repeats))]
        if not args.skip_slow:
            rows.append(("glassnet line by line (names bad lines)",
                         best_time(lambda: digits_csv._parse_by_line(path), 1)))
    print(f"{args.lines:,} lines, {size_mb:.0f} MB, best of {args.repeats}")
    reference = rows[0][1]
    for name, seconds in rows:
        print(f"  {name:42s} {seconds:6.2f} s   {seconds / reference:5.2f}x np.loadtxt")


if __name__ == "__main__":
    main()
