"""The playground's settings: names, defaults, ranges, and one validation.

The page keeps every setting in its URL. Where TensorFlow Playground has a
setting of the same meaning, the key is TensorFlow Playground's
(``dataset``, ``noise``, ``percTrainData``, ``networkShape``, ``activation``,
``learningRate``, ``batchSize``, ``regularizationRate``, ``seed``, the
feature keys ``x``, ``y``, ``xSquared``, ``ySquared``, ``xTimesY``, ``sinX``,
``sinY``, and ``problem`` / ``regDataset``), so its links open here with the
same set-up. Keys it does not have (``classes``, ``activations``,
``dropout``, ``batchNorm``, ``loss``, ``optimizer``, ``schedule``) are
glassnet's own. Unknown keys are refused with the list of known ones.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import GlassnetError

__all__ = ["DATASETS", "FEATURES", "Settings", "SettingsError", "parse_settings"]

#: the classification data sets (TensorFlow Playground's names first) and the regression ones
DATASETS = ("circle", "xor", "gauss", "spiral", "moons", "blobs")
REG_DATASETS = ("reg-plane", "reg-gauss")
#: input features as TensorFlow Playground names them, in the order the network sees them
FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "linear", "leaky_relu")
LOSSES = ("softmax_cross_entropy", "binary_cross_entropy", "sse", "mse")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "exponential", "cosine")
#: a network with more parameters than this trains, with a warning in the page
LARGE_NETWORK = 20_000
#: and one with more than this is refused (memory of one session stays bounded)
MAX_PARAMETERS = 2_000_000
MAX_POINTS = 5_000


class SettingsError(GlassnetError, ValueError):
    """A setting is unknown, malformed or out of range; the message says which and why."""


@dataclass
class Settings:
    """Every choice the page offers, with its default (a TensorFlow Playground-like start)."""

    problem: str = "classification"
    dataset: str = "circle"
    regDataset: str = "reg-plane"  # noqa: N815 - TensorFlow Playground's key
    classes: int = 2
    samples: int = 500
    noise: float = 10.0
    percTrainData: int = 50  # noqa: N815
    seed: int = 0
    features: tuple[str, ...] = ("x", "y")
    networkShape: tuple[int, ...] = (4, 2)  # noqa: N815
    activation: str = "tanh"
    activations: tuple[str, ...] = ()
    dropout: float = 0.0
    batchNorm: bool = False  # noqa: N815
    loss: str = "softmax_cross_entropy"
    optimizer: str = "sgd"
    learningRate: float = 0.03  # noqa: N815
    batchSize: int = 10  # noqa: N815
    regularizationRate: float = 0.0  # noqa: N815
    schedule: str = "constant"
    scheduleEpochs: int = 200  # noqa: N815

    def layer_activations(self) -> list[str]:
        """The activation of each hidden layer (``activations`` overrides ``activation``)."""
        return list(self.activations) or [self.activation] * len(self.networkShape)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (tuples as lists)."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    text = str(value)
    if text not in choices:
        raise SettingsError(f"{key}={text!r} is not known; choose one of {', '.join(choices)}")
    return text


def _number(value: Any, key: str, low: float, high: float, *, integer: bool = False) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise SettingsError(f"{key} must lie in {low:g}..{high:g}, got {value!r}")
    if integer:
        if number != int(number):
            raise SettingsError(f"{key} must be a whole number, got {value!r}")
        return int(number)
    return number


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise SettingsError(f"{key} must be true or false, got {value!r}")


def _list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    text = str(value).strip()
    return [] if not text else [s.strip() for s in text.split(",")]


def _shape(value: Any) -> tuple[int, ...]:
    parts = _list(value)
    sizes = tuple(_number(p, "networkShape", 1, 4096, integer=True) for p in parts)
    if len(sizes) > 64:
        raise SettingsError(f"networkShape has {len(sizes)} hidden layers; at most 64")
    return sizes


_SCALARS: dict[str, tuple[float, float, bool]] = {
    "classes": (2, 10, True), "samples": (4, MAX_POINTS, True), "noise": (0, 50, False),
    "percTrainData": (10, 90, True), "dropout": (0, 0.95, False),
    "learningRate": (1e-6, 10, False), "batchSize": (1, MAX_POINTS, True),
    "regularizationRate": (0, 10, False), "scheduleEpochs": (1, 100_000, True),
}
_CHOICES = {"problem": ("classification", "regression"), "dataset": DATASETS,
            "regDataset": REG_DATASETS, "activation": ACTIVATION_NAMES, "loss": LOSSES,
            "optimizer": OPTIMIZERS, "schedule": SCHEDULES}
#: TensorFlow Playground keys accepted and ignored: they change only its display
_DISPLAY_ONLY = {"showTestData", "discretize", "collectStats", "hideText", "token", "tab",
                 "warp"}
#: TensorFlow Playground keys glassnet accepts only when off
_OFF_ONLY = {"cosX": "the cos x and cos y features are not offered; use sinX and sinY",
             "cosY": "the cos x and cos y features are not offered; use sinX and sinY",
             "initZero": "zero initial weights are not offered (every unit would learn the "
                         "same thing); remove initZero"}


def _seed(value: Any) -> int:
    """TensorFlow Playground's seeds are decimals like 0.59; glassnet's are integers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"seed must be a number, got {value!r}") from None
    if 0 < number < 1:  # a TensorFlow Playground seed: keep its digits
        return int(round(number * 1e6))
    return int(_number(value, "seed", 0, 2**32 - 1, integer=True))


