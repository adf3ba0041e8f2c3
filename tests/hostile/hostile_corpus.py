"""Hostile files of every kind, made from scratch and deterministic.

Each maker returns ``(name, data, must_refuse)``: the bytes of one file and
whether a loader must refuse it (a crafted attack) or may load it (a random
mutation, which can land somewhere harmless). The seed corpus holds every
attack the model files, data files and CSV reader are known to face; random
bit flips and truncations of good files are added on top, seeded.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

Case = tuple[str, bytes, bool]  # name, file bytes, must the loader refuse it?

LAYERS = [(6, 5), (5, 3)]  # a small Dense network: (n_in, n_out) per Dense layer


# -- the good files the attacks start from ---------------------------------------------------
def model_config(layers=LAYERS, dtype="float32") -> dict:
    """A version-1 style architecture: Dense layers with Sigmoid between them."""
    specs = []
    for i, (n_in, n_out) in enumerate(layers):
        if i:
            specs.append({"class": "Sigmoid", "config": {}})
        specs.append({"class": "Dense", "config": {"n_in": n_in, "n_out": n_out, "bias": True,
                                                   "init": "glorot_uniform"}})
    return {"layers": specs, "loss": "mse", "loss_config": {}, "task": "regression",
            "dtype": dtype}


def model_arrays(layers=LAYERS, dtype="float32", seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {}
    for i, (n_in, n_out) in enumerate(layers):
        arrays[f"{2 * i}.W"] = rng.standard_normal((n_in, n_out)).astype(dtype)
        arrays[f"{2 * i}.b"] = rng.standard_normal(n_out).astype(dtype)
    return arrays


def v1_meta(config: dict | None = None) -> dict:
    return {"format": "glassnet-model", "format_version": 1, "kind": "network",
            "glassnet_version": "0.1.0", "config": config or model_config(), "optimizer": None,
            "metadata": {"note": "hostile corpus"}}


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def meta_array(meta: dict | str) -> np.ndarray:
    text = meta if isinstance(meta, str) else json.dumps(meta)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def good_npz(meta: dict | None = None, arrays: dict | None = None) -> bytes:
    """A version-1 file exactly as ``np.savez`` (and so glassnet.io.save) writes one."""
    arrays = dict(model_arrays() if arrays is None else arrays)
    arrays["__meta__"] = meta_array(v1_meta() if meta is None else meta)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def zip_of(members: list[tuple[str, bytes]], *, compress: bool = False) -> bytes:
    """A zip of exactly these members (duplicates allowed), written by zipfile."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        with zipfile.ZipFile(buffer, "w", method) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return buffer.getvalue()


def good_members(meta: dict | str | None = None) -> list[tuple[str, bytes]]:
    members = [(f"{n}.npy", npy_bytes(a)) for n, a in model_arrays().items()]
    members.append(("__meta__.npy", npy_bytes(meta_array(v1_meta() if meta is None else meta))))
    return members


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """A safetensors file laid out as the reference writer lays it out."""
    header: dict = {"__metadata__": metadata}
    offset, blobs = 0, []
    for name, array in sorted(tensors.items(), key=lambda kv: -kv[1].itemsize):
        code = {"float32": "F32", "float64": "F64", "uint8": "U8", "int64": "I64"}[array.dtype.name]
        blob = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    return _frame(json.dumps(header, separators=(",", ":")).encode(), pad=True) + b"".join(blobs)


def _frame(text: bytes, pad: bool = True) -> bytes:
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def st_meta(config: dict | None = None) -> dict[str, str]:
    return {"format": "glassnet", "format_version": "2",
            "model": json.dumps(config or model_config())}


def good_safetensors() -> bytes:
    return safetensors_bytes({f"param/{n}": a for n, a in model_arrays().items()}, st_meta())


def good_idx(shape=(50, 4, 4), gz=True, seed=0) -> bytes:
    data = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    raw = bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + data.tobytes()
    return gzip.compress(raw, mtime=0) if gz else raw


