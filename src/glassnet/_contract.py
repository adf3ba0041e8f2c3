"""What ``glassnet.testing``'s checks share: the report, the error, and the networks they train."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .errors import InputWarning
from .layers import Dense, Flatten, Layer

__all__ = ["ContractError", "ContractReport", "Gain", "check", "fit_at_default_verbosity",
           "layer_networks", "train_data"]


class ContractError(AssertionError):
    """A layer or loss breaks the contract; the message says what and how to fix it."""


@dataclass
class ContractReport:
    """What a check ran (``passed``) and what it noticed on the way (``notes``)."""

    subject: str
    passed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.subject}: {len(self.passed)} checks passed"]
        lines += [f"  ok   {p}" for p in self.passed] + [f"  note {n}" for n in self.notes]
        return "\n".join(lines)


@contextmanager
def check(report: ContractReport, name: str, fix: str) -> Iterator[None]:
    """Run one check: any exception becomes a ContractError naming the check and the fix."""
    try:
        yield
    except ContractError:
        raise
    except Exception as exc:  # whatever the subject raises is the finding
        raise ContractError(f"{report.subject}: {name} failed: {type(exc).__name__}: {exc}; "
                            f"fix: {fix}") from exc
    report.passed.append(name)


def fit_at_default_verbosity(net: Any, X: NDArray, y: NDArray, **kwargs: Any) -> list[str]:
    """``net.fit`` at its default ``verbose``, as a user runs it; the warnings' texts.

    A warning about the inputs (``InputWarning``) is a failure: the data the
    checks make is scaled, so the warning would be false. What the default
    verbosity prints (the epoch lines, a progress bar) is kept out of the
    check's own output.
    """
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        net.fit(X, y, **kwargs)
    texts = []
    for w in caught:
        if issubclass(w.category, InputWarning):
            raise AssertionError(f"fit warned about the inputs: {w.message}")
        texts.append(f"{w.category.__name__}: {w.message}")
    return texts


class Gain(Layer):
    """``out = x * g``, a learnable gain per input entry: a layer that keeps any shape.

    Put before the layer under test, it makes the network need that layer's
    ``dx`` (its own gradient ``dg = sum_i dout_i * x_i`` depends on it).
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: NDArray | None = None

    def build(self, input_shape: tuple[int, ...], dtype: DTypeLike) -> tuple[int, ...]:
        if "g" not in self.params:
            self.params["g"] = np.ones(input_shape, dtype=dtype)
            self.grads["g"] = np.zeros(input_shape, dtype=dtype)
        return super().build(input_shape, dtype)

    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        self._x = x if training else None
        return x * self.params["g"]

    def backward(self, dout: NDArray) -> NDArray:
        if self._x is None:
            raise self._missing_cache()
        self.grads["g"] = (dout * self._x).sum(axis=0)
        return dout * self.params["g"]


N_CLASSES = 3


def layer_networks(factory: Callable[[], Layer], shape: tuple[int, ...], input_kind: str
                   ) -> Iterator[tuple[str, Any, str]]:
    """``(position, network or None, why not)`` with the layer first, in the middle and last."""
    from .network import Network

    yield "first", Network([factory(), Flatten(), Dense(N_CLASSES, seed=1)],
                           input_shape=shape), ""
    if input_kind == "int":
        yield "middle", None, "an integer-input layer can only come first"
        yield "last", None, "an integer-input layer can only come first"
        return
    yield "middle", Network([Gain(), factory(), Flatten(), Dense(N_CLASSES, seed=1)],
                            input_shape=shape), ""
    net = Network([Gain(), factory()], loss="mse", task="regression", input_shape=shape)
    if net.output_shape is None or len(net.output_shape) != 1:
        yield "last", None, (f"the layer's output (n_samples, {net.output_shape}) is not "
                             "(n_samples, n_out), what a network's output must be")
        return
    yield "last", net, ""


def train_data(net: Any, shape: tuple[int, ...], input_kind: str, n_ids: int, seed: int,
               n: int = 96) -> tuple[NDArray, NDArray]:
    """Learnable data for ``net``: labels from a fixed linear teacher, or regression targets."""
    rng = np.random.default_rng(seed + 1)
    if input_kind == "int":
        X = rng.integers(0, n_ids, size=(n, *shape))
        return X, X.reshape(n, -1)[:, 0] % N_CLASSES
    X = rng.standard_normal((n, *shape)).astype(net.dtype)
    flat = X.reshape(n, -1)
    if net.task == "regression":
        teacher = rng.standard_normal((flat.shape[1], net.n_out))
        return X, np.tanh(flat @ teacher / np.sqrt(flat.shape[1])).astype(net.dtype)
    teacher = rng.standard_normal((flat.shape[1], N_CLASSES))
    return X, np.argmax(flat @ teacher, axis=1)
