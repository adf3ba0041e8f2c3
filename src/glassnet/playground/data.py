"""The playground's points: generated data sets, clicked points, CSV uploads, feature crosses.

Points live in the plane as ``P`` of shape (n, 2); the network sees
``features(P)`` of shape (n, n_features), the crosses TensorFlow Playground
offers (x, y, x², y², xy, sin x, sin y).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..datasets import make_blobs, make_circles, make_moons, make_spirals, make_xor
from .config import MAX_POINTS, Settings, SettingsError, n_classes

__all__ = ["Points", "features", "make_points", "parse_csv"]

#: largest CSV upload accepted, in bytes
MAX_CSV_BYTES = 256 * 1024


@dataclass
class Points:
    """The data of one session: points ``P`` (n, 2), labels or targets ``y`` (n,), test mask."""

    P: NDArray[np.float64]
    y: NDArray
    test: NDArray[np.bool_]
    n_classes: int  # 0 for a regression
    domain: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of the views
    version: int = 0  # counts the edits (added or removed points)

    @property
    def train(self) -> tuple[NDArray, NDArray]:
        return self.P[~self.test], self.y[~self.test]

    @property
    def held_out(self) -> tuple[NDArray, NDArray]:
        return self.P[self.test], self.y[self.test]

    def add(self, x: float, y: float, label: float) -> None:
        """Add a training point (``label`` a class id, or a target for a regression)."""
        if len(self.P) >= MAX_POINTS:
            raise SettingsError(f"the data already holds {MAX_POINTS} points, the most a "
                                "session keeps; remove some or regenerate the data")
        if self.n_classes:
            if label != int(label) or not 0 <= label < self.n_classes:
                raise SettingsError(f"label must be a class 0..{self.n_classes - 1}, "
                                    f"got {label!r}")
            label = int(label)
        self.P = np.vstack([self.P, [[x, y]]])
        self.y = np.append(self.y, np.asarray([label], dtype=self.y.dtype))
        self.test = np.append(self.test, False)
        self.version += 1

    def remove_near(self, x: float, y: float, radius: float) -> int:
        """Remove the point nearest ``(x, y)`` if it lies within ``radius``; returns how many."""
        if not len(self.P):
            return 0
        d = np.hypot(self.P[:, 0] - x, self.P[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] > radius:
            return 0
        keep = np.arange(len(self.P)) != i
        self.P, self.y, self.test = self.P[keep], self.y[keep], self.test[keep]
        self.version += 1
        return 1

    def to_csv(self) -> str:
        """``x,y,label,split`` per line, with a header."""
        lines = ["x,y,label,split"]
        for (a, b), t, is_test in zip(self.P, self.y, self.test, strict=True):
            lines.append(f"{a:.6g},{b:.6g},{t if self.n_classes else f'{t:.6g}'},"
                         f"{'test' if is_test else 'train'}")
        return "\n".join(lines) + "\n"


def features(P: NDArray, names: tuple[str, ...]) -> NDArray[np.float32]:
    """The network's inputs for points ``P`` (n, 2): one column per feature name."""
    x, y = P[:, 0], P[:, 1]
    table = {"x": x, "y": y, "xSquared": x * x, "ySquared": y * y, "xTimesY": x * y,
             "sinX": np.sin(x), "sinY": np.sin(y)}
    return np.stack([table[n] for n in names], axis=1).astype(np.float32)


