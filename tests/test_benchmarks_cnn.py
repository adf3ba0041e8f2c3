"""benchmarks.cnn: the FLOP count of a CNN step, PyTorch's twin of each model having
exactly glassnet's weights (the comparison is between the same architectures), and the
CNN tasks of ``python -m benchmarks``: selection, --baseline, the table and its ratio,
a quick run end to end with its JSON and --report reprint, and a failing run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from benchmarks import __main__ as bench_main
from benchmarks import cnn, cnn_report, machine, report, suite, summary


def test_conv_flops_worked_by_hand():
    net = gn.Network([gn.layers.Reshape((6, 6, 1)), gn.layers.Conv2D(2, 3, seed=0),
                      gn.layers.Flatten(), gn.Dense(3, seed=0)], input_shape=(36,))
    conv = 2 * 4 * 4 * 9 * 1 * 2          # per sample: 16 positions, K = 9, 2 filters
    dense = 2 * 32 * 3
    # the first layer with weights (the Conv2D, behind the Reshape) still computes dx here
    assert cnn.conv_train_step_flops(net, 1) == 3 * conv + 3 * dense


@pytest.mark.parametrize("name", cnn.MODELS)
def test_the_torch_twin_has_the_same_weights_and_outputs(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    ours, theirs = cnn.glassnet_model(name), cnn.torch_model(name)
    ours_shapes = sorted(p.size for p in ours.parameters.values())
    theirs_shapes = sorted(p.numel() for p in theirs.parameters())
    assert ours_shapes == theirs_shapes
    out = theirs(torch.from_numpy(np.zeros((2, 784), dtype=np.float32)))
    assert tuple(out.shape) == (2, 10)


def test_the_matrix_products_alone_are_timed():
    seconds = cnn.conv_matmul_seconds(gn.models.small_cnn(channels=(2, 2), hidden=4, seed=0),
                                      8, repeats=3)
    assert 0 < seconds < 10


# --- the CNN tasks inside python -m benchmarks -------------------------------------------

CNN_TASKS = ["cnn-glassnet-b128", "cnn-torch-b128", "lenet5-glassnet-b128", "lenet5-torch-b128"]


def test_only_cnn_selects_the_four_cnn_tasks_and_the_default_includes_them():
    assert suite.select(["cnn"]) == CNN_TASKS
    assert suite.select(["lenet5-torch-b128"]) == ["lenet5-torch-b128"]
    default = bench_main.settings_from(bench_main.parse_args([]))
    assert set(CNN_TASKS) <= set(suite.select(default.only))
    assert default.cnn_steps == 100
    assert bench_main.settings_from(bench_main.parse_args(["--quick"])).cnn_steps < 10


def test_baseline_repeats_the_glassnet_cnn_tasks_of_the_models_selected():
    assert suite.baselines_for(suite.select(["cnn"])) == [
        "cnn-glassnet-baseline-b128", "lenet5-glassnet-baseline-b128"]
    assert suite.baselines_for(["lenet5-torch-b128"]) == ["lenet5-glassnet-baseline-b128"]
    assert suite.baselines_for(["glassnet-b128", "torch-b128"]) == ["glassnet-baseline-b128"]
    s = bench_main.settings_from(bench_main.parse_args(["--cnn-steps", "7"]))
    s.baseline_src = "/elsewhere/src"
    config = suite.task_config("lenet5-glassnet-baseline-b128", 1, s)
    assert config["src"] == "/elsewhere/src"
    assert (config["runner"], config["model"], config["framework"]) == ("cnn", "lenet5",
                                                                        "glassnet")
    assert config["steps"] == 7 and config["seed"] == 1
    assert "src" not in suite.task_config("lenet5-glassnet-b128", 1, s)


@pytest.mark.parametrize("argv, message", [
    (["--cnn-steps", "0"], "must be 1 or more"),
    (["--baseline", "."], "no glassnet package there"),
])
def test_bad_options_are_refused_with_the_reason(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench_main.parse_args(argv)
    assert message in capsys.readouterr().err


def test_benchmarks_cnn_forwards_its_old_options_to_the_suite(monkeypatch):
    seen = []
    monkeypatch.setattr(bench_main, "main", lambda argv: seen.append(argv) or 0)
    assert cnn.main(["--models", "lenet5", "--steps", "7", "--quick"]) == 0
    assert seen == [["--only", "lenet5-glassnet-b128,lenet5-torch-b128", "--quick",
                     "--cnn-steps", "7"]]
    with pytest.raises(SystemExit):
        cnn.main(["--models", "alexnet"])


def _cnn_summary(model: str, framework: str, rate: float, share: float | None) -> dict:
    return {"kind": "cnn", "model": model, "framework": framework, "runs": 2,
            "runs_total": 3, "batch_size": 128, "steps": 10, "warmup_steps": 5,
            "samples_per_s": {"median": rate, "min": rate - 10, "max": rate + 10},
            "step_s": 128 / rate, "matmul_s": None if share is None else share * 128 / rate,
            "matmul_share": share, "peak_rss_mib": 300.0 if framework == "glassnet" else 600.0,
            "background_cores": 0.1, "notes": []}


def test_cnn_ratio_and_table_worked_by_hand():
    s = {"lenet5-glassnet-b128": _cnn_summary("lenet5", "glassnet", 800.0, 0.25),
         "lenet5-glassnet-baseline-b128": _cnn_summary("lenet5", "glassnet", 400.0, 0.2),
         "lenet5-torch-b128": _cnn_summary("lenet5", "torch", 1600.0, None)}
    ratios = cnn_report.ratios(s)
    assert [(r["glassnet"], r["throughput"], r["peak_rss"]) for r in ratios] == [
        ("lenet5-glassnet-b128", 0.5, 0.5), ("lenet5-glassnet-baseline-b128", 0.25, 0.5)]
    failed_runs = [{"task": "cnn-glassnet-b128", "repeat": 0, "error": "Traceback\nValueError"},
                   {"task": "cnn-torch-b128", "repeat": 0, "skipped": "ImportError: torch"}]
    text = "\n".join(cnn_report.table({"summary": s, "cnn_ratios": ratios,
                                       "runs": failed_runs,
                                       "settings": {"baseline_src": "/old/src"}}))
    assert "glassnet imported from `/old/src`" in text
    assert "| LeNet-5 | glassnet | 2/3 | 800 | 790 – 810 | **0.50x** | 25% (40.0 of 160.0 ms)" \
        in text
    assert "| LeNet-5 | glassnet baseline (--baseline) | 2/3 | 400 | 390 – 410 | **0.25x** |" \
        in text
    assert "| LeNet-5 | PyTorch | 2/3 | 1,600 |" in text
    assert "| cnn-glassnet-b128 | **FAILED** | 0/1 |" in text
    assert "| cnn-torch-b128 | **SKIPPED** | 0/1 |" in text


def _cnn_run(repeat: int, rate: float, background: float) -> dict:
    return {"task": "lenet5-glassnet-b128", "repeat": repeat, "kind": "cnn",
            "model": "lenet5", "framework": "glassnet", "batch_size": 128, "steps": 4,
            "warmup_steps": 5, "samples_per_s": rate, "step_s": 128 / rate,
            "matmul_s": 0.01, "matmul_share": 0.01 * rate / 128,
            "memory": {"after_training": {"VmHWM": 250.0 + repeat}},
            "background_cores": background}


def test_a_noisy_cnn_run_is_left_out_as_a_dense_one_is():
    runs = [_cnn_run(0, 1000.0, 0.1), _cnn_run(1, 200.0, 1.5), _cnn_run(2, 1200.0, 0.0)]
    summaries, problems = summary.summarise(runs, max_background=0.3)
    x = summaries["lenet5-glassnet-b128"]
    assert (x["runs"], x["runs_total"]) == (2, 3)
    assert x["samples_per_s"] == {"median": 1100.0, "min": 1000.0, "max": 1200.0}
    assert x["peak_rss_mib"] == 252.0
    assert problems == ["lenet5-glassnet-b128: left out for background load > 0.3 cores: "
                        "repeat 2 (1.50 cores)"]


def _run_benchmarks(argv, monkeypatch, tmp_path):
    """``python -m benchmarks ARGV`` in this process (workers are still child processes)."""
    for var in machine.THREAD_VARS:  # main sets them; restore them afterwards
        monkeypatch.setenv(var, "2")
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path)
    return bench_main.main(argv)


@pytest.mark.data
@pytest.mark.slow
def test_quick_cnn_run_prints_and_saves_the_rows_and_ratio_and_reprints_them(
        shared_data, monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed")
    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    argv = ["--quick", "--only", "lenet5-glassnet-b128,lenet5-torch-b128", "--cnn-steps", "1",
            "--data-dir", str(folder)]
    assert _run_benchmarks(argv, monkeypatch, tmp_path) == 0
    printed = capsys.readouterr().out
    assert "## Convolutional networks (batch 128)" in printed
    assert "## Training" not in printed  # --only picked the CNN tasks alone
    doc = json.loads((tmp_path / "latest-quick.json").read_text())
    assert set(doc["summary"]) == {"lenet5-glassnet-b128", "lenet5-torch-b128"}
    (ratio,) = doc["cnn_ratios"]
    g, t = doc["summary"]["lenet5-glassnet-b128"], doc["summary"]["lenet5-torch-b128"]
    assert ratio["throughput"] == pytest.approx(g["samples_per_s"]["median"]
                                                / t["samples_per_s"]["median"])
    assert 0 < g["matmul_share"] and g["peak_rss_mib"] > 0 and t["matmul_share"] is None
    assert f"| LeNet-5 | glassnet | 1/1 | {g['samples_per_s']['median']:,.0f} |" in printed
    assert f"**{ratio['throughput']:.2f}x**" in printed
    assert bench_main.main(["--report", str(tmp_path / "latest-quick.json")]) == 0
    assert capsys.readouterr().out.split("\n", 1)[1] == printed.split("\n", 1)[1]


@pytest.mark.data
def test_a_failing_cnn_child_fails_the_run_loudly(shared_data, monkeypatch, tmp_path, capsys):
    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    # 1,000 steps at batch 128 need more samples than Fashion-MNIST's 60,000
    argv = ["--quick", "--only", "lenet5-glassnet-b128", "--cnn-steps", "1000",
            "--data-dir", str(folder), "--no-write"]
    assert _run_benchmarks(argv, monkeypatch, tmp_path) == 1
    out, err = capsys.readouterr()
    assert "| lenet5-glassnet-b128 | **FAILED** | 0/1 |" in out
    assert "ask for fewer --cnn-steps" in out  # the child's error, under Notes
    assert "failed, no figures: lenet5-glassnet-b128" in err
