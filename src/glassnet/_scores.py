"""``Network.evaluate``'s sums: the mean loss and accuracy, plain or weighted per sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .network import Network

__all__ = ["mean_scores"]


def mean_scores(network: Network, X: NDArray, targets: NDArray, weights: NDArray | None,
                step: int, classify: bool) -> dict[str, float]:
    """Mean loss and (``classify``) accuracy over ``X`` in slices of ``step`` rows.

    With ``weights`` both are weighted means, ``sum_i w_i l_i / sum_i w_i``;
    accuracy counts labels as ``predict`` decodes them (the loss's ``labels``).
    """
    if weights is not None:
        return _weighted_scores(network, X, targets, weights, step, classify)
    loss = network.loss
    total_loss, correct, counted = 0.0, 0, 0
    for i in range(0, X.shape[0], step):
        out = network._checked_outputs(network.forward(X[i:i + step]))
        t = targets[i:i + step]
        total_loss += loss.loss(t, out) * out.shape[0]
        if classify:
            right, n = loss.n_correct(out, t)
            correct, counted = correct + right, counted + n
    result = {"loss": total_loss / X.shape[0]}
    if classify:
        result["accuracy"] = correct / counted
    return result


def _weighted_scores(network: Network, X: NDArray, targets: NDArray, weights: NDArray,
                     step: int, classify: bool) -> dict[str, float]:
    """``mean_scores`` with one weight per sample."""
    loss = network.loss
    total_loss = total_right = 0.0
    for i in range(0, X.shape[0], step):
        out = network._checked_outputs(network.forward(X[i:i + step]))
        t, w = targets[i:i + step], weights[i:i + step]
        total_loss += float(np.dot(w, loss.per_sample_loss(t, out)))
        if classify:
            right = loss.labels(out) == loss.target_labels(t)
            total_right += float(np.dot(w, right.reshape(right.shape[0], -1).mean(axis=1)))
    result = {"loss": total_loss / float(weights.sum())}
    if classify:
        result["accuracy"] = total_right / float(weights.sum())
    return result