def _classification(s: Settings, n: int, rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    noise = s.noise / 100.0
    seed = int(rng.integers(2**31))
    if s.dataset == "circle":
        P, y = make_circles(n, noise=noise, factor=0.5, seed=seed)
        return 1.6 * P, y
    if s.dataset == "xor":
        return make_xor(n, noise=2 * noise, seed=seed)
    if s.dataset == "moons":
        P, y = make_moons(n, noise=noise, seed=seed)
        return P - np.array([0.5, 0.25], dtype=P.dtype), y
    if s.dataset == "spiral":
        P, y = make_spirals(n, n_arms=s.classes, noise=noise, seed=seed)
        return P / max(1e-9, float(np.abs(P).max())) * 1.6, y
    k = 2 if s.dataset == "gauss" else s.classes
    angles = 2 * np.pi * np.arange(k) / k + 0.25
    centers = 1.2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return make_blobs(n, centers=centers, cluster_std=0.15 + 2 * noise, seed=seed)


def _regression(s: Settings, n: int, rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    P = rng.uniform(-1.6, 1.6, size=(n, 2))
    if s.regDataset == "reg-plane":
        t = (P[:, 0] + P[:, 1]) / 3.2
    else:  # two bumps of opposite sign
        t = (np.exp(-((P[:, 0] - 0.7) ** 2 + (P[:, 1] - 0.7) ** 2) / 0.5)
             - np.exp(-((P[:, 0] + 0.7) ** 2 + (P[:, 1] + 0.7) ** 2) / 0.5))
    return P, t + rng.normal(0, s.noise / 100.0, size=n)


def make_points(s: Settings) -> Points:
    """Generate the data set ``s`` asks for and split it into train and test (seeded)."""
    rng = np.random.default_rng(s.seed)
    if s.problem == "regression":
        P, y = _regression(s, s.samples, rng)
        y = y.astype(np.float32)
    else:
        P, y = _classification(s, s.samples, rng)
    return _split(np.asarray(P, dtype=np.float64), y, s, n_classes(s), rng)


def _split(P: NDArray, y: NDArray, s: Settings, k: int, rng: np.random.Generator) -> Points:
    order = rng.permutation(len(P))
    test = np.zeros(len(P), dtype=bool)
    test[order[int(round(len(P) * s.percTrainData / 100.0)):]] = True
    return Points(P, y, test, k, _domain(P))


def _domain(P: NDArray) -> tuple[float, float, float, float]:
    """A square view holding every point with a margin, at least [-2, 2]²."""
    half = max(2.0, float(np.abs(P).max()) * 1.1) if len(P) else 2.0
    return (-half, half, -half, half)


def parse_csv(data: bytes, s: Settings) -> Points:
    """Points from an uploaded CSV file: lines ``x,y,label`` (a header line is allowed).

    Raises
    ------
    SettingsError
        The upload is too large, not text, has a malformed line (its number
        is given), too few or too many points, or labels that are not 0..K-1
        for a classification.
    """
    if len(data) > MAX_CSV_BYTES:
        raise SettingsError(f"the CSV file has {len(data)} bytes; at most {MAX_CSV_BYTES} "
                            "are accepted (keep it under 5000 points)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError("the CSV file is not UTF-8 text; save it as plain text") from None
    rows = []
    for number, line in enumerate(io.StringIO(text), start=1):
        line = line.strip()
        if not line or (number == 1 and not line[:1].lstrip("+-").replace(".", "").isdigit()):
            continue  # blank, or a header
        parts = line.split(",")
        try:
            if len(parts) < 3:
                raise ValueError
            rows.append([float(parts[0]), float(parts[1]), float(parts[2])])
        except ValueError:
            raise SettingsError(f"CSV line {number}: expected 'x,y,label' with numbers, got "
                                f"{line[:60]!r}") from None
    if not 4 <= len(rows) <= MAX_POINTS:
        raise SettingsError(f"the CSV file has {len(rows)} points; give 4 to {MAX_POINTS}")
    arr = np.asarray(rows)
    if not np.isfinite(arr).all():
        raise SettingsError("the CSV file holds NaN or infinite values; remove those lines")
    P, t = arr[:, :2], arr[:, 2]
    if s.problem == "regression":
        return _split(P, t.astype(np.float32), s, 0, np.random.default_rng(s.seed))
    labels = t.astype(np.int64)
    k = int(labels.max()) + 1
    if (labels != t).any() or labels.min() < 0 or not 2 <= k <= 10:
        raise SettingsError("the CSV labels must be class numbers 0..K-1 with 2 <= K <= 10 "
                            "(or choose the regression problem for real-valued targets)")
    return _split(P, labels, s, k, np.random.default_rng(s.seed))
