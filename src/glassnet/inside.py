"""Looking inside a trained network: what it imagines, what its hidden units do.

* :func:`backquery` runs a network backwards, as *Make Your Own Neural
  Network* does for its one hidden layer, through any number of layers: each
  activation is undone by its inverse (logit for the sigmoid, artanh for
  tanh), each Dense layer by its transposed weights (after taking away its
  bias). The signal is rescaled into the inverse's domain before each step,
  as the book does, so the answer is a picture of *which inputs push
  towards* the label, not an exact preimage (most outputs have none).
* A ReLU cannot be undone: every negative input gives 0. For such networks
  :func:`activation_maximisation` answers the same question another way: it
  starts from a plain grey input and climbs the gradient of the label's
  output with respect to the input, keeping the input in range.
* :func:`hidden_activations` lists what every layer outputs for some inputs;
  :func:`strongest_inputs` finds, for each unit of a layer, the samples of a
  data set that excite it most (its weights as a picture are
  :func:`glassnet.plots.plot_first_layer_weights`).

Pictures of each: :mod:`glassnet.plots.inside`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from .errors import ShapeError
from .layers import (
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from .network import Network

__all__ = [
    "backquery",
    "activation_maximisation",
    "channel_maximisation",
    "invertible",
    "hidden_activations",
    "strongest_inputs",
]

_SIGMOID_RANGE = (0.01, 0.99)  # the book's: inside (0, 1), so the logit stays finite
_TANH_RANGE = (-0.98, 0.98)


def _network(net: Any) -> Network:
    """The engine network of ``net`` (the book's class holds one as ``.network``)."""
    inner = getattr(net, "network", net)
    if not isinstance(inner, Network):
        raise TypeError(f"expected a glassnet Network or the book's neuralNetwork, got "
                        f"{type(net).__name__}")
    return inner


def _layers(net: Network) -> list[Layer]:
    """The layers that act at inference (Dropout passes its input through unchanged)."""
    return [layer for layer in net.layers if not isinstance(layer, Dropout)]


def _rescale(signal: NDArray, low: float, high: float) -> NDArray:
    """Map ``signal`` linearly onto ``[low, high]`` (row by row); a flat row goes to the middle."""
    lo = signal.min(axis=1, keepdims=True)
    span = signal.max(axis=1, keepdims=True) - lo
    safe = np.where(span > 0, span, 1.0)
    unit = np.where(span > 0, (signal - lo) / safe, 0.5)
    return low + unit * (high - low)


def invertible(net: Any) -> bool:
    """Whether :func:`backquery` can run ``net`` backwards (no ReLU, no unknown layer)."""
    return all(isinstance(layer, (Dense, Sigmoid, Tanh, Identity, Softmax))
               or (isinstance(layer, LeakyReLU) and layer.alpha > 0)
               for layer in _layers(_network(net)))


def _target(net: Network, label: int | None, target: ArrayLike | None) -> NDArray:
    n_out = _n_out(net)
    if (label is None) == (target is None):
        raise ValueError("give exactly one of label= (a class) or target= (an output row)")
    if target is not None:
        row = np.asarray(target, dtype=np.float64).reshape(1, -1)
        if row.shape[1] != n_out:
            raise ShapeError(f"target must hold {n_out} values (the network's outputs), "
                             f"got {row.shape[1]}")
        return row
    if isinstance(label, bool) or not isinstance(label, numbers.Integral) \
            or not 0 <= label < n_out:
        raise ValueError(f"label must be an integer in 0..{n_out - 1}, got {label!r}")
    row = np.full((1, n_out), 0.01)
    row[0, label] = 0.99
    return row


def _n_out(net: Network) -> int:
    for layer in reversed(net.layers):
        if isinstance(layer, Dense):
            return int(layer.n_out)
    raise ShapeError(f"{net!r} has no Dense layer")


def backquery(net: Any, label: int | None = None, *, target: ArrayLike | None = None,
              input_range: tuple[float, float] = (0.01, 0.99)) -> NDArray:
    """The input a network "imagines" for a label: the network run backwards.

    For the book's network this is exactly its ``backquery``. Going back from
    the output row ``t`` (0.99 for ``label``, 0.01 elsewhere, or ``target``):

    * the loss's own output function is undone first: ``log(t)`` (centred)
      for softmax cross-entropy, ``logit(t)`` for binary cross-entropy on logits;
    * ``Sigmoid``: ``logit(s)``, ``Tanh``: ``artanh(s)``, ``Softmax``:
      ``log(s)``, ``LeakyReLU``: ``s`` or ``s / alpha`` below 0, ``Identity``: ``s``;
      except at the output, ``s`` is first rescaled into (0.01, 0.99) (tanh:
      (-0.98, 0.98)), the inverse's domain;
    * ``Dense``: ``(s - b) @ W.T``, the transposed weights carrying the
      signal back, as the book does (not a least-squares inverse).

    Finally the input is rescaled to ``input_range``.

    Parameters
    ----------
    net : a ``Network`` of Dense, Sigmoid, Tanh, Softmax, LeakyReLU, Identity
        and Dropout layers, or the book's ``neuralNetwork``
    label : the class to imagine; or ``target``, a whole output row in (0, 1)
    input_range : (low, high) of the answer

    Returns
    -------
    ndarray of shape (n_in,)

    Raises
    ------
    ValueError
        The network has a ReLU (not invertible: use
        :func:`activation_maximisation`) or a layer this cannot undo.
    """
    engine = _network(net)
    row = _target(engine, label, target)
    if np.any((row <= 0) | (row >= 1)):
        raise ValueError("target values must lie strictly between 0 and 1, e.g. 0.01 and 0.99")
    layers = _layers(engine)
    if isinstance(engine.loss, SoftmaxCrossEntropy):
        signal = np.log(row)
        signal -= signal.mean(axis=1, keepdims=True)  # softmax ignores a shift: centre it
    elif isinstance(engine.loss, BinaryCrossEntropy) and engine.loss.from_logits:
        signal = F.logit(row)
    else:
        signal = row
    at_output = True
    for layer in reversed(layers):
        signal = _undo(layer, signal, at_output)
        if not isinstance(layer, Identity):
            at_output = False
    return _rescale(signal, *input_range)[0]


def _undo(layer: Layer, signal: NDArray, at_output: bool) -> NDArray:
    """One layer run backwards."""
    if isinstance(layer, Dense):
        W = layer.params["W"].astype(np.float64)
        if layer.bias:
            signal = signal - layer.params["b"]
        return signal @ W.T
    if isinstance(layer, Sigmoid):
        return F.logit(signal if at_output else _rescale(signal, *_SIGMOID_RANGE))
    if isinstance(layer, Tanh):
        return np.arctanh(np.clip(signal, -0.999999, 0.999999) if at_output
                          else _rescale(signal, *_TANH_RANGE))
    if isinstance(layer, Softmax):
        return np.log(signal if at_output else _rescale(signal, *_SIGMOID_RANGE))
    if isinstance(layer, LeakyReLU) and layer.alpha > 0:
        return np.where(signal >= 0, signal, signal / layer.alpha)
    if isinstance(layer, Identity):
        return signal
    if isinstance(layer, (ReLU, LeakyReLU)):  # LeakyReLU(alpha=0) is a ReLU
        raise ValueError("backquery cannot run a ReLU backwards: every negative input gives 0, "
                         "so an output of 0 has no single input; use "
                         "glassnet.inside.activation_maximisation(net, label) instead")
    raise ValueError(f"backquery cannot undo {layer!r}; it knows Dense, Sigmoid, Tanh, "
                     "Softmax, LeakyReLU, Identity and Dropout")


def activation_maximisation(net: Any, label: int, *, steps: int = 200, step_size: float = 0.02,
                            l2: float = 0.01, input_range: tuple[float, float] = (0.0, 1.0),
                            seed: int | np.random.Generator | None = 0) -> NDArray:
    """An input that makes the network's output for ``label`` large, found by gradient ascent.

    The answer for networks that :func:`backquery` cannot invert (ReLU). It
    maximises ``f(x) - l2/2 * ||x - m||^2``, where ``f`` is the log-probability
    of ``label`` for a softmax cross-entropy network (so the label wins
    against the others, not only grows) and the raw output ``z_label``
    otherwise, and ``m`` is the middle of ``input_range``; it starts from grey
    with a little noise. Each step moves every input by at most
    ``step_size`` along the gradient scaled by its largest entry, and clips
    to ``input_range``::

        g = df/dx - l2 * (x - m)
        x <- clip(x + step_size * g / max|g|, low, high)

    The gradient comes from the layers' own ``backward`` (run in training
    mode without Dropout; BatchNorm as at inference, its running statistics
    untouched), which also overwrites their ``grads``: do not call this
    between a training step's backward and its optimizer step.

    Returns
    -------
    ndarray of shape (n_in,), the input flattened (784 pixels for a 28x28 picture)
    """
    engine = _network(net)
    n_out = _n_out(engine)
    if isinstance(label, bool) or not isinstance(label, numbers.Integral) \
            or not 0 <= label < n_out:
        raise ValueError(f"label must be an integer in 0..{n_out - 1}, got {label!r}")
    low, high = (float(v) for v in input_range)
    if not low < high:
        raise ValueError(f"input_range must be (low, high) with low < high, got {input_range}")
    if steps < 1 or step_size <= 0 or l2 < 0:
        raise ValueError(f"need steps >= 1, step_size > 0 and l2 >= 0, got steps={steps}, "
                         f"step_size={step_size}, l2={l2}")
    onehot = np.zeros((1, n_out), dtype=engine.dtype)
    onehot[0, label] = 1.0
    softmax_head = isinstance(engine.loss, SoftmaxCrossEntropy)
    x = _climb(engine, _layers(engine), lambda out: (
        # d log p_label / dz = onehot - softmax(z): raise this class, lower the others
        onehot - F.softmax(out) if softmax_head else onehot),
        steps=steps, step_size=step_size, l2=l2, low=low, high=high, seed=seed)
    return x.reshape(-1)


def _climb(engine: Network, layers: list[Layer], objective_grad: Any, *, steps: int,
           step_size: float, l2: float, low: float, high: float,
           seed: int | np.random.Generator | None) -> NDArray:
    """Gradient ascent on one input through ``layers``; ``objective_grad(out)`` gives
    d(objective)/d(out). BatchNorm acts as at inference (its running statistics, which
    stay untouched): for one picture, batch statistics would be another function."""
    if engine.input_shape is None:
        raise ShapeError("the network is not built yet: fit it or call build(input_shape)")
    middle = (low + high) / 2
    gen = np.random.default_rng(seed)
    x = (middle + 0.01 * (high - low) * gen.standard_normal((1, *engine.input_shape))
         ).astype(engine.dtype)
    for _ in range(steps):
        out = x
        for layer in layers:
            out = layer.forward(out, training=not isinstance(layer, BatchNorm))
        grad = objective_grad(out)
        for layer in reversed(layers):
            if isinstance(layer, BatchNorm):  # d(out)/dx of the inference-mode affine map
                scale = layer.params["gamma"] / np.sqrt(layer.state["running_var"] + layer.eps)
                grad = grad * scale.astype(grad.dtype)
            else:
                grad = layer.backward(grad)
        ascent = grad - l2 * (x - middle)
        x = np.clip(x + step_size * ascent / (np.abs(ascent).max() + 1e-12), low, high)
        x = x.astype(engine.dtype)
    return x[0]


def channel_maximisation(net: Any, layer: int, channel: int, *, steps: int = 200,
                         step_size: float = 0.02, l2: float = 0.01,
                         input_range: tuple[float, float] = (0.0, 1.0),
                         seed: int | np.random.Generator | None = 0) -> NDArray:
    """A picture that makes channel ``channel`` of ``net.layers[layer]`` respond strongly.

    For a convolutional network: the mean over positions of that channel's
    feature map (``out[0, :, :, channel].mean()``) is climbed as in
    :func:`activation_maximisation` (same steps, ``l2`` pull towards grey,
    clipping to ``input_range``). An early layer's channel answers to a local
    pattern (an edge, a stroke direction) repeated over the picture.

    Returns
    -------
    ndarray of the network's input shape (e.g. (784,) for rows of pixels)
    """
    engine = _network(net)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) \
            or not 0 <= layer < len(engine.layers):
        raise ValueError(f"layer must be an index into net.layers (0..{len(engine.layers) - 1}), "
                         f"got {layer!r}")
    shape = engine.input_shape
    for current in engine.layers[:layer + 1]:
        shape = None if shape is None else current.output_shape(shape)
    if shape is None or len(shape) != 3:
        raise ShapeError(f"layer {layer} {engine.layers[layer]!r} does not output pictures "
                         f"(height, width, channels), so it has no channels to maximise; pick a "
                         "convolution, normalisation, activation or pooling layer")
    if isinstance(channel, bool) or not isinstance(channel, numbers.Integral) \
            or not 0 <= channel < shape[2]:
        raise ValueError(f"channel must be an integer in 0..{shape[2] - 1}, got {channel!r}")
    low, high = (float(v) for v in input_range)
    if not low < high or steps < 1 or step_size <= 0 or l2 < 0:
        raise ValueError("need input_range low < high, steps >= 1, step_size > 0 and l2 >= 0")
    layers = [la for la in engine.layers[:layer + 1] if not isinstance(la, Dropout)]

    def mean_of_channel(out: NDArray) -> NDArray:
        grad = np.zeros_like(out)
        grad[..., channel] = 1.0 / (out.shape[1] * out.shape[2])
        return grad

    x = _climb(engine, layers, mean_of_channel, steps=steps, step_size=step_size, l2=l2,
               low=low, high=high, seed=seed)
    return x.reshape(-1) if len(engine.input_shape or ()) == 1 else x


