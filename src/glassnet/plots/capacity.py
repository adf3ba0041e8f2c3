"""More hidden units fit more complex shapes, and then overfit: a capacity sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_positive, check_positive_int
from ..errors import ShapeError
from ..models import mlp
from ..optimizers import get_optimizer
from ._figure import PathLike, as_labels, check_path, figure_class, finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CapacitySweep", "capacity_sweep", "plot_capacity_sweep"]


@dataclass
class CapacitySweep:
    """Train and test accuracy (and loss) of one network per hidden-layer size.

    ``print`` it for the table, ``.plot()`` for the picture. Overfitting
    shows first in the test *loss*: a network that follows the noise grows
    confident on the test points it gets wrong, so the test loss rises while
    the test accuracy may barely move.
    """

    hidden: list[int]
    train_accuracy: list[float]
    test_accuracy: list[float]
    activation: str
    epochs: int
    n_train: int
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)

    def plot(self, *, path: PathLike | None = None) -> Figure:
        """The picture: accuracy against hidden units (see ``plot_capacity_sweep``)."""
        return plot_capacity_sweep(self, path=path)

    def __str__(self) -> str:
        rows = [f"{'hidden units':>12}  {'train acc':>9}  {'test acc':>8}  {'gap':>6}"
                + ("  train loss  test loss" if self.test_loss else "")]
        for i, (h, tr, te) in enumerate(zip(self.hidden, self.train_accuracy,
                                            self.test_accuracy, strict=True)):
            losses = (f"  {self.train_loss[i]:>10.3f}  {self.test_loss[i]:>9.3f}"
                      if self.test_loss else "")
            rows.append(f"{h:>12}  {tr:>9.3f}  {te:>8.3f}  {tr - te:+.3f}{losses}")
        return "\n".join(rows)


def capacity_sweep(X: ArrayLike, y: ArrayLike, X_test: ArrayLike, y_test: ArrayLike, *,
                   hidden: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
                   activation: str = "tanh", epochs: int = 300, batch_size: int = 32,
                   lr: float = 0.01, seed: int = 0) -> CapacitySweep:
    """Train one ``n_in-h-n_classes`` network per ``h`` in ``hidden`` and measure each.

    Every network is ``glassnet.mlp([n_in, h, n_classes], activation=...)``
    trained with Adam(``lr``) for ``epochs`` epochs from the same ``seed``,
    with no early stopping or regularisation, so that what more units do is
    all there is to see: a tiny layer cannot bend the boundary enough (both
    accuracies low), a large one can follow the noise of a small training set
    (training accuracy up, test accuracy down).

    Parameters
    ----------
    X, y : training data (n_samples, n_in) and integer labels (n_samples,)
    X_test, y_test : held-out data, never trained on
    hidden : the hidden-layer sizes to try
    activation, epochs, batch_size, lr, seed : the training set-up

    Returns
    -------
    CapacitySweep
    """
    X_arr = np.asarray(X)
    if X_arr.ndim != 2:
        raise ShapeError(f"X must have shape (n_samples, n_features), got {X_arr.shape}")
    y_arr = as_labels(y, "y", X_arr.shape[0])
    X_test_arr = np.asarray(X_test)
    y_test_arr = as_labels(y_test, "y_test", X_test_arr.shape[0] if X_test_arr.ndim else None)
    sizes = [check_positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden)]
    if not sizes:
        raise ValueError("hidden must list at least one layer size, e.g. (1, 4, 16, 64)")
    lr = check_positive(lr, "lr")
    n_classes = int(max(y_arr.max(), y_test_arr.max())) + 1
    train, test, train_loss, test_loss = [], [], [], []
    for h in sizes:
        net = mlp([X_arr.shape[1], h, max(2, n_classes)], activation=activation, seed=seed)
        net.fit(X_arr, y_arr, optimizer=get_optimizer("adam", lr=lr), epochs=epochs,
                batch_size=batch_size, seed=seed, verbose=0)
        on_train, on_test = net.evaluate(X_arr, y_arr), net.evaluate(X_test_arr, y_test_arr)
        train.append(on_train["accuracy"])
        test.append(on_test["accuracy"])
        train_loss.append(on_train["loss"])
        test_loss.append(on_test["loss"])
    return CapacitySweep(sizes, train, test, activation, epochs, X_arr.shape[0], train_loss,
                         test_loss)


def plot_capacity_sweep(sweep: CapacitySweep, *, title: str | None = None,
                        path: PathLike | None = None) -> Figure:
    """Training and test accuracy against the number of hidden units (log scale).

    The shaded band between the two lines is the generalisation gap; the
    best test accuracy is marked. When the sweep has losses, a second panel
    shows them: the test loss rising from its lowest point is overfitting.

    Returns
    -------
    Figure with one axes (two with losses): two lines with markers, the gap
    filled, a legend.
    """
    figure_cls = figure_class()
    path = check_path(path)
    if not isinstance(sweep, CapacitySweep):
        raise TypeError(f"sweep must be the CapacitySweep returned by capacity_sweep, "
                        f"got {type(sweep).__name__}")
    h = np.array(sweep.hidden)
    train, test = np.array(sweep.train_accuracy), np.array(sweep.test_accuracy)
    with_loss = bool(sweep.test_loss)
    fig = figure_cls(figsize=(11.0 if with_loss else 6.0, 4.0), layout="constrained")
    ax = fig.add_subplot(1, 2 if with_loss else 1, 1)
    ax.plot(h, train, "o-", label="training accuracy")
    ax.plot(h, test, "s--", label="test accuracy")
    ax.fill_between(h, test, train, where=train >= test, alpha=0.15, color="grey",
                    label="gap (overfitting)")
    best = int(np.argmax(test))
    ax.annotate(f"best test: {test[best]:.1%} with {h[best]}", (h[best], test[best]),
                textcoords="offset points", xytext=(0, -18), ha="center", fontsize="small")
    if len(h) > 1 and h.max() / h.min() >= 8:
        ax.set_xscale("log", base=2)
    ax.set_xticks(h, [str(v) for v in h])
    ax.set_xlabel("hidden units")
    ax.set_ylabel("accuracy")
    low = min(train.min(), test.min())
    ax.set_ylim(low - 0.25 * (1.0 - low) - 0.02, 1.01)  # room below the lines for the legend
    ax.legend(loc="lower right", fontsize="small", ncols=3)
    ax.grid(alpha=0.3)
    heading = (title if title is not None else
               f"one hidden layer ({sweep.activation}): {sweep.n_train} training samples, "
               f"{sweep.epochs} epochs")
    if with_loss:
        fig.suptitle(heading)
        _loss_panel(fig.add_subplot(1, 2, 2), h, np.array(sweep.train_loss),
                    np.array(sweep.test_loss), log_x=ax.get_xscale() == "log")
    else:
        ax.set_title(heading)
    return finish(fig, path)


def _loss_panel(ax: Axes, h: np.ndarray, train: np.ndarray, test: np.ndarray, *,
                log_x: bool) -> None:
    """The losses against hidden units, the lowest test loss marked."""
    ax.plot(h, train, "o-", label="training loss")
    ax.plot(h, test, "s--", label="test loss")
    best = int(np.argmin(test))
    ax.plot([h[best]], [test[best]], "k*", markersize=10,
            label=f"lowest test loss: {h[best]} units")
    if log_x:
        ax.set_xscale("log", base=2)
    ax.set_xticks(h, [str(v) for v in h])
    ax.set_xlabel("hidden units")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("test loss rising after its lowest point: overfitting", fontsize="medium")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
