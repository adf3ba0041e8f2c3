"""From raw runs to the figures in the tables: medians, ranges, ratios, targets."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from . import cnn_report, spec

FULL_TRAIN = 60_000  # Fashion-MNIST's training set


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def time_to_accuracy(epochs: list[dict[str, float]], target: float) -> tuple[float, int] | None:
    """Training seconds (evaluation excluded) and epochs until test accuracy >= target."""
    total = 0.0
    for i, e in enumerate(epochs):
        total += e["train_s"]
        if e["test_accuracy"] >= target:
            return total, i + 1
    return None


def summarise_training(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the runs of one training task.

    Throughput is per epoch, ``n_train / train_s``. Epoch 1 of each run is the
    warm-up and reported apart; the others are pooled over all repeats for the
    median, min, max, and for the mean (all samples / all seconds).
    """
    n_train = runs[0]["n_train"]
    timed, warmup = [], []
    for r in runs:
        rates = [n_train / e["train_s"] for e in r["epochs"]]
        warmup.append(rates[0])
        timed.extend((n_train, e["train_s"]) for e in r["epochs"][1:])
    timed_rates = [n / t for n, t in timed]
    median_rate = _median(timed_rates)
    ceiling = _median([r["ceiling"]["gflops_median"] for r in runs])
    gflops = None if median_rate is None else median_rate * spec.FLOPS_PER_SAMPLE / 1e9
    reached = [x for x in (time_to_accuracy(r["epochs"], spec.TARGET_ACCURACY) for r in runs) if x]
    n_epochs = len(runs[0]["epochs"])
    within = min(n_epochs, spec.BEST_WITHIN_EPOCHS)
    best = [max(e["test_accuracy"] for e in r["epochs"][:within]) for r in runs]
    lat = [r["latency"] for r in runs]
    mem = [r["memory"] for r in runs]
    notes = sorted({n for r in runs for n in r.get("notes", [])})
    return {
        "runs": len(runs), "n_train": n_train, "n_test": runs[0]["n_test"],
        "batch_size": runs[0].get("batch_size"), "input_dtype": runs[0]["input_dtype"],
        "epochs_per_run": n_epochs, "timed_epochs": len(timed_rates),
        "samples_per_s": {"median": median_rate,
                          "min": min(timed_rates, default=None),
                          "max": max(timed_rates, default=None),
                          "mean": (sum(n for n, _ in timed) / sum(t for _, t in timed)
                                   if timed else None)},
        "warmup_samples_per_s": _median(warmup),
        "gflops": gflops, "ceiling_gflops": ceiling,
        "ceiling_fraction": gflops / ceiling if gflops and ceiling else None,
        "time_to_target_s": _median([t for t, _ in reached]),
        "epochs_to_target": _median([k for _, k in reached]),
        "target_reached_runs": len(reached),
        "best_accuracy": _median(best), "best_within_epochs": within,
        "latency_single_s": _median([x["single_s"] for x in lat]),
        "latency_single_range_s": [min(x["single_s"] for x in lat),
                                   max(x["single_s"] for x in lat)],
        "latency_single_forward_s": _median([x["single_forward_s"] for x in lat
                                             if "single_forward_s" in x]),
        "latency_batch_s": _median([x["batch_s"] for x in lat]),
        "latency_batch_n": lat[0]["batch_n"],
        "peak_rss_mib": max(m["after_training"]["VmHWM"] for m in mem),
        "rss_after_import_mib": _median([m["after_import"]["VmRSS"] for m in mem]),
        "rss_after_data_mib": _median([m["after_data"]["VmRSS"] for m in mem]),
        "loadavg": [r.get("loadavg_before") for r in runs],
        "background_cores": _median([r["background_cores"] for r in runs
                                     if "background_cores" in r]),
        "notes": notes,
    }


