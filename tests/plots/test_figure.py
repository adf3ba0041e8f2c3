"""What every plot shares: optional matplotlib, no pyplot, PNG files written atomically, paths.

Figures are built with ``matplotlib.figure.Figure`` directly, so no display
and no pyplot backend is involved anywhere in these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet import plots  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path) -> None:
    from PIL import Image

    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 0 and image.size[1] > 0


def test_importing_glassnet_does_not_import_matplotlib():
    code = ("import sys, glassnet, glassnet.plots; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import time'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


SWEEP = plots.CapacitySweep([1, 4, 16], [0.8, 0.9, 1.0], [0.8, 0.85, 0.8], "tanh", 10, 20)


def _calls(moons, trained, images, classic):
    X, y = moons
    net, history = trained
    Ximg, y_true, y_pred = images
    return {
        "plot_dataset": lambda: plots.plot_dataset(X, y),
        "plot_decision_boundary": lambda: plots.plot_decision_boundary(net, X, y,
                                                                       resolution=20),
        "plot_history": lambda: plots.plot_history(history),
        "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(y_true, y_pred),
        "plot_misclassified": lambda: plots.plot_misclassified(Ximg, y_true, y_pred),
        "plot_first_layer_weights": lambda: plots.plot_first_layer_weights(classic,
                                                                           max_units=4),
        "plot_backquery": lambda: plots.plot_backquery(classic, labels=[0, 1]),
        "plot_capacity_sweep": lambda: plots.plot_capacity_sweep(SWEEP),
        "plot_imagined": lambda: plots.plot_imagined(classic, labels=[0, 1]),
        "plot_hidden_activations": lambda: plots.plot_hidden_activations(classic, Ximg[0]),
        "plot_strongest_inputs": lambda: plots.plot_strongest_inputs(classic, Ximg,
                                                                     units=[0, 1], k=3),
        "plot_conv_filters": lambda: plots.plot_conv_filters(CNN),
        "plot_feature_maps": lambda: plots.plot_feature_maps(CNN, Ximg[0]),
    }


CNN = gn.models.small_cnn(channels=(2, 2), hidden=4, seed=0)
ALL = sorted(plots.__all__)


@pytest.mark.parametrize("name", ALL)
def test_missing_matplotlib_gives_the_install_hint(name, monkeypatch, moons, trained, images,
                                                   classic):
    call = _calls(moons, trained, images, classic)[name]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        call()


@pytest.mark.parametrize("name", ALL)
def test_no_function_uses_pyplot(name, monkeypatch, moons, trained, images, classic):
    call = _calls(moons, trained, images, classic)[name]
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # importing it would fail
    assert isinstance(call(), Figure)


@pytest.mark.parametrize("name", ALL)
def test_every_function_returns_a_figure_and_saves_a_png_atomically(
        name, tmp_path, moons, trained, images, classic):
    target = tmp_path / f"{name}.png"
    fig = _with_path(name, target, moons, trained, images, classic)
    assert isinstance(fig, Figure)
    assert_png(target)
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind
    if os.name == "posix":
        umask = os.umask(0o022)
        os.umask(umask)
        assert (target.stat().st_mode & 0o777) == 0o666 & ~umask  # not mkstemp's 0o600


def _with_path(name, path, moons, trained, images, classic):
    X, y = moons
    net, history = trained
    Ximg, y_true, y_pred = images
    if name == "plot_dataset":
        return plots.plot_dataset(X, y, path=path)
    if name == "plot_decision_boundary":
        return plots.plot_decision_boundary(net, X, y, resolution=20, path=path)
    if name == "plot_history":
        return plots.plot_history(history, path=path)
    if name == "plot_confusion_matrix":
        return plots.plot_confusion_matrix(y_true, y_pred, path=path)
    if name == "plot_misclassified":
        return plots.plot_misclassified(Ximg, y_true, y_pred, path=path)
    if name == "plot_first_layer_weights":
        return plots.plot_first_layer_weights(classic, max_units=4, path=path)
    if name == "plot_capacity_sweep":
        return plots.plot_capacity_sweep(SWEEP, path=path)
    if name in ("plot_imagined", "plot_hidden_activations", "plot_strongest_inputs"):
        return _calls_with_path(name, path, Ximg, classic)
    return plots.plot_backquery(classic, labels=[0, 1], path=str(path))  # str paths too


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, moons, monkeypatch):
    target = tmp_path / "moons.png"
    target.write_bytes(b"old picture")

    def broken_savefig(self, f, **kwargs):
        f.write(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.plot_dataset(*moons, path=target)
    assert target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["moons.png"]


def test_saving_overwrites_an_existing_file(tmp_path, moons):
    target = tmp_path / "moons.png"
    target.write_bytes(b"old picture")
    plots.plot_dataset(*moons, path=target)
    assert_png(target)


@pytest.mark.parametrize("bad", ["plot.pdf", "plot.jpg"])
def test_path_must_be_a_png(tmp_path, moons, bad):
    with pytest.raises(ValueError, match=r"path must name a \.png file"):
        plots.plot_dataset(*moons, path=tmp_path / bad)
    assert os.listdir(tmp_path) == []


def test_a_path_without_suffix_gets_a_png(tmp_path, moons):
    plots.plot_dataset(*moons, path=tmp_path / "moons")
    assert_png(tmp_path / "moons")


def _calls_with_path(name, path, Ximg, classic):
    if name == "plot_imagined":
        return plots.plot_imagined(classic, labels=[0, 1], path=path)
    if name == "plot_hidden_activations":
        return plots.plot_hidden_activations(classic, Ximg[0], path=path)
    return plots.plot_strongest_inputs(classic, Ximg, units=[0, 1], k=3, path=path)
