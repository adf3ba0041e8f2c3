"""Every ``pip install`` line of the README and the docs, tried from this checkout.

    python .ci/install_lines.py            # list them, check them, dry-run each in a new venv
    python .ci/install_lines.py --list     # only list and check them (no network)

The check (also run by tests/test_install_lines.py): every extra named
exists in pyproject.toml, and a line that installs glassnet from PyPI says
nearby that it is for after publication. The dry run installs each line's
requirements into a fresh virtual environment with ``pip install --dry-run``,
PyPI's ``glassnet[...]`` read as this checkout's ``.[...]`` (the package is
not published yet), each bounded to ``LIMIT`` seconds.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 300  # seconds per line
BUDGET = 900  # seconds for all of them (9 lines took 11 minutes on a busy shared machine)
AFTER_PUBLICATION = re.compile(r"published|publication", re.IGNORECASE)
_PIP = re.compile(r"pip install ([^`\n&|#]+)")


def sources(root: Path = ROOT) -> list[Path]:
    """The files a user reads: the README and the documentation's Markdown pages."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def install_lines(root: Path = ROOT) -> list[tuple[str, int, list[str], str]]:
    """``(file, line number, requirements, the text around it)`` for every ``pip install``.

    Commands are read from fenced code blocks line by line, and from inline
    code spans in the prose, which may run over a line break.
    """
    found = []
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        commands: list[tuple[int, str]] = []  # (offset, command text)
        fenced = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
        for block in fenced.finditer(text):
            offset = block.start(1)
            for line in block.group(1).splitlines(keepends=True):
                commands.append((offset, line))
                offset += len(line)
        prose = fenced.sub(lambda m: " " * len(m.group(0)), text)  # offsets kept
        for span in re.finditer(r"`([^`]+)`", prose):
            commands.append((span.start(1), span.group(1).replace("\n", " ")))
        for offset, command in commands:
            for match in _PIP.finditer(command):
                requirements = [w for w in shlex.split(match.group(1)) if w != "-e"]
                number = text.count("\n", 0, offset) + 1
                lines = text.splitlines()
                context = "\n".join(lines[max(0, number - 5): number + 1])
                found.append((str(path.relative_to(root)), number, requirements, context))
    return sorted(found, key=lambda item: (item[0], item[1]))


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the install lines: unknown extras, PyPI lines not marked."""
    extras = set(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
                 ["project"]["optional-dependencies"])
    bad = []
    for file, number, requirements, context in install_lines(root):
        for requirement in requirements:
            name, _, rest = requirement.partition("[")
            named = set(rest.rstrip("]").split(",")) - {""} if rest else set()
            if name in (".", "glassnet") and named - extras:
                bad.append(f"{file}:{number}: unknown extra {sorted(named - extras)}")
            if name == "glassnet" and not AFTER_PUBLICATION.search(context):
                bad.append(f"{file}:{number}: `pip install {requirement}` installs from PyPI "
                           "but the text does not say it is for after publication")
    return bad


def local(requirements: list[str]) -> tuple[str, ...]:
    """PyPI's ``glassnet[...]`` as this checkout's ``.[...]`` (not published yet)."""
    return tuple(re.sub(r"^glassnet(?=\[|$)", ".", r) for r in requirements)


def dry_run(requirements: tuple[str, ...], python: Path) -> subprocess.CompletedProcess[str]:
    # the checkout's metadata is built with the hatchling installed once, not per line
    return subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--quiet",
                           "--no-build-isolation", *requirements],
                          cwd=ROOT, capture_output=True, text=True, timeout=LIMIT, check=False)


def main(argv: list[str]) -> int:
    lines = install_lines()
    for file, number, requirements, _ in lines:
        print(f"{file}:{number}: pip install {' '.join(requirements)}")
    bad = problems()
    for message in bad:
        print(f"error: {message}", file=sys.stderr)
    if bad or "--list" in argv:
        return 1 if bad else 0
    with tempfile.TemporaryDirectory() as folder:
        venv.create(folder, with_pip=True)
        python = Path(folder) / "bin" / "python"
        build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
            "build-system"]["requires"]
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *build], check=True,
                       timeout=LIMIT)
        failed = 0
        start = time.monotonic()
        for requirements in sorted({local(req) for _, _, req, _ in lines}):
            where = [f"{f}:{n}" for f, n, req, _ in lines if local(req) == requirements]
            if time.monotonic() - start > BUDGET:
                failed += 1
                print(f"FAILED: not run, the {BUDGET} s budget is spent: pip install "
                      f"{' '.join(requirements)}   ({', '.join(where)})")
                continue
            began = time.monotonic()
            result = dry_run(requirements, python)
            status = "ok" if result.returncode == 0 else "FAILED"
            print(f"{status} ({time.monotonic() - began:.0f} s): pip install --dry-run "
                  f"{' '.join(requirements)}   ({', '.join(where)})", flush=True)
            if result.returncode:
                failed += 1
                print(result.stderr[-2000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
