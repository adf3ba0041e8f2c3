"""Every public module, class and function has a docstring (the API reference is built from them).

mkdocstrings renders a missing docstring as an empty entry without a
warning, so this test is what makes a missing one fail the build.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import glassnet


def public_modules() -> list[str]:
    """``glassnet`` and every submodule whose dotted path has no ``_``-prefixed part."""
    names = ["glassnet"]
    for info in pkgutil.walk_packages(glassnet.__path__, "glassnet."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def public_objects(module: ModuleType) -> list[tuple[str, object]]:
    """The classes and functions a module offers: its ``__all__``, or what it defines."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__]
    objects = [(n, getattr(module, n)) for n in names]
    return [(n, obj) for n, obj in objects if inspect.isclass(obj) or inspect.isfunction(obj)]


def undocumented(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    missing = [] if inspect.getdoc(module) else [f"{module_name} (module)"]
    for name, obj in public_objects(module):
        if not inspect.getdoc(obj):
            missing.append(f"{module_name}.{name}")
    return missing


def skip_optional(module_name: str) -> None:
    try:
        importlib.import_module(module_name)
    except ImportError as exc:  # a facade whose optional dependency is absent
        pytest.skip(f"{module_name} needs an optional package: {exc}")


@pytest.mark.parametrize("module_name", public_modules())
def test_public_names_have_docstrings(module_name):
    skip_optional(module_name)
    try:
        missing = undocumented(module_name)
    except ImportError as exc:  # a name imported lazily from an optional package
        pytest.skip(f"{module_name} offers a name that needs an optional package: {exc}")
    assert not missing, ("add a numpy-style docstring (what it is, shapes, formula) to: "
                         + ", ".join(missing))


def test_the_walk_sees_the_public_api():
    modules = public_modules()
    assert {"glassnet.network", "glassnet.layers", "glassnet.export"} <= set(modules)
    assert not [m for m in modules if "._" in m]
    names = dict(public_objects(glassnet))
    assert names["Network"] is glassnet.Network and names["mlp"] is glassnet.mlp


def test_an_undocumented_function_is_caught(monkeypatch):
    module = ModuleType("glassnet_fake", "A module with a docstring.")

    def no_docstring():
        return None

    module.__all__ = ["no_docstring"]
    module.no_docstring = no_docstring
    monkeypatch.setitem(__import__("sys").modules, "glassnet_fake", module)
    assert undocumented("glassnet_fake") == ["glassnet_fake.no_docstring"]
