"""The book's three-layer network, as a thin facade over the engine.

This is the network of Tariq Rashid's *Make Your Own Neural Network*, with
its names and conventions: column vectors, weight matrices laid out as
(nodes of the next layer x nodes of this layer), no biases, the sigmoid
everywhere, and one training example at a time::

    n = neuralNetwork(3, 3, 3, 0.3)
    n.train([1.0, 0.5, -1.5], [0.99, 0.01, 0.01])
    n.query([1.0, 0.5, -1.5])        # the output column, shape (3, 1)

Underneath, ``n.network`` is an ordinary ``glassnet.Network``
``Dense(bias=False) -> Sigmoid -> Dense(bias=False) -> Sigmoid`` in float64,
and ``wih`` / ``who`` are transposed *views* of its weights, so both
descriptions always agree.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from . import io
from ._fused import FUSE_FROM, check_fused, numba_available, outer_step_kernel
from ._validation import as_rng, check_positive, check_positive_int
from .errors import ShapeError
from .layers import Dense, Sigmoid
from .losses import SumSquaredError
from .network import Network
from .optimizers import SGD

__all__ = ["NeuralNetwork", "neuralNetwork"]


class NeuralNetwork:
    """The book's network: input -> hidden -> output, sigmoid activations.

    Parameters
    ----------
    input_nodes, hidden_nodes, output_nodes : layer sizes
    learning_rate : the step size of each ``train`` call, > 0
    seed : seeds the initial weights (the book leaves them unseeded)
    fused : how ``train`` applies its update (never what it computes): True
        with the compiled one-pass kernel of ``glassnet._fused`` (needs Numba,
        the ``fast`` extra), False through the engine's gradient buffer and
        ``SGD``; None (default) fuses when Numba is installed and the network
        has at least 65,536 weights (``glassnet._fused.FUSE_FROM``). Both
        give the same weights, bit for bit; only the unfused step leaves the
        gradients in ``network``.

    Attributes
    ----------
    wih : ndarray of shape (hidden_nodes, input_nodes), weights input -> hidden
    who : ndarray of shape (output_nodes, hidden_nodes), weights hidden -> output
    network : the engine's ``Network`` underneath
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> NeuralNetwork:
        # Runs before the arguments are bound, so NeuralNetwork(X, y) gets this
        # message instead of "missing 2 required positional arguments".
        values = [*args, *kwargs.values()]
        if any(np.ndim(v) > 0 for v in values if not isinstance(v, np.random.Generator)):
            raise TypeError(
                "this is the book's neuralNetwork(inputnodes, hiddennodes, outputnodes, "
                "learningrate); for the blog's NeuralNetwork(x, y) use "
                "glassnet.blog.NeuralNetwork")
        return super().__new__(cls)

    def __init__(self, input_nodes: int, hidden_nodes: int, output_nodes: int,
                 learning_rate: float, *, seed: int | np.random.Generator | None = None,
                 fused: bool | None = None) -> None:
        self.inodes = check_positive_int(input_nodes, "input_nodes")
        self.hnodes = check_positive_int(hidden_nodes, "hidden_nodes")
        self.onodes = check_positive_int(output_nodes, "output_nodes")
        self.lr = check_positive(learning_rate, "learning_rate")
        rng = as_rng(seed)
        # The book draws weights from N(0, 1/sqrt(nodes feeding in)): "normal_fan_in".
        hidden = Dense(self.inodes, self.hnodes, bias=False, init="normal_fan_in",
                       seed=rng, dtype=np.float64)
        output = Dense(self.hnodes, self.onodes, bias=False, init="normal_fan_in",
                       seed=rng, dtype=np.float64)
        self.network = Network([hidden, Sigmoid(), output, Sigmoid()],
                               loss=SumSquaredError(), task="regression")

        self._sgd = SGD(self.lr)
        self._fused = check_fused(fused, "neuralNetwork")

    @property
    def fused(self) -> bool:
        """Whether ``train`` runs the compiled kernel; decided at first use when not given,
        so that building or loading a network never imports the compiler."""
        if self._fused is None:
            n_weights = self.inodes * self.hnodes + self.hnodes * self.onodes
            self._fused = n_weights >= FUSE_FROM and numba_available()
        return self._fused

    @fused.setter
    def fused(self, value: bool | None) -> None:
        self._fused = check_fused(value, "neuralNetwork")

    @property
    def _hidden(self) -> Dense:
        return self.network.layers[0]  # type: ignore[return-value]

    @property
    def _output(self) -> Dense:
        return self.network.layers[2]  # type: ignore[return-value]

    # __new__ takes *args: inspect.signature (which io reads) shows __init__'s arguments
    __signature__ = inspect.Signature(list(inspect.signature(__init__).parameters.values())[1:])

    # The book stores weights as (next layer x this layer); the engine as
    # (this layer x next layer). Transposed views keep one copy of the numbers.
    @property
    def wih(self) -> NDArray:
        return self._hidden.params["W"].T

    @wih.setter
    def wih(self, value: ArrayLike) -> None:
        self._set(self.wih, value, "wih")

    @property
    def who(self) -> NDArray:
        return self._output.params["W"].T

    @who.setter
    def who(self, value: ArrayLike) -> None:
        self._set(self.who, value, "who")

    @staticmethod
    def _set(view: NDArray, value: ArrayLike, name: str) -> None:
        value = np.asarray(value, dtype=np.float64)
        if value.shape != view.shape:
            raise ShapeError(f"{name} must have shape {view.shape}, got {value.shape}")
        view[...] = value

    @property
    def learning_rate(self) -> float:
        return self.lr

    def _row(self, values: ArrayLike, n: int, name: str) -> NDArray:
        row = np.asarray(values, dtype=np.float64).reshape(1, -1)
        if row.shape[1] != n:
            raise ShapeError(f"{name} must hold {n} values, got {row.shape[1]}")
        if not np.isfinite(row).all():
            raise ValueError(f"{name} contains NaN or infinity")
        return row

    def train(self, inputs_list: ArrayLike, targets_list: ArrayLike) -> None:
        """One online gradient step on one example, exactly as the book computes it.

        In the book's column notation, with ``I`` the inputs, ``H`` and ``O``
        the hidden and final outputs and ``T`` the targets::

            E_o = T - O                      output errors
            E_h = who.T @ E_o                hidden errors, split back by the weights
            who += lr * (E_o * O * (1 - O)) @ H.T
            wih += lr * (E_h * H * (1 - H)) @ I.T

        The engine computes the same thing in its row layout: the output
        layer's gradient is the true gradient of ``1/2 sum (T - O)^2``; the
        book then passes the *errors* ``E_o`` (not ``E_o * O * (1 - O)``) back
        through ``who``, a simplification of full backpropagation that this
        facade keeps so the numbers match the book's. Each weight matrix then
        takes the step ``W <- W - lr * outer(x, delta)``: fused into one pass
        when ``self.fused``, else as the engine's gradient and ``SGD`` step.
        """
        inputs = self._row(inputs_list, self.inodes, "inputs_list")
        targets = self._row(targets_list, self.onodes, "targets_list")
        hidden_sigmoid, output_sigmoid = self.network.layers[1], self.network.layers[3]
        hidden = hidden_sigmoid.forward(self._hidden.forward(inputs, training=True),
                                        training=True)
        outputs = output_sigmoid.forward(self._output.forward(hidden, training=True),
                                         training=True)
        errors = targets - outputs
        # dL/dO = -(T - O) for L = 1/2 sum (T - O)^2, through the output sigmoid
        output_delta = output_sigmoid.backward(-errors)
        # The book's hidden error: -(E_o @ who.T in row layout), before who
        # changes. (The output layer's exact dL/dx is not what the book uses.)
        hidden_error = -errors @ self._output.params["W"].T
        hidden_delta = hidden_sigmoid.backward(hidden_error)
        if self.fused:  # W <- W - lr * outer(x, delta), one pass over each matrix
            step = outer_step_kernel()
            step(self._output.params["W"], hidden[0], output_delta[0], self.lr)
            step(self._hidden.params["W"], inputs[0], hidden_delta[0], self.lr)
        else:  # the engine's way: each layer's weight gradient, then an SGD step
            self._output.backward_params(output_delta)
            self._hidden.backward_params(hidden_delta)
            self._sgd.lr = self.lr  # the book's code may change n.lr between calls
            self._sgd.step(self.network.named_parameters())

    def query(self, inputs_list: ArrayLike) -> NDArray:
        """The output column for one input: shape (output_nodes, 1)."""
        return self.network.forward(self._row(inputs_list, self.inodes, "inputs_list")).T

    def backquery(self, targets_list: ArrayLike) -> NDArray:
        """Run the network backwards: the input (input_nodes, 1) it "imagines" for a target.

        Each step inverts one layer: the logit undoes the sigmoid, the
        transposed weights carry the signal back, and the signal is rescaled
        into (0.01, 0.99), the sigmoid's useful range, before the next logit.
        """
        final_outputs = self._row(targets_list, self.onodes, "targets_list").T
        if np.any((final_outputs <= 0) | (final_outputs >= 1)):
            raise ValueError("targets_list values must lie strictly between 0 and 1 "
                             "(the sigmoid's range), e.g. 0.01 and 0.99")
        hidden_outputs = _rescale(self.who.T @ F.logit(final_outputs))
        return _rescale(self.wih.T @ F.logit(hidden_outputs))

    def get_config(self) -> dict[str, Any]:
        return {"input_nodes": self.inodes, "hidden_nodes": self.hnodes,
                "output_nodes": self.onodes, "learning_rate": self.lr}

    # -- model files: saved as the engine's Network plus the book's settings --
    facade_name = "classic"

    @classmethod
    def from_network(cls, network: Network, config: dict[str, Any]) -> NeuralNetwork:
        """The book's network around a loaded ``network`` (``glassnet.io.load`` calls this).

        The sizes in ``config`` are compared with the network's before anything
        is built, so a file cannot make this allocate more than it holds.
        """
        sizes = [config.get(k) for k in ("input_nodes", "hidden_nodes", "output_nodes")]
        expected = [("0.W", (sizes[0], sizes[1])), ("2.W", (sizes[1], sizes[2]))]
        found = [(name, p.shape) for name, p in network.parameters.items()]
        if expected != found or network.dtype != np.float64:
            raise ValueError(f"the stored network has parameters {found} ({network.dtype}), "
                             f"not the book's {expected} (float64)")
        model = cls(**config)
        model.network = network
        return model

    @staticmethod
    def legacy_arrays(model: NeuralNetwork) -> dict[str, NDArray]:
        """Where the arrays of a glassnet 0.1 file (``wih``, ``who``) go."""
        return {"wih": model.wih, "who": model.who}

    def __repr__(self) -> str:
        return (f"neuralNetwork(input_nodes={self.inodes}, hidden_nodes={self.hnodes}, "
                f"output_nodes={self.onodes}, learning_rate={self.lr})")


def _rescale(signal: NDArray) -> NDArray:
    """Map a signal linearly onto [0.01, 0.99] so its logit is finite."""
    low, high = signal.min(), signal.max()
    span = high - low if high > low else 1.0
    return (signal - low) / span * 0.98 + 0.01


io.register_facade(NeuralNetwork)

neuralNetwork = NeuralNetwork  # the book's spelling
