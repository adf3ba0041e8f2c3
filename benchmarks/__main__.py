"""``python -m benchmarks``: glassnet against PyTorch, scikit-learn and the book's loop.

The dense network is timed by epochs; the convolutional networks (the ``cnn``
group, ``benchmarks/cnn.py``) by steps, in the same interleaved schedule.

The thread-count variables are set here, before anything imports NumPy or
PyTorch; every measurement then runs in a child process that inherits them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Train 784-256-128-10, the small CNN and LeNet-5 on Fashion-MNIST with "
                    "glassnet and its peers, interleaved and repeated, and print Markdown "
                    "tables.")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 3,000 training samples, 2 epochs, 3 CNN steps, 1 repeat "
                        "(< 1 minute)")
    p.add_argument("--epochs", type=int, help="epochs per training run (default 15)")
    p.add_argument("--repeats", type=int, help="interleaved repeats of every run (default 3)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library (default 2)")
    p.add_argument("--only", default="glassnet,torch,torch-fused,sklearn,classic,cnn",
                   help="comma-separated groups (glassnet, torch, torch-fused, sklearn, classic, "
                        "cnn, estimators) "
                        "or task names (e.g. glassnet-b128, lenet5-torch-b128)")
    p.add_argument("--cnn-steps", type=_positive_int,
                   help="timed steps per CNN run at batch 128, after 5 untimed warm-up steps "
                        "(default 100; 3 in --quick)")
    p.add_argument("--data-dir", help="folder with the Fashion-MNIST IDX files (default: "
                                      "$GLASSNET_DATA, the loader's search, ../shared/data)")
    p.add_argument("--n-train", type=int, help="train on the first N samples only")
    p.add_argument("--sklearn-epochs", type=int,
                   help="epochs per scikit-learn run (default: --epochs)")
    p.add_argument("--sklearn-repeats", type=int,
                   help="scikit-learn repeats (default 2: it is the slowest peer)")
    p.add_argument("--classic-samples", type=int,
                   help="samples for classic vs book, per repeat (default 3,000)")
    p.add_argument("--max-wait", type=float,
                   help="seconds to wait before each run for other processes to use fewer "
                        "than --quiet-cores (default 60; 0 in --quick)")
    p.add_argument("--quiet-cores", type=float, default=0.3,
                   help="background load, in cores, under which the machine counts as quiet "
                        "(default 0.3)")
    p.add_argument("--keep-noisy", action="store_true",
                   help="keep runs during which other processes used more than --quiet-cores "
                        "(by default they are left out when a quieter repeat exists)")
    p.add_argument("--baseline", metavar="SRC",
                   help="also train glassnet at batch 128 (dense, and each CNN selected) from "
                        "another checkout's src/ folder (e.g. a git worktree of an earlier "
                        "commit), interleaved with the others: the same-run ratio of two "
                        "versions of glassnet to PyTorch")
    p.add_argument("--report", metavar="JSON",
                   help="run nothing: print the tables again from a saved results JSON")
    p.add_argument("--no-write", action="store_true", help="print only, write nothing to results/")
    args = p.parse_args(argv)
    if args.baseline and not (Path(args.baseline) / "glassnet").is_dir():
        p.error(f"--baseline {args.baseline}: no glassnet package there; give the src/ folder "
                "of another checkout (the one holding glassnet/)")
    return args


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def settings_from(args: argparse.Namespace):
    from .suite import Settings

    quick = args.quick
    epochs = args.epochs or (2 if quick else 15)
    return Settings(
        epochs=epochs,
        repeats=args.repeats or (1 if quick else 3),
        threads=args.threads,
        only=[x.strip() for x in args.only.split(",") if x.strip()],
        data_dir=args.data_dir,
        n_train=args.n_train or (3000 if quick else None),
        n_test=1000 if quick else None,
        sklearn_epochs=args.sklearn_epochs or epochs,
        sklearn_repeats=args.sklearn_repeats or (1 if quick else 2),
        classic_samples=args.classic_samples or (300 if quick else 3000),
        latency_calls=100 if quick else 2000,
        batch_latency_calls=3 if quick else 20,
        ceiling_chunks=2 if quick else 5,
        quick=quick,
        max_wait_s=args.max_wait if args.max_wait is not None else (0.0 if quick else 60.0),
        quiet_cores=args.quiet_cores,
        baseline_src=str(Path(args.baseline).resolve()) if args.baseline else None,
        cnn_steps=args.cnn_steps or (3 if quick else 100),
        cnn_matmul_repeats=3 if quick else 20,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from .machine import set_thread_env

    set_thread_env(args.threads)  # before NumPy is imported, here and in every worker

    import json
    import os
    from dataclasses import asdict
    from pathlib import Path

    from . import cnn_report, machine, report, suite, summary

    if args.report:  # re-summarise saved raw runs, e.g. after changing the report
        doc = json.loads(Path(args.report).read_text())
        results, skipped = doc["runs"], doc["skipped"]
        quiet_cores = doc["settings"]["quiet_cores"]
    else:
        settings = settings_from(args)
        quiet_cores = settings.quiet_cores
        machine_info = machine.describe(Path(__file__).resolve().parents[1])
        started = time.perf_counter()
        log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        results, skipped = suite.run_all(settings, log=log)
        doc = {
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            "wall_s": time.perf_counter() - started,
            "settings": asdict(settings),
            "machine": machine_info,
            "loadavg_end": os.getloadavg()[0],
        }
    summaries, problems = summary.summarise(
        results, max_background=None if args.keep_noisy else quiet_cores)
    doc.update({
        "summary": summaries,
        "ratios": summary.ratios(summaries),
        "targets": summary.targets(summaries),
        "cnn_ratios": cnn_report.ratios(summaries),
        "skipped": skipped,
        "problems": problems,
        "runs": results,
    })
    text = report.markdown(doc)
    print(text)
    if not (args.no_write or args.report):
        json_path, md_path = report.write(doc, text)
        print(f"\nwritten: {json_path} and {md_path}", file=sys.stderr)
    failed = sorted({r["task"] for r in results if "error" in r} - set(summaries))
    if failed:  # every run of these failed: no figure stands for them
        print(f"\nfailed, no figures: {', '.join(failed)} (the errors are under Notes)",
              file=sys.stderr)
    return 1 if failed or (problems and not summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
