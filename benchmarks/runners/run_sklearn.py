"""scikit-learn's MLPClassifier, one ``partial_fit`` call per epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier

from ..measure import EpochClock
from ..spec import LR, SIZES


class Trainer:
    """``MLPClassifier(hidden_layer_sizes=SIZES[1:-1], solver="adam")``, no L2 penalty.

    ``alpha=0`` so that the loss is the same plain cross-entropy the other
    frameworks minimise (scikit-learn's default adds ``alpha=1e-4`` L2).
    The input dtype is the task's: scikit-learn keeps float32 when given it.
    """

    def __init__(self, task: dict[str, Any], data: Any) -> None:
        self.task = task
        self.data = data
        self.classes = np.arange(SIZES[-1])
        self.model = MLPClassifier(hidden_layer_sizes=SIZES[1:-1], activation="relu",
                                   solver="adam", learning_rate_init=LR, alpha=0.0,
                                   batch_size=task["batch_size"], shuffle=True,
                                   random_state=task["seed"])
        self.notes = [f"scikit-learn {sklearn.__version__}: MLPClassifier(adam, alpha=0, "
                      f"batch_size={task['batch_size']}), {data.X_train.dtype} input, "
                      "one partial_fit per epoch"]

    def fit(self, epochs: int, clock: EpochClock) -> None:
        X, y = self.data.X_train, self.data.y_train
        clock.start()
        for epoch in range(epochs):
            if epoch == 0:
                self.model.partial_fit(X, y, classes=self.classes)
            else:
                self.model.partial_fit(X, y)
            clock.epoch_end()
        self.notes.append(self._fit_note())

    def _fit_note(self) -> str:
        return (f"scikit-learn with {self.data.X_train.dtype} input trained "
                f"{self.model.coefs_[0].dtype} weights")

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.model.predict(X) == y))

    def predict_one(self, x: np.ndarray) -> Callable[[], object]:
        model, row = self.model, x[None]
        return lambda: model.predict(row)

    def predict_batch(self, X: np.ndarray) -> Callable[[], object]:
        model = self.model
        return lambda: model.predict(X)
