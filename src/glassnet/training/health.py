"""Training-health checks: a callback that says, with numbers, what looks wrong and what to try.

``HealthCheck(X, y)`` watches a training run and warns (``warnings.warn``
with ``glassnet.errors.TrainingHealthWarning``) about:

- ``inputs``: inputs not scaled, values far outside [-10, 10] (checked once,
  at the start, on all of ``X``);
- ``saturation``: hidden sigmoid or tanh units stuck at their asymptotes
  (most activations within ``saturation_tol`` of 0/1 or -1/1 on a sample),
  where their gradient is almost zero;
- ``dead_relu``: hidden ReLU units that output zero for every sample, so
  they no longer learn (a whole layer, or most of it);
- ``loss``: a training loss that rises well above its best or swings up
  and down from epoch to epoch (a learning rate too high);
- ``chance``: accuracy stuck at the rate of always guessing the most
  common class;
- ``vanishing_gradients``: the first layer's gradients orders of magnitude
  smaller than the last layer's.

Each kind of warning is given at most once per layer and training run.
The sample checks use up to ``max_samples`` evenly spaced rows of ``X`` and
copies of the network's layers, so they change nothing in the run (no weights, no
random generators, no running statistics). Without ``X`` the checks that
need data (inputs, saturation, dead ReLU, vanishing gradients) are skipped;
those on the logged loss and accuracy still run.

    net.fit(X, y, epochs=50, callbacks=[HealthCheck(X, y)])
"""

from __future__ import annotations

import copy
import os
import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_non_negative, check_positive, check_positive_int
from ..errors import ShapeError, TrainingHealthWarning
from ..layers import Dense, Layer, ReLU, Sigmoid, Tanh
from ..losses import Loss
from .callbacks import Callback

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["HealthCheck", "TrainingHealthWarning", "CHECKS"]

CHECKS = ("inputs", "saturation", "dead_relu", "loss", "chance", "vanishing_gradients")


