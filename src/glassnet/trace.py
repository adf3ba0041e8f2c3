"""One training step with every number shown: ``trace_step``.

For a small network of ``Dense`` layers, each followed by at most one
activation (sigmoid, tanh, ReLU, leaky ReLU or none), and a sum-of-squares,
mean squared error or softmax cross-entropy loss, ``trace_step`` computes
in float64, with the network numbered from the input (``a0 = x``)::

    forward    z_l = a_(l-1) W_l + b_l            a_l = f_l(z_l)
    loss       C = c sum (a_L - y)^2   or   C = -(1/n) sum y log softmax(a_L)
    backward   delta_L = dC/da_L * f_L'(z_L)
               dC/dW_l = a_(l-1)^T delta_l        dC/db_l = sum over samples of delta_l
               delta_(l-1) = (delta_l W_l^T) * f_(l-1)'(z_(l-1))
    update     W_l <- W_l - lr dC/dW_l            (and b_l, unless frozen)

and records each quantity element by element with its formula, the same
formula with the numbers filled in, and the value; checks every gradient
against a central difference quotient; runs the engine's own backward on
the same sample and records how far its gradients are from these; and
evaluates the loss again after the step. ``StepTrace`` shows it all as
plain text, Markdown, HTML (in Jupyter) or JSON.

Presets: ``"mazur"`` (Matt Mazur's worked 2-2-2 example), ``"book"`` (a
3-3-3 network without biases, as in the book) and ``"moons"`` (a 2-3-2
classifier on one sample of the two moons).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from ._trace_views import Line, Section, StepTrace, fmt
from ._validation import check_positive
from .errors import ShapeError
from .layers import Dense, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import Loss
from .network import Network

__all__ = ["trace_step", "StepTrace", "PRESETS", "HalfSumSquaredError"]

MAX_SAMPLES = 8
MAX_UNITS = 16
GRADCHECK_FLOOR = 1e-4

_ACTIVATIONS = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu", LeakyReLU: "leaky_relu",
                Identity: "identity"}


class HalfSumSquaredError(Loss):
    """``E = sum 1/2 (target - out)^2`` over every output and sample: no mean.

    The error of Mazur's example (and, for one sample, of the book). Kept
    here so the presets' numbers never depend on the engine's own convention
    for ``"sse"``. ``dE/d(out) = out - target``.
    """

    name = "half_sse"

    def loss(self, y_true: NDArray, y_pred: NDArray) -> float:
        d = y_pred - y_true
        return float(0.5 * np.sum(d * d))

    def grad(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        return y_pred - y_true


@dataclass
class _Layer:
    """One Dense layer and the activation after it, as the trace sees them."""

    number: int  # 1-based, as in the formulas
    dense: Dense
    position: int  # index of the Dense in network.layers
    activation: str = "identity"
    alpha: float = 0.0
    W: NDArray = field(default_factory=lambda: np.zeros((0, 0)))
    b: NDArray | None = None


@dataclass
class _Preset:
    network: Network
    x: NDArray
    y: NDArray
    lr: float
    update_biases: bool
    title: str
    description: str
    labels: dict[str, str]


def trace_step(network_or_preset: Network | str = "mazur", x: ArrayLike | None = None,
               y: ArrayLike | None = None, *, lr: float | None = None,
               update_biases: bool | None = None, apply: bool = False,
               h: float = 1e-6, digits: int = 9) -> StepTrace:
    """One gradient-descent step on ``(x, y)``, with every number, formula and check.

    Parameters
    ----------
    network_or_preset : a ``Network`` of Dense layers, each followed by at most
        one activation, with loss ``"sse"``, ``"mse"``, ``"softmax_cross_entropy"``
        or ``HalfSumSquaredError``; or a preset name: ``"mazur"``, ``"book"``,
        ``"moons"`` (see ``PRESETS``)
    x : array of shape (n_samples, n_in), 1 <= n_samples <= 8 (a preset brings its own)
    y : targets (n_samples, n_out) or integer labels (n_samples,)
    lr : learning rate (default: the preset's, else 0.1)
    update_biases : False keeps the biases as they are, as Mazur's example does
        (default: the preset's, else True)
    apply : also write the new parameters into the network (in its dtype);
        by default the network is left as it was
    h : step of the central difference quotients ``(C(p + h) - C(p - h)) / 2h``
    digits : significant digits printed

    Returns
    -------
    StepTrace : ``str(trace)`` or ``trace.to_text()``, ``to_markdown()``,
    ``to_json()``, ``to_dict()``; shown as a table in Jupyter.

    Examples
    --------
    >>> trace = trace_step("mazur")
    >>> print(f"{trace.loss_before:.9f} -> {trace.loss_after:.9f}")
    0.298371109 -> 0.291027774
    """
    labels: dict[str, str] = {}
    if isinstance(network_or_preset, str):
        preset = _preset(network_or_preset)
        network = preset.network
        if x is not None or y is not None:
            raise ValueError(f"the preset {network_or_preset!r} brings its own x and y; "
                             "to trace your own data pass a Network")
        x_arr, y_arr = preset.x, preset.y
        lr = preset.lr if lr is None else lr
        update_biases = preset.update_biases if update_biases is None else update_biases
        title, description, labels = preset.title, preset.description, preset.labels
    elif isinstance(network_or_preset, Network):
        network = network_or_preset
        if x is None or y is None:
            raise ValueError("trace_step(network, x, y) needs the sample(s) x and targets y")
        x_arr = np.asarray(x, dtype=np.float64)
        y_arr = np.asarray(y)
        lr = 0.1 if lr is None else lr
        update_biases = True if update_biases is None else update_biases
        title, description = "one training step", ""
    else:
        raise TypeError(f"trace_step expects a glassnet Network or a preset name "
                        f"{sorted(PRESETS)}, got {type(network_or_preset).__name__}")
    lr = check_positive(lr, "lr")
    h = check_positive(h, "h")
    layers = _layers_of(network)
    x_arr = _check_x(x_arr, layers[0].W.shape[0])
    targets, loss_kind, c = _targets_and_loss(network.loss, y_arr, x_arr.shape[0],
                                              layers[-1].W.shape[1])
    tracer = _Tracer(layers, loss_kind, c, lr, bool(update_biases), h, digits, labels)
    trace = tracer.run(x_arr, targets)
    trace.title, trace.description = title, description
    trace.engine_max_difference = _engine_difference(network, x_arr, y_arr, layers, trace)
    trace.sections.append(tracer.engine_section(trace.engine_max_difference, network))
    if apply:
        for layer in layers:
            layer.dense.params["W"][...] = trace.arrays[f"W{layer.number}_new"]
            if layer.b is not None:
                layer.dense.params["b"][...] = trace.arrays[f"b{layer.number}_new"]
    return trace


# -- the network, the data and the loss as the trace needs them --------------
def _layers_of(network: Network) -> list[_Layer]:
    layers: list[_Layer] = []
    for i, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            W = np.array(layer.params["W"], dtype=np.float64)
            b = np.array(layer.params["b"], dtype=np.float64) if "b" in layer.params else None
            if max(W.shape) > MAX_UNITS:
                raise ShapeError(f"trace_step shows every number, so each layer may have at "
                                 f"most {MAX_UNITS} units; layer {i} {layer!r} has "
                                 f"{W.shape}; trace a smaller network")
            layers.append(_Layer(len(layers) + 1, layer, i, W=W, b=b))
            continue
        kind = _ACTIVATIONS.get(type(layer))
        if kind is None:
            raise TypeError(f"trace_step follows Dense layers and the activations "
                            f"{sorted(_ACTIVATIONS.values())}; layer {i} is {layer!r} (for a "
                            "softmax output use loss='softmax_cross_entropy' on the last Dense)")
        if not layers or layers[-1].activation != "identity" or kind == "identity":
            if kind == "identity":
                continue
            raise TypeError(f"trace_step expects at most one activation after each Dense; "
                            f"layer {i} {layer!r} follows {network.layers[i - 1]!r}")
        layers[-1].activation = kind
        layers[-1].alpha = float(getattr(layer, "alpha", 0.0))
    if not layers:
        raise TypeError("trace_step needs a network with at least one Dense layer")
    return layers


def _check_x(x: NDArray, n_in: int) -> NDArray:
    if x.ndim == 1 and x.shape[0] == n_in:
        x = x.reshape(1, -1)
    if x.ndim != 2 or x.shape[1] != n_in or not 1 <= x.shape[0] <= MAX_SAMPLES:
        raise ShapeError(f"x must have shape (n_samples, {n_in}) with 1 to {MAX_SAMPLES} "
                         f"samples (trace_step shows every number), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"x (shape {x.shape}) contains NaN or infinity")
    return x


def _targets_and_loss(loss: Loss, y: NDArray, n: int, n_out: int
                      ) -> tuple[NDArray, str, float]:
    """Dense float64 targets (n, n_out), the loss kind and, for squared errors, ``c``."""
    if y.ndim == 1 and y.dtype.kind in "iub" and n_out > 1:
        if y.min() < 0 or y.max() >= n_out:
            raise ValueError(f"labels y must lie in 0..{n_out - 1}, got {y.min()}..{y.max()}")
        y = F.one_hot(y, n_out, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1 and y.shape[0] == n_out and n == 1:
        y = y.reshape(1, -1)
    if y.shape != (n, n_out):
        raise ShapeError(f"y must have shape ({n}, {n_out}) (or integer labels ({n},)) to "
                         f"match x and the network's outputs, got {y.shape}")
    if loss.name == "softmax_cross_entropy":
        return y, "cross_entropy", 1.0 / n
    # A squared error is L = c sum (p - y)^2 whatever its convention: read c
    # from the loss itself and check its gradient is 2 c (p - y).
    zeros, ones = np.zeros((n, n_out)), np.ones((n, n_out))
    try:
        c = loss.loss(zeros, ones) / zeros.size
        squared = (np.isclose(loss.loss(zeros, 2 * ones), 4 * c * zeros.size, rtol=1e-12)
                   and np.allclose(loss.grad(zeros, ones), 2 * c, rtol=1e-12)
                   and c > 0)
    except (ValueError, TypeError):
        squared = False
    if not squared:
        raise TypeError(f"trace_step handles squared-error losses ('sse', 'mse') and "
                        f"'softmax_cross_entropy', got {loss!r}")
    return y, "squared", float(c)


def _engine_difference(network: Network, x: NDArray, y: NDArray, layers: list[_Layer],
                       trace: StepTrace) -> float:
    """Largest |engine gradient - traced gradient| over every parameter."""
    xin = x.astype(network.dtype)
    targets = network.loss.prepare_targets(np.asarray(y), network.n_out, network.dtype)
    out = network.forward(xin, training=True)
    _, dout = network.loss.loss_and_grad(targets, out)
    network.backward(dout)
    worst = 0.0
    for layer in layers:
        for key in layer.dense.params:
            engine = np.asarray(layer.dense.grads[key], dtype=np.float64)
            worst = max(worst, float(np.abs(engine - trace.arrays[f"d{key}{layer.number}"]).max()))
    return worst


# -- the computation, recorded line by line -----------------------------------
def _activate(kind: str, z: NDArray, alpha: float) -> NDArray:
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if kind == "tanh":
        return np.tanh(z)
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    return z.copy()


def _derivative(kind: str, z: NDArray, a: NDArray, alpha: float) -> NDArray:
    if kind == "sigmoid":
        return a * (1.0 - a)
    if kind == "tanh":
        return 1.0 - a * a
    if kind == "relu":
        return (z > 0).astype(np.float64)
    if kind == "leaky_relu":
        return np.where(z > 0, 1.0, alpha)
    return np.ones_like(z)


_ACT_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LeakyReLU",
               "identity": "identity"}


class _Tracer:
    def __init__(self, layers: list[_Layer], loss_kind: str, c: float, lr: float,
                 update_biases: bool, h: float, digits: int, labels: dict[str, str]) -> None:
        self.layers, self.loss_kind, self.c, self.lr = layers, loss_kind, c, lr
        self.update_biases, self.h, self.digits, self.labels = update_biases, h, digits, labels

    def f(self, v: float) -> str:
        return fmt(v, self.digits)

    def p(self, v: float) -> str:
        """A number inside an expression: negative ones in parentheses."""
        text = fmt(v, self.digits)
        return f"({text})" if text.startswith("−") else text

    # forward and loss as plain maths, for the step and the difference quotients
    def forward(self, x: NDArray, params: dict[str, NDArray]) -> tuple[list, list]:
        zs, acts = [], [x]
        for layer in self.layers:
            z = acts[-1] @ params[f"W{layer.number}"]
            if layer.b is not None:
                z = z + params[f"b{layer.number}"]
            zs.append(z)
            acts.append(_activate(layer.activation, z, layer.alpha))
        return zs, acts

    def loss(self, out: NDArray, y: NDArray) -> float:
        if self.loss_kind == "squared":
            return float(self.c * np.sum((out - y) ** 2))
        logp = F.log_softmax(out, axis=1)
        return float(-np.sum(y * logp) / out.shape[0])

    def loss_of(self, x: NDArray, y: NDArray, params: dict[str, NDArray]) -> float:
        return self.loss(self.forward(x, params)[1][-1], y)

    def idx(self, n: int, s: int, j: int) -> str:
        return f"[{j}]" if n == 1 else f"[{s},{j}]"

    def label(self, name: str) -> str:
        return self.labels.get(name, "")

    def run(self, x: NDArray, y: NDArray) -> StepTrace:
        n = x.shape[0]
        params: dict[str, NDArray] = {}
        for layer in self.layers:
            params[f"W{layer.number}"] = layer.W
            if layer.b is not None:
                params[f"b{layer.number}"] = layer.b
        zs, acts = self.forward(x, params)
        arrays: dict[str, NDArray] = {"x": x, "y": y, **{k: v.copy() for k, v in params.items()}}
        sections = [self.setup_section(x, y, n)]

        fwd: list[Line] = []
        for layer, z, a_prev, a in zip(self.layers, zs, acts[:-1], acts[1:], strict=True):
            k = layer.number
            prev = "x" if k == 1 else f"a{k - 1}"
            arrays[f"z{k}"], arrays[f"a{k}"] = z, a
            for s in range(n):
                for j in range(z.shape[1]):
                    terms = [f"{prev}{self.idx(n, s, i)}·W{k}[{i},{j}]"
                             for i in range(a_prev.shape[1])]
                    nums = [f"{self.p(a_prev[s, i])}×{self.p(layer.W[i, j])}"
                            for i in range(a_prev.shape[1])]
                    if layer.b is not None:
                        terms.append(f"b{k}[{j}]")
                        nums.append(self.p(layer.b[j]))
                    fwd.append(Line(f"z{k}{self.idx(n, s, j)}", " + ".join(terms),
                                    " + ".join(nums), float(z[s, j])))
            for s in range(n):
                for j in range(z.shape[1]):
                    fwd.append(self.activation_line(layer, k, n, s, j, z, a))
        sections.append(Section("Forward pass", "Each unit sums its weighted inputs (z) and "
                                "applies its activation (a).", fwd))

        out = acts[-1]
        loss_before = self.loss(out, y)
        sections.append(self.loss_section(out, y, n, loss_before, "Loss"))

        grads, bwd = self.backward(zs, acts, y, n, arrays, params)
        sections.append(Section("Backward pass (chain rule)",
                                "δ is ∂C/∂z, a unit's share of the blame; each weight's "
                                "gradient is the activation feeding it times the δ it feeds.",
                                bwd))
        check_lines, worst = self.gradcheck(x, y, params, grads)
        sections.append(Section("Gradient check", "Each gradient against the central "
                                f"difference quotient [C(p + h) − C(p − h)] / 2h, "
                                f"h = {self.h:g}; error = |backprop − quotient| / "
                                f"max(|backprop|, |quotient|, {GRADCHECK_FLOOR:g}), "
                                "agreeing below 1e-5.", check_lines))

        new_params, upd = self.update(params, grads)
        arrays.update({f"{k}_new": v for k, v in new_params.items()})
        sections.append(Section("Update (gradient descent)",
                                f"Each parameter steps against its gradient: "
                                f"p_new = p − η·∂C/∂p with η = {self.f(self.lr)}.", upd))
        out_after = self.forward(x, new_params)[1][-1]
        loss_after = self.loss(out_after, y)
        arrays["out_after"] = out_after
        sections.append(self.loss_section(out_after, y, n, loss_after, "After the step",
                                          before=loss_before))
        return StepTrace(sections=sections, arrays=arrays, loss_before=loss_before,
                         loss_after=loss_after, lr=self.lr, max_gradcheck_error=worst,
                         loss_formula=self.loss_formula(n))

    def activation_line(self, layer: _Layer, k: int, n: int, s: int, j: int,
                        z: NDArray, a: NDArray) -> Line:
        ij = self.idx(n, s, j)
        zv, av = self.f(z[s, j]), float(a[s, j])
        kind = layer.activation
        numbers = {"sigmoid": f"1 / (1 + e^(−{zv}))" if z[s, j] >= 0 else
                              f"1 / (1 + e^({self.f(-z[s, j])}))",
                   "tanh": f"tanh({zv})", "relu": f"max(0, {zv})",
                   "leaky_relu": f"{zv} if {zv} > 0 else {self.f(layer.alpha)}×{zv}",
                   "identity": zv}[kind]
        return Line(f"a{k}{ij}", f"{_ACT_SYMBOL[kind]}(z{k}{ij})", numbers, av)

    def loss_formula(self, n: int) -> str:
        if self.loss_kind == "squared":
            return f"C = {_fraction(self.c)}Σ (a{len(self.layers)} − y)²"
        mean = "" if n == 1 else f"(1/{n}) "
        return f"C = −{mean}Σ y·log softmax(a{len(self.layers)})"

    def loss_section(self, out: NDArray, y: NDArray, n: int, value: float, title: str,
                     before: float | None = None) -> Section:
        L = len(self.layers)
        lines: list[Line] = []
        if self.loss_kind == "squared":
            terms = [f"({self.f(out[s, k])} − {self.p(y[s, k])})²"
                     for s in range(n) for k in range(out.shape[1])]
            lines.append(Line("C", self.loss_formula(n).removeprefix("C = "),
                              f"{_fraction(self.c)}[{' + '.join(terms)}]", value))
        else:
            p = F.softmax(out, axis=1)
            for s in range(n):
                for k in range(out.shape[1]):
                    denom = " + ".join(f"e^{self.p(v)}" for v in out[s])
                    row = "" if n == 1 else f"{s},"
                    lines.append(Line(f"p{self.idx(n, s, k)}",
                                      f"e^a{L}[{row}{k}] / Σ_j e^a{L}[{row}j]",
                                      f"e^{self.p(out[s, k])} / ({denom})", float(p[s, k])))
            terms = [f"{self.p(y[s, k])}×log({self.f(p[s, k])})"
                     for s in range(n) for k in range(out.shape[1])]
            mean = "" if n == 1 else f"(1/{n})"
            lines.append(Line("C", self.loss_formula(n).removeprefix("C = "),
                              f"−{mean}[{' + '.join(terms)}]", value))
        text = "The error of the output against the targets."
        if before is not None:
            lines.append(Line("ΔC", "C_after − C_before",
                              f"{self.f(value)} − {self.p(before)}", value - before))
            text = "The same sample through the updated network."
        return Section(title, text, lines)

    def backward(self, zs: list, acts: list, y: NDArray, n: int, arrays: dict,
                 params: dict) -> tuple[dict[str, NDArray], list[Line]]:
        L = len(self.layers)
        out = acts[-1]
        lines: list[Line] = []
        if self.loss_kind == "squared":
            dC_da = 2 * self.c * (out - y)
            for s in range(n):
                for k in range(out.shape[1]):
                    ij = self.idx(n, s, k)
                    lines.append(Line(f"∂C/∂a{L}{ij}", f"2·{_fraction(self.c)}(a{L}{ij} − y{ij})",
                                      f"2×{self.p(self.c)}×({self.f(out[s, k])} − "
                                      f"{self.p(y[s, k])})", float(dC_da[s, k])))
        else:
            p = F.softmax(out, axis=1)
            dC_da = (p - y) / n
            for s in range(n):
                for k in range(out.shape[1]):
                    ij = self.idx(n, s, k)
                    lines.append(Line(f"∂C/∂a{L}{ij}", f"(p{ij} − y{ij}) / {n}",
                                      f"({self.f(p[s, k])} − {self.p(y[s, k])}) / {n}",
                                      float(dC_da[s, k])))
        arrays[f"dC/da{L}"] = dC_da
        grads: dict[str, NDArray] = {}
        dC_da_l = dC_da
        for layer in reversed(self.layers):
            k = layer.number
            z, a, a_prev = zs[k - 1], acts[k], acts[k - 1]
            deriv = _derivative(layer.activation, z, a, layer.alpha)
            delta = dC_da_l * deriv
            arrays[f"delta{k}"] = delta
            for s in range(n):
                for j in range(z.shape[1]):
                    lines.append(self.delta_line(layer, k, n, s, j, dC_da_l, z, a, delta))
            prev = "x" if k == 1 else f"a{k - 1}"
            dW = a_prev.T @ delta
            grads[f"W{k}"] = arrays[f"dW{k}"] = dW
            for i in range(dW.shape[0]):
                for j in range(dW.shape[1]):
                    name = f"W{k}[{i},{j}]"
                    terms = " + ".join(f"{prev}{self.idx(n, s, i)}·δ{k}{self.idx(n, s, j)}"
                                       for s in range(n))
                    nums = " + ".join(f"{self.p(a_prev[s, i])}×{self.p(delta[s, j])}"
                                      for s in range(n))
                    lines.append(Line(f"∂C/∂{name}", terms, nums, float(dW[i, j]),
                                      self.label(name)))
            if layer.b is not None:
                db = delta.sum(axis=0)
                grads[f"b{k}"] = arrays[f"db{k}"] = db
                for j in range(db.shape[0]):
                    name = f"b{k}[{j}]"
                    lines.append(Line(f"∂C/∂{name}",
                                      " + ".join(f"δ{k}{self.idx(n, s, j)}" for s in range(n)),
                                      " + ".join(self.p(delta[s, j]) for s in range(n)),
                                      float(db[j]), self.label(name)))
            if k > 1:
                W = params[f"W{k}"]
                dC_da_l = delta @ W.T
                arrays[f"dC/da{k - 1}"] = dC_da_l
                for s in range(n):
                    for i in range(W.shape[0]):
                        ij = self.idx(n, s, i)
                        terms = " + ".join(f"δ{k}{self.idx(n, s, j)}·W{k}[{i},{j}]"
                                           for j in range(W.shape[1]))
                        nums = " + ".join(f"{self.p(delta[s, j])}×{self.p(W[i, j])}"
                                          for j in range(W.shape[1]))
                        lines.append(Line(f"∂C/∂a{k - 1}{ij}", terms, nums,
                                          float(dC_da_l[s, i])))
        return grads, lines

    def delta_line(self, layer: _Layer, k: int, n: int, s: int, j: int, dC_da: NDArray,
                   z: NDArray, a: NDArray, delta: NDArray) -> Line:
        ij = self.idx(n, s, j)
        g, av = self.p(dC_da[s, j]), self.p(a[s, j])
        kind = layer.activation
        formula, numbers = {
            "sigmoid": (f"∂C/∂a{k}{ij}·a{k}{ij}(1 − a{k}{ij})", f"{g}×{av}×(1 − {av})"),
            "tanh": (f"∂C/∂a{k}{ij}·(1 − a{k}{ij}²)", f"{g}×(1 − {av}²)"),
            "relu": (f"∂C/∂a{k}{ij}·[z{k}{ij} > 0]", f"{g}×{int(z[s, j] > 0)}"),
            "leaky_relu": (f"∂C/∂a{k}{ij}·(1 if z{k}{ij} > 0 else α)",
                           f"{g}×{self.p(1.0 if z[s, j] > 0 else layer.alpha)}"),
            "identity": (f"∂C/∂a{k}{ij}", g),
        }[kind]
        return Line(f"δ{k}{ij}", formula, numbers, float(delta[s, j]))

    def gradcheck(self, x: NDArray, y: NDArray, params: dict[str, NDArray],
                  grads: dict[str, NDArray]) -> tuple[list[Line], float]:
        lines: list[Line] = []
        worst = 0.0
        for key, grad in grads.items():
            for index in np.ndindex(grad.shape):
                shifted = {k: v.copy() for k, v in params.items()}
                shifted[key][index] += self.h
                up = self.loss_of(x, y, shifted)
                shifted[key][index] -= 2 * self.h
                down = self.loss_of(x, y, shifted)
                numeric = (up - down) / (2 * self.h)
                analytic = float(grad[index])
                # relative, with a floor: below it the quotient's rounding (about
                # 1e-16 C / h) would dominate, so tiny gradients are compared absolutely
                error = abs(analytic - numeric) / max(abs(analytic), abs(numeric),
                                                      GRADCHECK_FLOOR)
                worst = max(worst, error)
                name = f"{key}[{','.join(map(str, index))}]"
                verdict = "agrees" if error < 1e-5 else "DISAGREES"
                lines.append(Line(f"∂C/∂{name}", "[C(p + h) − C(p − h)] / 2h",
                                  f"[{self.f(up)} − {self.p(down)}] / {2 * self.h:g}; "
                                  f"backprop {self.f(analytic)}, error {error:.1e}: "
                                  f"{verdict}", numeric, self.label(name)))
        return lines, worst

    def update(self, params: dict[str, NDArray], grads: dict[str, NDArray]
               ) -> tuple[dict[str, NDArray], list[Line]]:
        new: dict[str, NDArray] = {}
        lines: list[Line] = []
        for key, value in params.items():
            frozen = key.startswith("b") and not self.update_biases
            new[key] = value.copy() if frozen else value - self.lr * grads[key]
            for index in np.ndindex(value.shape):
                name = f"{key}[{','.join(map(str, index))}]"
                if frozen:
                    lines.append(Line(f"{name} new", f"{name} (frozen)", self.f(value[index]),
                                      float(value[index]), self.label(name)))
                    continue
                lines.append(Line(f"{name} new", f"{name} − η·∂C/∂{name}",
                                  f"{self.f(value[index])} − {self.p(self.lr)}×"
                                  f"{self.p(grads[key][index])}", float(new[key][index]),
                                  self.label(name)))
        return new, lines

    def setup_section(self, x: NDArray, y: NDArray, n: int) -> Section:
        lines = []
        for s in range(n):
            for i in range(x.shape[1]):
                lines.append(Line(f"x{self.idx(n, s, i)}", "input", self.f(x[s, i]),
                                  float(x[s, i])))
        for s in range(n):
            for k in range(y.shape[1]):
                lines.append(Line(f"y{self.idx(n, s, k)}", "target", self.f(y[s, k]),
                                  float(y[s, k])))
        for layer in self.layers:
            k = layer.number
            for key, value in (("W", layer.W), ("b", layer.b)):
                if value is None:
                    continue
                for index in np.ndindex(value.shape):
                    name = f"{key}{k}[{','.join(map(str, index))}]"
                    lines.append(Line(name, "weight" if key == "W" else "bias",
                                      self.f(value[index]),
                                      float(value[index]), self.label(name)))
        shape = " → ".join([str(self.layers[0].W.shape[0])]
                           + [f"{la.W.shape[1]} ({_ACT_SYMBOL[la.activation]})"
                              for la in self.layers])
        frozen = "" if self.update_biases else "; biases frozen"
        engine = ", ".join(f"W{la.number} is network.layers[{la.position}].params['W']"
                           for la in self.layers)
        text = (f"Network {shape}; loss {self.loss_formula(n)}; learning rate "
                f"η = {self.f(self.lr)}{frozen}; {n} sample{'s' if n > 1 else ''}. "
                f"Row i, column j of W is the weight from unit i to unit j ({engine}).")
        return Section("Network and data", text, lines)

    def engine_section(self, difference: float, network: Network) -> Section:
        tol = 1e-10 if network.dtype == np.float64 else 1e-5
        verdict = "the same gradients" if difference <= tol else "DIFFERENT gradients"
        return Section("The engine's backward", f"network.backward on the same sample gives "
                       f"{verdict}: the largest difference from the gradients above is "
                       f"{difference:.1e} ({network.dtype}).", [])


def _fraction(c: float) -> str:
    """``c`` as a factor in the formulas: ``1/2·``, ``(1/8)·``, nothing for 1."""
    frac = Fraction(c).limit_denominator(10_000)
    if abs(float(frac) - c) > 1e-12 * c:
        return f"{c:.6g}·"
    if frac == 1:
        return ""
    return f"{frac.numerator}/{frac.denominator}·" if frac.numerator != 1 \
        else f"(1/{frac.denominator})·"


# -- presets ------------------------------------------------------------------
def _preset(name: str) -> _Preset:
    try:
        build = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None
    return build()


def _mazur() -> _Preset:
    f64 = np.float64
    hidden = Dense(2, 2, dtype=f64)
    output = Dense(2, 2, dtype=f64)
    # Mazur's w1..w4 feed the hidden units h1, h2 and w5..w8 the outputs o1, o2;
    # the engine's W[i, j] is the weight from unit i to unit j.
    hidden.params["W"][...] = [[0.15, 0.25], [0.20, 0.30]]
    output.params["W"][...] = [[0.40, 0.50], [0.45, 0.55]]
    hidden.params["b"][...] = 0.35
    output.params["b"][...] = 0.60
    network = Network([hidden, Sigmoid(), output, Sigmoid()], loss=HalfSumSquaredError(),
                      task="regression")
    labels = {"W1[0,0]": "w1", "W1[1,0]": "w2", "W1[0,1]": "w3", "W1[1,1]": "w4",
              "W2[0,0]": "w5", "W2[1,0]": "w6", "W2[0,1]": "w7", "W2[1,1]": "w8",
              "b1[0]": "b1", "b1[1]": "b1", "b2[0]": "b2", "b2[1]": "b2"}
    return _Preset(network, np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]]), 0.5, False,
                   "Matt Mazur's step-by-step backpropagation example",
                   "2 inputs, 2 sigmoid hidden units, 2 sigmoid outputs; E = Σ ½(target − out)²; "
                   "the biases stay fixed, as in the original. Mazur's w1..w8 are shown "
                   "beside the matrix entries.", labels)


def _book() -> _Preset:
    f64 = np.float64
    rng = np.random.default_rng(0)
    hidden = Dense(3, 3, bias=False, init="normal_fan_in", rng=rng, dtype=f64)
    output = Dense(3, 3, bias=False, init="normal_fan_in", rng=rng, dtype=f64)
    network = Network([hidden, Sigmoid(), output, Sigmoid()], loss=HalfSumSquaredError(),
                      task="regression")
    return _Preset(network, np.array([[1.0, 0.5, -1.5]]), np.array([[0.99, 0.01, 0.01]]), 0.3,
                   True, "The book's network: 3-3-3, sigmoid, no biases",
                   "The book's first example input and targets, weights drawn as the book draws "
                   "them (normal, standard deviation 1/√inputs, seed 0), E = Σ ½(target − out)². "
                   "Full backpropagation: the book's train() passes the output errors back "
                   "rather than the δs, so its hidden-layer step differs a little.", {})


def _moons() -> _Preset:
    from .datasets import make_moons

    X, y = make_moons(20, noise=0.1, seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    network = Network([Dense(2, 3, rng=rng, dtype=np.float64), Tanh(),
                       Dense(3, 2, rng=rng, dtype=np.float64)], loss="softmax_cross_entropy")
    return _Preset(network, X[:1], y[:1], 0.1, True,
                   "A 2-3-2 classifier on one sample of the two moons",
                   "tanh hidden units; the two outputs are logits, turned into probabilities "
                   "by the softmax inside the cross-entropy loss.", {})


PRESETS = {"mazur": _mazur, "book": _book, "moons": _moons}
