"""The import direction the house style promises: the core never imports a facade or an edge."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# Each module (or package) and what it may import from glassnet, following the data flow:
# datasets -> maths -> layers/losses -> network -> training -> io/plots/cli; facades at the edge.
CORE = ["errors", "_validation", "_aligned", "_atomic", "_fused", "_progress", "functional",
        "initializers", "layers", "losses", "network", "optimizers", "training", "gradcheck",
        "models", "io", "testing", "_contract", "_contract_layer", "_contract_loss",
        "_named_arrays", "_scores", "_targets", "_sample_weights"]
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


def imports_by_function(path: Path, package: str) -> dict[str, list[str]]:
    """For each function of ``path`` (``"<module>"`` for the top level), what it imports
    from ``glassnet.<package>`` (relative imports resolved one level up)."""
    tree = ast.parse(path.read_text())
    found: dict[str, list[str]] = {}

    def visit(node: ast.AST, owner: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
            elif isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if (child.level == 1 and module.split(".")[0] == package) \
                        or module.startswith(f"glassnet.{package}"):
                    found.setdefault(owner, []).append(module)
            else:
                visit(child, owner)

    visit(tree, "<module>")
    return found


def test_the_network_is_free_of_training_internals():
    """network.py knows layers and losses; training builds on it, not the other way round.

    Only ``Network.fit``, ``train_on_batch`` and ``partial_fit`` reach training, to delegate to its
    public entry points (imported when called, so importing the network loads no training).
    """
    found = imports_by_function(PACKAGE / "network.py", "training")
    typing_only = {"training.history", "training.state"}  # names in annotations
    allowed = {name: {"training.loop"} for name in ("fit", "train_on_batch", "partial_fit")}
    for owner, modules in found.items():
        if owner == "<module>":
            assert set(modules) <= typing_only, f"network.py imports {modules} at the top"
        else:
            assert set(modules) <= allowed.get(owner, set()), \
                f"network.py's {owner} imports {modules} from training"


@pytest.mark.parametrize("module", ["layers", "losses", "optimizers"])
def test_layers_losses_and_optimizers_never_import_the_network_or_training(module):
    target = PACKAGE / module
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    for path in files:
        bad = glassnet_imports(path) & {"network", "training", "io"}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"