class HealthCheck(Callback):
    """Warn when training shows a known sign of trouble; see the module docstring.

    Parameters
    ----------
    X : the training inputs (n_samples, *input_shape), or None to skip the
        data checks; integer indices for a first layer taking them (an
        embedding), which are not judged for scale
    y : the training labels (n_samples,) or targets (n_samples, n_out); used
        for the chance rate and the gradient check (None: chance is
        ``1 / n_classes`` and the gradient check is skipped). Both go through
        ``Network.prepare`` and the labels come from the loss (the network's
        head), as in ``fit`` and ``evaluate``.
    max_samples : rows of ``X`` used for the activation and gradient checks
    input_limit : warn when any input's magnitude exceeds this
    saturation_tol, max_saturated : warn when more than ``max_saturated`` of a
        hidden sigmoid/tanh layer's activations lie within ``saturation_tol``
        of an asymptote
    max_dead : warn when more than this fraction of a hidden ReLU layer's
        units never output a positive value on the sample
    loss_rise : warn when the epoch loss exceeds its best so far by this
        fraction (0.25: 25 % higher)
    swing_window : epochs looked at for swings; warn when the loss changes
        direction at every epoch of the window, each change at least 5 %
    chance_patience, chance_margin : warn when the accuracy has been within
        ``chance_margin`` of the chance rate for ``chance_patience`` epochs
    min_gradient_ratio : warn when RMS(dW first layer) / RMS(dW last layer)
        falls below this

    Attributes
    ----------
    issued : list of ``(check, message)`` for every warning given in this run
    """

    chief_only = True

    def __init__(self, X: ArrayLike | None = None, y: ArrayLike | None = None, *,
                 max_samples: int = 256, input_limit: float = 10.0,
                 saturation_tol: float = 1e-3, max_saturated: float = 0.5,
                 max_dead: float = 0.5, loss_rise: float = 0.25, swing_window: int = 5,
                 chance_patience: int = 5, chance_margin: float = 0.02,
                 min_gradient_ratio: float = 1e-3) -> None:
        self.X = None if X is None else np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        if self.X is not None and self.X.ndim < 2:
            raise ShapeError(f"HealthCheck expects X of shape (n_samples, *input_shape), got "
                             f"{self.X.shape}")
        if self.X is not None and self.y is not None and len(self.y) != len(self.X):
            raise ShapeError(f"HealthCheck got X with {len(self.X)} samples but y with "
                             f"{len(self.y)}; pass the training data as given to fit")
        self.max_samples = check_positive_int(max_samples, "max_samples")
        self.input_limit = check_positive(input_limit, "input_limit")
        self.saturation_tol = check_positive(saturation_tol, "saturation_tol")
        self.max_saturated = check_non_negative(max_saturated, "max_saturated", upper=1.0)
        self.max_dead = check_non_negative(max_dead, "max_dead", upper=1.0)
        self.loss_rise = check_positive(loss_rise, "loss_rise")
        self.swing_window = check_positive_int(swing_window, "swing_window")
        if self.swing_window < 3:
            raise ValueError(f"swing_window must be at least 3 epochs, got {swing_window}")
        self.chance_patience = check_positive_int(chance_patience, "chance_patience")
        self.chance_margin = check_non_negative(chance_margin, "chance_margin", upper=1.0)
        self.min_gradient_ratio = check_positive(min_gradient_ratio, "min_gradient_ratio")
        self.issued: list[tuple[str, str]] = []
        self._warned: set[tuple[str, int]] = set()
        self._losses: list[float] = []
        self._accuracies: list[float] = []
        self._too_fast: float | None = None  # the first batch's loss, when the loss rose
        self._X: NDArray | None = None  # X and y as the network takes them (prepare)
        self._targets: NDArray | None = None

    # -- hooks -------------------------------------------------------------
    def on_train_begin(self, network: Network) -> None:
        self.issued, self._warned, self._losses, self._accuracies = [], set(), [], []
        self._too_fast = None
        self._X, self._targets = None, None
        if self.X is not None:
            if network.input_shape is not None and self.X.shape[1:] != network.input_shape:
                raise ShapeError(
                    f"HealthCheck was given X with {int(np.prod(self.X.shape[1:]))} features "
                    f"(shape {self.X.shape}) but the network takes {network.n_in} (samples of "
                    f"shape {network.input_shape}); pass the data given to fit")
            self._X, self._targets, _ = network.prepare(self.X, self.y)
            if network.layers[0].input_kind == "float":  # indices have no scale to judge
                self._check_inputs(self._X)
        elif self.y is not None:  # labels alone, for the chance rate
            self._targets = self._labels_only(network)

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if "loss" in logs:
            self._losses.append(float(logs["loss"]))
            # far above the first batch's loss: the steps are too large (the cause to name)
            first = getattr(network.training_state, "first_loss", None)
            self._too_fast = (first if first is not None and self._losses[-1] > 3 * first
                              else None)
            self._check_loss(type(network.optimizer).__name__)
        if "accuracy" in logs:
            self._accuracies.append(float(logs["accuracy"]))
            self._check_chance(network)
        if self._X is not None:
            sample = self._sample_rows()
            # Copies of the layers (only they: not the optimizer or any data the
            # network may hold): their forward passes draw no dropout masks from,
            # and update no caches or statistics of, the network being trained.
            layers = copy.deepcopy(network.layers)
            X = self._X[sample]
            self._check_activations(layers, X)
            if self._targets is not None:
                self._check_gradients(layers, network.loss, X, self._targets[sample])

    # -- the checks --------------------------------------------------------
    def _warn(self, check: str, message: str, layer: int = -1) -> None:
        if (check, layer) in self._warned:
            return
        self._warned.add((check, layer))
        self.issued.append((check, message))
        warnings.warn(message, TrainingHealthWarning, stacklevel=_caller_level())

    def _check_inputs(self, X: NDArray) -> None:
        if X.size == 0 or X.dtype.kind not in "biuf":
            return
        low, high = float(X.min()), float(X.max())
        if max(abs(low), abs(high)) > self.input_limit:
            self._warn("inputs", (
                f"the inputs are not scaled: they range from {low:g} to {high:g}, far outside "
                f"[-{self.input_limit:g}, {self.input_limit:g}], so the first layer's weighted "
                "sums are huge and its units saturate or die; scale them, e.g. X / 255 for "
                "pixels or (X - X.mean(axis=0)) / X.std(axis=0) for measurements"))

    def _check_loss(self, optimizer: str = "") -> None:
        losses = self._losses
        if len(losses) < 3:
            return
        best = min(losses[:-1])
        if losses[-1] > best * (1 + self.loss_rise) and best > 0:
            first = losses.index(best) + 1
            self._warn("loss", (
                f"the training loss rose from {best:.4g} (epoch {first}) to {losses[-1]:.4g} "
                f"(epoch {len(losses)}), {losses[-1] / best - 1:.0%} above its best: the "
                "learning rate is probably too high; divide it by 3 to 10"
                + ("" if optimizer.startswith("Adam") else ", or use Adam")))
            return
        window = losses[-self.swing_window:]
        if len(window) < self.swing_window:
            return
        steps = np.diff(window)
        relative = np.abs(steps) / np.maximum(np.abs(window[:-1]), 1e-12)
        flips = np.sign(steps[1:]) * np.sign(steps[:-1]) < 0
        if flips.all() and (relative >= 0.05).all():
            shown = ", ".join(f"{v:.4g}" for v in window)
            self._warn("loss", (
                f"the training loss swings up and down every epoch ({shown} over the last "
                f"{len(window)} epochs) instead of falling: the learning rate is probably "
                "too high; divide it by 3 to 10, or use a larger batch_size"))

    def _check_chance(self, network: Network) -> None:
        recent = self._accuracies[-self.chance_patience:]
        if len(recent) < self.chance_patience:
            return
        chance = self._chance_rate(network)
        if max(recent) <= chance + self.chance_margin:
            self._warn("chance", (
                f"the training accuracy has stayed at {recent[-1]:.3f} for "
                f"{len(recent)} epochs, no better than always guessing the most common class "
                f"({chance:.3f}): the network is not learning; check that the labels belong "
                "to the inputs, scale the inputs, and try another learning rate (both 10x "
                "higher and 10x lower)"))

    def _chance_rate(self, network: Network) -> float:
        """The accuracy of always guessing the most common class (of each label)."""
        if self._targets is None and self.y is not None:  # hooks called without train_begin
            self._targets = self._labels_only(network)
        if self._targets is None:
            return 1.0 / max(2, network.n_out or 2)
        labels = network.loss.target_labels(self._targets)  # the head decodes, nothing else
        if labels.ndim == 1:
            return float(np.bincount(labels).max() / labels.size)
        positive = labels.mean(axis=0)  # multi-label: each label's majority, averaged
        return float(np.maximum(positive, 1 - positive).mean())

    def _labels_only(self, network: Network) -> NDArray:
        """``y`` without ``X``, prepared as the loss (the network's head) wants it."""
        return network.loss.prepare_targets(np.asarray(self.y), network._outputs(),
                                            network.dtype)

    def _sample_rows(self) -> NDArray:
        if self._X is None:  # callers check first; a clear error if one does not
            raise ValueError("HealthCheck has no training data X to sample")
        n = self._X.shape[0]
        return np.unique(np.linspace(0, n - 1, min(n, self.max_samples)).astype(np.intp))

    def _check_activations(self, layers: list[Layer], X: NDArray) -> None:
        last_dense = max((i for i, la in enumerate(layers) if isinstance(la, Dense)),
                         default=len(layers))
        out = X
        n = out.shape[0]
        for i, layer in enumerate(layers):
            out = layer.forward(out, training=False)
            if i > last_dense:
                break  # the output layer's activation may rightly be saturated
            if isinstance(layer, (Sigmoid, Tanh)):
                tol = self.saturation_tol
                if isinstance(layer, Sigmoid):
                    stuck = (out < tol) | (out > 1 - tol)
                    ends = "0 or 1"
                else:
                    stuck = np.abs(out) > 1 - tol
                    ends = "-1 or 1"
                fraction = float(stuck.mean())
                if fraction > self.max_saturated:
                    fix = ("scale the inputs, lower the learning rate, use smaller initial "
                           "weights (init='glorot_uniform'), or try ReLU")
                    if self._too_fast is not None:  # the weights grew by too large steps
                        fix = (f"the loss rose from {self._too_fast:.4g} (first batch) to "
                               f"{self._losses[-1]:.4g}: the learning rate is too high and its "
                               "steps blew the weights up; divide it by 10")
                    self._warn("saturation", (
                        f"layer {i} {type(layer).__name__} is saturated: {fraction:.0%} of its "
                        f"activations on {n} training samples are within {tol:g} of {ends}, "
                        f"where its gradient is almost zero and learning stalls; {fix}"), i)
            elif isinstance(layer, ReLU):
                dead = ~(out > 0).any(axis=0)
                n_dead, n_units = int(dead.sum()), dead.size
                if n_dead and n_dead / n_units > self.max_dead:
                    share = "all" if n_dead == n_units else f"{n_dead / n_units:.0%}"
                    self._warn("dead_relu", (
                        f"layer {i} ReLU has dead units: {n_dead} of its {n_units} units "
                        f"({share}) never output a positive value on {n} training samples, so "
                        "they no longer learn; lower the learning rate, use He initialisation "
                        "(init='he_uniform'), scale the inputs, or try LeakyReLU"), i)

    def _check_gradients(self, layers: list[Layer], loss: Loss, X: NDArray,
                         targets: NDArray) -> None:
        dense = [i for i, la in enumerate(layers) if isinstance(la, Dense)]
        if len(dense) < 2 or self._too_fast is not None or any(
                kind == "saturation" for kind, _ in self.issued):
            return  # small early gradients then come from a cause already named
        out = X
        for layer in layers:
            out = layer.forward(out, training=True)
        dout = loss.grad(targets, out)
        for layer in reversed(layers):
            dout = layer.backward(dout)

        def rms(i: int) -> float:
            grad = layers[i].grads["W"].astype(np.float64)
            return float(np.sqrt(np.mean(grad * grad)))

        first, last = rms(dense[0]), rms(dense[-1])
        if last == 0 or not np.isfinite(first):
            return
        ratio = first / last
        if ratio < self.min_gradient_ratio:
            self._warn("vanishing_gradients", (
                f"vanishing gradients: the first layer's weight gradients (RMS {first:.2g}) "
                f"are {ratio:.1e} times the last layer's (RMS {last:.2g}), so the early "
                f"layers of this network of {len(dense)} Dense layers barely learn; use ReLU "
                "instead of sigmoid/tanh, He initialisation, or fewer layers"))


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside glassnet (the user's ``fit`` call).

    So the warning names the user's line, not this module, whichever way
    the loop reaches the callback.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
