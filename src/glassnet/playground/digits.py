"""The digits tab: a drawn digit, the 28x28 the network sees, its probabilities.

The drawing is prepared as ``glassnet predict`` prepares a picture
(:func:`glassnet.datasets.preprocess_image`, MNIST style: cut to the ink,
fitted into 20x20, centred by mass; needs Pillow). The model is trained here
on the MNIST files the loader finds (never downloaded by the page), or
loaded from a model file.
"""

from __future__ import annotations

import base64
import binascii
import io
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .config import SettingsError

__all__ = ["Digits"]

MAX_IMAGE_BYTES = 2 * 1024 * 1024


class Digits:
    """The digits model of a server: trained in a thread, or loaded; then used to predict."""

    def __init__(self, data_dir: str | None) -> None:
        self.data_dir = data_dir
        self.net: Any = None
        self.scale = "unit"
        self.source = ""
        self.state = "none"  # none, training, ready, failed
        self.message = "no model yet: train one on MNIST or load a model file"
        self.progress = 0.0
        self._lock = threading.Lock()

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "message": self.message, "progress": self.progress,
                "source": self.source}

    def train(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start training a 784-128-10 network in a thread (epochs 1..20, default 3)."""
        epochs = body.get("epochs", 3)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 20:
            raise SettingsError(f"epochs must be a whole number in 1..20, got {epochs!r}")
        limit = body.get("samples", 20000)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 100 <= limit <= 60000:
            raise SettingsError(f"samples must be a whole number in 100..60000, got {limit!r}")
        with self._lock:
            if self.state == "training":
                raise SettingsError("a digits model is already training; wait for it")
            self.state, self.progress, self.message = "training", 0.0, "loading MNIST"
            started = self.status()  # the thread may end (data not found) before we return
        threading.Thread(target=self._train, args=(epochs, limit), daemon=True).start()
        return started

    def _load_data(self) -> tuple[Any, Any, str]:
        from ..datasets import load_mnist
        from ..errors import DataNotFoundError

        try:
            X, y = load_mnist(self.data_dir, split="train", download=False, progress=False)
            return X, y, "MNIST training split"
        except DataNotFoundError:
            X, y = load_mnist(self.data_dir, split="test", download=False, progress=False)
            return X, y, "MNIST test split (the training images were not found)"

    def _train(self, epochs: int, limit: int) -> None:
        from ..models import mlp
        from ..optimizers import Adam
        from ..training import Callback

        digits = self

        class Progress(Callback):
            def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
                digits.progress = (epoch + 1) / epochs
                digits.message = (f"epoch {epoch + 1}/{epochs}: loss {logs['loss']:.3f}, "
                                  f"accuracy {logs.get('accuracy', float('nan')):.3f}")

        try:
            X, y, what = self._load_data()
            X, y = X[:limit], y[:limit]
            net = mlp([784, 128, 10], activation="relu", seed=0)
            self.message = f"training on {len(X)} images of the {what}"
            net.fit(X, y, optimizer=Adam(1e-3), epochs=epochs, batch_size=64, seed=0,
                    verbose=0, callbacks=[Progress()])
            acc = net.evaluate(X, y)["accuracy"]
            with self._lock:
                self.net, self.scale = net, "unit"
                self.source = f"trained here on {len(X)} images of the {what}"
                self.state, self.message = "ready", (f"ready: {self.source}, training "
                                                     f"accuracy {acc:.3f}")
        except Exception as exc:  # shown in the page
            self.state, self.message = "failed", f"{type(exc).__name__}: {exc}"

    def load(self, data: bytes) -> dict[str, Any]:
        """Use a model file (as ``glassnet train`` writes) that takes 784 inputs."""
        from .. import io as gio

        if not data:
            raise SettingsError("the model file is empty")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.safetensors"
            path.write_bytes(data)
            net = gio.load(path)
        n_in = getattr(net, "n_in", None)
        if n_in != 784:
            raise SettingsError(f"the model takes {n_in} inputs; the digits tab needs a model "
                                "of 28x28 = 784 inputs, e.g. one written by glassnet train mnist")
        with self._lock:
            self.net, self.scale = net, "unit"
            self.source, self.state = "loaded from a model file", "ready"
            self.message = "ready: a model loaded from a file"
        return self.status()

    def predict(self, body: dict[str, Any]) -> dict[str, Any]:
        """Prepare the drawing (a PNG data URL) as MNIST's digits were made, and classify it.

        Returns the 28x28 seen (784 values 0-255), the probabilities (10,),
        the predicted digit, and the hidden layers' outputs.
        """
        from ..datasets._pixels import scale_pixels
        from ..datasets.images import preprocess_image
        from .frames import _forward_groups

        if self.net is None:
            raise SettingsError(self.message)
        image = body.get("image")
        if not isinstance(image, str) or not image.startswith("data:image/png;base64,"):
            raise SettingsError("image must be a PNG data URL (data:image/png;base64,...)")
        if len(image) > MAX_IMAGE_BYTES:
            raise SettingsError(f"the drawing is larger than {MAX_IMAGE_BYTES} bytes")
        try:
            png = base64.b64decode(image.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            raise SettingsError("the drawing's data URL is not valid base64") from None
        from ..datasets.images import _pillow

        try:
            Image, _ = _pillow()
        except ImportError:
            raise SettingsError("the digits tab needs Pillow, which is not installed; install "
                                "it with: pip install 'glassnet[playground]'") from None
        try:
            picture = Image.open(io.BytesIO(png))
            picture.load()
        except Exception as exc:
            raise SettingsError(f"the drawing is not a PNG Pillow can read: {exc}") from None
        prepared = preprocess_image(picture, preprocess="mnist")
        x = scale_pixels(prepared.pixels.reshape(1, 784), self.scale, self.net.dtype)
        proba = self.net.predict_proba(x)[0]
        hidden = [a[0].astype(np.float64) for _, a in _forward_groups(self.net, x)[:-1]]
        return {"pixels": prepared.pixels.reshape(-1).tolist(),
                "proba": [round(float(p), 6) for p in proba], "digit": int(np.argmax(proba)),
                "hidden": [np.round(h, 4).tolist() for h in hidden],
                "notes": list(prepared.warnings), "source": self.source}
