"""What the page asks a session to do: points, CSV, trace, views, exports, digits."""

from __future__ import annotations

import base64
import io as bytes_io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glassnet import io
from glassnet.models import mlp
from glassnet.playground.data import features

from .conftest import Client
from .test_server import _frame_after_step


def test_points_added_removed_and_uploaded(client: Client) -> None:
    sid = client.session(samples=40, percTrainData=50)
    assert len(client.json(f"/api/sessions/{sid}/frame")["points"]["xy"]) == 40
    client.json(f"/api/sessions/{sid}/points", {"action": "add", "x": 0.1, "y": 0.2, "label": 1})
    frame = client.json(f"/api/sessions/{sid}/frame")
    xy, y, test = frame["points"]["xy"], frame["points"]["y"], frame["points"]["test"]
    assert len(xy) == 41 and xy[-1] == [0.1, 0.2] and y[-1] == 1 and test[-1] == 0
    out = client.json(f"/api/sessions/{sid}/points",
                      {"action": "remove", "x": 0.1, "y": 0.2, "radius": 0.01})
    assert out == {"removed": 1}
    out = client.json(f"/api/sessions/{sid}/points",
                      {"action": "remove", "x": 50.0, "y": 50.0, "radius": 0.01})
    assert out == {"removed": 0}
    csv = "x,y,label\n" + "".join(f"{i / 10},{(i % 3) / 5},{i % 3}\n" for i in range(30))
    client.json(f"/api/sessions/{sid}/csv", raw=csv.encode())
    frame = client.json(f"/api/sessions/{sid}/frame")
    assert len(frame["points"]["xy"]) == 30 and frame["nClasses"] == 3
    assert len(frame["network"]["layers"][-1]["thumbs"]) == 3  # the output grew to 3 classes


def test_csv_export_lists_every_point(client: Client) -> None:
    sid = client.session(samples=24)
    status, data = client.request(f"/api/sessions/{sid}/export?format=csv")
    lines = data.decode().splitlines()
    assert status == 200 and lines[0] == "x,y,label,split" and len(lines) == 25
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {"train", "test"}


def test_play_pause_and_settings_change(client: Client) -> None:
    sid = client.session(samples=60, networkShape="3")
    client.json(f"/api/sessions/{sid}/control", {"action": "play"})
    for _ in range(3000):
        frame = client.json(f"/api/sessions/{sid}/frame")
        if frame["epoch"] >= 3 and frame["running"]:
            break
    assert frame["running"] and frame["epoch"] >= 3
    client.json(f"/api/sessions/{sid}/control", {"action": "pause"})
    for _ in range(3000):  # the page learns of the pause from a frame
        frame = client.json(f"/api/sessions/{sid}/frame")
        if not frame["running"]:
            break
        time.sleep(0.01)
    assert not frame["running"]
    epoch = frame["epoch"]
    time.sleep(0.2)
    assert client.json(f"/api/sessions/{sid}/frame")["epoch"] == epoch  # paused indeed
    out = client.json(f"/api/sessions/{sid}/settings",
                      {"settings": {"activations": "relu", "optimizer": "nesterov"}})
    assert out["regenerated"] is False and out["settings"]["activations"] == ["relu"]
    frame = client.json(f"/api/sessions/{sid}/frame")
    assert frame["settings"]["optimizer"] == "nesterov" and frame["epoch"] == 0
    assert frame["network"]["layers"][1]["after"] == ["ReLU"]
    out = client.json(f"/api/sessions/{sid}/settings",
                      {"settings": {"networkShape": "2"}, "fromDefaults": True})
    assert out["settings"]["optimizer"] == "sgd" and out["settings"]["samples"] == 500
    assert out["regenerated"] is True  # back to the default 500 points
    client.json(f"/api/sessions/{sid}/control", {"action": "reset"})
    assert client.json(f"/api/sessions/{sid}/frame")["history"] == {}


