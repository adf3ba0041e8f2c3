"""MNIST and Fashion-MNIST loaders: small synthetic files, the real files, downloads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_file

from glassnet.datasets.idx import write_idx
from glassnet.datasets.mnist import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_fashion_mnist,
    load_mnist,
)
from glassnet.errors import DataFormatError, DataNotFoundError, DTypeError

TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def write_split(folder, stems, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{stems[0]}.gz", images)
    write_idx(folder / f"{stems[1]}.gz", labels)


@pytest.fixture
def tiny(tmp_path):
    """A folder with a 5-image training split and a 3-image test split."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "tiny"
    data = {}
    for stems, n in ((TRAIN, 5), (TEST, 3)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255  # both extremes present
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        write_split(folder, stems, images, labels)
        data[stems[0][:4]] = (images, labels)
    return folder, data


@pytest.fixture
def offline(clean_env):
    """Keyword arguments that keep a loader away from the system, the cache and the net."""
    return dict(download=False, system_dirs=(), cache_dir=clean_env)


@pytest.mark.parametrize("load", [load_mnist, load_fashion_mnist])
def test_both_splits_with_defaults(tiny, offline, load):
    folder, data = tiny
    (X_train, y_train), (X_test, y_test) = load(folder, **offline)
    assert X_train.shape == (5, 784) and X_test.shape == (3, 784)
    assert X_train.dtype == np.float32
    assert y_train.dtype == np.int64 and y_train.shape == (5,)
    np.testing.assert_array_equal(y_train, data["trai"][1])
    np.testing.assert_array_equal(y_test, data["t10k"][1])
    np.testing.assert_allclose(X_test, data["t10k"][0].reshape(3, 784) / np.float32(255))
    assert X_train.min() == 0.0 and X_train.max() == 1.0


def test_scales_exactly(tiny, offline):
    folder, data = tiny
    stored = data["t10k"][0]
    X_none, _ = load_mnist(folder, split="test", scale="none", flatten=False, **offline)
    assert X_none.dtype == np.uint8
    np.testing.assert_array_equal(X_none, stored)
    X_unit, _ = load_mnist(folder, split="test", scale="unit", dtype=np.float64, **offline)
    np.testing.assert_array_equal(X_unit, stored.reshape(3, -1) / 255.0)
    X_book, _ = load_mnist(folder, split="test", scale="book", dtype=np.float64, **offline)
    np.testing.assert_allclose(X_book, stored.reshape(3, -1) / 255.0 * 0.99 + 0.01, rtol=1e-15)
    assert X_book.min() == pytest.approx(0.01) and X_book.max() == pytest.approx(1.0)
    X_book32, _ = load_mnist(folder, split="test", scale="book", **offline)
    assert X_book32.dtype == np.float32
    np.testing.assert_allclose(X_book32, X_book, rtol=1e-6)


def test_flatten_false_keeps_the_image_shape(tiny, offline):
    folder, data = tiny
    X, y = load_mnist(folder, split="train", flatten=False, **offline)
    assert X.shape == (5, 28, 28)
    np.testing.assert_allclose(X * 255, data["trai"][0], atol=1e-4)


def test_one_split_needs_only_its_files(tmp_path, offline):
    folder = tmp_path / "only-test"
    write_split(folder, TEST, np.zeros((2, 28, 28), np.uint8), np.array([3, 4], np.uint8))
    X, y = load_mnist(folder, split="test", **offline)
    assert X.shape == (2, 784)
    np.testing.assert_array_equal(y, [3, 4])
    with pytest.raises(DataNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(folder, split="train", **offline)
    with pytest.raises(DataNotFoundError):
        load_mnist(folder, **offline)


def test_found_through_glassnet_data(tiny, offline, monkeypatch, tmp_path):
    folder, _ = tiny
    root = tmp_path / "root"
    root.mkdir()
    folder.rename(root / "fashion-mnist")
    monkeypatch.setenv("GLASSNET_DATA", str(root))
    X, _ = load_fashion_mnist(split="test", **offline)
    assert X.shape == (3, 784)
    with pytest.raises(DataNotFoundError, match="mnist"):
        load_mnist(split="test", **offline)  # looks in root/mnist and root, finds neither


@pytest.mark.parametrize(
    ("images", "labels", "match"),
    [
        (np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), "3 images but .* 2 labels"),
        (np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8), r"\(n, 28, 28\)"),
        (np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8), r"\(n, 28, 28\)"),
        (np.zeros((3, 28, 28), np.float32), np.zeros(3, np.uint8), "uint8 images"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.int32), "uint8 labels"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), "uint8 labels"),
        (np.zeros((3, 28, 28), np.uint8), np.array([0, 10, 1], np.uint8), "labels 0..9"),
    ],
)
def test_files_that_do_not_fit_together(tmp_path, offline, images, labels, match):
    write_split(tmp_path / "bad", TEST, images, labels)
    with pytest.raises(DataFormatError, match=match):
        load_mnist(tmp_path / "bad", split="test", **offline)


