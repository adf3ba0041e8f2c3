"""A feed-forward network: a sequence of layers and a loss (its output head)."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._display import network_html, summary_text
from ._named_arrays import NamedArrays
from ._sample_weights import class_sample_weights
from ._scores import mean_scores
from ._validation import (
    as_2d_float,
    as_float_batch,
    check_choice,
    check_dtype,
    check_positive_int,
    check_same_length,
)
from .errors import DTypeError, ShapeError
from .layers import Layer, describe
from .layers.base import skips_dx
from .layers.chain import backward_through, forward_through
from .layers.containers import build_layer, declared_input_shape
from .losses import Loss, get_loss

if TYPE_CHECKING:
    from .optimizers import Optimizer
    from .training.history import History
    from .training.state import TrainingState

__all__ = ["Network", "Prepared", "TASKS"]

TASKS = ("classification", "regression")


class Prepared(NamedTuple):
    """Data as ``Network.prepare`` gives it (see there)."""

    X: NDArray
    y: NDArray | None
    sample_weight: NDArray | None


class Network(NamedArrays):
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
        self._check_each_layer_once()
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
        # notes kept with the model (data set, scaling, class names): io.load fills them,
        # io.save writes them back
        self.metadata: dict[str, Any] = {}
        shape = tuple(input_shape) if input_shape is not None else self._declared_input_shape()
        if shape is not None:
            self.build(shape)
        else:
            self.loss.check_last_layer(self.layers[-1], None)

    # -- building ----------------------------------------------------------
    def _declared_input_shape(self) -> tuple[int, ...] | None:
        """The input shape the first layers fix (e.g. ``Dense(784, 10)``), if any."""
        return declared_input_shape(self.layers)

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
                shape = build_layer(layer, shape, self.dtype)
            except (ShapeError, DTypeError) as exc:
                raise type(exc)(f"layer {i}: {exc}") from None
        self.dtype = self._common_dtype()
        self.input_shape, self.output_shape = first, shape
        self.loss.check_last_layer(self.layers[-1], self.n_out)

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

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy of the network with every array in ``dtype`` (e.g. float64 for gradcheck)."""
        dtype = check_dtype(dtype)
        twin = copy.deepcopy(self)
        for _, layer in twin.walk():
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
        # layer after layer; a BatchNorm then a ReLU as one pass (glassnet.layers.chain)
        return forward_through(self.layers, X, training=training)

    def backward(self, dout: NDArray) -> None:
        """Backpropagate ``dL/d(output)``, filling every layer's ``grads``."""
        # nobody needs dL/dX of the data itself, nor the dout of the layers that
        # only reshape it at the front (Reshape before a Conv2D): the first
        # layer after them that can skip its dx does (Layer.backward_params),
        # unless a subclass changed its backward alone
        first = 0
        while first < len(self.layers) - 1 and type(self.layers[first]).reshapes_only:
            first += 1
        dout = backward_through(self.layers[first + 1:], dout)  # last layer first
        if skips_dx(type(self.layers[first])):
            self.layers[first].backward_params(dout)
        else:
            dout = self.layers[first].backward(dout)
            for layer in self.layers[first - 1::-1] if first else ():
                dout = layer.backward(dout)

    def prepare(self, X: ArrayLike, y: ArrayLike | None = None, *,
                sample_weight: ArrayLike | None = None,
                class_weight: Mapping[int, float] | str | None = None,
                names: tuple[str, str] = ("X", "y"), decide_task: bool = False) -> Prepared:
        """The one path data takes in: ``X`` checked and converted, ``y`` as the loss wants it.

        ``fit``, ``evaluate``, ``train_on_batch``, ``gradcheck`` and the
        health check all come through here, so they accept and refuse the
        same data. The network is built from ``X``'s shape if it is not yet.

        Parameters
        ----------
        X : array of shape (n_samples, *input_shape); floats are converted to
            the network's dtype, integer indices kept for an integer-input layer
        y : labels (n_samples,) or targets (n_samples, n_out), or None
        sample_weight, class_weight : as in ``fit``; combined into one weight
            per sample (needs ``y``)
        names : how error messages call ``X`` and ``y``
        decide_task : let ``y`` decide an undecided task (see ``task``), as
            training does

        Returns
        -------
        Prepared
            ``(X, y, sample_weight)``: ``X`` of shape (n_samples, *input_shape),
            ``y`` as ``loss.prepare_targets`` gives it (None without ``y``),
            ``sample_weight`` float64 (n_samples,) or None when no weights are given
        """
        X_arr = self._inputs(X, names[0])
        if y is None:
            if sample_weight is not None or class_weight is not None:
                raise ValueError("sample_weight and class_weight need the targets y")
            return Prepared(X_arr, None, None)
        if decide_task:
            self.resolve_task(y)
        targets = self.loss.prepare_targets(np.asarray(y), self._outputs(), self.dtype)
        check_same_length(X_arr, targets, names)
        weights = class_sample_weights(self, targets, sample_weight, class_weight)
        return Prepared(X_arr, targets, weights)

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
        return self.loss.proba(self._forward_in_batches(self.prepare(X).X, batch_size))

    def predict(self, X: ArrayLike, *, batch_size: int | None = None) -> NDArray:
        """Labels for a classifier, values (n_samples, n_out) for a regressor.

        Labels are (n_samples,) class ids, or an (n_samples, n_out) 0/1 matrix
        for multi-label binary cross-entropy; the loss decides (``loss.labels``).
        """
        out = self._forward_in_batches(self.prepare(X).X, batch_size)
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
        X, prepared, weights = self.prepare(X, y, sample_weight=sample_weight,
                                            class_weight=class_weight)
        targets = cast(NDArray, prepared)  # given y, prepare gives targets
        step = X.shape[0] if batch_size is None else check_positive_int(batch_size, "batch_size")
        classify = self._is_classifier_for(y)
        return mean_scores(self, X, targets, weights, step, classify)

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

    def partial_fit(self, X: ArrayLike, y: ArrayLike, *, batch_size: int = 32,
                    sample_weight: ArrayLike | None = None, shuffle: bool = True) -> float:
        """One epoch of mini-batches over ``(X, y)``, as scikit-learn's ``partial_fit``.

        Continues ``optimizer`` and ``training_state`` (an ``Adam()`` and a
        fresh state on the first call) silently, without callbacks; returns the
        epoch's mean training loss. ``train_on_batch`` is one step instead.
        """
        from .training.loop import partial_fit

        return partial_fit(self, X, y, batch_size=batch_size, sample_weight=sample_weight,
                           shuffle=shuffle)

    def reset_training(self) -> None:
        """Forget the training state and the optimizer's moments: the next ``fit`` starts afresh.

        The weights are kept (re-create the network to start from new ones).
        """
        self.training_state = None
        if self.optimizer is not None:
            self.optimizer.reset()

    # -- description -------------------------------------------------------
    def summary(self) -> str:
        """A table of layers (and the layers inside them), output shapes and parameter counts."""
        return summary_text(self)  # a str; a table in Jupyter

    def _repr_html_(self) -> str:
        return network_html(self)

    def get_config(self) -> dict[str, Any]:
        """Everything needed to rebuild the architecture (not the weights)."""
        from .losses import LOSSES

        layers = []
        for i, layer in enumerate(self.layers):
            try:
                layers.append(describe(layer))
            except TypeError as exc:
                raise TypeError(f"layer {i}: {exc}") from None
        if LOSSES.get(self.loss.name) is not type(self.loss):
            raise TypeError(f"the loss {self.loss!r} is not a registered loss; register it with "
                            "glassnet.losses.register_loss")
        return {
            "layers": layers,
            "loss": self.loss.name,
            "loss_config": self.loss.get_config(),
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
