"""Numerical gradient checks: backpropagation against central differences.

For a scalar function ``f`` of an array ``a``, the five-point central difference

    df/da_i ~ (-f(a + 2h e_i) + 8 f(a + h e_i) - 8 f(a - h e_i) + f(a - 2h e_i)) / (12 h)

has a truncation error of order ``h^4``, so ``h`` can be large enough (1e-4)
that float64 rounding in ``f`` costs only ~1e-16 * |f| / h. A correct
backward pass then agrees to about 1e-9 relative error; a wrong one is off
by order 1. (The two-point formula, error ``h^2``, forces a choice between
truncation and rounding error near 1e-6, right where a check's threshold sits.)

Kinks. Where ``f`` is not differentiable within ``2h`` of the point (ReLU
at 0, two values of a max-pooling window closer than ``h``), the difference
formula averages two slopes and disagrees with any correct backward pass.
Such an entry is recognised by its one-sided differences
``(f(a) - f(a - h)) / h`` and ``(f(a + h) - f(a)) / h``, which then differ
by far more than curvature explains; if backpropagation's value lies
between them (a valid one-sided derivative, or subgradient), the entry is
reported in ``kinks`` and left out of ``max_rel_error`` instead of being
reported as a wrong gradient.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import NDArray

from ._validation import as_rng
from .errors import DTypeError
from .layers import Layer
from .losses import Loss

if TYPE_CHECKING:
    from .network import Network

__all__ = ["GradcheckResult", "gradcheck", "gradcheck_loss", "gradcheck_network",
           "relative_error"]


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of a check.

    Attributes
    ----------
    max_rel_error : worst relative error over every entry checked
    where : the entry, e.g. ``"params['W'][3, 1]"`` or ``"x[0, 2]"``
    analytic, numeric : the two values at that entry
    n_checked : number of entries compared
    kinks : entries where a kink was crossed (one-sided slopes differ and
        backprop's value lies between them); not counted in ``max_rel_error``
    """

    max_rel_error: float
    where: str
    analytic: float
    numeric: float
    n_checked: int
    kinks: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (f"max relative error {self.max_rel_error:.3e} at {self.where} "
                f"(backprop {self.analytic:.6e}, numeric {self.numeric:.6e}; "
                f"{self.n_checked} entries)")
        if self.kinks:
            shown = ", ".join(self.kinks[:5]) + (", ..." if len(self.kinks) > 5 else "")
            text += (f"; a kink (a point where the function is not differentiable, such as "
                     f"ReLU at 0 or a max-pooling tie) was crossed at {len(self.kinks)} "
                     f"entries, left out: {shown}")
        return text


def relative_error(analytic: NDArray, numeric: NDArray, floor: float = 1e-6) -> NDArray:
    """``|a - n| / max(|a|, |n|, floor)``, entry by entry.

    Rounding in ``f`` leaves ~1e-14 of noise in every numerical derivative,
    which is a large *relative* error for a gradient entry of 1e-8 or an
    exact zero (a dead ReLU). The floor judges entries below 1e-6 by their
    absolute error instead (a failure then means an error above 1e-12),
    while a wrong gradient of any larger size still shows as an error far
    above 1e-6.
    """
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return np.abs(analytic - numeric) / scale


class _Numeric(np.ndarray):
    """Five-point differences, carrying the one-sided ones (``left``, ``right``) for kinks."""

    left: NDArray
    right: NDArray


def _numeric_grad(f: Callable[[], float], a: NDArray, h: float) -> NDArray:
    """Five-point central differences of ``f`` with respect to each entry of ``a`` (in place).

    Entries are visited by index, not through ``a.reshape(-1)``, which would
    be a copy (and the nudges lost) for an array not in C order. The result
    also carries the one-sided differences (``.left``, ``.right``).
    """
    grad = np.zeros(a.shape, dtype=np.float64).view(_Numeric)
    grad.left, grad.right = np.zeros(a.shape), np.zeros(a.shape)
    f_0 = f()

    def f_at(i: tuple[int, ...], value: float) -> float:
        a[i] = value
        return f()

    for i in np.ndindex(a.shape):
        keep = a[i]
        f_2h, f_h = f_at(i, keep + 2 * h), f_at(i, keep + h)
        f_mh, f_m2h = f_at(i, keep - h), f_at(i, keep - 2 * h)
        # differences first: equal values cancel exactly, so a zero gradient stays 0
        grad[i] = (8 * (f_h - f_mh) - (f_2h - f_m2h)) / (12 * h)
        grad.left[i], grad.right[i] = (f_0 - f_mh) / h, (f_h - f_0) / h
        a[i] = keep
    return grad


def _kinks(analytic: NDArray, numeric: NDArray, err: NDArray) -> NDArray:
    """Entries where a kink was crossed and backprop's value is a one-sided slope (bool mask).

    Curvature makes the one-sided slopes differ by about ``h |f''|``; a kink
    by the jump in slope. Only entries failing the check (error > 1e-6) are
    considered, and only if backprop lies between the two slopes.
    """
    left, right = getattr(numeric, "left", None), getattr(numeric, "right", None)
    if left is None or right is None:
        return np.zeros(analytic.shape, dtype=bool)
    scale = np.maximum(np.maximum(np.abs(left), np.abs(right)), 1e-6)
    gap = np.abs(right - left)
    low, high = np.minimum(left, right), np.maximum(left, right)
    slack = 1e-6 * scale + 1e-2 * gap
    inside = (analytic >= low - slack) & (analytic <= high + slack)
    return (err > 1e-6) & (gap > 1e-2 * scale) & inside


