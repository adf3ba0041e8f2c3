"""The book's CSV files are found as the other data sets are, or the error says where
they come from."""

from __future__ import annotations

import pytest

from glassnet.datasets import find_book_csv
from glassnet.datasets.book_csv import BOOK_CSV_URL
from glassnet.errors import DataNotFoundError


def test_found_under_glassnet_data(tmp_path, monkeypatch):
    (tmp_path / "rashid-csv").mkdir()
    (tmp_path / "rashid-csv" / "mnist_test_10.csv").write_text("7," + ",".join(["0"] * 784))
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    assert find_book_csv("mnist_test_10.csv") == tmp_path / "rashid-csv" / "mnist_test_10.csv"


def test_found_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "glassnet" / "rashid-csv"
    folder.mkdir(parents=True)
    (folder / "mnist_train_100.csv").write_text("")
    assert find_book_csv("mnist_train_100.csv") == folder / "mnist_train_100.csv"


def test_absent_says_where_it_comes_from_and_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "none"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError) as exc:
        find_book_csv("mnist_test_10.csv")
    message = str(exc.value)
    assert f"{BOOK_CSV_URL}mnist_test_10.csv" in message and "download=True" in message
    assert str(tmp_path / "cache" / "glassnet" / "rashid-csv") in message
    with pytest.raises(ValueError, match="the book's CSV files are"):
        find_book_csv("mnist_train.csv")
