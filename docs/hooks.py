"""Build-time additions to the documentation site (MkDocs hooks, see mkdocs.yml).

* One API reference page per public module of glassnet, ``reference/<name>.md``
  holding ``::: glassnet.<name>`` (mkdocstrings renders the docstrings), so a
  new module gets its page without anyone editing a list.
* The tutorial notebooks of ``notebooks/`` as pages under ``notebooks/``,
  rendered by mkdocs-jupyter with the outputs saved in them; when there are
  none yet, the site builds all the same and says so.
* Both lists in the navigation, and in place of the markers
  ``<!-- reference-modules -->`` and ``<!-- tutorial-notebooks -->``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

log = get_plugin_logger(__name__)

# Documented elsewhere on the site: the command line in "Getting started".
NOT_IN_REFERENCE = {"cli"}


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def public_modules(root: Path) -> list[str]:
    """Top-level modules and packages of ``src/glassnet`` whose names do not start with ``_``."""
    package = root / "src" / "glassnet"
    names = [p.stem for p in package.glob("*.py")]
    names += [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]
    return sorted(n for n in set(names) if not n.startswith("_") and n not in NOT_IN_REFERENCE)


def notebooks(root: Path) -> list[Path]:
    """The tutorial notebooks, in file-name order (their names start with a number)."""
    return sorted((root / "notebooks").glob("*.ipynb"))


def _summary(root: Path, module: str) -> str:
    """The first line of a module's docstring, read without importing it."""
    package = root / "src" / "glassnet"
    path = package / f"{module}.py"
    if not path.is_file():
        path = package / module / "__init__.py"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return doc.strip().splitlines()[0] if doc else ""


def on_config(config: Any) -> Any:
    """Add the reference pages and the notebooks to the navigation."""
    root = _root(config)
    for entry in config.nav:
        if not isinstance(entry, dict):
            continue
        (title, children), = entry.items()
        if title == "API reference":
            children += [{f"glassnet.{m}": f"reference/{m}.md"} for m in public_modules(root)]
        elif title == "Tutorials":
            children += [f"notebooks/{nb.name}" for nb in notebooks(root)]
    return config


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config: Any) -> Files:
    """Generate the reference pages and bring the notebooks in from ``notebooks/``."""
    root = _root(config)
    for module in public_modules(root):
        files.append(File.generated(config, f"reference/{module}.md",
                                    content=f"::: glassnet.{module}\n"))
    for nb in notebooks(root):
        # a real file under the repository root (not File.generated): mkdocs-jupyter
        # reads the notebook through the File's source folder
        files.append(File(f"notebooks/{nb.name}", src_dir=str(root), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Warn (an error with ``--strict``) when a reference table shows literal double backticks.

    They appear when a docstring entry's prose lands in a table's Type
    column, where Markdown is not rendered: a split parameter table.
    """
    if not page.file.src_uri.startswith("reference/"):
        return html
    for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S):
        if "``" in cell:
            snippet = " ".join(re.sub(r"<[^>]+>", " ", cell).split())[:160]
            log.warning(f"{page.file.src_uri}: literal double backticks in a table cell, a "
                        f"docstring entry read as a type (see docs/griffe_prose_types.py): "
                        f"{snippet}")
            break
    return html


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Fill the lists of modules and notebooks into the pages that ask for them."""
    root = _root(config)
    if "<!-- reference-modules -->" in markdown:
        rows = ["| module | what it holds |", "|---|---|"]
        rows += [f"| [`glassnet.{m}`]({m}.md) | {_summary(root, m)} |"
                 for m in public_modules(root)]
        markdown = markdown.replace("<!-- reference-modules -->", "\n".join(rows))
    if "<!-- tutorial-notebooks -->" in markdown:
        found = notebooks(root)
        listing = "\n".join(f"- [{nb.stem.replace('_', ' ')}](../notebooks/{nb.name})"
                            for nb in found)
        markdown = markdown.replace(
            "<!-- tutorial-notebooks -->",
            listing or "*No tutorial notebook is in this build yet: they appear here once "
                       "`notebooks/` holds them.*")
    return markdown
