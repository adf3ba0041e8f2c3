import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from glassnet.trace import PRESETS, HalfSumSquaredError, trace_step


def test_mazur_numbers_as_published():
    trace = trace_step("mazur")
    a = trace.arrays
    # Mazur's post: the forward pass, the error, the new weights and the error after
    assert f"{a['a1'][0, 0]:.9f}" == "0.593269992"
    assert f"{a['a2'][0, 0]:.8f}" == "0.75136507"
    assert f"{a['a2'][0, 1]:.9f}" == "0.772928465"
    assert f"{trace.loss_before:.9f}" == "0.298371109"
    assert f"{a['dW2'][0, 0]:.9f}" == "0.082167041"   # dE/dw5
    assert f"{a['W2_new'][0, 0]:.8f}" == "0.35891648"  # w5
    assert f"{a['W2_new'][1, 0]:.9f}" == "0.408666186"  # w6
    assert f"{a['W2_new'][0, 1]:.9f}" == "0.511301270"  # w7
    assert f"{a['W2_new'][1, 1]:.9f}" == "0.561370121"  # w8
    assert f"{a['W1_new'][0, 0]:.9f}" == "0.149780716"  # w1
    assert f"{a['W1_new'][1, 0]:.8f}" == "0.19956143"   # w2
    assert f"{a['W1_new'][0, 1]:.8f}" == "0.24975114"   # w3
    assert f"{a['W1_new'][1, 1]:.8f}" == "0.29950229"   # w4
    assert f"{trace.loss_after:.9f}" == "0.291027774"
    # the biases stay as they were, as in the original
    np.testing.assert_array_equal(a["b1_new"], [0.35, 0.35])
    np.testing.assert_array_equal(a["b2_new"], [0.60, 0.60])


def test_mazur_text_prints_the_pinned_digits_with_their_formulas():
    text = str(trace_step("mazur"))
    assert "= 0.05×0.15 + 0.1×0.2 + 0.35\n        = 0.3775" in text
    assert "= (1/2)·[(0.75136507 − 0.01)² + (0.772928465 − 0.99)²]\n    = 0.298371109" in text
    assert "W2[0,0] new  (w5) = W2[0,0] − η·∂C/∂W2[0,0]" in text
    assert "= 0.4 − 0.5×0.0821670406\n" in text and "= 0.35891648\n" in text
    assert "= 0.15 − 0.5×0.000438567734\n" in text and "= 0.149780716\n" in text
    assert "= 0.291027774\n" in text
    assert "b1[0] (frozen)" in text


def _engine_grads(net, X, y):
    targets = net.loss.prepare_targets(np.asarray(y), net.n_out, net.dtype)
    out = net.forward(X.astype(net.dtype), training=True)
    net.backward(net.loss.grad(targets, out))
    dense = [layer for layer in net.layers if isinstance(layer, gn.Dense)]
    return {f"d{k}{i + 1}": layer.grads[k].astype(np.float64).copy()
            for i, layer in enumerate(dense) for k in layer.params}


NETWORKS = [
    ("sigmoid", "sse", 2), ("tanh", "mse", 1), ("relu", "softmax_cross_entropy", 3),
    ("leaky_relu", "sse", 3), ("identity", "softmax_cross_entropy", 1),
]


@pytest.mark.parametrize("activation, loss, n", NETWORKS)
def test_gradients_match_the_engines_backward(activation, loss, n):
    rng = np.random.default_rng(1)
    net = gn.mlp([3, 4, 5, 2], activation=activation, loss=loss, seed=2, dtype=np.float64,
                 output_activation="sigmoid" if loss == "sse" else None)
    X = rng.normal(size=(n, 3))
    y = rng.integers(0, 2, n) if loss == "softmax_cross_entropy" else rng.random((n, 2))
    trace = trace_step(net, X, y, lr=0.2)
    expected = _engine_grads(net, X, y)
    for name, grad in expected.items():
        np.testing.assert_allclose(trace.arrays[name], grad, rtol=1e-12, atol=1e-15,
                                   err_msg=name)
    assert trace.engine_max_difference < 1e-14
    assert trace.max_gradcheck_error < 1e-5
    for name in expected:  # the update is p - lr dC/dp
        p = name[1:]
        np.testing.assert_allclose(trace.arrays[f"{p}_new"],
                                   trace.arrays[p] - 0.2 * trace.arrays[name], rtol=1e-15)


def test_float32_network_is_traced_in_float64():
    net = gn.mlp([2, 3, 2], activation="tanh", seed=0)
    X, y = np.array([[0.3, -0.2]], dtype=np.float32), np.array([1])
    trace = trace_step(net, X, y)
    assert trace.arrays["dW1"].dtype == np.float64
    assert 0 < trace.engine_max_difference < 1e-6  # float32 rounding, and nothing more


