"""Two ``MLPClassifier`` estimators side by side: glassnet.sklearn's and scikit-learn's.

Both get the same settings, scikit-learn's defaults where the task says
nothing: hidden layers ``SIZES[1:-1]`` (256, 128), ReLU, Adam with learning
rate ``LR``, ``alpha=1e-4`` (scikit-learn's default L2), the task's batch
size, shuffling, no early stopping; and both train the same way, one
``partial_fit`` call per epoch (so each epoch's time includes each library's
own input checks). glassnet computes in float32; scikit-learn in the dtype of
its input (the task's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier as ScikitLearnMLP

from ..spec import LR, SIZES
from . import run_sklearn

ALPHA = 1e-4  # scikit-learn's default


class Trainer(run_sklearn.Trainer):
    """``task["library"]`` is ``"glassnet"`` or ``"sklearn"``; trained, timed and asked
    for predictions as ``run_sklearn.Trainer`` does."""

    def __init__(self, task: dict[str, Any], data: Any) -> None:
        self.task = task
        self.data = data
        self.classes = np.arange(SIZES[-1])
        settings = dict(hidden_layer_sizes=SIZES[1:-1], activation="relu", solver="adam",
                        learning_rate_init=LR, alpha=ALPHA, batch_size=task["batch_size"],
                        shuffle=True, early_stopping=False, random_state=task["seed"])
        if task["library"] == "glassnet":
            import glassnet
            from glassnet._fused import numba_available
            from glassnet.sklearn import MLPClassifier

            self.model: Any = MLPClassifier(**settings, dtype="float32")
            if numba_available():  # load the compiled Adam before the clock, as run_glassnet does
                glassnet.Adam(fused=True).step(np.zeros(2, np.float32), np.ones(2, np.float32))
            self.notes = [f"glassnet {glassnet.__version__} glassnet.sklearn.MLPClassifier"
                          f"(adam, alpha={ALPHA}, batch_size={task['batch_size']}, float32), "
                          f"{data.X_train.dtype} input, one partial_fit per epoch"]
        elif task["library"] == "sklearn":
            self.model = ScikitLearnMLP(**settings)
            self.notes = [f"scikit-learn {sklearn.__version__} MLPClassifier(adam, "
                          f"alpha={ALPHA}, batch_size={task['batch_size']}), "
                          f"{data.X_train.dtype} input, one partial_fit per epoch"]
        else:
            raise ValueError(f"task {task['name']!r}: library must be 'glassnet' or 'sklearn', "
                             f"got {task['library']!r}")

    def _fit_note(self) -> str:
        return (f"trained {self.model.coefs_[0].dtype} weights; final training loss "
                f"{self.model.loss_curve_[-1]:.4f}")
