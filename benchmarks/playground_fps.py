"""Frames per second of ``glassnet playground`` and the time from play to a separated XOR.

Starts the server on 127.0.0.1, opens a session with a 2-8-8-2 network
(tanh, Adam 0.03, batch 10, 500 XOR points at noise 10), reads its event
stream as the page does, and reports the frames received per second while
training and the seconds from "play" to the first frame whose training and
test accuracy are both 1.0 (every point on its side of the boundary).

    python -m benchmarks.playground_fps [--seconds 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import threading
import time
import urllib.request
from typing import Any

import numpy as np

from glassnet.playground.server import make_server

SETTINGS = {"dataset": "xor", "networkShape": "8,8", "activation": "tanh", "optimizer": "adam",
            "learningRate": 0.03, "batchSize": 10, "noise": 10, "samples": 500, "seed": 0}


def _post(base: str, token: str, path: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"X-Glassnet-Token": token})
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.loads(response.read())


def measure(seconds: float) -> dict[str, float]:
    """One session: frames per second over ``seconds`` and the time to a separated XOR."""
    server = make_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        sid = _post(base, server.token, "/api/sessions", {"settings": SETTINGS})["session"]
        stream = urllib.request.urlopen(
            f"{base}/api/sessions/{sid}/events?token={server.token}", timeout=60)
        _post(base, server.token, f"/api/sessions/{sid}/control", {"action": "play"})
        start = time.perf_counter()
        frames, separated, epochs, separated_epoch = 0, float("nan"), 0, 0
        while time.perf_counter() - start < seconds:
            line = stream.readline()
            if not line.startswith(b"data: "):
                continue
            frame = json.loads(line[6:])
            if not frame["running"]:
                continue
            frames += 1
            epochs = frame["epoch"]
            h = {k: np.frombuffer(base64.b64decode(v), dtype="<f4")
                 for k, v in frame["history"].items()}
            if separated != separated and "accuracy" in h and h["accuracy"][-1] == 1.0 \
                    and h["val_accuracy"][-1] == 1.0:
                separated = time.perf_counter() - start
                separated_epoch = frame["epoch"]
        elapsed = time.perf_counter() - start
        stream.close()
        return {"fps": frames / elapsed, "seconds_to_separated_xor": separated,
                "epochs_to_separated_xor": separated_epoch,
                "epochs_per_second": epochs / elapsed}
    finally:
        server.shutdown_all()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}, load average "
          f"{os.getloadavg()[0]:.2f}")
    for i in range(args.repeats):
        r = measure(args.seconds)
        print(f"run {i + 1}: {r['fps']:.1f} frames/s, {r['epochs_per_second']:.0f} epochs/s, "
              f"separated XOR after {r['seconds_to_separated_xor']:.2f} s "
              f"(epoch {r['epochs_to_separated_xor']})")


if __name__ == "__main__":
    main()
