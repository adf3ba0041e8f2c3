"""Hostile model files made with glassnet's own writer: digests, declared sizes, long strings.

Each crafted file carries a valid digest unless the attack is on the digest,
so what refuses it is the check behind the digest (sizes, caps, finiteness).
:func:`every_bit_flip` yields every single-bit flip of a small digested
model, for the oracle "refused, or loads with identical predictions".
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

Case = tuple[str, bytes, bool]
PROBE = np.random.default_rng(7).standard_normal((16, 3)).astype(np.float32)


def _small_network():
    import glassnet as gn

    return gn.Network([gn.Dense(3, 4, seed=0), gn.Tanh(), gn.Dense(4, 2, seed=1)])


def _bytes_of(write) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.safetensors"
        write(path)
        return path.read_bytes()


def small_model() -> bytes:
    """A small model as ``glassnet.io.save`` writes it (with its digest)."""
    from glassnet import io

    return _bytes_of(lambda p: io.save(_small_network(), p))


def fingerprint(model) -> str:
    """SHA-256 of a model's predictions on a fixed probe: equal means identical predictions."""
    return hashlib.sha256(model.predict_proba(PROBE).tobytes()).hexdigest()


def reference_fingerprint() -> str:
    return fingerprint(_small_network())


def every_bit_flip(data: bytes) -> Iterator[tuple[str, bytes]]:
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        yield f"flip/bit {bit}", bytes(flipped)


def _rewritten(data: bytes, edit=None, tensors=None, digest: bool = True) -> bytes:
    """``data`` (a model file) written again with its metadata edited, digest recomputed."""
    from glassnet.io.safetensors import read_tensors, write_safetensors

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.safetensors"
        src.write_bytes(data)
        arrays, header = read_tensors(src)
        meta = dict(header.metadata)
        if edit is not None:
            edit(meta)
        arrays.update(tensors or {})
        out = Path(tmp) / "out.safetensors"
        write_safetensors(out, arrays, metadata=meta, digest=digest)
        return out.read_bytes()


def _model_edit(change):
    def edit(meta):
        model = json.loads(meta["model"])
        change(model)
        meta["model"] = json.dumps(model)
    return edit


def model_attacks() -> Iterator[Case]:
    import glassnet as gn
    from glassnet import io
    from glassnet.classic import NeuralNetwork

    base = small_model()
    yield "gn/good", base, False
    # digests
    n = int.from_bytes(base[:8], "little")
    flipped = bytearray(base)
    flipped[8 + n + 3] ^= 0x40
    yield "gn/one bit flipped in the weights", bytes(flipped), True
    yield "gn/digest dropped, weights changed", _rewritten(
        base, tensors={"param/0.W": np.ones((3, 4), np.float32)}, digest=False), False
    edited = base.replace(b"float32", b"float64")
    assert edited != base
    yield "gn/metadata edited after digesting", edited, True
    # lying lengths
    yield "gn/header length 8 short", (n - 8).to_bytes(8, "little") + base[8:], True
    yield "gn/header length 8 long", (n + 8).to_bytes(8, "little") + base[8:], True
    # long strings
    yield "gn/20 MB note", _rewritten(base, lambda m: m.update(
        user=json.dumps({"log": "A" * 20_000_000}))), True
    yield "gn/2 MB note", _rewritten(base, lambda m: m.update(
        user=json.dumps({"log": "A" * 2_000_000}))), True
    raw = base[8:8 + n] + b" " * 20_000_000
    yield "gn/20 MB of spaces in the header", len(raw).to_bytes(8, "little") + raw \
        + base[8 + n:], False
    # declared sizes
    flat = _bytes_of(lambda p: io.save(gn.Network([gn.Flatten(), gn.Dense(12, seed=0)],
                                                  input_shape=(2, 3)), p))
    for shape in ([3000, 3000], [100_000, 100_000]):
        def lie(model, shape=shape):
            model["input_shape"] = shape
            del model["layers"][1]["config"]["n_in"]
        yield f"gn/input_shape {shape}", _rewritten(flat, _model_edit(lie)), True
    yield "gn/Dense n_out 10**6", _rewritten(flat, _model_edit(
        lambda m: m["layers"][1]["config"].update(n_out=10**6))), True

    def stack(model):
        model["layers"][1:1] = [{"class": "Identity", "config": {}}] * 100_000
    yield "gn/100000 Identity layers", _rewritten(flat, _model_edit(stack)), True
    book = _bytes_of(lambda p: io.save(NeuralNetwork(3, 4, 2, 0.1, seed=0), p))
    for nodes in (10_000, 10**6):
        def big(meta, nodes=nodes):
            facade = json.loads(meta["facade"])
            facade["config"].update(input_nodes=nodes, hidden_nodes=nodes)
            meta["facade"] = json.dumps(facade)
        yield f"gn/book network of {nodes} nodes", _rewritten(book, big), True
    # non-finite state
    yield "gn/NaN weight", _rewritten(base, tensors={
        "param/0.W": np.full((3, 4), np.nan, np.float32)}), True
    net = _small_network()
    net.fit(PROBE, np.arange(16) % 2, optimizer="adam", epochs=1, verbose=0, seed=0)
    trained = _bytes_of(lambda p: io.save(net, p, optimizer=net.optimizer))
    moment = net.optimizer.state["v"]["0.W"].copy()
    moment[0, 0] = np.inf
    yield "gn/infinite Adam moment", _rewritten(trained, tensors={"optim/v/0.W": moment}), True
    yield from _swapped(trained)

    def huge_training(meta):
        meta["training"] = json.dumps({"note": "crafted"})
        meta["training_arrays"] = json.dumps({"best": ["float64", [100_000, 100_000]]})
    yield "gn/training arrays declaring 80 GB", _rewritten(base, huge_training), True


def _swapped(data: bytes) -> Iterator[Case]:
    """The byte ranges of two same-size tensors (a weight and its Adam moment) swapped."""
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    a, b = header["param/0.W"]["data_offsets"], header["optim/m/0.W"]["data_offsets"]
    body = bytearray(data[8 + n:])
    first, second = body[a[0]:a[1]], body[b[0]:b[1]]
    body[a[0]:a[1]], body[b[0]:b[1]] = second, first
    yield "gn/swapped weight and moment", data[:8 + n] + bytes(body), True


def legacy_attacks() -> Iterator[Case]:
    import io as stdio

    meta = {"format": "glassnet-model", "format_version": 1, "kind": "classic",
            "glassnet_version": "0.1.0", "optimizer": None,
            "config": {"input_nodes": 10**6, "hidden_nodes": 10**6, "output_nodes": 10,
                       "learning_rate": 0.1}}
    buffer = stdio.BytesIO()
    np.savez(buffer, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8),
             wih=np.zeros((2, 2)), who=np.zeros((2, 2)))
    yield "gn/npz book network of 10**6 nodes", buffer.getvalue(), True
