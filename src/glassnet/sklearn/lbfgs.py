"""``solver="lbfgs"``: the estimator's network trained by ``glassnet.training.lbfgs``.

scikit-learn packs the parameters as ``[W_0, W_1, ..., b_0, b_1, ...]``
(every weight matrix, then every bias vector) and minimises, with
``scipy.optimize.minimize(method="L-BFGS-B")``,

    ``J = sum_i w_i l_i / sum_i w_i + 0.5 * alpha * sum ||W||^2 / sum_i w_i``

with ``maxiter=max_iter``, ``maxfun=max_fun`` and ``gtol=tol``. This module
does the same through the engine's ``FlatObjective``, in the same order, so
``_loss_grad_lbfgs`` answers as scikit-learn's does for the same vector.
For several regression outputs, the squared error is summed over the
outputs in ``J`` (scikit-learn's gradient is that sum's; its reported
``loss_`` is the mean over outputs, and so is ``loss_`` here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..training.lbfgs import FlatObjective, fit_lbfgs
from ._network import dense_layers

if TYPE_CHECKING:
    from .base import BaseMLP


def packing_order(est: BaseMLP) -> list[str]:
    """The network's parameter names in scikit-learn's order: all weights, then all biases."""
    net = est.network_
    index = {id(layer): i for i, layer in enumerate(net.layers)}
    denses = dense_layers(net)
    return ([f"{index[id(d)]}.W" for d in denses] + [f"{index[id(d)]}.b" for d in denses])


def objective(est: BaseMLP, X: Any, targets: NDArray, sample_weight: NDArray | None
              ) -> FlatObjective:
    """The estimator's L-BFGS objective over ``(X, targets)``."""
    return FlatObjective(est.network_, X, targets, sample_weight=sample_weight,
                         alpha=est.alpha, names=packing_order(est))


def fit_estimator_lbfgs(est: BaseMLP, X: Any, targets: NDArray,
                        sample_weight: NDArray | None) -> None:
    """Run L-BFGS-B from the network's current weights; sets ``n_iter_`` and ``loss_``."""
    try:
        from sklearn.utils.optimize import _check_optimize_result
    except ImportError:  # pragma: no cover - scikit-learn moved its helper
        _check_optimize_result = None
    result = fit_lbfgs(est.network_, X, targets, sample_weight=sample_weight, alpha=est.alpha,
                       max_iter=est.max_iter, max_fun=est.max_fun, tol=est.tol,
                       names=packing_order(est), verbose=bool(est.verbose), warn=False)
    if _check_optimize_result is not None:
        est.n_iter_ = _check_optimize_result("lbfgs", result, est.max_iter)
    else:  # pragma: no cover
        est.n_iter_ = min(int(result.nit), est.max_iter)
    weight_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    squares = sum(float(np.dot(d.params["W"].ravel(), d.params["W"].ravel()))
                  for d in dense_layers(est.network_))
    penalty = 0.5 * est.alpha * squares / weight_sum
    est.loss_ = (float(result.fun) - penalty) / est._loss_scale + penalty
