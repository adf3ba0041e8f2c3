"""``MLPRegressor``: scikit-learn's multilayer perceptron regressor, trained by glassnet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d, validate_data

from ..training.callbacks import Callback
from .base import BaseMLP


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multilayer perceptron regressor, ``sklearn.neural_network.MLPRegressor``'s parameters.

    ``loss="squared_error"`` (default): identity output and scikit-learn's
    ``0.5 * mean (y - p)**2``; ``loss="poisson"``: an exponential output
    ``p = exp(z)`` and half the Poisson deviance, for counts. One or several
    outputs. Parameters and attributes as ``MLPClassifier``'s (without
    ``classes_``; ``validation_scores_`` hold R^2).

    Examples
    --------
    >>> from glassnet.sklearn import MLPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.03, random_state=0)
    >>> bool(reg.fit(X, 2 * X[:, 0] + 1).score(X, 2 * X[:, 0] + 1) > 0.95)
    True
    """

    _parameter_constraints: dict[str, Any] = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str = "relu", *, loss: str = "squared_error", solver: str = "adam",
                 alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, dropout: float = 0.0, dtype: DTypeLike | None = None,
                 callbacks: Sequence[Callback] = ()) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, dtype=dtype, callbacks=callbacks)
        self.loss = loss

    @property
    def _loss_scale(self) -> float:  # type: ignore[override]
        # glassnet's squared error sums over the outputs; scikit-learn's averages
        return float(self.n_outputs_) if self.loss == "squared_error" else 1.0

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, NDArray]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and (np.asarray(y) < 0).any():
            raise ValueError("MLPRegressor(loss='poisson') needs targets y >= 0 (counts or "
                             "rates); some are negative")
        return X, y

    def _out_activation(self, y: NDArray) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _score_outputs(self, out: NDArray, targets: NDArray, sample_weight: Any) -> float:
        pred = self.network_.loss.proba(out)
        return float(r2_score(targets, pred, sample_weight=sample_weight))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the network and the optimizer.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[no-any-return]

    def predict(self, X: ArrayLike) -> NDArray:
        """Predicted values, (n_samples,) for one output, else (n_samples, n_outputs)."""
        out, dtype = self._outputs(X)
        with np.errstate(all="ignore"):
            pred = self.network_.loss.proba(out).astype(dtype, copy=False)
        return pred[:, 0] if pred.shape[1] == 1 else pred

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
