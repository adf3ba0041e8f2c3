"""The convolution notebook: kept in step with its generator, and run from top to bottom.

Its Fashion-MNIST cells skip themselves, saying why, when the data is absent.
"""

from __future__ import annotations

import os
import time

import pytest
from conftest import REPO_ROOT, shared_data_dir

NOTEBOOKS = REPO_ROOT / "notebooks"


def test_the_notebook_is_what_its_generator_writes():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_03_convolution",
                                                  NOTEBOOKS / "make_03_convolution.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = nbformat.read(NOTEBOOKS / module.NAME, as_version=4)
    assert stored == module.build(), \
        "run python notebooks/make_03_convolution.py and commit the result"


@pytest.mark.slow
def test_the_convolution_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed")
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    pytest.importorskip("PIL", reason="Pillow is not installed")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("GLASSNET_SHARED_DATA", str(shared_data_dir()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / "03_convolution.ipynb", as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    print(f"notebook ran in {time.perf_counter() - start:.1f}s")
    outputs = [out for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    text = "\n".join(out.get("text", "") for out in outputs)
    assert "window * W summed: 6.0" in text
    assert text.count("same as the loop: True") == 1 and "same as Conv2D: True" in text
    assert "the strided im2col equals the loop's: True" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any(h.startswith("<img src='data:image/gif;base64,") for h in html)
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    if (shared_data_dir() / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
        accuracy = float(text.split("test accuracy ")[1].split()[0])
        assert accuracy > 0.8, accuracy
        assert len(pictures) == 2   # the filters and the feature maps
    else:
        assert "skipped: the Fashion-MNIST files are not in" in text
        assert len(pictures) == 1   # the filters of the untrained network
