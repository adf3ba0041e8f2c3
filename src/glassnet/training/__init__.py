"""Training: the loop, batching, callbacks, schedules, checkpoints, metrics and the history."""

from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    EpochLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .checkpoints import BackupAndRestore, ModelCheckpoint
from .health import HealthCheck
from .history import History
from .loop import fit, partial_fit, train_on_batch
from .metrics import accuracy, confusion_matrix
from .schedules import CosineDecay, ExponentialDecay, LearningRateSchedule, OneCycle, StepDecay
from .state import TrainingState
from .step import Strategy

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CosineDecay", "EarlyStopping",
           "EpochLogger", "ExponentialDecay", "HealthCheck", "History", "LearningRateSchedule",
           "ModelCheckpoint", "OneCycle", "ReduceLROnPlateau", "StepDecay", "Strategy",
           "TerminateOnNaN", "TrainingState", "accuracy", "confusion_matrix", "fit",
           "partial_fit", "train_on_batch"]
