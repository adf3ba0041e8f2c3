"""Bad usage of ``glassnet``: found before any work starts, reported in the options' terms.

A usage error (an unknown data set, activation or loss, a learning rate of
-1, an option that does not apply to the data set) exits with code 2, as
argparse's own errors do; a failure at run time (data not found, a bad
file, a diverging run) exits with 1.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import GlassnetError
from .data import IMAGE_SETS, NAMES, TOYS

__all__ = ["UsageError", "check_train_args", "check_data_args"]


class UsageError(GlassnetError, ValueError):
    """The command line was used wrongly: exit code 2, with the option to change."""


def _number(args: argparse.Namespace, name: str, *, low: float, high: float = math.inf,
            low_open: bool = False, high_open: bool = True, hint: str = "") -> None:
    value = getattr(args, name, None)
    if value is None:
        return
    flag = "--" + name.replace("_", "-")
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high)
    if not ok:
        lo = f"{'above' if low_open else 'at least'} {low:g}"
        hi = "" if high == math.inf else f" and {'below' if high_open else 'at most'} {high:g}"
        raise UsageError(f"{flag} must be {lo}{hi}, got {value:g}{hint}")


def check_data_args(args: argparse.Namespace, dataset: str | None) -> None:
    """Refuse a data option that does nothing for ``dataset`` (``--noise`` on blobs, ...)."""
    if dataset is None:
        return
    toy = dataset in TOYS
    if not toy and dataset not in IMAGE_SETS and Path(dataset).suffix.lower() != ".csv":
        raise UsageError(f"unknown data set {dataset!r}; choose one of {', '.join(NAMES)}, or "
                         "give a .csv file in the book's format (label, then 784 pixels)")
    if getattr(args, "noise", None) is not None:
        if not toy:
            raise UsageError(f"--noise applies to the generated data sets ({', '.join(TOYS)} "
                             f"but blobs), not to {dataset}: drop --noise")
        if dataset == "blobs":
            raise UsageError("--noise does not apply to blobs: its clusters have a fixed "
                             "spread (standard deviation 1 around centres drawn in [-10, 10], "
                             "all scaled by 1/10); drop --noise, or use moons, circles, "
                             "spirals or xor, whose noise it sets")
        if not (math.isfinite(args.noise) and args.noise >= 0):
            raise UsageError(f"--noise must be 0 or more, got {args.noise:g}")
    if toy:
        given = [flag for flag, value in (("--scale", getattr(args, "scale", None)),
                                          ("--data-dir", getattr(args, "data_dir", None)),
                                          ("--no-download", getattr(args, "no_download", False)))
                 if value not in (None, False)]
        if given:
            raise UsageError(f"{dataset} is generated on the spot (already scaled to about "
                             f"[-1, 1], nothing to find or download): drop {', '.join(given)}")
    if getattr(args, "test", None) is not None and Path(dataset).suffix.lower() != ".csv":
        raise UsageError(f"--test names the test file of a CSV training file; {dataset} has "
                         "its own test split: drop --test")


def check_train_args(args: argparse.Namespace) -> None:
    """Every ``glassnet train`` option in its range, every name known, before any data loads."""
    from ..layers.activations import ACTIVATIONS
    from ..losses import LOSSES

    check_data_args(args, args.dataset)
    if args.activation is not None and args.activation not in ACTIVATIONS:
        raise UsageError(f"unknown --activation {args.activation!r}; choose one of "
                         f"{', '.join(sorted(ACTIVATIONS))}")
    if args.loss is not None and args.loss not in LOSSES:
        raise UsageError(f"unknown --loss {args.loss!r}; choose one of "
                         f"{', '.join(sorted(LOSSES))}")
    _number(args, "lr", low=0, low_open=True, hint=" (e.g. --lr 0.01)")
    _number(args, "dropout", low=0, high=1, hint=" (the probability of dropping a unit)")
    _number(args, "momentum", low=0, high=1)
    _number(args, "weight_decay", low=0)
    _number(args, "clip_norm", low=0, low_open=True)
    _number(args, "warmup_epochs", low=0)
    if args.early_stopping is not None and args.early_stopping < 1:
        raise UsageError(f"--early-stopping takes a patience of at least 1 epoch, got "
                         f"{args.early_stopping}")
