"""The convolutional tasks' figures and their table: samples/s, ratio to PyTorch, memory.

A CNN run (``benchmarks.cnn.train_task``) gives one throughput, over its timed
steps; a task's figures are the median and range of those over its runs.
"""

from __future__ import annotations

import statistics
from typing import Any

MODEL_LABELS = {"cnn": "small CNN", "lenet5": "LeNet-5"}


def is_cnn(summary_or_run: dict[str, Any]) -> bool:
    """Whether a raw run or a task summary comes from a CNN task."""
    return summary_or_run.get("kind") == "cnn"


def is_cnn_task(name: str) -> bool:
    """Whether a task name is a CNN task's (``cnn-...`` or ``lenet5-...``)."""
    return name.split("-")[0] in MODEL_LABELS


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the runs of one CNN task.

    ``samples_per_s``: median, min and max over the runs of each run's timed
    steps * batch / seconds. ``matmul_share``: glassnet only, the median over
    runs of (the step's matrix products timed alone) / (the step's time).
    """
    rates = [r["samples_per_s"] for r in runs]
    shares = [r["matmul_share"] for r in runs if "matmul_share" in r]
    background = [r["background_cores"] for r in runs if "background_cores" in r]
    first = runs[0]
    return {
        "kind": "cnn", "model": first["model"], "framework": first["framework"],
        "runs": len(runs), "batch_size": first["batch_size"], "steps": first["steps"],
        "warmup_steps": first["warmup_steps"],
        "samples_per_s": {"median": statistics.median(rates), "min": min(rates),
                          "max": max(rates)},
        "step_s": statistics.median(r["step_s"] for r in runs),
        "matmul_s": statistics.median(r["matmul_s"] for r in runs) if shares else None,
        "matmul_share": statistics.median(shares) if shares else None,
        "peak_rss_mib": max(r["memory"]["after_training"]["VmHWM"] for r in runs),
        "background_cores": statistics.median(background) if background else None,
        "notes": sorted({n for r in runs for n in r.get("notes", [])}),
    }


def ratios(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Each glassnet CNN task (the ``--baseline`` one too) over PyTorch's run of that model.

    ``throughput`` > 1: glassnet is faster; ``peak_rss`` < 1: glassnet is smaller.
    """
    torch_of = {x["model"]: task for task, x in s.items()
                if is_cnn(x) and x["framework"] == "torch"}
    rows = []
    for task, x in s.items():
        if not is_cnn(x) or x["framework"] != "glassnet" or x["model"] not in torch_of:
            continue
        peer = s[torch_of[x["model"]]]
        rows.append({"glassnet": task, "peer": torch_of[x["model"]], "model": x["model"],
                     "throughput": x["samples_per_s"]["median"] / peer["samples_per_s"]["median"],
                     "peak_rss": x["peak_rss_mib"] / peer["peak_rss_mib"]})
    return rows


def failed_tasks(runs: list[dict[str, Any]], s: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """CNN tasks that gave no figures: task -> ("FAILED" or "SKIPPED", runs made).

    FAILED when any run raised an error, SKIPPED when the runs could not import
    what they need (e.g. a ``--baseline`` checkout without ``glassnet.models``).
    """
    failed: dict[str, tuple[str, int]] = {}
    for r in runs:
        if is_cnn_task(r["task"]) and r["task"] not in s:
            before, n = failed.get(r["task"], ("SKIPPED", 0))
            failed[r["task"]] = ("FAILED" if "error" in r else before, n + 1)
    return failed


def _framework(task: str, x: dict[str, Any]) -> str:
    if "-baseline" in task:
        return "glassnet baseline (--baseline)"
    return "PyTorch" if x["framework"] == "torch" else "glassnet"


def table(doc: dict[str, Any]) -> list[str]:
    """The Markdown lines of the CNN section, or none when no CNN task ran."""
    s = {t: x for t, x in doc["summary"].items() if is_cnn(x)}
    failed = failed_tasks(doc.get("runs", []), doc["summary"])
    if not s and not failed:
        return []
    ratio = {r["glassnet"]: r["throughput"] for r in doc.get("cnn_ratios", [])}
    rows = []
    # per model: glassnet, its --baseline, PyTorch
    order = sorted(s, key=lambda t: (s[t]["model"], s[t]["framework"], "-baseline" in t))
    for task, x in ((t, s[t]) for t in order):
        sps = x["samples_per_s"]
        share = x["matmul_share"]
        rows.append([
            MODEL_LABELS.get(x["model"], x["model"]), _framework(task, x),
            f"{x['runs']}/{x['runs_total']}", f"{sps['median']:,.0f}",
            f"{sps['min']:,.0f} – {sps['max']:,.0f}",
            f"**{ratio[task]:.2f}x**" if task in ratio else ("1" if x["framework"] == "torch"
                                                              else "n/a (no PyTorch run)"),
            "n/a" if share is None else
            f"{100 * share:.0f}% ({x['matmul_s'] * 1e3:.1f} of {x['step_s'] * 1e3:.1f} ms)",
            f"{x['peak_rss_mib']:.0f} MiB",
            "n/a" if x["background_cores"] is None else f"{x['background_cores']:.2f} cores",
        ])
    for task, (status, n) in failed.items():
        rows.append([task, f"**{status}**", f"0/{n}"] + ["see Notes"] + ["–"] * 5)
    header = ["model", "framework", "runs", "samples/s median", "min – max",
              "ratio to PyTorch (>1 faster)", "matrix products' share of a step", "peak RSS",
              "background load"]
    first = next(iter(s.values()), {"steps": "?", "warmup_steps": "?", "batch_size": 128})
    out = ["## Convolutional networks (batch 128)", ""]
    out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [
        "",
        "Small CNN: `glassnet.models.small_cnn()` (two conv-BatchNorm-ReLU-maxpool blocks, "
        "dense 128, 10); LeNet-5: `glassnet.models.lenet5()` (tanh, average pooling); "
        "PyTorch trains the same architectures (`nn.Sequential`, the same weight counts) "
        f"with Adam 1e-3. Each run: {first['warmup_steps']} untimed warm-up steps (Numba "
        f"compiles there), then {first['steps']} timed steps at batch {first['batch_size']}; "
        "samples/s: median over runs, with their range. Ratio: the median over PyTorch's "
        "median for the same model, in this run. Matrix products' share: in the glassnet "
        "run, after training, the step's products (forward, weight and input gradients) "
        "timed alone at the model's shapes, in NumPy float32, over the step's time. "
        "Peak RSS: VmHWM after training, the largest over runs." + _baseline_note(doc, s),
        "",
    ]


def _baseline_note(doc: dict[str, Any], s: dict[str, Any]) -> str:
    if not any("-baseline" in t for t in s):
        return ""
    src = doc.get("settings", {}).get("baseline_src") or "the --baseline folder"
    return f" Baseline: the same run with glassnet imported from `{src}`."
