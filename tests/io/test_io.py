"""glassnet.io: exact round trips, resumable optimizers, atomic saves, and refused bad files."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from legacy_writer import write_version_1

import glassnet
from glassnet import (
    SGD,
    Adam,
    BinaryCrossEntropy,
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    ModelFormatError,
    Network,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.classic import NeuralNetwork
from glassnet.io import FORMAT_VERSION, load, model_info, save
from glassnet.layers import LAYERS, Layer
from glassnet.losses import LOSSES, Loss, SumSquaredError

N_IN = 4


# -- helpers -------------------------------------------------------------------
def data(n_out: int, *, kind: str, dtype=np.float32, n: int = 48, seed: int = 0):
    """Inputs and targets for a network with ``n_out`` outputs trained on ``kind`` targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_IN)).astype(dtype)
    if kind == "labels":
        y = rng.integers(0, n_out, size=n)
    elif kind == "binary":
        y = rng.integers(0, 2, size=(n, n_out)).astype(dtype)
    else:
        y = rng.uniform(0.1, 0.9, size=(n, n_out)).astype(dtype)
    return X, y


def target_kind(loss: Loss) -> str:
    if isinstance(loss, BinaryCrossEntropy):
        return "binary"
    return "labels" if loss.is_classification else "values"


def assert_same_network(a: Network, b: Network, X: np.ndarray) -> None:
    assert type(b) is Network
    assert b.get_config() == a.get_config()
    assert b.dtype == a.dtype
    assert [type(la) for la in b.layers] == [type(la) for la in a.layers]
    assert type(b.loss) is type(a.loss) and vars(b.loss) == vars(a.loss)
    assert b.task == a.task
    assert list(b.parameters) == list(a.parameters)
    for name, value in a.parameters.items():
        assert b.parameters[name].dtype == value.dtype
        assert np.array_equal(b.parameters[name], value), name
    assert list(b.get_weights()) == list(a.get_weights())
    for name, value in a.get_weights().items():  # parameters and state (BatchNorm's statistics)
        assert np.array_equal(b.get_weights()[name], value), name
    assert np.array_equal(b.predict_proba(X), a.predict_proba(X))
    assert b.predict_proba(X).dtype == a.predict_proba(X).dtype
    assert np.array_equal(b.predict(X), a.predict(X))


def small_net(*, dtype=np.float32, seed: int = 0) -> Network:
    return Network([Dense(N_IN, 6, seed=seed, dtype=dtype), Tanh(),
                    Dense(6, 3, seed=seed + 1, dtype=dtype)])


def saved(tmp_path: Path, net=None, **kwargs) -> Path:
    """A version-1 file (the tampering tests edit its members), as glassnet 0.2 wrote it."""
    return write_version_1(small_net() if net is None else net, tmp_path / "model.npz",
                           **kwargs)


def members(path: Path) -> dict[str, np.ndarray]:
    """Every array of a (valid) model file: a version-1 npz (pickles refused) or safetensors
    (read by glassnet's container reader; the official package is the oracle elsewhere)."""
    if path.read_bytes()[:4] != b"PK\x03\x04":
        from glassnet.io.safetensors import read_tensors

        return read_tensors(path)[0]
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with open(path, "wb") as f:  # a file object, so no ".npz" is appended
        np.savez(f, **arrays)
    return path


