"""The record of a training run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch metrics of one ``fit``.

    Attributes
    ----------
    history : dict of metric name -> list of one value per epoch; keys
        ``loss`` and ``val_loss``, and for classifiers ``accuracy`` and
        ``val_accuracy`` (validation keys only when validation data was given)
    epochs_run : number of epochs completed (fewer than asked after early stopping)
    stopped_early : whether a callback ended training
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    stopped_early: bool = False

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs_run += 1

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history
