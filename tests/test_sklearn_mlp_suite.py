"""scikit-learn's own MLP test module, run against glassnet.sklearn's estimators.

The module is read at test time from the INSTALLED scikit-learn
(``sklearn/neural_network/tests/test_mlp.py``), its one import line of the
estimators rewritten to ``glassnet.sklearn``, nothing else changed, and its
tests collected here. A scikit-learn wheel without its tests skips them with
the reason. ``global_random_seed`` is scikit-learn's own fixture (its
conftest's default seed, 42), provided here since its conftest is not ours.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

ORIGINAL = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
REPLACEMENT = "from glassnet.sklearn import MLPClassifier, MLPRegressor"


def _suite_path() -> Path | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "neural_network" / "tests" / "test_mlp.py"
    return path if path.is_file() else None


def _load_suite(path: Path) -> types.ModuleType:
    source = path.read_text()
    if source.count(ORIGINAL) != 1:
        raise RuntimeError(f"{path} no longer imports the estimators with the line "
                           f"{ORIGINAL!r}; update ORIGINAL in {__file__}")
    module = types.ModuleType("sklearn_test_mlp_on_glassnet")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    exec(compile(source.replace(ORIGINAL, REPLACEMENT), str(path), "exec"), module.__dict__)
    return module


PATH = _suite_path() if importlib.util.find_spec("sklearn") else None

if PATH is None:
    def test_scikit_learn_mlp_suite_is_absent():
        """Skipped: the installed scikit-learn ships no tests (or is not installed)."""
        pytest.skip("the installed scikit-learn has no sklearn/neural_network/tests/test_mlp.py "
                    "(its wheel ships no tests, or the 'sklearn' extra is absent)")
else:
    SUITE = _load_suite(PATH)
    assert SUITE.MLPClassifier.__module__.startswith("glassnet.sklearn")
    for _name, _value in vars(SUITE).items():
        if _name.startswith("test_") and callable(_value):
            globals()[_name] = _value

    @pytest.fixture
    def global_random_seed():
        """scikit-learn's fixture, at its default seed."""
        return 42
