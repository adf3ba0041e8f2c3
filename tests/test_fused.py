"""The compiled Adam step: the same bits as the NumPy path, chosen as documented."""

import numpy as np
import pytest

import glassnet._fused as fused_module
import glassnet.optimizers as optimizers
from glassnet._fused import FUSE_FROM
from glassnet.optimizers import Adam


def run_adam(fused, dtype, *, n=5000, steps=250, **kwargs):
    """Parameters and state after ``steps`` Adam steps on sparse, wide-ranging gradients."""
    rng = np.random.default_rng(3)
    p = rng.standard_normal(n).astype(dtype)
    opt = Adam(1e-2, fused=fused, **kwargs)
    for _ in range(steps):
        scale = 10.0 ** rng.integers(-6, 2)
        g = rng.standard_normal(n) * scale * (rng.random(n) < 0.4)  # many exact zeros
        opt.step(p, g.astype(dtype))
    return p, opt.state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, {"weight_decay": 1e-2, "clip_norm": 1.0},
                                    {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3}])
def test_fused_step_gives_the_same_bits_as_numpy(dtype, kwargs):
    pytest.importorskip("numba", reason="the fused step needs Numba (the 'fast' extra)")
    p_fused, s_fused = run_adam(True, dtype, **kwargs)
    p_numpy, s_numpy = run_adam(False, dtype, **kwargs)
    assert p_fused.dtype == dtype
    np.testing.assert_array_equal(p_fused, p_numpy)
    for slot in ("m", "v"):
        np.testing.assert_array_equal(s_fused[slot]["0"], s_numpy[slot]["0"])


def test_fused_step_handles_a_strided_vector():
    pytest.importorskip("numba", reason="the fused step needs Numba (the 'fast' extra)")
    rng = np.random.default_rng(0)
    base = rng.standard_normal(200)
    a, b = base[::2].copy(), base.copy()[::2]  # contiguous and strided views of the same values
    g = rng.standard_normal(100)
    Adam(0.1, fused=True).step(b, g.copy())
    Adam(0.1, fused=False).step(a, g.copy())
    np.testing.assert_array_equal(a, b)


def test_fused_true_without_numba_names_the_extra(monkeypatch):
    monkeypatch.setattr(fused_module, "numba_available", lambda: False)
    with pytest.raises(ImportError, match=r"glassnet\[fast\]"):
        Adam(fused=True)


def test_fused_must_be_a_bool_or_none():
    with pytest.raises(TypeError, match="fused must be True, False or None, got 'yes'"):
        Adam(fused="yes")


@pytest.mark.parametrize("fused, size, installed, expect_kernel", [
    (None, FUSE_FROM, True, True),        # large enough, Numba there: fused
    (None, FUSE_FROM - 1, True, False),   # too small to repay the compiler
    (None, FUSE_FROM, False, False),      # no Numba: NumPy
    (False, FUSE_FROM, True, False),      # asked for NumPy
    (True, 10, True, True),                    # asked for the kernel, whatever the size
])
def test_which_path_runs(monkeypatch, fused, size, installed, expect_kernel):
    calls = []

    def fake_kernel(params, grads, m, v, *scalars):
        calls.append(params.size)

    monkeypatch.setattr(optimizers, "numba_available", lambda: installed)
    monkeypatch.setattr(fused_module, "numba_available", lambda: installed)
    monkeypatch.setattr(optimizers, "adam_kernel", lambda: fake_kernel)
    p = np.zeros(size, dtype=np.float32)
    Adam(fused=fused).step(p, np.ones(size, dtype=np.float32))
    assert calls == ([size] if expect_kernel else [])
    assert np.all(p == 0) == expect_kernel  # the NumPy path moved the parameters


def test_outer_step_kernel_is_the_gradient_then_sgd_step():
    pytest.importorskip("numba", reason="the fused step needs Numba (the 'fast' extra)")
    from glassnet._fused import outer_step_kernel

    rng = np.random.default_rng(5)
    W = rng.standard_normal((7, 5))
    x, delta = rng.standard_normal(7), rng.standard_normal(5)
    expected = W.copy()
    grads = np.dot(x[:, None], delta[None, :])   # as Dense.backward_params, one sample
    np.multiply(grads, 0.3, out=grads)           # as SGD.step: p <- p - lr g
    expected -= grads
    outer_step_kernel()(W, x, delta, 0.3)
    np.testing.assert_array_equal(W, expected)


def test_a_numba_that_cannot_be_imported_counts_as_absent(monkeypatch):
    """A broken installation falls back to NumPy, with a warning, where nobody asked for Numba."""
    import builtins
    import importlib.util

    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "numba":
            raise ImportError("numba built for another NumPy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())  # "installed"
    monkeypatch.setattr(builtins, "__import__", failing_import)
    fused_module.numba_available.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="cannot be imported.*NumPy instead"):
            assert fused_module.numba_available() is False
    finally:
        fused_module.numba_available.cache_clear()


def test_fused_and_numpy_agree_with_per_parameter_step_counts():
    """A parameter that joins late takes its own first (bias-corrected) step on both paths."""
    pytest.importorskip("numba", reason="the fused step needs Numba (the 'fast' extra)")
    rng = np.random.default_rng(5)
    a0, b0 = rng.standard_normal(300), rng.standard_normal(300)
    results = []
    for fused in (True, False):
        a, b = a0.copy(), b0.copy()
        opt = Adam(1e-2, fused=fused)
        gens = np.random.default_rng(1)
        for t in range(8):
            entries = [("a", a, gens.standard_normal(300))]
            if t >= 5:  # "b" unfrozen after 5 steps
                entries.append(("b", b, gens.standard_normal(300)))
            opt.step(entries)
        assert opt.steps == {"a": 8, "b": 3} and opt.t == 8
        results.append((a, b))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
