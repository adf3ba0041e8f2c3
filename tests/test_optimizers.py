import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import SGD, Adam, AdamW, get_optimizer


def test_sgd_step_by_hand():
    p = np.array([1.0, 2.0])
    SGD(0.1).step(p, np.array([0.5, -1.0]))
    np.testing.assert_allclose(p, [0.95, 2.1])


def test_sgd_momentum_by_hand():
    p = np.array([1.0])
    opt = SGD(0.1, momentum=0.9)
    opt.step(p, np.array([1.0]))       # v = 1,   p = 1 - 0.1
    opt.step(p, np.array([1.0]))       # v = 1.9, p = 0.9 - 0.19
    np.testing.assert_allclose(p, [0.71])


def test_sgd_nesterov_by_hand():
    p = np.array([1.0])
    opt = SGD(0.1, momentum=0.9, nesterov=True)
    opt.step(p, np.array([1.0]))       # v = 1;   p -= 0.1 * (1 + 0.9 * 1)
    opt.step(p, np.array([1.0]))       # v = 1.9; p -= 0.1 * (1 + 0.9 * 1.9)
    np.testing.assert_allclose(p, [1 - 0.19 - 0.271])


def textbook_adam(p, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """Adam as written in the paper, with explicit bias-corrected moments."""
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def test_adam_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(50)
    grads = [rng.standard_normal(50) * 10.0**-rng.integers(0, 6) for _ in range(250)]
    p = p0.copy()
    opt = Adam(1e-2)
    for g in grads:
        opt.step(p, g.copy())
    np.testing.assert_allclose(p, textbook_adam(p0, grads, lr=1e-2), rtol=1e-10, atol=1e-12)
    assert opt.t == 250


def test_adam_float32_tracks_float64():
    rng = np.random.default_rng(1)
    p64 = rng.standard_normal(100)
    p32 = p64.astype(np.float32)
    o64, o32 = Adam(1e-3), Adam(1e-3)
    for _ in range(50):
        g = rng.standard_normal(100)
        o64.step(p64, g.copy())
        o32.step(p32, g.astype(np.float32))
    assert p32.dtype == np.float32
    np.testing.assert_allclose(p32, p64, rtol=1e-5, atol=1e-5)


def test_adam_flushes_moments_before_they_become_subnormal():
    p = np.ones(4, dtype=np.float32)
    opt = Adam(1e-3)
    opt.step(p, np.full(4, 1e-3, dtype=np.float32))
    for _ in range(999):
        opt.step(p, np.zeros(4, dtype=np.float32))
    m = opt.state["m"]["0"]
    tiny = np.finfo(np.float32).tiny
    assert not np.any((m != 0) & (np.abs(m) < tiny)), "subnormal values in Adam's first moment"
    assert np.all(m == 0)  # 0.9**999 * 1e-4 is far below anything that matters


def test_weight_decay_applies_to_the_named_parameters_only():
    w, b = np.array([1.0, 1.0]), np.array([1.0])
    SGD(0.1, weight_decay=0.5).step([("W", w, np.zeros(2)), ("b", b, np.zeros(1))],
                                    decay={"W"})
    np.testing.assert_allclose(w, [0.95, 0.95])
    np.testing.assert_allclose(b, [1.0])


def test_weight_decay_without_names_decays_matrices_not_biases():
    """Pairs carry no names, so the shape decides: weights (2-D and up) decay, vectors
    (biases, normalisation scales) do not; a vector decays when named in ``decay``."""
    W, b = np.ones((2, 2)), np.array([1.0])
    SGD(0.1, weight_decay=0.5).step([(W, np.zeros((2, 2))), (b, np.zeros(1))])
    np.testing.assert_allclose(W, 0.95)
    np.testing.assert_allclose(b, [1.0])
    AdamW(0.1, weight_decay=0.5).step([(W, np.zeros((2, 2))), (b, np.zeros(1))])
    np.testing.assert_allclose(W, 0.95 * 0.95)
    np.testing.assert_allclose(b, [1.0])
    SGD(0.1, weight_decay=0.5).step([(b, np.zeros(1))], decay={"0"})
    np.testing.assert_allclose(b, [0.95])


def test_a_learner_can_step_one_array_in_every_spelling():
    for call in (lambda o, w, g: o.step(w, g), lambda o, w, g: o.step([(w, g)]),
                 lambda o, w, g: o.step([("w", w, g)])):
        w = np.array([1.0, -2.0])
        call(SGD(0.1), w, np.array([1.0, 1.0]))
        np.testing.assert_allclose(w, [0.9, -2.1])


def test_state_is_keyed_by_parameter_name():
    a, b = np.zeros(3), np.zeros(2)
    opt = Adam()
    opt.step([("a", a, np.ones(3)), ("b", b, np.ones(2))])
    assert set(opt.state["m"]) == {"a", "b"} and opt.state["v"]["b"].shape == (2,)
    opt.reset()
    assert opt.t == 0 and opt.state == {"m": {}, "v": {}}


def test_clip_norm_is_global_over_every_parameter():
    a, b = np.zeros(1), np.zeros(1)
    SGD(1.0, clip_norm=1.0).step([(a, np.array([3.0])), (b, np.array([4.0]))])
    np.testing.assert_allclose([a[0], b[0]], [-0.6, -0.8])


def test_bad_step_items_are_refused():
    opt = SGD(0.1)
    with pytest.raises(TypeError, match="triples"):
        opt.step([(np.zeros(1),)])
    with pytest.raises(TypeError, match="NumPy arrays"):
        opt.step([([0.0], [1.0])])
    with pytest.raises(TypeError, match="needs the gradient"):
        opt.step(np.zeros(1))


def test_clip_norm():
    p = np.zeros(2)
    SGD(1.0, clip_norm=1.0).step(p, np.array([3.0, 4.0]))
    np.testing.assert_allclose(p, [-0.6, -0.8])
    p = np.zeros(2)
    SGD(1.0, clip_norm=10.0).step(p, np.array([3.0, 4.0]))  # under the limit: untouched
    np.testing.assert_allclose(p, [-3.0, -4.0])


@pytest.mark.parametrize("make,match", [
    (lambda: SGD(-0.1), "lr must be > 0, got -0.1"),
    (lambda: SGD(0.0), "lr must be > 0"),
    (lambda: Adam(float("nan")), "lr must be a finite number"),
    (lambda: SGD(0.1, momentum=1.0), "momentum must be < 1"),
    (lambda: SGD(0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: Adam(beta1=1.2), "beta1"),
    (lambda: Adam(weight_decay=-1), "weight_decay must be >= 0"),
    (lambda: Adam(clip_norm=0), "clip_norm must be > 0"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_state_is_tied_to_one_parameter_size():
    opt = Adam()
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="fresh optimizer"):
        opt.step(np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match=r"shape \(3,\) but its gradient \(4,\)"):
        opt.step(np.zeros(3), np.ones(4))


@pytest.mark.parametrize("fused", [False, None])
def test_step_refuses_mixed_dtypes_and_read_only_params(fused):
    from glassnet.errors import DTypeError

    opt = Adam(fused=fused)
    with pytest.raises(DTypeError, match="float32 but its gradient is float64.*astype"):
        opt.step(np.zeros(3, np.float32), np.ones(3, np.float64))
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        opt.step(frozen, np.ones(3))


def test_get_optimizer():
    assert isinstance(get_optimizer(None), Adam)
    assert get_optimizer("sgd", lr=0.5).lr == 0.5
    with pytest.raises(ValueError, match="choose one of"):
        get_optimizer("adagrad")


# -- AdamW, RMSprop and the order of decay and clipping -------------------------
def test_adamw_decay_is_decoupled_and_only_for_the_named_parameters():
    w, b = np.full(3, 2.0), np.full(3, 2.0)
    zero = np.zeros(3)
    opt = gn.AdamW(0.1, weight_decay=0.5)
    opt.step([("0.W", w, zero.copy()), ("0.b", b, zero.copy())], decay={"0.W"})
    # zero gradient: Adam moves nothing, the decay shrinks W by lr * wd = 5%, not b
    np.testing.assert_allclose(w, 2.0 * (1 - 0.1 * 0.5))
    np.testing.assert_array_equal(b, 2.0)


def test_adamw_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(5)]
    p = p0.copy()
    opt = gn.AdamW(0.01, weight_decay=0.1)
    tp = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.AdamW([tp], lr=0.01, weight_decay=0.1, eps=1e-8)
    for g in grads:
        opt.step([("w", p, g.copy())])
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_rmsprop_matches_the_formula_and_torch():
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(4)]
    p, v = p0.copy(), np.zeros(5)
    opt, mine = gn.RMSprop(0.01, rho=0.9), p0.copy()
    for g in grads:
        v = 0.9 * v + 0.1 * g * g
        p = p - 0.01 * g / (np.sqrt(v) + 1e-8)
        opt.step([("w", mine, g.copy())])
    np.testing.assert_allclose(mine, p, rtol=1e-12)
    torch = pytest.importorskip("torch")
    tp = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.RMSprop([tp], lr=0.01, alpha=0.9, eps=1e-8)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(mine, tp.detach().numpy(), rtol=1e-6)


def test_l2_decay_is_added_before_clipping():
    # gradient 0 and W = 3 with wd = 1: the decay term 3 is then clipped to norm 1
    w = np.array([3.0])
    gn.SGD(1.0, weight_decay=1.0, clip_norm=1.0).step([("w", w, np.zeros(1))], decay={"w"})
    np.testing.assert_allclose(w, [2.0])


@pytest.mark.parametrize("make", [lambda: gn.AdamW(0.01, weight_decay=0.1),
                                  lambda: gn.RMSprop(0.01, rho=0.8)])
def test_new_optimizers_save_and_load_through_io(tmp_path, make):
    from glassnet.datasets import make_moons

    X, y = make_moons(100, noise=0.2, seed=0)
    net = gn.mlp([2, 8, 2], seed=0)
    net.fit(X, y, optimizer=make(), epochs=2, batch_size=20, verbose=0)
    path = gn.io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer)
    back = gn.io.load(path)
    assert repr(back.optimizer) == repr(net.optimizer) and back.optimizer.t == net.optimizer.t
    for slot, arrays in net.optimizer.state.items():
        for name, value in arrays.items():
            np.testing.assert_array_equal(back.optimizer.state[slot][name], value)
    # continuing both gives the same bits
    net.fit(X, y, epochs=1, batch_size=20, shuffle=False, verbose=0)
    back.fit(X, y, optimizer=back.optimizer, epochs=1, batch_size=20, shuffle=False, verbose=0)
    for a, b in zip(net.get_weights().values(), back.get_weights().values(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not __import__("glassnet._fused", fromlist=["x"]).numba_available(),
                    reason="the fused update needs Numba")
def test_adamw_fused_and_numpy_give_the_same_bits():
    rng = np.random.default_rng(2)
    p0 = rng.normal(size=(64, 32)).astype(np.float32)
    grads = [rng.normal(size=(64, 32)).astype(np.float32) for _ in range(3)]
    results = []
    for fused in (False, True):
        p = p0.copy()
        opt = gn.AdamW(0.01, weight_decay=0.1, fused=fused)
        for g in grads:
            opt.step([("0.W", p, g.copy())], decay={"0.W"})
        results.append(p)
    np.testing.assert_array_equal(results[0], results[1])
