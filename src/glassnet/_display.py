"""Rich display in Jupyter: a network's summary as an HTML table.

``Network.summary()`` returns plain text. For notebooks, ``network_html``
draws the same table in HTML and ``Summary`` is a ``str`` (so ``print``
and every string operation work as before) that Jupyter shows as that
table. The network hooks them in with::

    def summary(self) -> Summary:
        return Summary(<the text>, network_html(self))

    def _repr_html_(self) -> str:
        return network_html(self)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .network import Network

__all__ = ["Summary", "network_html"]


class Summary(str):
    """The text of a summary, shown in Jupyter as its HTML table."""

    html: str

    def __new__(cls, text: str, html_table: str) -> Summary:
        self = super().__new__(cls, text)
        self.html = html_table
        return self

    def _repr_html_(self) -> str:
        return self.html

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]  # the text, not its repr with \n


def network_html(network: Network) -> str:
    """An HTML table of the layers, their output shapes and parameter counts."""
    esc = html.escape
    cell = "padding:2px 10px;font-family:monospace"
    rows = []
    shape = network.input_shape
    for i, layer in enumerate(network.layers):
        if shape is not None:
            shape = layer.output_shape(shape) if layer.built else None
        shown = "?" if shape is None else f"(None, {', '.join(map(str, shape))})"
        count = sum(p.size for p in layer.params.values())
        rows.append(f"<tr><td style='{cell};text-align:right'>{i}</td>"
                    f"<td style='{cell};text-align:left'>{esc(repr(layer))}</td>"
                    f"<td style='{cell};text-align:left'>{shown}</td>"
                    f"<td style='{cell};text-align:right'>{count:,}</td></tr>")
    total = sum(p.size for p in network.parameters.values())
    head = "".join(f"<th style='{cell};text-align:{a}'>{t}</th>" for t, a in
                   (("#", "right"), ("layer", "left"), ("output shape", "left"),
                    ("params", "right")))
    return (f"<table class='glassnet-summary'><tr>{head}</tr>{''.join(rows)}</table>"
            f"<p style='font-family:monospace'>loss: {esc(repr(network.loss))} &nbsp; "
            f"task: {esc(str(network.task))} &nbsp; dtype: {esc(str(network.dtype))} &nbsp; "
            f"total parameters: {total:,}</p>")
