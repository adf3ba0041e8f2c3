"""glassnet.testing: the public contract fails the layers and losses it must fail, and says why."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import gradcheck
from glassnet.layers import Dense, Layer, register_layer
from glassnet.testing import ContractError, check_layer, check_loss


class Scale(Layer):
    """``out = x * w`` per feature, with hooks for the bugs a contributor makes."""

    wrong_gradient = accumulate = forget_config = False

    def __init__(self, factor=1.0):
        super().__init__()
        self.factor = factor

    def build(self, input_shape, dtype):
        if "w" not in self.params:
            self.params["w"] = np.full(input_shape, self.factor, dtype=dtype)
            self.grads["w"] = np.zeros(input_shape, dtype=dtype)
        return super().build(input_shape, dtype)

    def forward(self, x, *, training=False):
        self._x = x
        return x * self.params["w"]

    def backward(self, dout):
        grad = (dout * self._x).sum(axis=0)
        if self.wrong_gradient:
            grad = grad * 2
        if self.accumulate:
            self.grads["w"] += grad  # the tutorial bug: gradients pile up across calls
        else:
            self.grads["w"] = grad
        return dout * self.params["w"]

    def get_config(self):
        return {} if self.forget_config else {"factor": self.factor}


register_layer(Scale)


def scale(**bugs):
    def make():
        layer = Scale(factor=0.5)
        for name, value in bugs.items():
            setattr(layer, name, value)
        return layer
    return make


def test_a_correct_custom_layer_passes_on_2d_and_nd_inputs():
    for shape in [(4,), (3, 2)]:
        report = check_layer(scale(), shape)
        assert "backward twice gives the same gradients (overwrite, not accumulate)" \
            in report.passed


@pytest.mark.parametrize("bug, match", [
    ({"wrong_gradient": True}, "float64 gradients do not match finite differences"),
    ({"accumulate": True}, r"backward twice .* failed: .*never add to them \(\+=\)"),
    ({"forget_config": True}, "config round-trips through JSON .* failed"),
])
def test_check_layer_fails_a_broken_layer_and_says_how_to_fix_it(bug, match):
    with pytest.raises(ContractError, match=match):
        check_layer(scale(**bug), (4,))


def test_an_unregistered_layer_is_told_to_register():
    class Loose(Layer):
        def forward(self, x, *, training=False):
            return x

        def backward(self, dout):
            return dout

    with pytest.raises(ContractError, match="register_layer"):
        check_layer(Loose(), (3,))


@register_layer
class Lookup(Layer):
    """A minimal embedding: integer ids (n, k) -> vectors (n, k * dim)."""

    input_kind = "int"

    def __init__(self, n_ids=10, dim=2):
        super().__init__()
        self.n_ids, self.dim = n_ids, dim

    def build(self, input_shape, dtype):
        if "E" not in self.params:
            rng = np.random.default_rng(0)
            self.params["E"] = rng.standard_normal((self.n_ids, self.dim)).astype(dtype)
            self.grads["E"] = np.zeros((self.n_ids, self.dim), dtype=dtype)
        return super().build(input_shape, dtype)

    def output_shape(self, input_shape):
        return (input_shape[0] * self.dim,)

    def forward(self, x, *, training=False):
        if x.dtype.kind not in "iu":
            raise TypeError(f"Lookup takes integer ids, got {x.dtype}")
        self._ids = x
        return self.params["E"][x].reshape(x.shape[0], -1)

    def backward(self, dout):
        grad = np.zeros_like(self.params["E"])
        np.add.at(grad, self._ids, dout.reshape(*self._ids.shape, self.dim))
        self.grads["E"] = grad
        return np.zeros(self._ids.shape, dtype=dout.dtype)

    def get_config(self):
        return {"n_ids": self.n_ids, "dim": self.dim}


def test_an_integer_input_layer_is_checked_with_integer_inputs():
    report = check_layer(Lookup, (3,), input_kind="int")
    assert "trains first in a network at the default fit verbosity" in report.passed
    assert any("only come first" in note for note in report.notes)


def test_gradcheck_keeps_integer_inputs_integer():
    layer = Lookup(10, 2)
    layer.build((3,), np.float64)
    result = gradcheck(layer, np.random.default_rng(0).integers(0, 10, (4, 3)))
    assert result.max_rel_error < 1e-7 and result.n_checked == 20


class PairMax(Layer):
    """``out = max(x[:, 0], x[:, 1])``: a max-pooling window of two."""

    def output_shape(self, input_shape):
        return (1,)

    def forward(self, x, *, training=False):
        self._first = x[:, :1] >= x[:, 1:]
        return np.maximum(x[:, :1], x[:, 1:])

    def backward(self, dout):
        return np.concatenate([dout * self._first, dout * ~self._first], axis=1)


def test_gradcheck_reports_a_crossed_kink_instead_of_a_wrong_gradient():
    x = np.array([[1.0, 1.0 + 1e-5], [0.0, 3.0]])  # a tie closer than the step h = 1e-4
    result = gradcheck(PairMax(), x)
    assert result.max_rel_error < 1e-7
    assert result.kinks and "x[0, 0]" in result.kinks[0]
    assert "kink" in str(result)


def test_gradcheck_still_fails_a_wrong_gradient_at_a_kink():
    class WrongMax(PairMax):
        def backward(self, dout):
            return 3 * super().backward(dout)  # outside both one-sided slopes

    result = gradcheck(WrongMax(), np.array([[1.0, 1.0 + 1e-5], [0.0, 3.0]]))
    assert result.max_rel_error > 0.1


def test_relu_at_zero_is_a_kink_not_a_failure():
    result = gradcheck(gn.ReLU(), np.array([[0.0, 1.0, -1.0]]))
    assert result.max_rel_error < 1e-7 and result.kinks == ("x[0, 0]",)


class Halved(gn.losses.MeanSquaredError):
    """A loss whose gradient is off by a factor of two."""

    name = "halved_for_tests"

    def grad(self, y_true, y_pred):
        return super().grad(y_true, y_pred) / 2

    def loss_and_grad(self, y_true, y_pred):
        return self.loss(y_true, y_pred), self.grad(y_true, y_pred)


def test_check_loss_fails_a_wrong_gradient():
    with pytest.raises(ContractError, match="grad does not match finite differences"):
        check_loss(Halved())


def test_check_loss_notes_an_unregistered_loss():
    class Plain(gn.losses.MeanSquaredError):
        name = "plain_unregistered"

    report = check_loss(Plain())
    assert any("not registered" in note for note in report.notes)


def test_check_layer_refuses_what_is_not_a_layer():
    with pytest.raises(TypeError, match="Layer or a function"):
        check_layer(42, (3,))
    with pytest.raises(ValueError, match="input_kind"):
        check_layer(Dense(2), (3,), input_kind="text")


def test_a_sequential_starting_with_an_integer_layer_takes_integers():
    from glassnet.layers import Sequential, Tanh

    report = check_layer(lambda: Sequential([Lookup(10, 2), Tanh()]), (3,), input_kind="int")
    assert "trains first in a network at the default fit verbosity" in report.passed
