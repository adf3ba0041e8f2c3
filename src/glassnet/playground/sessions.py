"""Sessions: one training thread per page, driving the ordinary ``Network.fit``.

The thread calls ``fit`` with a :class:`FrameCallback`; the callback publishes
a frame at most ``fps`` times a second, pauses between epochs, and runs the
page's requests (new settings, added points, a trace, an export) between
batches, so only this thread ever touches the network: no lock around the
engine, no second training loop.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from ..network import Network
from ..training import Callback, HealthCheck
from . import frames
from .config import Settings, SettingsError
from .data import Points, features, make_points
from .model import build_network, build_optimizer, build_schedule

__all__ = ["Session", "SessionStore", "SessionLimitError"]

#: a history longer than this is thinned (every other point) before it is sent
MAX_CURVE = 400
#: epochs of history kept; past this, every other one is dropped
MAX_HISTORY = 20_000


class SessionLimitError(SettingsError):
    """Every session slot is taken by a page still in use."""


class PageHealthCheck(HealthCheck):
    """``HealthCheck`` whose warnings go to the page (``issued``), not to ``warnings``.

    The activation and gradient checks run every ``every`` epochs (playground
    epochs are short; the loss checks run every epoch).
    """

    def __init__(self, X: Any, y: Any, every: int = 10) -> None:
        super().__init__(X, y)
        self.every = every
        self.epoch = 0

    def _warn(self, check: str, message: str, layer: int = -1) -> None:
        if (check, layer) not in self._warned:
            self._warned.add((check, layer))
            # the page says when: a warning may no longer hold many epochs later
            self.issued.append((check, f"after epoch {self.epoch + 1}: {message}"))

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        self.epoch = epoch
        X = self.X
        if epoch % self.every:
            self.X = None  # the data checks skip this epoch
        try:
            super().on_epoch_end(network, epoch, logs)
        finally:
            self.X = X


class FrameCallback(Callback):
    """Publishes frames, pauses, stops and serves the page's requests inside ``fit``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.network = session.net  # a rebuild replaces the session's network: this run ends

    def on_batch_end(self, network: Network, batch: int, logs: dict[str, float]) -> None:
        self.session._serve_jobs()
        if self.session._must_stop():
            network.stop_training = True

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        s = self.session
        if s.net is not self.network:  # the epoch of a network replaced meanwhile
            network.stop_training = True
            return
        s._record(epoch, logs)
        s._after_epoch(network)


