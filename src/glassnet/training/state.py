"""The training state a network carries between ``fit`` calls, and its JSON form.

Everything that decides what the next training step does, besides the
weights and the optimizer, lives here: the generator that shuffles the
samples, the epoch and step counters and the history of the run. Together
with the network's weights and state, its optimizer (with its moments and
step count ``t``) and every Dropout layer's generator, it is what a
checkpoint must hold for a resumed run to give the same bits as an
uninterrupted one (see ``BackupAndRestore``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import as_rng
from ..optimizers import Optimizer, get_optimizer
from .history import History

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["TrainingState", "begin_training", "generator_state", "restore_generator", "seed_layers"]


@dataclass
class TrainingState:
    """What ``fit`` continues from one call (or one process) to the next.

    Attributes
    ----------
    rng : the Generator that shuffles the samples at the start of each epoch
    epoch : epochs completed (the next epoch's 0-based index)
    step : optimizer steps (mini-batches) completed over the whole run; the
        schedules compute the learning rate from it
    history : per-epoch metrics of the run so far
    first_loss : the first epoch's training loss, the reference for the
        warning about a loss that rises by orders of magnitude
    warned_rising : whether that warning was given (it is given once)
    interrupted : whether the last ``fit`` ended by an exception (not saved)
    """

    rng: np.random.Generator
    epoch: int = 0
    step: int = 0
    history: History = field(default_factory=History)
    first_loss: float | None = None
    warned_rising: bool = False
    #: True while ``fit`` runs and after it ended by an exception (e.g. Ctrl-C)
    interrupted: bool = False
    #: the callbacks of the running ``fit`` (for ``BackupAndRestore``; not saved)
    callbacks: list[Any] = field(default_factory=list, repr=False)

    def to_json(self, network: Network) -> dict[str, Any]:
        """This state and the network's Dropout generators as a JSON-serialisable dict."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "rng": generator_state(self.rng),
            "layer_rngs": {path: generator_state(rng)
                           for path, rng in _layer_generators(network)},
            "history": {"history": self.history.history, "epochs_run": self.history.epochs_run,
                        "stopped_early": self.history.stopped_early},
            "first_loss": self.first_loss,
            "warned_rising": self.warned_rising,
        }

    def restore_json(self, data: dict[str, Any], network: Network) -> None:
        """Take back, in place, the state ``to_json`` gave, and the Dropout generators."""
        expected = {"epoch", "step", "rng", "layer_rngs", "history", "first_loss",
                    "warned_rising"}
        if not isinstance(data, dict) or set(data) != expected:
            found = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"a training state must have the entries {sorted(expected)}, "
                             f"got {found}; it was not written by TrainingState.to_json")
        layers = dict(network.walk())
        for key, spec in data["layer_rngs"].items():
            layer = layers.get(key)
            if not isinstance(getattr(layer, "rng", None), np.random.Generator):
                raise ValueError(f"the training state holds a generator for layer {key}, "
                                 f"but that layer ({layer!r}) has none; it belongs to "
                                 "another network")
            layer.rng = restore_generator(spec)  # type: ignore[union-attr,attr-defined]
        saved = data["history"]
        history = History(history={k: [float(v) for v in vals]
                                   for k, vals in saved["history"].items()},
                          epochs_run=int(saved["epochs_run"]),
                          stopped_early=bool(saved["stopped_early"]))
        self.rng = restore_generator(data["rng"])
        self.epoch, self.step = int(data["epoch"]), int(data["step"])
        self.history = history
        self.first_loss = None if data["first_loss"] is None else float(data["first_loss"])
        self.warned_rising = bool(data["warned_rising"])


def _layer_generators(network: Network) -> list[tuple[str, np.random.Generator]]:
    """``(path, layer.rng)`` of the layers that draw random numbers (Dropout, or any
    layer with a Generator as its ``rng``), sub-layers included (``"2.block.1"``)."""
    found = [(path, getattr(layer, "rng", None)) for path, layer in network.walk()]
    return [(path, rng) for path, rng in found if isinstance(rng, np.random.Generator)]


def generator_state(rng: np.random.Generator) -> dict[str, Any]:
    """``rng.bit_generator.state``: a JSON-serialisable dict (bit generator name and words)."""
    return dict(rng.bit_generator.state)


def restore_generator(state: dict[str, Any]) -> np.random.Generator:
    """A new Generator whose bit generator continues exactly from ``state``."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    bit_cls = getattr(np.random, name, None) if isinstance(name, str) else None
    if not (isinstance(bit_cls, type) and issubclass(bit_cls, np.random.BitGenerator)):
        raise ValueError(f"a generator state must name a NumPy bit generator (such as "
                         f"'PCG64'), got {name!r}")
    bit_generator = bit_cls()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def begin_training(network: Network, optimizer: str | Optimizer | None, reset: bool,
           seed: int | np.random.Generator | None) -> tuple[Optimizer, TrainingState]:
    """The optimizer and training state of a ``fit``: continued, or started afresh.

    Afresh when ``reset``, when the network has no state yet, or when
    ``optimizer`` is given and is not ``network.optimizer``. ``seed`` seeds
    the new shuffling generator and every layer generator (``seed_layers``).
    """
    fresh = (reset or network.training_state is None
             or (optimizer is not None and optimizer is not network.optimizer))
    if optimizer is None and network.optimizer is not None:
        opt = network.optimizer
        if reset:
            opt.reset()
    else:
        opt = get_optimizer(optimizer)
    opt.bind(network)  # an optimizer trains one network (its moments belong to it)
    network.optimizer = opt  # before any callback runs, so callbacks can see and steer it
    state = network.training_state
    if fresh or state is None:
        state = network.training_state = TrainingState(rng=as_rng(seed))
        if seed is not None:  # else each Dropout keeps the generator it was given
            seed_layers(network, state.rng)
    elif seed is not None:  # continuing, but the caller asks for these generators
        state.rng = as_rng(seed)
        seed_layers(network, state.rng)
    return opt, state


def seed_layers(network: Network, rng: np.random.Generator) -> None:
    """Give every layer that draws random numbers (a Dropout, or any layer whose ``rng`` is
    a Generator, sub-layers included) a generator derived from ``rng``, so ``seed`` fixes
    its draws."""
    for _, layer in network.walk():
        if isinstance(getattr(layer, "rng", None), np.random.Generator):
            layer.rng = np.random.default_rng(rng.integers(2**63))  # type: ignore[attr-defined]
