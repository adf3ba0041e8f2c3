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

from .layers.base import walk_layers

if TYPE_CHECKING:
    from .network import Network

__all__ = ["Summary", "network_html", "summary_text"]


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
        count = sum(p.size for _, la in walk_layers([("", layer)]) for p in la.params.values())
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


def summary_text(network: Network) -> Summary:
    """``Network.summary()``: the layers (indented: the layers inside them), their output
    shapes and parameter counts, as text that Jupyter shows as an HTML table."""
    rows = [("#", "layer", "output shape", "params")]
    shape = network.input_shape
    for i, layer in enumerate(network.layers):
        if shape is not None:
            shape = layer.output_shape(shape) if layer.built else None
        shown = "?" if shape is None else f"(None, {', '.join(map(str, shape))})"
        for path, sub in walk_layers([(str(i), layer)]):
            # a layer holding layers counts what is inside it; its parts follow, indented
            count = sum(p.size for _, la in walk_layers([("", sub)])
                        for p in la.params.values())
            depth = path.count(".")
            # a container's parts follow it, so it shows only its kind
            described = f"{type(sub).__name__}(...)" if sub.sublayers() else repr(sub)
            shown_name = described if not depth else "  " * depth + f"{path}: {described}"
            rows.append((str(i) if not depth else "", shown_name,
                         shown if not depth else "", f"{count:,}"))
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    line = "-" * (sum(widths) + 6)

    def fmt(r: tuple[str, ...]) -> str:
        return (f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                f"{r[3]:>{widths[3]}}")

    n_state = sum(int(v.size) for _, v in network.named_state())
    body = [fmt(rows[0]), line] + [fmt(r) for r in rows[1:]]
    body += [line, f"loss: {network.loss!r}   task: {network.task or 'set by the first fit'}   "
                   f"dtype: {network.dtype}",
             f"total parameters: {network.n_parameters:,}"
             + (f"   non-trainable state: {n_state:,}" if n_state else "")]
    if not network.built:
        body.append("not built yet: shapes are known after build(input_shape) or the first fit")
    return Summary("\n".join(body), network_html(network))  # a str; a table in Jupyter