def header_meta(path: Path) -> dict[str, str]:
    """The string metadata of a safetensors file, as written (the digest entry included)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n])["__metadata__"]


def meta_of(arrays: dict[str, np.ndarray]) -> dict:
    return json.loads(arrays["__meta__"].tobytes().decode())


def meta_array(meta: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def tampered(tmp_path: Path, edit_meta=None, **arrays) -> Path:
    """A copy of a valid model file with its metadata edited and arrays replaced (None drops)."""
    contents = members(saved(tmp_path))
    if edit_meta is not None:
        meta = meta_of(contents)
        edit_meta(meta)
        contents["__meta__"] = meta_array(meta)
    for name, value in arrays.items():
        if value is None:
            del contents[name]
        else:
            contents[name] = value
    return write_npz(tmp_path / "bad.npz", contents)


def tampered_as(fmt: str, tmp_path: Path, edit_meta=None, **arrays) -> Path:
    """``tampered`` in either format: for safetensors the architecture (``meta["config"]``)
    is edited in the ``model`` entry and arrays named as in version 1 (``"0.W"``) replace
    ``param/0.W``; the digest is recomputed, so the check behind it is what is tested."""
    if fmt == "npz":
        return tampered(tmp_path, edit_meta, **arrays)
    from glassnet.io.safetensors import read_tensors, write_safetensors

    tensors, header = read_tensors(save(small_net(), tmp_path / "model.safetensors"))
    strings = dict(header.metadata)
    meta = {"config": json.loads(strings["model"])}
    if edit_meta is not None:
        edit_meta(meta)
    strings["model"] = json.dumps(meta["config"])
    for name, value in arrays.items():
        tensors.pop(f"param/{name}", None)
        if value is not None:
            tensors[f"param/{name}"] = value
    return write_safetensors(tmp_path / "bad.safetensors", tensors, metadata=strings)


FORMATS = pytest.mark.parametrize("fmt", ["safetensors", "npz"])


def refused(path: Path, *fragments: str) -> ModelFormatError:
    with pytest.raises(ModelFormatError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    return info.value


# -- round trips -------------------------------------------------------------------
ARCHITECTURES = {
    "relu_softmax_ce": lambda dt: Network(
        [Dense(N_IN, 8, seed=0, dtype=dt), ReLU(), Dense(8, 3, seed=1, dtype=dt)]),
    "tanh_mse_no_bias": lambda dt: Network(
        [Dense(N_IN, 6, bias=False, seed=0, dtype=dt), Tanh(),
         Dense(6, 2, bias=False, seed=1, dtype=dt)], loss="mse"),
    "sigmoid_sse_normal_init": lambda dt: Network(
        [Dense(N_IN, 5, init="normal_fan_in", seed=0, dtype=dt), Sigmoid(),
         Dense(5, 2, init="he_normal", seed=1, dtype=dt), Sigmoid()], loss="sse"),
    "leaky_dropout_bce_logits": lambda dt: Network(
        [Dense(N_IN, 7, seed=0, dtype=dt), LeakyReLU(alpha=0.2), Dropout(p=0.3),
         Dense(7, 1, seed=1, dtype=dt)], loss="binary_cross_entropy"),
    "bce_on_probabilities": lambda dt: Network(
        [Dense(N_IN, 5, seed=0, dtype=dt), Tanh(), Dense(5, 2, seed=1, dtype=dt), Sigmoid()],
        loss=BinaryCrossEntropy(from_logits=False, eps=1e-5)),
    "softmax_layer_mse_classifier": lambda dt: Network(
        [Dense(N_IN, 6, seed=0, dtype=dt), Identity(), Dense(6, 3, seed=1, dtype=dt), Softmax()],
        loss="mse", task="classification"),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_round_trip_after_training_is_exact(tmp_path, arch, dtype):
    net = ARCHITECTURES[arch](dtype)
    kind = "labels" if net.task == "classification" and net.loss.name != "binary_cross_entropy" \
        else target_kind(net.loss)
    X, y = data(net.n_out, kind=kind, dtype=dtype)
    net.fit(X, y, epochs=3, batch_size=8, seed=0, verbose=0)
    loaded = load(save(net, tmp_path / "net.safetensors"))
    assert_same_network(net, loaded, X)
    assert loaded.evaluate(X, y) == net.evaluate(X, y)
    # Both keep training identically (fresh optimizers, same seed, same dropout masks).
    net.fit(X, y, optimizer=SGD(0.05), epochs=2, batch_size=8, seed=3, verbose=0)
    loaded.fit(X, y, optimizer=SGD(0.05), epochs=2, batch_size=8, seed=3, verbose=0)
    assert_same_network(net, loaded, X)


def test_layer_settings_are_kept(tmp_path):
    net = Network([Dense(N_IN, 5, bias=False, init="he_uniform", seed=0), LeakyReLU(alpha=0.37),
                   Dropout(p=0.45), Dense(5, 2, seed=1), Sigmoid()],
                  loss=BinaryCrossEntropy(from_logits=False, eps=1e-4))
    loaded = load(save(net, tmp_path / "m.safetensors"))
    dense, leaky, dropout = loaded.layers[0], loaded.layers[1], loaded.layers[2]
    assert (dense.bias, dense.init) == (False, "he_uniform")
    assert "0.b" not in loaded.parameters
    assert leaky.alpha == 0.37
    assert dropout.p == 0.45
    assert (loaded.loss.from_logits, loaded.loss.eps) == (False, 1e-4)


def example_layer(name: str) -> Layer:
    special = {"Dense": lambda: Dense(5, 5, seed=2), "LeakyReLU": lambda: LeakyReLU(alpha=0.3),
               "Dropout": lambda: Dropout(p=0.25, seed=0),
               "Sequential": lambda: glassnet.layers.Sequential([Dense(5, seed=3), Sigmoid()]),
               "Residual": lambda: glassnet.layers.Residual(Dense(5, seed=4))}
    L = glassnet.layers
    for picture in ("Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Reshape"):
        # the 5 features as a 1x1 picture of 5 channels, and back to 5 features
        inner = {"Conv2D": lambda: [L.Conv2D(5, 1, seed=5)], "MaxPool2D": lambda: [L.MaxPool2D(1)],
                 "AvgPool2D": lambda: [L.AvgPool2D(1)], "Reshape": lambda: []}.get(picture)
        special[picture] = (lambda inner=inner: L.Sequential(
            [L.Reshape((1, 1, 5)), L.GlobalAvgPool2D()] if inner is None
            else [L.Reshape((1, 1, 5)), *inner(), L.Flatten()]))
    return special.get(name, LAYERS[name])()


@pytest.mark.parametrize("name", sorted(n for n, c in LAYERS.items()
                                         if c.__module__.startswith("glassnet.")))
def test_every_built_in_layer_round_trips(tmp_path, name):
    net = Network([Dense(N_IN, 5, seed=0), example_layer(name), Dense(5, 3, seed=1)])
    X, y = data(3, kind="labels")
    net.fit(X, y, epochs=1, batch_size=16, seed=0, verbose=0)
    loaded = load(save(net, tmp_path / "m.safetensors"))
    assert_same_network(net, loaded, X)
    assert glassnet.layers.describe(loaded.layers[1]) == glassnet.layers.describe(net.layers[1])


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_every_loss_round_trips(tmp_path, loss_name):
    loss = LOSSES[loss_name]()
    n_out = 1 if isinstance(loss, BinaryCrossEntropy) else 3
    net = Network([Dense(N_IN, 5, seed=0, dtype=np.float64), Sigmoid(),
                   Dense(5, n_out, seed=1, dtype=np.float64)], loss=loss_name)
    X, y = data(n_out, kind=target_kind(loss), dtype=np.float64)
    net.fit(X, y, epochs=2, batch_size=8, seed=0, verbose=0)
    loaded = load(save(net, tmp_path / "m.safetensors"))
    assert type(loaded.loss) is LOSSES[loss_name]
    assert_same_network(net, loaded, X)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "identity"]),
       bias=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**31))
def test_random_architectures_round_trip(sizes, activation, bias, dtype, seed):
    from glassnet.layers import get_activation

    widths = [N_IN, *sizes]
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(Dense(n_in, n_out, bias=bias, seed=seed + i, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(get_activation(activation))
    net = Network(layers, loss="mse")
    X = np.random.default_rng(seed).normal(size=(7, N_IN)).astype(dtype)
    with tempfile.TemporaryDirectory() as folder:
        loaded = load(save(net, Path(folder) / "m.safetensors"))
    assert_same_network(net, loaded, X)


def test_loaded_network_trains_with_its_own_dtype(tmp_path):
    net = small_net(dtype=np.float64)
    loaded = load(save(net, tmp_path / "m.safetensors"))
    X, y = data(3, kind="labels", dtype=np.float64)
    history = loaded.fit(X, y, epochs=3, batch_size=8, seed=0, verbose=0)
    assert loaded.dtype == np.float64
    assert all(p.dtype == np.float64 for p in loaded.parameters.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    # the loaded network trains its own arrays, not the original's
    assert not np.array_equal(loaded.parameters["0.W"], net.parameters["0.W"])


# -- classic facade ----------------------------------------------------------------
def test_classic_round_trip(tmp_path):
    book = NeuralNetwork(3, 5, 2, 0.3, seed=1)
    rng = np.random.default_rng(0)
    for _ in range(10):
        book.train(rng.uniform(0.01, 1, 3), [0.99, 0.01])
    path = save(book, tmp_path / "book.safetensors")
    loaded = load(path)
    assert type(loaded) is NeuralNetwork
    assert loaded.get_config() == book.get_config()
    assert loaded.learning_rate == 0.3
    assert np.array_equal(loaded.wih, book.wih) and np.array_equal(loaded.who, book.who)
    assert loaded.wih.shape == (5, 3) and loaded.who.shape == (2, 5)
    for inputs in rng.uniform(0.01, 1, (5, 3)):
        assert np.array_equal(loaded.query(inputs), book.query(inputs))
    # the facade's views still point into the loaded engine, which keeps training alike
    for net in (book, loaded):
        net.train([0.2, 0.5, 0.9], [0.01, 0.99])
    assert np.array_equal(loaded.wih, book.wih) and np.array_equal(loaded.who, book.who)
    # saved as the engine's network plus the book's settings
    assert set(members(path)) == {"param/0.W", "param/2.W"}
    meta = header_meta(path)
    assert json.loads(meta["facade"]) == {"name": "classic", "config": book.get_config()}


def test_classic_refuses_an_optimizer(tmp_path):
    with pytest.raises(ValueError, match="do not pass optimizer="):
        save(NeuralNetwork(2, 2, 2, 0.1), tmp_path / "b.safetensors", optimizer=SGD(0.1))
    assert list(tmp_path.iterdir()) == []


# -- optimizer state -----------------------------------------------------------------
def make_optimizer(name: str):
    return {"adam": lambda: Adam(0.01, beta1=0.8, weight_decay=1e-3, clip_norm=5.0),
            "sgd_momentum": lambda: SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
            "sgd": lambda: SGD(0.05)}[name]()


@pytest.mark.parametrize("opt_name", ["adam", "sgd_momentum", "sgd"])
def test_optimizer_state_round_trip(tmp_path, opt_name):
    net = small_net()
    X, y = data(3, kind="labels")
    net.fit(X, y, optimizer=make_optimizer(opt_name), epochs=2, batch_size=8, seed=0, verbose=0)
    opt = net.optimizer
    loaded = load(save(net, tmp_path / "m.safetensors", optimizer=opt))
    restored = loaded.optimizer
    assert type(restored) is type(opt)
    assert restored.get_config() == opt.get_config()
    assert restored.t == opt.t == 12
    assert sorted(restored.state) == sorted(opt.state)
    for slot, arrays in opt.state.items():
        assert sorted(restored.state[slot]) == sorted(arrays)
        for name, value in arrays.items():
            assert restored.state[slot][name].dtype == value.dtype
            assert np.array_equal(restored.state[slot][name], value)
    keys = set(members(tmp_path / "m.safetensors"))
    assert keys == {*(f"param/{n}" for n in net.parameters),
                    *(f"optim/{k}/{n}" for k in opt.state for n in net.parameters)}
    listed = json.loads(header_meta(tmp_path / "m.safetensors")["optimizer"])["state"]
    assert listed == {k: list(net.parameters) for k in opt.state}


@pytest.mark.parametrize("opt_name", ["adam", "sgd_momentum"])
def test_resumed_training_equals_uninterrupted_training(tmp_path, opt_name):
    """2 epochs, save, load, 2 more epochs == 4 epochs, bit for bit.

    "The same" needs the same shuffling: an int seed would restart the shuffle
    stream at the second fit, so both runs share one Generator's stream instead.
    (No Dropout here: fit draws the dropout generators from the stream at its start.)
    """
    X, y = data(3, kind="labels", n=40)
    reference = small_net()
    reference.fit(X, y, optimizer=make_optimizer(opt_name), epochs=4, batch_size=8,
                  seed=np.random.default_rng(7), verbose=0)

    first = small_net()
    stream = np.random.default_rng(7)
    first.fit(X, y, optimizer=make_optimizer(opt_name), epochs=2, batch_size=8, seed=stream,
              verbose=0)
    resumed = load(save(first, tmp_path / "half.safetensors", optimizer=first.optimizer))
    del first
    resumed.fit(X, y, optimizer=resumed.optimizer, epochs=2, batch_size=8, seed=stream,
                verbose=0)
    for name, value in reference.get_weights().items():
        assert np.array_equal(resumed.get_weights()[name], value), name
    assert resumed.optimizer.t == reference.optimizer.t
    for slot, arrays in reference.optimizer.state.items():
        for name, value in arrays.items():
            assert np.array_equal(resumed.optimizer.state[slot][name], value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resumed_optimizer_steps_match_explicit_steps(tmp_path, dtype):
    """The same check without fit: one explicit sequence of gradients, split by a save."""
    rng = np.random.default_rng(1)
    grads = [{name: rng.normal(size=p.shape).astype(dtype) for name, p, _ in
              small_net(dtype=dtype).named_parameters()} for _ in range(6)]

    def step(opt, net, g):
        opt.step([(name, p, g[name].copy()) for name, p, _ in net.named_parameters()],
                 decay=net.decay_names)

    reference = small_net(dtype=dtype)
    ref_opt = Adam(0.02, weight_decay=1e-2)
    for g in grads:
        step(ref_opt, reference, g)

    net = small_net(dtype=dtype)
    opt = Adam(0.02, weight_decay=1e-2)
    for g in grads[:3]:
        step(opt, net, g)
    loaded = load(save(net, tmp_path / "m.safetensors", optimizer=opt))
    for g in grads[3:]:
        step(loaded.optimizer, loaded, g)
    for name, value in reference.parameters.items():
        assert np.array_equal(loaded.parameters[name], value), name


def test_optimizer_is_saved_only_when_given(tmp_path):
    net = small_net()
    X, y = data(3, kind="labels")
    net.fit(X, y, epochs=1, verbose=0, seed=0)
    loaded = load(save(net, tmp_path / "m.safetensors"))
    assert loaded.optimizer is None
    assert not any(k.startswith("optim/") for k in members(tmp_path / "m.safetensors"))
    assert model_info(tmp_path / "m.safetensors")["optimizer"] is None


def test_an_unused_optimizer_round_trips(tmp_path):
    loaded = load(save(small_net(), tmp_path / "m.safetensors", optimizer=SGD(0.5, momentum=0.5)))
    assert loaded.optimizer.t == 0 and loaded.optimizer.state == {"velocity": {}}
    assert loaded.optimizer.get_config()["momentum"] == 0.5


def test_optimizer_of_another_network_is_refused(tmp_path):
    other = Network([Dense(N_IN, 2, seed=0)])
    opt = Adam()
    opt.step([(name, p, np.ones_like(p)) for name, p, _ in other.named_parameters()])
    with pytest.raises(ValueError, match="optimizer that trained this network"):
        save(small_net(), tmp_path / "m.safetensors", optimizer=opt)
    assert list(tmp_path.iterdir()) == []


# -- what save refuses ------------------------------------------------------------------
def test_save_refuses_what_it_cannot_describe(tmp_path):
    class Doubling(Layer):
        def forward(self, x, *, training=False):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    class Halved(SumSquaredError):
        """A loss glassnet does not know by name."""

    with pytest.raises(TypeError, match="not a registered layer"):
        save(Network([Dense(2, 2), Doubling()]), tmp_path / "a.safetensors")
    with pytest.raises(TypeError, match="not a registered loss"):
        save(Network([Dense(2, 2)], loss=Halved()), tmp_path / "b.safetensors")

    class Slow(SGD):
        """An optimizer glassnet does not know by name."""

    with pytest.raises(TypeError, match="not a registered optimizer"):
        save(small_net(), tmp_path / "c.safetensors", optimizer=Slow())
    with pytest.raises(TypeError, match="glassnet.Network"):
        save({"0.W": np.zeros(2)}, tmp_path / "d.safetensors")
    assert list(tmp_path.iterdir()) == []


# -- the file itself -------------------------------------------------------------------
def test_file_layout(tmp_path):
    net = small_net()
    path = save(net, tmp_path / "m.safetensors", metadata={"dataset": "toy"})
    meta = header_meta(path)
    assert set(meta) == {"format", "format_version", "glassnet_version", "model", "user",
                         "glassnet.sha256"}
    assert meta["format"] == "glassnet" and meta["format_version"] == str(FORMAT_VERSION) == "3"
    assert meta["glassnet_version"] == glassnet.__version__
    assert json.loads(meta["model"]) == json.loads(json.dumps(net.get_config()))
    assert json.loads(meta["user"]) == {"dataset": "toy"}
    digest = json.loads(meta["glassnet.sha256"])
    assert sorted(digest["tensors"]) == ["param/0.W", "param/0.b", "param/2.W", "param/2.b"]
    arrays = members(path)
    assert arrays["param/0.W"].shape == (N_IN, 6) and arrays["param/0.W"].dtype == np.float32


def test_npz_paths_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"no longer writes \.npz.*m\.safetensors"):
        save(small_net(), tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_path_is_used_exactly(tmp_path):
    written = save(small_net(), tmp_path / "no_suffix")
    assert written == tmp_path / "no_suffix"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_suffix"]
    load(str(written))  # str paths work too
    save(small_net(), str(tmp_path / "other.model"))
    assert (tmp_path / "other.model").is_file()


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        save(small_net(), tmp_path / "no_such_folder" / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_model_info(tmp_path):
    net = small_net(dtype=np.float64)
    path = save(net, tmp_path / "m.safetensors", optimizer=Adam(0.01))
    info = model_info(path)
    assert info["kind"] == "network"
    assert info["format_version"] == 3
    assert info["layers"] == [repr(la) for la in net.layers]
    assert info["n_parameters"] == net.n_parameters == N_IN * 6 + 6 + 6 * 3 + 3
    assert (info["n_in"], info["n_out"]) == (N_IN, 3)
    assert info["dtype"] == "float64"
    assert info["loss"] == "softmax_cross_entropy"
    assert info["task"] == "classification"
    assert info["optimizer"].startswith("Adam(lr=0.01")
    assert info["path"] == str(path)
    json.dumps(info)  # plain data, ready for a CLI to print


def test_model_info_reads_no_weights(tmp_path):
    # A file whose weights are wrong still describes itself; load refuses it.
    path = tampered(tmp_path, **{"0.W": np.zeros((2, 2), dtype=np.float32)})
    assert model_info(path)["n_parameters"] == small_net().n_parameters
    refused(path, "'0.W'")


def test_model_info_checks_the_metadata(tmp_path):
    path = tampered(tmp_path, lambda m: m.update(format_version=2))
    with pytest.raises(ModelFormatError, match="version 2"):
        model_info(path)
    with pytest.raises(FileNotFoundError):
        model_info(tmp_path / "absent.npz")


# -- atomic saves -------------------------------------------------------------------------
def _partial_write(file, *args, **kwargs):
    file.write(b"half a model")
    raise RuntimeError("disk on fire")


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    old = small_net(seed=0)
    path = save(old, tmp_path / "m.safetensors")
    before = path.read_bytes()
    monkeypatch.setattr(glassnet.io.safetensors, "_write_data", _partial_write)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save(small_net(seed=5), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    X, _ = data(3, kind="labels")
    assert np.array_equal(load(path).predict_proba(X), old.predict_proba(X))


def test_failed_rename_keeps_previous_file(tmp_path, monkeypatch):
    path = save(small_net(seed=0), tmp_path / "m.safetensors")
    before = path.read_bytes()

    def no_rename(src, dst):
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="rename refused"):
        save(small_net(seed=5), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(glassnet.io.safetensors, "_write_data", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(small_net(), tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_the_previous_model(tmp_path):
    path = save(small_net(seed=0), tmp_path / "m.safetensors")
    new = small_net(seed=9)
    save(new, path)
    assert all(np.array_equal(v, new.parameters[k]) for k, v in load(path).parameters.items())
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_permissions_follow_umask_and_are_kept_on_replace(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = save(small_net(), tmp_path / "m.safetensors")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o600)
    save(small_net(seed=3), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- load refuses bad files -----------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        load(tmp_path / "absent.safetensors")


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, os.urandom(300), b"PK"])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    refused(path, "not a glassnet model file")


def test_a_plain_npy_file_is_not_a_model(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(3.0))
    refused(path, "not a glassnet model file")


def test_random_bytes_after_a_zip_signature(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(0).bytes(500))
    refused(path, "corrupt")


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path, fraction):
    whole = saved(tmp_path).read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    refused(path, "corrupt")


def test_corrupted_weights_fail_the_checksum(tmp_path):
    net = small_net()
    raw = bytearray(saved(tmp_path, net).read_bytes())
    at = bytes(raw).find(net.parameters["2.W"].tobytes())
    assert at > 0
    raw[at + 5] ^= 0xFF
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(raw))
    refused(path, "'2.W'", "corrupt")


def test_npz_without_metadata(tmp_path):
    path = write_npz(tmp_path / "plain.npz", {"0.W": np.zeros((2, 2), dtype=np.float32)})
    refused(path, "not a glassnet model file", "__meta__")


def test_metadata_not_json(tmp_path):
    path = tampered(tmp_path, __meta__=np.frombuffer(b"{not json", dtype=np.uint8))
    refused(path, "JSON")


def test_metadata_of_the_wrong_dtype(tmp_path):
    path = tampered(tmp_path, __meta__=np.zeros(3, dtype=np.float64))
    refused(path, "'__meta__'", "uint8")


@pytest.mark.parametrize("meta", [[1, 2], "text", {"format": "keras"}, {}])
def test_metadata_of_another_format(tmp_path, meta):
    path = tampered(tmp_path, __meta__=meta_array(meta))
    refused(path, "not a glassnet model file")


def test_newer_format_version(tmp_path):
    path = tampered(tmp_path, lambda m: m.update(format_version=7, glassnet_version="9.0"))
    refused(path, "format version 7", "reads format versions 1, 2, 3", "upgrade")


@pytest.mark.parametrize("version", ["1", 1.0, 0, -1, None, True])
def test_invalid_format_version(tmp_path, version):
    path = tampered(tmp_path, lambda m: m.update(format_version=version))
    refused(path, "format_version")


def test_unknown_kind(tmp_path):
    path = tampered(tmp_path, lambda m: m.update(kind="transformer"))
    refused(path, "'transformer'", "network", "classic")


@FORMATS
def test_wrong_shape_array(tmp_path, fmt):
    path = tampered_as(fmt, tmp_path, **{"0.W": np.zeros((N_IN, 7), dtype=np.float32)})
    refused(path, "0.W'", f"({N_IN}, 7)", f"({N_IN}, 6)" if fmt == "npz" else "n_out=6")


@FORMATS
def test_wrong_dtype_array(tmp_path, fmt):
    path = tampered_as(fmt, tmp_path, **{"0.b": np.zeros(6, dtype=np.float64)})
    refused(path, "0.b'", "float64", "float32")


@FORMATS
def test_missing_array(tmp_path, fmt):
    path = tampered_as(fmt, tmp_path, **{"2.b": None})
    refused(path, "missing", "2.b'")


@FORMATS
def test_extra_array(tmp_path, fmt):
    path = tampered_as(fmt, tmp_path, **{"4.W": np.zeros((3, 3), dtype=np.float32)})
    refused(path, "unexpected", "4.W'")


@FORMATS
def test_unknown_layer_class(tmp_path, fmt):
    def edit(meta):
        meta["config"]["layers"][1] = {"class": "Conv3D", "config": {}}

    error = refused(tampered_as(fmt, tmp_path, edit), "'Conv3D'")
    for name in LAYERS:
        assert name in str(error)


@FORMATS
def test_unknown_loss(tmp_path, fmt):
    path = tampered_as(fmt, tmp_path, lambda m: m["config"].update(loss="hinge"))
    error = refused(path, "'hinge'")
    for name in LOSSES:
        assert name in str(error)


@pytest.mark.parametrize("edit, fragment", [
    (lambda c: c["layers"][0]["config"].update(rng=3), "unknown settings ['rng']"),
    (lambda c: c["layers"][0]["config"].update(n_in=-1), "n_in"),
    (lambda c: c["layers"][2]["config"].update(n_in=7), "do not form a network"),
    (lambda c: c["layers"][0]["config"].update(bias="yes"), "bias='yes'"),
    (lambda c: c["layers"][0]["config"].update(init="magic"), "magic"),
    (lambda c: c["layers"][0].update(extra=1), "layer 0"),
    (lambda c: c["layers"].clear(), "non-empty"),
    (lambda c: c.update(dtype="float16"), "float16"),
    (lambda c: c.update(dtype="object"), "'object'"),
    (lambda c: c.update(task="ranking"), "ranking"),
    (lambda c: c.update(loss_config={"from_logits": False}), "from_logits"),
    (lambda c: c.update(callbacks=[]), "callbacks"),
])
@FORMATS
def test_invalid_architecture(tmp_path, edit, fragment, fmt):
    if fmt == "safetensors" and fragment == "do not form a network":
        fragment = "stored weights 'param/2.W' have shape (6, 3)"  # checked before building
    refused(tampered_as(fmt, tmp_path, lambda m: edit(m["config"])), fragment)


def test_unknown_or_broken_optimizer(tmp_path):
    net = small_net()
    path = write_version_1(net, tmp_path / "m.npz", optimizer=make_optimizer("adam"))
    contents = members(path)
    n = net.n_parameters
    contents["optimizer/m_sum"] = np.zeros(n, dtype=np.float32)
    contents["optimizer/v_sum"] = np.zeros(n, dtype=np.float32)

    def variant(edit=None, **arrays):
        meta = meta_of(contents)
        meta["optimizer"]["state"] = ["m_sum", "v_sum"]
        if edit:
            edit(meta["optimizer"])
        new = {**contents, "__meta__": meta_array(meta), **arrays}
        return write_npz(tmp_path / "bad.npz", {k: v for k, v in new.items() if v is not None})

    # files of glassnet 0.1 kept Adam's moments as flat m_sum and v_sum
    assert load(variant()).optimizer.state["m"]["0.W"].shape == net.parameters["0.W"].shape
    refused(variant(lambda o: o.update({"class": "Adagrad"})), "'Adagrad'", "Adam", "SGD")
    refused(variant(lambda o: o["config"].update(beta1=2.0)), "beta1")
    # how this machine runs the update is not the file's to say
    refused(variant(lambda o: o["config"].update(fused=True)), "unknown settings ['fused']")
    refused(variant(lambda o: o.update(t=-1)), "'t'")
    refused(variant(lambda o: o.update(state=["m_sum", "../v"])), "state")
    refused(variant(**{"optimizer/m_sum": np.zeros(n + 1, dtype=np.float32)}),
            "'optimizer/m_sum'")
    refused(variant(**{"optimizer/v_sum": None}), "missing", "'optimizer/v_sum'")
    refused(variant(lambda o: o.update(state=["m_sum"])), "keeps the state")
    new_names = {"optimizer/m": contents["optimizer/m_sum"], "optimizer/m_sum": None,
                 "optimizer/v": contents["optimizer/v_sum"], "optimizer/v_sum": None}
    assert load(variant(lambda o: o.update(state=["m", "v"]), **new_names)).optimizer.t == 0
    refused(variant(lambda o: o.update(state=["m", "velocity"]), **new_names),
            "keeps the state")


def legacy_classic_file(path, book):
    """A file as glassnet 0.1 wrote the book's network: its own kind, ``wih`` and ``who``."""
    meta = {"format": "glassnet-model", "format_version": 1, "kind": "classic",
            "glassnet_version": "0.1.0", "config": book.get_config(), "optimizer": None}
    return write_npz(path, {"__meta__": meta_array(meta), "wih": book.wih.copy(),
                            "who": book.who.copy()})


