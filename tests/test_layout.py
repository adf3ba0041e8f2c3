"""The import direction the house style promises: the core never imports a facade or an edge."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# Each module (or package) and what it may import from glassnet, following the data flow:
# datasets -> maths -> layers/losses -> network -> training -> io/plots/cli; facades at the edge.
CORE = ["errors", "_validation", "_aligned", "_atomic", "_fused", "_progress", "functional",
        "initializers", "layers", "losses", "network", "optimizers", "training", "gradcheck",
        "models", "io"]
FACADES_AND_EDGES = {"classic", "blog", "sklearn", "cli", "plots", "export", "trace",
                     "playground", "distributed"}


def glassnet_imports(path: Path) -> set[str]:
    """Top-level glassnet modules a file imports (relative imports resolved)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb to the package, then take the first name
                parts = list(path.relative_to(PACKAGE).parts[:-1])
                up = node.level - 1
                base = parts[:len(parts) - up] if up else parts
                module = (node.module or "").split(".")
                chain = [p for p in base + module if p]
                if chain:
                    found.add(chain[0])
                elif node.names:
                    found.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == "glassnet":
                rest = node.module.split(".")[1:]
                found.add(rest[0] if rest else node.names[0].name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "glassnet" and len(parts) > 1:
                    found.add(parts[1])
    del depth
    return found


@pytest.mark.parametrize("module", CORE)
def test_the_core_never_imports_a_facade_or_an_edge(module):
    target = PACKAGE / module
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    for path in files:
        bad = glassnet_imports(path) & FACADES_AND_EDGES
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"
