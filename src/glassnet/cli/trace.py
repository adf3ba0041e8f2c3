"""``glassnet trace``: one training step of a small preset network with every number shown."""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

FORMATS = ("text", "markdown", "html", "json")


def register(sub: Any) -> None:
    """Add the ``trace`` sub-command to the parser's sub-parsers ``sub``."""
    from ..trace import PRESETS

    trace = sub.add_parser(
        "trace", help="one training step with every number shown",
        description="Run one gradient-descent step of a small network and print every "
                    "number: weighted inputs, activations, the loss, each chain-rule "
                    "factor, the gradients (each checked against a difference quotient), "
                    "the new weights and the loss after the step.")
    trace.add_argument("--preset", choices=sorted(PRESETS), default="mazur",
                       help="mazur: Matt Mazur's 2-2-2 example (default); book: the book's "
                            "3-3-3 network without biases; moons: a 2-3-2 classifier on "
                            "one sample of the two moons")
    trace.add_argument("--format", choices=FORMATS, default="text",
                       help="text (default), markdown, html or json")
    trace.add_argument("--lr", type=float, default=None,
                       help="learning rate (default: the preset's)")
    trace.add_argument("-o", "--output", default=None,
                       help="write to this file instead of the standard output")
    trace.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print (or write with -o) the trace of one training step; returns the exit code."""
    from .._atomic import atomic_write
    from ..trace import trace_step

    trace = trace_step(args.preset, lr=args.lr)
    text = {"text": trace.to_text, "markdown": trace.to_markdown, "html": trace.to_html,
            "json": trace.to_json}[args.format]()
    if args.format == "html":
        text = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(trace.title)}</title></head><body>{text}</body></html>")
    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    with atomic_write(Path(args.output)) as f:
        f.write(text.encode("utf-8"))
    print(f"wrote {args.format} trace to {args.output}")
    return 0
