"""read_idx against gzip bombs and lying headers: refused with the file's name, memory bounded."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from glassnet.datasets.idx import read_idx, write_idx
from glassnet.errors import DataFormatError


def bomb(header: bytes, megabytes: int) -> bytes:
    """``header`` then ``megabytes`` MiB of zeros, gzip-compressed to about 1/1000 of that."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return packer.compress(header) + b"".join(packer.compress(zeros) for _ in range(megabytes)) \
        + packer.flush()


def traced_peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_behind_a_real_header_costs_only_what_the_header_declares(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(bomb(bytes([0, 0, 8, 1]) + struct.pack(">I", 10_000), 100))
    assert path.stat().st_size < 150_000

    def read():
        with pytest.raises(DataFormatError, match="longer than the 10008 bytes") as info:
            read_idx(path)
        assert str(path) in str(info.value)

    assert traced_peak(read) < 2_000_000  # not 100 MB


def test_header_declaring_more_than_max_bytes(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(bomb(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60_000, 28, 28), 1))
    with pytest.raises(DataFormatError, match="more than the limit of 1000000"):
        read_idx(path, max_bytes=1_000_000)
    with pytest.raises(DataFormatError, match="truncated"):  # 1 MiB of the 47 MB declared
        read_idx(path)


def test_lying_header_in_a_raw_file(tmp_path):
    path = tmp_path / "raw"
    path.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 2**32 - 1) + bytes(10))
    with pytest.raises(DataFormatError, match="truncated"):
        read_idx(path)


@pytest.mark.parametrize("suffix, match", [
    (b"garbage", "follow the end of the gzip stream"),
    (None, "follow the end of the gzip stream"),  # a second gzip member
])
def test_bytes_after_the_gzip_stream(tmp_path, suffix, match):
    write_idx(tmp_path / "a.gz", np.arange(10, dtype=np.uint8))
    data = (tmp_path / "a.gz").read_bytes()
    (tmp_path / "b.gz").write_bytes(data + (data if suffix is None else suffix))
    with pytest.raises(DataFormatError, match=match):
        read_idx(tmp_path / "b.gz")


def test_every_truncation_of_a_gzip_file_is_refused(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(300, dtype=np.int16).reshape(30, 10))
    data = (tmp_path / "a.gz").read_bytes()
    for n in range(len(data)):
        (tmp_path / "cut").write_bytes(data[:n])
        with pytest.raises(DataFormatError):
            read_idx(tmp_path / "cut")


def test_gzip_with_a_file_name_in_its_header_still_reads(tmp_path):
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    with open(tmp_path / "n.gz", "wb") as out, \
            gzip.GzipFile(filename="named.idx", mode="wb", fileobj=out, mtime=0) as f:
        f.write(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "n.gz"), [7, 8, 9])


def test_a_folder_is_a_data_format_error(tmp_path):
    with pytest.raises(DataFormatError, match="is a folder"):
        read_idx(tmp_path)
