"""The short hostile-file run: every crafted attack plus seeded mutations, under a minute.

The long run is ``PYTHONPATH=src python tests/hostile/run.py --minutes N``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402


def test_short_run_has_no_failure(capsys):
    cases = run.build_cases(seed=20261130, n_mutations=120)
    results, rss = run.run_batch(cases, loader=None)
    assert len(results) == len(cases)
    failures = [f"[{r['target']}] {r['name']}: {why}" for r in results if (why := run.verdict(r))]
    assert failures == []
    # The crafted attacks really were refused, not skipped.
    crafted = [r for r in results if "/" in r["name"] and r["must_refuse"]]
    assert crafted and all(r["outcome"] == "refused" for r in crafted)
    assert any(r["outcome"] == "loaded" for r in results)  # good files still load


@pytest.mark.parametrize("target", ["model", "idx", "csv"])
def test_every_crafted_attack_of_a_kind_is_present(target):
    import hostile_corpus

    names = [name for name, _, _ in hostile_corpus.CRAFTED[target]()]
    assert len(names) == len(set(names)) >= 10


@pytest.mark.slow
def test_every_single_bit_flip_of_a_small_model_is_refused_or_harmless():
    """Every bit of a small model written by glassnet.io.save flipped in turn: each file is
    refused with glassnet's error naming it, or loads with identical predictions."""
    cases = run.bit_flip_cases()
    results, _ = run.run_batch(cases, loader=None)
    assert len(results) == len(cases) == 8 * len(cases[0][2])
    failures = [f"{r['name']}: {why}" for r in results if (why := run.verdict(r))]
    assert failures == []
    refused = sum(r["outcome"] == "refused" for r in results)
    assert refused > 0.9 * len(results)  # the few harmless ones: the header's padding
