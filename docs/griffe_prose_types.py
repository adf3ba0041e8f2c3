"""A griffe extension: glassnet's ``name : prose`` docstring entries read as descriptions.

glassnet's docstrings write their numpydoc entries as ``name : what it is``,
where "what it is" is often a sentence (``hidden : hidden units (the blog
uses 4)``, ``x : ndarray of shape (n_samples, n_in)``). The numpy parser
reads the text after the colon as a *type*, so a reference table would put
half a sentence in its Type column, with literal double backticks, and the
rest in Description. This extension rewrites each such entry, before the
parser sees it, as::

    name
        what it is
        (the continuation lines, unchanged)

so the whole text is the description and the Type column shows the
signature's annotation. It applies to the sections whose entries are names
(Parameters, Other Parameters, Attributes); in Returns and Raises, the
text after ``name :`` (or ``Error :``), and a line that is prose rather
than a type, become the description in the same way. mkdocs.yml loads it
(``extensions:``); tests/test_docs_tables.py checks that no table is split.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

NAMED_SECTIONS = {"parameters", "other parameters", "attributes", "keyword arguments",
                  "params", "args", "arguments"}
VALUE_SECTIONS = {"returns", "yields", "receives"}
ERROR_SECTIONS = {"raises", "warns"}
_ENTRY = re.compile(r"^(?P<indent>\s*)(?P<names>\*{0,2}[A-Za-z_][\w, *]*?)\s+:\s+(?P<text>\S.*)$")


def rewrite(docstring: str) -> str:
    """``docstring`` with every ``name : text`` entry of a named section split as above."""
    lines = docstring.splitlines()
    out: list[str] = []
    section: str | None = None
    base: int | None = None
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and re.fullmatch(r"\s*-{3,}\s*", lines[i + 1])
        if underline and line.strip():
            section, base = line.strip().lower(), None
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        if section in NAMED_SECTIONS and line.strip() and not re.fullmatch(r"\s*-{3,}", line):
            if base is None:
                base = indent
            match = _ENTRY.match(line)
            if indent == base and match:
                out.append(f"{match['indent']}{match['names']}")
                out.append(f"{match['indent']}    {match['text']}")
                continue
        elif section in VALUE_SECTIONS | ERROR_SECTIONS and line.strip() and not re.fullmatch(
                r"\s*-{3,}", line):
            if base is None:
                base = indent
            if indent == base:
                out.extend(_value_entry(line, errors=section in ERROR_SECTIONS))
                continue
        out.append(line)
    return "\n".join(out)


def _value_entry(line: str, *, errors: bool) -> list[str]:
    """A Returns (or Raises) entry with its prose as the description.

    ``name : text`` becomes ``name :`` (``Error`` for Raises) over ``text``;
    a line that is prose, not a type, becomes the description of an entry
    with no type. A plain type (``GradcheckResult``) stays as it is.
    """
    indent = line[: len(line) - len(line.lstrip())]
    match = _ENTRY.match(line)
    if match:
        head = match["names"] if errors else f"{match['names']} :"
        return [f"{indent}{head}", f"{indent}    {match['text']}"]
    text = line.strip()
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return [f"{indent}:", f"{indent}    {text}"]
    return [line]


class ProseTypes(griffe.Extension):
    """Rewrite every docstring of the loaded objects with :func:`rewrite`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
