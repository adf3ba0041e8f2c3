"""The ``glassnet`` command line.

Exit codes: 0 success, 1 a runtime failure (data not found, bad file, ...),
2 bad usage (argparse's convention). Errors are one line on stderr that
says what to do.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import __version__
from .errors import GlassnetError


def _demo(args: argparse.Namespace) -> int:
    from .datasets import make_moons
    from .models import mlp
    from .optimizers import Adam
    from .training import EpochLogger

    X, y = make_moons(args.samples, noise=args.noise, seed=args.seed)
    X_test, y_test = make_moons(args.samples // 2, noise=args.noise, seed=args.seed + 1)
    net = mlp([2, args.hidden, 2], activation=args.activation, seed=args.seed)
    print(f"two moons: {X.shape[0]} training and {X_test.shape[0]} test points, "
          f"noise {args.noise}")
    print(net.summary())
    start = time.perf_counter()
    every = 1 if args.verbose else max(1, args.epochs // 10)
    net.fit(X, y, optimizer=Adam(args.lr), epochs=args.epochs, batch_size=args.batch_size,
            validation_data=(X_test, y_test), seed=args.seed, verbose=0,
            callbacks=[EpochLogger(args.epochs, every=every)])
    elapsed = time.perf_counter() - start
    train_acc = net.evaluate(X, y)["accuracy"]
    test_acc = net.evaluate(X_test, y_test)["accuracy"]
    print(f"train accuracy {train_acc:.4f}   test accuracy {test_acc:.4f}   "
          f"time {elapsed:.2f}s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Neural networks from scratch in NumPy: train, inspect and use them.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo", help="train a small network on generated two-moons data",
        description="Train 2-H-2 network on the two-moons data set (no download) "
                    "and print its train and test accuracy.")
    demo.add_argument("--samples", type=int, default=1000, help="training points (default 1000)")
    demo.add_argument("--noise", type=float, default=0.2, help="moons noise (default 0.2)")
    demo.add_argument("--hidden", type=int, default=16, help="hidden units (default 16)")
    demo.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    demo.add_argument("--epochs", type=int, default=200, help="epochs (default 200)")
    demo.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    demo.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("-v", "--verbose", action="store_true", help="a line for every epoch")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (GlassnetError, ValueError, OSError, ImportError) as exc:
        print(f"glassnet {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
