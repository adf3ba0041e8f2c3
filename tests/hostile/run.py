"""Throw hostile files at glassnet's readers; the oracle is "only documented errors, in bounds".

Usage (from the repository root)::

    PYTHONPATH=src python tests/hostile/run.py                # the short run (under a minute)
    PYTHONPATH=src python tests/hostile/run.py --minutes 30   # a long run: more random mutations
    PYTHONPATH=src python tests/hostile/run.py --loader glassnet.io:load

Every file is written to a scratch folder and handed to its target (the
model loader, ``read_idx``, the CSV reader, ``image_to_input``) in a worker
process, which measures each call's time and traced memory (tracemalloc,
which sees NumPy's arrays) under a hard address-space limit. A case fails
when the call

* raises anything but a ``GlassnetError`` (or ``FileNotFoundError``), e.g. a
  raw ``RuntimeError``, ``RecursionError`` or ``MemoryError``;
* raises a ``GlassnetError`` that does not name the file;
* loads a file it must refuse (a crafted attack or a truncation): a silent load;
* takes longer than the time limit, or traces more memory than the limit
  (a fixed cap plus a multiple of the file's size);
* kills the worker;
* for every single-bit flip of a small model written by ``glassnet.io.save``
  (``--bit-flips``, and in CI): loads with predictions that differ from the
  original's (the oracle is "refused, or identical predictions").

The corpus is ``hostile_corpus``: every crafted attack, then seeded random
bit flips and truncations of good files. Exit status 0 means no failure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TIME_LIMIT = 10.0  # seconds per call
MEMORY_CAP = 64 << 20  # bytes traced per call beyond the file itself...
MEMORY_PER_FILE_BYTE = 4  # ...plus this many times the file's size
# A picture's memory is bounded by Pillow's decompression-bomb limit, not by its file size:
# PIL.Image.MAX_IMAGE_PIXELS (89 million) pixels of up to 4 bytes.
IMAGE_MEMORY_CAP = 400 << 20
ADDRESS_SPACE = 3 << 30  # the worker's hard limit: a blow-up ends as MemoryError, not a dead box


class _TimeUp(BaseException):
    """Raised in the worker when a call runs out of time (not an Exception: nothing catches it)."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimeUp()


def work(folder: Path, loader: str | None) -> None:
    """Worker: run every case listed in ``folder/cases.json``, write ``folder/results.json``."""
    from hostile_targets import describe, targets

    from glassnet.errors import GlassnetError

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    signal.signal(signal.SIGALRM, _on_alarm)
    chosen = targets(loader)
    cases = json.loads((folder / "cases.json").read_text())
    results = []
    tracemalloc.start()
    for case in cases:
        path = folder / case["file"]
        size = path.stat().st_size
        (folder / "current").write_text(case["name"])  # who killed the worker, if one does
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
        outcome, detail = "loaded", ""
        try:
            detail = describe(chosen[case["target"]](str(path)))
        except _TimeUp:
            outcome, detail = "timeout", f"over {TIME_LIMIT} s"
        except (GlassnetError, FileNotFoundError) as exc:
            outcome, detail = "refused", str(exc)
            if str(path) not in detail:
                outcome = "unnamed"
        except BaseException as exc:  # noqa: BLE001 - every other exception is the finding
            outcome, detail = "raw", f"{type(exc).__name__}: {exc}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - base
        results.append(dict(case, size=size, outcome=outcome, detail=detail[:300],
                            seconds=seconds, peak=peak))
    tracemalloc.stop()
    (folder / "results.json").write_text(json.dumps(results))


def verdict(result: dict) -> str | None:
    """Why a result is a failure, or None."""
    if result["outcome"] in ("raw", "timeout", "unnamed"):
        return f"{result['outcome']}: {result['detail']}"
    if result["outcome"] == "loaded" and result["must_refuse"]:
        return f"silent load: {result['detail']}"
    if result["outcome"] == "loaded" and result.get("expect") not in (None, result["detail"]):
        return "loaded with predictions that differ from the original's"
    cap = IMAGE_MEMORY_CAP if result["target"] == "image" else MEMORY_CAP
    limit = cap + MEMORY_PER_FILE_BYTE * result["size"]
    if result["peak"] > limit:
        return f"traced {result['peak']} bytes, over the limit of {limit}"
    return None


