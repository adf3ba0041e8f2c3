"""One trainer per framework, all with the same small interface.

A trainer is built from ``(task, data)`` and offers:

- ``fit(epochs, clock)``: train, calling ``clock.start()`` before the first
  batch and ``clock.epoch_end()`` after each epoch;
- ``accuracy(X, y)``: test accuracy, untimed;
- ``predict_one(x)`` and ``predict_batch(X)``: zero-argument callables for the
  latency measurements, in each framework's ordinary way of predicting;
- ``notes``: list of strings worth printing under the table.
"""

from __future__ import annotations

import importlib
from typing import Any

RUNNERS = {
    "glassnet": "benchmarks.runners.run_glassnet",
    "torch": "benchmarks.runners.run_torch",
    "sklearn": "benchmarks.runners.run_sklearn",
    "estimators": "benchmarks.runners.run_estimators",
}
REQUIRES = {"torch": "torch", "sklearn": "sklearn", "estimators": "sklearn"}  # optional peers


def trainer_class(runner: str) -> Any:
    """The ``Trainer`` class of a runner module, imported only when needed."""
    return importlib.import_module(RUNNERS[runner]).Trainer
