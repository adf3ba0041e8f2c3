"""The API reference's parameter tables: a whole sentence in Description, a type (or
nothing) in Type, as mkdocs.yml configures the numpy parser (docs/griffe_prose_types.py)."""

from __future__ import annotations

import ast
import importlib.util

import pytest
from conftest import REPO_ROOT

griffe = pytest.importorskip("griffe", reason="griffe is not installed (pip install -e '.[docs]')")

NAMED = {"parameters", "other parameters", "attributes", "returns", "yields", "raises",
         "warns"}


def _extension():
    path = REPO_ROOT / "docs" / "griffe_prose_types.py"
    spec = importlib.util.spec_from_file_location("griffe_prose_types", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _configured_extensions():
    text = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return ["docs/griffe_prose_types.py:ProseTypes"] if (
        "- docs/griffe_prose_types.py:ProseTypes" in text) else []


def _objects(obj):
    for member in obj.members.values():
        if member.is_alias or member.name.startswith("_") and member.name != "__init__":
            continue
        yield member
        if member.is_module or member.is_class:
            yield from _objects(member)


def _split_entries(extensions):
    package = griffe.load("glassnet", search_paths=[str(REPO_ROOT / "src")],
                          docstring_parser="numpy", resolve_aliases=False,
                          extensions=griffe.load_extensions(*extensions))
    bad = []
    for obj in [package, *_objects(package)]:
        if obj.docstring is None:
            continue
        for section in obj.docstring.parse("numpy", warn_unknown_params=False):
            if section.kind.value.replace("_", " ") not in NAMED:
                continue
            for entry in section.value:
                annotation = entry.annotation
                if annotation is None or not isinstance(annotation, str):
                    continue  # from the signature: an expression griffe parsed
                try:
                    ast.parse(annotation, mode="eval")
                except SyntaxError:  # prose in the Type column
                    bad.append(f"{obj.path}: {getattr(entry, 'name', '')} : {annotation}")
    return bad


def test_the_reference_configuration_puts_no_prose_in_a_type_column():
    import os

    cwd = os.getcwd()
    os.chdir(REPO_ROOT)  # mkdocs.yml names the extension relative to the repository
    try:
        bad = _split_entries(_configured_extensions())
    finally:
        os.chdir(cwd)
    assert not bad, f"{len(bad)} split entries, e.g. {bad[:5]}"


def test_the_check_sees_a_split_table_without_the_extension():
    bad = _split_entries([])  # the numpy parser alone reads "name : prose" as a type
    assert any("blog.NeuralNetwork: hidden : hidden units" in b for b in bad)


def test_the_rewrite_keeps_continuation_lines_and_other_sections():
    text = ("Summary.\n\nParameters\n----------\ny : array of shape (n, 1), the targets\n"
            "    (the output is a sigmoid)\nz\n    plain\n\nReturns\n-------\nX : ndarray\n")
    assert _extension().rewrite(text) == (
        "Summary.\n\nParameters\n----------\ny\n    array of shape (n, 1), the targets\n"
        "    (the output is a sigmoid)\nz\n    plain\n\nReturns\n-------\nX :\n    ndarray")
    text = ("Returns\n-------\nResult; with ``x`` below 1.\nint\n\nRaises\n------\n"
            "ValueError : the name ``x``\n")
    assert _extension().rewrite(text) == (
        "Returns\n-------\n:\n    Result; with ``x`` below 1.\nint\n\nRaises\n------\n"
        "ValueError\n    the name ``x``")


def test_network_s_dtype_sentence_is_whole():
    import glassnet

    doc = glassnet.Network.__doc__
    sentence = doc.split("dtype :")[1].split("\n\n")[0]
    assert " ".join(sentence.split()).endswith("layers given their own dtype must agree with it")


def test_the_build_fails_on_a_page_with_a_split_table(caplog):
    """docs/hooks.py warns (an error under --strict) on literal double backticks."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("docs_hooks", REPO_ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = SimpleNamespace(file=SimpleNamespace(src_uri="reference/blog.md"))
    split = "<td><code>hidden units (the ``hidden`` count)</code></td><td>4</td>"
    with caplog.at_level("WARNING"):
        hooks.on_page_content("<p>fine</p><pre><code>x in ``decay``</code></pre>", page, None,
                              None)
        assert not caplog.records
        hooks.on_page_content(split, page, None, None)
    assert "reference/blog.md: literal double backticks in a table cell" in caplog.text
