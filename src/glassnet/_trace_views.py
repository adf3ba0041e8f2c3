"""What ``trace_step`` returns, and its views: plain text, Markdown, HTML, JSON."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Line", "Section", "StepTrace", "fmt"]


def fmt(value: float, digits: int = 9) -> str:
    """A number with ``digits`` significant digits, no trailing zeros, a true minus sign."""
    text = f"{float(value):.{digits}g}"
    return "0" if text in ("-0", "0") else text.replace("-", "−")


@dataclass
class Line:
    """One quantity: ``name = formula = numbers = value`` (``label``: another name for it).

    ``value`` is None for a matrix, whose entries are all in ``numbers``.
    """

    name: str
    formula: str
    numbers: str
    value: float | None
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "formula": self.formula, "numbers": self.numbers,
                "value": self.value, "label": self.label}


@dataclass
class Section:
    title: str
    text: str
    lines: list[Line]


@dataclass
class StepTrace:
    """Every number of one training step; ``print`` it, or show it in Jupyter.

    Attributes
    ----------
    sections : the step in order (data, forward, loss, backward, gradient
        check, update, loss after, the engine's agreement)
    arrays : every quantity as a float64 array by name: ``x``, ``y``, ``W1``,
        ``b1``, ``z1``, ``a1``, ..., ``dC/da2``, ``delta2``, ``dW2``, ``db2``,
        ``W2_new``, ``b2_new``, ``out_after``
    loss_before, loss_after : the loss before and after the step
    lr : the learning rate
    max_gradcheck_error : the largest relative error between a backpropagated
        gradient and its difference quotient
    engine_max_difference : the largest absolute difference between these
        gradients and those of the engine's ``network.backward``
    """

    sections: list[Section]
    arrays: dict[str, NDArray]
    loss_before: float
    loss_after: float
    lr: float
    max_gradcheck_error: float
    loss_formula: str = ""
    engine_max_difference: float = float("nan")
    title: str = "one training step"
    description: str = ""
    digits: int = field(default=9, repr=False)

    # -- views -------------------------------------------------------------
    def to_text(self) -> str:
        """Plain text for a terminal: each line ``name = formula``, then ``= numbers = value``."""
        out = [self.title, "=" * len(self.title)]
        if self.description:
            out.append(self.description)
        for section in self.sections:
            out += ["", section.title, "-" * len(section.title), section.text]
            for line in section.lines:
                label = f"  ({line.label})" if line.label else ""
                head = f"  {line.name}{label} = "
                pad = " " * (len(head) - 2) + "= "
                value = self._value(line)
                if line.value is None:
                    out += [f"{head}{line.formula}", f"{pad}{line.numbers}"]
                elif line.formula in ("input", "target") or line.formula.startswith(("weight",
                                                                                   "bias")):
                    out.append(f"{head}{value}   [{line.formula}]")
                elif line.numbers == value:
                    out += [f"{head}{line.formula}", f"{pad}{value}"]
                else:
                    out += [f"{head}{line.formula}", f"{pad}{line.numbers}", f"{pad}{value}"]
        return "\n".join(out)

    def _value(self, line: Line) -> str:
        return "" if line.value is None else fmt(line.value, self.digits)

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self) -> str:
        """Markdown: a heading and a table (quantity, formula, numbers, value) per section."""
        out = [f"## {_md(self.title)}"]
        if self.description:
            out += ["", _md(self.description)]
        for section in self.sections:
            out += ["", f"### {_md(section.title)}", "", _md(section.text)]
            if section.lines:
                out += ["", "| quantity | formula | with the numbers | value |",
                        "|---|---|---|---:|"]
                for line in section.lines:
                    name = line.name + (f" ({line.label})" if line.label else "")
                    out.append(f"| {_md(name)} | {_md(line.formula)} | {_md(line.numbers)} | "
                               f"{self._value(line)} |")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """A self-contained HTML fragment (no scripts, no external files)."""
        esc = html.escape
        cell = "padding:2px 8px;text-align:left;font-family:monospace"
        out = [f"<div class='glassnet-trace'><h3>{esc(self.title)}</h3>"]
        if self.description:
            out.append(f"<p>{esc(self.description)}</p>")
        for section in self.sections:
            out.append(f"<h4>{esc(section.title)}</h4><p>{esc(section.text)}</p>")
            if not section.lines:
                continue
            out.append(f"<table><tr><th style='{cell}'>quantity</th><th style='{cell}'>"
                       f"formula</th><th style='{cell}'>with the numbers</th>"
                       f"<th style='{cell}'>value</th></tr>")
            for line in section.lines:
                name = line.name + (f" ({line.label})" if line.label else "")
                out.append(f"<tr><td style='{cell}'>{esc(name)}</td><td style='{cell}'>"
                           f"{esc(line.formula)}</td><td style='{cell}'>{esc(line.numbers)}"
                           f"</td><td style='{cell}'><b>{esc(self._value(line))}"
                           "</b></td></tr>")
            out.append("</table>")
        out.append("</div>")
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dict(self) -> dict[str, Any]:
        """Plain Python (lists, floats, strings), ready for ``json.dumps``."""
        return {
            "title": self.title,
            "description": self.description,
            "loss_formula": self.loss_formula,
            "lr": self.lr,
            "loss_before": self.loss_before,
            "loss_after": self.loss_after,
            "max_gradcheck_error": self.max_gradcheck_error,
            "engine_max_difference": self.engine_max_difference,
            "arrays": {k: np.asarray(v).tolist() for k, v in self.arrays.items()},
            "sections": [{"title": s.title, "text": s.text,
                          "lines": [line.to_dict() for line in s.lines]}
                         for s in self.sections],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __repr__(self) -> str:
        return (f"StepTrace({self.title!r}, loss {fmt(self.loss_before, self.digits)} -> "
                f"{fmt(self.loss_after, self.digits)}, lr={self.lr})")


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
