"""The safetensors reader and writer, with the official ``safetensors`` package as the oracle."""

from __future__ import annotations

import json
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from glassnet.errors import DTypeError, ModelFormatError
from glassnet.io.safetensors import (
    DIGEST_KEY,
    DTYPES,
    read_header,
    read_tensors,
    write_safetensors,
)


@pytest.fixture
def st_numpy():
    """The official package's NumPy reader and writer: the oracle (skipped when absent)."""
    return pytest.importorskip("safetensors.numpy")


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "0.W": rng.standard_normal((4, 3)).astype(np.float32),
        "0.b": rng.standard_normal(3).astype(np.float32),
        "2.W": rng.standard_normal((3, 2)),  # float64
        "steps": np.array([7, -1], dtype=np.int64),
        "mask": np.array([[1, 0, 255]], dtype=np.uint8),
        "empty": np.zeros((0, 5), dtype=np.float32),
    }


def raw_file(header: dict, data: bytes = b"", pad: bool = True) -> bytes:
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def framed(text: bytes) -> bytes:
    """``text`` as the header of a file, behind its length and without padding."""
    return struct.pack("<Q", len(text)) + text


def entry(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# -- agreement with the official package --------------------------------------------------
def test_our_file_loads_in_the_official_reader(tmp_path, st_numpy):
    tensors = sample_tensors()
    path = write_safetensors(tmp_path / "m.safetensors", tensors,
                             metadata={"format": "glassnet", "model": '{"layers": []}'})
    theirs = st_numpy.load_file(str(path))
    assert set(theirs) == set(tensors)
    for name, array in tensors.items():
        assert theirs[name].dtype == array.dtype and theirs[name].shape == array.shape
        np.testing.assert_array_equal(theirs[name], array)
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
    digest = json.loads(meta.pop(DIGEST_KEY))  # one more string entry
    assert meta == {"format": "glassnet", "model": '{"layers": []}'}
    assert sorted(digest["tensors"]) == sorted(tensors)


def test_our_file_loads_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tensors = sample_tensors()
    path = write_safetensors(tmp_path / "m.safetensors", tensors)
    theirs = st_torch.load_file(str(path))
    for name, array in tensors.items():
        assert isinstance(theirs[name], torch.Tensor)
        np.testing.assert_array_equal(theirs[name].numpy(), array)


def test_their_file_loads_in_ours(tmp_path, st_numpy):
    tensors = sample_tensors()
    path = tmp_path / "theirs.safetensors"
    st_numpy.save_file(tensors, str(path), metadata={"a": "1", "b": "two"})
    arrays, header = read_tensors(path)
    assert header.metadata == {"a": "1", "b": "two"}
    assert set(arrays) == set(tensors)
    for name, array in tensors.items():
        assert arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(arrays[name], array)


def test_same_layout_as_the_reference_writer(tmp_path, st_numpy):
    """Padding to 8 bytes, largest item size first: the data section is byte-identical."""
    tensors = sample_tensors()
    ours = write_safetensors(tmp_path / "ours", tensors).read_bytes()
    st_numpy.save_file(tensors, str(tmp_path / "theirs"))
    theirs = (tmp_path / "theirs").read_bytes()
    n_ours, n_theirs = (struct.unpack("<Q", b[:8])[0] for b in (ours, theirs))
    assert n_ours % 8 == 0 and n_theirs % 8 == 0
    assert len(ours) - n_ours == len(theirs) - n_theirs


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dt: arrays(dt, array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
                      elements=st.floats(width=np.dtype(dt).itemsize * 8, allow_nan=True))))
def test_round_trip_is_bit_identical(tmp_path_factory, array):
    path = tmp_path_factory.mktemp("rt") / "a.safetensors"
    write_safetensors(path, {"x": array})
    arrays_, _ = read_tensors(path, {"x": (array.dtype, array.shape)})
    back = arrays_["x"]
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()  # NaN payloads and signed zeros included


def test_arrays_are_aligned_writable_and_native(tmp_path):
    path = write_safetensors(tmp_path / "m", sample_tensors())
    arrays_, _ = read_tensors(path)
    for array in arrays_.values():
        assert array.flags.writeable and array.dtype.isnative
        if array.size:
            assert array.ctypes.data % 64 == 0


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    base = np.arange(20, dtype=">f8").reshape(4, 5)
    path = write_safetensors(tmp_path / "m", {"t": base.T, "s": base[::2]})
    arrays_, _ = read_tensors(path)
    np.testing.assert_array_equal(arrays_["t"], base.T)
    np.testing.assert_array_equal(arrays_["s"], base[::2])


