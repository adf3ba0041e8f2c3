"""Tests of glassnet.datasets (a package, so its conftest does not shadow tests/conftest.py)."""
