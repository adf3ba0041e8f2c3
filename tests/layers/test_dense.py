import numpy as np
import pytest

from glassnet.errors import DTypeError, ShapeError
from glassnet.layers import Dense


def test_forward_is_affine_map():
    layer = Dense(3, 2, dtype=np.float64)
    layer.params["W"][...] = [[1, 2], [3, 4], [5, 6]]
    layer.params["b"][...] = [0.5, -1]
    out = layer.forward(np.array([[1.0, 0, -1], [2, 1, 0]]))
    np.testing.assert_array_equal(out, [[-3.5, -5], [5.5, 7]])


def test_backward_by_hand():
    layer = Dense(2, 2, dtype=np.float64)
    layer.params["W"][...] = [[1, 2], [3, 4]]
    x = np.array([[1.0, 2.0]])
    layer.forward(x, training=True)
    dx = layer.backward(np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(layer.grads["W"], [[1, -1], [2, -2]])
    np.testing.assert_array_equal(layer.grads["b"], [1, -1])
    np.testing.assert_array_equal(dx, [[-1, -1]])


def test_bias_gradient_follows_the_batch_size():
    """db is the column sum of dout for every batch size, as batch sizes alternate."""
    layer = Dense(3, 4, dtype=np.float64, seed=0)
    rng = np.random.default_rng(1)
    for n in (5, 2, 5, 1, 7):
        layer.forward(rng.standard_normal((n, 3)), training=True)
        dout = rng.standard_normal((n, 4))
        layer.backward_params(dout)
        np.testing.assert_allclose(layer.grads["b"], dout.sum(axis=0), rtol=1e-12, atol=1e-12)


def test_bias_false_has_no_b_and_same_seed_same_weights():
    a, b = Dense(4, 3, bias=False, seed=3), Dense(4, 3, bias=False, seed=3)
    assert set(a.params) == {"W"}
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    assert a.params["W"].dtype == np.float32


def test_repr():
    assert repr(Dense(784, 100)) == "Dense(n_in=784, n_out=100, bias=True, init='glorot_uniform')"


@pytest.mark.parametrize("kwargs,match", [
    ({"n_in": 0, "n_out": 3}, "n_in must be a positive integer"),
    ({"n_in": 3, "n_out": -1}, "n_out must be a positive integer"),
    ({"n_in": 3, "n_out": 2.5}, "n_out"),
    ({"n_in": 3, "n_out": 2, "init": "bogus"}, "unknown init 'bogus'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Dense(**kwargs)


def test_bad_dtype_and_input():
    with pytest.raises(DTypeError, match="float32 or float64"):
        Dense(2, 2, dtype=np.int32)
    layer = Dense(3, 2)
    with pytest.raises(ShapeError, match=r"Dense\(n_in=3.*expects input of shape \(n_samples, 3\), "
                                         r"got \(4, 5\)"):
        layer.forward(np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(DTypeError, match="float32 arrays but got float64 input"):
        layer.forward(np.zeros((4, 3)))


def test_the_old_rng_keyword_still_works_with_a_deprecation_warning():
    import pytest

    from glassnet.layers import Dense, Dropout

    old_name = {"rng": 7}  # the spelling of glassnet 0.1
    with pytest.warns(DeprecationWarning, match="use seed="):
        old = Dense(3, 2, **old_name)
    np.testing.assert_array_equal(old.params["W"], Dense(3, 2, seed=7).params["W"])
    with pytest.warns(DeprecationWarning, match="use seed="):
        Dropout(0.5, **old_name)
    with pytest.raises(TypeError, match="seed= only"):
        Dense(3, 2, seed=1, **old_name)


def test_a_scipy_sparse_input_gives_the_dense_results():
    sparse = pytest.importorskip("scipy.sparse", reason="SciPy is not installed")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4)) * (rng.random((6, 4)) < 0.4)
    dout = rng.normal(size=(6, 3))
    dense_layer, sparse_layer = Dense(4, 3, seed=0, dtype=np.float64), \
        Dense(4, 3, seed=0, dtype=np.float64)
    for matrix in (sparse.csr_matrix, sparse.csr_array, sparse.csc_matrix):
        out = sparse_layer.forward(matrix(x), training=True)
        assert isinstance(out, np.ndarray)
        np.testing.assert_allclose(out, dense_layer.forward(x, training=True), rtol=1e-12)
        sparse_layer.backward_params(dout)
        dense_layer.backward_params(dout)
        for key in ("W", "b"):
            np.testing.assert_allclose(sparse_layer.grads[key], dense_layer.grads[key],
                                       rtol=1e-12)
