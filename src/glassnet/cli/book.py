"""``glassnet train --book``: the network and training loop of *Make Your Own Neural Network*.

Exactly the book's recipe, through ``glassnet.classic.neuralNetwork``: one
hidden layer (200 nodes by default), sigmoid layers without biases, the sum
of squared errors, one sample at a time in the data's order, targets 0.01
for the wrong classes and 0.99 for the right one, inputs scaled to
0.01-1.0, learning rate 0.1, 5 epochs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import data as cli_data

__all__ = ["train_book", "book_targets", "classic_accuracy"]


def book_targets(n_outputs: int) -> NDArray[np.float64]:
    """Row ``k`` is the book's target for label ``k``: 0.99 at ``k``, 0.01 elsewhere."""
    targets = np.full((n_outputs, n_outputs), 0.01)
    np.fill_diagonal(targets, 0.99)
    return targets


def classic_predict(net: Any, X: NDArray, batch: int = 10000) -> NDArray[np.int64]:
    """The label the book's ``query`` picks (largest output), for many rows at once."""
    return np.concatenate([net.network.forward(X[i:i + batch].astype(np.float64)).argmax(1)
                           for i in range(0, X.shape[0], batch)])


def classic_accuracy(net: Any, X: NDArray, y: NDArray) -> float:
    """The book's "performance": the fraction of rows whose largest output is the label."""
    return float(np.mean(classic_predict(net, X) == y))


def train_book(args: argparse.Namespace, data: cli_data.Data, n_classes: int) -> int:
    """Train, report, save (and draw, with ``--plots``) the book's network."""
    from .. import io
    from ..classic import neuralNetwork

    assert data.X_train is not None and data.y_train is not None
    X, y = data.X_train, data.y_train
    net = neuralNetwork(X.shape[1], args.hidden[0], n_classes, args.lr, seed=args.seed)
    targets = book_targets(n_classes)
    separate_test = data.X_test is not None and data.X_test is not data.X_train
    print(f"{data.name}: {X.shape[0]} training samples, {X.shape[1]} features, {n_classes} "
          f"classes")
    print(f"the book's network: {net!r}, one sample at a time, targets 0.01/0.99, "
          "inputs 0.01-1.0")
    start = time.perf_counter()
    rows = X.astype(np.float64)  # the book's arithmetic is float64
    for epoch in range(1, args.epochs + 1):
        for x, label in zip(rows, y, strict=True):
            net.train(x, targets[label])
        line = f"epoch {epoch:>2}/{args.epochs}  train accuracy {classic_accuracy(net, X, y):.4f}"
        if separate_test and data.X_test is not None and data.y_test is not None:
            line += f"  test accuracy {classic_accuracy(net, data.X_test, data.y_test):.4f}"
        print(f"{line}  ({time.perf_counter() - start:.1f}s)", flush=True)
    elapsed = time.perf_counter() - start
    print(f"trained {args.epochs} epochs in {elapsed:.1f}s "
          f"({args.epochs * X.shape[0] / elapsed:,.0f} samples/s)")
    if data.X_test is not None and data.y_test is not None:
        which = "test" if separate_test else "training-set (no separate test data)"
        print(f"{which} accuracy {classic_accuracy(net, data.X_test, data.y_test):.4f}")
    metadata = {"dataset": cli_data.stored_name(args.dataset), "scale": "book",
                "class_names": data.class_names, "recipe": "book"}
    if getattr(args, "test_dataset", None):  # the test CSV file, for evaluate
        metadata["test_dataset"] = args.test_dataset
    saved = io.save(net, args.output, metadata=metadata)
    print(f"model saved to {saved}")
    if args.plots:
        from .. import plots

        out = Path(args.plots)
        out.mkdir(parents=True, exist_ok=True)
        plots.plot_backquery(net, labels=range(min(n_classes, 10)),
                             path=out / "backquery.png")
        plots.plot_first_layer_weights(net, path=out / "weights.png")
        print(f"pictures written to {out}/")
    return 0
