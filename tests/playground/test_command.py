"""``glassnet playground`` / ``python -m glassnet playground``: URL, token, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from glassnet.cli import build_parser

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_parser_has_the_playground_options() -> None:
    args = build_parser().parse_args(["playground", "--port", "8123", "--no-browser"])
    assert (args.port, args.host, args.no_browser) == (8123, "127.0.0.1", True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_with_a_token_and_stops_on_a_signal(sig: int) -> None:
    with subprocess.Popen([sys.executable, "-m", "glassnet", "playground", "--no-browser"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}) as proc:
        _serve_and_stop(proc, sig)


def _serve_and_stop(proc: subprocess.Popen[str], sig: int) -> None:
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("glassnet playground: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        assert "?token=" in url and len(url.split("?token=")[1]) >= 24
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b"glassnet playground" in response.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.split("?")[0], timeout=30)
        assert refused.value.code == 403
        refused.value.close()
        start = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0  # a guard against a hang, not a speed limit
        print(f"stopped {time.monotonic() - start:.2f} s after {signal.Signals(sig).name}")
        assert "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_another_host_is_announced_with_a_warning() -> None:
    with subprocess.Popen([sys.executable, "-m", "glassnet", "playground", "--no-browser",
                           "--host", "0.0.0.0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}) as proc:
        _warns(proc)


def _warns(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        port = url.split(":")[2].split("/")[0]
        request = urllib.request.Request(url, headers={"Host": f"192.0.2.7:{port}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # another machine's name
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "warning: listening on 0.0.0.0" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_bad_port_fails_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    from glassnet.cli import main

    assert main(["playground", "--port", "70000", "--no-browser"]) == 1
    assert "--port must be in 0..65535" in capsys.readouterr().err
