"""glassnet.plots.training: training curves and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from glassnet import plots  # noqa: E402


def test_history_with_validation_has_two_panels_of_two_lines(trained):
    _, history = trained
    fig = plots.plot_history(history)
    assert len(fig.axes) == 2
    for ax, metric in zip(fig.axes, ["loss", "accuracy"], strict=True):
        lines = ax.get_lines()
        assert len(lines) == 2
        np.testing.assert_allclose(lines[0].get_ydata(), history.history[metric])
        np.testing.assert_allclose(lines[1].get_ydata(), history.history[f"val_{metric}"])
        np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4, 5])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == metric


def test_history_as_a_plain_dict_of_loss_only_has_one_panel():
    fig = plots.plot_history({"loss": [3.0, 2.0, 1.5]})
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_xlabel() == "epoch"


def test_history_with_accuracy_but_no_validation():
    fig = plots.plot_history({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8]})
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


@pytest.mark.parametrize(("history", "error", "pattern"), [
    ({}, ValueError, r"^history has no 'loss' values"),
    ({"loss": []}, ValueError, r"^history has no 'loss' values"),
    ({"accuracy": [0.5]}, ValueError, r"^history has no 'loss' values"),
    ({"loss": [[1.0, 2.0]]}, ValueError, r"^history\['loss'\] must be a list"),
    ([1.0, 2.0], TypeError, r"^history must be a History or a dict"),
])
def test_history_errors(history, error, pattern):
    with pytest.raises(error, match=pattern):
        plots.plot_history(history)


# -- plot_confusion_matrix -------------------------------------------------------
Y_TRUE = [0, 0, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 2, 0, 2]
COUNTS = [[1, 1, 0],  # worked by hand: row = true class, column = predicted
          [0, 1, 0],
          [1, 0, 2]]


def cell_texts(ax):
    """The cell texts as a matrix, read from their positions (x = column, y = row)."""
    n = len(ax.get_xticks())
    grid = np.empty((n, n), dtype=object)
    for text in ax.texts:
        col, row = text.get_position()
        grid[int(row), int(col)] = text.get_text()
    return grid


def test_confusion_matrix_cells_show_the_counts():
    fig = plots.plot_confusion_matrix(Y_TRUE, Y_PRED)
    assert len(fig.axes) == 2  # matrix and colour bar
    ax = fig.axes[0]
    assert len(ax.texts) == 9
    np.testing.assert_array_equal(cell_texts(ax), np.array(COUNTS).astype(str))
    np.testing.assert_array_equal(ax.images[0].get_array(), COUNTS)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert "accuracy 66.7% on 6 samples" in ax.get_title()


def test_confusion_matrix_normalized_rows_sum_to_one():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=True).axes[0]
    expected = np.array(COUNTS) / np.array(COUNTS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    np.testing.assert_array_equal(cell_texts(ax), np.vectorize(lambda v: f"{v:.2f}")(expected))


def test_confusion_matrix_class_names_add_rows_for_unseen_classes():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=True,
                                     class_names=["cat", "dog", "owl", "eel"]).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "owl", "eel"]
    assert len(ax.texts) == 16
    assert cell_texts(ax)[3].tolist() == ["0.00"] * 4  # an empty row stays 0, no warning


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"y_true": [0, 1], "y_pred": [0]}, r"^y_pred has 1 labels but there are 2"),
    ({"y_true": [0.5, 1], "y_pred": [0, 1]}, r"^y_true must hold non-negative integer"),
    ({"y_true": [[0, 1]], "y_pred": [[0, 1]]}, r"^y_true must be a non-empty vector"),
    ({"y_true": [], "y_pred": []}, r"^y_true must be a non-empty vector"),
    ({"y_true": [0, 2], "y_pred": [0, 1], "class_names": ["a", "b"]},
     r"^class_names has 2 names but the labels go up to 2"),
    ({"y_true": [0, 1], "y_pred": [0, 1], "normalize": "rows"}, r"^normalize must be True"),
])
def test_confusion_matrix_errors(kwargs, pattern):
    y_true, y_pred = kwargs.pop("y_true"), kwargs.pop("y_pred")
    with pytest.raises(ValueError, match=pattern):
        plots.plot_confusion_matrix(y_true, y_pred, **kwargs)