def test_the_network_is_left_alone_unless_applied():
    net = gn.mlp([2, 3, 2], activation="sigmoid", loss="sse", seed=0, dtype=np.float64)
    before = net.get_weights()
    X, y = np.array([[0.5, -1.0]]), np.array([[0.2, 0.9]])
    trace = trace_step(net, X, y, lr=0.5)
    for k, v in net.get_weights().items():
        np.testing.assert_array_equal(v, before[k])
    trace_step(net, X, y, lr=0.5, apply=True)
    np.testing.assert_allclose(net.parameters["0.W"], trace.arrays["W1_new"], rtol=1e-15)
    np.testing.assert_allclose(net.parameters["2.b"], trace.arrays["b2_new"], rtol=1e-15)


def test_loss_after_is_the_engines_loss_after_the_step():
    net = gn.Network([gn.Dense(2, 2, seed=0, dtype=np.float64), gn.Sigmoid(),
                      gn.Dense(2, 2, seed=1, dtype=np.float64), gn.Sigmoid()],
                     loss=HalfSumSquaredError())
    X, y = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    before = net.evaluate(X, y)["loss"]
    trace = trace_step(net, X, y, lr=0.5, apply=True)
    assert trace.loss_before == pytest.approx(before, rel=1e-14)
    assert trace.loss_after == pytest.approx(net.evaluate(X, y)["loss"], rel=1e-14)
    assert trace.loss_after < trace.loss_before


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_steps_downhill_and_checks_out(preset):
    trace = trace_step(preset)
    assert trace.loss_after < trace.loss_before
    assert trace.max_gradcheck_error < 1e-5
    assert trace.engine_max_difference < 1e-14
    assert "DISAGREES" not in trace.to_text()


def test_book_preset_has_no_biases_and_moons_uses_cross_entropy():
    book = trace_step("book")
    assert "b1" not in book.arrays and book.arrays["W1"].shape == (3, 3)
    moons = trace_step("moons")
    assert moons.arrays["W1"].shape == (2, 3) and moons.arrays["W2"].shape == (3, 2)
    assert "log softmax" in moons.loss_formula


