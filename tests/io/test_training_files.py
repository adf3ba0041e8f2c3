"""Files that continue training: frozen layers with stateful optimizers, the training state
saved with the optimizer, notes kept across load, fit and save, and what save refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import io
from glassnet.layers import Layer
from glassnet.training import BackupAndRestore, ModelCheckpoint

SRC = Path(__file__).resolve().parents[2] / "src"
OPTIMIZERS = {"adam": lambda: gn.optimizers.Adam(0.01),
              "adamw": lambda: gn.optimizers.AdamW(0.01, weight_decay=0.01),
              "rmsprop": lambda: gn.optimizers.RMSprop(0.01),
              "sgd_momentum": lambda: gn.optimizers.SGD(0.05, momentum=0.9)}


def data(n: int = 48, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def frozen_net() -> gn.Network:
    net = gn.Network([gn.Dense(4, 6, seed=0), gn.ReLU(), gn.Dense(6, 2, seed=1)])
    net.layers[0].trainable = False  # fine-tuning the head only
    return net


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_frozen_layer_with_a_stateful_optimizer_saves_and_loads(tmp_path, name):
    net = frozen_net()
    X, y = data()
    checkpoint = ModelCheckpoint(tmp_path / "ckpt-{epoch}.safetensors")
    net.fit(X, y, optimizer=OPTIMIZERS[name](), epochs=2, batch_size=16, seed=0, verbose=0,
            callbacks=[checkpoint, BackupAndRestore(tmp_path / "backup", delete_on_end=False)])
    opt = net.optimizer
    assert "0.W" not in next(iter(opt.state.values()))  # the frozen layer was never stepped
    for path in (io.save(net, tmp_path / "m.safetensors", optimizer=opt),
                 checkpoint.saved[-1], tmp_path / "backup" / "backup.safetensors"):
        loaded = io.load(path)
        listed = json.loads(io.model_info(path)["tensors"] and _header_entry(path, "optimizer"))
        assert listed["state"] == {slot: sorted(v, key=list(net.parameters).index)
                                   for slot, v in opt.state.items() if v}
        for slot, values in opt.state.items():
            assert sorted(loaded.optimizer.state[slot]) == sorted(values)
            for pname, value in values.items():
                np.testing.assert_array_equal(loaded.optimizer.state[slot][pname], value)
        assert loaded.layers[0].trainable is False
    # and training resumes from the backup
    again = frozen_net()
    again.fit(X, y, optimizer=OPTIMIZERS[name](), epochs=3, batch_size=16, seed=0, verbose=0,
              callbacks=[BackupAndRestore(tmp_path / "backup")])
    assert again.training_state.epoch == 3


def _header_entry(path: Path, key: str) -> str:
    from glassnet.io.safetensors import read_header

    return read_header(path).metadata[key]


RESUME = """
import sys
import numpy as np
import glassnet as gn
from glassnet import io
X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
y = (X[:, 0] * X[:, 1] > 0).astype(int)
net = io.load(sys.argv[1])
net.fit(X, y, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
io.save(net, sys.argv[2])
"""


def test_save_with_the_optimizer_then_fit_in_a_new_process_continues_exactly(tmp_path):
    """2 epochs, save with the optimizer, load in a fresh process, 2 more epochs: the same
    bits as 4 epochs in one go, with shuffling and Dropout on."""
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)

    def network():
        return gn.Network([gn.Dense(4, 16, seed=0), gn.ReLU(), gn.Dropout(0.3),
                           gn.Dense(16, 2, seed=1)])

    whole = network()
    whole.fit(X, y, optimizer=gn.optimizers.Adam(0.01), epochs=4, batch_size=8, seed=3,
              verbose=0)
    half = network()
    half.fit(X, y, optimizer=gn.optimizers.Adam(0.01), epochs=2, batch_size=8, seed=3,
             verbose=0)
    path = io.save(half, tmp_path / "half.safetensors", optimizer=half.optimizer)
    out = tmp_path / "resumed.safetensors"
    subprocess.run([sys.executable, "-c", RESUME, str(path), str(out)], check=True,
                   env={"PYTHONPATH": str(SRC)})
    resumed = io.load(out)
    for pname, value in whole.parameters.items():
        assert np.array_equal(resumed.parameters[pname], value), pname
    # without the optimizer nothing of the training state is stored
    plain = io.load(io.save(half, tmp_path / "plain.safetensors"))
    assert plain.optimizer is None and plain.training_state is None


def test_notes_survive_load_fit_and_save(tmp_path):
    net = gn.Network([gn.Dense(4, 6, seed=0), gn.ReLU(), gn.Dense(6, 2, seed=1)])
    notes = {"dataset": "fashion-mnist", "scale": "pixels", "classes": ["T-shirt", "Trouser"]}
    X, y = data()
    net.fit(X, y, epochs=1, verbose=0, seed=0)
    first = io.save(net, tmp_path / "a.safetensors", optimizer=net.optimizer, metadata=notes)
    loaded = io.load(first)
    assert loaded.metadata == notes
    loaded.fit(X, y, epochs=2, initial_epoch=1, verbose=0)
    second = io.save(loaded, tmp_path / "b.safetensors")  # no metadata= given
    assert io.model_info(second)["metadata"] == notes
    third = io.save(io.load(second), tmp_path / "c.safetensors", metadata={"note": "tuned"})
    assert io.model_info(third)["metadata"] == {**notes, "note": "tuned"}


class UnbuildableLoss(gn.losses.MeanSquaredError):
    """A loss whose get_config holds a setting its constructor does not take."""

    name = "unbuildable_mse"

    def get_config(self):
        return {"weights": "heavy"}


class Shouting(Layer):
    """A layer whose get_config returns a setting its constructor refuses."""

    def __init__(self, mode="a"):
        super().__init__()
        if mode not in ("a", "b"):
            raise ValueError(f"mode must be 'a' or 'b', got {mode!r}")
        self.mode = mode.upper()

    def forward(self, x, *, training=False):
        return x

    def backward(self, dout):
        return dout

    def get_config(self):
        return {"mode": self.mode}


def test_save_refuses_what_load_would_refuse_before_writing(tmp_path, monkeypatch):
    # registered for this test only: other tests walk every registered class
    monkeypatch.setitem(gn.layers.LAYERS, "Shouting", Shouting)
    monkeypatch.setitem(gn.losses.LOSSES, UnbuildableLoss.name, UnbuildableLoss)
    target = tmp_path / "m.safetensors"
    with pytest.raises(ValueError, match="Shouting: load could not rebuild it.*'A'"):
        io.save(gn.Network([gn.Dense(2, 2, seed=0), Shouting()], loss="mse"), target)
    net = gn.Network([gn.Dense(2, 2, seed=0)], loss=UnbuildableLoss())
    with pytest.raises(TypeError, match=r"get_config\(\) returns \['weights'\]"):
        io.save(net, target)
    assert not target.exists()


def test_a_save_with_an_optimizer_builds_no_flat_buffer(tmp_path, monkeypatch):
    net = frozen_net()
    X, y = data()
    net.fit(X, y, optimizer="adam", epochs=1, verbose=0, seed=0)

    def no_concatenate(*args, **kwargs):
        raise AssertionError("a flat optimizer buffer was built")

    monkeypatch.setattr(np, "concatenate", no_concatenate)
    path = io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer)
    monkeypatch.undo()
    assert io.load(path).optimizer.t == net.optimizer.t


def test_the_reader_expects_exactly_the_slots_the_writer_listed(tmp_path):
    from glassnet.io.safetensors import read_tensors, write_safetensors

    net = frozen_net()
    X, y = data()
    net.fit(X, y, optimizer="adam", epochs=1, verbose=0, seed=0)
    path = io.save(net, tmp_path / "m.safetensors", optimizer=net.optimizer)
    arrays, header = read_tensors(path)

    def rewritten(edit, drop=()):
        meta = dict(header.metadata)
        spec = json.loads(meta["optimizer"])
        edit(spec["state"])
        meta["optimizer"] = json.dumps(spec)
        kept = {k: v for k, v in arrays.items() if k not in drop}
        return write_safetensors(tmp_path / "bad.safetensors", kept, metadata=meta)

    def refused(bad, *fragments):
        with pytest.raises(gn.errors.ModelFormatError) as info:
            io.load(bad)
        assert all(f in str(info.value) for f in fragments), str(info.value)

    # a frozen parameter listed, but (as written) no tensor for it
    refused(rewritten(lambda s: s["m"].insert(0, "0.W")), "missing", "'optim/m/0.W'")
    # a tensor the listing does not name
    refused(rewritten(lambda s: s["v"].remove("2.b")), "unexpected", "'optim/v/2.b'")
    refused(rewritten(lambda s: s.update(m=["9.W"])), "not distinct parameters")
    refused(rewritten(lambda s: s.update(velocity=[])), "keeps the state")


def test_containers_with_dropout_inside_save_and_continue_exactly(tmp_path):
    from glassnet.layers import Residual, Sequential

    def network():
        block = Sequential([gn.Dense(8, seed=2), gn.ReLU(), gn.Dropout(0.2), gn.Dense(8, seed=3)])
        return gn.Network([gn.Dense(4, 8, seed=0), Residual(block), gn.Dense(8, 2, seed=1)])

    X, y = data()
    whole = network()
    whole.fit(X, y, optimizer="adam", epochs=3, batch_size=8, seed=1, verbose=0)
    half = network()
    half.fit(X, y, optimizer="adam", epochs=1, batch_size=8, seed=1, verbose=0)
    path = io.save(half, tmp_path / "res.safetensors", optimizer=half.optimizer)
    names = set(io.model_info(path)["tensors"])
    assert any(n.startswith("param/1.") and n.count(".") >= 2 for n in names), names
    resumed = io.load(path)
    resumed.fit(X, y, epochs=3, initial_epoch=1, batch_size=8, verbose=0)
    for pname, value in whole.parameters.items():
        assert np.array_equal(resumed.parameters[pname], value), pname


def test_network_metadata_must_be_a_dict(tmp_path):
    net = frozen_net()
    net.metadata = "moons"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="network.metadata must be a dict"):
        io.save(net, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()
