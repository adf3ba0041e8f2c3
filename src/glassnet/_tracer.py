"""The arithmetic of ``trace_step``: one step computed in float64 and recorded line by line.

Each quantity becomes a ``Line``: its name, its formula, the formula with the
numbers filled in, and its value. ``glassnet.trace`` prepares the network
and data; this module does the maths and writes the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from . import functional as F
from ._trace_views import Line, Section, StepTrace, fmt
from .layers import Dense
from .network import Network

GRADCHECK_FLOOR = 1e-4


@dataclass
class TracedLayer:
    """One Dense layer and the activation after it, as the trace sees them."""

    number: int  # 1-based, as in the formulas
    dense: Dense
    position: int  # index of the Dense in network.layers
    activation: str = "identity"
    alpha: float = 0.0
    W: NDArray = field(default_factory=lambda: np.zeros((0, 0)))
    b: NDArray | None = None


def _activate(kind: str, z: NDArray, alpha: float) -> NDArray:
    if kind == "sigmoid":
        return F.sigmoid(z)  # 1 / (1 + e^-z), computed without overflow for any z
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


class Tracer:
    def __init__(self, layers: list[TracedLayer], loss_kind: str, c: float, lr: float,
                 update_biases: bool, h: float, digits: int, labels: dict[str, str],
                 matrix_form: bool | None = None) -> None:
        self.layers, self.loss_kind, self.c, self.lr = layers, loss_kind, c, lr
        self.update_biases, self.h, self.digits, self.labels = update_biases, h, digits, labels
        self.matrix_form = matrix_form

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
        if self.matrix_form or (self.matrix_form is None and n > 1):
            sections.append(self.matrix_section(arrays))
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

    def activation_line(self, layer: TracedLayer, k: int, n: int, s: int, j: int,
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

    def m(self, a: NDArray) -> str:
        """A vector or matrix with its entries written out, row by row."""
        if a.ndim == 1:
            return "[" + ", ".join(self.f(v) for v in a) + "]"
        return "[" + ", ".join(self.m(row) for row in a) + "]"

    def matrix_section(self, arrays: dict[str, NDArray]) -> Section:
        """The same step with whole matrices, one row per sample, as the engine computes it."""
        L = len(self.layers)
        lines: list[Line] = []
        shape = "×".join
        for layer in self.layers:
            k = layer.number
            prev = "X" if k == 1 else f"A{k - 1}"
            a_prev = arrays["x"] if k == 1 else arrays[f"a{k - 1}"]
            bias = f" + b{k}" if layer.b is not None else ""
            lines.append(Line(f"Z{k}", f"{prev}·W{k}{bias}   ({shape(map(str, a_prev.shape))} · "
                              f"{shape(map(str, layer.W.shape))})", self.m(arrays[f"z{k}"]),
                              None))
            lines.append(Line(f"A{k}", f"{_ACT_SYMBOL[layer.activation]}(Z{k})",
                              self.m(arrays[f"a{k}"]), None))
        grad_formula = ("2·" + _fraction(self.c) + f"(A{L} − Y)" if self.loss_kind == "squared"
                        else f"(softmax(A{L}) − Y) / n")
        lines.append(Line(f"∂C/∂A{L}", grad_formula, self.m(arrays[f"dC/da{L}"]), None))
        for layer in reversed(self.layers):
            k = layer.number
            prev = "X" if k == 1 else f"A{k - 1}"
            factor = {"sigmoid": f" ⊙ A{k} ⊙ (1 − A{k})", "tanh": f" ⊙ (1 − A{k}²)",
                      "relu": f" ⊙ [Z{k} > 0]", "leaky_relu": f" ⊙ (1 if Z{k} > 0 else α)",
                      "identity": ""}[layer.activation]
            lines.append(Line(f"δ{k}", f"∂C/∂A{k}{factor}", self.m(arrays[f"delta{k}"]), None))
            lines.append(Line(f"∂C/∂W{k}", f"{prev}ᵀ·δ{k}   (sums over the samples)",
                              self.m(arrays[f"dW{k}"]), None))
            if layer.b is not None:
                lines.append(Line(f"∂C/∂b{k}", f"column sums of δ{k}",
                                  self.m(arrays[f"db{k}"]), None))
            if k > 1:
                lines.append(Line(f"∂C/∂A{k - 1}", f"δ{k}·W{k}ᵀ",
                                  self.m(arrays[f"dC/da{k - 1}"]), None))
        return Section("The same in matrix form", "Each row is one sample: the network "
                       "computes a whole mini-batch with a few matrix products, and each weight "
                       "gradient sums the samples' contributions.", lines)

    def delta_line(self, layer: TracedLayer, k: int, n: int, s: int, j: int, dC_da: NDArray,
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
