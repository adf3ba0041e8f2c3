"""IDX files: exact bytes, round trips, every kind of damage, and the real Fashion-MNIST."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest
from conftest import require_file
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassnet.datasets.idx import read_idx, write_idx
from glassnet.errors import DataFormatError, DTypeError, ShapeError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
FASHION_CONTENT_SHA256 = {  # from shared/data/README.md
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """IDX bytes built by hand, independently of write_idx."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_reads_hand_made_bytes(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x00\xff")
    out = read_idx(path)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [7, 0, 255])


def test_writes_exact_bytes(tmp_path):
    array = np.array([[1, -2, 3], [256, -32768, 32767]], dtype=np.int16)
    write_idx(tmp_path / "a.idx", array)
    assert (tmp_path / "a.idx").read_bytes() == idx_bytes(array, 0x0B)
    assert (tmp_path / "a.idx").read_bytes()[
        :12
    ] == b"\x00\x00\x0b\x02\x00\x00\x00\x02\x00\x00\x00\x03"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, shape, suffix):
    rng = np.random.default_rng(0)
    array = (rng.normal(size=shape) * 100).astype(dtype)
    path = tmp_path / f"data-idx{len(shape)}{suffix}"
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype)
    assert out.dtype.isnative
    assert out.shape == shape
    np.testing.assert_array_equal(out, array)


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.sampled_from([np.dtype(d) for d in DTYPES]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
        elements={"allow_nan": False},
    ),
    compress=st.booleans(),
)
def test_round_trip_property(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / "x"
    write_idx(path, array, compress=compress)
    out = read_idx(path)
    assert out.dtype == array.dtype and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_big_endian_input_is_written_and_read_back_natively(tmp_path):
    array = np.arange(6, dtype=">f4").reshape(2, 3)
    write_idx(tmp_path / "x", array)
    out = read_idx(tmp_path / "x")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_result_is_writable(tmp_path):
    write_idx(tmp_path / "x", np.zeros(3, np.uint8))
    out = read_idx(tmp_path / "x")
    out[0] = 9  # would raise on a read-only view of the file's bytes
    assert out[0] == 9


def test_compression_is_detected_by_magic_not_by_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "looks-compressed.gz", array, compress=False)
    write_idx(tmp_path / "looks-raw", array, compress=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-compressed.gz"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw"), array)


def test_gzip_output_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.int32)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_empty_dimension(tmp_path):
    write_idx(tmp_path / "e", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(tmp_path / "e").shape == (0, 28, 28)


# --- damage ------------------------------------------------------------------


@pytest.fixture
def good_bytes() -> bytes:
    return idx_bytes(np.arange(24, dtype=np.int32).reshape(2, 3, 4), 0x0C)


def test_truncated_payload(tmp_path, good_bytes):
    path = tmp_path / "cut-idx3"
    path.write_bytes(good_bytes[:-1])
    with pytest.raises(DataFormatError, match="truncated") as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "96" in message and "95" in message


def test_trailing_bytes(tmp_path, good_bytes):
    path = tmp_path / "long-idx3"
    path.write_bytes(good_bytes + b"\x00\x00")
    with pytest.raises(DataFormatError, match="2 trailing bytes") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_trailing_bytes_inside_gzip(tmp_path, good_bytes):
    path = tmp_path / "long.gz"
    path.write_bytes(gzip.compress(good_bytes + b"extra"))
    with pytest.raises(DataFormatError, match="trailing"):
        read_idx(path)


@pytest.mark.parametrize("first", [b"\x01\x00", b"\x00\x01", b"PK"])
def test_bad_magic(tmp_path, good_bytes, first):
    path = tmp_path / "bad"
    path.write_bytes(first + good_bytes[2:])
    with pytest.raises(DataFormatError, match="two zero bytes"):
        read_idx(path)


@pytest.mark.parametrize("code", [0x00, 0x07, 0x0A, 0x0F, 0xFF])
def test_unknown_type_code(tmp_path, good_bytes, code):
    path = tmp_path / "bad"
    path.write_bytes(good_bytes[:2] + bytes([code]) + good_bytes[3:])
    with pytest.raises(DataFormatError, match=f"type code 0x{code:02X}"):
        read_idx(path)


@pytest.mark.parametrize("ndim", [0, 5, 255])
def test_dimension_count_out_of_range(tmp_path, ndim):
    path = tmp_path / "bad"
    path.write_bytes(bytes([0, 0, 8, ndim]) + b"\x00" * 64)
    with pytest.raises(DataFormatError, match=f"1 to 4 dimensions.*found {ndim}"):
        read_idx(path)


@pytest.mark.parametrize("data", [b"", b"\x00\x00", b"\x00\x00\x08\x03\x00\x00\x00\x02"])
def test_too_short_for_the_header(tmp_path, data):
    path = tmp_path / "short"
    path.write_bytes(data)
    with pytest.raises(DataFormatError, match="header"):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path, good_bytes):
    packed = bytearray(gzip.compress(good_bytes * 20))
    packed[len(packed) // 2] ^= 0xFF
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DataFormatError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_stream(tmp_path, good_bytes):
    packed = gzip.compress(good_bytes * 20)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) - 10])
    with pytest.raises(DataFormatError, match="gzip"):
        read_idx(path)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


# --- writing errors and atomicity ---------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.bool_, np.complex64, np.float16])
def test_write_rejects_dtypes_without_a_code(tmp_path, dtype):
    with pytest.raises(DTypeError, match="astype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shape", [(), (1, 1, 1, 1, 1)])
def test_write_rejects_dimension_counts(tmp_path, shape):
    with pytest.raises(ShapeError, match="1 to 4 dimensions"):
        write_idx(tmp_path / "x", np.zeros(shape, np.uint8))


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.arange(3, dtype=np.uint8))
    before = path.read_bytes()
    with pytest.raises(DTypeError):
        write_idx(path, np.arange(3, dtype=np.int64))
    assert path.read_bytes() == before
    write_idx(path, np.arange(5, dtype=np.uint8))  # overwriting works
    assert read_idx(path).shape == (5,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


# --- the real files -------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize(
    ("stem", "shape"),
    [
        ("t10k-images-idx3-ubyte", (10_000, 28, 28)),
        ("t10k-labels-idx1-ubyte", (10_000,)),
        pytest.param("train-images-idx3-ubyte", (60_000, 28, 28), marks=pytest.mark.slow),
        ("train-labels-idx1-ubyte", (60_000,)),
    ],
)
def test_real_fashion_mnist(shared_data, stem, shape):
    path = require_file(shared_data / "fashion-mnist" / f"{stem}.gz")
    array = read_idx(path)
    assert array.shape == shape
    assert array.dtype == np.uint8
    # rebuilding the file from the array must give the published content checksum
    assert hashlib.sha256(idx_bytes(array, 0x08)).hexdigest() == FASHION_CONTENT_SHA256[stem]
