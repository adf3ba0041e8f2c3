"""What the classifier and the regressor share: parameters, fitting, weights, outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..network import Network
from ..training.callbacks import Callback
from . import lbfgs
from ._network import build_network, dense_layers
from ._params import CONSTRAINTS, LiveArrays, check_extras, hidden_sizes
from ._stochastic import fit_stochastic


class BaseMLP(BaseEstimator):
    """Parameters, training and attributes of ``MLPClassifier`` and ``MLPRegressor``."""

    _parameter_constraints: dict[str, Any] = dict(CONSTRAINTS)
    _loss_scale = 1.0  # divides the head's loss to give scikit-learn's value

    # set by fit (declared for type checkers; absent until then)
    network_: Network
    n_outputs_: int
    out_activation_: str
    _random_state: np.random.RandomState
    _best_weights: dict[str, NDArray]
    loss_curve_: list[float]
    # None, or as scikit-learn sets them (a list, a float) with or without early stopping
    validation_scores_: Any
    validation_loss_curve_: Any
    best_validation_score_: Any
    best_loss_: Any

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, dropout: float = 0.0, dtype: DTypeLike | None = None,
                 callbacks: Sequence[Callback] = ()) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.dtype = dtype
        self.callbacks = callbacks

    # -- what a subclass provides ------------------------------------------
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, NDArray]:
        """``X`` checked; ``y`` checked and encoded as scikit-learn's 2-D targets."""
        raise NotImplementedError

    def _out_activation(self, y: NDArray) -> str:
        raise NotImplementedError

    def _encode_targets(self, y: NDArray, dtype: np.dtype) -> NDArray:
        """scikit-learn's 2-D targets in the form the network's head trains on."""
        return np.ascontiguousarray(y, dtype=dtype)

    def _stratify(self, y: NDArray) -> NDArray | None:
        return None

    def _score_outputs(self, out: NDArray, targets: NDArray, sample_weight: Any) -> float:
        """Accuracy (classifier) or R^2 (regressor) of raw outputs against encoded targets."""
        raise NotImplementedError

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Any:
        """Train on ``(X, y)`` (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default None (all 1)

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    def _has_weights(self) -> bool:
        return "network_" in self.__dict__ or "_assigned_coefs" in self.__dict__

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool) -> Any:
        requested = check_extras(self)
        hidden = hidden_sizes(self)
        first_pass = not self._has_weights() or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [X.shape[1], *hidden, y.shape[1]]
        dtype = self._dtype_for(X, requested, first_pass)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, dtype)
        elif "network_" not in self.__dict__:
            self._adopt_assigned_weights(y, dtype)
        else:
            self._check_same_units(layer_units)
        X = X.astype(dtype) if hasattr(X, "tocsr") else np.ascontiguousarray(X, dtype=dtype)
        targets = self._encode_targets(y, dtype)
        if self.solver == "lbfgs":
            lbfgs.fit_estimator_lbfgs(self, X, targets, sample_weight)
        else:
            fit_stochastic(self, X, targets, self._stratify(y), sample_weight,
                           incremental=incremental)
        if not all(np.isfinite(p).all() for p in self.network_.parameters.values()):
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")
        return self

    def _check_same_units(self, layer_units: list[int]) -> None:
        """A continued fit needs the fitted network's layer sizes (outputs included)."""
        fitted = [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_]
        if layer_units[-1] != fitted[-1]:
            raise ValueError(f"y has {layer_units[-1]} outputs but the fitted network has "
                             f"{fitted[-1]}; fit again with warm_start=False")
        if layer_units != fitted:
            raise ValueError(f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the "
                             f"fitted network's layers {fitted}; set it back, or fit again "
                             "with warm_start=False")

    def _dtype_for(self, X: Any, requested: np.dtype | None, first_pass: bool) -> np.dtype:
        """``dtype`` if set, else the fitted network's (warm start), else ``X``'s."""
        if requested is not None:
            if not first_pass and "network_" in self.__dict__ and \
                    requested != self.network_.dtype:
                raise ValueError(f"{type(self).__name__}(dtype={self.dtype!r}) differs from the "
                                 f"fitted network's {self.network_.dtype}; fit again with "
                                 "warm_start=False to change dtype")
            return requested
        if not first_pass and "network_" in self.__dict__:
            return self.network_.dtype
        return np.dtype(X.dtype)

    def _initialize(self, y: NDArray, layer_units: list[int], dtype: np.dtype) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation(y)
        for name in ("_assigned_coefs", "_assigned_intercepts", "_optimizer"):
            self.__dict__.pop(name, None)
        self.network_ = build_network(layer_units, activation=self.activation,
                                      out_activation=self.out_activation_, dropout=self.dropout,
                                      dtype=dtype, random_state=self._random_state)
        self._best_weights = self.network_.get_weights()
        for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_",
                     "best_validation_score_", "best_loss_"):
            self.__dict__.pop(name, None)
        if self.solver != "lbfgs":
            self._ensure_curves()

    def _ensure_curves(self) -> None:
        """scikit-learn's training records, created on first need (kept by warm starts)."""
        if not hasattr(self, "loss_curve_"):
            self.loss_curve_ = []
            self._no_improvement_count = 0
        if self.early_stopping and getattr(self, "validation_scores_", None) is None:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        elif not self.early_stopping and getattr(self, "best_loss_", None) is None:
            self.best_loss_ = np.inf
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        if not hasattr(self, "_no_improvement_count"):
            self._no_improvement_count = 0

    def _adopt_assigned_weights(self, y: NDArray, dtype: np.dtype) -> None:
        """Build the network from ``coefs_``/``intercepts_`` set on an unfitted estimator."""
        coefs = [np.asarray(W) for W in self.__dict__.get("_assigned_coefs") or []]
        intercepts = [np.asarray(b) for b in self.__dict__.get("_assigned_intercepts") or []]
        if not coefs or len(coefs) != len(intercepts) or any(W.ndim != 2 for W in coefs):
            raise ValueError("coefs_ and intercepts_ set before fitting must be lists of the "
                             "same length, of (n_in, n_out) weights and (n_out,) biases")
        units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        self.out_activation_ = self._out_activation(y)
        self.network_ = build_network(units, activation=self.activation,
                                      out_activation=self.out_activation_, dropout=self.dropout,
                                      dtype=dtype, random_state=self._random_state)
        LiveArrays(self._weights("W"), "coefs_").assign(coefs)
        LiveArrays(self._weights("b"), "intercepts_").assign(intercepts)
        del self.__dict__["_assigned_coefs"], self.__dict__["_assigned_intercepts"]
        self.n_outputs_, self.n_layers_ = units[-1], len(units)
        for name, value in (("n_iter_", 0), ("t_", 0)):
            self.__dict__.setdefault(name, value)
        self._best_weights = self.network_.get_weights()
        if self.solver != "lbfgs":
            self._ensure_curves()

    # -- L-BFGS's objective, as scikit-learn names it ------------------------------
    def _loss_grad_lbfgs(self, packed_coef_inter: NDArray, X: Any, y: NDArray,
                         sample_weight: NDArray | None, *unused: Any) -> tuple[float, NDArray]:
        """L-BFGS's ``(J, dJ/dtheta)`` at the packed ``[W_0, ..., b_0, ...]``, as scikit-learn's.

        ``y`` is scikit-learn's encoding (the label binarizer's 0/1 columns,
        or the targets); the remaining arguments (scikit-learn's work arrays)
        are ignored. The network's weights are left at ``packed_coef_inter``.
        """
        net = self.network_
        X = X.astype(net.dtype) if hasattr(X, "tocsr") else np.asarray(X, dtype=net.dtype)
        y = np.asarray(y)
        targets = self._encode_targets(y.reshape(y.shape[0], -1), net.dtype)
        return lbfgs.objective(self, X, targets, sample_weight)(packed_coef_inter)

    # -- prediction ------------------------------------------------------------
    def _outputs(self, X: ArrayLike) -> tuple[NDArray, np.dtype]:
        """The network's raw outputs (logits, or values) and the float dtype of ``X``."""
        check_is_fitted(self, "network_")
        data: Any = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                                  dtype=(np.float64, np.float32))
        net = self.network_
        with np.errstate(all="ignore"):  # a diverged network answers NaN, as scikit-learn's
            if hasattr(data, "tocsr"):
                return net.forward(data.astype(net.dtype)), data.dtype
            inputs = np.ascontiguousarray(data, dtype=net.dtype)
            if inputs.shape[0] == 1:
                # One row goes through BLAS's matrix-vector kernel, which sums in another
                # order than the matrix-matrix kernel of a batch: a row's prediction could
                # differ in the last bit from the same row's inside a batch. Two rows take
                # the batch kernel, so predictions do not depend on what else is predicted.
                return net.forward(np.repeat(inputs, 2, axis=0))[:1], data.dtype
            return net.forward(inputs), data.dtype

    # -- scikit-learn's attributes, the network's own arrays ------------------------
    def _weights(self, key: str) -> list[NDArray]:
        return [layer.params[key] for layer in dense_layers(self.network_)]

    def _live(self, key: str, what: str) -> list[NDArray]:
        if "network_" in self.__dict__:
            return LiveArrays(self._weights(key), what)
        assigned = self.__dict__.get(f"_assigned_{what[:-1]}")
        if assigned is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: "
                                 f"{what} exists after fit")
        return assigned  # type: ignore[no-any-return]

    def _assign(self, key: str, what: str, value: Any) -> None:
        if "network_" in self.__dict__:
            LiveArrays(self._weights(key), what).assign(value)
        else:  # kept as given; the next fit (warm_start) or partial_fit builds from it
            self.__dict__[f"_assigned_{what[:-1]}"] = value

    @property
    def coefs_(self) -> list[NDArray]:
        """Weight matrices, ``coefs_[i]`` of shape (n_units_i, n_units_i+1): the network's arrays.

        Assigning ``coefs_[i] = W`` or ``coefs_ = [...]`` copies into the
        network (shapes checked).
        """
        return self._live("W", "coefs_")

    @coefs_.setter
    def coefs_(self, value: Any) -> None:
        self._assign("W", "coefs_", value)

    @property
    def intercepts_(self) -> list[NDArray]:
        """Bias vectors, ``intercepts_[i]`` of shape (n_units_i+1,): the network's arrays."""
        return self._live("b", "intercepts_")

    @intercepts_.setter
    def intercepts_(self, value: Any) -> None:
        self._assign("b", "intercepts_", value)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

