"""Fused update kernels, compiled by Numba when it is installed (the ``fast`` extra).

Two kernels: ``adam_kernel`` for ``glassnet.optimizers.Adam`` and
``outer_step_kernel`` for the book's one-sample update in ``glassnet.classic``.

Why a compiled loop at all: NumPy runs an update rule as a sequence of
whole-array passes. Adam's textbook expressions are about a dozen passes
and temporaries, each reading and writing arrays the size of the model
(parameters, gradients and two moments alone are 4 x 0.94 MB for a
784-256-128-10 network, more than the CPU's per-core L2 cache), so the
update is bound by memory traffic, not arithmetic. One loop per array that
reads each element once does the same work in a fraction of the time
(measured inside the training step with ``python -m benchmarks.profile_step``
and ``--numpy-adam``; see the README's Performance section).

Each kernel computes the same expression as the NumPy path of its optimizer,
operation for operation and in the same order, so both paths give the same
bits (``tests/test_fused.py`` checks it). Without Numba, or with
``fused=False``, the optimizers take the NumPy path; nothing else changes.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FUSE_FROM", "numba_available", "check_fused", "adam_kernel", "flat_views",
           "outer_step_kernel"]

# Below this many parameters an update is quick in NumPy anyway, and fusing
# it would not repay loading the compiler (about 0.5 s and 100 MiB, once per
# process): the default ``fused=None`` then keeps the NumPy path.
FUSE_FROM = 2**16


@functools.cache
def numba_available() -> bool:
    """Whether Numba is installed and imports (tried once per process; the import takes ~0.4 s).

    An installation that fails to import (say, built for another NumPy) counts
    as absent, with a warning, so that training falls back to NumPy instead
    of failing where nobody asked for Numba.
    """
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        import numba  # noqa: F401
    except Exception as exc:  # any import-time failure of a broken installation
        warnings.warn(f"Numba is installed but cannot be imported ({exc!r}); glassnet "
                      "runs its updates in NumPy instead", RuntimeWarning, stacklevel=2)
        return False
    return True


def check_fused(fused: Any, owner: str) -> bool | None:
    """``fused`` as given, once it is True, False or None and True can be honoured here.

    ``owner`` names the caller in the error, e.g. ``"Adam"``.
    """
    if fused not in (None, True, False):
        raise TypeError(f"fused must be True, False or None, got {fused!r}")
    if fused and not numba_available():
        raise ImportError(f"{owner}(fused=True) needs Numba, installed and importable: "
                          "pip install 'glassnet[fast]'")
    return None if fused is None else bool(fused)


@functools.cache
def adam_kernel() -> Callable[..., Any]:
    """The compiled Adam step over one flat array.

    ``(p, g, m, v, b1, b2, one_minus_b1, one_minus_b2, lr_t, eps_t)``:
    updates ``p``, ``m`` and ``v`` in place with exactly the NumPy
    expressions of ``glassnet.optimizers.Adam``, element by element and in
    the same order, so both give the same bits. Compiled on first use for
    the dtypes it is called with (about a second, then cached on disk by Numba).
    """
    import numba
    import numpy as np

    # error_model="numpy": division by zero gives inf/nan as in NumPy instead
    # of a Python exception check per element, which would stop the loop from
    # being vectorised (about 4x slower). No fastmath: the result must match
    # the NumPy path bit for bit.
    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def adam_step(p, g, m, v, b1, b2, one_minus_b1, one_minus_b2, lr_t, eps_t):
        for i in range(p.size):
            g_i = g[i]
            m_i = m[i] * b1 + one_minus_b1 * g_i          # m <- b1 m + (1 - b1) g
            v_i = v[i] * b2 + one_minus_b2 * g_i * g_i    # v <- b2 v + (1 - b2) g^2
            m[i] = m_i
            v[i] = v_i
            p[i] -= lr_t * m_i / (np.sqrt(v_i) + eps_t)

    return adam_step


@functools.cache
def outer_step_kernel() -> Callable[..., Any]:
    """The compiled one-sample step ``(W, x, delta, lr)``: ``W <- W - lr * outer(x, delta)``.

    The weight gradient of one sample is the outer product of the layer's
    input ``x`` (n_in,) and its output gradient ``delta`` (n_out,). Written
    out as an array and then applied by an optimizer, that is three passes
    over ``W`` (n_in, n_out) for a few thousand multiplications each; this
    loop makes one. Per element it computes ``W - lr * (x_i * delta_j)``,
    exactly what ``Dense.backward_params`` followed by ``SGD.step`` compute.
    """
    import numba

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def outer_step(W, x, delta, lr):
        for i in range(x.size):
            x_i = x[i]
            for j in range(delta.size):
                W[i, j] -= lr * (x_i * delta[j])

    return outer_step


def flat_views(views: dict[str, Any], name: str, p: NDArray, g: NDArray, m: NDArray,
               v: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """1-D views of the four arrays for the kernel, kept in ``views`` while the arrays stay.

    Layers keep their arrays from step to step, so the views are made once;
    making them anew for every array at every step cost about 10% of the
    update (measured with ``python -m benchmarks.profile_step``).
    """
    if not g.flags.c_contiguous:  # its 1-D form is a copy: make it afresh every step
        return p.reshape(-1), np.ravel(g), m.reshape(-1), v.reshape(-1)
    kept = views.get(name)
    if kept is None or kept[0] is not p or kept[1] is not g or kept[2] is not m \
            or kept[3] is not v:
        kept = views[name] = (p, g, m, v, p.reshape(-1), g.reshape(-1), m.reshape(-1),
                              v.reshape(-1))
    return kept[4], kept[5], kept[6], kept[7]
