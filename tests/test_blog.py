import numpy as np
import pytest

from glassnet.blog import NeuralNetwork, sum_squares_gradient_scale
from glassnet.errors import DTypeError, ShapeError
from glassnet.losses import Loss, MeanSquaredError, SumSquaredError, get_loss

# The table the blog trains on: the output is x0 XOR x1 (the third input is always 1).
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
Y = np.array([[0], [1], [1], [0]])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(s):
    return s * (1.0 - s)


def blog_backprop(x, y, w1, w2, lr=1.0, b1=None, b2=None):
    """The blog's feedforward and backprop written out in NumPy; returns the new weights."""
    z1 = x @ w1 + (0 if b1 is None else b1)
    layer1 = sigmoid(z1)
    output = sigmoid(layer1 @ w2 + (0 if b2 is None else b2))
    delta2 = 2 * (y - output) * sigmoid_derivative(output)
    d_weights2 = layer1.T @ delta2
    delta1 = (delta2 @ w2.T) * sigmoid_derivative(layer1)
    d_weights1 = x.T @ delta1
    new = [w1 + lr * d_weights1, w2 + lr * d_weights2]
    if b1 is not None:
        new += [b1 + lr * delta1.sum(axis=0), b2 + lr * delta2.sum(axis=0)]
    return new


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_blogs_loop_learns_its_table(seed):
    nn = NeuralNetwork(X, Y, seed=seed)
    for _ in range(1500):
        nn.feedforward()
        nn.backprop()
    assert nn.output.shape == (4, 1)
    assert np.abs(nn.output - Y).max() < 0.1


def test_shapes_start_and_engine_arrays():
    nn = NeuralNetwork(X, Y, seed=0)
    assert nn.weights1.shape == (3, 4) and nn.weights2.shape == (4, 1)
    assert nn.weights1.dtype == np.float64 and nn.network.dtype == np.float64
    for w in (nn.weights1, nn.weights2):
        assert w.min() >= 0.0 and w.max() < 1.0
    # the blog's weights are the engine's arrays, not copies
    assert nn.weights1 is nn.network.layers[0].params["W"]
    assert nn.weights2 is nn.network.layers[2].params["W"]
    np.testing.assert_array_equal(nn.output, np.zeros((4, 1)))
    big = NeuralNetwork(np.random.default_rng(0).random((500, 2)), np.zeros((500, 1)), seed=0)
    assert big.weights1.mean() == pytest.approx(0.5, abs=0.2)


def test_same_seed_same_start_and_seed_none_differs():
    a, b = NeuralNetwork(X, Y, seed=3), NeuralNetwork(X, Y, seed=3)
    np.testing.assert_array_equal(a.weights1, b.weights1)
    c, d = NeuralNetwork(X, Y), NeuralNetwork(X, Y)
    assert not np.array_equal(c.weights1, d.weights1)


@pytest.mark.parametrize("lr", [1.0, 0.3])
def test_one_backprop_is_the_blogs_formula(lr):
    nn = NeuralNetwork(X, Y, seed=5, hidden=4, lr=lr)
    w1, w2 = nn.weights1.copy(), nn.weights2.copy()
    nn.feedforward()
    np.testing.assert_allclose(nn.layer1, sigmoid(X @ w1), rtol=1e-14)
    np.testing.assert_allclose(nn.output, sigmoid(sigmoid(X @ w1) @ w2), rtol=1e-14)
    nn.backprop()
    new_w1, new_w2 = blog_backprop(X.astype(float), Y.astype(float), w1, w2, lr=lr)
    np.testing.assert_allclose(nn.weights2, new_w2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(nn.weights1, new_w1, rtol=1e-13, atol=1e-15)
    assert not np.allclose(nn.weights1, w1)  # the step did change something


def test_one_backprop_with_biases_and_two_outputs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 2)), rng.random((6, 2))
    nn = NeuralNetwork(x, y, hidden=3, bias=True, lr=0.7, seed=1)
    b1, b2 = nn.network.layers[0].params["b"], nn.network.layers[2].params["b"]
    b1[...] = [0.1, -0.2, 0.3]
    b2[...] = [0.05, -0.05]
    start = [nn.weights1.copy(), nn.weights2.copy(), b1.copy(), b2.copy()]
    nn.feedforward()
    nn.backprop()
    expected = blog_backprop(x, y, start[0], start[1], lr=0.7, b1=start[2], b2=start[3])
    got = [nn.weights1, nn.weights2, nn.network.layers[0].params["b"],
           nn.network.layers[2].params["b"]]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


class PlainSumOfSquares(Loss):
    """``sum (p - y)^2`` with no 1/2 and no mean: another convention the engine might adopt."""

    def loss(self, y_true, y_pred):
        return float(np.sum((y_pred - y_true) ** 2))

    def grad(self, y_true, y_pred):
        return 2 * (y_pred - y_true)


