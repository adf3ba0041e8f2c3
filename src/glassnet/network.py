"""A feed-forward network: a sequence of layers and a loss (its output head)."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._display import Summary, network_html
from ._validation import (
    as_2d_float,
    as_float_batch,
    check_choice,
    check_dtype,
    check_positive_int,
)
from .errors import DTypeError, ShapeError
from .layers import Layer
from .losses import Loss, get_loss

if TYPE_CHECKING:
    from .optimizers import Optimizer
    from .training.history import History
    from .training.state import TrainingState

__all__ = ["Network", "TASKS"]

TASKS = ("classification", "regression")


class Network:
    """Layers applied in order, trained against a loss.

    Parameters
    ----------
    layers : the layers, first to last. Each owns its arrays; a layer may be
        shared with another network (both then see the same weights).
    loss : a ``Loss`` or its name (see ``glassnet.losses.LOSSES``). The loss
        is the network's head: with ``"softmax_cross_entropy"`` the last layer
        gives logits and ``predict_proba`` applies the softmax. A last Softmax
        before it (or a last Sigmoid before a logit binary cross-entropy) is
        refused, since the loss applies it.
    task : ``"classification"`` (``predict`` gives labels) or ``"regression"``
        (``predict`` gives values). By default classification for the
        cross-entropies; for the squared losses the first ``fit`` decides:
        integer labels of shape (n,) make a classifier, anything else a
        regressor.
    input_shape : the shape of one sample, e.g. ``(784,)``; by default taken
        from the first layer that knows it (``Dense(784, 10)``), else from
        the first data the network sees
    dtype : float32 (default) or float64: the dtype of the layers built
        without one of their own (``Dense(10)``); layers given their own
        dtype must agree with it

    Examples
    --------
    >>> from glassnet import Network, Dense, ReLU
    >>> net = Network([Dense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    >>> [name for name, _, _ in net.named_parameters()]
    ['0.W', '0.b', '2.W', '2.b']
    >>> net.predict_proba(np.zeros((1, 2), dtype=np.float32)).shape
    (1, 2)
    """

    def __init__(self, layers: Sequence[Layer], *, loss: str | Loss = "softmax_cross_entropy",
                 task: str | None = None, input_shape: Sequence[int] | None = None,
                 dtype: DTypeLike | None = None) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("a Network needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] is {layer!r}, not a glassnet Layer")
        if len({id(la) for la in self.layers}) != len(self.layers):
            raise ValueError("the same layer object appears twice in layers; "
                             "use a separate instance for each position")
        self.loss = get_loss(loss)
        if task is not None:
            check_choice(task, TASKS, "task")
            if task == "regression" and self.loss.is_classification:
                raise ValueError(f"{self.loss!r} is a classification loss; for regression "
                                 "use loss='mse' or loss='sse'")
        elif self.loss.is_classification:
            task = "classification"
        self.task: str | None = task
        self._dtype_wanted = None if dtype is None else check_dtype(dtype)
        self.dtype = self._common_dtype()
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.stop_training = False  # set by callbacks (early stopping) to end fit
        self.optimizer: Optimizer | None = None  # the optimizer fit uses and continues
        # the shuffling generator, epoch, step and history fit continues (training/state.py)
        self.training_state: TrainingState | None = None
        shape = tuple(input_shape) if input_shape is not None else self._declared_input_shape()
        if shape is not None:
            self.build(shape)
        else:
            self.loss.check_last_layer(self.layers[-1], None)

    # -- building ----------------------------------------------------------
    def _declared_input_shape(self) -> tuple[int, ...] | None:
        """The input shape the first layers fix (e.g. ``Dense(784, 10)``), if any."""
        for layer in self.layers:
            if layer.input_shape is not None:
                return layer.input_shape
            if type(layer).output_shape is not Layer.output_shape:
                return None  # a shape-changing layer before any fixed size
        return None

    def _common_dtype(self) -> np.dtype:
        dtypes = {la.dtype for la in self.layers if la.dtype is not None}
        if self._dtype_wanted is not None:
            dtypes.add(self._dtype_wanted)
        if len(dtypes) > 1:
            found = ", ".join(f"layer {i} {la!r}: {la.dtype}"
                              for i, la in enumerate(self.layers) if la.dtype is not None)
            wanted = f" and dtype={self._dtype_wanted}" if self._dtype_wanted else ""
            raise DTypeError(f"all layers must share one dtype, got {found}{wanted}; "
                             "build every layer with the same dtype")
        return check_dtype(dtypes.pop() if dtypes else np.float32)

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    def build(self, input_shape: Sequence[int]) -> None:
        """Build every layer for samples of ``input_shape`` (no batch dimension).

        ``fit``, ``predict`` and ``evaluate`` call this with the data's shape
        when the network has no input shape yet.
        """
        shape = tuple(int(s) for s in input_shape)
        if any(s <= 0 for s in shape) or not shape:
            raise ShapeError(f"input_shape must be positive sizes, got {tuple(input_shape)}")
        first = shape
        for i, layer in enumerate(self.layers):
            try:
                out_shape = layer.build(shape, self.dtype)
            except ShapeError as exc:
                raise ShapeError(f"layer {i}: {exc}") from None
            if type(layer).output_shape is Layer.output_shape \
                    and not type(layer).__module__.startswith("glassnet."):
                out_shape = self._probe(i, layer, shape)
            shape = tuple(out_shape)
        self.dtype = self._common_dtype()
        self.input_shape, self.output_shape = first, shape
        self.loss.check_last_layer(self.layers[-1], self.n_out)

    def _probe(self, i: int, layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output shape of a layer that does not declare it: run it on one zero sample."""
        out = layer.forward(np.zeros((1, *shape), dtype=self.dtype), training=False)
        if not isinstance(out, np.ndarray) or out.dtype != self.dtype:
            raise DTypeError(f"layer {i} {layer!r} turned {self.dtype} input into "
                             f"{getattr(out, 'dtype', type(out).__name__)}; a layer must keep "
                             "the dtype it is given")
        return tuple(out.shape[1:])

    @property
    def n_in(self) -> int | None:
        """Features per sample (the product of ``input_shape``), None before building."""
        return None if self.input_shape is None else int(np.prod(self.input_shape))

    @property
    def n_out(self) -> int | None:
        """Outputs per sample, None before building."""
        return None if self.output_shape is None else self.output_shape[-1]

    def _outputs(self) -> int:
        """``n_out`` of a built network (inputs have been seen), else a clear error."""
        if self.output_shape is None:
            raise ShapeError("the network is not built yet: call build(input_shape), or give it "
                             "data first")
        return self.output_shape[-1]

    # -- parameters and state ------------------------------------------------
    def named_parameters(self) -> list[tuple[str, NDArray, NDArray]]:
        """``(name, param, grad)`` of every trainable parameter, in layer order.

        Names are ``"<layer index>.<key>"``: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...
        Read afresh at every call, so a layer may rebind its arrays. Layers
        with ``trainable = False`` are left out.
        """
        triples = []
        for i, layer in enumerate(self.layers):
            if not layer.trainable:
                continue
            for key, param in layer.params.items():
                grad = layer.grads.get(key)
                if grad is None:
                    raise KeyError(f"layer {i} {layer!r} has params[{key!r}] but no "
                                   f"grads[{key!r}]; its backward must set self.grads[{key!r}]")
                triples.append((f"{i}.{key}", param, grad))
        return triples

    def named_state(self) -> list[tuple[str, NDArray]]:
        """``(name, array)`` of every non-trainable array (e.g. ``"1.running_mean"``)."""
        return [(f"{i}.{key}", value) for i, layer in enumerate(self.layers)
                for key, value in layer.state.items()]

    @property
    def parameters(self) -> dict[str, NDArray]:
        """Every parameter (trainable or frozen) by name, the layers' own arrays."""
        return {f"{i}.{k}": v for i, la in enumerate(self.layers) for k, v in la.params.items()}

    @property
    def decay_names(self) -> frozenset[str]:
        """Names of the parameters weight decay applies to (each layer's ``decay_keys``)."""
        return frozenset(f"{i}.{k}" for i, la in enumerate(self.layers)
                         for k in la.decay_keys if k in la.params)

    @property
    def n_parameters(self) -> int:
        return sum(int(p.size) for p in self.parameters.values())

    def get_weights(self) -> dict[str, NDArray]:
        """A copy of every parameter and state array by name (all a prediction needs)."""
        weights = {k: v.copy() for k, v in self.parameters.items()}
        weights.update((k, v.copy()) for k, v in self.named_state())
        return weights

    def set_weights(self, weights: Mapping[str, ArrayLike]) -> None:
        """Copy values into the parameters and state; names and shapes must match exactly."""
        arrays = {**self.parameters, **dict(self.named_state())}
        if set(weights) != set(arrays):
            raise ValueError(f"weights must have exactly the keys {sorted(arrays)}, "
                             f"got {sorted(weights)}")
        for name, value in weights.items():
            value = np.asarray(value)
            if value.shape != arrays[name].shape:
                raise ShapeError(f"weight {name!r} must have shape {arrays[name].shape}, "
                                 f"got {value.shape}")
        for name, value in weights.items():
            arrays[name][...] = value

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy of the network with every array in ``dtype`` (e.g. float64 for gradcheck)."""
        dtype = check_dtype(dtype)
        twin = copy.deepcopy(self)
        for layer in twin.layers:
            for arrays in (layer.params, layer.grads, layer.state):
                for key, value in arrays.items():
                    arrays[key] = value.astype(dtype)
            if hasattr(layer, "_dtype"):
                layer._dtype = dtype
        twin._dtype_wanted = dtype
        twin.dtype = twin._common_dtype()
        twin.optimizer = None
        twin.training_state = None
        return twin

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
        first = self.layers[0]
        # nobody needs dL/dX of the data itself: a layer that can skip it does
        backward_params = getattr(first, "backward_params", None)
        if backward_params is not None:
            backward_params(dout)
        else:
            first.backward(dout)

    def _inputs(self, X: ArrayLike, name: str = "X") -> NDArray:
        """``X`` checked and converted once, at the boundary; builds the network if needed."""
        shape = self.input_shape
        if shape is not None and len(shape) == 1 and self.layers[0].input_kind == "float":
            return as_2d_float(X, dtype=self.dtype, name=name, n_features=shape[0])
        if self.layers[0].input_kind == "int":
            arr = np.asarray(X)
            if arr.dtype.kind not in "iu":
                raise DTypeError(f"{name} must hold integer indices for {self.layers[0]!r}, "
                                 f"got dtype {arr.dtype}")
        else:
            arr = as_float_batch(X, dtype=self.dtype, sample_shape=self.input_shape, name=name)
        if self.input_shape is None:
            self.build(arr.shape[1:])
        return arr

    def _checked_outputs(self, out: NDArray) -> NDArray:
        """``out``, unless it holds NaN or infinity: then say why instead of answering."""
        # A sum is NaN or infinite whenever an entry is: one quick reduction
        # (this runs for every prediction), and the full test only if it fails.
        if math.isfinite(np.add.reduce(out, axis=None)) or np.isfinite(out).all():
            return out
        bad = [name for name, p in self.parameters.items() if not np.isfinite(p).all()]
        if bad:
            raise FloatingPointError(
                f"the network's parameters {bad} hold NaN or infinity (training diverged), "
                "so its outputs are meaningless; retrain with a lower learning rate or "
                "gradient clipping (clip_norm), or load weights saved before it diverged")
        raise FloatingPointError("the network's outputs overflowed to NaN or infinity for "
                                 "these inputs; check that the inputs are scaled as in training")

    def _forward_in_batches(self, X: NDArray, batch_size: int | None) -> NDArray:
        """``forward(X)``, in slices of ``batch_size`` rows to bound the memory used."""
        if batch_size is not None:
            check_positive_int(batch_size, "batch_size")
        if batch_size is None or batch_size >= X.shape[0]:
            return self._checked_outputs(self.forward(X))
        return np.concatenate([self._checked_outputs(self.forward(X[i:i + batch_size]))
                               for i in range(0, X.shape[0], batch_size)])

    def predict_proba(self, X: ArrayLike, *, batch_size: int | None = None) -> NDArray:
        """Outputs as the user sees them: class probabilities for the cross-entropies.

        Parameters
        ----------
        X : array of shape (n_samples, *input_shape)

        Returns
        -------
        ndarray of shape (n_samples, n_out)
        """
        return self.loss.proba(self._forward_in_batches(self._inputs(X), batch_size))

    def predict(self, X: ArrayLike, *, batch_size: int | None = None) -> NDArray:
        """Labels for a classifier, values (n_samples, n_out) for a regressor.

        Labels are (n_samples,) class ids, or an (n_samples, n_out) 0/1 matrix
        for multi-label binary cross-entropy; the loss decides (``loss.labels``).
        """
        out = self._forward_in_batches(self._inputs(X), batch_size)
        if self.task == "classification":
            return self.loss.labels(out)
        return self.loss.proba(out)

    def evaluate(self, X: ArrayLike, y: ArrayLike, *, batch_size: int | None = None,
                 sample_weight: ArrayLike | None = None,
                 class_weight: Mapping[int, float] | str | None = None) -> dict[str, float]:
        """Mean loss and, for a classifier, accuracy on ``(X, y)``.

        Accuracy is the fraction of labels predicted right (for multi-label,
        of every label of every sample), counted as ``predict`` labels them.
        With ``sample_weight`` (n,) and/or ``class_weight`` (as in ``fit``)
        both are weighted means: ``sum_i w_i l_i / sum_i w_i``.
        """
        X = self._inputs(X)
        targets = self.loss.prepare_targets(np.asarray(y), self._outputs(), self.dtype)
        if X.shape[0] != targets.shape[0]:
            raise ShapeError(f"X and y must have the same number of samples, got "
                             f"X.shape={X.shape} and y.shape={np.shape(y)}")
        step = X.shape[0] if batch_size is None else check_positive_int(batch_size, "batch_size")
        classify = self._is_classifier_for(y)
        if sample_weight is not None or class_weight is not None:
            from .training.weights import class_sample_weights

            weights = class_sample_weights(self, targets, sample_weight, class_weight)
            return self._weighted_scores(X, targets, weights, step, classify)
        total_loss, correct, counted = 0.0, 0, 0
        for i in range(0, X.shape[0], step):
            out = self._checked_outputs(self.forward(X[i:i + step]))
            t = targets[i:i + step]
            total_loss += self.loss.loss(t, out) * out.shape[0]
            if classify:
                right, n = self.loss.n_correct(out, t)
                correct, counted = correct + right, counted + n
        result = {"loss": total_loss / X.shape[0]}
        if classify:
            result["accuracy"] = correct / counted
        return result

    def _weighted_scores(self, X: NDArray, targets: NDArray, weights: Any, step: int,
                         classify: bool) -> dict[str, float]:
        """``evaluate`` with one weight per sample (weighted means of loss and accuracy)."""
        total_loss = total_right = 0.0
        for i in range(0, X.shape[0], step):
            out = self._checked_outputs(self.forward(X[i:i + step]))
            t, w = targets[i:i + step], weights[i:i + step]
            total_loss += float(np.dot(w, self.loss.per_sample_loss(t, out)))
            if classify:
                right = self.loss.labels(out) == self.loss.target_labels(t)
                total_right += float(np.dot(w, right.reshape(right.shape[0], -1).mean(axis=1)))
        result = {"loss": total_loss / float(weights.sum())}
        if classify:
            result["accuracy"] = total_right / float(weights.sum())
        return result

    def _is_classifier_for(self, y: ArrayLike) -> bool:
        """The task, or (not yet decided) what these targets would make it."""
        if self.task is not None:
            return self.task == "classification"
        return _looks_like_labels(np.asarray(y))

    def resolve_task(self, y: ArrayLike) -> str:
        """Decide an undecided task from the first targets seen (see ``task``); return it."""
        if self.task is None:
            self.task = "classification" if _looks_like_labels(np.asarray(y)) else "regression"
        return self.task

    def fit(self, X: ArrayLike, y: ArrayLike, **kwargs: Any) -> History:
        """Train with mini-batch gradient descent; see ``glassnet.training.fit`` for the options."""
        from .training.loop import fit

        return fit(self, X, y, **kwargs)

    def train_on_batch(self, X: ArrayLike, y: ArrayLike, *,
                       sample_weight: ArrayLike | None = None) -> float:
        """One gradient step on ``(X, y)`` (incremental learning); returns the batch loss.

        Continues ``optimizer`` and ``training_state`` as ``fit`` does; see
        ``glassnet.training.train_on_batch``.
        """
        from .training.loop import train_on_batch

        return train_on_batch(self, X, y, sample_weight=sample_weight)

    partial_fit = train_on_batch

    def reset_training(self) -> None:
        """Forget the training state and the optimizer's moments: the next ``fit`` starts afresh.

        The weights are kept (re-create the network to start from new ones).
        """
        self.training_state = None
        if self.optimizer is not None:
            self.optimizer.reset()

    # -- description -------------------------------------------------------
    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("#", "layer", "output shape", "params")]
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            if shape is not None:
                shape = layer.output_shape(shape) if layer.built else None
            count = sum(p.size for p in layer.params.values())
            shown = "?" if shape is None else f"(None, {', '.join(map(str, shape))})"
            rows.append((str(i), repr(layer), shown, f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "-" * (sum(widths) + 6)

        def fmt(r: tuple[str, ...]) -> str:
            return (f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                    f"{r[3]:>{widths[3]}}")

        n_state = sum(int(v.size) for _, v in self.named_state())
        body = [fmt(rows[0]), line] + [fmt(r) for r in rows[1:]]
        body += [line, f"loss: {self.loss!r}   task: {self.task or 'set by the first fit'}   "
                       f"dtype: {self.dtype}",
                 f"total parameters: {self.n_parameters:,}"
                 + (f"   non-trainable state: {n_state:,}" if n_state else "")]
        if not self.built:
            body.append("not built yet: shapes are known after build(input_shape) or the first fit")
        return Summary("\n".join(body), network_html(self))  # a str; a table in Jupyter

    def _repr_html_(self) -> str:
        return network_html(self)

    def get_config(self) -> dict[str, Any]:
        """Everything needed to rebuild the architecture (not the weights)."""
        from .layers import LAYERS
        from .losses import LOSSES

        for i, layer in enumerate(self.layers):
            if LAYERS.get(type(layer).__name__) is not type(layer):
                raise TypeError(f"layer {i} {layer!r} is not a registered layer and cannot be "
                                "described; register its class with "
                                "glassnet.layers.register_layer")
        if LOSSES.get(self.loss.name) is not type(self.loss):
            raise TypeError(f"the loss {self.loss!r} is not a registered loss; register it with "
                            "glassnet.losses.register_loss")
        return {
            "layers": [{"class": type(la).__name__, "config": la.get_config(),
                        "trainable": la.trainable} for la in self.layers],
            "loss": self.loss.name,
            "loss_config": dict(vars(self.loss)),
            "task": self.task,
            "dtype": str(self.dtype),
            "input_shape": None if self.input_shape is None else list(self.input_shape),
        }

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(la) for la in self.layers)
        return f"Network([\n  {inner}\n], loss={self.loss!r})"


def _looks_like_labels(y: NDArray) -> bool:
    """Integer class labels of shape (n,), as a classifier is fitted on."""
    return y.ndim == 1 and y.dtype.kind in "iub"
