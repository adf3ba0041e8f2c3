"""A feed-forward network: a sequence of layers, a loss, and one parameter buffer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._aligned import aligned_zeros
from ._display import Summary, network_html
from ._validation import (
    as_2d_float,
    check_choice,
    check_dtype,
    check_positive_int,
    check_same_length,
)
from .errors import DTypeError, ShapeError
from .layers import Layer
from .losses import Loss, get_loss

if TYPE_CHECKING:
    from .optimizers import Optimizer
    from .training.callbacks import Callback
    from .training.history import History

__all__ = ["Network"]

TASKS = ("classification", "regression")


class Network:
    """Layers applied in order, trained against a loss.

    Parameters
    ----------
    layers : the layers, first to last; sizes must chain (``n_out`` of one is
        ``n_in`` of the next)
    loss : a ``Loss`` or its name (see ``glassnet.losses.LOSSES``). With
        ``"softmax_cross_entropy"`` the last layer outputs logits and
        ``predict_proba`` applies the softmax.
    task : ``"classification"`` (``predict`` gives labels) or ``"regression"``
        (``predict`` gives values); by default, classification for the
        cross-entropy losses and regression otherwise.

    Notes
    -----
    All parameters live in one flat buffer ``flat_params`` (weights first,
    then biases) and each layer's ``params`` are views into it; gradients
    likewise in ``flat_grads``. Optimizers then update everything with a few
    large vector operations. Replace values with ``W[...] = new`` (in place),
    never by rebinding ``layer.params["W"]``.

    Examples
    --------
    >>> from glassnet import Network, Dense, ReLU
    >>> net = Network([Dense(2, 8, rng=0), ReLU(), Dense(8, 2, rng=1)])
    >>> net.predict_proba(np.zeros((1, 2), dtype=np.float32)).shape
    (1, 2)
    """

    def __init__(self, layers: Sequence[Layer], *, loss: str | Loss = "softmax_cross_entropy",
                 task: str | None = None) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("a Network needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] is {layer!r}, not a glassnet Layer")
            if layer.params and layer.in_network:
                # its params are views of another network's buffer: binding them
                # again would leave that network training arrays nobody reads
                raise ValueError(
                    f"layers[{i}] {layer!r} already belongs to another Network; give each "
                    "Network its own layers (copy.deepcopy(layer) makes an independent copy)")
        if len({id(la) for la in self.layers}) != len(self.layers):
            raise ValueError("the same layer object appears twice in layers; "
                             "use a separate instance for each position")
        self.loss = get_loss(loss)
        if task is None:
            task = "classification" if self.loss.is_classification else "regression"
        self.task = check_choice(task, TASKS, "task")
        self.n_in, self.n_out = self._check_sizes()
        self.dtype = self._common_dtype()
        self._bind_flat_buffers()
        self.stop_training = False  # set by callbacks (early stopping) to end fit
        self.optimizer: Optimizer | None = None  # the last fit's, to continue or save

    # -- construction ------------------------------------------------------
    def _check_sizes(self) -> tuple[int, int]:
        n_in = next((la.input_size for la in self.layers if la.input_size is not None), None)
        if n_in is None:
            raise ValueError("the network has no layer with a fixed input size (add a Dense)")
        size = n_in
        for i, layer in enumerate(self.layers):
            if layer.input_size is not None and layer.input_size != size:
                raise ShapeError(
                    f"layer {i} {layer!r} expects {layer.input_size} inputs but the layer "
                    f"before it gives {size}; make them agree"
                )
            size = layer.output_size(size)
        return n_in, size

    def _common_dtype(self) -> np.dtype:
        dtypes = {p.dtype for la in self.layers for p in la.params.values()}
        if len(dtypes) > 1:
            found = ", ".join(f"layer {i} {la!r}: {next(iter(la.params.values())).dtype}"
                              for i, la in enumerate(self.layers) if la.params)
            raise DTypeError(f"all layers must share one dtype, got {found}")
        return check_dtype(dtypes.pop() if dtypes else np.float32)

    def _bind_flat_buffers(self) -> None:
        entries = [(i, key, layer) for i, layer in enumerate(self.layers) for key in layer.params]
        # Decayed parameters (weights) first, so weight decay is one slice.
        entries.sort(key=lambda e: e[1] not in e[2].decay_keys)
        total = sum(layer.params[key].size for _, key, layer in entries)
        # Cache-line aligned (see glassnet._aligned): the first weight matrix,
        # at offset 0, is then aligned too, as are later ones whose offsets
        # are multiples of 64 bytes (all of them for layer sizes divisible by 16).
        self.flat_params = aligned_zeros(total, self.dtype)
        self.flat_grads = aligned_zeros(total, self.dtype)
        self.param_slices: dict[str, slice] = {}
        self.n_decay = 0
        start = 0
        for i, key, layer in entries:
            value = layer.params[key]
            stop = start + value.size
            self.flat_params[start:stop] = value.ravel()
            layer.params[key] = self.flat_params[start:stop].reshape(value.shape)
            layer.grads[key] = self.flat_grads[start:stop].reshape(value.shape)
            self.param_slices[f"{i}.{key}"] = slice(start, stop)
            layer.in_network = True
            if key in layer.decay_keys:
                self.n_decay = stop
            start = stop

    # -- parameters --------------------------------------------------------
    @property
    def parameters(self) -> dict[str, NDArray]:
        """Every parameter by stable name ``"<layer index>.<key>"`` (views, not copies)."""
        return {f"{i}.{k}": v for i, la in enumerate(self.layers) for k, v in la.params.items()}

    @property
    def n_parameters(self) -> int:
        return int(self.flat_params.size)

    def get_weights(self) -> dict[str, NDArray]:
        """A copy of every parameter by name."""
        return {k: v.copy() for k, v in self.parameters.items()}

    def set_weights(self, weights: dict[str, ArrayLike]) -> None:
        """Copy values into the parameters; names and shapes must match exactly."""
        params = self.parameters
        if set(weights) != set(params):
            raise ValueError(
                f"weights must have exactly the keys {sorted(params)}, got {sorted(weights)}"
            )
        for name, value in weights.items():
            value = np.asarray(value)
            if value.shape != params[name].shape:
                raise ShapeError(f"weight {name!r} must have shape {params[name].shape}, "
                                 f"got {value.shape}")
            params[name][...] = value

    # -- computation -------------------------------------------------------
    def forward(self, X: NDArray, *, training: bool = False) -> NDArray:
        """Raw network output (logits for the cross-entropy losses), no checks."""
        out = X
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def backward(self, dout: NDArray) -> None:
        """Backpropagate ``dL/d(output)``, filling every layer's ``grads``."""
        for layer in self.layers[:0:-1]:
            dout = layer.backward(dout)
        self.layers[0].backward_params(dout)  # nobody needs dL/dX for the data itself

    def _inputs(self, X: ArrayLike, name: str = "X") -> NDArray:
        return as_2d_float(X, dtype=self.dtype, name=name, n_features=self.n_in)

    def predict_proba(self, X: ArrayLike, *, batch_size: int | None = None) -> NDArray:
        """Outputs as the user sees them: class probabilities for classifiers.

        Parameters
        ----------
        X : array of shape (n_samples, n_in)

        Returns
        -------
        ndarray of shape (n_samples, n_out)
        """
        return self.loss.output(self._forward_in_batches(self._inputs(X), batch_size))

    def _forward_in_batches(self, X: NDArray, batch_size: int | None) -> NDArray:
        """``forward(X)``, in slices of ``batch_size`` rows to bound the memory used."""
        if batch_size is not None:
            check_positive_int(batch_size, "batch_size")
        if batch_size is None or batch_size >= X.shape[0]:
            return self.forward(X)
        return np.concatenate([self.forward(X[i:i + batch_size])
                               for i in range(0, X.shape[0], batch_size)])

    def predict(self, X: ArrayLike, *, batch_size: int | None = None) -> NDArray:
        """Class labels (n_samples,) for a classifier, values (n_samples, n_out) otherwise."""
        if self.task == "regression" or not self.loss.output_is_monotonic:
            out = self.predict_proba(X, batch_size=batch_size)
            return out if self.task == "regression" else self._labels(out)
        # softmax and sigmoid keep the order of the logits: label them directly
        logits = self._forward_in_batches(self._inputs(X), batch_size)
        if logits.shape[1] == 1:
            return (logits[:, 0] > 0).astype(np.int64)
        return logits.argmax(axis=1)

    def _labels(self, out: NDArray) -> NDArray:
        if out.shape[1] == 1:  # one output unit: a probability of class 1
            return (out[:, 0] > 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def evaluate(self, X: ArrayLike, y: ArrayLike, *, batch_size: int | None = None
                 ) -> dict[str, float]:
        """Mean loss and, for a classifier, accuracy on ``(X, y)``."""
        X = self._inputs(X)
        targets = self.loss.prepare_targets(np.asarray(y), self.n_out, self.dtype)
        check_same_length(X, targets)
        step = X.shape[0] if batch_size is None else check_positive_int(batch_size, "batch_size")
        total_loss = 0.0
        correct = 0
        for i in range(0, X.shape[0], step):
            out = self.forward(X[i:i + step])
            t = targets[i:i + step]
            total_loss += self.loss.loss(t, out) * out.shape[0]
            if self.task == "classification":
                correct += int(np.sum(self._labels(self.loss.output(out)) == _true_labels(t)))
        result = {"loss": total_loss / X.shape[0]}
        if self.task == "classification":
            result["accuracy"] = correct / X.shape[0]
        return result

    def fit(self, X: ArrayLike, y: ArrayLike, *, optimizer: str | Optimizer | None = None,
            epochs: int = 10, batch_size: int = 32,
            validation_data: tuple[ArrayLike, ArrayLike] | None = None,
            validation_split: float = 0.0, shuffle: bool = True,
            seed: int | np.random.Generator | None = None,
            callbacks: Sequence[Callback] = (), verbose: int = 1) -> History:
        """Train with mini-batch gradient descent; see ``glassnet.training.fit``."""
        from .training.loop import fit

        return fit(self, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                   validation_data=validation_data, validation_split=validation_split,
                   shuffle=shuffle, seed=seed, callbacks=callbacks, verbose=verbose)

    # -- description -------------------------------------------------------
    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("#", "layer", "output shape", "params")]
        size = self.n_in
        for i, layer in enumerate(self.layers):
            size = layer.output_size(size)
            count = sum(p.size for p in layer.params.values())
            rows.append((str(i), repr(layer), f"(None, {size})", f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "-" * (sum(widths) + 6)
        def fmt(r: tuple[str, ...]) -> str:
            return (f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                    f"{r[3]:>{widths[3]}}")

        body = [fmt(rows[0]), line] + [fmt(r) for r in rows[1:]]
        body += [line, f"loss: {self.loss!r}   task: {self.task}   dtype: {self.dtype}",
                 f"total parameters: {self.n_parameters:,}"]
        return Summary("\n".join(body), network_html(self))  # a str; a table in Jupyter

    def _repr_html_(self) -> str:
        return network_html(self)

    def get_config(self) -> dict[str, Any]:
        """Everything needed to rebuild the architecture (not the weights)."""
        from .layers import LAYERS

        for layer in self.layers:
            if LAYERS.get(type(layer).__name__) is not type(layer):
                raise TypeError(f"{layer!r} is not a built-in layer and cannot be described")
        return {
            "layers": [{"class": type(la).__name__, "config": la.get_config()}
                       for la in self.layers],
            "loss": self.loss.name,
            "loss_config": dict(vars(self.loss)),
            "task": self.task,
            "dtype": str(self.dtype),
        }

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(la) for la in self.layers)
        return f"Network([\n  {inner}\n], loss={self.loss!r})"


def _true_labels(t: NDArray) -> NDArray:
    """Labels from targets: as given (n,), argmax of one-hot (n, k), threshold of (n, 1)."""
    if t.ndim == 1:
        return t
    if t.shape[1] == 1:
        return (t[:, 0] > 0.5).astype(np.int64)
    return t.argmax(axis=1)
