"""Training: the loop, batching, callbacks, metrics and the history record."""

from .callbacks import Callback, EarlyStopping, EpochLogger
from .history import History
from .loop import fit
from .metrics import accuracy, confusion_matrix

__all__ = ["Callback", "EarlyStopping", "EpochLogger", "History", "accuracy",
           "confusion_matrix", "fit"]
