"""The exception types glassnet raises.

Each subclasses the built-in exception a caller would already catch
(``ValueError`` for bad arguments and data, ``OSError`` for files), so
``except ValueError`` keeps working while the specific type says more.
"""

from __future__ import annotations

__all__ = [
    "GlassnetError",
    "ShapeError",
    "DTypeError",
    "DataFormatError",
    "DataNotFoundError",
    "ModelFormatError",
    "ExportError",
    "BackupMismatchError",
    "TrainingHealthWarning",
    "InputWarning",
    "TrainingWarning",
    "BackupMismatchWarning",
]


class GlassnetError(Exception):
    """Base class of every error raised on purpose by glassnet."""


class ShapeError(GlassnetError, ValueError):
    """An array has the wrong number of dimensions or the wrong size."""


class DTypeError(GlassnetError, ValueError, TypeError):
    """An array has a dtype the receiver does not accept (no silent casts).

    Both a ValueError (bad input data) and a TypeError (wrong kind of value).
    """


class DataFormatError(GlassnetError, ValueError):
    """A data file is truncated, corrupt or not in the format it claims."""


class DataNotFoundError(GlassnetError, FileNotFoundError):
    """A data set could not be found in any of the places searched."""


class ModelFormatError(GlassnetError, ValueError):
    """A model file is malformed, truncated or of an unknown format version."""


class ExportError(GlassnetError, ValueError):
    """A network cannot be written in an exchange format (a layer or loss it cannot express)."""


class BackupMismatchError(GlassnetError, ValueError):
    """A training backup was made by another run (other data, settings or network).

    Attributes
    ----------
    path : the backup file
    differences : one line per difference, ``"<what>: <in the backup>, <now>"``
    resumable : False when the weights cannot fit this network at all (a
        different architecture); True when resuming is possible but would not
        continue the same run
    """

    def __init__(self, message: str, *, path: object, differences: list[str],
                 resumable: bool) -> None:
        super().__init__(message)
        self.path = path
        self.differences = differences
        self.resumable = resumable


class TrainingHealthWarning(UserWarning):
    """Training runs but something in it looks wrong (``glassnet.training.health``).

    Each message says what was seen, with numbers, and what to try.
    """


class InputWarning(UserWarning):
    """An input looks unlike the data the network was trained on (e.g. a blank picture)."""


class TrainingWarning(UserWarning):
    """Training goes wrong without failing yet (e.g. the loss rises by orders of magnitude)."""


class BackupMismatchWarning(TrainingWarning):
    """A backup made by another run is resumed anyway (``on_mismatch="continue"``)."""
