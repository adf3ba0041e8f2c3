"""The playground's JSON API: one method per request, each checked before it acts.

Every failure the page can cause (malformed JSON, an unknown key, a value out
of range, an unknown session, an oversized upload) is an :class:`HttpError`
with a 4xx status and a message the page shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from .config import SettingsError, parse_settings
from .data import features, parse_csv
from .digits import Digits
from .exports import export
from .model import snapshot
from .sessions import Session, SessionLimitError, SessionStore

__all__ = ["Api", "HttpError"]

Response = tuple[int, bytes, str, dict[str, str]]


class HttpError(Exception):
    """A request the server refuses: ``status`` (4xx) and a message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _json(payload: Any, status: int = 200) -> Response:
    return status, json.dumps(payload, allow_nan=False).encode(), "application/json", {}


def _object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HttpError(400, f"the request body must be a JSON object, got "
                             f"{type(value).__name__}")
    return value


def _float(body: dict[str, Any], key: str, low: float = -1e6, high: float = 1e6) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not low <= float(value) <= high:
        raise HttpError(400, f"{key} must be a number in {low:g}..{high:g}, got {value!r}")
    return float(value)


class Api:
    """Routes ``/api/...`` requests to the sessions and the digits model."""

    def __init__(self, store: SessionStore, *, data_dir: str | None = None) -> None:
        self.store = store
        self.digits = Digits(data_dir)

    def dispatch(self, method: str, path: str, query: dict[str, list[str]],
                 body: bytes) -> Response:
        parts = [p for p in path.split("/") if p][1:]  # after "api"
        try:
            if parts == ["sessions"] and method == "POST":
                return self.create(_object(body))
            if parts[:1] == ["digits"] and len(parts) == 2:
                return self._digits(method, parts[1], body)
            if parts[:1] == ["sessions"] and len(parts) == 3:
                session = self.store.get(parts[1])
                if session is None:
                    raise HttpError(404, f"unknown session {parts[1]!r} (expired or never "
                                         "made); reload the page")
                return self._session(method, parts[2], session, query, body)
        except SessionLimitError as exc:
            raise HttpError(503, str(exc)) from None
        except (SettingsError, ValueError, TypeError, OSError, ImportError) as exc:
            raise HttpError(400, str(exc)) from None
        raise HttpError(404, f"no API {method} {path}")

    def create(self, body: dict[str, Any]) -> Response:
        settings = parse_settings(body.get("settings", {}))
        session = self.store.create(settings)
        return _json({"session": session.id, "settings": settings.to_dict()})

    def _session(self, method: str, action: str, session: Session,
                 query: dict[str, list[str]], body: bytes) -> Response:
        if method == "GET" and action == "frame":
            return 200, session.frame, "application/json", {}
        if method == "GET" and action == "export":
            fmt = query.get("format", [""])[0]
            data, content_type, name = session.call(lambda: export(session, fmt))
            return 200, data, content_type, {
                "Content-Disposition": f'attachment; filename="{name}"'}
        if method != "POST":
            raise HttpError(405, f"{action} takes POST")
        if action == "csv":
            points = parse_csv(body, session.settings)
            return _json(session.call(lambda: session._rebuild(session.settings, points)))
        handlers: dict[str, Callable[[Session, dict[str, Any]], Any]] = {
            "control": self.control, "settings": self.settings, "points": self.points,
            "trace": self.trace, "view": self.view}
        if action not in handlers:
            raise HttpError(404, f"no session action {action!r}; one of "
                                 f"{', '.join(sorted(handlers))}, csv, export, frame, events")
        return _json(handlers[action](session, _object(body)))

    def control(self, session: Session, body: dict[str, Any]) -> Any:
        session.control(str(body.get("action")))
        return {"ok": True}

    def settings(self, session: Session, body: dict[str, Any]) -> Any:
        # fromDefaults: the keys given over the defaults (a link), else over the current ones
        base = None if body.get("fromDefaults") else session.settings
        new = parse_settings(body.get("settings", {}), base=base)
        old = session.settings
        data_keys = ("problem", "dataset", "regDataset", "classes", "samples", "noise",
                     "percTrainData", "seed")
        regenerate = bool(body.get("regenerate")) or any(
            getattr(new, k) != getattr(old, k) for k in data_keys)
        session.call(lambda: session.apply_settings(new, regenerate))
        return {"settings": new.to_dict(), "regenerated": regenerate}

    def points(self, session: Session, body: dict[str, Any]) -> Any:
        x, y = _float(body, "x"), _float(body, "y")
        if body.get("action") == "add":
            label = _float(body, "label", -1e6, 1e6)
            return session.call(lambda: session.edit_points(lambda p: p.add(x, y, label)) or
                                {"added": 1})
        if body.get("action") == "remove":
            radius = _float(body, "radius", 0.0, 100.0)
            removed = session.call(lambda: session.edit_points(
                lambda p: p.remove_near(x, y, radius)))
            return {"removed": removed}
        raise HttpError(400, f"action must be add or remove, got {body.get('action')!r}")

    def view(self, session: Session, body: dict[str, Any]) -> Any:
        def change() -> dict[str, Any]:
            if "speed" in body:
                session.speed = _float(body, "speed", 0, 10_000)
            if "warpLayer" in body:
                session.warp_layer = int(_float(body, "warpLayer", 0, 64))
            if "probe" in body:
                probe = body["probe"]
                if not (isinstance(probe, list) and len(probe) == 2):
                    raise HttpError(400, f"probe must be [x, y], got {probe!r}")
                session.probe = np.array([_float({"probe": v}, "probe") for v in probe])
            session._publish()
            return {"ok": True}
        return session.call(change)

    def trace(self, session: Session, body: dict[str, Any]) -> Any:
        from ..trace import trace_step

        x, y = _float(body, "x"), _float(body, "y")
        label = body.get("label")

        def run() -> dict[str, Any]:
            pts = session.points
            if label is None:  # the nearest data point's label
                i = int(np.argmin(np.hypot(pts.P[:, 0] - x, pts.P[:, 1] - y)))
                target = pts.y[i:i + 1]
            else:
                target = np.asarray([_float(body, "label")])
                target = target.astype(pts.y.dtype)
            if pts.n_classes == 0:
                target = target.reshape(1, 1)
            lr = session.optimizer.lr
            trace = trace_step(snapshot(session.net),
                               features(np.array([[x, y]]), session.settings.features),
                               target, lr=lr)
            out = trace.to_dict()
            out["sections"] = []  # the page draws the arrays on the network
            out["point"] = [x, y]
            out["target"] = np.asarray(target).tolist()
            return out
        return session.call(run)

    def _digits(self, method: str, action: str, body: bytes) -> Response:
        if method == "GET" and action == "status":
            return _json(self.digits.status())
        if method != "POST":
            raise HttpError(405, f"digits/{action} takes POST")
        if action == "train":
            return _json(self.digits.train(_object(body)))
        if action == "load":
            return _json(self.digits.load(body))
        if action == "predict":
            return _json(self.digits.predict(_object(body)))
        raise HttpError(404, f"no digits action {action!r}; one of status, train, load, predict")
