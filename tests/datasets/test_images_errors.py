"""image_to_input on damaged, huge and empty pictures: one DataFormatError naming the file."""

from __future__ import annotations

import struct
import zlib

import pytest

from glassnet.datasets.images import image_to_input
from glassnet.errors import DataFormatError

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def png_bytes(tmp_path) -> bytes:
    Image.new("L", (40, 30), 255).save(tmp_path / "ok.png")
    return (tmp_path / "ok.png").read_bytes()


def test_truncated_png_names_the_file(tmp_path, png_bytes):
    path = tmp_path / "cut.png"
    path.write_bytes(png_bytes[: len(png_bytes) // 2])
    with pytest.raises(DataFormatError, match=r"cut\.png: the image file is damaged or truncated"):
        image_to_input(path)


def test_decompression_bomb_names_the_file(tmp_path, png_bytes):
    chunk = b"IHDR" + struct.pack(">2I5B", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = (png_bytes[:8] + struct.pack(">I", 13) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + png_bytes[33:])
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with pytest.raises(DataFormatError, match=r"bomb\.png: the picture is too large"):
        image_to_input(path)


def test_large_but_not_refused_picture_warning_becomes_the_error(tmp_path, png_bytes,
                                                                 monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 30 - 1)  # 1x..2x the limit: a warning
    path = tmp_path / "big.png"
    path.write_bytes(png_bytes)
    with pytest.raises(DataFormatError, match="too large to decode safely"):
        image_to_input(path)


def test_empty_picture(tmp_path):
    with pytest.raises(DataFormatError, match=r"empty \(0x5 pixels\)"):
        image_to_input(Image.new("L", (0, 5)))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"empty\.png: not an image"):
        image_to_input(path)


def test_missing_file_stays_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        image_to_input(tmp_path / "absent.png")