def test_mini_batch_sums_over_samples():
    net = gn.mlp([2, 2, 2], activation="sigmoid", loss="sse", seed=0, dtype=np.float64,
                 output_activation="sigmoid")
    X, y = np.array([[0.1, 0.2], [0.3, -0.4]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    trace = trace_step(net, X, y)
    text = trace.to_text()
    assert "∂C/∂W1[0,0] = x[0,0]·δ1[0,0] + x[1,0]·δ1[1,0]" in text
    a = trace.arrays
    np.testing.assert_allclose(a["dW1"], X.T @ a["delta1"], rtol=1e-15)


def test_views():
    trace = trace_step("mazur")
    assert str(trace) == trace.to_text()
    md = trace.to_markdown()
    assert "| quantity | formula | with the numbers | value |" in md
    assert "| W2[0,0] new (w5) |" in md
    html = trace._repr_html_()
    assert html.startswith("<div") and "<table>" in html and "0.298371109" in html
    assert "<script" not in html
    data = json.loads(trace.to_json())
    assert data["loss_before"] == trace.loss_before
    assert data["arrays"]["W2_new"][0][0] == pytest.approx(0.35891648, abs=5e-9)
    assert [s["title"] for s in data["sections"]][:3] == ["Network and data", "Forward pass",
                                                          "Loss"]
    assert "0.298371109 -> 0.291027774" in repr(trace)


def test_html_escapes_text():
    trace = trace_step("mazur")
    trace.title = "<b>x</b>"
    assert "&lt;b&gt;x&lt;/b&gt;" in trace.to_html()


def _net(*layers, loss="sse"):
    return gn.Network(list(layers), loss=loss)


@pytest.mark.parametrize("make, error, match", [
    (lambda: trace_step("nope"), ValueError, r"unknown preset 'nope'; choose one of"),
    (lambda: trace_step("mazur", np.zeros((1, 2)), np.zeros((1, 2))), ValueError,
     "brings its own x and y"),
    (lambda: trace_step(42), TypeError, "expects a glassnet Network or a preset name"),
    (lambda: trace_step(gn.mlp([2, 2])), ValueError, "needs the sample"),
    (lambda: trace_step(_net(gn.Dense(2, 2), gn.Dropout(0.5), gn.Dense(2, 2)),
                        np.zeros((1, 2)), np.zeros((1, 2))), TypeError, "layer 1 is Dropout"),
    (lambda: trace_step(_net(gn.Dense(2, 2), gn.Softmax()), np.zeros((1, 2)),
                        np.zeros((1, 2))), TypeError, "softmax_cross_entropy"),
    (lambda: trace_step(_net(gn.Dense(2, 2), gn.Tanh(), gn.Sigmoid()), np.zeros((1, 2)),
                        np.zeros((1, 2))), TypeError, "at most one activation"),
    (lambda: trace_step(_net(gn.Dense(2, 40)), np.zeros((1, 2)), np.zeros((1, 40))),
     ShapeError, "at most 16 units"),
    (lambda: trace_step(_net(gn.Dense(2, 2)), np.zeros((9, 2)), np.zeros((9, 2))),
     ShapeError, r"1 to 8 samples"),
    (lambda: trace_step(_net(gn.Dense(2, 2)), np.zeros((1, 3)), np.zeros((1, 2))),
     ShapeError, r"shape \(n_samples, 2\)"),
    (lambda: trace_step(_net(gn.Dense(2, 2)), np.zeros((1, 2)), np.zeros((1, 3))),
     ShapeError, r"y must have shape \(1, 2\)"),
    (lambda: trace_step(_net(gn.Dense(2, 2), loss="softmax_cross_entropy"), np.zeros((1, 2)),
                        np.array([2])), ValueError, r"labels y must lie in 0..1"),
    (lambda: trace_step(_net(gn.Dense(2, 1), loss="binary_cross_entropy"), np.zeros((1, 2)),
                        np.ones((1, 1))), TypeError, "squared-error losses"),
    (lambda: trace_step(_net(gn.Dense(2, 2)), np.full((1, 2), np.nan), np.zeros((1, 2))),
     ValueError, "NaN"),
    (lambda: trace_step("mazur", lr=0), ValueError, "lr must be > 0"),
    (lambda: trace_step("mazur", digits=0), ValueError, "digits must be a positive integer"),
])
def test_refusals_say_what_to_do(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_cli_prints_and_writes(tmp_path, capsys):
    from glassnet.cli import main

    assert main(["trace"]) == 0
    out = capsys.readouterr().out
    assert "0.298371109" in out and "0.35891648" in out and "0.291027774" in out
    path = tmp_path / "step.html"
    assert main(["trace", "--preset", "moons", "--format", "html", "-o", str(path)]) == 0
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "two moons" in page
    assert main(["trace", "--format", "html", "-o", str(path)]) == 0
    assert "<title>Matt Mazur&#x27;s step-by-step" in path.read_text(encoding="utf-8")
    path = tmp_path / "step.json"
    assert main(["trace", "--preset", "book", "--format", "json", "-o", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8"))["lr"] == 0.3
    assert main(["trace", "--format", "markdown", "--lr", "0.1"]) == 0
    assert "η = 0.1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["trace", "--preset", "nope"])


def test_cli_output_folder_must_exist(tmp_path, capsys):
    from glassnet.cli import main

    assert main(["trace", "-o", str(tmp_path / "missing" / "step.txt")]) == 1
    assert "glassnet trace: error:" in capsys.readouterr().err


def test_digits_sets_the_printed_precision():
    text = trace_step("mazur", digits=4).to_text()
    assert "= 0.2984\n" in text and "0.298371109" not in text


@pytest.mark.parametrize("n_out, x, y", [
    (2, [0.5, -1.0], [0.2, 0.9]),                    # one sample given as vectors
    (1, [[0.5, -1.0], [0.1, 0.2]], [0.3, 0.7]),      # one output: a target per sample
])
def test_vector_forms_of_x_and_y(n_out, x, y):
    net = gn.mlp([2, 3, n_out], activation="sigmoid", loss="sse", seed=0, dtype=np.float64)
    trace = trace_step(net, np.array(x), np.array(y))
    assert trace.arrays["y"].shape == (np.atleast_2d(x).shape[0], n_out)
    assert trace.engine_max_difference < 1e-14


def test_huge_weighted_inputs_do_not_overflow():
    net = gn.mlp([2, 2, 2], activation="sigmoid", loss="sse", seed=0, dtype=np.float64,
                 output_activation="sigmoid")
    net.layers[0].params["W"][...] = [[-900.0, 900.0], [0.0, 0.0]]
    trace = trace_step(net, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(trace.arrays["a1"], [[0.0, 1.0]])


def test_matrix_form_for_a_mini_batch():
    net = gn.mlp([2, 2, 2], activation="sigmoid", loss="sse", seed=0, dtype=np.float64,
                 output_activation="sigmoid")
    X, y = np.array([[0.1, 0.2], [0.3, -0.4]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    trace = trace_step(net, X, y)
    section = next(s for s in trace.sections if s.title == "The same in matrix form")
    lines = {line.name: line for line in section.lines}
    assert lines["Z1"].formula.startswith("X·W1 + b1   (2×2 · 2×2)")
    np.testing.assert_allclose(trace.arrays["dW1"], X.T @ trace.arrays["delta1"], rtol=1e-15)
    w = trace.arrays["dW1"]
    assert lines["∂C/∂W1"].value is None
    assert lines["∂C/∂W1"].numbers.startswith(f"[[{w[0, 0]:.9g}, ")
    data = json.loads(trace.to_json())
    matrix = next(s for s in data["sections"] if s["title"] == "The same in matrix form")
    assert all(line["value"] is None for line in matrix["lines"])
    assert "| Z1 | X·W1 + b1" in trace.to_markdown()
    # one sample: only when asked
    assert "The same in matrix form" not in trace_step("mazur").to_text()
    assert "A2 = σ(Z2)\n     = [[0.75136507, 0.772928465]]" in trace_step(
        "mazur", matrix_form=True).to_text()
