"""Model files nobody can trick: the digest, bounded parsing, and sizes checked before building.

Every single-bit flip of a small model is tried in ``tests/hostile`` (in a worker whose
memory and time are measured).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import io
from glassnet.errors import ModelFormatError
from glassnet.io.safetensors import DIGEST_KEY, read_header, read_tensors, write_safetensors

SRC = Path(__file__).resolve().parents[2] / "src"


def small_model(tmp_path: Path, **save_kwargs) -> tuple[gn.Network, Path]:
    net = gn.Network([gn.Dense(3, 4, seed=0), gn.ReLU(), gn.Dense(4, 2, seed=1)])
    return net, io.save(net, tmp_path / "small.safetensors", **save_kwargs)


def rewrite(path: Path, out: Path, *, edit=None, tensors=None, digest: bool = True) -> Path:
    """``path`` written again with its string metadata edited by ``edit`` and some tensors
    replaced; with ``digest`` the digest is recomputed, so what is tested is the check
    behind it."""
    arrays, header = read_tensors(path)
    meta = dict(header.metadata)
    if edit is not None:
        edit(meta)
    arrays.update(tensors or {})
    return write_safetensors(out, arrays, metadata=meta, digest=digest)


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(ModelFormatError) as info:
        io.load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# -- the digest ------------------------------------------------------------------------------
def test_a_flipped_bit_in_the_weights_is_refused_naming_the_tensor(tmp_path):
    _, path = small_model(tmp_path)
    data = bytearray(path.read_bytes())
    header = read_header(path)
    t = header.tensors["param/0.W"]
    data[header.data_start + t.begin] ^= 0x10
    bad = tmp_path / "flipped.safetensors"
    bad.write_bytes(bytes(data))
    refused(bad, "'param/0.W'", "SHA-256", "corrupt")


def test_swapped_byte_ranges_of_two_same_size_tensors_are_refused(tmp_path):
    net = gn.Network([gn.Dense(3, 4, seed=0), gn.ReLU(), gn.Dense(4, 2, seed=1)])
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    net.fit(X, np.arange(8) % 2, optimizer="adam", epochs=1, verbose=0, seed=0)
    path = io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer)
    header = read_header(path)
    a, b = header.tensors["param/0.W"], header.tensors["optim/m/0.W"]
    data = bytearray(path.read_bytes())
    start = header.data_start
    first, second = data[start + a.begin:start + a.end], data[start + b.begin:start + b.end]
    data[start + a.begin:start + a.end], data[start + b.begin:start + b.end] = second, first
    bad = tmp_path / "swapped.safetensors"
    bad.write_bytes(bytes(data))
    refused(bad, "does not match its SHA-256 digest")


def test_edited_metadata_is_refused(tmp_path):
    _, path = small_model(tmp_path, metadata={"dataset": "moons"})
    text = path.read_bytes().replace(b"moons", b"mooms")
    bad = tmp_path / "edited.safetensors"
    bad.write_bytes(text)
    refused(bad, "metadata does not match its SHA-256 digest")


def test_a_damaged_digest_entry_is_refused(tmp_path):
    _, path = small_model(tmp_path)

    def drop_one(meta):
        digest = json.loads(meta[DIGEST_KEY])
        digest["tensors"].pop("param/0.b")
        meta[DIGEST_KEY] = json.dumps(digest)

    arrays, header = read_tensors(path)
    meta = {**header.metadata, DIGEST_KEY: "{}"}
    bad = tmp_path / "bad.safetensors"
    from glassnet.io import safetensors as container

    container.write_safetensors(bad, arrays, metadata=header.metadata, digest=False)
    raw = bad.read_bytes()
    assert io.load(bad)  # no digest at all: loads, and info says so
    assert io.model_info(bad)["digest"] is None
    # a digest entry that is not one digest per tensor
    text = json.dumps(meta, separators=(",", ":"))
    assert DIGEST_KEY in text and raw  # the entry is written as given below
    header_doc = {"__metadata__": meta}
    offset = 0
    for name, array in arrays.items():
        header_doc[name] = {"dtype": "F32", "shape": list(array.shape),
                            "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    blob = json.dumps(header_doc).encode()
    blob += b" " * (-len(blob) % 8)
    bad.write_bytes(len(blob).to_bytes(8, "little") + blob
                    + b"".join(a.tobytes() for a in arrays.values()))
    refused(bad, DIGEST_KEY, "one SHA-256 digest per tensor")


# -- bounded parsing -------------------------------------------------------------------------
def test_save_refuses_notes_beyond_the_caps_before_writing(tmp_path):
    net, _ = small_model(tmp_path)
    target = tmp_path / "big.safetensors"
    with pytest.raises(ValueError, match="at most 1,048,576 are allowed"):
        io.save(net, target, metadata={"log": "A" * 2_000_000})
    with pytest.raises(ValueError, match="at most 16,777,216 per entry"):
        io.save(net, target, metadata={"log": ["A" * 1000] * 20_000})
    with pytest.raises(ValueError, match="nested"):
        deep: list = []
        for _ in range(40):
            deep = [deep]
        io.save(net, target, metadata={"deep": deep})
    assert not target.exists()


@pytest.mark.parametrize("length, fragment", [(5_000_000, "at most 1,048,576"),
                                              (20_000_000, "at most 16,777,216")])
def test_a_crafted_long_string_costs_linear_memory_and_is_refused(tmp_path, length, fragment):
    _, path = small_model(tmp_path)
    bad = rewrite(path, tmp_path / "long.safetensors",
                  edit=lambda m: m.update(user=json.dumps({"log": "A" * length})))
    size = bad.stat().st_size
    peak = peak_while(lambda: refused(bad, fragment))
    assert peak < 6 * size, (peak, size)  # the text, its decoding and the parsed string


def test_spaces_in_the_header_cost_no_more_than_the_header(tmp_path):
    _, path = small_model(tmp_path)
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    padded = raw[8:8 + n] + b" " * 20_000_000
    bad = tmp_path / "spaces.safetensors"
    bad.write_bytes(len(padded).to_bytes(8, "little") + padded + raw[8 + n:])
    peak = peak_while(lambda: io.load(bad))  # spaces are valid JSON whitespace
    assert peak < 3 * bad.stat().st_size


def test_json_nested_deeper_than_the_recursion_limit_is_a_clear_error():
    from glassnet.io.strict_json import loads_strict

    with pytest.raises(ValueError, match="nested too deeply"):
        loads_strict(b"[" * 1_000_000 + b"]" * 1_000_000)
    with pytest.raises(ValueError, match="nested 5 levels"):
        loads_strict(b"[[[[[1]]]]]", max_depth=4)


# -- sizes checked before anything is built --------------------------------------------------
def flatten_model(tmp_path: Path) -> Path:
    net = gn.Network([gn.Flatten(), gn.Dense(12, seed=0)], input_shape=(2, 3))
    return io.save(net, tmp_path / "flat.safetensors")


def edit_model(edit):
    def apply(meta):
        model = json.loads(meta["model"])
        edit(model)
        meta["model"] = json.dumps(model)
    return apply


@pytest.mark.parametrize("shape, fragments", [
    ([3000, 3000], ["for inputs of shape (n_samples, 6)", "(n_samples, 9000000)"]),
    ([100000, 100000], ["'input_shape'", "values per sample"])])
def test_a_declared_input_shape_is_refused_before_anything_is_allocated(tmp_path, shape,
                                                                       fragments):
    """The first from the stored weights' shape (Dense's n_in comes from its tensor), the
    second before anything is built (no sample of that size could be probed)."""
    def lie(model):
        model["input_shape"] = shape
        del model["layers"][1]["config"]["n_in"]

    bad = rewrite(flatten_model(tmp_path), tmp_path / "shape.safetensors",
                  edit=edit_model(lie))
    peak = peak_while(lambda: refused(bad, *fragments))
    assert peak < 2 << 20


def test_a_dense_width_that_disagrees_with_its_tensor_is_refused_before_building(tmp_path):
    bad = rewrite(flatten_model(tmp_path), tmp_path / "wide.safetensors",
                  edit=edit_model(lambda m: m["layers"][1]["config"].update(n_out=10**6)))
    peak = peak_while(lambda: refused(bad, "n_out=1000000", "'param/1.W'"))
    assert peak < 2 << 20


def test_a_hundred_thousand_layers_are_refused(tmp_path):
    def stack(model):
        model["layers"][1:1] = [{"class": "Identity", "config": {}}] * 100_000

    bad = rewrite(flatten_model(tmp_path), tmp_path / "deep.safetensors",
                  edit=edit_model(stack))
    peak = peak_while(lambda: refused(bad, "100,002 layers", "at most 4,096"))
    assert peak < 40 * bad.stat().st_size


def test_a_book_network_of_ten_thousand_nodes_is_refused_without_numba(tmp_path):
    from glassnet.classic import NeuralNetwork

    path = io.save(NeuralNetwork(3, 4, 2, 0.1, seed=0), tmp_path / "book.safetensors")

    def big(meta):
        facade = json.loads(meta["facade"])
        facade["config"].update(input_nodes=10_000, hidden_nodes=10_000)
        meta["facade"] = json.dumps(facade)

    bad = rewrite(path, tmp_path / "big.safetensors", edit=big)
    peak = peak_while(lambda: refused(bad, "not the book's"))
    assert peak < 2 << 20
    # a file never decides to load the compiler: a fresh process, a large book network
    good = io.save(NeuralNetwork(784, 200, 10, 0.1, seed=0), tmp_path / "large.safetensors")
    code = ("import sys, glassnet.classic, glassnet.io as io; m = io.load(sys.argv[1]); "
            "print(type(m).__name__, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(good)], capture_output=True,
                         text=True, env={"PYTHONPATH": str(SRC)}, check=True).stdout
    assert out.split() == ["NeuralNetwork", "False"]


def test_a_legacy_book_file_declaring_a_million_nodes_is_refused(tmp_path):
    meta = {"format": "glassnet-model", "format_version": 1, "kind": "classic",
            "glassnet_version": "0.1.0", "optimizer": None,
            "config": {"input_nodes": 10**6, "hidden_nodes": 10**6, "output_nodes": 10,
                       "learning_rate": 0.1}}
    bad = tmp_path / "old.npz"
    with open(bad, "wb") as f:
        np.savez(f, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8),
                 wih=np.zeros((2, 2)), who=np.zeros((2, 2)))
    peak = peak_while(lambda: refused(bad, "declares", "truncated or crafted"))
    assert peak < 2 << 20


# -- non-finite state ------------------------------------------------------------------------
def test_non_finite_optimizer_moments_are_refused(tmp_path):
    net = gn.Network([gn.Dense(3, 4, seed=0), gn.ReLU(), gn.Dense(4, 2, seed=1)])
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    net.fit(X, np.arange(8) % 2, optimizer="adam", epochs=1, verbose=0, seed=0)
    net.optimizer.state["v"]["2.W"][0, 0] = np.nan
    path = io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer,
                   allow_non_finite=True)
    refused(path, "optimizer v of 2.W", "allow_non_finite=True")
    assert np.isnan(io.load(path, allow_non_finite=True).optimizer.state["v"]["2.W"][0, 0])


@pytest.mark.parametrize("where", ["weight", "state", "optimizer"])
def test_save_refuses_what_load_would_refuse_and_writes_nothing(tmp_path, where):
    net = gn.Network([gn.Dense(3, 4, seed=0), gn.BatchNorm(), gn.ReLU(), gn.Dense(4, 2, seed=1)])
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    net.fit(X, np.arange(8) % 2, optimizer="adam", epochs=1, verbose=0, seed=0)
    path = io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer)
    before = path.read_bytes()
    name = {"weight": "3.W", "state": "1.running_var", "optimizer": "optimizer m of 0.b"}[where]
    if where == "weight":
        net.layers[3].params["W"][1, 1] = np.inf
    elif where == "state":
        net.layers[1].state["running_var"][0] = np.nan
    else:
        net.optimizer.state["m"]["0.b"][2] = -np.inf
    with pytest.raises(ValueError, match=rf"not writing .*\['{name}'\] hold NaN or infinity"
                                         r".*allow_non_finite=True"):
        io.save(net, path, optimizer=net.optimizer)
    assert path.read_bytes() == before  # the file the user had is untouched
    io.save(net, path, optimizer=net.optimizer, allow_non_finite=True)
    with pytest.raises(gn.errors.ModelFormatError, match="allow_non_finite=True"):
        io.load(path)


def test_a_checkpoint_is_never_written_with_non_finite_weights(tmp_path):
    from glassnet.training.checkpoints import save_training

    net = gn.Network([gn.Dense(3, 4, seed=0), gn.ReLU(), gn.Dense(4, 2, seed=1)])
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    net.fit(X, np.arange(8) % 2, optimizer="adam", epochs=1, verbose=0, seed=0)
    path = save_training(net, tmp_path / "ckpt.safetensors")
    before = path.read_bytes()
    net.layers[0].params["W"][0, 0] = np.inf
    with pytest.raises(ValueError, match=r"\['0.W'\] hold NaN or infinity.*previous checkpoint"):
        save_training(net, path)
    assert path.read_bytes() == before


def test_a_bit_rotted_backup_is_refused_not_resumed(tmp_path):
    from glassnet.training import BackupAndRestore

    X = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    y = np.arange(32) % 2

    def network():
        return gn.Network([gn.Dense(3, 4, seed=0), gn.ReLU(), gn.Dense(4, 2, seed=1)])

    network().fit(X, y, optimizer="adam", epochs=2, verbose=0, seed=0,
                  callbacks=[BackupAndRestore(tmp_path, delete_on_end=False)])
    backup = tmp_path / "backup.safetensors"
    header = read_header(backup)
    data = bytearray(backup.read_bytes())
    data[header.data_start + header.tensors["optim/v/2.W"].begin] ^= 0x04
    backup.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match=r"backup.safetensors.*'optim/v/2.W'.*SHA-256"):
        network().fit(X, y, optimizer="adam", epochs=3, verbose=0, seed=0,
                      callbacks=[BackupAndRestore(tmp_path)])
