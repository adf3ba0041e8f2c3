"""Optimizers: the only code that changes parameters.

An optimizer updates one flat parameter vector ``params`` in place from the
matching flat gradient ``grads`` (a ``Network`` keeps all its parameters in
one buffer, weights first: ``params[:n_decay]`` are the ones L2 weight decay
applies to). Working on one long vector instead of a list of small arrays
turns every update into a handful of large NumPy calls.

Every optimizer accepts:

- ``lr``: the learning rate, > 0;
- ``weight_decay``: L2 penalty ``(wd / 2) * ||W||^2`` added to the loss, so
  ``g <- g + wd * W`` for the weights (not the biases);
- ``clip_norm``: if set, ``g <- g * min(1, clip_norm / ||g||)`` (global norm).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._aligned import aligned_zeros
from ._fused import FUSE_FROM, adam_kernel, check_fused, numba_available
from ._validation import check_choice, check_non_negative, check_positive
from .errors import DTypeError

__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS", "get_optimizer"]


class Optimizer:
    """Base class: regularisation and clipping shared by every update rule."""

    def __init__(self, lr: float, *, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        self.lr = check_positive(lr, "lr")
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")
        self.clip_norm = None if clip_norm is None else check_positive(clip_norm, "clip_norm")
        self.t = 0  # number of steps taken
        self.state: dict[str, NDArray] = {}
        self._scratch: NDArray | None = None

    def step(self, params: NDArray, grads: NDArray, *, n_decay: int | None = None) -> None:
        """Update ``params`` in place from ``grads`` (both flat, same size and dtype).

        ``grads`` may be modified (decay and clipping are applied to it in place).
        """
        if params.shape != grads.shape or params.ndim != 1:
            raise ValueError(
                f"{self!r}.step expects flat params and grads of one shape, "
                f"got {params.shape} and {grads.shape}"
            )
        if params.dtype != grads.dtype:
            raise DTypeError(f"{self!r}.step expects params and grads of one dtype, got "
                             f"{params.dtype} and {grads.dtype}; convert the gradients with "
                             f"grads.astype(np.{params.dtype})")
        if not params.flags.writeable:
            raise ValueError(f"{self!r}.step updates params in place, but they are read-only; "
                             "pass a writeable array (e.g. params.copy())")
        n_decay = params.size if n_decay is None else n_decay
        if self.weight_decay:
            decayed = grads[:n_decay]
            decayed += self.weight_decay * params[:n_decay]
        if self.clip_norm is not None:
            norm = float(np.sqrt(np.dot(grads, grads)))
            if norm > self.clip_norm:
                grads *= grads.dtype.type(self.clip_norm / norm)
        self.t += 1
        self._update(params, grads)

    def _update(self, params: NDArray, grads: NDArray) -> None:
        raise NotImplementedError

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the state arrays this optimizer keeps (each the size of the parameters)."""
        return ()

    def _slot(self, name: str, like: NDArray) -> NDArray:
        """The state array ``name``, created as zeros like ``like`` on first use."""
        slot = self.state.get(name)
        if slot is None or slot.shape != like.shape or slot.dtype != like.dtype:
            if slot is not None:
                raise ValueError(
                    f"{self!r} holds state {name!r} of shape {slot.shape} ({slot.dtype}) but "
                    f"the parameters are {like.shape} ({like.dtype}); "
                    "use a fresh optimizer for a different network"
                )
            slot = self.state[name] = aligned_zeros(like.size, like.dtype).reshape(like.shape)
        return slot

    def _scratch_like(self, like: NDArray) -> NDArray:
        """A work array the size of the parameters, reused across steps (not state)."""
        scratch = self._scratch
        if scratch is None or scratch.shape != like.shape or scratch.dtype != like.dtype:
            scratch = self._scratch = aligned_zeros(like.size, like.dtype).reshape(like.shape)
        return scratch

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
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm)
        self.momentum = check_non_negative(momentum, "momentum", upper=1.0, strict_upper=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def _update(self, params: NDArray, grads: NDArray) -> None:
        dt = params.dtype.type
        step = grads
        if self.momentum:
            mu = dt(self.momentum)
            velocity = self._slot("velocity", params)
            velocity *= mu
            velocity += grads                    # v <- mu v + g
            if self.nesterov:
                scaled = np.multiply(velocity, mu, out=self._scratch_like(params))
                step += scaled                   # step = g + mu v
            else:
                step = velocity                  # step = v
        np.multiply(step, dt(self.lr), out=grads)
        params -= grads                          # p <- p - lr step

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("velocity",) if self.momentum else ()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015).

    The textbook update, with ``m_hat = m / (1 - b1^t)`` and ``v_hat = v / (1 - b2^t)``::

        m <- b1 m + (1 - b1) g
        v <- b2 v + (1 - b2) g^2
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    How it is computed: the state keeps the moments without their ``(1 - b)``
    factors, ``m_sum = m / (1 - b1)`` and ``v_sum = v / (1 - b2)``, which obey
    ``m_sum <- b1 m_sum + g`` and ``v_sum <- b2 v_sum + g^2`` (two fewer passes
    over the parameters), and every constant is folded into two scalars:
    ``p <- p - lr_t * m_sum / (sqrt(v_sum) + eps_t)`` with
    ``lr_t = lr (1 - b1) sqrt(1 - b2^t) / ((1 - b1^t) sqrt(1 - b2))`` and
    ``eps_t = eps sqrt(1 - b2^t) / sqrt(1 - b2)``. Algebraically this is the
    textbook update; ten in-place passes over one flat vector, no temporaries.

    ``fused`` chooses how the update runs, never what it computes: ``True``
    runs it as one compiled loop (needs Numba, the ``fast`` extra; about 3x
    faster, see ``glassnet._fused``), ``False`` as the ten NumPy passes, and
    ``None`` (default) fuses when Numba is installed and the network has at
    least ``glassnet._fused.FUSE_FROM`` (65,536) parameters: below that the
    update is quick anyway and would not repay loading the compiler (about
    0.5 s and 100 MiB). Both paths give the same bits. It is not saved with
    a model.
    """

    def __init__(self, lr: float = 1e-3, *, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None, fused: bool | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm)
        self.beta1 = check_non_negative(beta1, "beta1", upper=1.0, strict_upper=True)
        self.beta2 = check_non_negative(beta2, "beta2", upper=1.0, strict_upper=True)
        self.eps = check_positive(eps, "eps")
        self.fused = check_fused(fused, "Adam")

    def _update(self, params: NDArray, grads: NDArray) -> None:
        dt = params.dtype.type
        b1, b2, t = self.beta1, self.beta2, self.t
        m_sum = self._slot("m_sum", params)
        v_sum = self._slot("v_sum", params)
        root = np.sqrt((1.0 - b2**t) / (1.0 - b2))
        neg_lr_t = dt(-self.lr * (1.0 - b1) / (1.0 - b1**t) * root)
        eps_t = dt(self.eps * root)

        if self.fused or (self.fused is None and params.size >= FUSE_FROM
                          and numba_available()):
            adam_kernel()(params, grads, m_sum, v_sum, dt(b1), dt(b2), neg_lr_t, eps_t)
        else:
            self._numpy_update(params, grads, m_sum, v_sum, dt(b1), dt(b2), neg_lr_t, eps_t)
        if t % 100 == 0:
            _flush_tiny(m_sum)
            _flush_tiny(v_sum)

    def _numpy_update(self, params: NDArray, grads: NDArray, m_sum: NDArray, v_sum: NDArray,
                      b1: np.floating, b2: np.floating, neg_lr_t: np.floating,
                      eps_t: np.floating) -> None:
        g2 = self._scratch_like(params)
        m_sum *= b1
        m_sum += grads                       # m_sum <- b1 m_sum + g
        np.multiply(grads, grads, out=g2)
        v_sum *= b2
        v_sum += g2                          # v_sum <- b2 v_sum + g^2
        step = np.sqrt(v_sum, out=g2)
        step += eps_t
        np.divide(m_sum, step, out=step)
        step *= neg_lr_t
        params += step                       # p <- p - lr_t m_sum / (sqrt(v_sum) + eps_t)

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("m_sum", "v_sum")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


def _flush_tiny(a: NDArray) -> None:
    """Set values too small to matter to zero before they become subnormal.

    A moment that receives only zero gradients (a pixel that is never lit)
    decays geometrically and, after a few hundred steps, reaches subnormal
    numbers, on which the CPU's arithmetic is many times slower. Anything
    below ``2**24`` times the smallest normal number has no effect on the
    update, so it is flushed a hundred steps before it could get there.
    """
    np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny * 2.0**24)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def get_optimizer(optimizer: str | Optimizer | None, **kwargs: Any) -> Optimizer:
    """An Optimizer from a name (with ``kwargs``) or an instance; None means Adam()."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    name = check_choice("adam" if optimizer is None else optimizer, OPTIMIZERS, "optimizer")
    return OPTIMIZERS[name](**kwargs)