def test_trace_of_a_point_matches_the_engine(client: Client) -> None:
    sid = client.session(dataset="moons", networkShape="3", samples=50)
    frame = _frame_after_step(client, sid)
    x, y = frame["points"]["xy"][0]
    label = frame["points"]["y"][0]
    trace = client.json(f"/api/sessions/{sid}/trace", {"x": x, "y": y, "label": label})
    session = client.server.store.get(sid)
    X = features(np.array([[x, y]]), session.settings.features)
    loss = session.net.loss.loss(session.net.loss.prepare_targets(
        np.array([int(label)]), 2, np.float32), session.net.forward(X))
    assert trace["loss_before"] == pytest.approx(float(loss), rel=1e-4)
    assert trace["max_gradcheck_error"] < 1e-4
    assert np.asarray(trace["arrays"]["dW1"]).shape == (2, 3)
    assert trace["loss_after"] < trace["loss_before"]
    # a network the trace cannot show says why
    client.json(f"/api/sessions/{sid}/settings", {"settings": {"batchNorm": True}})
    status, data = client.request(f"/api/sessions/{sid}/trace", {"x": x, "y": y})
    assert status == 400 and json.loads(data)["error"]


def test_view_moves_the_probe_and_the_warp_layer(client: Client) -> None:
    sid = client.session(networkShape="4,2")
    client.json(f"/api/sessions/{sid}/view", {"warpLayer": 1, "probe": [0.5, -0.25]})
    frame = client.json(f"/api/sessions/{sid}/frame")
    assert frame["warp"]["layer"] == 1 and frame["warp"]["how"] == "2 units"
    assert frame["network"]["probe"] == [0.5, -0.25]
    session = client.server.store.get(sid)
    z = session.net.layers[0].forward(np.array([[0.5, -0.25]], dtype=np.float32))
    np.testing.assert_allclose(frame["network"]["layers"][1]["z"], z[0], rtol=1e-6)


def test_exports_load_and_run(client: Client, tmp_path: Path) -> None:
    sid = client.session(dataset="xor", networkShape="4", samples=40, dropout=0.1)
    _frame_after_step(client, sid)
    status, data = client.request(f"/api/sessions/{sid}/export?format=safetensors")
    assert status == 200
    (tmp_path / "m.safetensors").write_bytes(data)
    net = io.load(tmp_path / "m.safetensors")
    session = client.server.store.get(sid)
    X = features(session.points.P, session.settings.features)
    np.testing.assert_allclose(net.predict_proba(X), session.net.predict_proba(X), rtol=1e-6)
    status, script = client.request(f"/api/sessions/{sid}/export?format=py")
    (tmp_path / "run.py").write_bytes(script)
    src = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True,
                            text=True, env={"PYTHONPATH": src}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "test: {'loss'" in result.stdout


def test_onnx_export(client: Client) -> None:
    ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    sid = client.session(networkShape="3")
    status, data = client.request(f"/api/sessions/{sid}/export?format=onnx")
    assert status == 200
    run = ort.InferenceSession(data)
    X = np.array([[0.1, 0.2]], dtype=np.float32)
    outputs = run.run(None, {run.get_inputs()[0].name: X})
    session = client.server.store.get(sid)
    assert any(np.allclose(o, session.net.predict_proba(X), atol=1e-5) for o in outputs)


def _png_of_a_stroke() -> str:
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    from PIL import ImageDraw

    img = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(img).line([(140, 40), (140, 240)], fill=0, width=18)
    buf = bytes_io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_digits_load_and_predict(client: Client, tmp_path: Path) -> None:
    image = _png_of_a_stroke()
    status, data = client.request("/api/digits/predict", {"image": image})
    assert status == 400 and b"no model" in data
    status, data = client.request("/api/digits/load", raw=b"not a model")
    assert status == 400
    small = io.save(mlp([3, 2]), tmp_path / "small.safetensors")
    status, data = client.request("/api/digits/load", raw=small.read_bytes())
    assert status == 400 and b"784" in data
    path = io.save(mlp([784, 16, 10], seed=0), tmp_path / "d.safetensors")
    assert client.json("/api/digits/load", raw=path.read_bytes())["state"] == "ready"
    out = client.json("/api/digits/predict", {"image": image})
    assert len(out["pixels"]) == 784 and max(out["pixels"]) > 200
    assert len(out["proba"]) == 10 and abs(sum(out["proba"]) - 1) < 1e-4
    assert out["digit"] == int(np.argmax(out["proba"])) and len(out["hidden"][0]) == 16
    status, data = client.request("/api/digits/predict", {"image": "data:image/png;base64,@@"})
    assert status == 400 and b"base64" in data