def test_classic_file_of_glassnet_0_1_loads(tmp_path):
    book = NeuralNetwork(3, 4, 2, 0.2, seed=0)
    loaded = load(legacy_classic_file(tmp_path / "old.npz", book))
    assert type(loaded) is NeuralNetwork
    np.testing.assert_array_equal(loaded.wih, book.wih)
    np.testing.assert_array_equal(loaded.query([0.1, 0.5, 0.9]), book.query([0.1, 0.5, 0.9]))


def test_classic_file_with_bad_contents(tmp_path):
    path = legacy_classic_file(tmp_path / "book.npz", NeuralNetwork(3, 4, 2, 0.2, seed=0))
    contents = members(path)
    meta = meta_of(contents)
    meta["config"]["learning_rate"] = -1
    write_npz(tmp_path / "lr.npz", {**contents, "__meta__": meta_array(meta)})
    refused(tmp_path / "lr.npz", "learning_rate")
    write_npz(tmp_path / "shape.npz", {**contents, "wih": np.zeros((3, 4))})
    refused(tmp_path / "shape.npz", "'wih'", "(4, 3)")


# Pickles must never be unpickled: this marker records any attempt.
UNPICKLED: list[str] = []


def _record_unpickling() -> str:
    UNPICKLED.append("code ran")
    return "payload"