def test_corrupt_local_file_is_reported(tmp_path, offline):
    folder = tmp_path / "bad"
    write_split(folder, TEST, np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8))
    path = folder / f"{TEST[0]}.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataFormatError, match=str(path)):
        load_mnist(folder, split="test", **offline)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(split="validation"), ValueError, "split"),
        (dict(scale="percent"), ValueError, "book"),
        (dict(dtype=np.int32), DTypeError, "dtype"),
    ],
)
def test_bad_options_are_refused_before_any_search(offline, kwargs, error, match):
    # nothing exists anywhere, so a DataNotFoundError would mean the check came too late
    with pytest.raises(error, match=match):
        load_mnist(**offline | kwargs)


def test_dtype_is_ignored_with_scale_none(tiny, offline):
    X, _ = load_mnist(tiny[0], split="test", scale="none", dtype=np.int32, **offline)
    assert X.dtype == np.uint8


def test_class_names():
    assert MNIST_CLASSES == tuple("0123456789")
    assert len(FASHION_MNIST_CLASSES) == 10
    assert FASHION_MNIST_CLASSES[0] == "T-shirt/top" and FASHION_MNIST_CLASSES[9] == "Ankle boot"


# --- the real files -------------------------------------------------------------


@pytest.mark.data
def test_real_mnist_test_split(shared_data, offline):
    folder = shared_data / "mnist"
    require_file(folder / f"{TEST[0]}.gz")
    X, y = load_mnist(split="test", path=folder, **offline)
    assert X.shape == (10_000, 784) and X.dtype == np.float32
    assert 0.0 == X.min() and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), MNIST_TEST_COUNTS)


@pytest.mark.data
def test_real_mnist_train_images_are_absent_here(shared_data, offline):
    # the shared folder has the training labels only: the train split must not load
    folder = shared_data / "mnist"
    require_file(folder / f"{TRAIN[1]}.gz")
    if (folder / f"{TRAIN[0]}.gz").exists():
        pytest.skip("the MNIST training images are present after all")
    with pytest.raises(DataNotFoundError, match=TRAIN[0]):
        load_mnist(split="train", path=folder, **offline)


@pytest.mark.data
@pytest.mark.slow
def test_real_fashion_mnist_both_splits(shared_data, offline):
    folder = shared_data / "fashion-mnist"
    require_file(folder / f"{TRAIN[0]}.gz")
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(folder, scale="book", **offline)
    assert X_train.shape == (60_000, 784) and X_test.shape == (10_000, 784)
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert X_test.min() == pytest.approx(0.01) and X_test.max() == pytest.approx(1.0)


@pytest.mark.data
@pytest.mark.parametrize(("stored", "asked", "other"), [
    ("mnist", load_fashion_mnist, "fashion-mnist"),
    ("fashion-mnist", load_mnist, "mnist"),
])
def test_the_other_data_sets_files_are_refused(shared_data, offline, monkeypatch, stored, asked,
                                               other):
    """Same names, same shapes: a bare $GLASSNET_DATA folder must not pass one for the other."""
    folder = shared_data / stored
    for stem in TEST:
        require_file(folder / f"{stem}.gz")
    monkeypatch.setenv("GLASSNET_DATA", str(folder))  # the files directly, no subfolder
    with pytest.raises(DataFormatError, match=f"holds the {stored} labels, not {other}'s"):
        asked(split="test", **offline)


def test_labels_of_neither_data_set_are_accepted(tiny, offline):
    folder, data = tiny  # made-up labels: not known to belong to either
    for load in (load_mnist, load_fashion_mnist):
        _, y = load(folder, split="test", **offline)
        np.testing.assert_array_equal(y, data["t10k"][1])


