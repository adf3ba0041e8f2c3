"""The blog's two-moons tutorial, as written: a 3-layer network in plain NumPy.

The well-known tutorial *Implementing a Neural Network from Scratch in
Python* trains, on 200 two-moons points with noise 0.20, a network with an
input layer of 2, one tanh hidden layer of ``nn_hdim`` units and a softmax
output of 2, by full-batch gradient descent with learning rate
``epsilon = 0.01`` and L2 regularisation ``reg_lambda = 0.01``::

    z1 = X W1 + b1,  a1 = tanh(z1),  z2 = a1 W2 + b2,  probs = softmax(z2)
    L = (1/N) [ sum_i -log probs[i, y_i] + reg_lambda/2 (|W1|^2 + |W2|^2) ]

    delta3 = probs - onehot(y)                   dW2 = a1^T delta3,  db2 = sum delta3
    delta2 = delta3 W2^T * (1 - a1^2)            dW1 = X^T delta2,   db1 = sum delta2
    dW2 += reg_lambda W2,  dW1 += reg_lambda W1;  W <- W - epsilon dW

Its functions keep their names and signatures: ``build_model(nn_hdim,
num_passes=20000, print_loss=False)``, ``predict(model, x)``,
``calculate_loss(model)`` and ``plot_decision_boundary(pred_func)``; the
data are the module's ``X`` and ``y`` (the blog's globals), or pass ``X=``
and ``y=``. The points come from ``glassnet.datasets.make_moons`` (the blog
draws them with scikit-learn's generator, so its points differ), the
initial weights from ``numpy.random.RandomState(0).randn`` as the blog's
``np.random.seed(0)`` gives them.

The same training with the engine, in one line: the blog's gradient is a
*sum* over the batch and its decay is not divided by ``N``, the engine's
loss is a *mean*, so with ``N`` samples::

    net.fit(X, y, optimizer=SGD(0.01 * N, weight_decay=0.01 / N), epochs=num_passes,
            batch_size=N, shuffle=False)

(``engine_model`` does it, from the blog's initial weights; a test checks
that both give the same weights.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .datasets import make_moons

__all__ = ["X", "y", "epsilon", "reg_lambda", "build_model", "predict", "calculate_loss",
           "plot_decision_boundary", "plot_hidden_sizes", "to_network", "engine_model",
           "HIDDEN_SIZES"]

nn_input_dim = 2  # input layer dimensionality
nn_output_dim = 2  # output layer dimensionality
epsilon = 0.01  # learning rate for gradient descent
reg_lambda = 0.01  # regularization strength
HIDDEN_SIZES = (1, 2, 3, 4, 5, 20, 50)  # the blog's figure of hidden layer sizes

X, y = make_moons(200, noise=0.20, seed=0, dtype=np.float64)

Model = dict[str, NDArray]


def _data(X_: ArrayLike | None, y_: ArrayLike | None) -> tuple[NDArray, NDArray]:
    if (X_ is None) != (y_ is None):
        raise ValueError("pass both X= and y=, or neither (then the module's two moons)")
    if X_ is None:
        return X, y
    return np.asarray(X_, dtype=np.float64), np.asarray(y_).astype(np.intp)


def _initial_weights(nn_hdim: int, seed: int) -> Model:
    rs = np.random.RandomState(seed)  # the blog's np.random.seed(0), without the global state
    return {"W1": rs.randn(nn_input_dim, nn_hdim) / np.sqrt(nn_input_dim),
            "b1": np.zeros((1, nn_hdim)),
            "W2": rs.randn(nn_hdim, nn_output_dim) / np.sqrt(nn_hdim),
            "b2": np.zeros((1, nn_output_dim))}


def _forward(model: Model, x: NDArray) -> tuple[NDArray, NDArray]:
    """``(a1, probs)``: the hidden activations and the softmax probabilities."""
    a1 = np.tanh(x.dot(model["W1"]) + model["b1"])
    z2 = a1.dot(model["W2"]) + model["b2"]
    exp_scores = np.exp(z2 - z2.max(axis=1, keepdims=True))  # shift-invariant; no overflow
    return a1, exp_scores / np.sum(exp_scores, axis=1, keepdims=True)


def calculate_loss(model: Model, *, X: ArrayLike | None = None,
                   y: ArrayLike | None = None) -> float:
    """The blog's loss: mean cross-entropy plus ``reg_lambda / 2 (|W1|^2 + |W2|^2) / N``."""
    X_, y_ = _data(X, y)
    num_examples = len(X_)
    _, probs = _forward(model, X_)
    data_loss = np.sum(-np.log(probs[range(num_examples), y_]))
    data_loss += reg_lambda / 2 * (np.sum(np.square(model["W1"]))
                                   + np.sum(np.square(model["W2"])))
    return float(1.0 / num_examples * data_loss)


def predict(model: Model, x: ArrayLike) -> NDArray:
    """The most probable class of each row of ``x`` (shape ``(n, 2)``), as the blog's."""
    _, probs = _forward(model, np.asarray(x, dtype=np.float64))
    return np.argmax(probs, axis=1)


