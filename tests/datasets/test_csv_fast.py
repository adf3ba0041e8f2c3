"""read_digits_csv's two paths: NumPy's parser for clean files, the line-by-line reader otherwise.

Both must give the same arrays; only the second names a bad line. The timing
against np.loadtxt is measured by benchmarks/csv_read.py, not here.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.datasets.csv as csv_module
from glassnet.datasets.csv import read_digits_csv, write_digits_csv
from glassnet.errors import DataFormatError


@pytest.fixture
def clean_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(50, 784), dtype=np.uint8)
    y = rng.integers(0, 10, size=50)
    path = tmp_path / "digits.csv"
    write_digits_csv(path, X, y)
    path.write_text(path.read_text() + "\n")  # a trailing empty line, as editors leave
    return path, X, y


def test_a_clean_file_takes_the_fast_path_and_reads_exactly(clean_file, monkeypatch):
    path, X, y = clean_file

    def refuse(_path):
        raise AssertionError("the line-by-line reader was used for a clean file")

    monkeypatch.setattr(csv_module, "_parse_by_line", refuse)
    X_read, y_read = read_digits_csv(path)
    np.testing.assert_array_equal(X_read, X)
    np.testing.assert_array_equal(y_read, y)
    assert X_read.dtype == np.uint8 and y_read.dtype == np.int64


@pytest.mark.parametrize("change, message", [
    (lambda r: r.replace(",", ";", 1), "line 7: expected 785 comma-separated fields"),
    (lambda r: r + ",0", "line 7: expected 785 comma-separated fields"),
    (lambda r: r.replace(",", ",x", 1), "line 7: field 2 is 'x"),
    (lambda r: "-1" + r[r.index(","):], "line 7: the label is -1"),
    (lambda r: r[:r.rindex(",")] + ",256", "line 7: pixel 783 .* is 256"),
    (lambda r: r[:r.rindex(",")] + ",-3", "line 7: pixel 783 .* is -3"),
    (lambda r: "# " + r, "line 7: field 1 is '# "),  # not a comment: the slow path agrees
])
def test_a_bad_line_falls_back_and_is_named(clean_file, change, message):
    path, _, _ = clean_file
    lines = path.read_text().splitlines()
    lines[6] = change(lines[6])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=message):
        read_digits_csv(path)


def test_files_numpy_refuses_but_the_format_allows_read_the_same(clean_file):
    path, X, y = clean_file
    lines = path.read_text().splitlines()
    lines.insert(3, "   ")  # a blank line of spaces: skipped by the line reader
    lines[10] = lines[10].replace(",", ", ", 5)  # spaces after commas
    path.write_text("\n".join(lines) + "\n")
    # whichever path reads it, the arrays are the file's
    X_read, y_read = read_digits_csv(path)
    np.testing.assert_array_equal(X_read, X)
    np.testing.assert_array_equal(y_read, y)


def test_a_huge_label_is_kept_by_the_slow_path(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("4000000000," + ",".join(["7"] * 784) + "\n")
    assert csv_module._parse_fast(path) is None  # beyond int32
    X, y = read_digits_csv(path)
    assert y[0] == 4_000_000_000 and X[0, 0] == 7


def test_empty_and_blank_files_still_say_so(tmp_path):
    for text in ("", "\n\n  \n"):
        path = tmp_path / "empty.csv"
        path.write_text(text)
        with pytest.raises(DataFormatError, match="expected at least one line"):
            read_digits_csv(path)
