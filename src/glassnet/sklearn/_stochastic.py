"""The mini-batch solvers' iterations (``solver="sgd"`` and ``"adam"``), as scikit-learn runs them.

One iteration is one epoch::

    shuffle the sample order (random_state's generator)
    for each batch:
        out = network.forward(X_b, training=True)
        loss, dout = the head's loss and dL/dout   (weighted: rows scaled by w_i n_b / sum w)
        network.backward(dout)
        grad_W += alpha W / sum(w_b)                (scikit-learn's L2, weights only)
        optimizer.step(network.named_parameters())
    loss_curve_ += [mean batch loss + 0.5 alpha ||W||^2 / sum(w_b)]
    scikit-learn's stopping rules (tol, n_iter_no_change, early_stopping)

A loss that becomes NaN or infinite does not stop the run, as in
scikit-learn: with ``early_stopping`` the best weights come back at the end,
and otherwise ``fit`` ends with scikit-learn's ``ValueError`` about non-finite
weights. Ctrl-C ends the run with a warning, keeping the model as it is.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from ..network import Network
from ..optimizers import Optimizer
from ._solvers import MomentumSGD, ScikitAdam

if TYPE_CHECKING:
    from .base import BaseMLP


def new_optimizer(est: BaseMLP) -> Optimizer:
    """A fresh solver with the estimator's settings (every ``fit`` starts one, as scikit-learn)."""
    if est.solver == "sgd":
        return MomentumSGD(est.learning_rate_init, momentum=est.momentum,
                           nesterov=est.nesterovs_momentum)
    return ScikitAdam(est.learning_rate_init, beta1=est.beta_1, beta2=est.beta_2,
                      eps=est.epsilon)


def _split(est: BaseMLP, X: Any, targets: NDArray, stratify: NDArray | None,
           sample_weight: NDArray | None) -> tuple[Any, ...]:
    """Hold out ``validation_fraction`` of the rows, as scikit-learn does (same generator)."""
    arrays = [X, targets] if sample_weight is None else [X, targets, sample_weight]
    parts = train_test_split(*arrays, random_state=est._random_state,
                             test_size=est.validation_fraction, stratify=stratify)
    if parts[1].shape[0] < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                         "or the size of your dataset.")
    if sample_weight is None:
        return parts[0], parts[2], None, parts[1], parts[3], None
    return parts[0], parts[2], parts[4], parts[1], parts[3], parts[5]


def _batch_size(est: BaseMLP, n_samples: int) -> int:
    if est.batch_size == "auto":
        return min(200, n_samples)
    if int(est.batch_size) > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                      "to be clipped", stacklevel=5)
    return int(np.clip(est.batch_size, 1, n_samples))


def train_batch(est: BaseMLP, net: Network, opt: Optimizer, X_b: Any, y_b: NDArray,
                w_b: NDArray | None, decay: frozenset[str]) -> float:
    """One step on a batch; returns scikit-learn's batch loss (L2 penalty included)."""
    out = net.forward(X_b, training=True)
    loss, dout = net.loss.loss_and_grad(y_b, out)
    n_b = out.shape[0]
    weight_sum = float(n_b)
    if w_b is not None:
        weight_sum = float(w_b.sum())
        if weight_sum <= 0:  # every weight of this batch is 0: nothing to learn from it
            return 0.0
        loss = float(np.dot(w_b, net.loss.per_sample_loss(y_b, out))) / weight_sum
        dout *= (w_b * (n_b / weight_sum)).astype(dout.dtype).reshape(-1, 1)
    loss /= est._loss_scale
    net.backward(dout)
    params = net.named_parameters()
    if est.alpha:
        decay_rate = est.alpha / weight_sum
        squares = 0.0
        for name, p, g in params:
            if name in decay:
                flat = p.ravel()
                squares += float(np.dot(flat, flat))
                g += p.dtype.type(decay_rate) * p       # g <- g + alpha W / sum(w)
        loss += 0.5 * decay_rate * squares
    opt.step(params)
    return loss


def _run_epoch(est: BaseMLP, net: Network, opt: Optimizer, data: tuple[Any, NDArray, Any],
               order: NDArray, batch_size: int, decay: frozenset[str]) -> float:
    """One pass over the batches in ``order``; returns the mean batch loss."""
    X, targets, weights = data
    n = X.shape[0]
    accumulated = 0.0
    for batch in gen_batches(n, batch_size):
        rows = order[batch] if est.shuffle else batch
        w_b = None if weights is None else weights[rows]
        loss = train_batch(est, net, opt, X[rows], targets[rows], w_b, decay)
        accumulated += loss * (batch.stop - batch.start)
    return accumulated / n


