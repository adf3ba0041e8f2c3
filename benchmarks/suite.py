"""The schedule: which measurements run, in which order, each in its own process.

Measurements are interleaved: repeat 1 runs every task once, then repeat 2
runs them again in a rotated order, and so on, so that a burst of load on
the shared machine spreads over all frameworks instead of hitting one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .measure import background_cores, children_cpu_seconds, machine_busy_seconds
from .runners import REQUIRES

REPO_ROOT = Path(__file__).resolve().parents[1]

# name -> settings; "runner" picks benchmarks.runners.run_<runner>.
TASKS: dict[str, dict[str, Any]] = {
    "glassnet-b128": {"runner": "glassnet", "batch_size": 128, "dtype": "float32"},
    "glassnet-b256": {"runner": "glassnet", "batch_size": 256, "dtype": "float32"},
    "glassnet-numpy-b128": {"runner": "glassnet", "batch_size": 128, "dtype": "float32",
                            "fused": False},
    "torch-b128": {"runner": "torch", "batch_size": 128, "dtype": "float32",
                   "optimizer": "standard"},
    "torch-b256": {"runner": "torch", "batch_size": 256, "dtype": "float32",
                   "optimizer": "standard"},
    "torch-fused-b128": {"runner": "torch", "batch_size": 128, "dtype": "float32",
                         "optimizer": "fused"},
    "sklearn-f32-b128": {"runner": "sklearn", "batch_size": 128, "dtype": "float32"},
    "sklearn-f64-b128": {"runner": "sklearn", "batch_size": 128, "dtype": "float64"},
    "classic": {"runner": "classic"},
    # glassnet.sklearn.MLPClassifier beside scikit-learn's, alpha=1e-4 (run_estimators)
    "estimator-glassnet-f32-b128": {"runner": "estimators", "library": "glassnet",
                                    "batch_size": 128, "dtype": "float32"},
    "estimator-sklearn-f32-b128": {"runner": "estimators", "library": "sklearn",
                                   "batch_size": 128, "dtype": "float32"},
    "estimator-sklearn-f64-b128": {"runner": "estimators", "library": "sklearn",
                                   "batch_size": 128, "dtype": "float64"},
    "estimator-glassnet-f64-b128": {"runner": "estimators", "library": "glassnet",
                                    "batch_size": 128, "dtype": "float64"},
    # solver="lbfgs" on a small problem: the first LBFGS_SAMPLES training samples,
    # one "epoch" = one warm-started fit of LBFGS_ITERATIONS L-BFGS iterations
    "estimator-glassnet-lbfgs": {"runner": "estimators", "library": "glassnet",
                                 "solver": "lbfgs", "batch_size": 128, "dtype": "float64",
                                 "n_train_max": 2000},
    "estimator-sklearn-lbfgs": {"runner": "estimators", "library": "sklearn",
                                "solver": "lbfgs", "batch_size": 128, "dtype": "float64",
                                "n_train_max": 2000},
    # convolutional networks, timed by steps (benchmarks/cnn.py)
    "cnn-glassnet-b128": {"runner": "cnn", "model": "cnn", "framework": "glassnet"},
    "cnn-torch-b128": {"runner": "cnn", "model": "cnn", "framework": "torch"},
    "lenet5-glassnet-b128": {"runner": "cnn", "model": "lenet5", "framework": "glassnet"},
    "lenet5-torch-b128": {"runner": "cnn", "model": "lenet5", "framework": "torch"},
}
GROUPS: dict[str, list[str]] = {
    "glassnet": ["glassnet-b128", "glassnet-b256", "glassnet-numpy-b128"],
    "torch": ["torch-b128", "torch-b256"],
    "torch-fused": ["torch-fused-b128"],
    "sklearn": ["sklearn-f32-b128", "sklearn-f64-b128"],
    "classic": ["classic"],
    "estimators": ["estimator-glassnet-f32-b128", "estimator-sklearn-f32-b128",
                   "estimator-glassnet-f64-b128", "estimator-sklearn-f64-b128",
                   "estimator-glassnet-lbfgs", "estimator-sklearn-lbfgs"],
    "cnn": ["cnn-glassnet-b128", "cnn-torch-b128", "lenet5-glassnet-b128", "lenet5-torch-b128"],
}
# --baseline SRC: the task run again with glassnet from SRC -> the task it repeats
BASELINES = {"glassnet-baseline-b128": "glassnet-b128",
             "cnn-glassnet-baseline-b128": "cnn-glassnet-b128",
             "lenet5-glassnet-baseline-b128": "lenet5-glassnet-b128"}


@dataclass
class Settings:
    """Everything the command line decides."""

    epochs: int
    repeats: int
    threads: int
    only: list[str]
    data_dir: str | None
    n_train: int | None
    n_test: int | None
    sklearn_epochs: int
    sklearn_repeats: int
    classic_samples: int
    latency_calls: int
    batch_latency_calls: int
    ceiling_chunks: int
    quick: bool
    max_wait_s: float  # per run, for the machine to become quiet
    quiet_cores: float  # "quiet": other processes use fewer cores than this
    baseline_src: str | None = None  # another checkout's src/, run as the BASELINES tasks
    cnn_steps: int = 100  # timed steps per CNN run, after cnn.WARMUP_STEPS
    cnn_matmul_repeats: int = 20  # timings of the products alone, for their share of a step


def select(only: list[str]) -> list[str]:
    """Task names for ``--only`` entries (group or task names), in the canonical order."""
    wanted: set[str] = set()
    for name in only:
        if name in GROUPS:
            wanted.update(GROUPS[name])
        elif name in TASKS:
            wanted.add(name)
        else:
            raise SystemExit(f"--only: unknown name {name!r}; choose from "
                             f"{', '.join(list(GROUPS) + list(TASKS))}")
    return [t for t in TASKS if t in wanted]


def baselines_for(tasks: list[str]) -> list[str]:
    """The ``--baseline`` tasks that go with a selection: the dense one beside any dense
    task, a CNN one beside either framework's run of that model."""
    def family(name: str) -> str:
        return TASKS[name].get("model", "mlp")

    wanted = {family(t) for t in tasks}
    return [b for b, base in BASELINES.items() if family(base) in wanted]