def hidden_activations(net: Any, X: ArrayLike) -> list[tuple[str, NDArray]]:
    """What every layer outputs for the inputs ``X``, in order.

    Returns
    -------
    list of ``(name, array of shape (n_samples, units))``, one per layer
    (Dropout left out), named like ``"1 Sigmoid"`` (index in ``net.layers``).
    """
    engine = _network(net)
    out = np.asarray(X, dtype=engine.dtype)
    if out.ndim == 1:
        out = out[None]
    result = []
    for i, layer in enumerate(engine.layers):
        if isinstance(layer, Dropout):
            continue
        out = layer.forward(out, training=False)
        result.append((f"{i} {type(layer).__name__}", out))
    return result


def strongest_inputs(net: Any, X: ArrayLike, *, layer: int = 1, k: int = 9,
                     batch_size: int = 10000) -> NDArray[np.intp]:
    """For each unit of ``net.layers[layer]``, the rows of ``X`` that excite it most.

    With the default ``layer=1`` (the activation after the first Dense) these
    are the samples each first-layer unit responds to.

    Returns
    -------
    ndarray of shape (units, k): row indices into ``X``, strongest first
    """
    engine = _network(net)
    if not 0 <= layer < len(engine.layers):
        raise ValueError(f"layer must be an index into net.layers (0..{len(engine.layers) - 1}), "
                         f"got {layer}")
    X_arr = np.asarray(X, dtype=engine.dtype)
    if not 1 <= k <= X_arr.shape[0]:
        raise ValueError(f"k must be between 1 and the {X_arr.shape[0]} rows of X, got {k}")
    parts = []
    for start in range(0, X_arr.shape[0], batch_size):
        out = X_arr[start:start + batch_size]
        for current in engine.layers[:layer + 1]:
            out = current.forward(out, training=False)
        parts.append(out)
    activations = np.concatenate(parts)
    top = np.argsort(-activations, axis=0, kind="stable")[:k]
    return top.T