def test_digits_train_without_data_says_where_it_looked(client: Client, tmp_path: Path) -> None:
    client.server.api.digits.data_dir = str(tmp_path)
    out = client.json("/api/digits/train", {"epochs": 1, "samples": 100})
    assert out["state"] == "training"
    for _ in range(3000):
        status = client.json("/api/digits/status")
        if status["state"] != "training":
            break
    assert status["state"] == "failed" and "DataNotFoundError" in status["message"]
    bad, data = client.request("/api/digits/train", {"epochs": 99})
    assert bad == 400 and b"epochs" in data


@pytest.mark.data
def test_digits_train_on_the_mnist_files_found(client: Client, shared_data: Path) -> None:
    client.server.api.digits.data_dir = str(shared_data / "mnist")
    client.json("/api/digits/train", {"epochs": 1, "samples": 500})
    for _ in range(100_000):
        status = client.json("/api/digits/status")
        if status["state"] != "training":
            break
    assert status["state"] == "ready", status
    assert "500 images of the MNIST" in status["source"]
    out = client.json("/api/digits/predict", {"image": _png_of_a_stroke()})
    assert len(out["proba"]) == 10 and len(out["hidden"][0]) == 128


def test_history_memory_is_bounded(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from glassnet.playground import sessions

    monkeypatch.setattr(sessions, "MAX_HISTORY", 10)
    session = client.server.store.get(client.session(samples=20))
    for epoch in range(25):
        session._record(epoch, {"loss": float(epoch), "lr": 0.1})
    assert len(session.history["epoch"]) <= 10
    assert session.history["loss"][0] == 0.0 and session.history["epoch"][-1] >= 20
    assert len(session.history["loss"]) == len(session.history["epoch"])


def test_a_rebuild_while_training_starts_the_curves_afresh(client: Client) -> None:
    sid = client.session(samples=60, networkShape="3")
    client.json(f"/api/sessions/{sid}/control", {"action": "play"})
    for _ in range(3000):
        if client.json(f"/api/sessions/{sid}/frame")["epoch"] >= 5:
            break
        time.sleep(0.01)
    client.json(f"/api/sessions/{sid}/settings", {"settings": {"networkShape": "4"}})
    client.json(f"/api/sessions/{sid}/control", {"action": "pause"})
    session = client.server.store.get(sid)
    epochs = session.call(lambda: list(session.history.get("epoch", [])))
    assert epochs == [float(e) for e in range(1, len(epochs) + 1)]  # no epoch of the old one


def test_speed_caps_the_epochs_a_second(client: Client) -> None:
    sid = client.session(samples=20, networkShape="2")
    client.json(f"/api/sessions/{sid}/view", {"speed": 5})
    client.json(f"/api/sessions/{sid}/control", {"action": "play"})
    start = time.monotonic()
    time.sleep(1.0)
    client.json(f"/api/sessions/{sid}/control", {"action": "pause"})
    elapsed = time.monotonic() - start
    session = client.server.store.get(sid)
    epochs = session.call(lambda: session.epoch)
    assert 1 <= epochs <= 5 * elapsed + 2  # never faster than asked (a loaded machine: slower)
    status, data = client.request(f"/api/sessions/{sid}/view", {"speed": -1})
    assert status == 400 and b"speed" in data


def test_health_warnings_reach_the_page_with_their_epoch(client: Client) -> None:
    sid = client.session(samples=40, networkShape="3", learningRate=10, optimizer="sgd",
                         activation="sigmoid")
    client.json(f"/api/sessions/{sid}/control", {"action": "play"})
    for _ in range(3000):
        frame = client.json(f"/api/sessions/{sid}/frame")
        if frame["health"]:
            break
        time.sleep(0.01)
    client.json(f"/api/sessions/{sid}/control", {"action": "pause"})
    assert frame["health"], frame["error"]
    assert all(m.startswith("after epoch ") for m in frame["health"]), frame["health"]