def test_write_refuses_what_the_format_cannot_hold(tmp_path):
    with pytest.raises(DTypeError, match="complex128"):
        write_safetensors(tmp_path / "m", {"z": np.zeros(2, complex)})
    with pytest.raises(TypeError, match="strings to strings"):
        write_safetensors(tmp_path / "m", {}, metadata={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="reserved"):
        write_safetensors(tmp_path / "m", {"__metadata__": np.zeros(1)})
    assert list(tmp_path.iterdir()) == []


def test_header_only_reading(tmp_path):
    path = write_safetensors(tmp_path / "m", sample_tensors(), metadata={"k": "v"})
    header = read_header(path)
    assert header.metadata == {"k": "v"}
    assert header.tensors["0.W"].shape == (4, 3) and header.tensors["0.W"].dtype == DTYPES["F32"]
    assert header.data_start + header.data_bytes == path.stat().st_size


# -- expectations are checked before anything is read ------------------------------------
def test_expected_names_dtypes_and_shapes(tmp_path):
    tensors = sample_tensors()
    path = write_safetensors(tmp_path / "m", tensors)
    good = {n: (a.dtype, a.shape) for n, a in tensors.items()}
    arrays_, _ = read_tensors(path, good)
    assert set(arrays_) == set(tensors)
    missing = dict(good, extra=(np.float32, (1,)))
    with pytest.raises(ModelFormatError, match=r"missing \['extra'\]"):
        read_tensors(path, missing)
    fewer = {n: v for n, v in good.items() if n != "0.b"}
    with pytest.raises(ModelFormatError, match=r"unexpected \['0.b'\]"):
        read_tensors(path, fewer)
    with pytest.raises(ModelFormatError, match="'0.W' has dtype float32 and shape"):
        read_tensors(path, dict(good, **{"0.W": (np.float64, (4, 3))}))
    with pytest.raises(ModelFormatError, match=r"must have dtype float32 and shape \(3, 4\)"):
        read_tensors(path, dict(good, **{"0.W": (np.float32, (3, 4))}))


def test_expected_from_a_callback_on_the_metadata(tmp_path):
    path = write_safetensors(tmp_path / "m", {"w": np.zeros((2, 3), np.float32)},
                             metadata={"n_out": "3"})
    seen = []

    def expect(header):
        seen.append(header.metadata)
        return {"w": (np.float32, (2, int(header.metadata["n_out"])))}

    arrays_, _ = read_tensors(path, expect)
    assert seen == [{"n_out": "3"}] and arrays_["w"].shape == (2, 3)


def test_max_bytes(tmp_path):
    path = write_safetensors(tmp_path / "m", {"w": np.zeros(100, np.float64)})
    with pytest.raises(ModelFormatError, match="800 bytes, more than the limit of 799"):
        read_tensors(path, max_bytes=799)
    assert read_tensors(path, max_bytes=800)[0]["w"].shape == (100,)


def test_a_huge_declared_tensor_costs_nothing(tmp_path):
    """10,000 x 10,000 declared in a tiny file: refused before any allocation."""
    path = tmp_path / "m"
    path.write_bytes(raw_file({"w": entry("F32", [10_000, 10_000], 0, 400_000_000)}, b"\0" * 64))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match="truncated"):
            read_tensors(path, {"w": (np.float32, (10_000, 10_000))})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


