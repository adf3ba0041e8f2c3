"""The playground's HTTP API on 127.0.0.1: frames, security checks, bad requests."""

from __future__ import annotations

import base64
import http.client
import json
import time

import numpy as np
import pytest

from glassnet.playground.data import features
from glassnet.playground.frames import grid_points
from glassnet.playground.server import MAX_BODY

from .conftest import Client


def _frame_after_step(client: Client, sid: str) -> dict:
    """Run one epoch and return the frame published when it ends (the session is paused)."""
    client.json(f"/api/sessions/{sid}/control", {"action": "step"})
    for _ in range(2000):  # the step runs on the session's thread; poll its frame
        frame = client.json(f"/api/sessions/{sid}/frame")
        if frame["epoch"] >= 1:
            return frame
        time.sleep(0.01)
    raise AssertionError("no frame after one step")


def test_frame_schema(client: Client) -> None:
    sid = client.session(dataset="blobs", classes=3, networkShape="5,4", samples=120)
    frame = _frame_after_step(client, sid)
    assert {"session", "seq", "epoch", "running", "error", "settings", "domain", "nClasses",
            "features", "history", "health", "warnings", "points", "boundary", "network",
            "warp"} <= set(frame)
    assert frame["epoch"] == 1 and frame["running"] is False and frame["error"] == ""
    assert frame["nClasses"] == 3 and frame["features"] == ["x", "y"]
    assert set(frame["history"]) >= {"loss", "val_loss", "accuracy", "val_accuracy", "lr"}
    session = client.server.store.get(sid)
    for key, values in frame["history"].items():  # float32 bytes, one value per epoch
        decoded = np.frombuffer(base64.b64decode(values), dtype="<f4")
        np.testing.assert_allclose(decoded, session.history[key], rtol=1e-6)
    b = frame["boundary"]
    assert b["kind"] == "classes" and b["columns"] == 3
    assert len(base64.b64decode(b["data"])) == b["n"] ** 2 * 3
    layers = frame["network"]["layers"]
    assert [len(layer["thumbs"]) for layer in layers] == [2, 5, 4, 3]
    assert np.asarray(layers[1]["W"]).shape == (2, 5) and len(layers[1]["b"]) == 5
    t = frame["network"]["thumb"]
    assert len(base64.b64decode(layers[2]["thumbs"][0]["data"])) == t * t
    assert len(frame["points"]["xy"]) == 120
    warp = frame["warp"]
    assert warp["how"] == "5 units, first 2 principal directions"
    assert len(base64.b64decode(warp["points"])) == 120 * 2 * 4
    assert len(base64.b64decode(warp["lines"])) == warp["nLines"] * warp["perLine"] * 2 * 4
    labels = np.frombuffer(base64.b64decode(warp["labels"]), dtype="<f4")
    np.testing.assert_array_equal(labels, session.points.y)


@pytest.mark.parametrize("settings", [
    {"dataset": "moons", "networkShape": "8,8"},
    {"dataset": "circle", "loss": "binary_cross_entropy", "features": "x,y,xSquared"},
    {"problem": "regression", "regDataset": "reg-gauss", "loss": "mse"},
])
def test_boundary_grid_equals_predict_proba_on_the_grid_points(client: Client,
                                                               settings: dict) -> None:
    sid = client.session(**settings)
    frame = _frame_after_step(client, sid)
    session = client.server.store.get(sid)
    assert session is not None
    b = frame["boundary"]
    X = features(grid_points(tuple(frame["domain"]), b["n"]), tuple(frame["features"]))
    raw = base64.b64decode(b["data"])
    if b["kind"] == "classes":
        expected = np.rint(np.clip(session.net.predict_proba(X), 0, 1) * 255).astype(np.uint8)
        got = np.frombuffer(raw, dtype=np.uint8).reshape(b["n"] * b["n"], b["columns"])
    else:
        expected = session.net.predict(X).reshape(-1).astype(np.float32)
        got = np.frombuffer(raw, dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


def test_token_is_required(client: Client) -> None:
    for token in (None, "", "not-the-token"):
        status, body = client.request("/", token=token)
        assert status == 403 and b"token" in body
        status, _ = client.request("/api/sessions", {}, token=token)
        assert status == 403
    status, body = client.request(f"/?token={client.server.token}", token=None)
    assert status == 200 and b"glassnet playground" in body
    status, _ = client.request("/static/app.js", token=None,
                               headers={"Cookie": f"glassnet_token={client.server.token}"})
    assert status == 200


def test_host_header_is_checked(client: Client) -> None:
    port = client.server.server_address[1]
    status, body = client.request("/", host=f"evil.example:{port}")
    assert status == 403 and b"Host" in body
    assert client.request("/", host=f"localhost:{port}")[0] == 200
    assert client.request("/", host=f"127.0.0.1:{port + 1}")[0] == 403


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py",
                                  "/static/", "/etc/passwd", "/static/sessions.py",
                                  "/static//etc/passwd"])
