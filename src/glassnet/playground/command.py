"""The ``glassnet playground`` command: start the server, print the URL, open the browser."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import webbrowser
from typing import Any

__all__ = ["register", "run", "serve"]


def register(sub: Any) -> None:
    """Add the ``playground`` sub-command to the parser's sub-parsers ``sub``."""
    p = sub.add_parser(
        "playground", help="a page that trains a network live in your browser",
        description="Start a local web server and open a page that trains a glassnet network "
                    "live: data sets, layers, activations, optimizers, the decision boundary, "
                    "each neuron, backpropagation step by step, and a digits tab. The URL "
                    "carries a random token; only this machine can reach it unless --host "
                    "says otherwise.")
    p.add_argument("--port", type=int, default=0,
                   help="port to listen on (default: a free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; another address lets other "
                        "machines reach the page: a warning is printed)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--data-dir", default=None,
                   help="folder holding MNIST's files (or its mnist/ subfolder) for the "
                        "digits tab (default: the loader's usual places; never downloads)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the exit code."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    return serve(host=args.host, port=args.port, open_browser=not args.no_browser,
                 data_dir=args.data_dir)


def serve(*, host: str = "127.0.0.1", port: int = 0, open_browser: bool = True,
          data_dir: str | None = None) -> int:
    """Run the playground server in this thread until interrupted (Ctrl-C, SIGTERM)."""
    from .server import make_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: other machines that reach this address can "
              "use the playground (the token still guards it); use the default 127.0.0.1 "
              "to keep it to this machine", file=sys.stderr)
    server = make_server(host, port, data_dir=data_dir)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    print(f"glassnet playground: {server.url}", flush=True)
    print("press Ctrl-C to stop", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.shutdown_all()
        server.server_close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("glassnet playground: stopped", flush=True)
    return 0
