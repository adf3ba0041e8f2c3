import numpy as np
import pytest
from conftest import require_file

from glassnet.classic import NeuralNetwork, neuralNetwork
from glassnet.errors import ShapeError


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def book_train(wih, who, lr, inputs_list, targets_list):
    """The book's train() written out with its column vectors."""
    inputs = np.array(inputs_list, ndmin=2).T
    targets = np.array(targets_list, ndmin=2).T
    hidden_outputs = sigmoid(np.dot(wih, inputs))
    final_outputs = sigmoid(np.dot(who, hidden_outputs))
    output_errors = targets - final_outputs
    hidden_errors = np.dot(who.T, output_errors)
    who = who + lr * np.dot(output_errors * final_outputs * (1.0 - final_outputs),
                            hidden_outputs.T)
    wih = wih + lr * np.dot(hidden_errors * hidden_outputs * (1.0 - hidden_outputs), inputs.T)
    return wih, who


def test_the_articles_snippet_runs_unchanged():
    n = neuralNetwork(3, 3, 3, 0.3)
    n.train([1.0, 0.5, -1.5], [0.99, 0.01, 0.01])
    out = n.query([1.0, 0.5, -1.5])
    assert out.shape == (3, 1)
    assert np.all((out > 0) & (out < 1))


def test_weights_have_the_books_layout_and_scale():
    n = NeuralNetwork(784, 200, 10, 0.1, seed=0)
    assert n.wih.shape == (200, 784) and n.who.shape == (10, 200)
    assert n.wih.dtype == np.float64
    assert n.wih.std() == pytest.approx(784**-0.5, rel=0.02)
    assert n.who.std() == pytest.approx(200**-0.5, rel=0.1)


def needs_numba(fused):
    if fused:
        pytest.importorskip("numba", reason="fused=True needs Numba (the 'fast' extra)")


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_train_step_equals_the_books_update(seed, fused):
    needs_numba(fused)
    rng = np.random.default_rng(seed)
    n = NeuralNetwork(6, 4, 3, 0.3, seed=seed, fused=fused)
    wih, who = n.wih.copy(), n.who.copy()
    for _ in range(3):
        inputs = rng.uniform(0.01, 1.0, 6)
        targets = np.full(3, 0.01)
        targets[rng.integers(3)] = 0.99
        n.train(list(inputs), list(targets))
        wih, who = book_train(wih, who, 0.3, inputs, targets)
        np.testing.assert_allclose(n.wih, wih, rtol=0, atol=1e-12)
        np.testing.assert_allclose(n.who, who, rtol=0, atol=1e-12)


def test_fused_and_engine_updates_give_the_same_bits():
    needs_numba(True)
    rng = np.random.default_rng(7)
    fused = NeuralNetwork(784, 200, 10, 0.1, seed=3, fused=True)
    engine = NeuralNetwork(784, 200, 10, 0.1, seed=3, fused=False)
    for _ in range(20):
        inputs = rng.uniform(0.01, 1.0, 784)
        targets = np.full(10, 0.01)
        targets[rng.integers(10)] = 0.99
        fused.train(inputs, targets)
        engine.train(inputs, targets)
    assert not np.array_equal(fused.wih, NeuralNetwork(784, 200, 10, 0.1, seed=3).wih)
    np.testing.assert_array_equal(fused.wih, engine.wih)
    np.testing.assert_array_equal(fused.who, engine.who)


@pytest.mark.parametrize("fused", [False, True])
def test_a_changed_learning_rate_takes_effect(fused):
    """The book's code sets n.lr; both update paths must use the new value."""
    needs_numba(fused)
    rng = np.random.default_rng(2)
    n = NeuralNetwork(6, 4, 3, 0.3, seed=1, fused=fused)
    wih, who = n.wih.copy(), n.who.copy()
    n.lr = 0.05
    inputs, targets = rng.uniform(0.01, 1.0, 6), np.array([0.99, 0.01, 0.01])
    n.train(inputs, targets)
    wih, who = book_train(wih, who, 0.05, inputs, targets)
    np.testing.assert_allclose(n.wih, wih, rtol=0, atol=1e-12)
    np.testing.assert_allclose(n.who, who, rtol=0, atol=1e-12)


def test_fused_is_chosen_by_size_and_checked(monkeypatch):
    import glassnet._fused
    import glassnet.classic as classic

    monkeypatch.setattr(classic, "numba_available", lambda: True)
    assert NeuralNetwork(784, 100, 10, 0.1).fused is True     # 79,400 weights
    assert NeuralNetwork(3, 3, 3, 0.3).fused is False          # too small to repay compiling
    assert NeuralNetwork(784, 100, 10, 0.1, fused=False).fused is False
    monkeypatch.setattr(classic, "numba_available", lambda: False)
    monkeypatch.setattr(glassnet._fused, "numba_available", lambda: False)
    assert NeuralNetwork(784, 100, 10, 0.1).fused is False
    with pytest.raises(ImportError, match=r"glassnet\[fast\]"):
        NeuralNetwork(3, 3, 3, 0.3, fused=True)
    with pytest.raises(TypeError, match="fused must be True, False or None"):
        NeuralNetwork(3, 3, 3, 0.3, fused=1.5)


