"""The data of one ``fit``: checked and converted once, and split for validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .weights import stratified_split

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["FitData", "prepare_data"]


@dataclass
class FitData:
    """Training arrays (``X``, prepared ``targets``, optional per-sample ``weights``)
    and the validation pair, None without validation."""

    X: NDArray
    targets: NDArray
    weights: NDArray | None
    X_val: NDArray | None = None
    y_val: NDArray | None = None


def prepare_data(network: Network, X: ArrayLike, y: ArrayLike, *,
                 sample_weight: ArrayLike | None,
                 class_weight: Mapping[int, float] | str | None,
                 validation_data: tuple[ArrayLike, ArrayLike] | None,
                 validation_split: float,
                 seed: int | np.random.Generator | None) -> FitData:
    """``(X, y)`` through ``network.prepare`` (deciding the task), weights, and validation.

    ``validation_split`` holds out a random fraction (from ``seed``),
    stratified by class for a classifier; ``validation_data`` is prepared
    the same way as the training data.
    """
    X_train, prepared, weights = network.prepare(X, y, sample_weight=sample_weight,
                                                 class_weight=class_weight, decide_task=True)
    targets = cast(NDArray, prepared)  # given y, prepare gives targets
    data = FitData(X_train, targets, weights)
    if validation_split:
        split_rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) \
            else seed
        labels = network.loss.target_labels(targets) \
            if network.task == "classification" else None
        train_idx, val_idx = stratified_split(X_train.shape[0], validation_split, labels, split_rng)
        data = FitData(X_train[train_idx], targets[train_idx],
                       None if weights is None else weights[train_idx],
                       X_train[val_idx], targets[val_idx])
    elif validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        data.X_val, data.y_val, _ = network.prepare(validation_data[0], validation_data[1],
                                                    names=("X_val", "y_val"))
    return data
