"""The training loop, as a plain function.

    for each epoch:
        for each mini-batch (X_b, y_b):
            out = network.forward(X_b)            # predictions
            loss, dout = loss_and_grad(y_b, out)  # error and its gradient
            network.backward(dout)                # chain rule, layer by layer
            optimizer.step(named_parameters)      # gradient descent
        evaluate on validation data; run the callbacks

The network owns what training continues from: ``network.optimizer`` (with
its moments and step count) and ``network.training_state`` (the shuffling
generator, the epoch and step counters and the history; see
``glassnet.training.state``). Both are set before any callback runs.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._progress import progress_bar
from .._validation import as_rng, check_non_negative, check_positive_int, check_same_length
from ..errors import TrainingWarning
from ..optimizers import Optimizer, get_optimizer
from .batching import batch_order, batch_slices
from .callbacks import Callback, EpochLogger, TerminateOnNaN
from .health import HealthCheck
from .history import History
from .state import TrainingState
from .step import Strategy
from .weights import class_sample_weights, stratified_split

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["fit", "train_on_batch", "RISE_FACTOR"]

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
    X : array of shape (n_samples, n_in); converted once to the network's dtype.
        A ``glassnet.datasets.MappedRows`` (a memory-mapped file) is read
        and converted one batch at a time instead
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
    strategy : how this process takes part (``glassnet.training.step``); None
        is one process. With ``glassnet.distributed.DataParallel`` each
        process trains on its shard of every global batch, the gradients are
        averaged, and only the chief (rank 0) runs the progress bar,
        validation and the callbacks marked ``chief_only``

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
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) \
            or not 0 <= initial_epoch < epochs:
        raise ValueError(f"initial_epoch must be an integer in 0..epochs-1 = 0..{epochs - 1}, "
                         f"got {initial_epoch!r}; epochs is the index of the last epoch plus one")
    validation_split = check_non_negative(validation_split, "validation_split", upper=1.0,
                                          strict_upper=True)
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    # rows on demand (a memory-mapped MappedRows) are read and checked batch by batch
    lazy = bool(getattr(X, "rows_on_demand", False))
    X_train: NDArray = X if lazy else network._inputs(X)  # type: ignore[assignment]
    if lazy:
        network._inputs(X[np.arange(1)])  # type: ignore[index]  # builds, checks the width
    network.resolve_task(y)
    targets = network.loss.prepare_targets(np.asarray(y), network._outputs(), network.dtype)
    check_same_length(X_train, targets)
    weights = class_sample_weights(network, targets, sample_weight, class_weight)
    if validation_split and lazy:
        raise ValueError(f"validation_split would read all of {X!r} into memory; give "
                         "validation_data=(X_val, y_val) instead")
    if validation_split:
        split_rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) \
            else seed
        labels = network.loss.target_labels(targets) \
            if network.task == "classification" else None
        train_idx, val_idx = stratified_split(X_train.shape[0], validation_split, labels, split_rng)
        X_val: NDArray | None = X_train[val_idx]
        y_val: NDArray | None = targets[val_idx]
        X_train = X_train[train_idx]
        targets = targets[train_idx]
        if weights is not None:
            weights = weights[train_idx]
    elif validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = network._inputs(validation_data[0], name="X_val")
        y_val = network.loss.prepare_targets(np.asarray(validation_data[1]), network._outputs(),
                                             network.dtype)
        check_same_length(X_val, y_val, ("X_val", "y_val"))
    else:
        X_val, y_val = None, None

    opt, state = _begin(network, optimizer, reset, seed)
    state.epoch = initial_epoch
    state.history = History()
    strategy = Strategy() if strategy is None else strategy  # strategy: one process by default
    callbacks = [cb for cb in callbacks  # strategy: logging and checkpoints on the chief only
                 if strategy.is_chief or not getattr(cb, "chief_only", False)]
    if verbose and strategy.is_chief:
        callbacks.append(EpochLogger(epochs))
        if not any(isinstance(cb, HealthCheck) for cb in callbacks):
            # what looks wrong, what to try
            callbacks.append(HealthCheck(None if lazy else X_train, targets))
    # a callback that saves or restores the whole state (BackupAndRestore) runs
    # last at every hook: it sees the others' updates, and they do not undo it
    callbacks.sort(key=lambda c: bool(getattr(c, "restores_training", False)))
    state.callbacks = callbacks
    network.stop_training = False
    # per-batch hooks only for the callbacks that have them: none, no cost
    batch_begin = [cb for cb in callbacks
                   if type(cb).on_batch_begin is not Callback.on_batch_begin]
    batch_end = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
    terminate_on_nan = [cb for cb in callbacks if isinstance(cb, TerminateOnNaN)]

    n = X_train.shape[0]
    is_classifier = network.task == "classification"
    decay = network.decay_names
    state.interrupted = True  # until the loop below ends normally
    try:
        for cb in callbacks:
            cb.on_train_begin(network)
        strategy.on_train_begin(network)  # strategy: e.g. every rank takes rank 0's state
        for epoch in range(state.epoch, epochs):
            if network.stop_training:  # a restored run that had already been stopped
                state.history.stopped_early = True
                break
            for cb in callbacks:
                cb.on_epoch_begin(network, epoch)
            start = time.perf_counter()
            order = batch_order(n, shuffle=shuffle, rng=state.rng)
            loss_sum = weight_sum = 0.0
            correct = n_counted = 0
            bar = progress_bar(total=-(-n // batch_size),
                               desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                               enabled=verbose == 1 and strategy.is_chief)
            try:
                for b, batch in enumerate(batch_slices(n, batch_size)):
                    for cb in batch_begin:
                        cb.on_batch_begin(network, b)
                    idx = strategy.shard(order[batch])  # strategy: this rank's rows
                    n_global = None if strategy.world_size == 1 else \
                        batch.stop - batch.start if weights is None \
                        else float(weights[order[batch]].sum())
                    w_b = None if weights is None else weights[idx]
                    try:
                        X_b = network._inputs(X_train[idx]) if lazy and idx.shape[0] \
                            else X_train[idx]
                        loss, out, y_b = _train_step(network, opt, state, X_b,
                                                     targets[idx], w_b, decay, epoch,
                                                     strategy, n_global)
                    except FloatingPointError:
                        if not terminate_on_nan:
                            raise
                        nan_logs = {"loss": math.nan, "batch": b, "step": state.step,
                                    "lr": opt.lr}
                        for cb in terminate_on_nan:  # they stop training quietly instead
                            cb.on_batch_end(network, b, nan_logs)
                        break
                    batch_weight = idx.shape[0] if w_b is None else float(w_b.sum())
                    loss_sum += loss * batch_weight
                    weight_sum += batch_weight
                    if is_classifier and idx.shape[0]:
                        right, counted = network.loss.n_correct(out, y_b)
                        correct += right
                        n_counted += counted
                    bar.update()
                    if batch_end:
                        logs = {"loss": loss, "batch": b, "step": state.step, "lr": opt.lr}
                        for cb in batch_end:
                            cb.on_batch_end(network, b, logs)
                        if network.stop_training:
                            break
            finally:
                bar.close()
            if not network.stop_training and idx.shape[0]:
                _check_after_epoch(network, X_b, targets[idx], epoch, state.step, opt)
            # strategy: the metrics of all ranks' rows (weighted means); validation on the chief
            epoch_logs = strategy.reduce_metrics(
                {"loss": loss_sum / weight_sum if weight_sum else math.nan}, weight_sum)
            if is_classifier:
                epoch_logs.update(strategy.reduce_metrics(
                    {"accuracy": correct / n_counted} if n_counted else {}, n_counted))
            if X_val is not None and y_val is not None:
                val_logs = {f"val_{key}": value for key, value in
                            network.evaluate(X_val, y_val, batch_size=4096).items()} \
                    if strategy.is_chief else {}
                epoch_logs.update(strategy.reduce_metrics(val_logs, 1.0))
            strategy.on_epoch_end(network)  # strategy: e.g. a weight checksum across ranks
            epoch_logs["lr"] = opt.lr
            _warn_if_rising(state, epoch_logs["loss"], epoch)
            state.history.append(epoch_logs)
            state.epoch = epoch + 1
            logs_with_time = {**epoch_logs, "time": time.perf_counter() - start}
            for cb in callbacks:
                cb.on_epoch_end(network, epoch, logs_with_time)
            if network.stop_training:
                state.history.stopped_early = True
                break
        state.interrupted = False
    finally:
        for cb in callbacks:
            cb.on_train_end(network)
        state.callbacks = []
    return state.history


def _begin(network: Network, optimizer: str | Optimizer | None, reset: bool,
           seed: int | np.random.Generator | None) -> tuple[Optimizer, TrainingState]:
    """The optimizer and training state of this ``fit``: continued, or started afresh."""
    fresh = (reset or network.training_state is None
             or (optimizer is not None and optimizer is not network.optimizer))
    if optimizer is None and network.optimizer is not None:
        opt = network.optimizer
        if reset:
            opt.reset()
    else:
        opt = get_optimizer(optimizer)
    network.optimizer = opt  # before any callback runs, so callbacks can see and steer it
    state = network.training_state
    if fresh or state is None:
        state = network.training_state = TrainingState(rng=as_rng(seed))
        if seed is not None:  # else each Dropout keeps the generator it was given
            _seed_dropout(network, state.rng)
    elif seed is not None:  # continuing, but the caller asks for these generators
        state.rng = as_rng(seed)
        _seed_dropout(network, state.rng)
    return opt, state


def _train_step(network: Network, opt: Optimizer, state: TrainingState, X_b: NDArray,
                y_b: NDArray, w_b: NDArray | None, decay: frozenset[str], epoch: int,
                strategy: Strategy | None = None, n_global: float | None = None
                ) -> tuple[float, NDArray, NDArray]:
    """One gradient step on a batch; returns ``(loss, out, y_b)``.

    With weights ``w_b`` the loss is ``sum_i w_i l_i / sum_i w_i``: the
    batch-mean gradient's rows are scaled by ``w_i / mean(w_b)``. With a
    ``strategy``, ``X_b`` is this rank's shard of a global batch of
    ``n_global`` samples (or weight) and the strategy combines the gradients.
    """
    if strategy is not None and strategy.world_size > 1:  # strategy: the distributed step
        return _shard_step(network, opt, state, X_b, y_b, w_b, decay, epoch, strategy,
                           float(n_global or 0.0))
    # Divergence is reported once, clearly, below, instead of as NumPy's
    # overflow warnings from deep inside the arithmetic.
    with np.errstate(over="ignore", invalid="ignore"):
        out = network.forward(X_b, training=True)
        loss, dout = network.loss.loss_and_grad(y_b, out)
        if w_b is not None:
            mean_w = float(w_b.mean())
            if mean_w <= 0:  # every weight of this batch is 0: nothing to learn from it
                state.step += 1
                return 0.0, out, y_b
            scale = (w_b / mean_w).astype(dout.dtype)
            loss = float(np.dot(scale, network.loss.per_sample_loss(y_b, out))) / w_b.shape[0]
            dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
        if not math.isfinite(loss):
            raise FloatingPointError(_diverged(network, f"the training loss became {loss}",
                                               epoch, state.step, opt))
        network.backward(dout)
        opt.step(network.named_parameters(), decay=decay)
    state.step += 1
    if state.first_loss is None:
        state.first_loss = loss
    return loss, out, y_b


def _shard_step(network: Network, opt: Optimizer, state: TrainingState, X_b: NDArray,
                y_b: NDArray, w_b: NDArray | None, decay: frozenset[str], epoch: int,
                strategy: Strategy, n_global: float) -> tuple[float, NDArray, NDArray]:
    """``_train_step`` on this rank's shard: every rank reduces and steps, always together.

    A shard may be empty (a last batch smaller than the number of ranks) or
    weigh nothing: its gradients are zeros, so the ranks still meet in the
    reduction. A global batch of weight 0 is skipped by every rank alike.
    """
    n_local = float(X_b.shape[0]) if w_b is None else float(w_b.sum())
    with np.errstate(over="ignore", invalid="ignore"):
        if X_b.shape[0]:
            out = network.forward(X_b, training=True)
            loss, dout = network.loss.loss_and_grad(y_b, out)
        else:
            out, loss, dout = np.zeros((0, network._outputs()), network.dtype), 0.0, None
        if n_global <= 0:  # the whole batch weighs nothing: as one process, skip it
            state.step += 1
            return 0.0, out, y_b
        if dout is not None:
            if w_b is not None:
                mean_w = float(w_b.mean())
                scale = (w_b / mean_w if mean_w > 0 else 0.0 * w_b).astype(dout.dtype)
                loss = float(np.dot(scale, network.loss.per_sample_loss(y_b, out))) \
                    / w_b.shape[0]
                dout *= scale.reshape(-1, *([1] * (dout.ndim - 1)))
            if not math.isfinite(loss):
                raise FloatingPointError(_diverged(
                    network, f"the training loss became {loss} on rank {strategy.rank}",
                    epoch, state.step, opt))
            network.backward(dout)
        else:
            for _, _, grad in network.named_parameters():
                grad[...] = 0
        strategy.reduce_gradients(network, n_local, n_global)
        opt.step(network.named_parameters(), decay=decay)
    state.step += 1
    if state.first_loss is None:
        state.first_loss = loss
    return loss, out, y_b


def _diverged(network: Network, what: str, epoch: int, step: int, opt: Optimizer) -> str:
    bad = [name for name, p in network.parameters.items() if not np.isfinite(p).all()]
    where = f"in epoch {epoch + 1} (0-based {epoch}), at optimizer step {step + 1} of the run"
    params = f"; the parameters {bad} hold NaN or infinity" if bad else ""
    return (f"{what} {where}{params}: training diverged; lower the learning rate (it is "
            f"{opt.lr:g}), scale the inputs (e.g. to [0, 1]), or clip the gradients "
            "(clip_norm=1.0 on the optimizer)")


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
            raise FloatingPointError(_diverged(network, "a parameter became NaN or infinite",
                                               epoch, step - 1, opt))
    with np.errstate(over="ignore", invalid="ignore"):
        loss = network.loss.loss(y_b, network.forward(X_b, training=False))
    if not math.isfinite(loss):
        raise FloatingPointError(_diverged(
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
                  TrainingWarning, stacklevel=3)


def train_on_batch(network: Network, X: ArrayLike, y: ArrayLike, *,
                   sample_weight: ArrayLike | None = None) -> float:
    """One gradient step on ``(X, y)`` with ``network.optimizer``; returns the batch's loss.

    For incremental learning (as scikit-learn's ``partial_fit``): the
    optimizer and training state continue as in ``fit`` (an ``Adam()`` and
    a fresh state are made on the first call); no callbacks run.
    """
    X_b = network._inputs(X)
    network.resolve_task(y)
    y_b = network.loss.prepare_targets(np.asarray(y), network._outputs(), network.dtype)
    check_same_length(X_b, y_b)
    w_b = class_sample_weights(network, y_b, sample_weight, None)
    opt, state = _begin(network, None, False, None)
    loss, _, _ = _train_step(network, opt, state, X_b, y_b, w_b, network.decay_names,
                             state.epoch)
    return loss


def _seed_dropout(network: Network, rng: np.random.Generator) -> None:
    """Give every Dropout layer a generator derived from ``rng`` so ``seed`` fixes the masks."""
    from ..layers import Dropout

    for layer in network.layers:
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(rng.integers(2**63))