@pytest.mark.parametrize("loss", [SumSquaredError(), PlainSumOfSquares(), MeanSquaredError()])
def test_the_update_does_not_depend_on_the_engines_loss_convention(loss):
    nn = NeuralNetwork(X, Y, seed=7)
    w1, w2 = nn.weights1.copy(), nn.weights2.copy()
    nn.network.loss = loss
    nn.feedforward()
    nn.backprop()
    new_w1, new_w2 = blog_backprop(X.astype(float), Y.astype(float), w1, w2)
    np.testing.assert_allclose(nn.weights1, new_w1, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(nn.weights2, new_w2, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("loss", [SumSquaredError(), PlainSumOfSquares(), MeanSquaredError()])
def test_gradient_scale_turns_the_losss_gradient_into_the_blogs(loss):
    rng = np.random.default_rng(0)
    y, p = rng.random((5, 2)), rng.random((5, 2))
    scale = sum_squares_gradient_scale(loss, y.shape)
    np.testing.assert_allclose(scale * loss.grad(y, p), 2 * (p - y), rtol=1e-13)


def test_gradient_scale_refuses_other_losses():
    assert sum_squares_gradient_scale(PlainSumOfSquares(), (4, 1)) == pytest.approx(1.0)
    with pytest.raises(TypeError, match="not a sum-of-squares loss"):
        sum_squares_gradient_scale(get_loss("softmax_cross_entropy"), (4, 2))


def test_lr_changed_between_steps_is_used():
    nn = NeuralNetwork(X, Y, seed=2)
    nn.lr = 0.25
    w1, w2 = nn.weights1.copy(), nn.weights2.copy()
    nn.feedforward()
    nn.backprop()
    np.testing.assert_allclose(nn.weights1, blog_backprop(X, Y, w1, w2, lr=0.25)[0], rtol=1e-13)


def test_weights_can_be_set_with_a_shape_check():
    nn = NeuralNetwork(X, Y, seed=0)
    nn.weights2 = np.full((4, 1), 0.5)
    np.testing.assert_array_equal(nn.network.layers[2].params["W"], 0.5)
    with pytest.raises(ShapeError, match=r"weights1 must have shape \(3, 4\), got \(4, 3\)"):
        nn.weights1 = np.zeros((4, 3))


def test_the_callers_arrays_are_not_changed():
    x = X.astype(float)
    nn = NeuralNetwork(x, Y, seed=0)
    nn.input[0, 0] = 9.0
    assert x[0, 0] == 0.0


def test_backprop_before_feedforward_says_what_to_do():
    nn = NeuralNetwork(X, Y, seed=0)
    with pytest.raises(RuntimeError, match=r"call nn.feedforward\(\) first"):
        nn.backprop()


BIG = np.random.default_rng(0).random((200, 3))


@pytest.mark.parametrize("x, y, error, match", [
    (BIG, BIG[:, 0], ShapeError, r"y must be a 2-D array .* got shape \(200,\).*reshape"),
    (BIG, BIG[:199, :1], ShapeError, r"x.shape=\(200, 3\) and y.shape=\(199, 1\)"),
    (BIG[:, 0], BIG[:, :1], ShapeError, r"x must be a 2-D array"),
    (BIG.astype(str), BIG[:, :1], DTypeError, r"x must hold numbers, .* shape \(200, 3\)"),
    (np.where(BIG > 0.99, np.nan, BIG), BIG[:, :1], ValueError, r"x .* NaN or infinity"),
    (BIG, 5 * BIG[:, :1], ValueError, r"scale the targets into \[0, 1\]"),
    (np.zeros((0, 3)), np.zeros((0, 1)), ShapeError, r"at least one row"),
])
def test_bad_data_is_refused_with_shapes_not_values(x, y, error, match):
    with pytest.raises(error, match=match) as info:
        NeuralNetwork(x, y)
    message = str(info.value)
    assert len(message) < 400 and "0.6369" not in message  # no rows of the data printed


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden": 0}, "hidden must be a positive integer"),
    ({"lr": -1.0}, "lr must be > 0"),
    ({"seed": "x"}, "seed must be"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NeuralNetwork(X, Y, **kwargs)


def test_repr_shows_shapes():
    assert repr(NeuralNetwork(X, Y, seed=0)) == (
        "NeuralNetwork(x: (4, 3), y: (4, 1), hidden=4, lr=1.0, bias=False)")


def test_zero_one_targets_make_the_engine_network_a_classifier():
    nn = NeuralNetwork(X, Y, seed=0)
    assert nn.network.task == "classification"
    for _ in range(1500):
        nn.feedforward()
        nn.backprop()
    np.testing.assert_array_equal(nn.network.predict(X.astype(float)), [0, 1, 1, 0])
    assert NeuralNetwork(X, Y * 0.8, seed=0).network.task == "regression"
