"""scikit-learn estimators trained by glassnet: ``MLPClassifier`` and ``MLPRegressor``.

They take the parameters of ``sklearn.neural_network.MLPClassifier`` and
``MLPRegressor`` (same names, same defaults, same meaning unless said below)
and work wherever a scikit-learn estimator does: ``Pipeline``,
``GridSearchCV``, ``cross_val_score``, ``clone``, pickling. The training is
glassnet's: ``glassnet.mlp`` builds the network and every iteration is one
epoch of ``Network.fit`` with the same optimizer instance, so Adam's moments
carry on from one iteration, ``fit`` call (``warm_start``) or ``partial_fit``
call to the next. Needs the ``sklearn`` extra: ``pip install 'glassnet[sklearn]'``.

How scikit-learn's settings map onto the engine
-----------------------------------------------
``alpha``
    scikit-learn adds ``0.5 * alpha * sum(W**2) / n_b`` to the mean loss of
    each batch of ``n_b`` samples (weights only, not intercepts), so each step
    adds ``alpha * W / n_b`` to the gradient. That is the optimizer's
    ``weight_decay = alpha / batch_size``: identical on every full batch; on
    the last, smaller batch of an epoch scikit-learn decays by ``alpha / n_b``,
    slightly more.
``loss_curve_``
    As scikit-learn reports it: the mean of the batch losses over the epoch
    (weighted by batch size) plus that penalty, ``0.5 * alpha * sum(W**2) *
    n_batches / n_samples`` (scikit-learn evaluates it with the weights before
    each batch, glassnet with those before the epoch: the same for one batch).
    The regressor's loss is scikit-learn's "squared_error", half the mean
    squared error ``0.5 * mean_ik (y_ik - p_ik)**2``; it trains with
    glassnet's ``SumSquaredError``, whose gradient ``(p - y) / n_b`` is the one
    scikit-learn uses, and reports its value divided by ``n_outputs_``.
``solver``
    ``"adam"`` is ``glassnet.Adam`` (the textbook ``eps`` placement,
    ``m_hat / (sqrt(v_hat) + eps)``; scikit-learn adds ``eps`` before the bias
    correction, which changes only the size of the ``eps`` term); ``"sgd"`` is
    ``glassnet.SGD`` with (Nesterov) momentum, the same update as
    scikit-learn's at a constant learning rate. ``"lbfgs"`` is refused.
``learning_rate``
    ``"invscaling"`` and ``"adaptive"`` as scikit-learn schedules them, for
    ``solver="sgd"`` only (scikit-learn ignores them for Adam; here they are
    refused). ``max_fun`` (L-BFGS only) does not exist.
initial weights
    Glorot-uniform, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``,
    scikit-learn's bound except for ``activation="logistic"``; biases start
    at zero (scikit-learn draws them from the same range).
``warm_start``
    keeps the network *and* the optimizer's state (scikit-learn starts a new
    optimizer at every ``fit``); the learning rate starts again at
    ``learning_rate_init``.
Computation runs in ``dtype`` (float32 by default); outputs come back in the
dtype of ``X`` when it is float32 or float64, else float64, as scikit-learn's
MLP returns them. Sparse input is refused (densify it first), and ``fit`` takes
no ``sample_weight``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as exc:  # pragma: no cover - exercised in a separate process
    raise ImportError(
        "glassnet.sklearn needs scikit-learn 1.6 or newer, which is not installed "
        f"({exc}); install it with: pip install 'glassnet[sklearn]'"
    ) from exc

from ._validation import check_dtype
from .layers import Dense
from .losses import BinaryCrossEntropy, Loss
from .models import mlp
from .network import Network
from .optimizers import SGD, Adam, Optimizer
from .training.callbacks import Callback

__all__ = ["MLPClassifier", "MLPRegressor"]

#: scikit-learn's activation names -> glassnet's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
SOLVERS = ("adam", "sgd")
LEARNING_RATES = ("constant", "invscaling", "adaptive")


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, training loop, attributes."""

    # set by fit (declared for type checkers; absent until then)
    network_: Network
    n_outputs_: int
    classes_: NDArray
    _optimizer: Optimizer
    _rng: np.random.Generator
    _best_weights: dict[str, NDArray] | None
    _multilabel: bool

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, dropout: float = 0.0,
                 dtype: DTypeLike = "float32", callbacks: Sequence[Callback] = ()) -> None:
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
        self.dropout = dropout
        self.dtype = dtype
        self.callbacks = callbacks

    # -- what a subclass provides ------------------------------------------
    def _targets(self, y: NDArray, *, first_pass: bool, incremental: bool) -> NDArray:
        """``y`` checked and encoded for the loss: (n,) class ids or (n, n_outputs) floats."""
        raise NotImplementedError

    def _head(self, n_outputs: int) -> tuple[str | Loss, str]:
        """The glassnet loss for ``n_outputs`` outputs and scikit-learn's ``out_activation_``."""
        raise NotImplementedError

    def _validation_score(self, targets: NDArray, outputs: NDArray) -> float:
        """Accuracy (classifier) or R^2 (regressor) of the network's ``outputs``."""
        raise NotImplementedError

    _loss_scale = 1.0  # divides the engine's loss to give scikit-learn's value

    # -- parameters ----------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes: Any = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, "
                             f"got {self.hidden_layer_sizes!r}") from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s <= 0:
                raise ValueError(f"hidden_layer_sizes must hold positive integers, got "
                                 f"{self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _check_params(self) -> None:
        """Refuse bad settings at ``fit`` (scikit-learn's ``__init__`` only stores them)."""
        name = type(self).__name__
        if self.solver == "lbfgs":
            raise ValueError(
                f"{name}(solver='lbfgs') is not available: glassnet trains with mini-batch "
                "optimizers only; use solver='adam' or 'sgd' (or scikit-learn's own "
                "MLP for L-BFGS)")
        _choice(self.solver, SOLVERS, "solver", name)
        _choice(self.activation, ACTIVATIONS, "activation", name)
        _choice(self.learning_rate, LEARNING_RATES, "learning_rate", name)
        if self.learning_rate != "constant" and self.solver != "sgd":
            raise ValueError(
                f"{name}(learning_rate={self.learning_rate!r}) schedules only "
                f"solver='sgd', but solver={self.solver!r}; use learning_rate='constant'")
        if not (self.batch_size == "auto" or _is_int(self.batch_size, low=1)):
            raise ValueError(f"{name}: batch_size must be 'auto' or a positive integer, "
                             f"got {self.batch_size!r}")
        for attr in ("max_iter", "n_iter_no_change"):
            if not _is_int(getattr(self, attr), low=1):
                raise ValueError(f"{name}: {attr} must be a positive integer, "
                                 f"got {getattr(self, attr)!r}")
        _real(self, "alpha", low=0.0)
        _real(self, "tol", low=0.0)
        _real(self, "learning_rate_init", low=0.0, low_open=True)
        _real(self, "epsilon", low=0.0, low_open=True)
        _real(self, "power_t", low=0.0)
        _real(self, "momentum", low=0.0, high=1.0)
        _real(self, "validation_fraction", low=0.0, high=1.0, high_open=True)
        _real(self, "beta_1", low=0.0, high=1.0, high_open=True)
        _real(self, "beta_2", low=0.0, high=1.0, high_open=True)
        _real(self, "dropout", low=0.0, high=1.0, high_open=True)
        self._hidden_sizes()
        check_dtype(self.dtype)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"{name}: callbacks must be glassnet Callback instances "
                                f"(glassnet.training.callbacks), got {cb!r}")

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike) -> _BaseMLP:
        """Train on ``(X, y)`` for up to ``max_iter`` epochs (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False)

    def _fit(self, X: ArrayLike, y: ArrayLike, *, incremental: bool) -> _BaseMLP:
        self._check_params()
        if self.early_stopping and incremental:
            raise ValueError(f"{type(self).__name__}.partial_fit does not support "
                             "early_stopping=True; set early_stopping=False or call fit")
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X_checked, y_checked = validate_data(
            self, X, y, multi_output=True, dtype=(np.float64, np.float32),
            y_numeric=not isinstance(self, ClassifierMixin), reset=first_pass)
        X, y = np.asarray(X_checked), np.asarray(y_checked)
        dtype = check_dtype(self.dtype)
        if not first_pass and dtype != self.network_.dtype:
            raise ValueError(f"{type(self).__name__}(dtype={self.dtype!r}) differs from the "
                             f"fitted network's {self.network_.dtype}; fit again with "
                             "warm_start=False to change dtype")
        targets = self._targets(y, first_pass=first_pass, incremental=incremental)
        # (n,) class ids mean one softmax output per class; else one output per column
        n_outputs = len(self.classes_) if targets.ndim == 1 else targets.shape[1]
        if first_pass or not incremental or not hasattr(self, "_rng"):
            self._rng = _as_generator(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], n_outputs, dtype)
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} outputs but the fitted network has "
                             f"{self.n_outputs_}; fit again with warm_start=False")
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._kept_or_new_optimizer()
        X = np.ascontiguousarray(X, dtype=dtype)
        self._run(X, targets, incremental=incremental)
        return self

    def _initialize(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        loss, self.out_activation_ = self._head(n_outputs)
        hidden = self._hidden_sizes()
        self.network_ = mlp([n_features, *hidden, n_outputs],
                            activation=ACTIVATIONS[self.activation], loss=loss,
                            init="glorot_uniform",  # scikit-learn's weights (biases start at 0)
                            dropout=self.dropout, seed=int(self._rng.integers(2**63)),
                            dtype=dtype)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden) + 2
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self.validation_scores_: list[float] | None = None
        self.validation_loss_curve_: list[float] | None = None
        self.best_validation_score_: float | None = None
        self.best_loss_: float | None = None
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _kept_or_new_optimizer(self) -> Optimizer:
        """The last fit's optimizer while the solver's settings are unchanged, else a new one."""
        settings: dict[str, Any]
        if self.solver == "adam":
            settings = {"beta1": self.beta_1, "beta2": self.beta_2, "eps": self.epsilon}
        else:
            settings = {"momentum": self.momentum,
                        "nesterov": bool(self.nesterovs_momentum) and self.momentum > 0}
        opt = getattr(self, "_optimizer", None)
        kind = Adam if self.solver == "adam" else SGD
        if type(opt) is not kind or any(getattr(opt, k) != v for k, v in settings.items()):
            opt = kind(self.learning_rate_init, **settings)
        opt.lr = float(self.learning_rate_init)  # a new fit restarts any schedule
        return opt

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if int(self.batch_size) > n_samples:
            warnings.warn(f"{type(self).__name__}: batch_size={self.batch_size} is larger than "
                          f"the {n_samples} training samples; using {n_samples}",
                          UserWarning, stacklevel=4)
        return int(min(self.batch_size, n_samples))

    def _run(self, X: NDArray, targets: NDArray, *, incremental: bool) -> None:
        """The iterations: one engine epoch each, then scikit-learn's stopping rules."""
        X_val: NDArray | None = None
        t_val: NDArray | None = None
        if self.early_stopping:
            X, targets, X_val, t_val = self._split(X, targets)
            if self.validation_scores_ is None:  # first fit, or warm start turned it on
                self.validation_scores_, self.validation_loss_curve_ = [], []
                self.best_validation_score_, self.best_loss_ = -math.inf, None
        elif self.best_loss_ is None:
            self.best_loss_ = math.inf
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        net, opt = self.network_, self._optimizer
        n = X.shape[0]
        batch_size = self._batch_size(n)
        opt.weight_decay = self.alpha / batch_size  # scikit-learn's alpha, see module notes
        n_batches = -(-n // batch_size)
        self._best_weights = None
        self.n_iter_ = 0
        for cb in self.callbacks:
            cb.on_train_begin(net)
        try:
            for _ in range(self.max_iter):
                penalty = 0.5 * self.alpha * self._sum_squared_weights() * n_batches / n
                history = net.fit(X, targets, optimizer=opt, epochs=1, batch_size=batch_size,
                                  shuffle=self.shuffle, seed=self._rng, verbose=0)
                self.n_iter_ += 1
                self.t_ += n
                self.loss_curve_.append(history["loss"][0] / self._loss_scale + penalty)
                logs = {"loss": self.loss_curve_[-1]}
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_curve_[-1]:.8f}")
                if X_val is not None and t_val is not None:
                    logs.update(self._validate_epoch(X_val, t_val))
                self._update_no_improvement_count()
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    opt.lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
                for cb in self.callbacks:
                    cb.on_epoch_end(net, len(self.loss_curve_) - 1, logs)
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop_or_slow_down():
                        break
                    self._no_improvement_count = 0
                if net.stop_training or incremental:  # a callback asked; partial_fit: one epoch
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"{type(self).__name__}: reached max_iter={self.max_iter} epochs "
                        f"without converging (tol={self.tol}, "
                        f"n_iter_no_change={self.n_iter_no_change}); raise max_iter",
                        ConvergenceWarning, stacklevel=3)
        finally:
            for cb in self.callbacks:
                cb.on_train_end(net)
        if self.early_stopping and self._best_weights is not None:
            net.set_weights(self._best_weights)

    def _split(self, X: NDArray, targets: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Hold out ``validation_fraction`` of the samples, stratified for single-label classes."""
        stratify = None
        if isinstance(self, ClassifierMixin) and not self._multilabel:
            stratify = targets if targets.ndim == 1 else targets[:, 0]
        X_train, X_val, t_train, t_val = train_test_split(
            X, targets, test_size=self.validation_fraction, stratify=stratify,
            random_state=int(self._rng.integers(2**31 - 1)))
        if X_val.shape[0] < 2:
            raise ValueError(f"the validation set holds {X_val.shape[0]} sample(s), fewer than "
                             "2; increase validation_fraction or the size of the data set")
        return X_train, t_train, X_val, t_val

    def _validate_epoch(self, X_val: NDArray, t_val: NDArray) -> dict[str, float]:
        net = self.network_
        out = net.forward(X_val)
        val_loss = net.loss.loss(t_val, out) / self._loss_scale
        with np.errstate(over="ignore", invalid="ignore"):
            proba = net.loss.proba(out)
        score = (math.nan if not np.isfinite(proba).all()
                 else float(self._validation_score(t_val, proba)))
        assert self.validation_scores_ is not None and self.validation_loss_curve_ is not None
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(val_loss)
        if self.verbose:
            print(f"Validation score: {score:f}")
        return {"val_loss": val_loss, "val_score": score}

    def _update_no_improvement_count(self) -> None:
        """scikit-learn's rule: count epochs that fail to improve the best by ``tol``."""
        if self.early_stopping:
            assert self.validation_scores_ is not None and self.best_validation_score_ is not None
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = self.network_.get_weights()
        else:
            assert self.best_loss_ is not None
            loss = self.loss_curve_[-1]
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, loss)

    def _stop_or_slow_down(self) -> bool:
        """After ``n_iter_no_change`` epochs without progress: stop, or (sgd, adaptive) lr /= 5."""
        what = "Validation score" if self.early_stopping else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{self.n_iter_no_change} consecutive epochs.")
        opt = self._optimizer
        if self.solver == "sgd" and self.learning_rate == "adaptive" and opt.lr > 1e-6:
            opt.lr /= 5.0
            if self.verbose:
                print(f"{msg} Setting learning rate to {opt.lr:f}")
            return False
        if self.verbose:
            print(f"{msg} Stopping.")
        return True

    def _sum_squared_weights(self) -> float:
        return float(sum(np.dot(W.ravel(), W.ravel()) for W in self.coefs_))

    # -- prediction ------------------------------------------------------------
    def _outputs(self, X: ArrayLike) -> NDArray:
        """The network's user-facing outputs (probabilities or values), in X's float dtype."""
        check_is_fitted(self, "network_")
        X = np.asarray(validate_data(self, X, reset=False, dtype=(np.float64, np.float32)))
        inputs = np.ascontiguousarray(X, dtype=self.network_.dtype)
        if inputs.shape[0] == 1:
            # One row goes through BLAS's matrix-vector kernel, which sums in another order
            # than the matrix-matrix kernel of a batch: in float32 a row's prediction could
            # then differ in the last bit from the same row's inside a batch. Two rows take
            # the batch kernel, so predictions do not depend on what else is predicted.
            return self.network_.predict_proba(np.repeat(inputs, 2, axis=0))[:1].astype(
                X.dtype, copy=False)
        out = self.network_.predict_proba(inputs)
        return out.astype(X.dtype, copy=False)

    # -- scikit-learn's attributes, read from the network ----------------------
    @property
    def coefs_(self) -> list[NDArray]:
        """Weight matrices, ``coefs_[i]`` of shape (n_units_i, n_units_i+1) (the live arrays)."""
        check_is_fitted(self, "network_")
        return [la.params["W"] for la in self.network_.layers if isinstance(la, Dense)]

    @property
    def intercepts_(self) -> list[NDArray]:
        """Bias vectors, ``intercepts_[i]`` of shape (n_units_i+1,) (the live arrays)."""
        check_is_fitted(self, "network_")
        return [la.params["b"] for la in self.network_.layers if isinstance(la, Dense)]


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier, ``sklearn.neural_network.MLPClassifier``'s parameters.

    Softmax cross-entropy for more than two classes; one logistic output with
    binary cross-entropy for two classes and for multi-label ``y`` (an
    (n_samples, n_labels) 0/1 matrix). Labels may be any sortable hashable
    values (strings, ``{1, 2}``, booleans).

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
    warm_start, momentum, nesterovs_momentum, early_stopping,
    validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change :
        as in scikit-learn's ``MLPClassifier`` (see the module notes for the
        mapping); ``solver="lbfgs"`` is refused, and ``learning_rate`` other
        than ``"constant"`` needs ``solver="sgd"``.
    dropout : drop probability after every hidden activation (0 = none)
    dtype : the network's float type, ``"float32"`` (default) or ``"float64"``
    callbacks : glassnet callbacks; ``on_train_begin``/``on_train_end`` run once
        per ``fit`` or ``partial_fit`` call and ``on_epoch_end`` after each
        iteration, with logs ``loss`` (and ``val_loss``, ``val_score`` under
        early stopping); setting ``network.stop_training`` ends the fit

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    loss_curve_ : list of the training loss per epoch (the L2 penalty included)
    validation_scores_ : list of validation accuracies per epoch, or None
        without early stopping; ``validation_loss_curve_`` likewise for the
        validation loss (penalty excluded)
    best_validation_score_, best_loss_ : float or None, as in scikit-learn
    n_iter_ : epochs run by the last ``fit`` (1 after ``partial_fit``)
    t_ : training samples seen over all calls
    coefs_, intercepts_ : lists of weights (n_in, n_out) and biases (n_out,)
    n_features_in_, feature_names_in_, n_layers_, n_outputs_, out_activation_
    network_ : the trained ``glassnet.Network`` (its outputs are logits)

    Examples
    --------
    >>> from glassnet.sklearn import MLPClassifier
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]] * 25)
    >>> y = np.array(["no", "yes", "yes", "no"] * 25)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.05, max_iter=300,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict([[0., 1.], [1., 1.]]).tolist()
    ['yes', 'no']
    """

    def _head(self, n_outputs: int) -> tuple[str | Loss, str]:
        if self._multilabel or n_outputs == 1:
            return BinaryCrossEntropy(from_logits=True), "logistic"
        return "softmax_cross_entropy", "softmax"

    def _targets(self, y: NDArray, *, first_pass: bool, incremental: bool) -> NDArray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multiclass-multioutput":
            raise ValueError("MLPClassifier takes class labels (n_samples,) or a multi-label 0/1 "
                             f"matrix (n_samples, n_labels), got {kind} targets of shape "
                             f"{y.shape}; train one classifier per output column")
        multilabel = kind == "multilabel-indicator"
        if first_pass:
            classes = getattr(self, "_partial_fit_classes", None)
            if multilabel:
                classes = np.arange(y.shape[1])
            else:
                classes = unique_labels(y if classes is None else classes)
                if len(classes) < 2:
                    raise ValueError(f"MLPClassifier needs at least 2 classes to learn, got 1 "
                                     f"class: {classes.tolist()}")
            self.classes_, self._multilabel = classes, multilabel
        elif multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
            raise ValueError(f"y is {kind} of shape {y.shape} but the classifier was fitted on "
                             f"{'multi-label' if self._multilabel else 'single-label'} targets "
                             f"with classes {self.classes_.tolist()}")
        elif not multilabel:
            present = unique_labels(y)
            if self.warm_start and not incremental and set(present) != set(self.classes_):
                raise ValueError(
                    "warm_start needs y with the same classes as the previous fit, which had "
                    f"{self.classes_.tolist()}; y has {present.tolist()}")
            unknown = np.setdiff1d(present, self.classes_)
            if unknown.size:
                raise ValueError(f"y has classes {unknown.tolist()} not in classes_ "
                                 f"{self.classes_.tolist()}")
        dtype = check_dtype(self.dtype)
        if multilabel:
            return np.ascontiguousarray(y, dtype=dtype)
        if len(self.classes_) == 2:
            return (y == self.classes_[1]).astype(dtype).reshape(-1, 1)
        return np.searchsorted(self.classes_, y)

    def _validation_score(self, targets: NDArray, outputs: NDArray) -> float:
        predicted = self._encoded_labels(outputs)
        true = targets if targets.ndim == 1 else (targets > 0.5).astype(np.int64)
        if true.ndim == 2 and not self._multilabel:
            true = true[:, 0]
        return float(accuracy_score(true, predicted))

    def _encoded_labels(self, proba: NDArray) -> NDArray:
        """Class ids (n,) or the multi-label 0/1 matrix (n, n_labels) from the outputs."""
        if self._multilabel:
            return (proba > 0.5).astype(np.int64)
        if proba.shape[1] == 1:
            return (proba[:, 0] > 0.5).astype(np.int64)
        return proba.argmax(axis=1)

    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    classes: ArrayLike | None = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is needed on the first call.

        Returns
        -------
        self
        """
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit "
                                 "(all labels that will ever appear, e.g. np.unique(y_all))")
            self._partial_fit_classes = np.asarray(classes)
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(f"classes={np.asarray(classes).tolist()} differs from the classes "
                             f"of the earlier calls, {self.classes_.tolist()}")
        try:
            self._fit(X, y, incremental=True)
        finally:
            self.__dict__.pop("_partial_fit_classes", None)
        return self

    def predict_proba(self, X: ArrayLike) -> NDArray:
        """Class probabilities, columns in the order of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        proba = self._outputs(X)
        if proba.shape[1] == 1 and not self._multilabel:
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X: ArrayLike) -> NDArray:
        """``log(predict_proba(X))``, shape (n_samples, n_classes)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):  # a probability rounded to 0 has log -inf
            return np.log(proba, out=proba)

    def predict(self, X: ArrayLike) -> NDArray:
        """Labels from ``classes_`` (n_samples,), or the 0/1 matrix for multi-label."""
        ids = self._encoded_labels(self._outputs(X))
        return ids if self._multilabel else self.classes_[ids]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor, ``sklearn.neural_network.MLPRegressor``'s parameters.

    Identity output and scikit-learn's squared error, ``0.5 * mean (y - p)**2``;
    one or several outputs. Parameters and attributes as ``MLPClassifier``'s
    (without ``classes_``; ``validation_scores_`` hold R^2), plus ``loss``,
    which accepts only ``"squared_error"``.

    Examples
    --------
    >>> from glassnet.sklearn import MLPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.03, random_state=0)
    >>> bool(reg.fit(X, 2 * X[:, 0] + 1).score(X, 2 * X[:, 0] + 1) > 0.95)
    True
    """

    _multilabel = False

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str = "relu", *, loss: str = "squared_error", solver: str = "adam",
                 alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, dropout: float = 0.0,
                 dtype: DTypeLike = "float32", callbacks: Sequence[Callback] = ()) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, dropout=dropout, dtype=dtype,
            callbacks=callbacks)
        self.loss = loss

    def _check_params(self) -> None:
        if self.loss != "squared_error":
            raise ValueError(f"MLPRegressor(loss={self.loss!r}) is not available; glassnet's "
                             "regressor trains loss='squared_error' only")
        super()._check_params()

    @property
    def _loss_scale(self) -> float:  # type: ignore[override]
        return float(self.n_outputs_)

    def _head(self, n_outputs: int) -> tuple[str | Loss, str]:
        return "sse", "identity"

    def _targets(self, y: NDArray, *, first_pass: bool, incremental: bool) -> NDArray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=check_dtype(self.dtype))

    def _validation_score(self, targets: NDArray, outputs: NDArray) -> float:
        return float(r2_score(targets, outputs))

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the network and the optimizer.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=True)  # type: ignore[return-value]

    def predict(self, X: ArrayLike) -> NDArray:
        """Predicted values, (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._outputs(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


# -- small helpers ---------------------------------------------------------------
def _is_int(value: object, *, low: int) -> bool:
    return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and int(value) >= low)


def _choice(value: object, choices: Any, name: str, owner: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{owner}: unknown {name} {value!r}; choose one of {sorted(choices)}")


def _real(est: BaseEstimator, attr: str, *, low: float, high: float | None = None,
          low_open: bool = False, high_open: bool = False) -> None:
    """Refuse ``est.<attr>`` unless it is a real number in the interval given."""
    value = getattr(est, attr)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high))
    if not ok:
        interval = (("(" if low_open else "[") + f"{low}, "
                    + ("inf)" if high is None else f"{high}" + (")" if high_open else "]")))
        raise ValueError(f"{type(est).__name__}: {attr} must be a number in {interval}, "
                         f"got {value!r}")


def _as_generator(random_state: Any) -> np.random.Generator:
    """A Generator from scikit-learn's ``random_state`` (None, an int or a RandomState)."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    # an int gives the same seed every fit, a RandomState its next draw
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)