def _worst(checks: list[tuple[str, NDArray, NDArray]]) -> GradcheckResult:
    worst = GradcheckResult(0.0, "nothing", 0.0, 0.0, 0)
    n = 0
    kinks: list[str] = []
    for name, analytic, numeric in checks:
        n += analytic.size
        if analytic.size == 0:
            continue
        err = relative_error(analytic, np.asarray(numeric))
        crossed = _kinks(analytic, numeric, err)
        kinks += [f"{name}[{', '.join(map(str, i))}]" for i in np.argwhere(crossed)]
        err = np.where(crossed, 0.0, err)
        i = int(np.argmax(err))
        if err.flat[i] >= worst.max_rel_error:
            index = np.unravel_index(i, analytic.shape)
            worst = GradcheckResult(float(err.flat[i]), f"{name}[{', '.join(map(str, index))}]",
                                    float(analytic.flat[i]), float(numeric.flat[i]), 0)
    return GradcheckResult(worst.max_rel_error, worst.where, worst.analytic, worst.numeric, n,
                           tuple(kinks))


def _require_float64(dtype: np.dtype, what: str) -> None:
    if dtype.kind == "f" and dtype != np.float64:
        raise DTypeError(f"gradient checks need float64 ({what} is {dtype}): finite "
                         "differences in lower precision are too coarse to judge a gradient; "
                         "build the layer or network with dtype=np.float64 "
                         "(network.astype(np.float64) makes a float64 copy)")


def gradcheck(layer: Layer, x: NDArray, *, h: float = 1e-4,
              seed: int | np.random.Generator | None = 0) -> GradcheckResult:
    """Check ``layer.backward`` (parameters and input) against central differences.

    The layer is probed through the scalar ``f(x) = sum(forward(x) * R)`` for a
    fixed random ``R``, so ``dL/d(out) = R`` and every output entry counts.
    Each evaluation uses a fresh copy of the layer, so a stochastic layer
    (dropout) draws the same mask every time. Use float64 arrays.

    Parameters
    ----------
    layer : the layer, in float64
    x : input of shape (n_samples, *input_shape), float64; or integers (for
        an integer-input layer such as an embedding), kept as they are: then
        only the parameters are checked, since indices have no gradient
    h : finite-difference step

    Returns
    -------
    GradcheckResult; a correct layer gives ``max_rel_error`` below ~1e-7.
    Entries where a kink was crossed are listed in ``kinks``, not counted.
    """
    integer = np.asarray(x).dtype.kind in "iub"
    if not integer:
        _require_float64(np.asarray(x).dtype, "x")
    if layer.dtype is not None:
        _require_float64(layer.dtype, f"{layer!r}")
    x = np.array(x) if integer else np.array(x, dtype=np.float64)
    if not layer.built:
        layer.build(x.shape[1:], np.float64)
    probe = copy.deepcopy(layer)
    out = probe.forward(x, training=True)
    R = as_rng(seed).standard_normal(out.shape)

    def f_of(current: Layer) -> Callable[[], float]:
        return lambda: float(np.sum(copy.deepcopy(current).forward(x, training=True) * R))

    dx = probe.backward(R)
    checks: list[tuple[str, NDArray, NDArray]] = []
    if dx is not None and not integer:
        checks.append(("x", np.asarray(dx), _numeric_grad(f_of(layer), x, h)))
    target = copy.deepcopy(layer)
    for key in target.params:
        checks.append((f"params[{key!r}]", probe.grads[key].copy(),
                       _numeric_grad(f_of(target), target.params[key], h)))
    return _worst(checks)


def gradcheck_loss(loss: Loss, y_true: NDArray, y_pred: NDArray, *, h: float = 1e-4
                   ) -> GradcheckResult:
    """Check ``loss.grad`` against central differences of ``loss.loss`` at ``y_pred``."""
    _require_float64(np.asarray(y_pred).dtype, "y_pred")
    y_pred = np.array(y_pred, dtype=np.float64)
    analytic = loss.grad(y_true, y_pred)
    numeric = _numeric_grad(lambda: loss.loss(y_true, y_pred), y_pred, h)
    return _worst([("y_pred", analytic, numeric)])



def gradcheck_network(network: Network, X: NDArray, y: NDArray, *, h: float = 1e-4
                      ) -> GradcheckResult:
    """Check every parameter gradient of ``network`` for its loss at ``(X, y)``.

    Stochastic layers (dropout) are put back to the same generator state
    before each evaluation, so every forward pass draws the same masks, and
    non-trainable state (BatchNorm's running statistics) is restored after
    each. The network must be float64: ``network.astype(np.float64)`` makes
    a float64 copy to check.
    """
    _require_float64(network.dtype, "the network")
    X, prepared, _ = network.prepare(X, y, decide_task=True)
    y = cast(NDArray, prepared)  # given y, prepare gives targets
    generators = [la.rng for _, la in network.walk()  # type: ignore[attr-defined]
                  if isinstance(getattr(la, "rng", None), np.random.Generator)]
    states = [g.bit_generator.state for g in generators]
    saved_state = [(value, value.copy()) for _, value in network.named_state()]

    def forward() -> NDArray:
        for g, state in zip(generators, states, strict=True):
            g.bit_generator.state = state
        out = network.forward(X, training=True)
        for value, original in saved_state:
            value[...] = original
        return out

    network.backward(network.loss.grad(y, forward()))
    checks = []
    for name, param, grad in network.named_parameters():
        analytic = np.array(grad, dtype=np.float64)
        numeric = _numeric_grad(lambda: network.loss.loss(y, forward()), param, h)
        checks.append((name, analytic, numeric))
    return _worst(checks)
