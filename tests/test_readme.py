"""The README's Python examples run as written."""

import re

import pytest
from conftest import REPO_ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples may save files where they run
    if "sklearn" in BLOCKS[index]:
        pytest.importorskip("sklearn", reason="this example needs the 'sklearn' extra")
    if "dask" in BLOCKS[index]:
        pytest.importorskip("dask_ml", reason="this example needs the 'dask' extra")
    exec(compile(BLOCKS[index], f"README.md example {index}", "exec"), {})
    assert capsys.readouterr().out.strip()  # every example prints what it shows
