"""One measurement in a fresh process: ``python -m benchmarks.worker TASK_JSON OUT_JSON``.

Each framework trains in its own process so that its peak resident memory
(VmHWM) is its own, and so that no library's threads or caches leak into the
next measurement. The parent sets the thread-count variables in the
environment, so they are in force before NumPy or PyTorch load.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any


def train_task(task: dict[str, Any]) -> dict[str, Any]:
    """Load the data, measure the matmul ceiling, train with per-epoch test accuracy,
    then read the peak memory and measure prediction latency."""
    import numpy as np

    from . import data as data_mod
    from .measure import EpochClock, matmul_ceiling, median_call_seconds, memory_mib, thread_pools
    from .runners import trainer_class

    Trainer = trainer_class(task["runner"])  # imports the framework
    mem_import = memory_mib()
    data = data_mod.load(task["data_dir"], dtype=np.dtype(task["dtype"]).type,
                         n_train=task["n_train"], n_test=task["n_test"])
    mem_data = memory_mib()
    ceiling = matmul_ceiling(task["batch_size"], chunks=task["ceiling_chunks"],
                             chunk_seconds=task.get("ceiling_seconds", 0.2))
    trainer = Trainer(task, data)
    clock = EpochClock(lambda: trainer.accuracy(data.X_test, data.y_test), data.X_train.shape[0])
    trainer.fit(task["epochs"], clock)
    mem_trained = memory_mib()  # before the latency runs, which allocate a little

    x = data.X_test[0]
    latency = {
        "single_s": median_call_seconds(trainer.predict_one(x), task["latency_calls"]),
        "batch_s": median_call_seconds(trainer.predict_batch(data.X_test),
                                       task["batch_latency_calls"], n_warmup=2),
        "batch_n": int(data.X_test.shape[0]),
    }
    if hasattr(trainer, "forward_one"):
        latency["single_forward_s"] = median_call_seconds(trainer.forward_one(x),
                                                          task["latency_calls"])
    return {
        "batch_size": task["batch_size"],
        "n_train": int(data.X_train.shape[0]), "n_test": int(data.X_test.shape[0]),
        "data_source": data.source, "input_dtype": str(data.X_train.dtype),
        "epochs": clock.epochs, "ceiling": ceiling, "latency": latency,
        "memory": {"after_import": mem_import, "after_data": mem_data,
                   "after_training": mem_trained},
        "notes": trainer.notes, "thread_pools": thread_pools(),
    }


def classic_task(task: dict[str, Any]) -> dict[str, Any]:
    from . import data as data_mod
    from .runners import run_classic

    data = data_mod.load(task["data_dir"], scale="none", n_train=task["n_samples"], n_test=1)
    result = run_classic.run(task, data.X_train, data.y_train)
    result["data_source"] = data.source
    return result


def main(argv: list[str]) -> int:
    task = json.loads(argv[0])
    out_path = argv[1]
    from .machine import glassnet_source_digest
    from .measure import loadavg

    result: dict[str, Any] = {"task": task["name"], "repeat": task["seed"],
                              "loadavg_before": loadavg(),
                              "glassnet_source": glassnet_source_digest()}
    t = time.perf_counter()
    try:
        if task["runner"] == "classic":
            body = classic_task(task)
        elif task["runner"] == "cnn":  # timed by steps, not epochs
            from .cnn import train_task as cnn_task

            body = cnn_task(task)
        else:
            body = train_task(task)
        result.update(body)
    except ImportError as err:
        result["skipped"] = f"{type(err).__name__}: {err}"
    except Exception:  # noqa: BLE001 - reported to the parent, which goes on
        result["error"] = traceback.format_exc()
    result["wall_s"] = time.perf_counter() - t
    result["loadavg_after"] = loadavg()
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