def summarise_classic(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the alternating chunks of every classic-vs-book run."""
    out: dict[str, Any] = {"runs": len(runs), "n_samples": runs[0]["n_samples"],
                           "book_sigmoid": runs[0]["book_sigmoid"],
                           "classic_update": runs[0].get("classic_update", "not recorded")}
    for name in ("classic", "book"):
        rates = [x for r in runs for x in r["samples_per_s"][name]]
        out[name] = {"median": _median(rates), "min": min(rates), "max": max(rates)}
    out["ratio"] = out["classic"]["median"] / out["book"]["median"]
    out["max_abs_weight_diff"] = max(r["max_abs_weight_diff"] for r in runs)
    out["weights_allclose"] = all(r["weights_allclose_1e-10"] for r in runs)
    out["background_cores"] = _median([r["background_cores"] for r in runs
                                       if "background_cores" in r])
    return out


def summarise(results: list[dict[str, Any]], *, max_background: float | None = None
              ) -> tuple[dict[str, Any], list[str]]:
    """Per-task summaries, and a list of problems (errors, skips, noisy runs) to print.

    Runs during which other processes used more than ``max_background`` cores
    are left out of a task's figures, unless every run of that task was
    noisy (then all are kept, and the report's warning says so).
    """
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    problems = []
    for r in results:
        if "error" in r:
            problems.append(f"{r['task']} (repeat {r['repeat'] + 1}) failed: "
                            f"{r['error'].rstrip().splitlines()[-1]}")
        elif "skipped" in r:
            problems.append(f"{r['task']} skipped: {r['skipped']}")
        else:
            by_task[r["task"]].append(r)
    versions = sorted({r["glassnet_source"] for r in results if r.get("glassnet_source")
                       and "-baseline" not in r.get("task", "")})  # those differ
    if len(versions) > 1:
        problems.append(f"glassnet's source changed while the benchmark ran ({len(versions)} "
                        f"versions: {', '.join(versions)}); runs are not all of the same code, "
                        "see glassnet_source in the JSON")
    summaries = {}
    for task, runs in by_task.items():
        used = runs
        if max_background is not None:
            quiet = [r for r in runs if r.get("background_cores", 0.0) <= max_background]
            if quiet and len(quiet) < len(runs):
                noisy = ", ".join(f"repeat {r['repeat'] + 1} ({r['background_cores']:.2f} cores)"
                                  for r in runs if r not in quiet)
                problems.append(f"{task}: left out for background load > {max_background} "
                                f"cores: {noisy}")
                used = quiet
        summarise_task = (summarise_classic if task == "classic" else
                          cnn_report.summarise if cnn_report.is_cnn(runs[0]) else
                          summarise_training)
        summaries[task] = summarise_task(used)
        summaries[task]["runs_total"] = len(runs)
    return summaries, problems


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(s: dict[str, Any]) -> list[dict[str, Any]]:
    """glassnet divided by each peer, at the same batch size.

    Throughput: > 1 means glassnet is faster. Times, latencies, memory:
    < 1 means glassnet is faster or smaller.
    """
    rows = []
    pairs = [("glassnet-b128", p) for p in ("torch-b128", "torch-fused-b128",
                                             "sklearn-f32-b128", "sklearn-f64-b128")]
    pairs.append(("glassnet-b256", "torch-b256"))
    pairs += [("estimator-glassnet-f32-b128", p) for p in ("estimator-sklearn-f32-b128",
                                                           "estimator-sklearn-f64-b128")]
    pairs += [("estimator-glassnet-f64-b128", "estimator-sklearn-f64-b128"),
              ("estimator-glassnet-lbfgs", "estimator-sklearn-lbfgs")]
    pairs += [("glassnet-numpy-b128", p) for p in ("torch-b128", "torch-fused-b128")]
    pairs += [("glassnet-baseline-b128", p) for p in ("torch-b128", "torch-fused-b128")]
    for mine, peer in pairs:
        if mine not in s or peer not in s:
            continue
        a, b = s[mine], s[peer]
        rows.append({
            "glassnet": mine, "peer": peer,
            "throughput": _ratio(a["samples_per_s"]["median"], b["samples_per_s"]["median"]),
            "time_to_target": _ratio(a["time_to_target_s"], b["time_to_target_s"]),
            # prediction is compared once, between the models trained at batch 128
            "latency_single": (_ratio(a["latency_single_s"], b["latency_single_s"])
                               if mine.endswith("-b128") else None),
            "latency_batch": (_ratio(a["latency_batch_s"], b["latency_batch_s"])
                              if mine.endswith("-b128") else None),
            "peak_rss": _ratio(a["peak_rss_mib"], b["peak_rss_mib"]),
        })
    return rows


def targets(s: dict[str, Any]) -> list[dict[str, Any]]:
    """The team's targets: what is required, what was measured, and whether it holds."""
    rows: list[dict[str, Any]] = []

    def figure(task: str, key: str) -> float | None:
        value = s[task][key]
        return value["median"] if isinstance(value, dict) else value

    def ratio_row(what: str, mine: str, peer: str, key: str, goal: float, higher: bool) -> None:
        if mine not in s or peer not in s:
            rows.append({"target": what, "measured": None, "met": None})
            return
        value = _ratio(figure(mine, key), figure(peer, key))
        met = None if value is None else (value >= goal if higher else value <= goal)
        rows.append({"target": what, "measured": value, "unit": "x", "met": met})

    acc = f"{spec.TARGET_ACCURACY:.0%}"
    ratio_row(f"glassnet b128 throughput >= {spec.TARGET_THROUGHPUT_VS_TORCH}x PyTorch standard",
              "glassnet-b128", "torch-b128", "samples_per_s", spec.TARGET_THROUGHPUT_VS_TORCH, True)
    ratio_row(f"glassnet b128 throughput >= {spec.TARGET_THROUGHPUT_VS_TORCH_FUSED}x PyTorch fused",
              "glassnet-b128", "torch-fused-b128", "samples_per_s",
              spec.TARGET_THROUGHPUT_VS_TORCH_FUSED, True)
    ratio_row(f"glassnet b256 throughput >= {spec.TARGET_THROUGHPUT_B256_VS_TORCH}x PyTorch b256",
              "glassnet-b256", "torch-b256", "samples_per_s",
              spec.TARGET_THROUGHPUT_B256_VS_TORCH, True)
    ratio_row(f"time to {acc} <= {spec.TARGET_TIME_TO_ACC_VS_TORCH}x PyTorch's",
              "glassnet-b128", "torch-b128", "time_to_target_s",
              spec.TARGET_TIME_TO_ACC_VS_TORCH, False)
    ratio_row(f"single-sample predict latency <= {spec.TARGET_LATENCY_VS_TORCH}x PyTorch's",
              "glassnet-b128", "torch-b128", "latency_single_s",
              spec.TARGET_LATENCY_VS_TORCH, False)
    if "classic" in s:
        value = s["classic"]["ratio"]
        rows.append({"target": f"classic train >= {spec.TARGET_CLASSIC_VS_BOOK}x the book's loop",
                     "measured": value, "unit": "x", "met": value >= spec.TARGET_CLASSIC_VS_BOOK})
        rows.append({"target": "classic weights == book's (allclose, atol 1e-10)",
                     "measured": s["classic"]["max_abs_weight_diff"], "unit": "max |diff|",
                     "met": s["classic"]["weights_allclose"]})
    for task in ("glassnet-b128", "glassnet-b256", "glassnet-numpy-b128"):
        if task not in s:
            continue
        g = s[task]
        rows.append({"target": f"{task} peak memory <= {spec.TARGET_PEAK_MIB:.0f} MiB",
                     "measured": g["peak_rss_mib"], "unit": "MiB",
                     "met": g["peak_rss_mib"] <= spec.TARGET_PEAK_MIB})
        # A float64 copy of X_train at any moment, while loading or training,
        # would put the peak that far above the resident set once the float32
        # data is loaded. Measured from there, not from the imports, so that
        # the float32 data itself is not counted: what remains is training
        # plus anything loaded after the data (Numba's compiler, ~105 MiB).
        f64_copy = g["n_train"] * spec.SIZES[0] * 8 / spec.MIB
        growth = g["peak_rss_mib"] - g["rss_after_data_mib"]
        subset = g["n_train"] < FULL_TRAIN
        rows.append({"target": f"{task} no float64 copy of the data "
                               f"(peak - RSS with the data loaded < {f64_copy:.0f} MiB)",
                     "measured": growth, "unit": "MiB",
                     # on a subset the loader's full-size arrays swamp the test
                     "met": None if subset else growth < f64_copy})
    return rows
