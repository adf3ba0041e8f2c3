"""The book's digits CSV: round trips, the real sample files, and every bad line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_file
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassnet.datasets.csv import read_digits_csv, write_digits_csv
from glassnet.datasets.idx import read_idx
from glassnet.errors import DataFormatError, DTypeError, ShapeError


def line(label=3, pixels=None) -> str:
    pixels = [0] * 784 if pixels is None else pixels
    return ",".join(str(v) for v in [label, *pixels])


def test_reads_a_hand_written_file(tmp_path):
    pixels = list(range(256)) + [255] * 528
    path = tmp_path / "d.csv"
    path.write_text(line(7, pixels) + "\n" + line(0) + "\n")
    X, y = read_digits_csv(path)
    assert X.shape == (2, 784) and X.dtype == np.uint8
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [7, 0])
    np.testing.assert_array_equal(X[0], pixels)
    assert not X[1].any()


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(20, 784), dtype=np.uint8)
    y = rng.integers(0, 10, size=20)
    write_digits_csv(tmp_path / "d.csv", X, y)
    X2, y2 = read_digits_csv(tmp_path / "d.csv")
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    first = (tmp_path / "d.csv").read_text().splitlines()[0].split(",")
    assert len(first) == 785 and first[0] == str(y[0]) and first[1] == str(X[0, 0])


@settings(max_examples=20, deadline=None)
@given(
    X=hnp.arrays(np.uint8, st.tuples(st.integers(1, 5), st.just(784))),
    labels=st.lists(st.integers(0, 1000), min_size=5, max_size=5),
)
def test_round_trip_property(tmp_path_factory, X, labels):
    y = np.array(labels[: len(X)], dtype=np.int64)
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    write_digits_csv(path, X, y)
    X2, y2 = read_digits_csv(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_blank_lines_spaces_and_crlf_are_tolerated(tmp_path):
    path = tmp_path / "d.csv"
    spaced = line(2).replace(",", ", ")
    path.write_bytes(("\r\n" + line(1) + "\r\n\r\n" + spaced + "\r\n\n").encode())
    X, y = read_digits_csv(path)
    np.testing.assert_array_equal(y, [1, 2])


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (line(3, [0] * 783), "line 2: expected 785 comma-separated fields .* found 784"),
        (line(3, [0] * 785), "line 2: expected 785 .* found 786"),
        (line(3, [0] * 100 + ["abc"] + [0] * 683), "line 2: field 102 is 'abc', expected an int"),
        (line(3, [0] * 5 + ["1.5"] + [0] * 778), "line 2: field 7 is '1.5'"),
        (line(3, [0] * 5 + [""] + [0] * 778), "line 2: field 7 is ''"),
        (line("x"), "line 2: field 1 is 'x'"),
        (line(3, [0] * 10 + [256] + [0] * 773), "line 2: pixel 10 .* is 256, expected .* 0..255"),
        (line(3, [-1] + [0] * 783), "line 2: pixel 0 .* is -1"),
        (line(-3), "line 2: the label is -3"),
        (line(3, [10**30] + [0] * 783), "line 2: a value is too large"),
        ("5;0;0;0", "line 2: expected 785"),
    ],
)  # fmt: skip
def test_bad_line_names_the_file_and_line(tmp_path, bad, match):
    path = tmp_path / "d.csv"
    path.write_text(line(1) + "\n" + bad + "\n" + line(2) + "\n")
    with pytest.raises(DataFormatError, match=match) as info:
        read_digits_csv(path)
    assert str(path) in str(info.value)


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "d.csv").write_text("\n\n")
    with pytest.raises(DataFormatError, match="found none"):
        read_digits_csv(tmp_path / "d.csv")


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (np.zeros((2, 784), np.float32), [0, 1], DTypeError, "X must hold integers"),
        (np.zeros((2, 784), np.uint8), [0.0, 1.0], DTypeError, "y must hold integers"),
        (np.zeros((2, 783), np.uint8), [0, 1], ShapeError, r"\(n, 784\)"),
        (np.zeros((0, 784), np.uint8), np.zeros(0, int), ShapeError, "n >= 1"),
        (np.zeros(784, np.uint8), [0], ShapeError, r"\(n, 784\)"),
        (np.zeros((2, 784), np.uint8), [0, 1, 2], ShapeError, "y must have shape"),
        (np.full((2, 784), 256, np.int32), [0, 1], ValueError, "0..255"),
        (np.zeros((2, 784), np.int32), [0, -1], ValueError, "labels >= 0"),
    ],
)
def test_write_refuses_bad_input_and_writes_nothing(tmp_path, X, y, error, match):
    with pytest.raises(error, match=match):
        write_digits_csv(tmp_path / "d.csv", X, y)
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_atomically(tmp_path):
    path = tmp_path / "d.csv"
    write_digits_csv(path, np.zeros((1, 784), np.uint8), [1])
    write_digits_csv(path, np.ones((2, 784), np.uint8), [2, 3])
    assert read_digits_csv(path)[1].tolist() == [2, 3]
    assert [p.name for p in tmp_path.iterdir()] == ["d.csv"]


@pytest.mark.data
def test_real_book_training_sample(shared_data):
    path = require_file(shared_data / "rashid-csv" / "mnist_train_100.csv")
    X, y = read_digits_csv(path)
    assert X.shape == (100, 784) and y.shape == (100,)
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert X.max() == 255 and X.min() == 0
    # the book's 100 are the first 100 MNIST training digits
    labels = require_file(shared_data / "mnist" / "train-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(y, read_idx(labels)[:100])


@pytest.mark.data
def test_real_book_test_sample_matches_mnist(shared_data):
    X, y = read_digits_csv(require_file(shared_data / "rashid-csv" / "mnist_test_10.csv"))
    images = read_idx(require_file(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz"))
    np.testing.assert_array_equal(X, images[:10].reshape(10, 784))
    assert y.tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_a_huge_bad_field_is_shown_shortened(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("1," + "9" * 5000 + "," + ",".join(["0"] * 783) + "\n")
    with pytest.raises(DataFormatError, match=r"huge\.csv, line 1: field 2 is '9{40}\.\.\. \(5000"):
        read_digits_csv(path)


def test_a_utf8_byte_order_mark_is_read_as_nothing(tmp_path):
    # editors such as Excel and Notepad start a file saved as UTF-8 with EF BB BF
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (line(7) + "\n" + line(2) + "\n").encode())
    X, y = read_digits_csv(path)
    np.testing.assert_array_equal(y, [7, 2])
    assert X.shape == (2, 784)
    # the careful line-by-line reader (taken on any unusual file) drops it too
    from glassnet.datasets.csv import _parse_by_line
    np.testing.assert_array_equal(_parse_by_line(path)[:, 0], [7, 2])
    # a bad field later in such a file is reported without replacement characters
    path.write_bytes(b"\xef\xbb\xbf" + (line(7) + "\n" + "x" + line(2)[1:] + "\n").encode())
    with pytest.raises(DataFormatError, match=r"line 2: field 1 is 'x'") as info:
        read_digits_csv(path)
    assert "\ufffd" not in str(info.value)


def test_unreadable_missing_and_folder_are_told_apart(tmp_path, monkeypatch):
    import builtins
    import os

    import glassnet.datasets.csv as csv_module

    path = tmp_path / "locked.csv"
    path.write_text(line(1) + "\n")
    path.chmod(0o000)
    if os.geteuid() == 0:  # root reads any file whatever its mode: refuse as the kernel would
        real_open = builtins.open

        def open_refusing(file, *args, **kwargs):
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(csv_module, "open", open_refusing, raising=False)
    with pytest.raises(PermissionError) as info:
        read_digits_csv(path)
    assert str(info.value) == (f"{path} exists but cannot be read (permission denied); check "
                               "its permissions (e.g. chmod u+r) or run as a user who may read "
                               "it")
    assert info.value.errno == 13
    with pytest.raises(FileNotFoundError, match=f"no such file: {tmp_path / 'absent.csv'}$"):
        read_digits_csv(tmp_path / "absent.csv")
    with pytest.raises(IsADirectoryError, match="is a folder, not a CSV file"):
        read_digits_csv(tmp_path)
    path.chmod(0o600)
