"""The training loop, as a plain function.

    for each epoch:
        for each mini-batch (X_b, y_b):
            out = network.forward(X_b)            # predictions
            loss, dout = loss_and_grad(y_b, out)  # error and its gradient
            network.backward(dout)                # chain rule, layer by layer
            optimizer.step(named_parameters)      # gradient descent
        evaluate on validation data; run the callbacks
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._progress import progress_bar
from .._validation import as_rng, check_non_negative, check_positive_int, check_same_length
from ..optimizers import Optimizer, get_optimizer
from .batching import batch_order, batch_slices
from .callbacks import Callback, EpochLogger
from .health import HealthCheck
from .history import History

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["fit"]


def fit(network: Network, X: ArrayLike, y: ArrayLike, *,
        optimizer: str | Optimizer | None = None, epochs: int = 10, batch_size: int = 32,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        validation_split: float = 0.0, shuffle: bool = True,
        seed: int | np.random.Generator | None = None, callbacks: Sequence[Callback] = (),
        verbose: int = 1) -> History:
    """Train ``network`` on ``(X, y)`` with mini-batch gradient descent.

    Parameters
    ----------
    X : array of shape (n_samples, n_in); converted once to the network's dtype
    y : labels (n_samples,) or targets (n_samples, n_out)
    optimizer : an Optimizer, or ``"adam"`` / ``"sgd"`` with default settings.
        None continues ``network.optimizer`` (the one the last ``fit`` used,
        with its moments and step count, as Keras continues a compiled
        model), or starts ``Adam()`` when there is none; a new instance or a
        name starts afresh. It is set as ``network.optimizer`` before the
        first callback runs.
    epochs : passes over the training data
    batch_size : samples per gradient step (1 is the book's online learning)
    validation_data : ``(X_val, y_val)`` evaluated after each epoch
    validation_split : fraction of ``(X, y)`` held out for validation instead
        (the last rows, before shuffling, as Keras does)
    shuffle : visit the samples in a new random order every epoch
    seed : seeds the shuffling and (re-seeds) every Dropout layer's masks: the
        same seed and the same initial weights give bit-identical weights and
        history. None shuffles from fresh entropy and leaves each Dropout with
        the generator it was built with.
    callbacks : e.g. ``EarlyStopping``; see ``glassnet.training.callbacks``
    verbose : 0 silent, 1 a progress bar (with tqdm) and a line per epoch,
        2 a line per epoch

    Returns
    -------
    History with ``loss`` and ``accuracy`` (classifiers), plus ``val_loss`` and
    ``val_accuracy`` when there is validation data.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    validation_split = check_non_negative(validation_split, "validation_split", upper=1.0,
                                          strict_upper=True)
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    X = network._inputs(X)
    network.resolve_task(y)
    targets = network.loss.prepare_targets(np.asarray(y), network._outputs(), network.dtype)
    check_same_length(X, targets)
    if validation_split:
        n_val = int(round(X.shape[0] * validation_split))
        if n_val == 0 or n_val == X.shape[0]:
            raise ValueError(f"validation_split={validation_split} leaves {n_val} of "
                             f"{X.shape[0]} samples for validation; choose another fraction")
        X_val: NDArray | None = X[-n_val:]
        y_val: NDArray | None = targets[-n_val:]
        X, targets = X[:-n_val], targets[:-n_val]
    elif validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = network._inputs(validation_data[0], name="X_val")
        y_val = network.loss.prepare_targets(np.asarray(validation_data[1]), network._outputs(),
                                             network.dtype)
        check_same_length(X_val, y_val, ("X_val", "y_val"))
    else:
        X_val, y_val = None, None

    rng = as_rng(seed)
    if seed is not None:  # else each Dropout keeps the generator it was given
        _seed_dropout(network, rng)
    # No optimizer given: continue the network's own (its state and step
    # count), as a second fit continues the weights; pass a new one to restart.
    if optimizer is None and network.optimizer is not None:
        opt = network.optimizer
    else:
        opt = get_optimizer(optimizer)
    network.optimizer = opt  # before any callback runs, so callbacks can see and steer it
    callbacks = list(callbacks)
    if verbose:
        callbacks.append(EpochLogger(epochs))
        if not any(isinstance(cb, HealthCheck) for cb in callbacks):
            callbacks.append(HealthCheck(X, targets))  # says what looks wrong, and what to try
    history = History()
    network.stop_training = False
    for cb in callbacks:
        cb.on_train_begin(network)

    n = X.shape[0]
    is_classifier = network.task == "classification"
    decay = network.decay_names
    for epoch in range(epochs):
        start = time.perf_counter()
        order = batch_order(n, shuffle=shuffle, rng=rng)
        loss_sum = 0.0
        correct = n_counted = 0
        bar = progress_bar(total=-(-n // batch_size), desc=f"epoch {epoch + 1}/{epochs}",
                           unit="batch", enabled=verbose == 1)
        # Divergence is reported once, clearly, below, instead of as NumPy's
        # overflow warnings from deep inside the arithmetic.
        with np.errstate(over="ignore", invalid="ignore"):
            for batch in batch_slices(n, batch_size):
                idx = order[batch]
                X_b = X[idx]
                y_b = targets[idx]
                out = network.forward(X_b, training=True)
                loss, dout = network.loss.loss_and_grad(y_b, out)
                if not math.isfinite(loss):
                    bar.close()
                    raise FloatingPointError(
                        f"the training loss became {loss} in epoch {epoch + 1}; "
                        "lower the learning rate, scale the inputs, or set clip_norm "
                        "on the optimizer"
                    )
                network.backward(dout)
                opt.step(network.named_parameters(), decay=decay)
                loss_sum += loss * idx.shape[0]
                if is_classifier:
                    right, counted = network.loss.n_correct(out, y_b)
                    correct += right
                    n_counted += counted
                bar.update()
        bar.close()
        logs = {"loss": loss_sum / n}
        if is_classifier:
            logs["accuracy"] = correct / n_counted
        if X_val is not None and y_val is not None:
            for key, value in network.evaluate(X_val, y_val, batch_size=4096).items():
                logs[f"val_{key}"] = value
        logs_with_time = {**logs, "time": time.perf_counter() - start}
        history.append(logs)
        for cb in callbacks:
            cb.on_epoch_end(network, epoch, logs_with_time)
        if network.stop_training:
            history.stopped_early = True
            break
    for cb in callbacks:
        cb.on_train_end(network)
    return history


def _seed_dropout(network: Network, rng: np.random.Generator) -> None:
    """Give every Dropout layer a generator derived from ``rng`` so ``seed`` fixes the masks."""
    from ..layers import Dropout

    for layer in network.layers:
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(rng.integers(2**63))
