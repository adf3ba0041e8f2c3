"""A local HTTP server on 127.0.0.1, so download tests never touch the internet."""

from __future__ import annotations

import functools
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class _Handler(SimpleHTTPRequestHandler):
    """Serves files from a folder, plus misbehaving routes.

    ``/short/<name>`` announces a Content-Length larger than the body it sends
    and closes the connection; ``/slow/<name>`` waits before answering;
    ``/trickle/<name>`` sends the file one byte every 0.1 s (for at most 5 s);
    ``/reset/<name>`` sends half the file and resets the connection. Every
    path requested is appended to ``server.hits``.
    """

    def log_message(self, format: str, *args: object) -> None:
        """Say nothing: keep the test output clean."""

    def _misbehave(self, route: str) -> None:
        body = (Path(self.directory) / self.path[len(route) + 2:]).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        if route == "reset":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            # linger 0: close() sends a reset instead of an orderly end
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        stop = time.monotonic() + 5.0  # bounded: the server must be able to shut down
        for i in range(len(body)):
            if time.monotonic() > stop:
                break
            try:
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            except OSError:
                break  # the client gave up, as it should
            time.sleep(0.1)
        self.close_connection = True

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        for route in ("trickle", "reset"):
            if self.path.startswith(f"/{route}/"):
                self._misbehave(route)
                return
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
    hits: list[str]  # every path requested, in order

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
    server.hits = []  # type: ignore[attr-defined]
    # a short poll interval makes shutdown() quick
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(root=root, url=f"http://127.0.0.1:{server.server_address[1]}",
                     hits=server.hits)  # type: ignore[attr-defined]
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
