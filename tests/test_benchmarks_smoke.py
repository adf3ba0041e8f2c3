"""Smoke test of the benchmark harness (benchmarks/) on a few hundred samples.

Runs glassnet only, in process, so it needs neither PyTorch nor scikit-learn;
the full comparison is ``python -m benchmarks``.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import book_reference, report, spec, suite, summary
from benchmarks.runners import run_classic


def test_flop_count_matches_the_formula_worked_by_hand():
    per_sample = 2 * (784 * 256 + 256 * 128 + 128 * 10) * 2 + 2 * (256 * 128 + 128 * 10)
    assert per_sample == 1_007_104
    assert spec.train_step_flops(128) == 128 * per_sample


def test_classic_facade_and_book_reference_agree_after_the_same_samples():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, size=40)
    result = run_classic.run({"n_samples": 40, "chunks": 2, "seed": 0}, pixels, labels)
    assert result["weights_allclose_1e-10"], result["max_abs_weight_diff"]
    assert result["max_abs_weight_diff"] < 1e-10


def test_book_reference_moves_the_output_towards_the_target():
    net = book_reference.neuralNetwork(4, 3, 2, 0.5, rng=0)
    x, t = [0.2, 0.9, 0.1, 0.5], [0.99, 0.01]
    before = np.abs(np.asarray(t)[:, None] - net.query(x)).sum()
    for _ in range(20):
        net.train(x, t)
    assert np.abs(np.asarray(t)[:, None] - net.query(x)).sum() < before


@pytest.mark.data
def test_glassnet_run_summary_and_report_on_a_small_subset(shared_data):
    from benchmarks import worker

    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    task = dict(suite.TASKS["glassnet-b128"], name="glassnet-b128", seed=0, threads=2,
                data_dir=str(folder), epochs=2, n_train=512, n_test=256, latency_calls=5,
                batch_latency_calls=1, ceiling_chunks=1, ceiling_seconds=0.05)
    run = dict(worker.train_task(task), task="glassnet-b128", repeat=0)
    assert len(run["epochs"]) == 2
    assert run["input_dtype"] == "float32"
    summaries, problems = summary.summarise([run])
    assert not problems
    s = summaries["glassnet-b128"]
    assert s["samples_per_s"]["median"] > 0 and s["timed_epochs"] == 1
    doc = {"finished": "now", "settings": {"quick": True, "threads": 2, "epochs": 2,
                                           "repeats": 1, "sklearn_epochs": 2,
                                           "sklearn_repeats": 1, "quiet_cores": 0.3},
           "machine": {"cpu": "test", "cpus_usable": 2, "logical_cpus": 2, "python": "3",
                       "numpy": np.__version__, "blas": "?", "torch": None,
                       "scikit-learn": None, "glassnet": "0", "glassnet_commit": None,
                       "loadavg_start": 0.0},
           "loadavg_end": 0.0, "summary": summaries, "ratios": summary.ratios(summaries),
           "targets": summary.targets(summaries), "skipped": {}, "problems": []}
    text = report.markdown(doc)
    assert "| glassnet, batch 128 |" in text
    assert "Convolutional networks" not in text

    # a CNN run beside it (no PyTorch run: no ratio, said so in the row)
    from benchmarks import cnn

    cnn_task = {"name": "lenet5-glassnet-b128", "runner": "cnn", "model": "lenet5",
                "framework": "glassnet", "steps": 1, "matmul_repeats": 1, "seed": 0,
                "threads": 2, "data_dir": str(folder)}
    cnn_run = dict(cnn.train_task(cnn_task), task="lenet5-glassnet-b128", repeat=0)
    assert cnn_run["samples_per_s"] > 0 and 0 < cnn_run["matmul_share"]
    summaries, problems = summary.summarise([run, cnn_run])
    assert not problems
    doc.update(summary=summaries, runs=[run, cnn_run])
    text = report.markdown(doc)
    assert "| glassnet, batch 128 |" in text
    assert "| LeNet-5 | glassnet | 1/1 |" in text and "n/a (no PyTorch run)" in text


@pytest.mark.data
def test_a_subset_has_the_bits_of_the_full_load(shared_data):
    from benchmarks import data
    from glassnet.datasets import load_fashion_mnist

    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    subset = data.load(str(folder), n_train=100, n_test=10)
    (X, y), (Xt, yt) = load_fashion_mnist(folder, download=False, progress=False)
    assert subset.X_train.dtype == np.float32 and subset.X_train.shape == (100, 784)
    assert np.array_equal(subset.X_train, X[:100]) and np.array_equal(subset.y_train, y[:100])
    assert np.array_equal(subset.X_test, Xt[:10]) and np.array_equal(subset.y_test, yt[:10])
