"""The training loop, as a plain function.

    data = prepare_data(X, y)                        # checked once; validation split
    optimizer, state = begin(network)                # continued, or afresh
    callbacks = callback_list(...)                   # the user's, a logger, a health check
    for each epoch:
        for each mini-batch (X_b, y_b):              # run_epoch
            out = network.forward(X_b)               # predictions
            loss, dout = loss_and_grad(y_b, out)     # error and its gradient
            network.backward(dout)                   # chain rule, layer by layer
            gradient hooks                           # strategy, on_gradients callbacks
            optimizer.step(named_parameters)         # gradient descent
        end_epoch: check, validate, log, run the callbacks

The step itself, and the ``Strategy`` seam a data-parallel run plugs into,
live in ``glassnet.training.step``. The network owns what training
continues from: ``network.optimizer`` (with its moments and step count) and
``network.training_state`` (the shuffling generator, the epoch and step
counters and the history; see ``glassnet.training.state``). Both are set
before any callback runs.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._progress import progress_bar
from .._validation import check_non_negative, check_positive_int
from ..errors import TrainingWarning
from ..optimizers import Optimizer
from .batching import batch_order, batch_slices
from .callbacks import Callback, EpochLogger, TerminateOnNaN, check_callbacks
from .data import FitData, prepare_data
from .health import HealthCheck
from .history import History
from .state import TrainingState, begin_training
from .step import Strategy, diverged_message, train_step

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["fit", "partial_fit", "train_on_batch", "callback_list", "RISE_FACTOR"]

#: a training loss above this many times the run's first batch loss warns (once)
RISE_FACTOR = 1e3


def fit(network: Network, X: ArrayLike, y: ArrayLike, *,
        optimizer: str | Optimizer | None = None, epochs: int = 10, batch_size: int = 32,
        initial_epoch: int = 0, reset: bool = False,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        validation_split: float = 0.0, shuffle: bool = True,
        sample_weight: ArrayLike | None = None,
        class_weight: Mapping[int, float] | str | None = None,
        seed: int | np.random.Generator | None = None, callbacks: Sequence[Callback] = (),
        verbose: int = 1, strategy: Strategy | None = None) -> History:
    """Train ``network`` on ``(X, y)`` with mini-batch gradient descent.

    Continuing and starting afresh (as Keras does): a second ``fit`` continues
    the first: the weights, ``network.optimizer`` (moments, step count, lr),
    and ``network.training_state`` (the shuffling generator, the global step
    count that the schedules read). Training starts afresh (a new state, step
    0, a new shuffling generator from ``seed``) when ``optimizer`` is given
    as a name or as an instance other than ``network.optimizer``, when
    ``reset=True`` (which also resets the optimizer's state), or after
    ``network.reset_training()``. The weights are never reset.

    Parameters
    ----------
    X : array of shape (n_samples, n_in); converted once to the network's dtype
    y : labels (n_samples,) or targets (n_samples, n_out)
    optimizer : an Optimizer, or ``"adam"`` / ``"sgd"`` / ... with default
        settings; None continues ``network.optimizer`` (or starts ``Adam()``)
    epochs : the index of the last epoch plus one: this call runs epochs
        ``initial_epoch .. epochs - 1`` (so ``epochs`` of them by default)
    batch_size : samples per gradient step (1 is the book's online learning)
    initial_epoch : the epoch to start at (epoch numbers in logs and the
        callbacks); ``BackupAndRestore`` moves it to the epoch after its backup
    reset : start afresh (see above) even when continuing would be possible
    validation_data : ``(X_val, y_val)`` evaluated after each epoch
    validation_split : fraction of ``(X, y)`` held out for validation instead:
        drawn at random (from ``seed``), and for a classifier stratified, so
        each class keeps its share in both parts
    shuffle : visit the samples in a new random order every epoch
    sample_weight : (n_samples,) non-negative weights; the loss becomes the
        weighted mean ``sum_i w_i l_i / sum_i w_i`` over each batch (its
        gradient rows are scaled by ``w_i / mean(w_batch)``)
    class_weight : a dict label -> weight, or ``"balanced"``
        (``n_samples / (n_classes * count(label))``), multiplied into
        ``sample_weight``; classifiers with one label per sample only
    seed : seeds the shuffling, the validation split and (re-seeds) every
        Dropout layer's masks: the same seed and initial weights give
        bit-identical weights and history. None continues the generators
        of the training state (or, afresh, draws fresh entropy and leaves
        each Dropout with the generator it was built with).
    callbacks : see ``glassnet.training.callbacks``, ``schedules`` and
        ``checkpoints``; they run in the order given, except that
        ``BackupAndRestore`` runs last at every hook (it saves what the
        others updated, and what it restores is not reset by them)
    verbose : 0 silent, 1 a progress bar (with tqdm) and a line per epoch,
        2 a line per epoch
    strategy : how training is spread over processes (see
        ``glassnet.training.step.Strategy``); None trains in this process

    Returns
    -------
    History of this call: ``loss``, ``lr`` and ``accuracy`` (classifiers),
    plus ``val_loss`` and ``val_accuracy`` with validation data.

    Raises
    ------
    FloatingPointError
        The loss or the parameters became NaN or infinite; the message names
        the epoch and step and what to try.

    Warns
    -----
    TrainingWarning
        Once, when an epoch's loss exceeds ``RISE_FACTOR`` times the run's
        first batch loss.

    Notes
    -----
    ``on_train_end`` runs however training ends, even on an exception or
    Ctrl-C (then the exception propagates after it).
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    callbacks = check_callbacks(callbacks)
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) \
            or not 0 <= initial_epoch < epochs:
        raise ValueError(f"initial_epoch must be an integer in 0..epochs-1 = 0..{epochs - 1}, "
                         f"got {initial_epoch!r}; epochs is the index of the last epoch plus one")
    validation_split = check_non_negative(validation_split, "validation_split", upper=1.0,
                                          strict_upper=True)
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    data = prepare_data(network, X, y, sample_weight=sample_weight, class_weight=class_weight,
                        validation_data=validation_data, validation_split=validation_split,
                        seed=seed)
    opt, state = begin_training(network, optimizer, reset, seed)
    state.epoch = initial_epoch
    state.history = History()
    run = _Run(network, opt, state, strategy or Strategy(), epochs, batch_size, shuffle,
               verbose, callback_list(network, data, callbacks, verbose, epochs, strategy))
    state.interrupted = True  # until the loop below ends normally
    try:
        for cb in run.callbacks:
            cb.on_train_begin(network)
        run.strategy.on_train_begin(network)  # after a chief-only restore: share it
        for epoch in range(state.epoch, epochs):
            if network.stop_training:  # a restored run that had already been stopped
                state.history.stopped_early = True
                break
            for cb in run.callbacks:
                cb.on_epoch_begin(network, epoch)
            start = time.perf_counter()
            if _end_epoch(run, data, epoch, _run_epoch(run, data, epoch), start):
                break
        state.interrupted = False
    finally:
        for cb in run.callbacks:
            cb.on_train_end(network)
        state.callbacks = []
    return state.history


def callback_list(network: Network, data: FitData, callbacks: Sequence[Callback], verbose: int,
                  epochs: int, strategy: Strategy | None = None) -> list[Callback]:
    """The callbacks of one ``fit``, in the order they run.

    With ``verbose`` an ``EpochLogger`` and (unless one is given) a
    ``HealthCheck`` are added. On a non-chief rank the callbacks declaring
    ``chief_only = True`` are left out. A callback that saves or restores the
    whole state (``BackupAndRestore``) runs last at every hook: it sees the
    others' updates, and they do not undo it.
    """
    chief = strategy is None or strategy.is_chief
    found = [cb for cb in callbacks if chief or not getattr(cb, "chief_only", False)]
    if verbose and chief:
        found.append(EpochLogger(epochs))
        if not any(isinstance(cb, HealthCheck) for cb in found):
            found.append(HealthCheck(data.X, data.targets))  # what looks wrong, what to try
    found.sort(key=lambda c: bool(getattr(c, "restores_training", False)))
    network.training_state.callbacks = found  # type: ignore[union-attr]
    network.stop_training = False
    return found


@dataclass
class _Run:
    """What every epoch of one ``fit`` reads: the network, its optimizer and state, the settings,
    and the callbacks sorted by the hooks they define (none defined, no cost per batch)."""

    network: Network
    opt: Optimizer
    state: TrainingState
    strategy: Strategy
    epochs: int
    batch_size: int
    shuffle: bool
    verbose: int
    callbacks: list[Callback]
    batch_begin: list[Callback] = field(default_factory=list)
    batch_end: list[Callback] = field(default_factory=list)
    terminate_on_nan: list[Callback] = field(default_factory=list)
    gradient_hooks: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        self.batch_begin = [cb for cb in self.callbacks
                            if type(cb).on_batch_begin is not Callback.on_batch_begin]
        self.batch_end = [cb for cb in self.callbacks
                          if type(cb).on_batch_end is not Callback.on_batch_end]
        self.terminate_on_nan = [cb for cb in self.callbacks if isinstance(cb, TerminateOnNaN)]
        self.gradient_hooks = tuple(cb for cb in self.callbacks
                                    if callable(getattr(cb, "on_gradients", None)))


@dataclass
class _EpochSums:
    """What one epoch adds up: the weighted loss, and correct labels for a classifier."""

    loss_sum: float = 0.0
    weight_sum: float = 0.0
    correct: int = 0
    n_counted: int = 0
    last_batch: int = 0
    last_idx: NDArray | None = None


def _run_epoch(run: _Run, data: FitData, epoch: int) -> _EpochSums:
    """Every mini-batch of one epoch: one step each (``train_step``), summed up."""
    network, n = run.network, data.X.shape[0]
    sums = _EpochSums()
    order = batch_order(n, shuffle=run.shuffle, rng=run.state.rng)
    decay, classify = network.decay_names, network.task == "classification"
    bar = progress_bar(total=-(-n // run.batch_size), desc=f"epoch {epoch + 1}/{run.epochs}",
                       unit="batch", enabled=run.verbose == 1 and run.strategy.is_chief)
    try:
        for b, batch in enumerate(batch_slices(n, run.batch_size)):
            for cb in run.batch_begin:
                cb.on_batch_begin(network, b)
            idx = run.strategy.shard(order[batch])  # this rank's rows of the batch
            n_global = batch.stop - batch.start if data.weights is None \
                else float(data.weights[order[batch]].sum())
            w_b = None if data.weights is None else data.weights[idx]
            sums.last_batch, sums.last_idx = b, idx
            y_b = data.targets[idx]
            try:
                loss, out = train_step(network, run.opt, run.state, data.X[idx], y_b, w_b,
                                       decay=decay, epoch=epoch, strategy=run.strategy,
                                       n_global=n_global, gradient_hooks=run.gradient_hooks)
            except FloatingPointError:
                if not run.terminate_on_nan:
                    raise
                _terminate(run, b)  # they stop training quietly instead
                break
            batch_weight = idx.shape[0] if w_b is None else float(w_b.sum())
            sums.loss_sum += loss * batch_weight
            sums.weight_sum += batch_weight
            if classify and idx.shape[0]:
                right, counted = network.loss.n_correct(out, y_b)
                sums.correct += right
                sums.n_counted += counted
            bar.update()
            if run.batch_end and _batch_end(run, b, loss):
                break
    finally:
        bar.close()
    return sums


def _batch_end(run: _Run, b: int, loss: float) -> bool:
    """Run the ``on_batch_end`` callbacks; whether they stopped training."""
    logs = {"loss": loss, "batch": b, "step": run.state.step, "lr": run.opt.lr}
    for cb in run.batch_end:
        cb.on_batch_end(run.network, b, logs)
    return run.network.stop_training


def _terminate(run: _Run, b: int) -> None:
    """Tell the ``TerminateOnNaN`` callbacks that batch ``b`` diverged (they stop training)."""
    nan_logs = {"loss": math.nan, "batch": b, "step": run.state.step, "lr": run.opt.lr}
    for cb in run.terminate_on_nan:
        cb.on_batch_end(run.network, b, nan_logs)


def _end_epoch(run: _Run, data: FitData, epoch: int, sums: _EpochSums, start: float) -> bool:
    """Check, validate and log the epoch, run its callbacks; whether training stops now."""
    network, state = run.network, run.state
    if not network.stop_training and sums.last_idx is not None and sums.last_idx.shape[0]:
        try:
            _check_after_epoch(network, data.X[sums.last_idx], data.targets[sums.last_idx],
                               epoch, state.step, run.opt)
        except FloatingPointError:
            if not run.terminate_on_nan:
                raise
            _terminate(run, sums.last_batch)  # the epoch's last step diverged
    # the metrics over every rank's rows (weighted means); validation on the chief
    strategy = run.strategy
    logs = strategy.reduce_metrics(
        {"loss": sums.loss_sum / sums.weight_sum if sums.weight_sum else math.nan},
        sums.weight_sum)
    if network.task == "classification":
        logs.update(strategy.reduce_metrics(
            {"accuracy": sums.correct / sums.n_counted} if sums.n_counted else {},
            sums.n_counted))
    if data.X_val is not None and data.y_val is not None:
        val_logs = {f"val_{key}": value for key, value in
                    network.evaluate(data.X_val, data.y_val, batch_size=4096).items()} \
            if strategy.is_chief else {}
        logs.update(strategy.reduce_metrics(val_logs, 1.0))
    strategy.on_epoch_end(network)
    logs["lr"] = run.opt.lr
    _warn_if_rising(state, logs["loss"], epoch)
    state.history.append(logs)
    state.epoch = epoch + 1
    logs_with_time = {**logs, "time": time.perf_counter() - start}
    for cb in run.callbacks:
        cb.on_epoch_end(network, epoch, logs_with_time)
    if network.stop_training:
        state.history.stopped_early = True
    return network.stop_training


def _check_after_epoch(network: Network, X_b: NDArray, y_b: NDArray, epoch: int, step: int,
                       opt: Optimizer) -> None:
    """Raise if the epoch's last step broke the network (checked once per epoch).

    Every step's loss is checked before that step, so only the last step of
    the epoch is unchecked: a parameter that became NaN or infinite, or
    finite but so large that the last batch's loss, recomputed (one forward
    pass), is no longer finite.
    """
    for _, p in network.parameters.items():
        if not np.isfinite(p).all():
            raise FloatingPointError(diverged_message(network, "a parameter became NaN or infinite",
                                               epoch, step - 1, opt))
    with np.errstate(over="ignore", invalid="ignore"):
        loss = network.loss.loss(y_b, network.forward(X_b, training=False))
    if not math.isfinite(loss):
        raise FloatingPointError(diverged_message(
            network, f"after the epoch's last step the loss of its last batch is {loss}",
            epoch, step - 1, opt))


def _warn_if_rising(state: TrainingState, loss: float, epoch: int) -> None:
    first = state.first_loss
    if state.warned_rising or first is None or not loss > RISE_FACTOR * max(first, 1e-3):
        return
    state.warned_rising = True
    warnings.warn(f"the training loss rose from {first:.4g} (first batch) to {loss:.4g} in "
                  f"epoch {epoch + 1}, more than {RISE_FACTOR:g} times: training is "
                  "diverging; lower the learning rate, scale the inputs or clip the gradients",
                  TrainingWarning, stacklevel=4)


def partial_fit(network: Network, X: ArrayLike, y: ArrayLike, *, batch_size: int = 32,
                sample_weight: ArrayLike | None = None, shuffle: bool = True) -> float:
    """One epoch of mini-batches, continuing the optimizer and training state; its mean loss.

    ``fit`` for the next epoch (``initial_epoch`` is the state's epoch), silent
    and without callbacks, as scikit-learn's ``partial_fit`` is one epoch.
    """
    state = network.training_state
    epoch = 0 if state is None else state.epoch
    history = fit(network, X, y, epochs=epoch + 1, initial_epoch=epoch, batch_size=batch_size,
                  sample_weight=sample_weight, shuffle=shuffle, verbose=0)
    return float(history.history["loss"][-1])


def train_on_batch(network: Network, X: ArrayLike, y: ArrayLike, *,
                   sample_weight: ArrayLike | None = None) -> float:
    """One gradient step on ``(X, y)`` with ``network.optimizer``; returns the batch's loss.

    For incremental learning (as scikit-learn's ``partial_fit``): the
    optimizer and training state continue as in ``fit`` (an ``Adam()`` and
    a fresh state are made on the first call); no callbacks run.
    """
    X_b, prepared, w_b = network.prepare(X, y, sample_weight=sample_weight, decide_task=True)
    y_b = cast(NDArray, prepared)  # given y, prepare gives targets
    opt, state = begin_training(network, None, False, None)
    loss, _ = train_step(network, opt, state, X_b, y_b, w_b, decay=network.decay_names,
                         epoch=state.epoch)
    return loss