def build_model(nn_hdim: int, num_passes: int = 20000, print_loss: bool = False, *,
                X: ArrayLike | None = None, y: ArrayLike | None = None,
                seed: int = 0) -> Model:
    """Learn the parameters of a 2-``nn_hdim``-2 network; returns ``{W1, b1, W2, b2}``.

    Full-batch gradient descent, ``num_passes`` steps, as the blog's loop
    (see the module docstring); ``print_loss`` prints the loss every 1000
    passes.
    """
    X_, y_ = _data(X, y)
    num_examples = len(X_)
    model = _initial_weights(nn_hdim, seed)
    W1, b1, W2, b2 = model["W1"], model["b1"], model["W2"], model["b2"]
    for i in range(num_passes):
        # Forward propagation
        a1, probs = _forward(model, X_)
        # Backpropagation
        delta3 = probs
        delta3[range(num_examples), y_] -= 1
        dW2 = (a1.T).dot(delta3)
        db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
        dW1 = np.dot(X_.T, delta2)
        db1 = np.sum(delta2, axis=0)
        # Add regularization terms (b1 and b2 don't have regularization terms)
        dW2 += reg_lambda * W2
        dW1 += reg_lambda * W1
        # Gradient descent parameter update, in place: model holds these arrays
        W1 += -epsilon * dW1
        b1 += -epsilon * db1
        W2 += -epsilon * dW2
        b2 += -epsilon * db2
        if print_loss and i % 1000 == 0:
            print(f"Loss after iteration {i}: {calculate_loss(model, X=X_, y=y_):f}")
    return model


def to_network(model: Model) -> Any:
    """The model as an engine ``Network`` (Dense, Tanh, Dense; softmax cross-entropy)."""
    from .layers import Dense, Tanh
    from .network import Network

    n_hidden = model["W1"].shape[1]
    dense1 = Dense(nn_input_dim, n_hidden, dtype=np.float64)
    dense2 = Dense(n_hidden, nn_output_dim, dtype=np.float64)
    for dense, w, b in ((dense1, "W1", "b1"), (dense2, "W2", "b2")):
        dense.params["W"][...] = model[w]
        dense.params["b"][...] = model[b].reshape(-1)
    return Network([dense1, Tanh(), dense2], loss="softmax_cross_entropy")


def engine_model(nn_hdim: int, num_passes: int = 20000, *, X: ArrayLike | None = None,
                 y: ArrayLike | None = None, seed: int = 0) -> Any:
    """``build_model``'s training done by the engine's ``fit``, from the same start.

    The one line that converts: ``SGD(epsilon * N, weight_decay=reg_lambda / N)``,
    ``batch_size=N``, ``shuffle=False`` (the engine's loss is the mean over
    the batch, the blog's gradient is the sum; weight decay applies to the
    weights, not the biases, in both). The two agree to rounding (about
    1e-15 after 1000 passes on the default data); a stretch of unstable
    steps later in that run (near pass 1300) magnifies those last-bit
    differences for a while, without changing the boundary.
    """
    from .optimizers import SGD

    X_, y_ = _data(X, y)
    N = len(X_)
    net = to_network(_initial_weights(nn_hdim, seed))
    net.fit(X_, y_, optimizer=SGD(epsilon * N, weight_decay=reg_lambda / N),
            epochs=num_passes, batch_size=N, shuffle=False, verbose=0)
    return net


def plot_decision_boundary(pred_func: Callable[[NDArray], ArrayLike], *,
                           X: ArrayLike | None = None, y: ArrayLike | None = None,
                           ax: Any = None, title: str | None = None) -> Any:
    """The blog's picture: ``pred_func`` on a grid of step 0.01, and the points over it.

    Returns the matplotlib Figure (drawn inline in a notebook); pass ``ax``
    to draw into one panel of a larger figure.
    """
    from .plots._figure import figure_class

    X_, y_ = _data(X, y)
    fig = None
    if ax is None:
        fig = figure_class()(figsize=(5, 4))
        ax = fig.add_subplot(1, 1, 1)
    x_min, x_max = X_[:, 0].min() - 0.5, X_[:, 0].max() + 0.5
    y_min, y_max = X_[:, 1].min() - 0.5, X_[:, 1].max() + 0.5
    h = 0.01
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = np.asarray(pred_func(np.c_[xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, Z, cmap="Spectral")
    ax.scatter(X_[:, 0], X_[:, 1], c=y_, cmap="Spectral", edgecolors="k", s=14)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def plot_hidden_sizes(sizes: Sequence[int] = HIDDEN_SIZES, num_passes: int = 20000, *,
                      X: ArrayLike | None = None, y: ArrayLike | None = None) -> Any:
    """The blog's figure: one decision boundary per hidden layer size (1, 2, 3, 4, 5, 20, 50)."""
    from .plots._figure import figure_class

    rows = -(-len(sizes) // 2)
    fig = figure_class()(figsize=(10, 4 * rows))
    for i, nn_hdim in enumerate(sizes):
        ax = fig.add_subplot(rows, 2, i + 1)
        model = build_model(nn_hdim, num_passes, X=X, y=y)

        def pred_func(x: NDArray, model: Model = model) -> NDArray:
            return predict(model, x)

        plot_decision_boundary(pred_func, X=X, y=y, ax=ax, title=f"Hidden Layer size {nn_hdim}")
    fig.tight_layout()
    return fig