def test_query_equals_the_books_forward_pass():
    n = NeuralNetwork(5, 4, 2, 0.1, seed=1)
    x = np.linspace(0.1, 0.9, 5)
    expected = sigmoid(n.who @ sigmoid(n.wih @ x.reshape(-1, 1)))
    np.testing.assert_allclose(n.query(x), expected, rtol=1e-14)


def test_wih_who_are_views_of_the_engine():
    n = NeuralNetwork(3, 2, 2, 0.1, seed=0)
    n.wih[0, 1] = 5.0
    assert n.network.layers[0].params["W"][1, 0] == 5.0
    n.who = np.zeros((2, 2))
    assert not n.network.layers[2].params["W"].any()
    with pytest.raises(ShapeError, match=r"who must have shape \(2, 2\)"):
        n.who = np.zeros((3, 2))


def test_backquery_shape_and_range():
    n = NeuralNetwork(784, 50, 10, 0.1, seed=0)
    targets = np.full(10, 0.01)
    targets[3] = 0.99
    image = n.backquery(targets)
    assert image.shape == (784, 1)
    assert image.min() == pytest.approx(0.01) and image.max() == pytest.approx(0.99)


def test_backquery_inverts_one_layer():
    """With one hidden unit per output and identity-like weights, backquery undoes query."""
    n = NeuralNetwork(2, 2, 2, 0.1, seed=0)
    n.wih = np.eye(2)
    n.who = np.eye(2)
    image = n.backquery([0.2, 0.8])
    assert image[1, 0] > image[0, 0]  # the larger target maps back to the larger input


@pytest.mark.parametrize("args,match", [
    ((0, 3, 3, 0.3), "input_nodes must be a positive integer"),
    ((3, -1, 3, 0.3), "hidden_nodes"),
    ((3, 3, 3, -0.3), "learning_rate must be > 0"),
])
def test_bad_constructor_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        NeuralNetwork(*args)


def test_bad_train_and_query_inputs():
    n = NeuralNetwork(3, 3, 3, 0.3, seed=0)
    with pytest.raises(ShapeError, match="inputs_list must hold 3 values, got 2"):
        n.query([1, 2])
    with pytest.raises(ShapeError, match="targets_list must hold 3 values, got 4"):
        n.train([1, 2, 3], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="NaN"):
        n.train([1, np.nan, 3], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        n.backquery([1.0, 0.0, 0.5])


@pytest.mark.data
def test_book_mnist_csv_sample_trains_and_queries(shared_data):
    train_file = require_file(shared_data / "rashid-csv" / "mnist_train_100.csv")
    test_file = require_file(shared_data / "rashid-csv" / "mnist_test_10.csv")
    n = NeuralNetwork(784, 100, 10, 0.3, seed=0)
    for _ in range(5):  # epochs, as the book's notebook does
        for line in train_file.read_text().splitlines():
            values = line.split(",")
            inputs = np.asarray(values[1:], dtype=float) / 255.0 * 0.99 + 0.01
            targets = np.zeros(10) + 0.01
            targets[int(values[0])] = 0.99
            n.train(inputs, targets)
    scores = []
    for line in test_file.read_text().splitlines():
        values = line.split(",")
        outputs = n.query(np.asarray(values[1:], dtype=float) / 255.0 * 0.99 + 0.01)
        assert outputs.shape == (10, 1)
        scores.append(int(np.argmax(outputs)) == int(values[0]))
    assert len(scores) == 10
    # 100 training digits: the book reports 60-70% on these 10; demand better than chance
    assert sum(scores) >= 5


def test_the_engine_network_underneath_trains_every_layer():
    from glassnet import gradcheck_network

    n = NeuralNetwork(4, 3, 2, 0.5, seed=0)
    X = np.random.default_rng(1).uniform(0.01, 1, (6, 4))
    Y = np.full((6, 2), 0.01)
    Y[np.arange(6), np.arange(6) % 2] = 0.99
    assert gradcheck_network(n.network, X, Y).max_rel_error < 1e-6
    wih = n.wih.copy()
    n.network.fit(X, Y, optimizer="sgd", epochs=2, batch_size=2, verbose=0)
    assert not np.array_equal(n.wih, wih)


def test_the_blogs_call_on_the_books_class_points_to_the_blogs_class():
    import glassnet

    X, y = np.random.default_rng(0).random((200, 3)), np.zeros((200, 1))
    for call in (lambda: glassnet.NeuralNetwork(X, y), lambda: NeuralNetwork(X, y, 4),
                 lambda: NeuralNetwork(3, 4, y, 0.1), lambda: NeuralNetwork(input_nodes=X)):
        with pytest.raises(TypeError, match=r"for the blog's NeuralNetwork\(x, y\) use "
                                            r"glassnet.blog.NeuralNetwork") as info:
            call()
        assert "0." not in str(info.value)  # no array printed


def test_signature_still_shows_the_books_arguments():
    import inspect

    assert list(inspect.signature(NeuralNetwork).parameters) == [
        "input_nodes", "hidden_nodes", "output_nodes", "learning_rate", "seed", "fused"]