def missing_dependency(task: str) -> str | None:
    """Why a task cannot run here (an optional peer is not installed), or None."""
    spec = TASKS[task]
    module = REQUIRES.get(spec.get("framework", spec["runner"]))
    if module and importlib.util.find_spec(module) is None:
        return f"{module} is not importable"
    return None


def task_config(name: str, repeat: int, s: Settings) -> dict[str, Any]:
    """The JSON the worker receives for one run."""
    base = dict(TASKS[BASELINES.get(name, name)], name=name, seed=repeat, threads=s.threads,
                data_dir=s.data_dir)
    if name in BASELINES:  # the same task with glassnet imported from another src/
        base["src"] = s.baseline_src
    if base["runner"] == "cnn":
        return dict(base, steps=s.cnn_steps, matmul_repeats=s.cnn_matmul_repeats)
    if base["runner"] == "classic":
        return dict(base, n_samples=s.classic_samples, chunks=6)
    epochs = s.sklearn_epochs if base["runner"] == "sklearn" else s.epochs
    n_train = s.n_train
    if "n_train_max" in base:  # a task on a small problem
        n_train = min(n_train or base["n_train_max"], base["n_train_max"])
    return dict(base, epochs=epochs, n_train=n_train, n_test=s.n_test,
                latency_calls=s.latency_calls, batch_latency_calls=s.batch_latency_calls,
                ceiling_chunks=s.ceiling_chunks)


def schedule(tasks: list[str], s: Settings) -> list[tuple[int, str]]:
    """(repeat, task) pairs: round r runs the tasks rotated by r places.

    scikit-learn is the slowest per epoch (2-3x the others), so it runs only
    in the first ``sklearn_repeats`` rounds.
    """
    runs = []
    for r in range(s.repeats):
        k = r % len(tasks)
        for name in tasks[k:] + tasks[:k]:
            if TASKS.get(name, {}).get("runner") == "sklearn" and r >= s.sklearn_repeats:
                continue
            runs.append((r, name))
    return runs


def wait_until_quiet(max_wait_s: float, quiet_cores: float) -> tuple[float, float]:
    """Wait (at most ``max_wait_s``) until other processes use fewer than ``quiet_cores``.

    Returns the seconds waited and the background load last seen, in cores.
    """
    t = time.perf_counter()
    load = background_cores(0.5)
    while load >= quiet_cores and time.perf_counter() - t < max_wait_s:
        load = background_cores(1.0)
    return time.perf_counter() - t, load


def run_one(config: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run one worker process and return its JSON result (or the error it hit).

    Also records ``background_cores``: the machine's busy CPU time during the
    run minus the worker's own, per second of wall time. On a shared machine
    that says how much of the run competed with someone else's work.
    """
    busy0, own0, t0 = machine_busy_seconds(), children_cpu_seconds(), time.perf_counter()
    result = _spawn(config, timeout_s)
    wall = time.perf_counter() - t0
    own = children_cpu_seconds() - own0
    result["background_cores"] = (machine_busy_seconds() - busy0 - own) / wall
    result["worker_cpu_s"] = own
    return result


def _spawn(config: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    env = dict(os.environ)
    # config["src"]: import glassnet from another checkout (the --baseline comparison)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [config.get("src"), str(REPO_ROOT),
                                                      env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.worker", json.dumps(config), str(out)]
        try:
            proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"task": config["name"], "repeat": config["seed"],
                    "error": f"timed out after {timeout_s:.0f} s"}
        if out.exists():
            return json.loads(out.read_text())
        return {"task": config["name"], "repeat": config["seed"],
                "error": f"worker exited {proc.returncode}: {proc.stderr[-2000:]}"}


def run_all(s: Settings, log=print) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every scheduled run; returns the raw results and the tasks skipped (with why)."""
    skipped: dict[str, str] = {}
    tasks = []
    for name in select(s.only):
        why = missing_dependency(name)
        if why:
            skipped[name] = why
        else:
            tasks.append(name)
    if s.baseline_src:
        tasks = baselines_for(tasks) + tasks
    runs = schedule(tasks, s)
    results = []
    for i, (repeat, name) in enumerate(runs, 1):
        waited, before = wait_until_quiet(s.max_wait_s, s.quiet_cores)
        t = time.perf_counter()
        result = run_one(task_config(name, repeat, s), timeout_s=3600)
        result["background_cores_before"] = before
        results.append(result)
        status = "error" if "error" in result else "skipped" if "skipped" in result else "ok"
        log(f"[{i}/{len(runs)}] repeat {repeat + 1} {name}: {status} "
            f"({time.perf_counter() - t:.1f} s; waited {waited:.0f} s for quiet; "
            f"background load {result['background_cores']:.2f} cores)")
        if status == "error":
            log(result["error"].rstrip().splitlines()[-1])
    return results, skipped
