"""The network, optimizer and schedule a set of playground settings describes."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..layers import BatchNorm, Dense, Dropout, Layer, get_activation
from ..network import Network
from ..optimizers import SGD, Adam, AdamW, Optimizer, RMSprop
from ..training import CosineDecay, ExponentialDecay, StepDecay
from .config import LARGE_NETWORK, MAX_PARAMETERS, Settings, SettingsError

__all__ = ["build_network", "build_optimizer", "build_schedule", "snapshot"]

_ACTIVATION = {"linear": "identity"}


def build_network(s: Settings, n_classes: int) -> tuple[Network, list[str]]:
    """``features -> [Dense -> (BatchNorm) -> activation -> (Dropout)] * L -> Dense``.

    Returns the network and the warnings to show (a network past
    ``LARGE_NETWORK`` parameters trains, more slowly).

    Raises
    ------
    SettingsError
        The network would exceed ``MAX_PARAMETERS`` parameters, or the loss
        does not fit the number of classes.
    """
    n_in = len(s.features)
    n_out = 1 if (n_classes == 0 or s.loss == "binary_cross_entropy") else n_classes
    if s.loss == "binary_cross_entropy" and n_classes != 2:
        raise SettingsError(f"binary_cross_entropy separates 2 classes, the data has "
                            f"{n_classes}; use softmax_cross_entropy")
    sizes = [n_in, *s.networkShape, n_out]
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if count > MAX_PARAMETERS:
        raise SettingsError(f"networkShape {','.join(map(str, s.networkShape))} has {count} "
                            f"parameters; a playground session holds at most {MAX_PARAMETERS}")
    rng = np.random.default_rng(s.seed)
    layers: list[Layer] = []
    for units, act in zip(s.networkShape, s.layer_activations(), strict=True):
        init = "he_uniform" if act in ("relu", "leaky_relu") else "glorot_uniform"
        layers.append(Dense(units, init=init, seed=rng))
        if s.batchNorm:
            layers.append(BatchNorm())
        layers.append(get_activation(_ACTIVATION.get(act, act)))
        if s.dropout:
            layers.append(Dropout(s.dropout, seed=rng))
    layers.append(Dense(n_out, seed=rng))
    task = "regression" if n_classes == 0 else "classification"
    net = Network(layers, loss=s.loss, task=task)
    net.build((n_in,))
    warnings = []
    if count > LARGE_NETWORK:
        warnings.append(f"this network has {count} parameters: it trains and redraws more "
                        "slowly; thumbnails and links are drawn for the first 32 neurons "
                        "of a layer")
    return net, warnings


def build_optimizer(s: Settings) -> Optimizer:
    """The optimizer named by ``s.optimizer`` with ``learningRate`` and L2 weight decay."""
    lr, l2 = s.learningRate, s.regularizationRate
    kinds: dict[str, Any] = {
        "sgd": lambda: SGD(lr, weight_decay=l2),
        "momentum": lambda: SGD(lr, momentum=0.9, weight_decay=l2),
        "nesterov": lambda: SGD(lr, momentum=0.9, nesterov=True, weight_decay=l2),
        "adam": lambda: Adam(lr, weight_decay=l2),
        "adamw": lambda: AdamW(lr, weight_decay=l2),
        "rmsprop": lambda: RMSprop(lr, weight_decay=l2),
    }
    opt: Optimizer = kinds[s.optimizer]()
    return opt


def build_schedule(s: Settings, steps_per_epoch: int) -> list[Any]:
    """The learning-rate schedule callback (none for ``constant``)."""
    lr, horizon = s.learningRate, s.scheduleEpochs
    if s.schedule == "step":
        return [StepDecay(lr, steps_per_epoch=steps_per_epoch,
                          every_epochs=max(1, horizon // 4), factor=0.5)]
    if s.schedule == "exponential":
        return [ExponentialDecay(lr, decay_steps=steps_per_epoch * horizon, rate=0.1)]
    if s.schedule == "cosine":
        return [CosineDecay(lr, total_steps=steps_per_epoch * horizon)]
    return []


def snapshot(net: Network) -> Network:
    """A copy of ``net``'s layers and loss as a fresh network (not its training state).

    ``copy.deepcopy(net)`` would copy the training state too, whose callbacks
    hold the session's thread primitives.
    """
    if net.n_in is None:
        raise ValueError("the network is not built yet; build it before copying it")
    copy_ = Network(copy.deepcopy(net.layers), loss=copy.deepcopy(net.loss), task=net.task)
    copy_.build((net.n_in,))
    return copy_