def good_csv(rows: int = 3, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    lines = [",".join(map(str, [rng.integers(10), *rng.integers(0, 256, 784)]))
             for _ in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# -- crafted attacks --------------------------------------------------------------------------
def _patch_flags(data: bytes, *, local: bool, central: bool, bits: int) -> bytes:
    out = bytearray(data)
    for signature, offset, wanted in ((b"PK\x03\x04", 6, local), (b"PK\x01\x02", 8, central)):
        if wanted:
            at = out.find(signature)
            flags = struct.unpack_from("<H", out, at + offset)[0]
            struct.pack_into("<H", out, at + offset, flags | bits)
    return bytes(out)


def npz_attacks() -> Iterator[Case]:
    base = good_npz()
    members = good_members()
    yield "npz/good", base, False
    yield "npz/shadow member 0.W beside 0.W.npy", zip_of(
        members + [("0.W", npy_bytes(np.zeros((6, 5), np.float32)))]), True
    evil = npy_bytes(np.full((6, 5), 9, np.float32))
    yield "npz/duplicate 0.W.npy (last wins)", zip_of(members + [("0.W.npy", evil)]), True
    yield "npz/two archives concatenated", good_npz() + good_npz(
        arrays=model_arrays(seed=1)), True
    yield "npz/junk before the archive", b"\0" * 64 + base, True
    yield "npz/junk after the archive", base + b"junk", True
    with_comment = io.BytesIO(base)
    with zipfile.ZipFile(with_comment, "a") as zf:
        zf.comment = b"hello"
    yield "npz/archive comment", with_comment.getvalue(), True
    # A changed weight followed by trailing bytes inside the member, CRC left as the original's:
    # np.load reads only the array, so the CRC of the whole member is never checked.
    original = dict(members)
    changed = npy_bytes(np.full((6, 5), 7, np.float32)) + b"\0" * 16
    tampered = zip_of([(n, changed if n == "0.W.npy" else d) for n, d in members])
    crc = struct.pack("<I", zlib.crc32(original["0.W.npy"]))
    tampered = tampered.replace(struct.pack("<I", zlib.crc32(changed)), crc)
    yield "npz/trailing bytes in a member with the original CRC", tampered, True
    # The same trailing bytes with a correct CRC: still not what savez writes.
    yield "npz/trailing bytes in a member", zip_of(
        [(n, d + b"\0" * 8 if n == "0.b.npy" else d) for n, d in members]), True
    flipped = bytearray(base)
    at = base.find(b"PK\x03\x04", base.find(b"0.W.npy")) - 10  # inside 0.W's last weights
    flipped[at] ^= 0x01  # a data byte of one array: only the CRC notices
    yield "npz/one weight bit changed (CRC)", bytes(flipped), True
    big = json.dumps(v1_meta()) + " " * 50_000_000  # inflates to 50 MB, deflates to ~50 kB
    yield "npz/deflated huge metadata", zip_of(good_members(big), compress=True), True
    yield "npz/deflated members (savez_compressed)", zip_of(members, compress=True), True
    for local, central in ((True, False), (False, True), (True, True)):
        yield (f"npz/encrypted flag local={local} central={central}",
               _patch_flags(base, local=local, central=central, bits=0x1), True)
    yield "npz/data descriptor flag", _patch_flags(base, local=True, central=True, bits=0x8), True
    deep = '{"format": "glassnet-model", "x": ' + "[" * 200_000 + "]" * 200_000 + "}"
    yield "npz/deeply nested metadata", zip_of(good_members(deep)), True
    yield "npz/metadata with a repeated key", zip_of(good_members(
        '{"format": "glassnet-model", "format": "other"}')), True
    yield "npz/metadata NaN", zip_of(good_members('{"format": NaN}')), True
    huge_cfg = v1_meta(model_config([(10_000, 10_000)]))
    yield "npz/declares a 10000x10000 layer", zip_of(good_members(huge_cfg)), True
    lying = npy_bytes(np.zeros((6, 5), np.float32)).replace(b"(6, 5)", b"(10000, 10000)", 1)
    yield "npz/member header declares 10000x10000", zip_of(
        [("0.W.npy", lying) if n == "0.W.npy" else (n, d) for n, d in members]), True
    fortran = npy_bytes(np.asfortranarray(np.zeros((6, 5), np.float32)))
    yield "npz/fortran-ordered member", zip_of(
        [("0.W.npy", fortran) if n == "0.W.npy" else (n, d) for n, d in members]), True
    obj = npy_bytes(np.zeros((6, 5), np.float32)).replace(b"'<f4'", b"'|O' ", 1)
    yield "npz/object dtype header", zip_of(
        [("0.W.npy", obj) if n == "0.W.npy" else (n, d) for n, d in members]), True
    v9 = bytearray(npy_bytes(np.zeros((6, 5), np.float32)))
    v9[6] = 9
    yield "npz/npy version 9", zip_of(
        [("0.W.npy", bytes(v9)) if n == "0.W.npy" else (n, d) for n, d in members]), True
    yield "npz/missing member", zip_of(members[1:]), True
    yield "npz/extra member", zip_of(members + [("extra.npy", npy_bytes(np.zeros(1)))]), True
    yield "npz/member that is not .npy", zip_of(members + [("README", b"hi")]), True
    yield "npz/no metadata", zip_of(members[:-1]), True
    yield "npz/metadata not uint8", zip_of(
        members[:-1] + [("__meta__.npy", npy_bytes(np.zeros(4, np.float64)))]), True
    yield "npz/empty zip", zip_of([]), True


def safetensors_attacks() -> Iterator[Case]:
    base = good_safetensors()
    arrays = model_arrays()
    tensors = {f"param/{n}": a for n, a in arrays.items()}
    (n,) = struct.unpack("<Q", base[:8])
    header = json.loads(base[8:8 + n])
    data = base[8 + n:]

    def with_header(h: dict, body: bytes = data, pad: bool = True) -> bytes:
        return _frame(json.dumps(h).encode(), pad) + body

    yield "st/good", base, False
    yield "st/empty", b"", True
    yield "st/header length 2**63", struct.pack("<Q", 2**63) + base[8:], True
    yield "st/header length past the end", struct.pack("<Q", len(base)) + base[8:], True
    yield "st/header 200 MB claimed", struct.pack("<Q", 200_000_000) + base[8:], True
    yield "st/trailing bytes", base + b"\0" * 8, True
    yield "st/one byte short", base[:-1], True
    dup = base[8:8 + n].replace(b'"param/0.b"', b'"param/0.W"', 1)
    yield "st/duplicate tensor name", base[:8] + dup + data, True
    gap = json.loads(json.dumps(header))
    gap["param/0.W"]["data_offsets"] = [o + 4 for o in gap["param/0.W"]["data_offsets"]]
    yield "st/offsets with a gap", with_header(gap, data + b"\0" * 4), True
    overlap = json.loads(json.dumps(header))
    first = min((v for k, v in overlap.items() if k != "__metadata__"),
                key=lambda v: v["data_offsets"][0])
    second = sorted((v for k, v in overlap.items() if k != "__metadata__"),
                    key=lambda v: v["data_offsets"][0])[1]
    second["data_offsets"] = [first["data_offsets"][0], first["data_offsets"][1]]
    yield "st/overlapping tensors", with_header(overlap), True
    huge = json.loads(json.dumps(header))
    huge["param/0.W"]["shape"] = [10_000, 10_000]
    begin = huge["param/0.W"]["data_offsets"][0]
    huge["param/0.W"]["data_offsets"] = [begin, begin + 400_000_000]
    yield "st/declares 10000x10000 in a tiny file", with_header(huge), True
    for key, value in (("dtype", "BF16"), ("dtype", "F128"), ("shape", [-30]),
                       ("shape", "30"), ("shape", [6.0, 5]), ("shape", [True, 5]),
                       ("data_offsets", [0]), ("data_offsets", [8, 0])):
        bad = json.loads(json.dumps(header))
        bad["param/0.W"][key] = value
        yield f"st/{key}={value!r}", with_header(bad), True
    meta_int = json.loads(json.dumps(header))
    meta_int["__metadata__"]["format_version"] = 2
    yield "st/metadata value not a string", with_header(meta_int), True
    yield "st/not a JSON object", _frame(b"[" * 50 + b"]" * 50) + data, True
    yield "st/deep nesting", _frame(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"), True
    yield "st/invalid UTF-8", _frame(b'{"\xff\xfe":1}'), True
    yield "st/leading space", _frame(b' {"a":1}'), True
    yield "st/NaN", with_header(header)[:8] + base[8:8 + n].replace(b"[6,5]", b"[NaN]", 1) \
        + data, True
    st_dup_meta = _frame(b'{"__metadata__":{},"__metadata__":{}}')
    yield "st/duplicate metadata", st_dup_meta, True
    yield "st/shadow by name (extra tensor)", safetensors_bytes(
        dict(tensors, **{"param/0.W.extra": np.zeros(1, np.float32)}), st_meta()), True
    yield "st/tensor missing", safetensors_bytes(
        {k: v for k, v in tensors.items() if k != "param/0.b"}, st_meta()), True
    yield "st/wrong dtype for the architecture", safetensors_bytes(
        dict(tensors, **{"param/0.W": arrays["0.W"].astype(np.float64)}), st_meta()), True
    yield "st/wrong shape for the architecture", safetensors_bytes(
        dict(tensors, **{"param/0.W": arrays["0.W"].T.copy()}), st_meta()), True
    yield "st/declares a 10000x10000 layer in metadata", safetensors_bytes(
        tensors, st_meta(model_config([(10_000, 10_000)]))), True
    yield "st/metadata model not JSON", safetensors_bytes(tensors, {"model": "{"}), True


def idx_attacks() -> Iterator[Case]:
    yield "idx/good", good_idx(), False
    yield "idx/good raw", good_idx(gz=False), False
    raw = good_idx(gz=False)
    lying = raw[:4] + struct.pack(">3I", 60_000, 28, 28) + raw[16:]
    yield "idx/header declares more than it holds", lying, True
    yield "idx/header declares more (gzip)", gzip.compress(lying, mtime=0), True
    yield "idx/header declares 4 x 2**32-1", raw[:3] + b"\x04" + b"\xff" * 16 + raw[16:], True
    # A gzip bomb: a 10,000-label header then 100 MB of zeros, about 100 kB compressed.
    header = bytes([0, 0, 8, 1]) + struct.pack(">I", 10_000)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    body = bomb.compress(header) + b"".join(bomb.compress(chunk) for _ in range(100))
    yield "idx/gzip bomb behind a small header", body + bomb.flush(), True
    yield "idx/gzip with trailing garbage", good_idx() + b"garbage", True
    yield "idx/gzip truncated", good_idx()[:-10], True
    yield "idx/two gzip members", good_idx() + good_idx(), True
    yield "idx/gzip of nothing", gzip.compress(b""), True
    yield "idx/unknown type code", bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 0]), True
    yield "idx/zero dimensions", bytes([0, 0, 8, 0]), True
    yield "idx/not idx", b"hello world", True
    yield "idx/empty", b"", True


def csv_attacks() -> Iterator[Case]:
    good = good_csv()
    first = good.split(b"\n")[0]
    yield "csv/good", good, False
    yield "csv/empty", b"", True
    yield "csv/only blank lines", b"\n\n  \n", True
    yield "csv/too few fields", b"5,1,2,3\n", True
    yield "csv/too many fields", first + b",0\n", True
    yield "csv/not an integer", first.replace(b",", b",x", 1) + b"\n", True
    yield "csv/float pixel", first.replace(b",", b",1.5,", 1)[:-2] + b"\n", True
    yield "csv/pixel 256", b"1," + b",".join([b"256"] * 784) + b"\n", True
    yield "csv/negative label", b"-1," + b",".join([b"0"] * 784) + b"\n", True
    yield "csv/label beyond int64", b"9" * 30 + b"," + b",".join([b"0"] * 784) + b"\n", True
    yield "csv/5000-digit field", b"1," + b"9" * 5000 + b"," + b",".join([b"0"] * 783) + b"\n", True
    yield "csv/one 5 MB field", b"1," + b"7" * 5_000_000 + b"\n", True
    yield "csv/NUL bytes", b"\0" * 2000, True
    yield "csv/binary junk", bytes(range(256)) * 20, True
    yield "csv/UTF-16 text", first.decode().encode("utf-16"), True
    yield "csv/gzip of a good file", gzip.compress(good), True


def image_attacks() -> Iterator[Case]:
    try:
        from PIL import Image
    except ImportError:
        return
    buffer = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buffer, "PNG")
    png = buffer.getvalue()
    yield "image/good", png, False
    yield "image/truncated PNG", png[: len(png) // 2], True
    yield "image/empty file", b"", True
    yield "image/not an image", b"hello", True
    # A PNG header declaring 100,000 x 100,000 pixels: a decompression bomb.
    ihdr = struct.pack(">2I5B", 100_000, 100_000, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    bomb = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + png[33:])
    yield "image/decompression bomb", bomb, True


def _glassnet_written() -> list[Case]:
    import hostile_models

    return [*hostile_models.model_attacks(), *hostile_models.legacy_attacks()]


CRAFTED = {"model": lambda: [*npz_attacks(), *safetensors_attacks(), *_glassnet_written()],
           "idx": idx_attacks, "csv": csv_attacks, "image": image_attacks}


def mutations(data: bytes, rng: np.random.Generator, count: int, prefix: str
              ) -> Iterator[Case]:
    """``count`` random single-bit flips and truncations of ``data`` (may load or be refused)."""
    for i in range(count):
        if i % 4 == 3:  # every fourth: a truncation, which must always be refused
            cut = int(rng.integers(0, len(data)))
            yield f"{prefix}/truncated at {cut}", data[:cut], True
        else:
            flipped = bytearray(data)
            bit = int(rng.integers(0, len(data) * 8))
            flipped[bit // 8] ^= 1 << (bit % 8)
            yield f"{prefix}/bit {bit} flipped", bytes(flipped), False
