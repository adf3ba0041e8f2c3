"""Sweeps on many cores or a Dask cluster: a thread bound for each trial.

A search (scikit-learn's ``GridSearchCV`` / ``RandomizedSearchCV``, dask-ml's
``HyperbandSearchCV`` / ``IncrementalSearchCV``) runs many trials at once;
if every trial's NumPy also starts one BLAS thread per core, the trials
oversubscribe the machine and all run slower. :class:`ThreadLimited` wraps
an estimator so that each ``fit``, ``partial_fit`` and prediction runs under
``threadpoolctl.threadpool_limits(n_threads)``, wherever it runs: in this
process, a joblib worker or a Dask worker. The searches themselves are the
libraries' own: glassnet's estimators are ordinary scikit-learn estimators.

    from sklearn.model_selection import GridSearchCV
    from glassnet.sklearn import MLPClassifier
    from glassnet.distributed import ThreadLimited

    search = GridSearchCV(ThreadLimited(MLPClassifier(max_iter=50), n_threads=1),
                          {"estimator__alpha": [1e-4, 1e-2]}, n_jobs=2)

and on a Dask cluster, the same search through joblib's Dask backend::

    from dask.distributed import Client, LocalCluster
    import joblib

    with Client(LocalCluster(n_workers=2, threads_per_worker=1)), \\
            joblib.parallel_config(backend="dask"):
        search.fit(X, y)
"""

from __future__ import annotations

import numbers
from typing import Any

from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags

__all__ = ["ThreadLimited"]


class ThreadLimited(MetaEstimatorMixin, BaseEstimator):
    """``estimator``, with every call run under ``threadpool_limits(n_threads)``.

    Parameters
    ----------
    estimator : a scikit-learn estimator (e.g. ``glassnet.sklearn.MLPClassifier``);
        a search sets its parameters as ``estimator__<name>``
    n_threads : the BLAS/OpenMP threads each call may use (1: one core per trial)

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``
    classes_ : the fitted estimator's classes (classifiers)
    """

    def __init__(self, estimator: Any, *, n_threads: int = 1) -> None:
        self.estimator = estimator
        self.n_threads = n_threads

    def _limits(self) -> Any:
        if isinstance(self.n_threads, bool) or not isinstance(self.n_threads, numbers.Integral) \
                or self.n_threads < 1:
            raise ValueError(f"n_threads must be a positive integer, got {self.n_threads!r}")
        try:
            from threadpoolctl import threadpool_limits
        except ImportError as exc:
            raise ImportError("ThreadLimited needs threadpoolctl: pip install "
                              "'glassnet[dask]' (or pip install threadpoolctl)") from exc
        return threadpool_limits(limits=int(self.n_threads))

    def fit(self, X: ArrayLike, y: ArrayLike, **fit_params: Any) -> ThreadLimited:
        """Fit a clone of ``estimator`` within the thread bound; returns self."""
        with self._limits():
            self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike, **fit_params: Any) -> ThreadLimited:
        """One ``partial_fit`` of the (first time: cloned) estimator; returns self."""
        if not hasattr(self, "estimator_"):
            self.estimator_ = clone(self.estimator)
        with self._limits():
            self.estimator_.partial_fit(X, y, **fit_params)
        return self

    def _fitted(self) -> Any:
        if not hasattr(self, "estimator_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this ThreadLimited is not fitted yet: call fit or "
                                 "partial_fit first")
        return self.estimator_

    def predict(self, X: ArrayLike) -> Any:
        with self._limits():
            return self._fitted().predict(X)

    def predict_proba(self, X: ArrayLike) -> Any:
        with self._limits():
            return self._fitted().predict_proba(X)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        with self._limits():
            return float(self._fitted().score(X, y, sample_weight=sample_weight))

    @property
    def classes_(self) -> Any:
        return self._fitted().classes_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags = inner.target_tags
        return tags
