"""The tutorial notebook: kept in step with its generator, and run from top to bottom.

Running it needs nbclient and ipykernel (``pip install 'glassnet[notebook]'``);
its data cells skip themselves, saying why, when the data is absent.
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

    spec = importlib.util.spec_from_file_location("make_02_book", NOTEBOOKS / "make_02_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = nbformat.read(NOTEBOOKS / module.NAME, as_version=4)
    assert stored == module.build(), "run python notebooks/make_02_book.py and commit the result"


@pytest.mark.slow
def test_the_book_notebook_runs(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed")
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    pytest.importorskip("PIL", reason="Pillow is not installed")
    # the kernel imports this checkout's glassnet and finds the shared data
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    # as a reader sets it: GLASSNET_DATA, no download, an empty cache
    monkeypatch.setenv("GLASSNET_DATA", str(shared_data_dir()))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / "02_make_your_own_neural_network.ipynb", as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    elapsed = time.perf_counter() - start
    text = "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []))
    print(f"notebook ran in {elapsed:.1f}s")
    assert "largest difference in wih:" in text
    assert "safetensors" in nb.cells[-1].source and ".npz" not in nb.cells[-1].source
    wih_diff = float(text.split("largest difference in wih:")[1].split()[0])
    assert wih_diff < 1e-12  # the plain-NumPy class and glassnet's agree
    if (shared_data_dir() / "rashid-csv" / "mnist_test_10.csv").is_file():
        assert "scorecard:" in text  # the book's CSV files found through GLASSNET_DATA
    else:
        assert "book CSV files: absent" in text and "makeyourownneuralnetwork" in text
    if (shared_data_dir() / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        assert "the network reads 7" in text.split("MNIST-style")[1]
        assert "epoch 2: performance 0.9" in text
    else:
        assert "skipped: MNIST's test files were not found" in text
