"""The estimators' parameters: scikit-learn's constraints, glassnet's, live weight lists."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, Options, StrOptions

from .._validation import check_dtype
from ..training.callbacks import Callback

#: scikit-learn's own constraints (so its messages and InvalidParameterError), plus glassnet's
CONSTRAINTS: dict[str, Any] = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # glassnet's
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "dtype": "no_validation",       # checked by check_extras: None, float32 or float64
    "callbacks": "no_validation",   # checked by check_extras: glassnet Callbacks
}


def check_extras(est: Any) -> np.dtype | None:
    """Check glassnet's own parameters; returns the requested dtype (None: follow X)."""
    name = type(est).__name__
    for cb in est.callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"{name}: callbacks must be glassnet Callback instances "
                            f"(glassnet.training.callbacks), got {cb!r}")
    if est.dropout and est.solver == "lbfgs":
        raise ValueError(f"{name}(solver='lbfgs', dropout={est.dropout}): L-BFGS needs the "
                         "same loss at every evaluation, and dropout draws new units each "
                         "time; use dropout=0 or solver='adam' or 'sgd'")
    return None if est.dtype is None else check_dtype(est.dtype)


def hidden_sizes(est: Any) -> list[int]:
    """``hidden_layer_sizes`` as a list, checked as scikit-learn checks it."""
    sizes = est.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if np.any(np.array(sizes) <= 0):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


class LiveArrays(list):  # type: ignore[type-arg]
    """``coefs_`` or ``intercepts_``: the network's own arrays; assigning an item copies into it.

    ``clf.coefs_[0] = W`` writes ``W`` into the first layer's weights (the
    shapes must match) and ``clf.coefs_[0][...] = 0`` edits them in place,
    so what you set is what the network computes with.
    """

    def __init__(self, arrays: list[NDArray], what: str) -> None:
        super().__init__(arrays)
        self.what = what

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError(f"{self.what}[{index}] = ...: assign one array at a time, "
                            f"e.g. {self.what}[0] = W")
        target = list.__getitem__(self, index)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.what}[{index}] has shape {target.shape}, got an array of "
                             f"shape {value.shape}; the network's layer sizes are fixed "
                             "(fit again with other hidden_layer_sizes to change them)")
        target[...] = value

    def assign(self, values: Any) -> None:
        """Copy every array of ``values`` in (same length and shapes)."""
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self.what} must hold {len(self)} arrays, one per layer, "
                             f"got {len(values)}")
        for i, value in enumerate(values):
            self[i] = value

    def __reduce_ex__(self, protocol: Any) -> Any:
        # copies and pickles are plain lists of arrays (no link to any network)
        return (list, (list(self),))

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{self.what} has one array per layer; its length cannot change")

    append = extend = insert = pop = remove = clear = __delitem__ = __iadd__ = _refuse  # type: ignore[assignment]