def parse_settings(values: dict[str, Any], base: Settings | None = None) -> Settings:
    """Settings from a mapping of keys to values (JSON values or URL strings).

    Parameters
    ----------
    values : the keys to set; the others keep ``base``'s values (or the defaults)
    base : the settings to start from

    Raises
    ------
    SettingsError
        An unknown key, a malformed value or one out of range; the message
        names the key, the allowed values and what came.
    """
    if not isinstance(values, dict):
        raise SettingsError(f"settings must be a JSON object, got {type(values).__name__}")
    s = Settings(**{k: v for k, v in asdict(base).items()}) if base else Settings()
    feature_keys = {k: v for k, v in values.items() if k in FEATURES}
    for key, value in values.items():
        if key in FEATURES or key in _DISPLAY_ONLY:
            if key not in ("token", "tab", "warp"):  # the display flags: true or false
                _flag(value, key)
            continue
        if key in _OFF_ONLY:
            if _flag(value, key):
                raise SettingsError(f"{key}={value}: {_OFF_ONLY[key]}")
            continue
        if key in _SCALARS:
            low, high, integer = _SCALARS[key]
            setattr(s, key, _number(value, key, low, high, integer=integer))
        elif key in _CHOICES:
            setattr(s, key, _choice(value, _CHOICES[key], key))
        elif key == "seed":
            s.seed = _seed(value)
        elif key == "networkShape":
            s.networkShape = _shape(value)
        elif key == "activations":
            s.activations = tuple(_choice(a, ACTIVATION_NAMES, "activations")
                                  for a in _list(value))
        elif key == "batchNorm":
            s.batchNorm = _flag(value, key)
        elif key == "features":
            s.features = tuple(_choice(f, FEATURES, "features") for f in _list(value))
        elif key == "regularization":
            if str(value) not in ("L2", "", "null", "None"):
                raise SettingsError(f"regularization={value!r} is not available; glassnet "
                                    "offers L2 (weight decay) only: regularization=L2")
        else:
            known = sorted([*_SCALARS, *_CHOICES, "seed", "networkShape", "activations",
                            "batchNorm", "features", "regularization", *FEATURES])
            raise SettingsError(f"unknown setting {key!r}; known settings: {', '.join(known)}")
    if feature_keys:
        chosen = {f for f in s.features if f not in feature_keys}
        chosen |= {f for f, v in feature_keys.items() if _flag(v, f)}
        s.features = tuple(f for f in FEATURES if f in chosen)
    _check_together(s)
    return s


def _check_together(s: Settings) -> None:
    if not s.features:
        raise SettingsError("no input feature is selected; select at least one, e.g. x and y")
    if s.activations and len(s.activations) != len(s.networkShape):
        raise SettingsError(f"activations lists {len(s.activations)} activations for "
                            f"{len(s.networkShape)} hidden layers (networkShape="
                            f"{','.join(map(str, s.networkShape))}); give one per layer")
    regression = s.problem == "regression"
    if regression and s.loss not in ("sse", "mse"):
        raise SettingsError(f"loss={s.loss} needs classes; a regression trains with sse or mse")
    if s.loss == "binary_cross_entropy" and n_classes(s) != 2:
        raise SettingsError(f"binary_cross_entropy separates 2 classes, the data has "
                            f"{n_classes(s)}; use softmax_cross_entropy")


def n_classes(s: Settings) -> int:
    """Classes of the chosen data set (0 for a regression)."""
    if s.problem == "regression":
        return 0
    return s.classes if s.dataset in ("blobs", "spiral") else 2