class Payload:
    def __reduce__(self):
        return (_record_unpickling, ())


@pytest.mark.parametrize("where", ["0.W", "__meta__", "surplus"])
def test_object_arrays_are_refused_without_running_anything(tmp_path, where):
    contents = members(saved(tmp_path))
    contents[where] = np.array([Payload()], dtype=object)
    path = write_npz(tmp_path / "evil.npz", contents)
    UNPICKLED.clear()
    refused(path, repr(where), "dtype object" if where != "surplus" else "unexpected")
    if where == "__meta__":
        with pytest.raises(ModelFormatError, match="dtype object"):
            model_info(path)
    assert UNPICKLED == []


def test_metadata_is_kept_and_must_be_json(tmp_path):
    net = small_net()
    notes = {"dataset": "fashion-mnist", "scale": "unit", "class_names": ["a", "b"]}
    path = save(net, tmp_path / "m.safetensors", metadata=notes)
    assert model_info(path)["metadata"] == notes
    assert model_info(save(net, tmp_path / "plain.safetensors"))["metadata"] is None
    with pytest.raises(ValueError, match="JSON values"):
        save(net, tmp_path / "bad.safetensors", metadata={"array": np.zeros(2)})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        save(net, tmp_path / "bad.safetensors", metadata=["not", "a", "dict"])
    assert not (tmp_path / "bad.npz").exists()


