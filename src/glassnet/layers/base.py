"""The Layer protocol every layer follows.

A layer maps ``x`` of shape (n_samples, n_in) to ``out`` of shape
(n_samples, n_out) in ``forward`` and, given ``dout = dL/d(out)``, returns
``dx = dL/dx`` in ``backward``, overwriting ``grads`` (``dL/d(param)``) on the
way. ``backward`` never changes parameters: only optimizers do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from numpy.typing import NDArray

from ..errors import ShapeError


class Layer:
    """Base class: no parameters, shape-preserving unless a subclass says otherwise.

    Attributes
    ----------
    params : dict of name -> ndarray
        Trainable arrays. A ``Network`` rebinds them to views of one flat buffer.
    grads : dict of name -> ndarray
        Same keys and shapes as ``params``, written by ``backward``.
    in_network : whether a ``Network`` has bound ``params`` to its buffer (a
        layer with parameters belongs to one network only)
    decay_keys : tuple of str
        The params that L2 weight decay applies to (weights, not biases).
    """

    decay_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.in_network = False  # set when a Network binds params to its buffer

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.deepcopy) owns copies of the arrays: it is in no network.
        return {**self.__dict__, "in_network": False}

    # -- sizes -------------------------------------------------------------
    def output_size(self, n_in: int) -> int:
        """Number of output features for ``n_in`` input features."""
        return n_in

    @property
    def input_size(self) -> int | None:
        """Input features the layer requires, or None if any size works."""
        return None

    # -- computation -------------------------------------------------------
    def forward(self, x: NDArray, *, training: bool = False) -> NDArray:
        raise NotImplementedError

    def backward(self, dout: NDArray) -> NDArray:
        raise NotImplementedError

    def backward_params(self, dout: NDArray) -> None:
        """Fill ``grads`` without returning ``dx`` (a layer may skip that work)."""
        self.backward(dout)

    # -- description -------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def _missing_cache(self) -> ShapeError:
        return ShapeError(
            f"{self!r}.backward was called without a forward(x, training=True) before it; "
            "run forward in training mode first"
        )


def check_input(layer: Layer, x: NDArray, n_in: int) -> None:
    """Raise a ShapeError naming ``layer`` unless ``x`` is (n_samples, n_in)."""
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ShapeError(
            f"{layer!r} expects input of shape (n_samples, {n_in}), got {x.shape}; "
            "check the previous layer's output size"
        )