def test_no_path_outside_the_page_folder(client: Client, path: str) -> None:
    status, body = client.request(path)
    assert status == 404, (path, body)
    assert b"import" not in body


def _raw(client: Client, method: str, path: str, headers: dict, body: bytes = b"") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", client.server.server_address[1], timeout=30)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders(body)
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (json.dumps({"settings": {"learningRate": 100}}).encode(), 400, "learningRate"),
    (json.dumps({"settings": {"dataset": "mnist"}}).encode(), 400, "choose one of"),
    (json.dumps({"settings": {"wings": 2}}).encode(), 400, "unknown setting 'wings'"),
    (json.dumps({"settings": {"networkShape": "4,0"}}).encode(), 400, "networkShape"),
    (json.dumps({"settings": {"networkShape": "4096,4096,4096"}}).encode(), 400,
     "at most"),
    (json.dumps({"settings": {"cosX": "true"}}).encode(), 400, "sinX"),
])
def test_bad_settings_get_a_4xx_with_a_message(client: Client, body: bytes, status: int,
                                               words: str) -> None:
    got, data = client.request("/api/sessions", raw=body,
                               headers={"Content-Type": "application/json"})
    assert got == status and words in json.loads(data)["error"]
    assert client.session()  # the server goes on


def test_bad_requests_on_a_session(client: Client) -> None:
    sid = client.session(samples=40)
    cases = [
        (f"/api/sessions/{sid}/control", {"action": "fly"}, 400, "play"),
        (f"/api/sessions/{sid}/points", {"action": "add", "x": 0, "y": 0, "label": 7}, 400,
         "class 0..1"),
        (f"/api/sessions/{sid}/points", {"action": "add", "x": "a", "y": 0}, 400, "x must"),
        (f"/api/sessions/{sid}/points", {"action": "jump", "x": 0, "y": 0}, 400, "add or"),
        (f"/api/sessions/{sid}/view", {"probe": [1]}, 400, "probe"),
        (f"/api/sessions/{sid}/nothing", {}, 404, "no session action"),
        ("/api/sessions/0123abcd/control", {"action": "play"}, 404, "unknown session"),
        ("/api/elsewhere", {}, 404, "no API"),
        (f"/api/sessions/{sid}/settings", {"settings": {"loss": "sse", "problem":
                                                       "classification", "batchSize": 0}},
         400, "batchSize"),
    ]
    for path, body, status, words in cases:
        got, data = client.request(path, body)
        assert got == status, (path, data)
        assert words in json.loads(data)["error"], (path, data)
    got, data = client.request(f"/api/sessions/{sid}/export?format=zip")
    assert got == 400 and b"safetensors" in data
    got, data = client.request(f"/api/sessions/{sid}/csv", raw=b"x,y,label\n1,2,0\n1,oops,1\n")
    assert got == 400 and b"line 3" in data
    got, data = client.request(f"/api/sessions/{sid}/csv", raw=b"1,1,0\n" * 50_000)
    assert got == 400 and b"at most" in data
    token = client.server.token
    assert _raw(client, "POST", f"/api/sessions?token={token}", {"Content-Length": "abc"}) == 411
    assert _raw(client, "POST", f"/api/sessions?token={token}",
                {"Content-Length": str(MAX_BODY + 1)}) == 413
    assert _raw(client, "PUT", f"/api/sessions?token={token}", {"Content-Length": "0"}) == 405
    assert client.json(f"/api/sessions/{sid}/frame")["session"] == sid  # still serving


def test_sessions_are_bounded_and_expire(client: Client) -> None:
    ids = [client.session(samples=20) for _ in range(3)]
    status, data = client.request("/api/sessions", {"settings": {}})
    assert status == 503 and b"sessions are open" in data
    store = client.server.store
    store.ttl = 0.0
    time.sleep(0.01)
    assert store.get(ids[0]) is None and len(store) == 0
    store.ttl = 600.0
    assert client.session()
