"""Every docstring example in the package runs and prints what it shows."""

import doctest
import importlib
import importlib.util
import pkgutil

import numpy as np
import pytest

import glassnet

# the imports of glassnet's optional extras
OPTIONAL = {"matplotlib", "PIL", "sklearn", "onnx", "onnxruntime", "tqdm", "numba", "scipy"}


def modules_with_examples():
    finder = doctest.DocTestFinder()
    for info in pkgutil.walk_packages(glassnet.__path__, "glassnet."):
        if info.name.endswith("__main__"):
            continue
        if info.name == "glassnet.sklearn" and importlib.util.find_spec("sklearn") is None:
            continue  # an optional extra; tests/test_sklearn.py says it is skipped
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if exc.name in OPTIONAL:  # a module that needs an extra, absent here
                continue
            raise
        if any(test.examples for test in finder.find(module)):
            yield info.name


MODULES = sorted(modules_with_examples())


def test_the_package_has_examples():
    assert {"glassnet.network", "glassnet.models", "glassnet.io"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith("glassnet.plots"):
        pytest.importorskip("matplotlib", reason="the plots' examples need the 'plot' extra")
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