# -- hostile files ---------------------------------------------------------------------------
GOOD = {"a": entry("F32", [2], 0, 8), "b": entry("F64", [1], 8, 16)}
HOSTILE = {
    "empty file": b"",
    "short length": b"\x10\x00\x00",
    "huge header length": struct.pack("<Q", 2**63) + b"{}",
    "header past the end": struct.pack("<Q", 1000) + b"{}      ",
    "not json": struct.pack("<Q", 8) + b"{garbage",
    "does not start with {": struct.pack("<Q", 8) + b' {"a":1}',
    "a json list": struct.pack("<Q", 8) + b"[1, 2]  ",
    "invalid utf-8": struct.pack("<Q", 8) + b'{"\xff":1}',
    "duplicate key": framed(
        b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
        b'"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}' + b"\x01"),
    "nan in shape": framed(
        b'{"a":{"dtype":"U8","shape":[NaN],"data_offsets":[0,1]}}' + b"\x01"),
    "deep nesting": framed(
        b'{"__metadata__":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "unknown dtype": raw_file({"a": entry("Q7", [2], 0, 8)}, b"\0" * 8),
    "bf16": raw_file({"a": entry("BF16", [4], 0, 8)}, b"\0" * 8),
    "negative dim": raw_file({"a": entry("U8", [-1], 0, 0)}),
    "bool dim": raw_file({"a": entry("U8", [True], 0, 1)}, b"\0"),
    "float dim": raw_file({"a": entry("U8", [1.0], 0, 1)}, b"\0"),
    "size disagrees with shape": raw_file({"a": entry("F32", [3], 0, 8)}, b"\0" * 8),
    "begin after end": raw_file({"a": entry("U8", [0], 4, 0)}, b"\0" * 4),
    "gap": raw_file({"a": entry("F32", [2], 0, 8), "b": entry("F64", [1], 16, 24)}, b"\0" * 24),
    "overlap": raw_file({"a": entry("F32", [2], 0, 8), "b": entry("F64", [1], 4, 12)},
                        b"\0" * 12),
    "not starting at zero": raw_file({"a": entry("F32", [2], 8, 16)}, b"\0" * 16),
    "trailing bytes": raw_file(GOOD, b"\0" * 17),
    "truncated data": raw_file(GOOD, b"\0" * 15),
    "extra field": raw_file({"a": dict(entry("U8", [1], 0, 1), extra=1)}, b"\0"),
    "missing field": raw_file({"a": {"dtype": "U8", "shape": [1]}}, b"\0"),
    "metadata not strings": raw_file({"__metadata__": {"k": 1}}),
    "metadata a list": raw_file({"__metadata__": ["k"]}),
    "entry a string": raw_file({"a": "F32"}),
    "huge integer": framed(
        b'{"a":{"dtype":"U8","shape":[' + b"9" * 5000 + b'],"data_offsets":[0,1]}}'),
    "offsets of three": raw_file({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1, 1]}},
                                 b"\0"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_with_the_path(tmp_path, name):
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(HOSTILE[name])
    with pytest.raises(ModelFormatError) as info:
        read_tensors(path)
    assert str(path) in str(info.value)


def test_the_good_base_of_the_hostile_files_loads(tmp_path):
    path = tmp_path / "good"
    path.write_bytes(raw_file(GOOD, np.ones(2, "<f4").tobytes() + np.ones(1, "<f8").tobytes()))
    arrays_, _ = read_tensors(path)
    np.testing.assert_array_equal(arrays_["a"], [1, 1])


def test_header_cap_can_be_lowered(tmp_path):
    path = write_safetensors(tmp_path / "m", {"w": np.zeros(1)}, metadata={"k": "v" * 1000})
    with pytest.raises(ModelFormatError, match="more than the limit of 100"):
        read_header(path, max_header_bytes=100)
    assert read_header(path).metadata["k"] == "v" * 1000


def test_every_truncation_is_refused(tmp_path):
    whole = write_safetensors(tmp_path / "m", sample_tensors(), metadata={"k": "v"}).read_bytes()
    cut = tmp_path / "cut"
    for n in range(len(whole)):
        cut.write_bytes(whole[:n])
        with pytest.raises(ModelFormatError):
            read_tensors(cut)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        read_header(tmp_path / "absent")
    with pytest.raises(ModelFormatError, match="folder"):
        read_header(tmp_path)


# -- structured fuzzing of headers -----------------------------------------------------------
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**64),
                         st.floats(allow_nan=False), st.text(max_size=5))
entries = st.fixed_dictionaries(
    {"dtype": st.sampled_from([*DTYPES, "BF16", "X", 3]),
     "shape": st.one_of(st.lists(st.integers(-1, 4), max_size=3), json_scalars),
     "data_offsets": st.one_of(st.lists(st.integers(-1, 40), min_size=0, max_size=3),
                               json_scalars)},
    optional={"extra": json_scalars})
headers = st.dictionaries(st.text(max_size=4), st.one_of(entries, json_scalars), max_size=4)


@settings(max_examples=150, deadline=None)
@given(header=headers, data_len=st.integers(0, 64))
def test_any_header_loads_consistently_or_is_refused(tmp_path_factory, header, data_len):
    path = tmp_path_factory.mktemp("fuzz") / "f.safetensors"
    path.write_bytes(raw_file(header, bytes(range(data_len))))
    try:
        arrays_, parsed = read_tensors(path)
    except ModelFormatError as exc:
        assert str(path) in str(exc)
        return
    # Whatever loaded covers the data exactly, with the declared dtypes and shapes.
    assert sum(a.nbytes for a in arrays_.values()) == data_len
    for name, array in arrays_.items():
        assert array.shape == tuple(header[name]["shape"])
        assert array.dtype == DTYPES[header[name]["dtype"]].newbyteorder("=")
