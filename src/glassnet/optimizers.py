"""Optimizers: the only code that changes parameters.

An optimizer takes the parameters with their gradients, as
``(name, param, grad)`` triples (what ``Network.named_parameters()`` gives)
or ``(param, grad)`` pairs, and updates each ``param`` in place. Its state
(momentum, Adam's moments) is kept per parameter, keyed by name
(``opt.state["m"]["0.W"]``), so a copied, pickled or reloaded network and
optimizer stay aligned. By hand, on one array::

    SGD(0.1).step([(w, dw)])     # or SGD(0.1).step(w, dw)

Every optimizer accepts:

- ``lr``: the learning rate, > 0 (a schedule may change ``opt.lr`` between steps);
- ``weight_decay``: L2 penalty ``(wd / 2) * ||W||^2`` added to the loss, so
  ``g <- g + wd * W`` for the parameters in ``decay`` (a network's weights,
  not its biases or normalisation parameters);
- ``clip_norm``: if set, ``g <- g * min(1, clip_norm / ||g||)``, with ``||g||``
  the norm of all the step's gradients together.

Order within a step, for every optimizer:

1. L2 weight decay is added to the gradients: ``g <- g + wd * W``
   (not for ``AdamW``, whose decay is decoupled);
2. the gradients are clipped to ``clip_norm`` (so the decay term is clipped too);
3. ``AdamW`` only: decoupled decay ``p <- p - lr * wd * p``;
4. the update rule runs.

Weight decay (either kind) applies to the names in ``decay``: a network's
weights, never its biases or normalisation parameters (each layer's
``decay_keys``). Without ``decay`` (a step by hand), it applies to the
parameters with two or more dimensions (weight matrices and kernels), not
to vectors (biases, normalisation scales): pass ``decay={"0"}`` to decay a
single vector. Freezing a layer (``layer.trainable = False``) leaves its
parameters out of the step altogether. Per-layer learning rates are not
offered: freeze layers, or run two optimizers on two lists of triples.

Step counts are kept per parameter (``steps``, as PyTorch keeps them), so
a layer unfrozen after 1,000 steps takes Adam's bias-corrected first step,
not one scaled for step 1,001; ``t`` counts the optimizer's steps.

An optimizer belongs to the network it first trains: ``fit`` refuses to
continue it on another network (its moments and step counts belong to the
first); give the other network a new optimizer, or ``reset()`` this one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._aligned import aligned_zeros
from ._fused import FUSE_FROM, adam_kernel, check_fused, flat_views, numba_available
from ._validation import check_choice, check_non_negative, check_positive, step_entries
from .errors import ShapeError

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "OPTIMIZERS", "get_optimizer",
           "register_optimizer"]

Triple = tuple[str, NDArray, NDArray]


class Optimizer:
    """Base class: regularisation and clipping shared by every update rule.

    Attributes
    ----------
    t : steps taken
    steps : parameter name -> steps that parameter has taken (its own count,
        which differs from ``t`` for a parameter frozen for a while)
    state : slot name -> parameter name -> array (e.g. ``state["m"]["0.W"]``)
    """

    #: the per-parameter arrays the update rule keeps (see ``state``)
    slots: tuple[str, ...] = ()
    #: weight decay applied to the parameters (AdamW), not added to the gradients
    decoupled_decay: bool = False

    def __init__(self, lr: float, *, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        self.lr = check_positive(lr, "lr")
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")
        self.clip_norm = None if clip_norm is None else check_positive(clip_norm, "clip_norm")
        self.t = 0
        self.steps: dict[str, int] = {}
        self.state: dict[str, dict[str, NDArray]] = {slot: {} for slot in self.slots}
        self.network: Any = None  # the network fit trains with it (see bind)

    def bind(self, network: Any) -> None:
        """Belong to ``network`` (``fit`` calls this); refuse one already bound elsewhere."""
        bound = self.__dict__.get("network")
        if bound is not None and bound is not network:
            raise ValueError(
                f"{self!r} already trains another network (its moments and {self.t} step "
                "counts belong to that network's parameters); give this network a new "
                f"optimizer ({type(self).__name__}(...)), or call reset() on this one to "
                "start it afresh here")
        self.network = network

    def step(self, params_and_grads: Iterable[Any] | NDArray, grads: NDArray | None = None, *,
             decay: Collection[str] | None = None) -> None:
        """One update of every parameter given, in place.

        Parameters
        ----------
        params_and_grads : ``(name, param, grad)`` triples or ``(param, grad)``
            pairs (named ``"0"``, ``"1"``, ... by position); or one ``param``
            array, with its gradient as ``grads``
        decay : the names weight decay applies to (None: the parameters of
            two or more dimensions, not biases or other vectors)

        Notes
        -----
        The gradient arrays may be modified (decay and clipping are applied to
        them in place).
        """
        entries = self._entries(params_and_grads, grads)
        if self.weight_decay and not self.decoupled_decay:
            wd = self.weight_decay
            for name, p, g in entries:
                if name in decay if decay is not None else p.ndim >= 2:
                    g += p.dtype.type(wd) * p            # g <- g + wd * W
        if self.clip_norm is not None:
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for _, _, g in entries)))
            if norm > self.clip_norm:
                for _, p, g in entries:
                    g *= p.dtype.type(self.clip_norm / norm)
        self.t += 1
        steps = self._steps()
        for name, _, _ in entries:
            n = steps.get(name)
            if n is None:  # a first step, or state restored without its count: see _steps
                n = self.t - 1 if any(name in arrays for arrays in self.state.values()) else 0
            steps[name] = n + 1
        if self.weight_decay and self.decoupled_decay:
            for name, p, _ in entries:
                if name in decay if decay is not None else p.ndim >= 2:
                    p -= p.dtype.type(self.lr * self.weight_decay) * p   # p <- p - lr wd p
        self._update(entries)

    def _entries(self, params_and_grads: Iterable[Any] | NDArray, grads: NDArray | None
                 ) -> list[Triple]:
        """The step's ``(name, param, grad)`` list, each checked (cheap attribute reads only)."""
        return step_entries(self, params_and_grads, grads)

    def _update(self, entries: list[Triple]) -> None:
        raise NotImplementedError

    def _steps(self) -> dict[str, int]:
        """``steps`` (made empty for an optimizer pickled before they were kept).

        A parameter with state but no count (restored from a file or a pickle
        that did not keep counts) is taken to have made every step so far
        (``t``), as every parameter did when a single count was kept.
        """
        return self.__dict__.setdefault("steps", {})

    def _slot(self, slot: str, name: str, like: NDArray) -> NDArray:
        """The state array ``slot`` of parameter ``name``, zeros like ``like`` on first use."""
        arrays = self.state.setdefault(slot, {})
        value = arrays.get(name)
        if value is None:
            value = arrays[name] = aligned_zeros(like.size, like.dtype).reshape(like.shape)
        elif value.shape != like.shape or value.dtype != like.dtype:
            raise ShapeError(
                f"{self!r} holds {slot!r} state for parameter {name!r} of shape {value.shape} "
                f"({value.dtype}) but the parameter is {like.shape} ({like.dtype}); use a fresh "
                "optimizer for a different network, or reset() this one")
        return value

    def reset(self) -> None:
        """Forget the state and the step counts, and the network: the next step starts afresh."""
        self.t = 0
        self.steps = {}
        self.state = {slot: {} for slot in self.slots}
        self.network = None

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "weight_decay": self.weight_decay, "clip_norm": self.clip_norm}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Plain: ``p <- p - lr * g``. With momentum ``mu``: ``v <- mu * v + g``,
    then ``p <- p - lr * v``, or with Nesterov ``p <- p - lr * (g + mu * v)``
    (the formulation PyTorch uses). With ``batch_size=1`` this is the book's
    online learning.
    """

    def __init__(self, lr: float = 0.01, *, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, clip_norm: float | None = None) -> None:
        self.momentum = check_non_negative(momentum, "momentum", upper=1.0, strict_upper=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.slots = ("velocity",) if self.momentum else ()
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm)

    def _update(self, entries: list[Triple]) -> None:
        for name, p, g in entries:
            lr = p.dtype.type(self.lr)
            if not self.momentum:
                p -= lr * g                              # p <- p - lr g
                continue
            mu = p.dtype.type(self.momentum)
            v = self._slot("velocity", name, p)
            v *= mu
            v += g                                       # v <- mu v + g
            if self.nesterov:
                p -= lr * (g + mu * v)                   # p <- p - lr (g + mu v)
            else:
                p -= lr * v                              # p <- p - lr v

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015)::

        m <- b1 m + (1 - b1) g                 first moment (mean of g)
        v <- b2 v + (1 - b2) g^2               second moment (mean of g^2)
        m_hat = m / (1 - b1^t)                 bias corrections: m and v
        v_hat = v / (1 - b2^t)                 start at zero
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Computed as the paper itself suggests (end of its section 2), with the
    two bias corrections folded into the step size and epsilon, which is the
    same update with one division per number instead of three::

        lr_t  = lr * sqrt(1 - b2^t) / (1 - b1^t)
        eps_t = eps * sqrt(1 - b2^t)
        p <- p - lr_t * m / (sqrt(v) + eps_t)

    ``fused`` chooses how the update runs, never what it computes: ``True``
    runs it as one compiled loop per array (needs Numba, the ``fast`` extra;
    about 3x faster, see ``glassnet._fused``), ``False`` as the NumPy
    expressions below, and ``None`` (default) fuses when Numba is installed
    and the step updates at least ``glassnet._fused.FUSE_FROM`` (65,536)
    numbers: below that the update is quick anyway and would not repay
    loading the compiler (about 0.5 s and 100 MiB). Both paths give the same
    bits. It is not saved with a model.
    """

    slots = ("m", "v")

    def __init__(self, lr: float = 1e-3, *, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None, fused: bool | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm)
        self.beta1 = check_non_negative(beta1, "beta1", upper=1.0, strict_upper=True)
        self.beta2 = check_non_negative(beta2, "beta2", upper=1.0, strict_upper=True)
        self.eps = check_positive(eps, "eps")
        self.fused = check_fused(fused, "Adam")

    def _update(self, entries: list[Triple]) -> None:
        fuse = self.fused
        if fuse is None:
            fuse = sum(p.size for _, p, _ in entries) >= FUSE_FROM and numba_available()
        # the scalars of each (dtype, step count), each rounded once to the dtype
        by_key: dict[tuple[np.dtype, int], tuple[np.floating, ...]] = {}
        ms, vs, steps = self.state["m"], self.state["v"], self.steps
        for name, p, g in entries:
            m, v = ms.get(name), vs.get(name)
            if m is None or v is None or m.shape != p.shape or m.dtype != p.dtype:
                m, v = self._slot("m", name, p), self._slot("v", name, p)
            key = (p.dtype, steps[name])  # t: this parameter's own step count
            scalars = by_key.get(key)
            if scalars is None:
                scalars = by_key[key] = self._scalars(p.dtype, key[1])
            b1, b2, one_minus_b1, one_minus_b2, lr_t, eps_t = scalars
            if fuse and p.flags.c_contiguous:
                adam_kernel()(*flat_views(self.__dict__.setdefault("_views", {}), name, p, g, m, v),
                              *scalars)
            else:
                m *= b1
                m += one_minus_b1 * g                  # m <- b1 m + (1 - b1) g
                v *= b2
                v += one_minus_b2 * g * g              # v <- b2 v + (1 - b2) g^2
                p -= lr_t * m / (np.sqrt(v) + eps_t)   # p <- p - lr_t m / (sqrt(v) + eps_t)
            if self.t % 100 == 0:
                _flush_tiny(m)
                _flush_tiny(v)

    def _scalars(self, dtype: np.dtype, t: int) -> tuple[np.floating, ...]:
        """``b1, b2, 1 - b1, 1 - b2, lr_t, eps_t`` for step ``t``, in ``dtype``."""
        root = np.sqrt(1.0 - self.beta2**t)
        values = (self.beta1, self.beta2, 1.0 - self.beta1, 1.0 - self.beta2,
                  self.lr * root / (1.0 - self.beta1**t), self.eps * root)
        return tuple(dtype.type(x) for x in values)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_views", None)  # views of arrays a copy does not share
        return state

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019)::

        p <- p - lr * wd * p                   decay, only for the names in ``decay``
        then Adam's update, on gradients without any decay term

    Unlike L2 decay added to the gradient (``Adam(weight_decay=...)``), the
    decay is not divided by Adam's ``sqrt(v_hat)``, so every weight shrinks
    at the same rate. By default it applies to weights, not to biases or
    normalisation parameters (``Network.decay_names``). Parameters as
    ``Adam``'s; ``weight_decay`` defaults to 0.01.
    """

    decoupled_decay = True

    def __init__(self, lr: float = 1e-3, *, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01,
                 clip_norm: float | None = None, fused: bool | None = None) -> None:
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                         clip_norm=clip_norm, fused=fused)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e)::

        v <- rho v + (1 - rho) g^2             running mean of g^2
        p <- p - lr * g / (sqrt(v) + eps)      each weight's step scaled by its own RMS

    Parameters
    ----------
    lr : learning rate (default 0.001)
    rho : decay of the running mean, in [0, 1)
    eps : added to the root for stability
    """

    slots = ("v",)

    def __init__(self, lr: float = 1e-3, *, rho: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0, clip_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm)
        self.rho = check_non_negative(rho, "rho", upper=1.0, strict_upper=True)
        self.eps = check_positive(eps, "eps")

    def _update(self, entries: list[Triple]) -> None:
        for name, p, g in entries:
            dt = p.dtype.type
            v = self._slot("v", name, p)
            v *= dt(self.rho)
            v += dt(1.0 - self.rho) * g * g                # v <- rho v + (1 - rho) g^2
            p -= dt(self.lr) * g / (np.sqrt(v) + dt(self.eps))  # p <- p - lr g / (sqrt(v) + eps)
            if self.t % 100 == 0:
                _flush_tiny(v)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "eps": self.eps}


