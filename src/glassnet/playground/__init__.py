"""``glassnet playground``: a local page that trains a glassnet network live.

The page (``static/``: plain HTML, CSS and JavaScript drawing on Canvas)
talks to :mod:`.server` (the standard library's threaded HTTP server); each
page's network trains in its own thread through the ordinary
``Network.fit``, a callback publishing what the page draws
(:mod:`.sessions`, :mod:`.frames`).
"""

from __future__ import annotations

from .command import register, serve
from .config import Settings, SettingsError, parse_settings
from .server import PlaygroundServer, make_server

__all__ = ["PlaygroundServer", "Settings", "SettingsError", "make_server", "parse_settings",
           "register", "serve"]
