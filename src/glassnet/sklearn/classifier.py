"""``MLPClassifier``: scikit-learn's multilayer perceptron classifier, trained by glassnet."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

from .base import BaseMLP


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multilayer perceptron classifier, ``sklearn.neural_network.MLPClassifier``'s parameters.

    Softmax cross-entropy for more than two classes; one logistic output
    with binary cross-entropy for two classes (and for a single class), and
    for multi-label ``y`` (an (n_samples, n_labels) 0/1 matrix). Labels may
    be any values scikit-learn accepts (strings, ``{1, 2}``, booleans).

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
    warm_start, momentum, nesterovs_momentum, early_stopping,
    validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun :
        as in scikit-learn's ``MLPClassifier`` (``solver="lbfgs"`` needs
        SciPy, which scikit-learn installs)
    dropout : drop probability after every hidden activation (0 = none;
        mini-batch solvers only)
    dtype : the network's float type, ``"float32"`` or ``"float64"``; None
        (default) follows ``X``: float32 input trains float32 weights, any
        other input float64, as scikit-learn's MLP
    callbacks : glassnet callbacks; ``on_train_begin``/``on_train_end`` run once
        per ``fit`` or ``partial_fit`` call and ``on_epoch_end`` after each
        iteration, with logs ``loss`` (and ``val_loss``, ``val_score`` under
        early stopping); setting ``network.stop_training`` ends the fit

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    loss_ : the last iteration's loss (penalty included)
    loss_curve_ : list of the training loss per epoch (mini-batch solvers)
    validation_scores_ : list of validation accuracies per epoch, or None
        without early stopping; ``validation_loss_curve_`` likewise for the
        validation loss (penalty excluded)
    best_validation_score_, best_loss_ : float or None, as in scikit-learn
    n_iter_ : iterations run by the last ``fit`` (1 after ``partial_fit``)
    t_ : training samples seen over all calls
    coefs_, intercepts_ : the network's weights (n_in, n_out) and biases
        (n_out,); assigning to them (or an item of them) copies into the network
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

    _label_binarizer: LabelBinarizer

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, NDArray]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _out_activation(self, y: NDArray) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _encode_targets(self, y: NDArray, dtype: np.dtype) -> NDArray:
        if self.out_activation_ == "softmax":  # class ids: the head picks, no one-hot product
            return np.argmax(y, axis=1)
        return np.ascontiguousarray(y, dtype=dtype)

    def _stratify(self, y: NDArray) -> NDArray | None:
        return y if self.n_outputs_ == 1 else None  # scikit-learn stratifies one output only

    def _label_ids(self, out: NDArray) -> NDArray:
        """Class indices (n,) or the multi-label 0/1 matrix, decided by the network's head."""
        ids = self.network_.loss.labels(out)
        if len(self.classes_) == 1:  # one class: every sample is it
            return np.zeros(out.shape[0], dtype=np.int64)
        return ids

    def _score_outputs(self, out: NDArray, targets: NDArray, sample_weight: Any) -> float:
        true = targets if targets.ndim == 1 else targets.astype(np.int64)
        if true.ndim == 2 and true.shape[1] == 1:
            true = true[:, 0]
        return float(accuracy_score(true, self._label_ids(out), sample_weight=sample_weight))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is needed on the first call.

        Returns
        -------
        self
        """
        self._validate_params()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[no-any-return]

    def predict_proba(self, X: ArrayLike) -> NDArray:
        """Class probabilities, columns in the order of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes) (two columns for one logistic output)
        """
        out, dtype = self._outputs(X)
        with np.errstate(all="ignore"):
            proba = self.network_.loss.proba(out)
        if proba.shape[1] == 1:
            proba = np.hstack([1 - proba, proba])
        return proba.astype(dtype, copy=False)

    def predict_log_proba(self, X: ArrayLike) -> NDArray:
        """``log(predict_proba(X))``, shape (n_samples, n_classes)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):  # a probability rounded to 0 has log -inf
            return np.log(proba, out=proba)

    def predict(self, X: ArrayLike) -> NDArray:
        """Labels from ``classes_`` (n_samples,), or the 0/1 matrix for multi-label.

        The labels are the network head's (``network_.loss.labels``: the
        largest logit, or a logit above 0), so ``predict`` and ``network_.predict``
        always agree.
        """
        out, _ = self._outputs(X)
        ids = self._label_ids(out)
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return ids
        return self.classes_[ids]  # type: ignore[no-any-return]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
