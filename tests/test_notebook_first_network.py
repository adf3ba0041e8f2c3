"""The first-network tutorial runs top to bottom, and its pictures reach Jupyter as pictures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _execute(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    nbformat = pytest.importorskip("nbformat", reason="pip install nbformat nbclient ipykernel")
    nbclient = pytest.importorskip("nbclient", reason="pip install nbformat nbclient ipykernel")
    pytest.importorskip("ipykernel", reason="pip install nbformat nbclient ipykernel")
    pytest.importorskip("matplotlib", reason="the tutorial draws pictures")
    # the kernel imports this checkout's glassnet, whatever is installed
    src = str(Path(__file__).resolve().parents[1] / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    return notebook


def _outputs(notebook):
    return [(cell.source, output) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs]


@pytest.mark.slow
def test_first_network_tutorial_runs(tmp_path, monkeypatch):
    notebook = _execute("01_first_network.ipynb", tmp_path, monkeypatch)
    outputs = _outputs(notebook)
    assert not [o for _, o in outputs if o.output_type == "error"]
    pictures = [source for source, o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 8  # moons, linear, blog x3, ReLU, tanh, capacity: drawn, not text
    assert not [o for _, o in outputs
                if "<Figure size" in o.get("data", {}).get("text/plain", "")
                and "image/png" not in o.get("data", {})]
    html = [o["data"]["text/html"] for _, o in outputs if "text/html" in o.get("data", {})]
    assert any("glassnet-trace" in h and "0.298371109" in h for h in html)
    assert any(h.startswith("<img src='data:image/gif;base64,") for h in html)
    assert any(h.startswith("<table class='glassnet-summary'>") for h in html)
    text = "".join(o.get("text", "") for _, o in outputs)
    assert "new w5 = 0.35891648, new w1 = 0.149780716" in text
    assert "learning rate is probably too high" in text and "vanishing" not in text
    assert "ipykernel" not in text and "Warning:" not in text  # one clean line per check
    # the "far too high" learning rate does not converge: no better than a coin
    assert float(text.split("training accuracy: ")[1].split("%")[0]) < 60
    # the blog's two-moons tutorial, and the engine's one-line conversion agreeing with it
    assert "Loss after iteration 19000:" in text
    # the capacity sweep: the largest layer's test loss well above the lowest one
    rows = [line.split() for line in text.split("train loss  test loss")[1].splitlines()[1:8]]
    test_loss = [float(r[-1]) for r in rows]
    assert test_loss[-1] > 2 * min(test_loss) and float(rows[-1][-2]) < 0.01
    difference = float(text.split("largest weight difference after 1000 passes: ")[1].split()[0])
    assert difference < 1e-12  # the same arithmetic, summed once and averaged once
    assert "warnings: []" in text
    assert list(tmp_path.iterdir()) == []  # the tutorial leaves no files behind


def test_notebooks_are_stored_without_outputs():
    nbformat = pytest.importorskip("nbformat", reason="pip install nbformat")
    for path in NOTEBOOKS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
