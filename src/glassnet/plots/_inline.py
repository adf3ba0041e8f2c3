"""A matplotlib ``Figure`` that Jupyter shows as a picture, with no ``%matplotlib inline``.

A figure built with ``matplotlib.figure.Figure`` (rather than pyplot) has no
rich representation of its own: unless pyplot's inline backend has been set
up in the kernel, Jupyter shows it as the text ``<Figure size 550x450 with 1
Axes>``. This subclass adds ``_repr_png_``, which IPython calls to display
any object as a PNG; where the inline backend is active its own printer for
figures is used instead, so the picture appears exactly once either way.
Everything else is matplotlib's ``Figure``; this module imports matplotlib
and is itself imported only when a plot is drawn.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure as _MatplotlibFigure

from ._figure import DPI

__all__ = ["Figure"]


class Figure(_MatplotlibFigure):
    """matplotlib's Figure, plus ``_repr_png_`` for Jupyter."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()
