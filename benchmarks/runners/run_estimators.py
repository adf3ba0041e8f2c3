"""Two ``MLPClassifier`` estimators side by side: glassnet.sklearn's and scikit-learn's.

Both get the same settings, scikit-learn's defaults where the task says
nothing: hidden layers ``SIZES[1:-1]`` (256, 128), ReLU, ``alpha=1e-4``
(scikit-learn's default L2), shuffling, no early stopping, and both compute
in the dtype of their input (the task's: float32 or float64).

``solver="adam"`` (learning rate ``LR``, the task's batch size) trains one
``partial_fit`` call per epoch, so each epoch's time includes each library's
own input checks. ``solver="lbfgs"`` tasks run on a small problem (the task
caps the training samples): each "epoch" is one warm-started ``fit`` of
``LBFGS_ITERATIONS`` L-BFGS iterations, both libraries through SciPy's
L-BFGS-B, so the time compares their loss-and-gradient evaluations.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as ScikitLearnMLP

from ..measure import EpochClock
from ..spec import LR, SIZES
from . import run_sklearn

ALPHA = 1e-4  # scikit-learn's default
LBFGS_ITERATIONS = 10


class Trainer(run_sklearn.Trainer):
    """``task["library"]`` is ``"glassnet"`` or ``"sklearn"``; trained, timed and asked
    for predictions as ``run_sklearn.Trainer`` does."""

    def __init__(self, task: dict[str, Any], data: Any) -> None:
        self.task = task
        self.data = data
        self.classes = np.arange(SIZES[-1])
        self.solver = task.get("solver", "adam")
        settings: dict[str, Any] = dict(
            hidden_layer_sizes=SIZES[1:-1], activation="relu", solver=self.solver,
            learning_rate_init=LR, alpha=ALPHA, batch_size=task["batch_size"], shuffle=True,
            early_stopping=False, random_state=task["seed"])
        if self.solver == "lbfgs":
            settings.update(max_iter=LBFGS_ITERATIONS, warm_start=True, tol=0.0)
        what = (f"{self.solver}, alpha={ALPHA}, " + (f"{LBFGS_ITERATIONS} iterations per epoch"
                if self.solver == "lbfgs" else f"batch_size={task['batch_size']}"))
        if task["library"] == "glassnet":
            import glassnet
            from glassnet._fused import numba_available
            from glassnet.sklearn import MLPClassifier

            self.model: Any = MLPClassifier(**settings)  # dtype follows the input
            if numba_available():  # load the compiled Adam before the clock, as run_glassnet does
                glassnet.Adam(fused=True).step(np.zeros(2, np.float32), np.ones(2, np.float32))
            self.notes = [f"glassnet {glassnet.__version__} glassnet.sklearn.MLPClassifier"
                          f"({what}), {data.X_train.dtype} input"]
        elif task["library"] == "sklearn":
            self.model = ScikitLearnMLP(**settings)
            self.notes = [f"scikit-learn {sklearn.__version__} MLPClassifier({what}), "
                          f"{data.X_train.dtype} input"]
        else:
            raise ValueError(f"task {task['name']!r}: library must be 'glassnet' or 'sklearn', "
                             f"got {task['library']!r}")

    def fit(self, epochs: int, clock: EpochClock) -> None:
        if self.solver != "lbfgs":
            super().fit(epochs, clock)
            return
        X, y = self.data.X_train, self.data.y_train
        clock.start()
        with warnings.catch_warnings():  # each short fit stops at max_iter on purpose
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(epochs):
                self.model.fit(X, y)
                clock.epoch_end()
        self.notes.append(self._fit_note())

    def _fit_note(self) -> str:
        if self.solver == "lbfgs":
            return (f"trained {self.model.coefs_[0].dtype} weights; final training loss "
                    f"{self.model.loss_:.4f}")
        return (f"trained {self.model.coefs_[0].dtype} weights; final training loss "
                f"{self.model.loss_curve_[-1]:.4f}")
