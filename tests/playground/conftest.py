"""A playground server on 127.0.0.1 for the tests, and a small HTTP client for it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from glassnet.playground.server import PlaygroundServer, make_server
from glassnet.playground.sessions import SessionStore


class Client:
    """Requests to one server; ``token=None`` sends none, ``host`` overrides the Host header."""

    def __init__(self, server: PlaygroundServer) -> None:
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"

    def request(self, path: str, body: Any = None, *, method: str | None = None,
                token: str | None = "default", host: str | None = None, raw: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token is not None:
            req.add_header("X-Glassnet-Token", self.server.token if token == "default" else token)
        if host is not None:
            req.add_header("Host", host)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        status, data = self.request(path, body, **kwargs)
        assert status == 200, (status, data)
        return json.loads(data)

    def session(self, **settings: Any) -> str:
        return str(self.json("/api/sessions", {"settings": settings})["session"])


@pytest.fixture
def server() -> Iterator[PlaygroundServer]:
    srv = make_server(store=SessionStore(max_sessions=3, ttl=600))
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown_all()
        srv.server_close()
        thread.join(timeout=5)


@pytest.fixture
def client(server: PlaygroundServer) -> Client:
    return Client(server)
