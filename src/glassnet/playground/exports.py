"""Exports of a session: the model (safetensors, ONNX), a Python script, the data as CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import SettingsError
from .model import snapshot

if TYPE_CHECKING:
    from .sessions import Session

__all__ = ["FORMATS", "export", "python_script"]

FORMATS = ("safetensors", "onnx", "py", "csv")


def export(session: Session, fmt: str) -> tuple[bytes, str, str]:
    """``(content, content type, file name)`` of the session in format ``fmt``."""
    if fmt == "csv":
        return session.points.to_csv().encode(), "text/csv; charset=utf-8", "playground-data.csv"
    if fmt == "py":
        return (python_script(session).encode(), "text/x-python; charset=utf-8",
                "playground_run.py")
    if fmt not in FORMATS:
        raise SettingsError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    net = snapshot(session.net)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"playground.{fmt}"
        if fmt == "safetensors":
            from .. import io

            io.save(net, path, metadata={"playground": session.settings.to_dict()})
        else:
            from ..export import to_onnx

            to_onnx(net, path)
        data = path.read_bytes()
    kind = "application/octet-stream"
    return data, kind, path.name


def _layer_lines(settings: Any) -> list[str]:
    lines = []
    for units, act in zip(settings.networkShape, settings.layer_activations(), strict=True):
        init = "he_uniform" if act in ("relu", "leaky_relu") else "glorot_uniform"
        lines.append(f"    gn.layers.Dense({units}, init={init!r}, seed=rng),")
        if settings.batchNorm:
            lines.append("    gn.layers.BatchNorm(),")
        name = "identity" if act == "linear" else act
        lines.append(f"    gn.layers.get_activation({name!r}),")
        if settings.dropout:
            lines.append(f"    gn.layers.Dropout({settings.dropout}, seed=rng),")
    return lines


def python_script(session: Session) -> str:
    """A short script that reruns this session's set-up with glassnet's public API."""
    s = session.settings
    k = session.points.n_classes
    n_out = 1 if (k == 0 or s.loss == "binary_cross_entropy") else k
    opt = {"sgd": f"gn.SGD({s.learningRate}, weight_decay={s.regularizationRate})",
           "momentum": f"gn.SGD({s.learningRate}, momentum=0.9, "
                       f"weight_decay={s.regularizationRate})",
           "nesterov": f"gn.SGD({s.learningRate}, momentum=0.9, nesterov=True, "
                       f"weight_decay={s.regularizationRate})",
           "adam": f"gn.Adam({s.learningRate}, weight_decay={s.regularizationRate})",
           "adamw": f"gn.AdamW({s.learningRate}, weight_decay={s.regularizationRate})",
           "rmsprop": f"gn.RMSprop({s.learningRate}, weight_decay={s.regularizationRate})",
           }[s.optimizer]
    task = "regression" if k == 0 else "classification"
    epochs = max(1, session.epoch)
    return "\n".join([
        '"""Rerun a glassnet playground set-up: the same data, network and training."""',
        "import numpy as np",
        "",
        "import glassnet as gn",
        "from glassnet.playground.config import parse_settings",
        "from glassnet.playground.data import features, make_points",
        "",
        f"settings = parse_settings({s.to_dict()!r})",
        "points = make_points(settings)  # points added by clicking: use the CSV export",
        "names = settings.features",
        "(P, y), (P_test, y_test) = points.train, points.held_out",
        "X, X_test = features(P, names), features(P_test, names)",
        "",
        f"rng = np.random.default_rng({s.seed})",
        "net = gn.Network([",
        *_layer_lines(s),
        f"    gn.layers.Dense({n_out}, seed=rng),",
        f"], loss={s.loss!r}, task={task!r})",
        f"history = net.fit(X, y, optimizer={opt}, epochs={epochs}, "
        f"batch_size={s.batchSize},",
        f"                  validation_data=(X_test, y_test), seed={s.seed}, verbose=0)",
        "print(net.summary())",
        "print('test:', net.evaluate(X_test, y_test))",
        "",
    ])
