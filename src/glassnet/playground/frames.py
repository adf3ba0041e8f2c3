"""What the page draws, computed from the network by the engine itself.

A frame is a JSON object: the decision boundary on a grid (``predict_proba``
of the grid points, as bytes), a thumbnail per neuron (its output over the
plane), the weights, the numbers at a probe point (for the hover formula
``z = Σ w·a + b``), the curves, the health warnings, and the hidden-layer
warp view. The grid points are ``grid_points(domain, n)``: row ``r`` has
``y = ymax - r * (ymax - ymin) / (n - 1)`` (the picture's top row first),
column ``c`` has ``x = xmin + c * (xmax - xmin) / (n - 1)``.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..layers import Dense, Dropout
from ..network import Network
from .data import Points, features

__all__ = ["GRID", "THUMB", "boundary", "floats", "grid_points", "groups", "neuron_frame",
           "warp_view"]

GRID = 100   # side of the boundary grid
THUMB = 24   # side of a neuron's thumbnail
SHOWN = 32   # neurons drawn per layer (thumbnails, links)


def _b64(array: NDArray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def floats(values: Any) -> str:
    """Numbers as base64 of little-endian float32 (NaN where a value is missing)."""
    return _b64(np.asarray(values, dtype="<f4"))


def grid_points(domain: tuple[float, float, float, float], n: int) -> NDArray[np.float64]:
    """The (n*n, 2) points of the view's grid, row by row from the top."""
    xmin, xmax, ymin, ymax = domain
    xs = np.linspace(xmin, xmax, n)
    ys = np.linspace(ymax, ymin, n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def boundary(net: Network, points: Points, names: tuple[str, ...], n: int = GRID
             ) -> dict[str, Any]:
    """``predict_proba`` (classes) or ``predict`` (regression) over the grid.

    Returns ``{"n", "kind", "columns", "data"}``: for classes, ``data`` is
    base64 of uint8 ``round(255 * p)`` of shape (n, n, columns); for a
    regression, base64 of float32 values (n, n) with ``"low"`` and ``"high"``.
    """
    X = features(grid_points(points.domain, n), names)
    if points.n_classes:
        proba = net.predict_proba(X, batch_size=n * n)
        q = np.rint(np.clip(proba, 0, 1) * 255).astype(np.uint8)
        return {"n": n, "kind": "classes", "columns": int(proba.shape[1]), "data": _b64(q)}
    values = net.predict(X, batch_size=n * n).reshape(-1).astype(np.float32)
    return {"n": n, "kind": "regression", "columns": 1, "data": _b64(values),
            "low": float(values.min()), "high": float(values.max())}


def groups(net: Network) -> list[tuple[Dense, list[Any]]]:
    """Each Dense layer with the layers after it up to the next Dense (BatchNorm, activation)."""
    out: list[tuple[Dense, list[Any]]] = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            out.append((layer, []))
        elif out:
            out[-1][1].append(layer)
    return out


def _forward_groups(net: Network, X: NDArray) -> list[tuple[NDArray, NDArray]]:
    """Per Dense: its output ``z`` and its group's output ``a`` (inference mode)."""
    result = []
    a = X.astype(net.dtype)
    for dense, rest in groups(net):
        z = dense.forward(a, training=False)
        a = z
        for layer in rest:
            if not isinstance(layer, Dropout):  # the identity at inference
                a = layer.forward(a, training=False)
        result.append((z, a))
    return result


def _thumb(values: NDArray) -> dict[str, Any]:
    scale = float(np.abs(values).max())
    scale = scale if scale > 0 and np.isfinite(scale) else 1.0
    q = np.rint(np.clip(values / scale, -1, 1) * 127).astype(np.int8)
    return {"scale": scale, "data": _b64(q)}


def neuron_frame(net: Network, points: Points, names: tuple[str, ...],
                 probe: NDArray) -> dict[str, Any]:
    """Thumbnails of every drawn neuron, the weights, and the numbers at ``probe`` (2,)."""
    Xg = features(grid_points(points.domain, THUMB), names)
    per_group = _forward_groups(net, Xg)
    xp = features(probe.reshape(1, 2), names)
    at_probe = _forward_groups(net, xp)
    layers = [{"thumbs": [_thumb(Xg[:, j]) for j in range(min(SHOWN, Xg.shape[1]))],
               "a": [float(v) for v in xp[0, :SHOWN]], "units": Xg.shape[1]}]
    for (dense, rest), (_, a), (zp, ap) in zip(groups(net), per_group, at_probe, strict=True):
        W = dense.params["W"][:SHOWN, :SHOWN]
        b = dense.params["b"][:SHOWN] if "b" in dense.params else np.zeros(W.shape[1])
        layers.append({
            "thumbs": [_thumb(a[:, j]) for j in range(min(SHOWN, a.shape[1]))],
            "W": np.round(W.astype(np.float64), 5).tolist(),
            "b": np.round(b.astype(np.float64), 5).tolist(),
            "z": [float(v) for v in zp[0, :SHOWN]], "a": [float(v) for v in ap[0, :SHOWN]],
            "units": int(a.shape[1]),
            "after": [type(layer).__name__ for layer in rest],
        })
    return {"thumb": THUMB, "layers": layers, "probe": [float(probe[0]), float(probe[1])]}


def warp_view(net: Network, points: Points, names: tuple[str, ...], layer: int,
              lines: int = 11, per_line: int = 41) -> dict[str, Any] | None:
    """The data and a grid of lines as hidden layer ``layer`` (0-based) sees them.

    A layer of 2 units is drawn as it is; a wider one through the first two
    principal directions of its outputs on the data (a layer of 1 against 0).
    """
    hidden = len(groups(net)) - 1
    if not 0 <= layer < hidden or not len(points.P):
        return None
    xmin, xmax, ymin, ymax = points.domain
    t = np.linspace(0, 1, per_line)
    segs = []
    for v in np.linspace(0, 1, lines):
        segs.append(np.stack([xmin + t * (xmax - xmin), np.full_like(t, ymin + v * (ymax - ymin))],
                             axis=1))
        segs.append(np.stack([np.full_like(t, xmin + v * (xmax - xmin)), ymin + t * (ymax - ymin)],
                             axis=1))
    sample = points.P[:1000]
    data_a = _forward_groups(net, features(sample, names))[layer][1].astype(np.float64)
    line_a = _forward_groups(net, features(np.concatenate(segs), names))[layer][1]
    line_a = line_a.astype(np.float64)
    width = data_a.shape[1]
    if width == 1:
        project = lambda a: np.concatenate([a, np.zeros_like(a)], axis=1)  # noqa: E731
        how = "1 unit (drawn against 0)"
    elif width == 2:
        project = lambda a: a  # noqa: E731
        how = "2 units"
    else:
        mean = data_a.mean(axis=0)
        _, _, vt = np.linalg.svd(data_a - mean, full_matrices=False)
        project = lambda a: (a - mean) @ vt[:2].T  # noqa: E731
        how = f"{width} units, first 2 principal directions"
    # float32 bytes: JSON lists of a thousand points cost more than the whole picture
    return {"layer": layer, "how": how, "points": floats(project(data_a)),
            "labels": floats(points.y[:1000]), "lines": floats(project(line_a)),
            "nLines": 2 * lines, "perLine": per_line}
