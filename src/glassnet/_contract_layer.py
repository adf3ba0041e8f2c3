"""The checks of ``glassnet.testing.check_layer``, one function each."""

from __future__ import annotations

import copy
import json
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._contract import (
    ContractError,
    ContractReport,
    check,
    fit_at_default_verbosity,
    layer_networks,
    train_data,
)
from .layers import Layer, describe, rebuild
from .layers.base import walk_layers

Factory = Callable[[], Layer]
Inputs = Callable[..., NDArray]


def built(factory: Factory, shape: tuple[int, ...], dtype: Any) -> Layer:
    """A fresh layer built for ``shape``, its arrays (sub-layers' too) in ``dtype``."""
    layer = factory()
    layer.build(shape, dtype)
    for _, sub in walk_layers([("", layer)]):
        for arrays in (sub.params, sub.grads, sub.state):
            for key, value in arrays.items():
                arrays[key] = value.astype(dtype)
        if hasattr(sub, "_dtype"):
            sub._dtype = np.dtype(dtype)
    return layer


def _arrays(layer: Layer, which: str) -> dict[str, NDArray]:
    return {f"{p}.{k}" if p else k: v for p, la in walk_layers([("", layer)])
            for k, v in getattr(la, which).items()}


def check_shapes_and_dtypes(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                            inputs: Inputs, input_kind: str) -> None:
    """Output shape as ``output_shape`` says, dtype kept, grads keyed like params, params alone."""
    for dtype in (np.float32, np.float64):
        name = f"forward and backward keep shapes and {np.dtype(dtype).name}"
        with check(report, name, "return arrays of the input's dtype (compute in it, or cast "
                                 "with .astype(x.dtype)), and give output_shape(input_shape) "
                                 "the shape forward returns"):
            layer = built(factory, shape, dtype)
            x = inputs(4, dtype)
            out = layer.forward(x, training=True)
            expected = (4, *layer.output_shape(shape))
            if out.shape != expected or out.dtype != dtype:
                raise AssertionError(f"forward gave {out.dtype} {out.shape}, expected "
                                     f"{np.dtype(dtype)} {expected}")
            before = {k: v.copy() for k, v in _arrays(layer, "params").items()}
            dx = layer.backward(np.ones_like(out))
            if input_kind == "float" and (dx.shape != x.shape or dx.dtype != dtype):
                raise AssertionError(f"backward gave dx {dx.dtype} {dx.shape}, expected "
                                     f"{np.dtype(dtype)} {x.shape}")
            grads = _arrays(layer, "grads")
            if set(grads) != set(before):
                raise AssertionError(f"grads has keys {sorted(grads)} but params {sorted(before)}")
            for key, p in before.items():
                if grads[key].shape != p.shape or grads[key].dtype != dtype:
                    raise AssertionError(f"grads[{key!r}] is {grads[key].dtype} "
                                         f"{grads[key].shape}, params[{key!r}] {p.shape}")
            for key, value in _arrays(layer, "params").items():
                if not np.array_equal(value, before[key]):
                    raise AssertionError(f"backward changed params[{key!r}]; only optimizers "
                                         "may change parameters")


def check_gradients(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                    inputs: Inputs, seed: int) -> None:
    """float64 gradients of the input and every parameter against finite differences."""
    from .gradcheck import gradcheck

    layer = built(factory, shape, np.float64)
    rng = np.random.default_rng(seed)
    for _, sub in walk_layers([("", layer)]):  # non-trivial values, so every term counts
        for value in sub.params.values():
            value += 0.1 * rng.standard_normal(value.shape)
    x = inputs(3, np.float64)
    result = gradcheck(layer, x, seed=seed)
    if result.max_rel_error > 1e-6:
        raise ContractError(
            f"{report.subject}: float64 gradients do not match finite differences: {result}; "
            "fix: check backward's formulas for that array (dx = dL/dx for the input, "
            "grads[key] = dL/dparams[key]), e.g. a missing transpose, sum over the batch, or "
            "the derivative of the activation")
    report.passed.append("float64 gradients match finite differences")
    if result.kinks:
        report.notes.append(f"the gradient check crossed {len(result.kinks)} kinks "
                            f"(non-differentiable points), left out: {', '.join(result.kinks[:5])}")


def check_backward_twice(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                         inputs: Inputs) -> None:
    """``backward`` twice after one forward gives the same ``dx`` and gradients."""
    name = "backward twice gives the same gradients (overwrite, not accumulate)"
    with check(report, name, "assign the gradients in backward (self.grads['W'] = x.T @ dout, "
                             "or np.dot(..., out=...)), never add to them (+=)"):
        layer = built(factory, shape, np.float64)
        out = layer.forward(inputs(5, np.float64), training=True)
        dout = np.random.default_rng(1).standard_normal(out.shape)
        dx1 = np.array(layer.backward(dout))
        first = {k: v.copy() for k, v in _arrays(layer, "grads").items()}
        dx2 = np.array(layer.backward(dout))
        if not np.array_equal(dx1, dx2):
            raise AssertionError("the second backward returned another dx")
        for key, value in _arrays(layer, "grads").items():
            if not np.allclose(value, first[key], rtol=1e-12, atol=0):
                raise AssertionError(f"the second backward changed grads[{key!r}] from "
                                     f"{first[key].ravel()[:3]} to {value.ravel()[:3]}")


