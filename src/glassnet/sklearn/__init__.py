"""scikit-learn estimators trained by glassnet: ``MLPClassifier`` and ``MLPRegressor``.

They take the parameters of ``sklearn.neural_network.MLPClassifier`` and
``MLPRegressor`` (same names, same defaults, same meaning) and work wherever
a scikit-learn estimator does: ``Pipeline``, ``GridSearchCV``,
``cross_val_score``, ``clone``, pickling. scikit-learn's own test module for
its MLP passes against them (``tests/test_sklearn_mlp_suite.py``). Needs the
``sklearn`` extra: ``pip install 'glassnet[sklearn]'``.

The network is a glassnet ``Network`` (``network_``), started from
scikit-learn's initial weights for the same ``random_state``; its head
(``network_.loss``) gives the probabilities and the labels. The solvers:

``"adam"``, ``"sgd"``
    an epoch of mini-batches through the network's ``forward``, ``backward``
    and a glassnet optimizer with scikit-learn's arithmetic
    (``glassnet.sklearn._solvers``), as ``_stochastic`` describes
``"lbfgs"``
    ``scipy.optimize.minimize(method="L-BFGS-B")`` on the flattened
    parameters through ``glassnet.training.lbfgs`` (see ``lbfgs``)

glassnet adds ``dropout``, a ``dtype`` (float32 or float64; by default the
dtype of ``X``), glassnet ``callbacks`` and a ``validation_loss_curve_``.
The differences that remain are listed, with their reasons, in the
documentation's page on scikit-learn (docs/sklearn.md).

Modules: ``base`` (what both share), ``classifier``, ``regressor``,
``lbfgs``, ``_stochastic`` (the mini-batch iterations), ``_solvers``,
``_network`` (layers, heads, initial weights), ``_params``.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
    from sklearn.utils.validation import validate_data  # noqa: F401  (1.6 or newer)
except ImportError as exc:  # pragma: no cover - exercised in a separate process
    raise ImportError(
        "glassnet.sklearn needs scikit-learn 1.6 or newer, which is not installed "
        f"({exc}); install it with: pip install 'glassnet[sklearn]'"
    ) from exc

from .classifier import MLPClassifier
from .regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
