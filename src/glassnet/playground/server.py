"""The playground's web server: the standard library's threaded HTTP server.

Security as Jupyter does it: a random token per launch (in the URL; the page
then carries it in a header, the event stream in its query, and a
same-site cookie covers the page's own files), the Host header checked
against the bound address (against DNS rebinding), and only the files of
the page's folder served, by name. A bad request gets a 4xx with a message;
it never stops the server. Frames go out as Server-Sent Events.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import Api, HttpError
from .sessions import SessionStore

__all__ = ["PlaygroundServer", "make_server"]

MAX_BODY = 20 * 1024 * 1024  # a model file for the digits tab is the largest body
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
          ".png": "image/png"}


def _static_files() -> dict[str, bytes]:
    """The page's files by name, read once: nothing else can be served."""
    folder = resources.files("glassnet.playground") / "static"
    return {entry.name: entry.read_bytes() for entry in folder.iterdir()
            if entry.is_file() and "." + entry.name.rsplit(".", 1)[-1] in _TYPES}


class PlaygroundServer(ThreadingHTTPServer):
    """A threaded server holding the token, the allowed Host values and the sessions."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, *, token: str | None = None,
                 store: SessionStore | None = None, data_dir: str | None = None) -> None:
        if ":" in host:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        self.token = token or secrets.token_urlsafe(24)
        self.store = store if store is not None else SessionStore()
        self.static = _static_files()
        self.closing = threading.Event()
        self.api = Api(self.store, data_dir=data_dir)
        port = int(self.server_address[1])
        names = {host, "localhost", "127.0.0.1", "[::1]"} if host in (
            "127.0.0.1", "localhost", "::1") else {host}
        self.allowed_hosts = {f"{n}:{port}" for n in names} | (
            {"localhost", "127.0.0.1"} if port == 80 else set())
        # bound to every address (--host 0.0.0.0, announced with a warning): other machines
        # name this one as they know it, so any Host is accepted; the token still guards
        self.any_host = host in ("0.0.0.0", "::")

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{port}/?token={self.token}"

    def shutdown_all(self) -> None:
        """Stop serving, end every event stream and training thread."""
        self.closing.set()
        self.store.close_all()
        self.shutdown()


def make_server(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> PlaygroundServer:
    """A server bound to ``host:port`` (port 0: a free port), not yet serving."""
    return PlaygroundServer(host, port, **kwargs)


class Handler(BaseHTTPRequestHandler):
    """One request: check Host and token, then a static file, an API call or an event stream."""

    server: PlaygroundServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # the terminal shows the URL, not every request

    # -- helpers ---------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self.close_connection = True  # an unread body must not be taken for a request
        body = json.dumps({"error": message}).encode()
        self._send(status, body, "application/json")

    def _token_ok(self, query: dict[str, list[str]]) -> bool:
        given = query.get("token", [""])[0] or self.headers.get("X-Glassnet-Token", "")
        if not given:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            given = cookie["glassnet_token"].value if "glassnet_token" in cookie else ""
        return bool(given) and hmac.compare_digest(given.encode(), self.server.token.encode())

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise HttpError(411, "a POST needs a Content-Length header")
        if int(length) > MAX_BODY:
            raise HttpError(413, f"the request body has {length} bytes; at most {MAX_BODY}")
        return self.rfile.read(int(length))

    # -- methods ---------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._error(405, "method PUT is not allowed; the playground answers GET and POST")

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def _handle(self, method: str) -> None:
        try:
            self._route(method)
        except HttpError as exc:
            self._error(exc.status, exc.message)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away
        except Exception as exc:  # a bug answers 500 with its message; the server goes on
            self._error(500, f"{type(exc).__name__}: {exc}")

    def _route(self, method: str) -> None:
        host = self.headers.get("Host", "")
        if host not in self.server.allowed_hosts and not self.server.any_host:
            raise HttpError(403, f"Host {host!r} is not this server's address; open "
                                 f"{self.server.url}")
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if not self._token_ok(query):
            raise HttpError(403, "a valid token is needed: open the URL glassnet playground "
                                 "printed (it ends in ?token=...)")
        path = parts.path
        if method == "GET" and path in ("/", "/index.html"):
            cookie = (f"glassnet_token={self.server.token}; Path=/; HttpOnly; "
                      "SameSite=Strict")
            self._send(200, self.server.static["index.html"], _TYPES[".html"],
                       {"Set-Cookie": cookie})
            return
        if method == "GET" and path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in self.server.static:
                raise HttpError(404, f"no page file {name!r}")
            self._send(200, self.server.static[name], _TYPES["." + name.rsplit(".", 1)[-1]])
            return
        if method == "GET" and path.startswith("/api/sessions/") and path.endswith("/events"):
            self._events(path.split("/")[3])
            return
        if not path.startswith("/api/"):
            raise HttpError(404, f"nothing at {path!r}; the page is at /")
        body = self._body() if method == "POST" else b""
        status, payload, content_type, headers = self.server.api.dispatch(
            method, path, query, body)
        self._send(status, payload, content_type, headers)

    def _events(self, session_id: str) -> None:
        session = self.server.store.get(session_id)
        if session is None:
            raise HttpError(404, f"unknown session {session_id!r}; reload the page")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        seq = 0
        while not self.server.closing.is_set() and not session.closed:
            new_seq, frame = session.wait_frame(seq, timeout=1.0)
            if new_seq == seq:
                self.wfile.write(b": keep-alive\n\n")
            else:
                seq = new_seq
                self.wfile.write(b"data: " + frame + b"\n\n")
            self.wfile.flush()
            session.touch()
