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
evaluates the loss again after the step. For a mini-batch it adds the same
step in matrix form, as the engine computes it. ``StepTrace`` shows it all
as plain text, Markdown, HTML (in Jupyter) or JSON.

Presets: ``"mazur"`` (Matt Mazur's worked 2-2-2 example), ``"book"`` (a
3-3-3 network without biases, as in the book) and ``"moons"`` (a 2-3-2
classifier on one sample of the two moons).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from ._trace_views import StepTrace
from ._tracer import TracedLayer, Tracer
from ._validation import check_positive, check_positive_int
from .errors import ShapeError
from .layers import Dense, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import Loss
from .network import Network

__all__ = ["trace_step", "StepTrace", "PRESETS", "HalfSumSquaredError"]

MAX_SAMPLES = 8
MAX_UNITS = 16

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
               matrix_form: bool | None = None, h: float = 1e-6, digits: int = 9
               ) -> StepTrace:
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
    matrix_form : add the step in matrix form (whole mini-batch at once, as
        the engine computes it); by default, for more than one sample
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
    digits = check_positive_int(digits, "digits")
    layers = _layers_of(network)
    x_arr = _check_x(x_arr, layers[0].W.shape[0])
    targets, loss_kind, c = _targets_and_loss(network.loss, y_arr, x_arr.shape[0],
                                              layers[-1].W.shape[1])
    tracer = Tracer(layers, loss_kind, c, lr, bool(update_biases), h, digits, labels,
                    matrix_form)
    trace = tracer.run(x_arr, targets)
    trace.title, trace.description, trace.digits = title, description, digits
    trace.engine_max_difference = _engine_difference(network, x_arr, targets, layers, trace)
    trace.sections.append(tracer.engine_section(trace.engine_max_difference, network))
    if apply:
        for layer in layers:
            layer.dense.params["W"][...] = trace.arrays[f"W{layer.number}_new"]
            if layer.b is not None:
                layer.dense.params["b"][...] = trace.arrays[f"b{layer.number}_new"]
    return trace


# -- the network, the data and the loss as the trace needs them --------------
def _layers_of(network: Network) -> list[TracedLayer]:
    layers: list[TracedLayer] = []
    for i, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            W = np.array(layer.params["W"], dtype=np.float64)
            b = np.array(layer.params["b"], dtype=np.float64) if "b" in layer.params else None
            if max(W.shape) > MAX_UNITS:
                raise ShapeError(f"trace_step shows every number, so each layer may have at "
                                 f"most {MAX_UNITS} units; layer {i} {layer!r} has "
                                 f"{W.shape}; trace a smaller network")
            layers.append(TracedLayer(len(layers) + 1, layer, i, W=W, b=b))
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
        y = y.reshape(1, -1)  # the targets of one sample
    elif y.ndim == 1 and n_out == 1:
        y = y.reshape(-1, 1)  # one target per sample
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


def _engine_difference(network: Network, x: NDArray, targets: NDArray,
                       layers: list[TracedLayer], trace: StepTrace) -> float:
    """Largest |engine gradient - traced gradient| over every parameter.

    ``targets`` are the trace's dense (n, n_out) targets, which every loss
    traced here accepts (one-hot rows for the cross-entropy).
    """
    out = network.forward(x.astype(network.dtype), training=True)
    _, dout = network.loss.loss_and_grad(targets.astype(network.dtype), out)
    network.backward(dout)
    worst = 0.0
    for layer in layers:
        for key in layer.dense.params:
            engine = np.asarray(layer.dense.grads[key], dtype=np.float64)
            worst = max(worst, float(np.abs(engine - trace.arrays[f"d{key}{layer.number}"]).max()))
    return worst


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
    hidden = Dense(3, 3, bias=False, init="normal_fan_in", seed=rng, dtype=f64)
    output = Dense(3, 3, bias=False, init="normal_fan_in", seed=rng, dtype=f64)
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
    network = Network([Dense(2, 3, seed=rng, dtype=np.float64), Tanh(),
                       Dense(3, 2, seed=rng, dtype=np.float64)], loss="softmax_cross_entropy")
    return _Preset(network, X[:1], y[:1], 0.1, True,
                   "A 2-3-2 classifier on one sample of the two moons",
                   "tanh hidden units; the two outputs are logits, turned into probabilities "
                   "by the softmax inside the cross-entropy loss.", {})


PRESETS = {"mazur": _mazur, "book": _book, "moons": _moons}
