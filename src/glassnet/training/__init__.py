"""Training: the loop, batching, callbacks, metrics and the history record."""

from .callbacks import Callback, EarlyStopping, EpochLogger
from .health import HealthCheck
from .history import History
from .loop import fit
from .metrics import accuracy, confusion_matrix

__all__ = ["Callback", "EarlyStopping", "EpochLogger", "HealthCheck", "History", "accuracy",
           "confusion_matrix", "fit"]
