"""The blog's two-moons tutorial: its functions as written, and the engine's fit agreeing."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import blog
from glassnet.blog_moons import HIDDEN_SIZES, X, epsilon, reg_lambda, y


def test_the_tutorial_s_hyper_parameters_and_data():
    assert (epsilon, reg_lambda) == (0.01, 0.01)
    assert X.shape == (200, 2) and sorted(np.bincount(y)) == [100, 100]
    assert HIDDEN_SIZES == (1, 2, 3, 4, 5, 20, 50)


def test_the_engine_s_fit_in_one_line_gives_the_blog_s_weights():
    model = blog.build_model(3, num_passes=300)
    net = blog.engine_model(3, num_passes=300)
    for w, name in (("W1", "0.W"), ("b1", "0.b"), ("W2", "2.W"), ("b2", "2.b")):
        assert np.allclose(net.parameters[name], model[w].reshape(net.parameters[name].shape),
                           rtol=1e-9, atol=1e-12), name
    assert np.array_equal(net.predict(X), blog.predict(model, X))


def test_the_conversion_is_needed():  # the naive fit (lr 0.01 on a mean) learns far less
    import glassnet as gn
    from glassnet.blog_moons import _initial_weights, to_network

    model = blog.build_model(3, num_passes=300)
    naive = to_network(_initial_weights(3, 0))
    naive.fit(X, y, optimizer=gn.SGD(0.01, weight_decay=0.01), epochs=300, batch_size=200,
              shuffle=False, verbose=0)
    assert not np.allclose(naive.parameters["0.W"], model["W1"], rtol=1e-3)


def test_build_model_prints_the_loss_every_1000_passes_and_learns(capsys):
    before = blog.calculate_loss(blog.build_model(3, num_passes=0))
    model = blog.build_model(3, num_passes=3000, print_loss=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Loss after iteration 0", "Loss after iteration 1000", "Loss after iteration 2000"]
    after = blog.calculate_loss(model)
    assert after < before / 2 and after == pytest.approx(float(lines[-1].split(": ")[1]),
                                                         rel=0.05)
    assert np.mean(blog.predict(model, X) == y) > 0.95


def test_the_hidden_size_figure_has_a_panel_per_size():
    pytest.importorskip("matplotlib", reason="the figure needs the plot extra")
    fig = blog.plot_hidden_sizes(num_passes=200)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [f"Hidden Layer size {n}" for n in HIDDEN_SIZES]
    fig = blog.plot_decision_boundary(lambda x: blog.predict(blog.build_model(2, 100), x))
    assert len(fig.axes) == 1 and fig._repr_png_()[:4] == b"\x89PNG"