def test_registered_custom_loss_and_optimizer_round_trip(tmp_path):
    from glassnet.losses import MeanSquaredError, register_loss
    from glassnet.optimizers import register_optimizer

    class HalfMSE(MeanSquaredError):
        """Half the mean squared error, a loss of one's own."""

        name = "half_mse_for_the_test"

        def loss(self, y_true, y_pred):
            return 0.5 * super().loss(y_true, y_pred)

        def grad(self, y_true, y_pred):
            return super().grad(y_true, y_pred) * y_pred.dtype.type(0.5)

    class PlainSGD(SGD):
        """SGD under another name, an optimizer of one's own."""

    register_loss(HalfMSE)
    register_optimizer(PlainSGD)
    net = Network([Dense(N_IN, 3, seed=0)], loss=HalfMSE())
    X = np.random.default_rng(0).standard_normal((20, N_IN)).astype(np.float32)
    net.fit(X, np.zeros((20, 3)), optimizer=PlainSGD(0.1), epochs=1, verbose=0)
    loaded = load(save(net, tmp_path / "own.safetensors", optimizer=net.optimizer))
    assert type(loaded.loss) is HalfMSE and type(loaded.optimizer) is PlainSGD
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


# -- version 2: safetensors ---------------------------------------------------------------
def test_default_format_is_safetensors_read_by_the_official_package(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy",
                                            reason="the official safetensors package is absent")
    net = Network([Dense(N_IN, 6, seed=0), glassnet.BatchNorm(), ReLU(), Dense(3, seed=1)])
    X, y = data(3, kind="labels")
    net.fit(X, y, optimizer=Adam(0.01), epochs=2, batch_size=8, seed=0, verbose=0)
    path = save(net, tmp_path / "m.safetensors", optimizer=net.optimizer,
                metadata={"data": "toy"})
    tensors = safetensors_numpy.load_file(path)
    for name, value in net.parameters.items():
        np.testing.assert_array_equal(tensors[f"param/{name}"], value)
    np.testing.assert_array_equal(tensors["state/1.running_mean"],
                                  net.layers[1].state["running_mean"])
    np.testing.assert_array_equal(tensors["optim/m/0.W"], net.optimizer.state["m"]["0.W"])
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
    assert meta["format"] == "glassnet" and meta["format_version"] == "3"
    assert json.loads(meta["model"]) == json.loads(json.dumps(net.get_config()))
    assert json.loads(meta["user"]) == {"data": "toy"}
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.optimizer.t == net.optimizer.t


