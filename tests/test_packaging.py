"""The wheel and the sdist, built offline from the files a clean clone would hold."""

from __future__ import annotations

import email
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import glassnet

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "glassnet"

pytestmark = pytest.mark.slow


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (it comes with the test extra: "
                    "pip install -e '.[test]')")


def _clean_copy(dest: Path) -> Path:
    """The files git would put in a clean clone (tracked and new, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.decode(errors='replace').strip()}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``(wheel, sdist)`` paths, built without network access or build isolation."""
    _require("build")
    _require("hatchling")
    source = _clean_copy(tmp_path_factory.mktemp("clone"))
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel",
                             "--sdist", "--outdir", str(out), str(source)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def _modules_in_source() -> set[str]:
    return {f"glassnet/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*.py")}


def test_wheel_holds_the_licence_the_type_marker_and_every_module(built):
    wheel, _ = built
    version = glassnet.__version__
    assert wheel.name == f"glassnet-{version}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"glassnet-{version}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    assert "glassnet/py.typed" in names
    missing = _modules_in_source() - names
    assert not missing, f"modules missing from the wheel: {sorted(missing)}"
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "docs/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    licence = zipfile.ZipFile(wheel).read(f"{info}/licenses/LICENSE").decode()
    assert licence == (REPO / "LICENSE").read_text()
    assert "MIT License" in licence and "The glassnet developers" in licence


def test_wheel_holds_the_playground_page(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    static = REPO / "src" / "glassnet" / "playground" / "static"
    files = {f"glassnet/playground/static/{p.name}" for p in static.iterdir()}
    assert {"glassnet/playground/static/index.html", "glassnet/playground/static/app.js"} <= files
    assert files <= names, f"page files missing from the wheel: {sorted(files - names)}"


def test_wheel_metadata_carries_the_version_licence_and_page(built):
    wheel, _ = built
    version = glassnet.__version__
    raw = zipfile.ZipFile(wheel).read(f"glassnet-{version}.dist-info/METADATA").decode()
    meta = email.message_from_string(raw)
    assert meta["Name"] == "glassnet" and meta["Version"] == version
    assert meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    assert meta["Description-Content-Type"] == "text/markdown"
    # the PyPI page is the README, whole
    assert meta.get_payload().strip() == (REPO / "README.md").read_text().strip()
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers and "Programming Language :: Python :: 3" in classifiers
    extras = set(meta.get_all("Provides-Extra"))
    assert {"onnx", "docs", "test"} <= extras
    entry_points = zipfile.ZipFile(wheel).read(
        f"glassnet-{version}.dist-info/entry_points.txt").decode()
    assert "glassnet = glassnet.cli:main" in entry_points


def test_sdist_holds_what_rebuilds_and_tests_the_package(built):
    _, sdist = built
    root = f"glassnet-{glassnet.__version__}"
    names = set(tarfile.open(sdist).getnames())
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "mkdocs.yml",
                     "src/glassnet/py.typed", "tests/conftest.py"):
        assert f"{root}/{required}" in names, required
    missing = {f"{root}/src/{m}" for m in _modules_in_source()} - names
    assert not missing, f"modules missing from the sdist: {sorted(missing)}"
    assert not [n for n in names if "__pycache__" in n or "/.venv/" in n]


def test_installed_wheel_runs_outside_the_checkout(built, tmp_path):
    wheel, _ = built
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(target), str(wheel)], check=True)
    code = ("import glassnet, pathlib; print(glassnet.__version__); "
            "print(pathlib.Path(glassnet.__file__).resolve())")
    env = {"PYTHONPATH": str(target), "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    version, location = result.stdout.split()
    assert version == glassnet.__version__
    assert Path(location).is_relative_to(target.resolve())
    cli = subprocess.run([sys.executable, "-m", "glassnet", "--version"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    assert cli.stdout.strip() == f"glassnet {glassnet.__version__}"


def test_twine_accepts_both_for_upload(built):
    """``twine check``: the metadata and the page render as PyPI will render them (offline)."""
    _require("twine")
    wheel, sdist = built
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel),
                             str(sdist)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2
