"""``glassnet train --backup-dir``: what a backup records of the command that made it.

A backup continues only the command that made it. It records a fingerprint
of the training data (shape, dtype and SHA-256 of the arrays trained on, so a
moved data folder still matches and an edited file does not) and of every
option that changes the training; rerunning with a difference is refused,
or continued with ``--resume-anyway``. Options that do not change the
training (``-o``, ``--plots``, ``--data-dir``, ``--no-download``) are left out.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from ..errors import BackupMismatchError, BackupMismatchWarning
from . import data as cli_data

__all__ = ["train_fingerprint", "in_cli_terms", "mismatch_warnings_as_lines"]

# the options of `train` that change what is trained, by their attribute names
_TRAINING_OPTIONS = ("scale", "samples", "noise", "seed", "hidden", "activation", "loss",
                     "dropout", "optimizer", "lr", "momentum", "nesterov", "weight_decay",
                     "clip_norm", "epochs", "batch_size", "validation_split",
                     "early_stopping", "lr_schedule", "warmup_epochs", "dtype")


def train_fingerprint(args: argparse.Namespace, data: cli_data.Data) -> dict[str, Any]:
    """The data set and the training options of ``args``, keyed as the user writes them."""
    named = args.dataset in cli_data.TOYS or args.dataset in cli_data.IMAGE_SETS
    values: dict[str, Any] = {
        "data set": args.dataset if named else "a CSV file",
        "training data": data.X_train,
        "training labels": data.y_train,
    }
    for name in _TRAINING_OPTIONS:
        values["--" + name.replace("_", "-")] = getattr(args, name, None)
    return values


def in_cli_terms(exc: BackupMismatchError) -> BackupMismatchError:
    """The library's refusal, with the command line's remedies."""
    found = "; ".join(exc.differences)
    if exc.resumable:
        message = (f"{exc.path} was made by a different command: {found}. Rerun the command "
                   f"that made it, delete {exc.path} (or give another --backup-dir) to start "
                   "afresh, or add --resume-anyway to continue it with this command's data "
                   "and options")
    else:
        message = (f"{exc.path} is a backup of a different network ({found}); rerun with the "
                   f"--hidden, --activation, --dropout and --dtype it was made with, or delete "
                   f"{exc.path} (or give another --backup-dir) to start afresh")
    return BackupMismatchError(message, path=exc.path, differences=exc.differences,
                               resumable=exc.resumable)


@contextlib.contextmanager
def mismatch_warnings_as_lines() -> Iterator[None]:
    """Show ``--resume-anyway``'s warning as one ``warning: ...`` line, not Python's format."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
            if issubclass(category, BackupMismatchWarning):
                print(f"warning: {message} (--resume-anyway)", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield
