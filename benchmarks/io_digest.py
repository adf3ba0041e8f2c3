"""What the SHA-256 digest costs when a model file is loaded.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/io_digest.py

For each model size, the same file is written twice, with and without the
digest (``glassnet.io.safetensors.write_safetensors(..., digest=False)``),
and ``glassnet.io.load`` times both, interleaved, taking the median of
several rounds; the file is in the page cache, so this is the worst case
for the digest (reading from a disk makes hashing a smaller share).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import glassnet as gn
from glassnet import io
from glassnet.io.safetensors import read_tensors, write_safetensors

SIZES = {"MNIST MLP 784-256-128-10": [784, 256, 128, 10],
         "wide MLP 784-4096-4096-10": [784, 4096, 4096, 10]}


def timed(path: Path) -> float:
    start = time.perf_counter()
    io.load(path)
    return time.perf_counter() - start


def main(rounds: int = 15) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for label, sizes in SIZES.items():
            net = gn.mlp(sizes, seed=0)
            digested = io.save(net, Path(tmp) / "with.safetensors")
            arrays, header = read_tensors(digested)
            plain = write_safetensors(Path(tmp) / "without.safetensors", arrays,
                                      metadata=header.metadata, digest=False)
            timed(digested), timed(plain)  # warm the page cache
            with_d, without = [], []
            for _ in range(rounds):
                with_d.append(timed(digested))
                without.append(timed(plain))
            a, b = statistics.median(with_d), statistics.median(without)
            mb = digested.stat().st_size / 1e6
            print(f"{label}: {mb:.1f} MB, load {b * 1e3:.1f} ms without the digest, "
                  f"{a * 1e3:.1f} ms with it (+{(a - b) * 1e3:.1f} ms, {a / b:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