def fit_stochastic(est: BaseMLP, X: Any, targets: NDArray, stratify: NDArray | None,
                   sample_weight: NDArray | None, *, incremental: bool) -> None:
    """``max_iter`` epochs (one for ``partial_fit``) with scikit-learn's stopping rules."""
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = new_optimizer(est)
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    est._ensure_curves()
    val: tuple[Any, NDArray, Any] | None = None
    if est.early_stopping:
        X, targets, sample_weight, *rest = _split(est, X, targets, stratify, sample_weight)
        val = (rest[0], rest[1], rest[2])
    net, opt = est.network_, est._optimizer
    batch_size = _batch_size(est, X.shape[0])
    decay = net.decay_names
    net.stop_training = False
    for cb in est.callbacks:
        cb.on_train_begin(net)
    order = np.arange(X.shape[0], dtype=int)
    try:
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            if est.shuffle:  # scikit-learn shuffles the previous epoch's order again
                order = shuffle(order, random_state=est._random_state)
            with np.errstate(all="ignore"):  # divergence is reported by the weights' check
                est.loss_ = _run_epoch(est, net, opt, (X, targets, sample_weight), order,
                                       batch_size, decay)
            if _end_of_epoch(est, X.shape[0], val) or incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=4)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=4)
    finally:
        for cb in est.callbacks:
            cb.on_train_end(net)
    if est.early_stopping:
        net.set_weights(est._best_weights)


def _end_of_epoch(est: BaseMLP, n_samples: int, val: tuple[Any, NDArray, Any] | None) -> bool:
    """Record the epoch, apply the schedule and the stopping rules; True ends the run."""
    net, opt = est.network_, est._optimizer
    est.n_iter_ += 1
    est.t_ += n_samples
    est.loss_curve_.append(est.loss_)
    if est.verbose:
        print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
    logs = {"loss": est.loss_}
    logs.update(_update_no_improvement_count(est, val))
    if est.solver == "sgd" and est.learning_rate == "invscaling":
        opt.lr = float(est.learning_rate_init) / (est.t_ + 1) ** est.power_t
    for cb in est.callbacks:
        cb.on_epoch_end(net, len(est.loss_curve_) - 1, logs)
    if est._no_improvement_count > est.n_iter_no_change:
        what = "Validation score" if val is not None else "Training loss"
        msg = (f"{what} did not improve more than tol={est.tol:f} for "
               f"{est.n_iter_no_change} consecutive epochs.")
        if _stop_or_slow_down(est, opt, msg):
            return True
        est._no_improvement_count = 0
    return bool(net.stop_training)  # a callback asked to stop


def _update_no_improvement_count(est: BaseMLP, val: tuple[Any, NDArray, Any] | None
                                 ) -> dict[str, float]:
    """scikit-learn's rule: count epochs that fail to improve the best by ``tol``."""
    if val is None:
        loss = est.loss_curve_[-1]
        if loss > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if loss < est.best_loss_:
            est.best_loss_ = loss
        return {}
    X_val, t_val, w_val = val
    with np.errstate(all="ignore"):
        out = est.network_.forward(X_val)
        val_loss = est.network_.loss.loss(t_val, out) / est._loss_scale
    score = math.nan if not np.isfinite(out).all() else est._score_outputs(out, t_val, w_val)
    est.validation_scores_.append(score)
    est.validation_loss_curve_.append(val_loss)
    if est.verbose:
        print(f"Validation score: {score:f}")
    if score < est.best_validation_score_ + est.tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    if score > est.best_validation_score_:
        est.best_validation_score_ = score
        est._best_weights = est.network_.get_weights()
    return {"val_loss": val_loss, "val_score": score}


def _stop_or_slow_down(est: BaseMLP, opt: Optimizer, msg: str) -> bool:
    """After ``n_iter_no_change`` epochs without progress: stop, or (sgd, adaptive) lr /= 5."""
    if est.solver == "sgd" and est.learning_rate == "adaptive":
        if opt.lr <= 1e-6:
            if est.verbose:
                print(f"{msg} Learning rate too small. Stopping.")
            return True
        opt.lr /= 5.0
        if est.verbose:
            print(f"{msg} Setting learning rate to {opt.lr:f}")
        return False
    if est.verbose:
        print(f"{msg} Stopping.")
    return True
