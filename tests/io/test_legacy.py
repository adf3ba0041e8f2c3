"""The hardened reader of version-1 .npz model files: real files load, every trick is refused."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import io as gio
from glassnet.errors import ModelFormatError
from glassnet.io.npz import read_legacy_meta, read_legacy_npz

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
import hostile_corpus as corpus  # noqa: E402
from legacy_writer import write_version_1  # noqa: E402


def expected_of(net) -> dict:
    return {name: (a.dtype, a.shape) for name, a in net.parameters.items()}


# -- files as glassnet.io.save wrote them (format version 1) --------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_file_saved_by_io_save_loads_bit_identical(tmp_path, dtype):
    net = glassnet.mlp([5, 7, 3], seed=1, dtype=dtype)
    path = write_version_1(net, tmp_path / "net.npz",
                           metadata={"data": "toy", "nested": [[1, 2]]})
    meta, arrays = read_legacy_npz(path, expected_of(net))
    assert meta["format_version"] == 1 and meta["metadata"] == {"data": "toy",
                                                                "nested": [[1, 2]]}
    assert list(arrays) == list(net.parameters)
    for name, array in arrays.items():
        assert array.tobytes() == net.parameters[name].tobytes()
        assert array.ctypes.data % 64 == 0 and array.flags.writeable
    assert read_legacy_meta(path) == meta


def test_a_file_with_optimizer_state_loads(tmp_path):
    net = glassnet.mlp([4, 3, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
    y = np.arange(16) % 2
    net.fit(X, y, optimizer=glassnet.optimizers.Adam(0.01), epochs=1, batch_size=8,
            verbose=False, seed=0)
    path = write_version_1(net, tmp_path / "net.npz", optimizer=net.optimizer)
    expected = expected_of(net)
    for slot in net.optimizer.state:  # version 1: one flat vector per slot
        expected["optimizer/" + slot] = (np.float32, (net.n_parameters,))
    meta, arrays = read_legacy_npz(path, expected)
    assert meta["optimizer"]["class"] == "Adam"
    flat_m = np.concatenate([net.optimizer.state["m"][name].ravel()
                             for name in ("0.W", "2.W", "0.b", "2.b")])  # weights first
    np.testing.assert_array_equal(arrays["optimizer/m"], flat_m)


def test_a_classic_file_loads(tmp_path):
    from glassnet.classic import neuralNetwork

    model = neuralNetwork(4, 3, 2, 0.3)
    path = write_version_1(model.network, tmp_path / "c.npz",
                           facade={"name": "classic", "config": model.get_config()})
    W1, W2 = model.network.parameters["0.W"], model.network.parameters["2.W"]
    meta, arrays = read_legacy_npz(path, {"0.W": (W1.dtype, W1.shape),
                                          "2.W": (W2.dtype, W2.shape)})
    assert meta["facade"]["name"] == "classic"
    np.testing.assert_array_equal(arrays["2.W"], model.who.T)
    loaded = gio.load(path)
    assert type(loaded) is neuralNetwork
    np.testing.assert_array_equal(loaded.who, model.who)


def test_a_file_with_a_frozen_layer_and_its_optimizer_loads(tmp_path):
    net = glassnet.mlp([4, 3, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
    net.fit(X, np.arange(16) % 2, optimizer="adam", epochs=1, batch_size=8, verbose=0, seed=0)
    loaded = gio.load(write_version_1(net, tmp_path / "net.npz", optimizer=net.optimizer))
    for slot in ("m", "v"):
        for name, value in net.optimizer.state[slot].items():
            np.testing.assert_array_equal(loaded.optimizer.state[slot][name], value)


def test_expected_from_the_metadata(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(corpus.good_npz())
    seen = []

    def expect(meta):
        seen.append(meta["format"])
        return {f"{2 * i}.{k}": ("float32", shape)
                for i, (n_in, n_out) in enumerate(corpus.LAYERS)
                for k, shape in (("W", (n_in, n_out)), ("b", (n_out,)))}

    meta, arrays = read_legacy_npz(path, expect)
    assert seen == ["glassnet-model"] and set(arrays) == {"0.W", "0.b", "2.W", "2.b"}
    np.testing.assert_array_equal(arrays["2.W"], corpus.model_arrays()["2.W"])


# -- every trick of the issue is refused, naming the file --------------------------------------
def generic_expected(meta):
    from hostile_targets import expected_arrays

    return expected_arrays(meta.get("config"), Path("?"))


ATTACKS = {name: data for name, data, refuse in corpus.npz_attacks() if refuse}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused(tmp_path, name):
    path = tmp_path / "hostile.npz"
    path.write_bytes(ATTACKS[name])
    with pytest.raises(ModelFormatError) as info:
        read_legacy_npz(path, generic_expected)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("name, message", [
    ("npz/shadow member 0.W beside 0.W.npy", "not a .npy array"),
    ("npz/duplicate 0.W.npy (last wins)", "several members named"),
    ("npz/two archives concatenated", "before the first member"),
    ("npz/junk after the archive", "after the archive's end"),
    ("npz/trailing bytes in a member with the original CRC", "16 bytes after its data"),
    ("npz/one weight bit changed (CRC)", "CRC-32 mismatch"),
    ("npz/deflated huge metadata", "compressed"),
    ("npz/encrypted flag local=True central=False", "encrypted"),
    ("npz/deeply nested metadata", "nested"),
    ("npz/metadata with a repeated key", "more than once"),
    ("npz/member header declares 10000x10000", "must have dtype float32 and shape"),
])
def test_the_message_says_what_is_wrong(tmp_path, name, message):
    path = tmp_path / "hostile.npz"
    path.write_bytes(ATTACKS[name])
    with pytest.raises(ModelFormatError, match=message):
        read_legacy_npz(path, generic_expected)


def test_deflated_metadata_costs_no_memory(tmp_path):
    path = tmp_path / "hostile.npz"
    path.write_bytes(ATTACKS["npz/deflated huge metadata"])
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError):
            read_legacy_meta(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_metadata_cap(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(corpus.good_npz())
    size = len(corpus.meta_array(corpus.v1_meta()))
    with pytest.raises(ModelFormatError, match="at most 100 uint8"):
        read_legacy_meta(path, max_meta_bytes=100)
    assert read_legacy_meta(path, max_meta_bytes=size)["format"] == "glassnet-model"


def test_every_truncation_is_refused(tmp_path):
    whole = corpus.good_npz()
    path = tmp_path / "cut.npz"
    for n in range(0, len(whole), 3):
        path.write_bytes(whole[:n])
        with pytest.raises(ModelFormatError):
            read_legacy_npz(path, generic_expected)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        read_legacy_meta(tmp_path / "absent.npz")