@pytest.mark.data
def test_download_of_real_mnist_test_files_from_a_local_mirror(shared_data, http_server, offline):
    for stem in TEST:
        source = require_file(shared_data / "mnist" / f"{stem}.gz")
        http_server.put(source.name, source.read_bytes())
    args = offline | dict(download=True, progress=False)
    X, y = load_mnist(split="test", mirrors=[http_server.url], **args)
    assert X.shape == (10_000, 784)
    np.testing.assert_array_equal(np.bincount(y), MNIST_TEST_COUNTS)
    cached = sorted(p.name for p in (offline["cache_dir"] / "mnist").iterdir())
    assert cached == [f"{TEST[0]}.gz", f"{TEST[1]}.gz"]


@pytest.mark.data
def test_fashion_download_accepts_debians_recompressed_archives(shared_data, http_server, offline):
    # the shared files are Debian's recompressed archives: only the content checksum fits
    for stem in TEST:
        source = require_file(shared_data / "fashion-mnist" / f"{stem}.gz")
        http_server.put(source.name, source.read_bytes())
    args = offline | dict(download=True, progress=False)
    X, y = load_fashion_mnist(split="test", mirrors=[http_server.url], **args)
    assert X.shape == (10_000, 784)
    np.testing.assert_array_equal(np.bincount(y), [1000] * 10)


@pytest.mark.data
def test_mnist_download_refuses_a_file_with_the_wrong_checksum(shared_data, http_server, offline):
    # Fashion-MNIST's files served under MNIST's names must fail MNIST's checksums
    for stem in TEST:
        source = require_file(shared_data / "fashion-mnist" / f"{stem}.gz")
        http_server.put(source.name, source.read_bytes())
    args = offline | dict(download=True, progress=False)
    with pytest.raises(DataNotFoundError, match="SHA-256 mismatch"):
        load_mnist(split="test", mirrors=[http_server.url], **args)
    assert not any((offline["cache_dir"] / "mnist").iterdir())


# --- a folder named with path= is the only place looked at ------------------------


@pytest.fixture
def data_elsewhere(tiny, offline, monkeypatch, tmp_path):
    """$GLASSNET_DATA holds a complete mnist folder, so nothing but path= can go wrong."""
    folder, _ = tiny
    root = tmp_path / "root"
    root.mkdir()
    folder.rename(root / "mnist")
    monkeypatch.setenv("GLASSNET_DATA", str(root))
    X, _ = load_mnist(split="test", **offline)  # found there without path=
    assert X.shape == (3, 784)
    return root


def test_a_csv_file_as_path_is_an_error_not_passed_over(data_elsewhere, offline, tmp_path):
    csv = tmp_path / "digits.csv"
    csv.write_text("5," + ",".join(["0"] * 784) + "\n")
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(path=csv, split="test", **offline)
    message = str(info.value)
    assert f"path= argument ({csv}): a file, not a folder" in message
    assert "read_digits_csv" in message and str(tmp_path) in message
    assert str(data_elsewhere) not in message  # $GLASSNET_DATA was not searched


def test_an_empty_folder_as_path_is_an_error_not_passed_over(data_elsewhere, offline,
                                                             tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(empty, split="test", **offline)
    message = str(info.value)
    assert f"path= argument ({empty}): missing {TEST[0]}, {TEST[1]}" in message
    assert "only in the folder given" in message and "leave out path=" in message
    with pytest.raises(DataNotFoundError, match="no such folder"):
        load_mnist(tmp_path / "absent", split="test", **offline)


def test_a_file_as_path_says_it_is_a_file_without_glassnet_data(offline, tmp_path):
    file = tmp_path / "t10k-images-idx3-ubyte.gz"
    file.write_bytes(b"")
    with pytest.raises(DataNotFoundError, match=r"a file, not a folder; path= takes the "
                                                r"folder holding the files"):
        load_mnist(file, split="test", **offline)


@pytest.mark.parametrize("mirrors", ["https://example.org/mnist/", [""], [None], 5])
def test_mirrors_are_validated_even_when_no_download_is_needed(tiny, offline, mirrors):
    with pytest.raises(ValueError, match="mirrors must be a list of base URLs"):
        load_mnist(tiny[0], split="test", mirrors=mirrors, **offline)