def check_config(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                 inputs: Inputs) -> None:
    """``describe`` -> JSON -> ``rebuild`` gives a layer that describes and computes the same."""
    with check(report, "its config round-trips through JSON (describe, rebuild)",
               "register the class (glassnet.layers.register_layer) and return every "
               "constructor argument, as JSON values, from get_config()"):
        layer = built(factory, shape, np.float64)
        description = describe(layer)
        again = rebuild(json.loads(json.dumps(description)), dtype=np.float64)
        if describe(again) != description:
            raise AssertionError(f"rebuilt as {describe(again)}, not {description}")
        again.build(shape, np.float64)
        mine, theirs = _arrays(layer, "params"), _arrays(again, "params")
        if {k: v.shape for k, v in mine.items()} != {k: v.shape for k, v in theirs.items()}:
            raise AssertionError("the rebuilt layer has parameters of other shapes: "
                                 f"{ {k: v.shape for k, v in theirs.items()} }")
        for key, value in mine.items():
            theirs[key][...] = value
        x = inputs(4, np.float64)
        if not np.array_equal(layer.forward(x), again.forward(x)):
            raise AssertionError("the rebuilt layer, given the same parameters, computes "
                                 "something else: get_config leaves out a setting")


def check_training(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                   input_kind: str, n_ids: int, seed: int) -> Any:
    """The layer trains first, in the middle and last in a network; returns the first network."""
    from .optimizers import Adam

    first_net = None
    for position, net, why_not in layer_networks(factory, shape, input_kind):
        if net is None:
            report.notes.append(f"position {position!r} not checked: {why_not}")
            continue
        name = f"trains {position} in a network at the default fit verbosity"
        with check(report, name, "the layer must run forward and backward on batches of its "
                                 "input shape and dtype, and backward must return dL/dx"):
            X, y = train_data(net, shape, input_kind, n_ids, seed)
            layer = net.layers[0 if position == "first" else 1]
            before_params = {k: v.copy() for k, v in _arrays(layer, "params").items()}
            before = net.evaluate(X, y)["loss"]
            notes = fit_at_default_verbosity(net, X, y, optimizer=Adam(0.01), epochs=8,
                                             batch_size=16, seed=seed)
            after = net.evaluate(X, y)["loss"]
            if not after < before:
                raise AssertionError(f"the loss went from {before:.6g} to {after:.6g} in 8 "
                                     "epochs")
            if before_params and all(np.array_equal(v, before_params[k])
                                     for k, v in _arrays(layer, "params").items()):
                raise AssertionError("none of the layer's parameters changed")
            report.notes += [f"{position}: {n}" for n in notes]
        first_net = first_net or net
    return first_net


def check_copies(report: ContractReport, net: Any, shape: tuple[int, ...], input_kind: str,
                 n_ids: int, seed: int) -> None:
    """A deep copy and a pickle of a trained network train on their own, leaving it alone."""
    from .optimizers import Adam

    X, y = train_data(net, shape, input_kind, n_ids, seed)
    # pickle here round-trips an object this process just made (joblib and multiprocessing
    # copy networks this way); model files never go through pickle (glassnet.io)
    copiers = (("copy.deepcopy", copy.deepcopy),
               ("pickle", lambda n: pickle.loads(pickle.dumps(n))))
    for how, copier in copiers:
        with check(report, f"a {how} of a trained network trains on its own",
                   "keep the layer's arrays in params, grads and state (or attributes that "
                   "copy), never in globals or views shared between instances; define the "
                   "class at a module's top level (pickle finds classes by module and name)"):
            original = net.get_weights()
            twin = copier(net)
            twin.fit(X, y, optimizer=Adam(0.01), epochs=2, batch_size=16, seed=seed, verbose=0)
            for name, value in net.get_weights().items():
                if not np.array_equal(value, original[name]):
                    raise AssertionError(f"training the copy changed the original's {name!r}")
            if all(np.array_equal(v, original[k]) for k, v in twin.get_weights().items()):
                raise AssertionError("the copy did not change while training")


def check_files(report: ContractReport, factory: Factory, shape: tuple[int, ...],
                input_kind: str, n_ids: int, seed: int) -> None:
    """``io.save``/``io.load`` with an Adam optimizer: the layer trainable, frozen from the
    start, and frozen after training; predictions and optimizer state come back exactly."""
    from . import io
    from .optimizers import Adam

    for case in ("trainable", "frozen from the start", "frozen after training"):
        with check(report, f"io.save/io.load with an optimizer, the layer {case}",
                   "register the class (glassnet.layers.register_layer), return the "
                   "constructor's arguments from get_config(), and keep every array in "
                   "params or state"), tempfile.TemporaryDirectory() as folder:
            net = next(layer_networks(factory, shape, input_kind))[1]
            X, y = train_data(net, shape, input_kind, n_ids, seed)
            net.layers[0].trainable = case != "frozen from the start"
            net.fit(X, y, optimizer=Adam(0.01), epochs=1, batch_size=32, seed=seed, verbose=0)
            if case == "frozen after training":
                net.layers[0].trainable = False
                net.fit(X, y, epochs=2, batch_size=32, verbose=0)
            path = io.save(net, Path(folder) / "m.safetensors", optimizer=net.optimizer)
            loaded = io.load(path)
            if not np.array_equal(loaded.predict_proba(X), net.predict_proba(X)):
                raise AssertionError("the loaded network predicts other values")
            if loaded.layers[0].trainable != net.layers[0].trainable:
                raise AssertionError("the layer's trainable flag was not kept")
            _same_optimizer_state(net.optimizer, loaded.optimizer)


def _same_optimizer_state(saved: Any, loaded: Any) -> None:
    if loaded is None or loaded.t != saved.t:
        raise AssertionError("the optimizer (or its step count) was not restored")
    for slot, arrays in saved.state.items():
        for name, value in arrays.items():
            got = loaded.state.get(slot, {}).get(name)
            if got is None or not np.array_equal(got, value):
                raise AssertionError(f"the optimizer's {slot!r} state of {name!r} was not "
                                     "restored")
