"""A local HTTP server on 127.0.0.1, so download tests never touch the internet."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class _Handler(SimpleHTTPRequestHandler):
    """Serves files from a folder, plus two misbehaving routes.

    ``/short/<name>`` announces a Content-Length larger than the body it sends
    and closes the connection; ``/slow/<name>`` waits before answering.
    """

    def log_message(self, format: str, *args: object) -> None:
        """Say nothing: keep the test output clean."""

    def do_GET(self) -> None:
        if self.path.startswith("/short/"):
            body = b"\x1f\x8b" + b"only part of the promised body"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path.startswith("/slow/"):
            time.sleep(1.0)
            self.path = self.path[len("/slow") :]
        super().do_GET()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out or stop reading early are part of the tests


@dataclass
class Server:
    root: Path  # files put here are served
    url: str  # base URL, without a trailing slash

    def put(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path


@pytest.fixture
def http_server(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("www")  # outside tmp_path, which tests check stays clean
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")  # a configured proxy must not interfere
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    handler = functools.partial(_Handler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    # a short poll interval makes shutdown() quick
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(root=root, url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No GLASSNET_DATA, and a cache folder inside tmp_path; returns that cache base."""
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    return cache_home / "glassnet"
