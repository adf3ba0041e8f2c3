"""The checks of ``glassnet.testing.check_loss``."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._contract import ContractError, ContractReport, check, fit_at_default_verbosity


def run_loss_checks(report: ContractReport, loss: Any, y: Any, n_out: int, seed: int) -> None:
    """Every check of ``check_loss``, in order (see there)."""
    from .losses import Loss

    if not isinstance(loss, Loss):
        raise TypeError(f"check_loss takes a glassnet.losses.Loss, got {loss!r}")
    rng = np.random.default_rng(seed)
    n = 64
    if y is None:
        y = rng.integers(0, n_out, n) if loss.is_classification \
            else rng.standard_normal((n, n_out))
    targets = loss.prepare_targets(np.asarray(y), n_out, np.dtype(np.float64))
    out = rng.standard_normal((n, n_out))
    if getattr(loss, "from_logits", True) is False:  # a loss on probabilities: inside (0, 1)
        out = 1 / (1 + np.exp(-out))
    _check_gradient(report, loss, targets, out)
    _check_consistency(report, loss, targets, out,
                       loss.prepare_targets(np.asarray(y), n_out, np.dtype(np.float32)))
    _check_config(report, loss, targets, out)
    _check_training(report, loss, y, n_out, seed)


def _check_gradient(report: ContractReport, loss: Any, targets: NDArray, out: NDArray) -> None:
    from .gradcheck import gradcheck_loss

    result = gradcheck_loss(loss, targets, out.copy())
    if result.max_rel_error > 1e-6:
        raise ContractError(f"{report.subject}: grad does not match finite differences of loss: "
                            f"{result}; fix: grad must be d(loss)/d(y_pred), including the "
                            "1/n_samples of the batch mean")
    report.passed.append("float64 gradient matches finite differences")
    if result.kinks:
        report.notes.append(f"the gradient check crossed {len(result.kinks)} kinks, left out")


def _check_consistency(report: ContractReport, loss: Any, targets: NDArray, out: NDArray,
                       targets32: NDArray) -> None:
    with check(report, "loss_and_grad, per_sample_loss and the dtype agree with loss and grad",
               "loss_and_grad must return (loss(y, out), grad(y, out)); the mean of "
               "per_sample_loss must be loss; compute in y_pred's dtype"):
        value, grad = loss.loss_and_grad(targets, out)
        if not np.isclose(value, loss.loss(targets, out), rtol=1e-12, atol=1e-15) \
                or not np.allclose(grad, loss.grad(targets, out), rtol=1e-12, atol=1e-15):
            raise AssertionError("loss_and_grad disagrees with loss and grad")
        per_sample = loss.per_sample_loss(targets, out)
        if per_sample.shape != (out.shape[0],) or not np.isclose(per_sample.mean(), value,
                                                                 rtol=1e-10):
            raise AssertionError(f"per_sample_loss has shape {per_sample.shape} and mean "
                                 f"{per_sample.mean()}, not ({out.shape[0]},) and {value}")
        g32 = loss.grad(targets32, out.astype(np.float32))
        if g32.dtype != np.float32:
            raise AssertionError(f"grad turned float32 outputs into {g32.dtype}")


def _check_config(report: ContractReport, loss: Any, targets: NDArray, out: NDArray) -> None:
    with check(report, "get_config rebuilds the loss",
               "return every constructor argument from get_config() (the default reads "
               "attributes named like the arguments)"):
        config = loss.get_config()
        again = type(loss)(**config)
        if again.get_config() != config or again.loss(targets, out) != loss.loss(targets, out):
            raise AssertionError(f"{type(loss).__name__}(**{config}) is another loss")


def _check_training(report: ContractReport, loss: Any, y: Any, n_out: int, seed: int) -> None:
    from . import io
    from .layers import Dense, Sigmoid, Tanh
    from .losses import LOSSES
    from .network import Network
    from .optimizers import Adam

    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((np.shape(y)[0], 4)).astype(np.float32)
    on_probabilities = getattr(loss, "from_logits", True) is False
    layers = [Dense(4, 16, seed=seed), Tanh(), Dense(n_out, seed=seed + 1)]
    net = Network(layers + ([Sigmoid()] if on_probabilities else []), loss=copy.deepcopy(loss),
                  task=None if loss.is_classification else "regression")
    with check(report, "trains a network at the default fit verbosity",
               "the loss and its gradient must be finite for the network's outputs"):
        before = net.evaluate(X, y)["loss"]
        fit_at_default_verbosity(net, X, y, optimizer=Adam(0.01), epochs=5, batch_size=16,
                                 seed=seed)
        if not net.evaluate(X, y)["loss"] < before:
            raise AssertionError("the loss did not go down in 5 epochs")
    if LOSSES.get(loss.name) is not type(loss):
        report.notes.append("not registered (glassnet.losses.register_loss): the model file "
                            "round trip was not checked")
        return
    with check(report, "a model file round trip keeps the loss", "return every constructor "
               "argument from get_config()"), tempfile.TemporaryDirectory() as folder:
        loaded = io.load(io.save(net, Path(folder) / "m.safetensors", optimizer=net.optimizer))
        if loaded.loss.get_config() != net.loss.get_config() \
                or not np.array_equal(loaded.predict_proba(X), net.predict_proba(X)):
            raise AssertionError("the loaded network has another loss or predicts otherwise")
