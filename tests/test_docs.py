"""The documentation site builds in strict mode, offline, and has the pages it promises."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _require_docs_tools() -> None:
    for module in ("mkdocs", "mkdocstrings_handlers.python", "mkdocs_jupyter", "material"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")


def _load_hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def build(source: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # snippets (the changelog page) resolve paths from the working folder
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=source, capture_output=True, text=True, check=False,
                          env={"PATH": "", "NO_MKDOCS_2_WARNING": "1", "HOME": str(site.parent)})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _require_docs_tools()
    out = tmp_path_factory.mktemp("site")
    result = build(REPO, out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_strict_build_has_every_page(site):
    for page in ("index.html", "getting-started/index.html", "tutorials/index.html",
                 "model-format/index.html", "onnx/index.html", "benchmarks/index.html",
                 "changelog/index.html", "reference/index.html", "writing-a-layer/index.html"):
        assert (site / page).is_file(), page


def test_one_reference_page_per_public_module_with_its_docstrings(site):
    modules = _load_hooks().public_modules(REPO)
    assert {"network", "layers", "losses", "optimizers", "io", "export"} <= set(modules)
    for module in modules:
        page = (site / "reference" / module / "index.html").read_text(encoding="utf-8")
        assert f"glassnet.{module}" in page
    network = (site / "reference" / "network" / "index.html").read_text(encoding="utf-8")
    assert "Layers applied in order, trained against a loss" in network  # Network's docstring
    index = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{m}/"' in index for m in modules)


def test_pages_carry_the_format_benchmarks_and_changelog(site):
    fmt = (site / "model-format" / "index.html").read_text(encoding="utf-8")
    assert "__metadata__" in fmt and "param/0.W" in fmt and "optim/m/0.W" in fmt
    bench = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    assert "samples/s" in bench and "<table>" in bench
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "0.1.0" in changelog and "Unreleased" in changelog


def test_the_repository_notebooks_are_rendered(site):
    found = _load_hooks().notebooks(REPO)
    if not found:
        pytest.skip("notebooks/ holds no notebook yet (the next test renders a made-up one)")
    listing = (site / "tutorials" / "index.html").read_text(encoding="utf-8")
    for notebook in found:
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name
        assert f'href="../notebooks/{notebook.stem}/"' in listing


def test_a_notebook_becomes_a_tutorial_page(tmp_path):
    """A copy of the docs with one notebook: it becomes a page listed under Tutorials.

    Run only while the repository has no notebook of its own (then the test
    above checks the real ones, and one build suffices).
    """
    _require_docs_tools()
    if _load_hooks().notebooks(REPO):
        pytest.skip("the repository's own notebooks are checked in the main build")
    import nbformat

    source = tmp_path / "repo"
    for name in ("mkdocs.yml", "CHANGELOG.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "docs", source / "docs")
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (source / "notebooks").mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A tutorial title\n\nText."),
                      nbformat.v4.new_code_cell("print(6 * 7)", execution_count=1, outputs=[
                          nbformat.v4.new_output("stream", name="stdout", text="42\n")])]
    nbformat.write(notebook, source / "notebooks" / "01_example_tutorial.ipynb")
    result = build(source, tmp_path / "site")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (tmp_path / "site" / "notebooks" / "01_example_tutorial" / "index.html")
    html = page.read_text(encoding="utf-8")
    assert "A tutorial title" in html and "42" in html
    listing = (tmp_path / "site" / "tutorials" / "index.html").read_text(encoding="utf-8")
    assert 'href="../notebooks/01_example_tutorial/"' in listing