def _flush_tiny(a: NDArray) -> None:
    """Set values too small to matter to zero before they become subnormal.

    A moment that receives only zero gradients (a pixel that is never lit)
    decays geometrically and, after a few hundred steps, reaches subnormal
    numbers, on which the CPU's arithmetic is many times slower. Anything
    below ``2**24`` times the smallest normal number has no effect on the
    update, so it is flushed a hundred steps before it could get there.
    """
    np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny * 2.0**24)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW,
                                          "rmsprop": RMSprop}


def register_optimizer(cls: type[Optimizer], name: str | None = None) -> type[Optimizer]:
    """Make an Optimizer subclass known (for ``get_optimizer`` and model files)."""
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise TypeError(f"register_optimizer takes an Optimizer subclass, got {cls!r}")
    key = (name or cls.__name__).lower()
    known = OPTIMIZERS.get(key)
    if known is not None and known is not cls:
        raise ValueError(f"a different optimizer is already registered as {key!r}")
    OPTIMIZERS[key] = cls
    return cls


def get_optimizer(optimizer: str | Optimizer | None, **kwargs: Any) -> Optimizer:
    """An Optimizer from a name (with ``kwargs``) or an instance; None means Adam()."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    name = check_choice("adam" if optimizer is None else optimizer, OPTIMIZERS, "optimizer")
    return OPTIMIZERS[name](**kwargs)
