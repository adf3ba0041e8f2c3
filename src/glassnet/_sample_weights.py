"""One weight per sample, from ``sample_weight`` and ``class_weight`` (fit and evaluate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import ShapeError

if TYPE_CHECKING:
    from .network import Network

__all__ = ["class_sample_weights"]


def class_sample_weights(network: Network, targets: NDArray,
                         sample_weight: ArrayLike | None,
                         class_weight: Mapping[int, float] | str | None) -> NDArray | None:
    """One weight per sample, ``sample_weight * class_weight[label]``, or None for none.

    Parameters
    ----------
    targets : the prepared targets (``loss.prepare_targets``), (n_samples, ...)
    sample_weight : (n_samples,) finite weights >= 0, not all zero
    class_weight : dict label -> weight, or ``"balanced"``:
        ``n_samples / (n_classes * count(label))`` (every class weighs the same in all)

    Returns
    -------
    float64 array of shape (n_samples,), or None when neither is given
    """
    n = targets.shape[0]
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (n,):
            raise ShapeError(f"sample_weight must have shape (n_samples,) = ({n},), "
                             f"got {weights.shape}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("sample_weight must hold finite numbers >= 0; found a negative, "
                             "NaN or infinite weight")
    if class_weight is not None:
        if network.task != "classification":
            raise ValueError(f"class_weight is for classifiers; this network's task is "
                             f"{network.task!r}: use sample_weight")
        labels = network.loss.target_labels(targets)
        if labels.ndim != 1:
            raise ValueError("class_weight needs one label per sample; for multi-label "
                             "targets use sample_weight")
        per_class = _class_weights(class_weight, labels, network._outputs())
        from_class = per_class[labels]
        weights = from_class if weights is None else weights * from_class
    if weights is not None and not weights.sum() > 0:
        raise ValueError("the sample weights are all zero; at least one sample must count")
    return weights


def _class_weights(class_weight: Mapping[int, float] | str, labels: NDArray,
                   n_out: int) -> NDArray:
    n_classes = max(n_out, 2)
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict label -> weight or 'balanced', "
                             f"got {class_weight!r}")
        present = counts > 0
        per_class = np.zeros(n_classes)
        per_class[present] = labels.shape[0] / (present.sum() * counts[present])
        return per_class
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be a dict label -> weight or 'balanced', "
                        f"got {type(class_weight).__name__}")
    per_class = np.ones(n_classes)
    for label, value in class_weight.items():
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
                or not 0 <= label < n_classes:
            raise ValueError(f"class_weight has the label {label!r}; labels are integers in "
                             f"0..{n_classes - 1}")
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"class_weight[{label}] = {value} must be a finite number >= 0")
        per_class[int(label)] = value
    return per_class
