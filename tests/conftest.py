"""Shared fixtures: where the real data sets live, and seeded generators."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$GLASSNET_SHARED_DATA`` or ``../shared/data`` beside the checkout."""
    return Path(os.environ.get("GLASSNET_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """The folder of real data sets; skips the test when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set GLASSNET_SHARED_DATA to its folder)")
    return path


def require_file(path: Path) -> Path:
    """Skip the calling test with a clear reason unless ``path`` exists."""
    if not path.is_file():
        pytest.skip(f"data file {path} is absent")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