def test_safetensors_file_loads_into_pytorch(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is absent")
    safetensors_torch = pytest.importorskip("safetensors.torch",
                                            reason="the official safetensors package is absent")
    net = small_net()
    tensors = safetensors_torch.load_file(save(net, tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(tensors["param/0.W"].numpy(), net.parameters["0.W"])


def test_a_file_the_official_package_wrote_loads(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy",
                                            reason="the official safetensors package is absent")
    net = small_net()
    ours = save(net, tmp_path / "ours.safetensors")
    from safetensors import safe_open

    with safe_open(str(ours), framework="numpy") as f:
        meta = f.metadata()
    theirs = tmp_path / "theirs.safetensors"
    safetensors_numpy.save_file(safetensors_numpy.load_file(ours), theirs, metadata=meta)
    np.testing.assert_array_equal(load(theirs).parameters["2.W"], net.parameters["2.W"])
    # without the digest (another tool dropped it) it still loads, and info says so
    del meta["glassnet.sha256"]
    safetensors_numpy.save_file(safetensors_numpy.load_file(ours), theirs, metadata=meta)
    np.testing.assert_array_equal(load(theirs).parameters["2.W"], net.parameters["2.W"])
    assert model_info(theirs)["digest"] is None


def test_model_info_reads_the_header_only(tmp_path):
    net = small_net()
    path = save(net, tmp_path / "m.safetensors", metadata={"classes": ["a", "b", "c"]})
    info = model_info(path)
    assert info["format_version"] == 3 and info["n_parameters"] == net.n_parameters
    assert info["digest"] == "SHA-256 per tensor"
    assert info["layers"][0] == repr(net.layers[0]) and info["n_in"] == N_IN
    assert info["tensors"]["param/0.W"] == {"dtype": "float32", "shape": [N_IN, 6]}
    assert info["metadata"] == {"classes": ["a", "b", "c"]}


def test_a_safetensors_file_that_is_not_glassnet_is_refused(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy",
                                            reason="the official safetensors package is absent")
    path = tmp_path / "other.safetensors"
    safetensors_numpy.save_file({"w": np.zeros(3, np.float32)}, path)
    refused(path, "not a glassnet model file")


def test_a_file_whose_tensor_disagrees_with_its_architecture_is_refused(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy",
                                            reason="the official safetensors package is absent")
    from safetensors import safe_open

    net = small_net()
    ours = save(net, tmp_path / "ours.safetensors")
    with safe_open(str(ours), framework="numpy") as f:
        meta = f.metadata()
    tensors = safetensors_numpy.load_file(ours)
    tensors["param/0.W"] = np.zeros((N_IN, 7), np.float32)
    bad = tmp_path / "bad.safetensors"
    safetensors_numpy.save_file(tensors, bad, metadata=meta)
    refused(bad, "'param/0.W'", "(4, 7)")


def test_non_finite_weights_are_refused_unless_allowed(tmp_path):
    net = small_net()
    net.layers[0].params["W"][1, 2] = np.nan
    path = save(net, tmp_path / "diverged.safetensors", allow_non_finite=True)
    refused(path, "['0.W'] hold NaN or infinity", "allow_non_finite=True")
    loaded = load(path, allow_non_finite=True)  # to inspect it
    with pytest.raises(FloatingPointError, match="diverged"):
        loaded.predict(np.ones((2, N_IN), dtype=np.float32))