def run_batch(cases: list[tuple], loader: str | None) -> tuple[list[dict], int]:
    """Run ``(target, name, data, must_refuse[, expect])`` cases in one worker; results and
    its peak RSS. ``expect``: what a load must return (a predictions fingerprint), if anything."""
    with tempfile.TemporaryDirectory(prefix="glassnet-hostile-") as tmp:
        folder = Path(tmp)
        listing = []
        for i, (target, name, data, must_refuse, *expect) in enumerate(cases):
            file = f"case{i:05d}"
            (folder / file).write_bytes(data)
            listing.append({"target": target, "name": name, "file": file,
                            "must_refuse": must_refuse, "expect": (expect or [None])[0]})
        (folder / "cases.json").write_text(json.dumps(listing))
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(folder)]
        if loader:
            command += ["--loader", loader]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=TIME_LIMIT * len(cases) + 120)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        rss = rss if rss > before * 1024 else before * 1024
        if proc.returncode != 0 or not (folder / "results.json").exists():
            current = (folder / "current").read_text() if (folder / "current").exists() else "?"
            dead = {"target": "?", "name": current, "outcome": "worker died", "must_refuse": True,
                    "detail": f"exit {proc.returncode}: {proc.stderr[-500:]}", "size": 0,
                    "seconds": 0.0, "peak": 0}
            return [dead], rss
        return json.loads((folder / "results.json").read_text()), rss


def build_cases(seed: int, n_mutations: int, crafted: bool = True
                ) -> list[tuple[str, str, bytes, bool]]:
    """The crafted corpus (when asked) and ``n_mutations`` mutations of each good seed file."""
    import hostile_corpus as corpus
    import numpy as np

    rng = np.random.default_rng(seed)
    cases: list[tuple[str, str, bytes, bool]] = []
    seeds: list[tuple[str, bytes, bool]] = [
        ("model", corpus.good_npz(), True),
        ("model", corpus.good_safetensors(), True),
        ("idx", corpus.good_idx(), True),
        ("idx", corpus.good_idx(gz=False), True),
        ("csv", corpus.good_csv(), False),  # a cut at a line end is a valid, shorter file
    ]
    for target, make in corpus.CRAFTED.items():
        for name, data, must_refuse in make():
            if crafted:
                cases.append((target, name, data, must_refuse))
            if target == "image" and name == "image/good":
                seeds.append(("image", data, False))  # Pillow may accept a cut PNG
    for target, data, cuts_fail in seeds:
        for name, mutated, must_refuse in corpus.mutations(data, rng, n_mutations, target):
            cases.append((target, name, mutated, must_refuse and cuts_fail))
    return cases


def bit_flip_cases() -> list[tuple]:
    """Every single-bit flip of a small digested model, each to be refused or harmless."""
    import hostile_models

    data, expect = hostile_models.small_model(), hostile_models.reference_fingerprint()
    return [("predictions", name, flipped, False, expect)
            for name, flipped in hostile_models.every_bit_flip(data)]


def report(results: list[dict], rss: int, seconds: float) -> int:
    failures = [(r, why) for r in results if (why := verdict(r))]
    by_target: dict[str, int] = {}
    for r in results:
        by_target[r["target"]] = by_target.get(r["target"], 0) + 1
    refused = sum(r["outcome"] == "refused" for r in results)
    peak = max((r["peak"] for r in results), default=0)
    slowest = max((r["seconds"] for r in results), default=0.0)
    print(f"hostile inputs tried: {len(results)} {by_target}")
    print(f"refused with glassnet's error: {refused}, loaded: "
          f"{sum(r['outcome'] == 'loaded' for r in results)}")
    flips = [r for r in results if r["target"] == "predictions"]
    if flips:
        same = sum(r["outcome"] == "loaded" and r["detail"] == r["expect"] for r in flips)
        print(f"single-bit flips of a {len(flips) // 8}-byte model: {len(flips)}, refused "
              f"{sum(r['outcome'] == 'refused' for r in flips)}, loaded with identical "
              f"predictions {same}")
    print(f"peak traced memory of one call: {peak / 2**20:.1f} MiB; worker peak RSS "
          f"{rss / 2**20:.0f} MiB; slowest call {slowest:.2f} s; wall time {seconds:.0f} s")
    for r, why in failures[:50]:
        print(f"FAIL [{r['target']}] {r['name']}: {why}")
    print(f"failures: {len(failures)}")
    return len(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="keep adding random mutations for this long (default: short run)")
    parser.add_argument("--mutations", type=int, default=150,
                        help="random mutations of each good seed file per batch")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--loader", default=None,
                        help="module:function to load model files (default: the generic "
                             "reader over glassnet's hardened readers)")
    parser.add_argument("--bit-flips", action="store_true",
                        help="also try every single-bit flip of a small model written by "
                             "glassnet.io.save (about 10,000 loads)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work(args.worker, args.loader)
        return 0
    start = time.perf_counter()
    results, rss = run_batch(build_cases(args.seed, args.mutations), args.loader)
    if args.bit_flips:
        flips, flip_rss = run_batch(bit_flip_cases(), args.loader)
        results += flips
        rss = max(rss, flip_rss)
    batch = 1
    while time.perf_counter() - start < args.minutes * 60:
        more, more_rss = run_batch(build_cases(args.seed + batch, 500, crafted=False),
                                   args.loader)
        results += more
        rss = max(rss, more_rss)
        batch += 1
    return 1 if report(results, rss, time.perf_counter() - start) else 0


if __name__ == "__main__":
    sys.exit(main())
