"""Every ``pip install`` line of the README and the docs names real extras, and a line that
installs from PyPI says it is for after publication (.ci/install_lines.py; CI dry-runs each)."""

from __future__ import annotations

import importlib.util
import sys

from conftest import REPO_ROOT


def _script():
    spec = importlib.util.spec_from_file_location("install_lines",
                                                  REPO_ROOT / ".ci" / "install_lines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_install_lines_are_true_from_this_checkout():
    script = _script()
    found = {(file, " ".join(req)) for file, _, req, _ in script.install_lines()}
    assert ("README.md", ".[plot,notebook]") in found  # the tutorials' set-up line
    assert ("docs/getting-started.md", ".[test]") in found
    assert script.problems() == []


def test_a_pypi_line_without_a_word_on_publication_and_an_unknown_extra_are_caught(tmp_path):
    script = _script()
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'glassnet'\n[project.optional-dependencies]\nplot = []\n")
    (tmp_path / "README.md").write_text(
        "Set up with `pip install\n'glassnet[plot]'`, then:\n\n```bash\n"
        "pip install -e '.[plots]'\n```\n")
    bad = script.problems(tmp_path)
    assert any("README.md:1:" in b and "after publication" in b for b in bad)
    assert any("README.md:5: unknown extra ['plots']" in b for b in bad)


def test_the_notebook_extra_opens_and_runs_notebooks():
    from importlib import import_module

    tomllib = import_module("tomllib") if sys.version_info >= (3, 11) else import_module("tomli")

    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {r.split(">")[0].split("=")[0] for r in extras["notebook"]}
    assert {"jupyterlab", "nbconvert", "ipykernel", "nbclient"} <= names


def test_no_placeholder_in_what_a_user_reads():
    import re

    for path in _script().sources():
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"<(?:the|your) [^<>]*(?:address|url|repository)[^<>]*>", text)
        assert not found, f"{path.name}: {found}"
