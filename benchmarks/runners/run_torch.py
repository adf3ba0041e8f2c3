"""PyTorch, the standard way: nn.Sequential, CrossEntropyLoss, torch.optim.Adam.

The data stay in two tensors that share memory with the NumPy arrays; each
epoch draws a ``randperm`` and each batch indexes the tensors with a slice of
it (no DataLoader, no worker processes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..measure import EpochClock
from ..spec import LR, SIZES


def _model(sizes: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _adam(params: list, variant: str) -> tuple[torch.optim.Adam, str]:
    """Adam in the requested variant, and the label saying what was really used.

    ``fused=True`` on CPU exists only in recent PyTorch; where it is refused,
    fall back to ``foreach=True`` and say so in the label.
    """
    if variant == "standard":
        return torch.optim.Adam(params, lr=LR), "Adam (default)"
    try:
        opt = torch.optim.Adam(params, lr=LR, fused=True)
        probe = [torch.zeros(2, requires_grad=True)]
        probe_opt = torch.optim.Adam(probe, lr=LR, fused=True)
        probe[0].grad = torch.ones(2)
        probe_opt.step()  # some versions refuse fused CPU only at the first step
        return opt, "Adam(fused=True)"
    except (RuntimeError, TypeError, ValueError) as err:
        reason = str(err).splitlines()[0][:120]
        return (torch.optim.Adam(params, lr=LR, foreach=True),
                f"Adam(foreach=True): fused=True unsupported on CPU here ({reason})")


class Trainer:
    """``nn.Sequential`` of Linear/ReLU trained with a plain loop."""

    def __init__(self, task: dict[str, Any], data: Any) -> None:
        torch.set_num_threads(task["threads"])
        torch.manual_seed(task["seed"])
        self.task = task
        self.X = torch.from_numpy(data.X_train)  # shares memory, no copy
        self.y = torch.from_numpy(data.y_train)
        self.model = _model(SIZES)
        self.optimizer, self.optimizer_label = _adam(list(self.model.parameters()),
                                                     task.get("optimizer", "standard"))
        self.loss_fn = nn.CrossEntropyLoss()
        self.generator = torch.Generator().manual_seed(task["seed"])
        self.notes = [f"torch {torch.__version__}: {self.optimizer_label}, default Linear init, "
                      f"{torch.get_num_threads()} intra-op threads"]

    def fit(self, epochs: int, clock: EpochClock) -> None:
        model, opt, loss_fn, X, y = self.model, self.optimizer, self.loss_fn, self.X, self.y
        n, batch_size = X.shape[0], self.task["batch_size"]
        model.train()
        clock.start()
        for _ in range(epochs):
            order = torch.randperm(n, generator=self.generator)
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
                loss.backward()
                opt.step()
            clock.epoch_end()

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        with torch.inference_mode():
            pred = self.model(torch.from_numpy(X)).argmax(dim=1).numpy()
        return float(np.mean(pred == y))

    def predict_one(self, x: np.ndarray) -> Callable[[], object]:
        model, row = self.model, torch.from_numpy(x[None].copy())

        def call() -> object:
            with torch.inference_mode():
                return model(row)
        return call

    def predict_batch(self, X: np.ndarray) -> Callable[[], object]:
        model, Xt = self.model, torch.from_numpy(X)

        def call() -> object:
            with torch.inference_mode():
                return model(Xt).argmax(dim=1)  # labels, like glassnet's predict
        return call
