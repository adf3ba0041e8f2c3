"""Full-batch L-BFGS over a network's parameters, through SciPy's L-BFGS-B.

Mini-batch optimizers take one step per batch; L-BFGS takes one step per pass
over all the data, along a direction built from the last few gradients (a
low-rank estimate of the inverse Hessian), with a line search. On small data
sets it often reaches a lower loss in fewer passes. SciPy does the
optimisation on one flat float64 vector; this module builds that vector at
the edge, as scikit-learn's MLP does, and writes it back into the layers' own
arrays::

    theta = [W_0.ravel(), b_0, W_1.ravel(), b_1, ...]      (``names`` sets the order)
    J(theta) = sum_i w_i l_i / sum_i w_i + 0.5 * alpha * sum_W ||W||^2 / sum_i w_i
    dJ/dtheta from one forward and one backward pass over all of X

where ``l_i`` is the loss of sample ``i`` (``w_i = 1`` without sample
weights) and the penalty covers the parameters weight decay applies to
(``network.decay_names``: the weights, not the biases). SciPy is an optional
dependency: ``pip install 'glassnet[lbfgs]'``.

Examples
--------
>>> import numpy as np
>>> from glassnet import mlp
>>> from glassnet.training.lbfgs import fit_lbfgs
>>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
>>> net = mlp([2, 8, 2], activation="tanh", seed=0, dtype="float64")
>>> result = fit_lbfgs(net, X, np.array([0, 1, 1, 0]), max_iter=200)
>>> net.predict(X).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..layers import Dropout
from ..network import Network

try:
    import scipy.optimize as optimize
except ImportError as exc:  # a ModuleNotFoundError naming SciPy, with the fix
    raise ModuleNotFoundError(
        f"glassnet.training.lbfgs needs SciPy, which is not installed ({exc}); install it "
        "with: pip install 'glassnet[lbfgs]'", name="scipy") from exc

__all__ = ["FlatObjective", "fit_lbfgs"]


class FlatObjective:
    """A network's loss over all of ``(X, targets)`` as a function of one flat vector.

    Parameters
    ----------
    network : a built ``Network`` (its ``loss`` is the objective's data term)
    X : ndarray (or SciPy sparse matrix, if the first layer accepts one)
        of shape (n_samples, n_features), in the network's dtype
    targets : the targets in the form ``network.loss`` expects
        (``network.loss.prepare_targets``)
    sample_weight : ndarray of shape (n_samples,) or None
    alpha : L2 strength, ``0.5 * alpha * sum ||W||^2 / sum(w)``
    names : the order of the parameters in the vector (default: the
        network's ``named_parameters`` order)

    Notes
    -----
    Calling the objective writes ``theta`` into the network's parameters
    (cast to their dtype) and returns ``(J, dJ/dtheta)`` in float64.
    """

    def __init__(self, network: Network, X: Any, targets: NDArray, *,
                 sample_weight: NDArray | None = None, alpha: float = 0.0,
                 names: Sequence[str] | None = None) -> None:
        for layer in network.layers:
            if isinstance(layer, Dropout) and layer.p > 0:
                raise ValueError(
                    f"L-BFGS needs the same loss at every evaluation, but the network has "
                    f"{layer!r}, which drops random units; remove the Dropout layers (or "
                    "train with a mini-batch optimizer)")
        triples = {name: (p, g) for name, p, g in network.named_parameters()}
        order = list(triples) if names is None else list(names)
        if sorted(order) != sorted(triples):
            raise ValueError(f"names must list every trainable parameter once, "
                             f"{sorted(triples)}; got {order}")
        self.network, self.X, self.targets = network, X, targets
        self.names = order
        self.sample_weight = sample_weight
        n = X.shape[0]
        self.weight_sum = float(n if sample_weight is None else np.sum(sample_weight))
        self.alpha = float(alpha)
        self._decay = network.decay_names
        self._sizes = [triples[name][0].size for name in order]
        self.n_evaluations = 0

    def _params(self) -> dict[str, tuple[NDArray, NDArray]]:
        # read afresh: a layer may rebind its arrays (the network's own rule)
        return {name: (p, g) for name, p, g in self.network.named_parameters()}

    def pack(self) -> NDArray:
        """The parameters as one float64 vector, in the order of ``names``."""
        params = self._params()
        return np.concatenate([params[name][0].ravel() for name in self.names]).astype(
            np.float64)

    def unpack(self, theta: NDArray) -> None:
        """Write ``theta`` into the network's parameters (cast to their dtype)."""
        params, start = self._params(), 0
        for name, size in zip(self.names, self._sizes, strict=True):
            p = params[name][0]
            p[...] = theta[start:start + size].reshape(p.shape)
            start += size

    def penalty(self) -> float:
        """``0.5 * alpha * sum ||W||^2 / sum(w)`` at the current parameters."""
        if not self.alpha:
            return 0.0
        squares = sum(float(np.dot(p.ravel(), p.ravel()))
                      for name, (p, _) in self._params().items() if name in self._decay)
        return 0.5 * self.alpha * squares / self.weight_sum

    def data_loss_and_grad(self) -> tuple[float, NDArray]:
        """The (weighted) mean loss and ``dL/d(output)`` at the current parameters."""
        net, w = self.network, self.sample_weight
        out = net.forward(self.X, training=True)
        loss, dout = net.loss.loss_and_grad(self.targets, out)
        if w is not None:
            per_sample = net.loss.per_sample_loss(self.targets, out)
            loss = float(np.dot(w, per_sample)) / self.weight_sum
            # the batch-mean gradient's rows, rescaled to w_i / sum(w)
            scale = (w * (out.shape[0] / self.weight_sum)).astype(dout.dtype)
            dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
        return loss, dout

    def __call__(self, theta: NDArray) -> tuple[float, NDArray]:
        self.n_evaluations += 1
        self.unpack(theta)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, dout = self.data_loss_and_grad()
            loss += self.penalty()
            self.network.backward(dout)
            params = self._params()
            grads = []
            for name in self.names:
                p, g = params[name]
                g = g.astype(np.float64).ravel()
                if self.alpha and name in self._decay:
                    g += (self.alpha / self.weight_sum) * p.ravel()
                grads.append(g)
        return float(loss), np.concatenate(grads)


def _check_limits(max_iter: Any, max_fun: Any, tol: Any) -> None:
    for value, what in ((max_iter, "max_iter"), (max_fun, "max_fun")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not (
            tol >= 0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")


def _checked_data(network: Network, X: Any, y: Any, sample_weight: Any
                  ) -> tuple[Any, NDArray, NDArray | None]:
    """``X`` in the network's dtype (a sparse matrix as it is), the loss's targets, the weights.

    Builds the network from ``X`` if it is not built yet.
    """
    data: Any = X
    if not hasattr(X, "tocsr"):
        data = np.ascontiguousarray(X, dtype=network.dtype)
        if not np.isfinite(data).all():
            raise ValueError("X holds NaN or infinity; remove or impute those values first")
    if not network.built:
        network.build(data.shape[1:])
    n_out = network.n_out
    if n_out is None:  # pragma: no cover - a built network knows its output size
        raise ValueError(f"{network!r} has no output size after building")
    targets = network.loss.prepare_targets(np.asarray(y), n_out, network.dtype)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if weights.shape[0] != data.shape[0] or (weights < 0).any():
            raise ValueError(f"sample_weight must hold {data.shape[0]} non-negative numbers, "
                             f"got shape {weights.shape}")
    return data, targets, weights


class _Progress:
    """SciPy's per-iteration callback: prints the loss (SciPy passes ``intermediate_result``)."""

    def __init__(self) -> None:
        self.iteration = 0

    def __call__(self, intermediate_result: Any) -> None:
        self.iteration += 1
        print(f"L-BFGS iteration {self.iteration}, loss = {intermediate_result.fun:.8f}")


def fit_lbfgs(network: Network, X: ArrayLike, y: ArrayLike, *,
              sample_weight: ArrayLike | None = None, alpha: float = 0.0,
              max_iter: int = 200, max_fun: int = 15000, tol: float = 1e-4,
              names: Sequence[str] | None = None, verbose: bool = False,
              warn: bool = True) -> Any:
    """Train ``network`` on all of ``(X, y)`` with L-BFGS-B; the parameters end at the optimum.

    Parameters
    ----------
    network : a ``Network`` (built here from ``X`` if it is not yet)
    X : array of shape (n_samples, n_features); a SciPy sparse matrix is
        used as it is (the first layer must accept it)
    y : targets as ``Network.fit`` takes them (labels, one-hot, values)
    sample_weight : array of shape (n_samples,), or None (all 1)
    alpha : L2 strength on the weights (see the module docstring)
    max_iter : most L-BFGS iterations
    max_fun : most evaluations of the loss (each a forward and backward pass)
    tol : stop when the largest gradient component is below ``tol``
        (SciPy's ``gtol``)
    names : order of the parameters in the flat vector (default: the network's)
    verbose : print the loss after each iteration
    warn : emit a ``RuntimeWarning`` when it stops before converging

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``fun`` (the final objective), ``nit`` (iterations), ``nfev``
        (evaluations), ``success``, ``message``, ``x`` (the flat parameters)
    """
    _check_limits(max_iter, max_fun, tol)
    data, targets, weights = _checked_data(network, X, y, sample_weight)
    objective = FlatObjective(network, data, targets, sample_weight=weights, alpha=alpha,
                              names=names)
    result = optimize.minimize(objective, objective.pack(), method="L-BFGS-B", jac=True,
                               callback=_Progress() if verbose else None,
                               options={"maxfun": int(max_fun), "maxiter": int(max_iter),
                                        "gtol": float(tol)})
    objective.unpack(result.x)
    if warn and not result.success:
        warnings.warn(f"L-BFGS stopped before converging after {result.nit} iterations and "
                      f"{result.nfev} loss evaluations: {result.message}; raise max_iter "
                      "or max_fun, or scale the inputs", RuntimeWarning, stacklevel=2)
    return result