class Session:
    """One page's data, network and training thread; see the module docstring."""

    def __init__(self, settings: Settings, *, fps: float = 30.0) -> None:
        self.id = uuid.uuid4().hex
        self.fps = fps
        self.created = self.last_seen = time.monotonic()
        self._cond = threading.Condition()
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self.closed = False
        self.running = False
        self.steps_left = 0
        self._restart = False
        self.frame: bytes = b""
        self.frame_seq = 0
        self.frames_published = 0
        self._last_frame = 0.0
        self.warp_layer = 0
        self.speed = 0.0  # epochs a second; 0: as fast as the machine goes
        self._epoch_done = 0.0
        self.error = ""
        self.health: PageHealthCheck | None = None
        self._seed_next: int | None = None
        self.probe = np.zeros(2)
        self._points_json: str | None = None
        self._published_running = False
        self._points_of: Points | None = None
        self._points_len = 0
        self._rebuild(settings, make_points(settings))
        self._publish()
        self.thread = threading.Thread(target=self._run, name=f"playground-{self.id[:8]}",
                                       daemon=True)
        self.thread.start()

    # -- requests from the server's threads ---------------------------------
    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run ``fn()`` on the training thread (between batches) and return its result."""
        future: Future[Any] = Future()
        self._jobs.put((fn, future))
        with self._cond:
            self._cond.notify_all()
        if not self.thread.is_alive():
            self._serve_jobs()
        return future.result(timeout=timeout)

    def control(self, action: str) -> None:
        """``play``, ``pause``, ``step`` (one epoch) or ``reset`` (new weights, same data)."""
        if action == "reset":
            self.call(lambda: self._rebuild(self.settings, self.points))
            return
        with self._cond:
            if action == "play":
                self.running, self.steps_left = True, 0
            elif action == "pause":
                self.running = False
            elif action == "step":
                self.running, self.steps_left = False, self.steps_left + 1
            else:
                raise SettingsError(f"unknown action {action!r}; choose play, pause, step "
                                    "or reset")
            self._cond.notify_all()

    def touch(self) -> None:
        """Mark the session as in use (an open event stream keeps it alive)."""
        self.last_seen = time.monotonic()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_frame(self, after: int, timeout: float) -> tuple[int, bytes]:
        """The newest frame once its number exceeds ``after`` (or the current one on timeout)."""
        with self._cond:
            self._cond.wait_for(lambda: self.frame_seq > after or self.closed, timeout)
            return self.frame_seq, self.frame

    # -- the training thread -------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self.closed and not (self.running or self.steps_left) \
                        and self._jobs.empty() and not self._published_running:
                    self._cond.wait(0.5)
                if self.closed:
                    return
                stale = self._published_running and not (self.running or self.steps_left)
            if stale:  # paused between two runs of fit: the page must see it
                self._publish()
            self._serve_jobs()
            if not (self.running or self.steps_left) or self.error:
                with self._cond:
                    if self.error:
                        self.running, self.steps_left = False, 0
                continue
            self._restart = False
            try:
                self._fit()
            except Exception as exc:  # shown in the page; the server goes on
                self.error = f"training stopped: {type(exc).__name__}: {exc}"
                self.running, self.steps_left = False, 0
                self._publish()

    def _fit(self) -> None:
        X, y = self.points.train
        if not len(X):
            raise SettingsError("there are no training points; add some or regenerate")
        val = self.points.held_out
        validation = (features(val[0], self.settings.features), val[1]) if len(val[0]) else None
        self.health = PageHealthCheck(features(X, self.settings.features), y)
        steps = -(-len(X) // self.settings.batchSize)
        callbacks = [*build_schedule(self.settings, steps), self.health, FrameCallback(self)]
        seed, self._seed_next = self._seed_next, None
        self.net.fit(features(X, self.settings.features), y, optimizer=self.optimizer,
                     epochs=self.epoch + 10**9, initial_epoch=self.epoch,
                     batch_size=self.settings.batchSize, validation_data=validation,
                     seed=seed, callbacks=callbacks, verbose=0)

    def _serve_jobs(self) -> None:
        while True:
            try:
                fn, future = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except Exception as exc:  # the request fails, the session goes on
                future.set_exception(exc)

    def _must_stop(self) -> bool:
        return self.closed or self._restart

    def _record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch = epoch + 1
        for key in ("loss", "val_loss", "accuracy", "val_accuracy", "lr"):
            if key in logs:
                self.history.setdefault(key, []).append(float(logs[key]))
        self.history.setdefault("epoch", []).append(float(self.epoch))
        if len(self.history["epoch"]) > MAX_HISTORY:  # memory stays bounded: keep every other
            for values in self.history.values():
                values[:] = values[::2]

    def _after_epoch(self, network: Network) -> None:
        now = time.monotonic()
        with self._cond:
            if self.steps_left:
                self.steps_left -= 1
            pausing = not self.running and not self.steps_left
        if pausing or now - self._last_frame >= 1.0 / self.fps:
            self._publish()
        self._keep_pace()
        while True:  # paused: wait here, serving requests, until play, step or stop
            with self._cond:
                if self.running or self.steps_left or self._must_stop():
                    break
                stale = self._published_running  # the page still shows it running
                if not stale:
                    self._cond.wait(0.25)
            if stale:
                self._publish()
            self._serve_jobs()
        if self._must_stop():
            network.stop_training = True

    def _keep_pace(self) -> None:
        """At ``speed`` epochs a second (0: as fast as the machine goes), so eyes can follow."""
        if self.speed:
            with self._cond:
                due = self._epoch_done + 1.0 / self.speed
                while self.running and not self._must_stop() and time.monotonic() < due:
                    self._cond.wait(due - time.monotonic())
        self._epoch_done = time.monotonic()

    # -- state changes (on the training thread, through ``call``) ------------
    def _rebuild(self, settings: Settings, points: Points) -> dict[str, Any]:
        net, warnings = build_network(settings, points.n_classes)
        self.settings, self.points, self.net = settings, points, net
        self.optimizer = build_optimizer(settings)
        self.warnings = warnings
        self.history: dict[str, list[float]] = {}
        self.epoch = 0
        self.error = ""
        self.health = None
        self._seed_next = settings.seed
        self._restart = True
        if len(points.P):
            self.probe = points.P[0].astype(np.float64)
        self._publish()
        return {"ok": True}

    def apply_settings(self, settings: Settings, regenerate: bool) -> dict[str, Any]:
        """New settings (on the training thread): new network, new data if asked."""
        points = make_points(settings) if regenerate else self.points
        return self._rebuild(settings, points)

    def edit_points(self, fn: Callable[[Points], Any]) -> Any:
        """Change the data (on the training thread); training continues on the new data."""
        result = fn(self.points)
        self._restart = True
        self._publish()
        return result

    # -- frames ----------------------------------------------------------------
    def _publish(self) -> None:
        frame = self.build_frame()
        self._published_running = frame["running"]
        if self._points_json is None or self._points_of is not self.points \
                or self._points_len != self.points.version:
            self._points_json = json.dumps(_points(self.points), separators=(",", ":"))
            self._points_of, self._points_len = self.points, self.points.version
        # the points change rarely: their JSON is made once and spliced in
        data = (json.dumps(frame, allow_nan=False, separators=(",", ":"))[:-1]
                + ',"points":' + self._points_json + "}").encode()
        with self._cond:
            self.frame = data
            self.frame_seq += 1
            self.frames_published += 1
            self._last_frame = time.monotonic()
            self._cond.notify_all()

    def build_frame(self) -> dict[str, Any]:
        """The JSON frame the page draws (see :mod:`glassnet.playground.frames`)."""
        names = self.settings.features
        ok = not self.error and all(np.isfinite(p).all() for _, p, _ in
                                    self.net.named_parameters())
        frame: dict[str, Any] = {
            "session": self.id, "seq": self.frame_seq + 1, "epoch": self.epoch,
            "running": self.running, "error": self.error, "settings": self.settings.to_dict(),
            "domain": list(self.points.domain), "nClasses": self.points.n_classes,
            "features": list(names), "history": _thin(self.history),
            "health": [m for _, m in (self.health.issued if self.health else [])],
            "warnings": self.warnings,
        }
        if ok:
            frame["boundary"] = frames.boundary(self.net, self.points, names)
            frame["network"] = frames.neuron_frame(self.net, self.points, names, self.probe)
            frame["warp"] = frames.warp_view(self.net, self.points, names, self.warp_layer)
        return frame


def _thin(history: dict[str, list[float]]) -> dict[str, str]:
    """Each curve, at most ``MAX_CURVE`` points (the newest always kept), as float32 bytes."""
    out = {}
    for key, values in history.items():
        stride = max(1, -(-len(values) // MAX_CURVE))
        kept = values[::stride]
        if values and (len(values) - 1) % stride:
            kept.append(values[-1])  # the newest value is always shown
        out[key] = frames.floats([v if math.isfinite(v) else math.nan for v in kept])
    return out


def _points(points: Points) -> dict[str, Any]:
    return {"xy": np.round(points.P, 4).tolist(),
            "y": np.round(points.y.astype(np.float64), 4).tolist(),
            "test": points.test.astype(int).tolist()}


class SessionStore:
    """At most ``max_sessions`` sessions; one unused for ``ttl`` seconds is closed."""

    def __init__(self, *, max_sessions: int = 8, ttl: float = 900.0, fps: float = 30.0) -> None:
        self.max_sessions, self.ttl, self.fps = max_sessions, ttl, fps
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, settings: Settings) -> Session:
        with self._lock:
            self._expire()
            if len(self._sessions) >= self.max_sessions:
                raise SessionLimitError(
                    f"{self.max_sessions} sessions are open, the most this server keeps; "
                    f"close a playground tab or wait {int(self.ttl)} s for an unused one "
                    "to expire")
            session = Session(settings, fps=self.fps)
            self._sessions[session.id] = session
            return session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            self._expire()
            session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def _expire(self) -> None:
        now = time.monotonic()
        for key, session in list(self._sessions.items()):
            if now - session.last_seen > self.ttl:
                session.close()
                del self._sessions[key]

    def close_all(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()

    def __len__(self) -> int:
        return len(self._sessions)
