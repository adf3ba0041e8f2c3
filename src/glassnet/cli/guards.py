"""What ``glassnet train`` does around a run: Ctrl-C, resuming, divergence, warnings.

- Ctrl-C with ``--backup-dir``: the first press lets the current epoch end
  (its backup is written as after every epoch) and then stops, saying
  where the backup is and how to continue; a second press stops at once.
  Without ``--backup-dir`` the run stops at once and the message says how
  to make the next one resumable.
- A resumed run says so, and counts only the epochs it ran.
- A run whose loss rose by orders of magnitude above its best stops, and
  the command exits with 1 instead of saving a broken model.
- Warnings are printed as one line each, without Python's file and line.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from ..training import Callback

__all__ = ["Interrupted", "StopOnInterrupt", "ResumeNotice", "DivergenceGuard",
           "one_line_warnings", "interrupt_message"]

DIVERGENCE_FACTOR = 100.0  # two orders of magnitude above the best epoch's loss


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what was saved and how to continue (the message)."""


class StopOnInterrupt(Callback):
    """Turn the first Ctrl-C into a stop after the current epoch's backup.

    Use as a context manager around ``fit``: it installs the SIGINT handler
    and restores the previous one. It runs before ``BackupAndRestore`` at
    every hook, so the epoch's backup is written before it stops the run
    (at the next epoch's start, as an exception, so the backup is kept).
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.requested = False
        self.epoch = 0
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print(f"\nCtrl-C: stopping after epoch {self.epoch + 1} once its backup is written "
              "(press Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

    def __enter__(self) -> StopOnInterrupt:
        with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C stops at once
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def on_epoch_begin(self, network: Any, epoch: int) -> None:
        self.epoch = epoch
        if self.requested:
            raise KeyboardInterrupt

    def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
        self.epoch = epoch + 1


class ResumeNotice(Callback):
    """Say, once the backup is read, that the run continues a previous one.

    It must come after ``BackupAndRestore`` in the callbacks (both run last).
    """

    restores_training = True  # so fit orders it with BackupAndRestore, after it

    def __init__(self, backup: Any, epochs: int) -> None:
        self.backup = backup
        self.epochs = epochs
        self.resumed_from = 0

    def on_train_begin(self, network: Any) -> None:
        done = self.backup.restored_epoch
        self.resumed_from = done or 0
        if done:
            print(f"resumed from the backup {self.backup.path}: epochs 1-{done} were done "
                  f"before, continuing with epoch {done + 1} of {self.epochs}", flush=True)


class DivergenceGuard(Callback):
    """Stop when an epoch's loss is ``factor`` times its best so far (or not finite)."""

    def __init__(self, factor: float = DIVERGENCE_FACTOR) -> None:
        self.factor = factor
        self.best: tuple[float, int] | None = None
        self.diverged: str | None = None

    def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
        loss = float(logs.get("loss", float("nan")))
        first = getattr(network.training_state, "first_loss", None)
        if self.best is None and first is not None and first > 0:
            self.best = (float(first), -1)  # the run's first batch, before any step
        if self.best is not None and not loss <= self.factor * self.best[0]:
            best, at = self.best
            when = "the first batch" if at < 0 else f"epoch {at + 1}"
            self.diverged = (f"the training loss rose from {best:.4g} ({when}) to {loss:.4g} "
                             f"(epoch {epoch + 1}), {loss / best:.3g} times its best: "
                             "training diverged")
            network.stop_training = True
        elif self.best is None or loss < self.best[0]:
            self.best = (loss, epoch)


def interrupt_message(backup_dir: str | None, epoch: int, epochs: int, command: str) -> str:
    """What a Ctrl-C saved and how to go on."""
    if backup_dir is None:
        return ("nothing was saved. To make a run resumable, add --backup-dir DIR: the "
                "whole training state is then backed up after every epoch, and after a "
                "Ctrl-C or a crash the same command continues where it stopped")
    from pathlib import Path

    path = Path(backup_dir) / "backup.safetensors"
    if epoch == 0 or not path.is_file():
        return (f"no epoch had ended, so there is no backup in {backup_dir} yet; run the same "
                "command again to start over")
    return (f"the whole training state after epoch {epoch} of {epochs} is backed up in "
            f"{path}; to continue with epoch {epoch + 1}, run the same command again: "
            f"{command}")


@contextlib.contextmanager
def one_line_warnings(command: str) -> Iterator[None]:
    """Print each warning as ``glassnet COMMAND: warning: message``, on one line."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = " ".join(str(message).split())
        print(f"glassnet {command}: warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        # glassnet's own warnings (UserWarning subclasses) are shown, once per place
        warnings.filterwarnings("default", category=UserWarning)
        warnings.showwarning = show
        yield
