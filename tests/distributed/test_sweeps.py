"""Sweeps over the glassnet estimators: joblib locally, a Dask LocalCluster, Hyperband.

Grid and randomized searches on the cluster find the parameters that joblib finds.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the sweeps need scikit-learn (glassnet[sklearn])")
threadpoolctl = pytest.importorskip("threadpoolctl", reason="pip install 'glassnet[dask]'")

from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.distributed import ThreadLimited  # noqa: E402
from glassnet.sklearn import MLPClassifier  # noqa: E402

GRID = {"estimator__hidden_layer_sizes": [(4,), (32,)], "estimator__alpha": [1e-4, 1e-1]}


class _SeesThreads(ClassifierMixin, BaseEstimator):
    """Records how many BLAS/OpenMP threads it was allowed while fitting."""

    def fit(self, X, y):
        self.threads_ = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=self.classes_.dtype)


def _search() -> GridSearchCV:
    return GridSearchCV(ThreadLimited(MLPClassifier(max_iter=40, learning_rate_init=0.01,
                                                    random_state=0)), GRID, cv=3, n_jobs=2)


def _randomized() -> RandomizedSearchCV:
    return RandomizedSearchCV(
        ThreadLimited(MLPClassifier(max_iter=40, learning_rate_init=0.01, random_state=0)),
        {"estimator__alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
         "estimator__hidden_layer_sizes": [(4,), (16,), (32,)]},
        n_iter=3, cv=3, n_jobs=2, random_state=0)


def test_each_trial_runs_within_its_thread_bound() -> None:
    if not threadpoolctl.threadpool_info():
        pytest.skip("no BLAS or OpenMP thread pool is loaded to limit")
    X, y = gn.datasets.make_moons(30, seed=0)
    fitted = ThreadLimited(_SeesThreads(), n_threads=1).fit(X, y)
    assert fitted.estimator_.threads_ and set(fitted.estimator_.threads_) == {1}
    assert is_classifier(ThreadLimited(MLPClassifier()))
    assert clone(ThreadLimited(MLPClassifier(alpha=0.5))).get_params()["estimator__alpha"] == 0.5


def test_unhappy_paths_say_what_is_wrong() -> None:
    X, y = gn.datasets.make_moons(30, seed=0)
    with pytest.raises(ValueError, match="n_threads must be a positive integer, got 0"):
        ThreadLimited(_SeesThreads(), n_threads=0).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ThreadLimited(_SeesThreads()).predict(X)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_dask_cluster_sweep_finds_what_joblib_finds_and_hyperband_runs() -> None:
    distributed = pytest.importorskip("distributed", reason="pip install 'glassnet[dask]'")
    model_selection = pytest.importorskip("dask_ml.model_selection",
                                          reason="pip install 'glassnet[dask]'")
    import dask.array as da
    import joblib

    X, y = gn.datasets.make_moons(300, noise=0.25, seed=0)
    local, local_random = _search().fit(X, y), _randomized().fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  processes=True) as cluster, distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            on_dask = _search().fit(X, y)
            on_dask_random = _randomized().fit(X, y)
        hyperband = model_selection.HyperbandSearchCV(
            ThreadLimited(MLPClassifier(learning_rate_init=0.01, random_state=0)),
            {"estimator__alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
             "estimator__hidden_layer_sizes": [(8,), (32,)]},
            max_iter=9, random_state=0)
        hyperband.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100),
                      classes=[0, 1])
    assert on_dask.best_params_ == local.best_params_
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"])
    assert on_dask_random.best_params_ == local_random.best_params_
    assert len(hyperband.cv_results_["params"]) > 1  # several trials, cut short by Hyperband
    assert hyperband.best_score_ > 0.8  # moons with noise 0.25: chance is 0.5
