"""glassnet.classic against the book's reference loop, one sample at a time, float64.

Both networks start from the same weights (copied from the facade into the
reference) and see the same samples in the same order, in alternating
chunks, so their speed is compared under the same machine load and their
final weights must agree.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import glassnet

from .. import book_reference
from ..spec import BOOK_LR, BOOK_SIZES


def book_inputs(pixels: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The book's encoding: inputs ``x / 255 * 0.99 + 0.01``, targets 0.01 / 0.99."""
    inputs = pixels.astype(np.float64) / 255.0 * 0.99 + 0.01
    targets = np.full((labels.shape[0], BOOK_SIZES[-1]), 0.01)
    targets[np.arange(labels.shape[0]), labels] = 0.99
    return inputs, targets


def _train(net: Any, inputs: np.ndarray, targets: np.ndarray) -> float:
    """Seconds to call ``net.train`` once per row."""
    train = net.train
    t = time.perf_counter()
    for i in range(inputs.shape[0]):
        train(inputs[i], targets[i])
    return time.perf_counter() - t


def run(task: dict[str, Any], pixels: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Time both on ``task["n_samples"]`` samples in ``task["chunks"]`` alternating chunks.

    ``pixels`` are uint8 rows of 784; returns samples/s per chunk for each and
    the largest absolute difference between their final weights.
    """
    n = min(task["n_samples"], pixels.shape[0])
    inputs, targets = book_inputs(pixels[:n], labels[:n])
    classic = glassnet.NeuralNetwork(*BOOK_SIZES, BOOK_LR, seed=task["seed"])
    book = book_reference.neuralNetwork(*BOOK_SIZES, BOOK_LR, rng=task["seed"])
    book.wih[...] = classic.wih
    book.who[...] = classic.who
    if classic.fused:
        # Load Numba and the compiled update (from its disk cache) before the
        # clock starts, as the glassnet runner does for Adam; on a throwaway copy.
        warm = glassnet.NeuralNetwork(*BOOK_SIZES, BOOK_LR, seed=0, fused=True)
        warm.train(inputs[0], targets[0])

    rates: dict[str, list[float]] = {"classic": [], "book": []}
    bounds = np.linspace(0, n, task["chunks"] + 1).astype(int)
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        order = [("book", book), ("classic", classic)]
        for name, net in order if k % 2 == 0 else order[::-1]:
            rates[name].append((hi - lo) / _train(net, inputs[lo:hi], targets[lo:hi]))

    diff = max(float(np.max(np.abs(book.wih - classic.wih))),
               float(np.max(np.abs(book.who - classic.who))))
    same = bool(np.allclose(book.wih, classic.wih, rtol=0, atol=1e-10)
                and np.allclose(book.who, classic.who, rtol=0, atol=1e-10))
    return {"n_samples": n, "samples_per_s": rates, "max_abs_weight_diff": diff,
            "classic_update": ("fused by Numba (loaded before the clock)" if classic.fused
                               else "engine gradient + SGD"),
            "weights_allclose_1e-10": same, "book_sigmoid": book_reference.SIGMOID}
