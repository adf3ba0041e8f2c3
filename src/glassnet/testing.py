"""The public contract of a layer and of a loss: ``check_layer`` and ``check_loss``.

Run on your own layer what the built-in layers' tests run (as Keras's
``run_layer_test`` does)::

    from glassnet.testing import check_layer
    check_layer(lambda: MyLayer(8), input_shape=(5,))      # a factory: a fresh layer per call
    check_layer(MyPooling((2, 2)), input_shape=(8, 8))    # or an instance (copied as needed)

Each failed check raises ``ContractError`` (an ``AssertionError``, so test
runners show it as a failure) saying what broke and how to fix it; on
success a ``ContractReport`` lists what was checked and anything worth
knowing (a kink crossed by the gradient check, a position that does not apply).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._contract import ContractError, ContractReport
from .layers import Layer

__all__ = ["ContractError", "ContractReport", "check_layer", "check_loss"]


def check_layer(layer_or_factory: Layer | Callable[[], Layer], input_shape: tuple[int, ...], *,
                input_kind: str = "float", n_ids: int = 10, seed: int = 0) -> ContractReport:
    """Check a layer against the contract every glassnet layer keeps.

    Parameters
    ----------
    layer_or_factory : an unbuilt layer (deep-copied for each check) or a
        function returning a fresh one
    input_shape : the shape of one sample, e.g. ``(5,)`` or ``(8, 8, 3)``
    input_kind : ``"float"``, or ``"int"`` for a layer taking indices (an
        embedding): inputs are then integers in ``0 .. n_ids - 1``, kept integer
    n_ids : the number of distinct indices for ``input_kind="int"``
    seed : seeds every random draw of the checks

    Returns
    -------
    ContractReport

    Raises
    ------
    ContractError
        At the first check that fails, in this order: shapes and dtype kept
        (float32 and float64), ``grads`` keyed like ``params``, ``backward``
        leaving the parameters alone; float64 gradients against finite
        differences (a crossed kink is noted, not failed); ``backward`` twice
        giving the same gradients (overwritten, not accumulated); the JSON
        config round trip; training first, in the middle and last in a
        network at the default ``fit`` verbosity; copies and pickles training
        on their own; ``io.save``/``io.load`` with an optimizer, the layer
        trainable and frozen.

    Examples
    --------
    >>> from glassnet.layers import Dense
    >>> report = check_layer(lambda: Dense(4, seed=0), input_shape=(3,))
    >>> "float64 gradients match finite differences" in report.passed
    True
    """
    from ._contract_layer import (
        check_backward_twice,
        check_config,
        check_copies,
        check_files,
        check_gradients,
        check_shapes_and_dtypes,
        check_training,
    )

    if input_kind not in ("float", "int"):
        raise ValueError(f"input_kind must be 'float' or 'int', got {input_kind!r}")
    if isinstance(layer_or_factory, Layer):
        template = layer_or_factory

        def factory() -> Layer:
            return copy.deepcopy(template)
    elif callable(layer_or_factory):
        factory = layer_or_factory
    else:
        raise TypeError(f"check_layer takes a Layer or a function returning one, got "
                        f"{layer_or_factory!r}")
    shape = tuple(int(s) for s in input_shape)
    first = factory()
    if not isinstance(first, Layer):
        raise TypeError(f"the factory returned {first!r}, not a glassnet Layer")
    report = ContractReport(f"check_layer({first!r}, input_shape={shape})")
    rng = np.random.default_rng(seed)

    def inputs(n: int, dtype: Any = np.float64) -> NDArray:
        if input_kind == "int":
            return rng.integers(0, n_ids, size=(n, *shape))
        return rng.standard_normal((n, *shape)).astype(dtype)

    check_shapes_and_dtypes(report, factory, shape, inputs, input_kind)
    check_gradients(report, factory, shape, inputs, seed)
    check_backward_twice(report, factory, shape, inputs)
    check_config(report, factory, shape, inputs)
    trained = check_training(report, factory, shape, input_kind, n_ids, seed)
    check_copies(report, trained, shape, input_kind, n_ids, seed)
    check_files(report, factory, shape, input_kind, n_ids, seed)
    return report


def check_loss(loss: Any, *, y: Any = None, n_out: int = 3, seed: int = 0) -> ContractReport:
    """Check a loss against the contract every glassnet loss keeps.

    Parameters
    ----------
    loss : a ``glassnet.losses.Loss``
    y : raw targets for 64 samples, as ``fit`` takes them; by default labels
        in ``0 .. n_out - 1`` for a classification loss, floats (64, n_out) else
    n_out : outputs of the network the loss is checked on
    seed : seeds every random draw of the checks

    Returns
    -------
    ContractReport

    Raises
    ------
    ContractError
        At the first check that fails: the gradient against float64 finite
        differences (a crossed kink is noted, not failed), ``loss_and_grad``
        agreeing with ``loss`` and ``grad``, ``per_sample_loss`` averaging to
        ``loss``, the dtype kept, ``get_config`` rebuilding the loss, training
        at the default ``fit`` verbosity, and a model file round trip.
    """
    from ._contract_loss import run_loss_checks

    report = ContractReport(f"check_loss({loss!r})")
    run_loss_checks(report, loss, y, n_out, seed)
    return report
