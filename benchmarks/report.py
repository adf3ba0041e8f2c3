"""The results as Markdown tables, and both Markdown and JSON written to ``results/``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from . import cnn_report, spec

RESULTS_DIR = Path(__file__).resolve().parent / "results"

LABELS = {
    "glassnet-b128": "glassnet, batch 128",
    "glassnet-baseline-b128": "glassnet baseline (--baseline), batch 128",
    "glassnet-b256": "glassnet, batch 256",
    "glassnet-numpy-b128": "glassnet NumPy-only Adam, batch 128",
    "torch-b128": "PyTorch standard, batch 128",
    "torch-b256": "PyTorch standard, batch 256",
    "torch-fused-b128": "PyTorch fused Adam, batch 128",
    "sklearn-f32-b128": "scikit-learn float32, batch 128",
    "sklearn-f64-b128": "scikit-learn float64, batch 128",
    "estimator-glassnet-f32-b128": "glassnet.sklearn MLPClassifier float32, batch 128",
    "estimator-sklearn-f32-b128": "scikit-learn MLPClassifier float32, alpha 1e-4, batch 128",
    "estimator-sklearn-f64-b128": "scikit-learn MLPClassifier float64, alpha 1e-4, batch 128",
    "estimator-glassnet-f64-b128": "glassnet.sklearn MLPClassifier float64, batch 128",
    "estimator-glassnet-lbfgs": "glassnet.sklearn MLPClassifier L-BFGS, float64, 2,000 samples",
    "estimator-sklearn-lbfgs": "scikit-learn MLPClassifier L-BFGS, float64, 2,000 samples",
}  # the CNN tasks have their own table (cnn_report)


def _num(x: float | None, fmt: str = "{:,.0f}", missing: str = "n/a") -> str:
    return missing if x is None else fmt.format(x)


def _us(seconds: float | None) -> str:
    return _num(None if seconds is None else seconds * 1e6, "{:,.0f} µs")


def _ms(seconds: float | None) -> str:
    return _num(None if seconds is None else seconds * 1e3, "{:,.1f} ms")


def _label(task: str, s: dict[str, Any]) -> str:
    label = LABELS.get(task, task)
    if task.startswith("torch-fused"):
        if any("foreach=True" in n for n in s.get("notes", [])):
            label = "PyTorch foreach Adam (fused unsupported), batch 128"
    return label


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def training_table(s: dict[str, Any]) -> list[str]:
    header = ["framework", "runs", "samples/s median", "min – max", "mean", "warm-up epoch",
              "GFLOP/s", "of NumPy ceiling", f"time to {spec.TARGET_ACCURACY:.0%}",
              "best test acc", "peak RSS", "background load"]
    rows = []
    for task, x in s.items():
        if task == "classic":
            continue
        sps = x["samples_per_s"]
        if x["time_to_target_s"] is None:
            t88 = f"not reached in {x['epochs_per_run']} epochs"
        else:
            t88 = f"{x['time_to_target_s']:.1f} s ({x['epochs_to_target']:g} ep"
            if x["target_reached_runs"] < x["runs"]:
                t88 += f", {x['target_reached_runs']}/{x['runs']} runs"
            t88 += ")"
        rows.append([
            _label(task, x), f"{x['runs']}/{x['runs_total']}", _num(sps["median"]),
            f"{_num(sps['min'])} – {_num(sps['max'])}", _num(sps["mean"]),
            _num(x["warmup_samples_per_s"]), _num(x["gflops"], "{:.1f}"),
            _num(None if x["ceiling_fraction"] is None else 100 * x["ceiling_fraction"],
                 "{:.0f}%") + f" of {_num(x['ceiling_gflops'], '{:.0f}')}",
            t88, f"{x['best_accuracy']:.4f} (≤{x['best_within_epochs']} ep)",
            f"{x['peak_rss_mib']:.0f} MiB", _num(x["background_cores"], "{:.2f} cores"),
        ])
    return _table(header, rows)


def latency_table(s: dict[str, Any]) -> list[str]:
    header = ["framework", "single-sample predict (median)", "batch predict (median)"]
    rows = []
    for task, x in s.items():
        if task == "classic" or task.endswith("b256"):
            continue
        single = _us(x["latency_single_s"])
        if x["runs"] > 1:
            low, high = x["latency_single_range_s"]
            single += f" [{low * 1e6:,.0f}–{high * 1e6:,.0f} over {x['runs']} runs]"
        if x.get("latency_single_forward_s"):
            single += f" (forward only: {_us(x['latency_single_forward_s'])})"
        rows.append([_label(task, x).rsplit(",", 1)[0], single,
                     f"{_ms(x['latency_batch_s'])} for {x['latency_batch_n']:,}"])
    return _table(header, rows)


def classic_table(c: dict[str, Any]) -> list[str]:
    header = ["implementation", "samples/s median", "min – max"]
    rows = [[name, _num(c[key]["median"]), f"{_num(c[key]['min'])} – {_num(c[key]['max'])}"]
            for name, key in (("glassnet.classic.NeuralNetwork.train", "classic"),
                              ("book reference loop (benchmarks/book_reference.py)", "book"))]
    return _table(header, rows) + [
        "",
        f"classic / book = **{c['ratio']:.2f}x**; final weights after {c['n_samples']:,} samples "
        f"(same start): max |diff| = {c['max_abs_weight_diff']:.2e}, "
        f"allclose(atol=1e-10): {'yes' if c['weights_allclose'] else '**NO**'}",
    ]


def ratio_table(rows: list[dict[str, Any]]) -> list[str]:
    header = ["glassnet / peer", "throughput (>1 faster)", f"time to {spec.TARGET_ACCURACY:.0%}",
              "single predict", "batch predict", "peak RSS"]
    body = [[f"{r['glassnet']} / {r['peer']}"] +
            [_num(r[k], "{:.2f}x") for k in ("throughput", "time_to_target", "latency_single",
                                             "latency_batch", "peak_rss")] for r in rows]
    return _table(header, body)


def target_table(rows: list[dict[str, Any]]) -> list[str]:
    def measured(r: dict[str, Any]) -> str:
        if r["measured"] is None:
            return "not measured"
        unit = r.get("unit", "")
        if unit == "x":
            return f"{r['measured']:.2f}x"
        if unit == "MiB":
            return f"{r['measured']:.0f} MiB"
        return f"{r['measured']:.2e} ({unit})"

    met = {True: "yes", False: "**no**", None: "n/a"}
    return _table(["target", "measured", "met?"],
                  [[r["target"], measured(r), met[r["met"]]] for r in rows])


def markdown(doc: dict[str, Any]) -> str:
    m, cfg = doc["machine"], doc["settings"]
    s = {t: x for t, x in doc["summary"].items() if not cnn_report.is_cnn(x)}  # the dense ones
    tasks_run = {r["task"] for r in doc.get("runs", [])} or set(doc["summary"])
    dense_ran = any(not cnn_report.is_cnn_task(t) for t in tasks_run)
    lines = [f"# glassnet benchmarks ({doc['finished']})", ""]
    if cfg["quick"]:
        lines += ["**--quick run: a subset, 2 epochs, a few CNN steps; a smoke test, not a "
                  "measurement.**", ""]
    lines += [
        f"Machine: {m['cpu']}, {m['cpus_usable']} usable of {m['logical_cpus']} logical CPUs; "
        f"Python {m['python']}, NumPy {m['numpy']} ({m['blas']}), torch {m['torch']}, "
        f"scikit-learn {m['scikit-learn']}; glassnet {m['glassnet']} at {m['glassnet_commit']} "
        f"(source digest {m.get('glassnet_source', '?')}). "
        f"Threads: {cfg['threads']} (OMP/OPENBLAS/MKL_NUM_THREADS, torch.set_num_threads). "
        f"Load average at start {m['loadavg_start']:.2f}, at end {doc['loadavg_end']:.2f}.",
        "",
    ]
    busy = {t: x["background_cores"] for t, x in doc["summary"].items()
            if (x.get("background_cores") or 0) > cfg["quiet_cores"]}
    if busy:
        lines += [
            f"**Warning: other processes kept the machine busy during {', '.join(busy)} "
            f"(median background load up to {max(busy.values()):.2f} cores of "
            f"{m['cpus_usable']}). Those figures are slowed by the competition, and thread "
            "pools that spin while they wait (PyTorch's OpenMP) suffer most: re-run on a "
            "quiet machine before drawing conclusions.**",
            "",
        ]
    if dense_ran:
        lines += dense_sections(doc, s)
    lines += cnn_report.table(doc)
    notes = sorted({n for x in doc["summary"].values() for n in x.get("notes", [])})
    notes += [f"{k} skipped: {v}" for k, v in doc["skipped"].items()]
    notes += doc["problems"]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def dense_sections(doc: dict[str, Any], s: dict[str, Any]) -> list[str]:
    """The 784-256-128-10 sections: training, latency, book facade, ratios, targets."""
    cfg = doc["settings"]
    lines = [
        f"Model 784-256-128-10 ReLU, softmax cross-entropy, Adam lr {spec.LR:g}; Fashion-MNIST "
        f"({_first(s, 'n_train')} train / {_first(s, 'n_test')} test, pixels / 255). "
        f"{cfg['epochs']} epochs per run ({cfg['sklearn_epochs']} for scikit-learn), "
        f"{cfg['repeats']} interleaved repeats ({cfg['sklearn_repeats']} for scikit-learn), "
        "each run in its own process.",
        "",
    ]
    lines += ["## Training", ""]
    lines += training_table(s)
    lines += [
        "",
        "runs: used / made (runs disturbed by other processes are left out, see Notes). "
        "samples/s: per epoch, epoch 1 of each run excluded (shown as warm-up), the rest "
        "pooled over the runs used; mean = all samples / all seconds. Test evaluation at each "
        f"epoch end is not timed. {spec.FLOP_FORMULA}. Ceiling: GFLOP/s of just those matrix "
        "products run back to back in NumPy float32 at the run's batch size, measured in the "
        f"same process just before training. Time to {spec.TARGET_ACCURACY:.0%}: training "
        "seconds (epoch 1 included) until the test accuracy at an epoch end reaches it; median "
        "over runs. Peak RSS: VmHWM of the run's process after training (Python, framework, "
        "data and training together; the largest over the runs used). Background load: CPU "
        "time used by other processes during the run, in cores (median over runs).",
        "",
        "## Prediction latency (the model trained at batch 128)",
        "",
    ]
    lines += latency_table(s)
    lines += ["", "glassnet: `net.predict(x[None])` (input checks, softmax and argmax included); "
              "PyTorch: `model(x)` under `torch.inference_mode()` (logits), batch: "
              "`model(X).argmax(1)`; scikit-learn: `clf.predict`. Median of individually "
              "timed calls after a warm-up, in each training process; the median of those "
              "over runs, with their range.", ""]
    if "classic" in s:
        lines += ["## Book facade: one sample at a time, float64, 784-200-10 sigmoid", ""]
        lines += classic_table(s["classic"])
        lines += ["", f"Book sigmoid: {s['classic']['book_sigmoid']}; classic update: "
                  f"{s['classic'].get('classic_update', 'not recorded')}; "
                  "book inputs x / 255 * 0.99 "
                  "+ 0.01, targets 0.01 / 0.99, lr 0.1; both start from the facade's weights "
                  "and train on the same samples in alternating chunks. Background load "
                  f"{_num(s['classic']['background_cores'], '{:.2f}')} cores.", ""]
    lines += ["## glassnet relative to each peer (same batch size)", ""]
    lines += ratio_table(doc["ratios"]) + ["", "## Targets", ""]
    return lines + target_table(doc["targets"]) + [""]


def _first(s: dict[str, Any], key: str) -> str:
    for x in s.values():
        if key in x:
            return f"{x[key]:,}"
    return "?"


def write(doc: dict[str, Any], text: str) -> tuple[Path, Path]:
    """Save ``results/bench-<time>.json`` and ``.md``, and ``latest.*`` copies."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    tag = "-quick" if doc["settings"]["quick"] else ""
    json_path = RESULTS_DIR / f"bench-{stamp}{tag}.json"
    md_path = json_path.with_suffix(".md")
    json_path.write_text(json.dumps(doc, indent=1))
    md_path.write_text(text)
    (RESULTS_DIR / f"latest{tag}.json").write_text(json.dumps(doc, indent=1))
    (RESULTS_DIR / f"latest{tag}.md").write_text(text)
    return json_path, md_path
