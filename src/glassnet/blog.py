"""The blog's ``NeuralNetwork(x, y)``, as a thin facade over the engine; its two moons.

The two-moons tutorial's functions (``build_model``, ``predict``,
``calculate_loss``, ``plot_decision_boundary``) are here too, from
``glassnet.blog_moons``, which holds them with the tutorial's maths.

The well-known blog post builds a two-layer network as a class that holds
its training data and is trained by calling two methods in a loop::

    nn = NeuralNetwork(X, y)
    for i in range(1500):
        nn.feedforward()
        nn.backprop()
    print(nn.output)

With ``sigma`` the sigmoid, ``a1 = sigma(x @ W1)`` the hidden layer and
``y_hat = sigma(a1 @ W2)`` the output, ``backprop`` is gradient descent on the
sum of squares ``L = sum (y - y_hat)^2`` (no 1/2, no mean), written with the
chain rule as the blog writes it::

    d_weights2 = a1.T @ (2 (y - y_hat) * y_hat (1 - y_hat))
    d_weights1 = x.T @ (((2 (y - y_hat) * y_hat (1 - y_hat)) @ W2.T) * a1 (1 - a1))
    W1 += d_weights1;  W2 += d_weights2

i.e. ``W <- W - lr * dL/dW`` with ``lr = 1``.

Underneath, ``nn.network`` is an ordinary ``glassnet.Network``
``Dense -> Sigmoid -> Dense -> Sigmoid`` in float64, and ``weights1`` /
``weights2`` *are* its weight arrays (the blog's (inputs x hidden) layout is
the engine's), read afresh from the layers on every access.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_rng, check_positive, check_positive_int
from .blog_moons import (
    build_model,
    calculate_loss,
    engine_model,
    plot_decision_boundary,
    plot_hidden_sizes,
    predict,
)
from .errors import DTypeError, ShapeError
from .layers import Dense, Sigmoid
from .losses import Loss, SumSquaredError
from .network import Network
from .optimizers import SGD

# The blog's two-moons tutorial (build_model, predict, ...) lives in blog_moons.
__all__ = ["NeuralNetwork", "sum_squares_gradient_scale", "sgd_step", "build_model", "predict",
           "calculate_loss", "plot_decision_boundary", "plot_hidden_sizes", "engine_model"]


class NeuralNetwork:
    """The blog's network: ``y_hat = sigma(sigma(x @ W1 [+ b1]) @ W2 [+ b2])``.

    Parameters
    ----------
    x : array of shape (n_samples, n_features), the training inputs
    y : array of shape (n_samples, n_outputs), the targets, each in [0, 1]
        (the output is a sigmoid)
    hidden : hidden units (the blog uses 4)
    lr : learning rate; the blog's update is ``lr = 1``
    bias : add biases ``b1``, ``b2`` (starting at zero). The blog's formula
        ``y_hat = sigma(W2 sigma(W1 x + b1) + b2)`` has them, its code does
        not, so the default follows the code.
    seed : seeds the initial weights (the blog's ``np.random.rand`` is unseeded)

    Attributes
    ----------
    input : ndarray (n_samples, n_features), float64
    y : ndarray (n_samples, n_outputs), float64
    weights1 : ndarray (n_features, hidden), drawn uniformly from [0, 1)
    weights2 : ndarray (hidden, n_outputs), drawn uniformly from [0, 1)
    layer1 : ndarray (n_samples, hidden), the hidden activations of the last
        ``feedforward``
    output : ndarray (n_samples, n_outputs), zeros until the first ``feedforward``
    network : the engine's ``Network`` underneath; a classifier (``predict``
        gives labels) when every target is 0 or 1, else a regressor

    Examples
    --------
    >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> y = np.array([[0], [1], [1], [0]])
    >>> nn = NeuralNetwork(X, y, seed=0)
    >>> for i in range(1500):
    ...     nn.feedforward()
    ...     nn.backprop()
    >>> np.round(nn.output.ravel())
    array([0., 1., 1., 0.])
    """

    def __init__(self, x: ArrayLike, y: ArrayLike, *, hidden: int = 4, lr: float = 1.0,
                 bias: bool = False, seed: int | np.random.Generator | None = None) -> None:
        self.input = _as_matrix(x, "x")
        self.y = _as_matrix(y, "y")
        if self.y.shape[0] != self.input.shape[0]:
            raise ShapeError(
                f"x and y must have one row per sample, got x.shape={self.input.shape} and "
                f"y.shape={self.y.shape}")
        if self.y.min() < 0 or self.y.max() > 1:
            raise ValueError(
                f"y holds values from {self.y.min():g} to {self.y.max():g}, but the output "
                "layer is a sigmoid, whose values lie between 0 and 1; scale the targets "
                "into [0, 1]")
        self.hidden = check_positive_int(hidden, "hidden")
        self.lr = check_positive(lr, "lr")
        self.bias = bool(bias)
        rng = as_rng(seed)
        n_in, n_out = self.input.shape[1], self.y.shape[1]
        dense1 = Dense(n_in, self.hidden, bias=self.bias, init="zeros", dtype=np.float64)
        dense2 = Dense(self.hidden, n_out, bias=self.bias, init="zeros", dtype=np.float64)
        # 0/1 targets are classes (the blog's use): then network.predict gives labels
        # and plots.plot_decision_boundary(nn.network, ...) draws the boundary.
        task = "classification" if np.isin(self.y, (0.0, 1.0)).all() else "regression"
        self.network = Network([dense1, Sigmoid(), dense2, Sigmoid()], loss=SumSquaredError(),
                               task=task)
        # The blog's start: np.random.rand, uniform on [0, 1).
        self.weights1 = rng.random((n_in, self.hidden))
        self.weights2 = rng.random((self.hidden, n_out))
        self.output = np.zeros(self.y.shape)
        self.layer1 = np.zeros((self.input.shape[0], self.hidden))
        self._sgd = SGD(self.lr)
        self._fed_forward = False

    # The engine may rebind a layer's arrays (each layer owns them), so the
    # weights are looked up on every access rather than kept here.
    @property
    def weights1(self) -> NDArray:
        return self.network.layers[0].params["W"]

    @weights1.setter
    def weights1(self, value: ArrayLike) -> None:
        _copy_into(self.weights1, value, "weights1")

    @property
    def weights2(self) -> NDArray:
        return self.network.layers[2].params["W"]

    @weights2.setter
    def weights2(self, value: ArrayLike) -> None:
        _copy_into(self.weights2, value, "weights2")

    def feedforward(self) -> None:
        """``layer1 = sigma(input @ weights1)``, ``output = sigma(layer1 @ weights2)``."""
        dense1, sigmoid1, dense2, sigmoid2 = self.network.layers
        self.layer1 = sigmoid1.forward(dense1.forward(self.input, training=True), training=True)
        self.output = sigmoid2.forward(dense2.forward(self.layer1, training=True), training=True)
        self._fed_forward = True

    def backprop(self) -> None:
        """One gradient-descent step on ``L = sum (y - output)^2`` from the last ``feedforward``.

        The gradient of the blog's loss with respect to the output is
        ``dL/d(output) = 2 (output - y)``. The engine's sum-of-squares loss
        may differ from it by a constant factor (a mean over the samples, a
        1/2), so its gradient is scaled by ``sum_squares_gradient_scale``
        to the blog's before the engine backpropagates it and ``SGD`` takes
        the step ``W <- W - lr * dL/dW`` (for ``lr = 1``: the blog's
        ``weights += d_weights``).
        """
        if not self._fed_forward:
            raise RuntimeError("NeuralNetwork.backprop() uses the outputs of feedforward(); "
                               "call nn.feedforward() first, as the blog's loop does")
        loss = self.network.loss
        dout = loss.grad(self.y, self.output) * sum_squares_gradient_scale(loss, self.y.shape)
        self.network.backward(dout)
        self._sgd.lr = self.lr  # a learner may change nn.lr between steps
        sgd_step(self._sgd, self.network)

    def get_config(self) -> dict[str, Any]:
        return {"hidden": self.hidden, "lr": self.lr, "bias": self.bias}

    def __repr__(self) -> str:
        return (f"NeuralNetwork(x: {self.input.shape}, y: {self.y.shape}, hidden={self.hidden}, "
                f"lr={self.lr}, bias={self.bias})")


def sum_squares_gradient_scale(loss: Loss, shape: tuple[int, ...]) -> float:
    """The factor ``s`` with ``s * loss.grad(y, p) == 2 (p - y)`` for targets of ``shape``.

    A sum-of-squares loss ``L = c * sum (p - y)^2`` has the gradient
    ``2 c (p - y)``; conventions differ only in ``c`` (``1/2``, ``1/n``,
    ``1/(2n)`` or 1). ``c`` is read off the loss itself, from its gradient
    at ``p - y = 1`` (where it is ``2 c``), so the blog's gradient stays
    right whichever convention the engine's loss follows.
    """
    zeros = np.zeros(shape)
    probe = loss.grad(zeros, np.ones(shape))
    two_c = float(probe.flat[0])
    # linear in p - y: a positive constant at p - y = 1, twice it at p - y = 2
    if two_c <= 0 or not (np.allclose(probe, two_c, rtol=1e-12, atol=0)
                          and np.allclose(loss.grad(zeros, 2 * np.ones(shape)), 2 * two_c,
                                          rtol=1e-12, atol=0)):
        raise TypeError(f"{loss!r} is not a sum-of-squares loss (its gradient is not "
                        "2 c (p - y) for a constant c > 0); the blog's network needs one")
    return 2.0 / two_c


def sgd_step(sgd: SGD, network: Network) -> None:
    """Apply ``sgd`` to every parameter of ``network`` from the gradients of its last backward."""
    sgd.step(network.named_parameters(), decay=network.decay_names)


def _as_matrix(value: ArrayLike, name: str) -> NDArray:
    """A float64 copy of a finite 2-D numeric array; errors show shapes, never the data."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype} "
                         f"and shape {arr.shape}")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        fix = (f"; for one column of {arr.shape[0]} values pass {name}.reshape(-1, 1), as the "
               f"blog's {name} = np.array([[0], [1], [1], [0]]) is" if arr.ndim == 1 else "")
        raise ShapeError(f"{name} must be a 2-D array (n_samples, n_columns) with at least "
                         f"one row and column, got shape {arr.shape}{fix}")
    out = np.array(arr, dtype=np.float64)  # a copy: the network never changes the caller's data
    if not np.isfinite(out).all():
        raise ValueError(f"{name} (shape {arr.shape}) contains NaN or infinity; "
                         "clean the data first")
    return out


def _copy_into(target: NDArray, value: ArrayLike, name: str) -> None:
    value = np.asarray(value, dtype=np.float64)
    if value.shape != target.shape:
        raise ShapeError(f"{name} must have shape {target.shape}, got {value.shape}")
    target[...] = value
