"""The ``glassnet`` command line: demo, train, evaluate, predict, info, export, trace.

Exit codes: 0 success, 1 a runtime failure (data not found, bad file, a
diverging run, ...), 2 bad usage (argparse's convention, also for values
found wrong after parsing: ``cli.usage.UsageError``), 130 Ctrl-C. Errors are one line on stderr that
says what went wrong and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import GlassnetError
from . import commands
from . import export as export_command
from . import trace as trace_command
from .data import NAMES
from .guards import Interrupted, one_line_warnings
from .usage import UsageError

__all__ = ["build_parser", "main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number >= 0 (NumPy's seeds are non-negative), got {text}")
    return value


def _sizes(text: str) -> list[int]:
    parts = [s.strip() for s in text.split(",")]
    if not text.strip() or any(not s for s in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes like 256,128, got {text!r} (an empty size); "
            "give at least one size, e.g. --hidden 128")
    try:
        sizes = [int(s) for s in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes like 256,128, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="folder with the data set's files, or the folder holding "
                                      "its mnist/ or fashion-mnist/ subfolder (else "
                                      "$GLASSNET_DATA, system folders, the cache, then a "
                                      "download)")
    p.add_argument("--no-download", action="store_true", help="never download data")
    p.add_argument("--scale", choices=("unit", "book", "none"), default=None,
                   help="pixel scaling: unit x/255, book x/255*0.99+0.01 (default: as trained, "
                        "else unit)")
    p.add_argument("--samples", type=_positive_int, default=None,
                   help="points to generate for the toy data sets (default 1000, or as "
                        "trained); for pictures and CSV files, use the first N samples of "
                        "each split")
    p.add_argument("--noise", type=float, default=None,
                   help="noise of a toy data set (default: the generator's, or as trained)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="random seed, a whole number >= 0 (default 0, or as trained)")


def build_parser() -> argparse.ArgumentParser:
    """The ``glassnet`` argument parser, one sub-command per action."""
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Neural networks from scratch in NumPy: train, inspect and use them.")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on a failure, print the full traceback too")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser(
        "demo", help="train a small network on generated two-moons data",
        description="Train a 2-H-2 network on the two-moons data set (generated, nothing to "
                    "download), print its progress and its train and test accuracy, and, "
                    "with the plot extra, draw the decision boundary and training curves.")
    demo.add_argument("--samples", type=_positive_int, default=1000,
                      help="training points (default 1000)")
    demo.add_argument("--noise", type=float, default=0.2, help="moons noise (default 0.2)")
    demo.add_argument("--hidden", type=_positive_int, default=16,
                      help="hidden units (default 16)")
    demo.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    demo.add_argument("--epochs", type=_positive_int, default=200, help="epochs (default 200)")
    demo.add_argument("--batch-size", type=_positive_int, default=32,
                      help="batch size (default 32)")
    demo.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    demo.add_argument("--seed", type=_seed, default=0,
                      help="random seed, a whole number >= 0 (default 0)")
    demo.add_argument("--out-dir", default="glassnet-demo",
                      help="folder for the pictures (default glassnet-demo)")
    demo.add_argument("--no-plots", action="store_true", help="do not draw pictures")
    demo.add_argument("-v", "--verbose", action="store_true", help="a line for every epoch")
    demo.set_defaults(run=commands.demo)

    train = sub.add_parser(
        "train", help="train a network on a data set and save it",
        description=f"Train a multilayer perceptron on a data set ({', '.join(NAMES)}) or a "
                    "CSV file in the book's format (label, then 784 pixels per line), save "
                    "it, and report its test accuracy.")
    train.add_argument("dataset", help=f"one of {', '.join(NAMES)}, or a .csv file")
    _add_data_options(train)
    train.add_argument("--test", metavar="FILE", default=None,
                       help="with a CSV training file: the CSV file to test on (default: "
                            "mnist_test_10.csv beside the training file, when it is there)")
    train.add_argument("--book", action="store_true",
                       help="train exactly the network and recipe of Make Your Own Neural "
                            "Network: glassnet.classic.neuralNetwork (no biases, sigmoid "
                            "layers, sum of squared errors), one sample at a time, targets "
                            "0.01/0.99, inputs scaled 0.01-1.0; --hidden (default 200), --lr "
                            "(default 0.1) and --epochs (default 5) may be given")
    train.add_argument("--model", choices=("mlp", "cnn", "lenet5"), default="mlp",
                       help="mlp (default): Dense layers of --hidden sizes; cnn: two "
                            "conv-BN-ReLU-pool blocks and a dense head of --hidden units "
                            "(glassnet.models.small_cnn); lenet5: LeNet-5. The last two read "
                            "28x28 pictures and train 5 epochs by default")
    train.add_argument("--hidden", type=_sizes, default=None,
                       help="hidden layer sizes, comma-separated (default 16 for the toy data "
                            "sets, 128 for pictures)")
    train.add_argument("--activation", default=None,
                       help="hidden activation: relu, tanh, sigmoid, leaky_relu (default tanh "
                            "for the toy data sets, relu for pictures)")
    train.add_argument("--loss", default=None, help="loss (default softmax_cross_entropy)")
    train.add_argument("--dropout", type=float, default=None,
                       help="dropout probability after each hidden layer (default 0)")
    train.add_argument("--optimizer", choices=("adam", "adamw", "rmsprop", "sgd"), default=None,
                       help="default adam; with adamw, --weight-decay is decoupled")
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate (default 0.01 for the toy data sets, 0.001 for "
                            "pictures)")
    train.add_argument("--momentum", type=float, default=None,
                       help="SGD momentum (default 0; only with --optimizer sgd)")
    train.add_argument("--nesterov", action="store_true",
                       help="Nesterov momentum (only with --optimizer sgd)")
    train.add_argument("--weight-decay", type=float, default=None,
                       help="weight decay of the weights, not the biases (L2; decoupled "
                            "with adamw)")
    train.add_argument("--clip-norm", type=float, default=None,
                       help="clip the gradient's global norm to this value")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="epochs (default 100 for the toy data sets, 10 for pictures)")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="batch size (default 32 for the toy data sets, 128 for pictures)")
    train.add_argument("--validation-split", type=float, default=None,
                       help="fraction of the training data held out (seeded, stratified) for "
                            "validation (default: 0.1 with --early-stopping, else the test "
                            "split is shown each epoch)")
    train.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                       help="stop when the validation loss has not improved for PATIENCE "
                            "epochs and keep the best epoch's weights; validation then comes "
                            "from the training data, the test split is only reported at the end")
    train.add_argument("--lr-schedule", choices=("constant", "cosine"), default=None,
                       help="cosine: decay the learning rate to 0 along a half cosine "
                            "(default constant)")
    train.add_argument("--warmup-epochs", type=int, default=None,
                       help="with --lr-schedule cosine: epochs of linear warm-up (default 0)")
    train.add_argument("--backup-dir", "--resume", dest="backup_dir", metavar="DIR",
                       default=None,
                       help="back up the whole training state into DIR after every epoch; "
                            "Ctrl-C then stops once the current epoch is backed up; rerun the "
                            "same command to continue a stopped or killed run exactly (a "
                            "backup made by another command is refused)")
    train.add_argument("--resume-anyway", action="store_true",
                       help="with --backup-dir: continue a backup although it was made with "
                            "other data or options (the differences are shown)")
    train.add_argument("--data-parallel", action="store_true",
                       help="under mpiexec -n N: each rank trains on its shard of every batch "
                            "(pip install 'glassnet[mpi]'); rank 0 writes the output")
    train.add_argument("--dtype", choices=("float32", "float64"), default=None,
                       help="default float32")
    train.add_argument("-o", "--output", default="model.safetensors",
                       help="model file to write (default model.safetensors)")
    train.add_argument("--plots", metavar="DIR", default=None,
                       help="also draw training curves, confusion matrix, ... into DIR")
    train.set_defaults(run=commands.train)

    evaluate = sub.add_parser(
        "evaluate", help="accuracy, loss and confusion matrix of a saved model",
        description="Evaluate a saved model on a data set (by default the one it was "
                    "trained on, test split).")
    evaluate.add_argument("model", help="model file written by glassnet train")
    evaluate.add_argument("dataset", nargs="?", default=None,
                          help="data set name or .csv file (default: the model's)")
    evaluate.add_argument("--split", choices=("test", "train"), default="test")
    _add_data_options(evaluate)
    evaluate.set_defaults(run=commands.evaluate)

    predict = sub.add_parser(
        "predict", help="label pictures or CSV rows with a saved model",
        description="Print the predicted label and the top probabilities for each picture "
                    "(PNG, JPEG: a digit or garment, dark on light or light on dark) or each "
                    "row of a CSV file. Pictures are prepared as the training data was "
                    "(--preprocess), with a warning when one looks unlike it.")
    predict.add_argument("model", help="model file")
    predict.add_argument("inputs", nargs="+", help="image files or .csv files")
    predict.add_argument("--scale", choices=("unit", "book", "none"), default=None,
                         help="pixel scaling (default: as the model was trained)")
    predict.add_argument("--top", type=_positive_int, default=3,
                         help="probabilities to show (default 3)")
    predict.add_argument("--invert", action=argparse.BooleanOptionalAction, default=None,
                         help="--invert: the pictures are dark on light, --no-invert: light on "
                              "dark as MNIST stores them (default: decided from each "
                              "picture's background)")
    predict.add_argument("--preprocess", choices=("mnist", "plain"), default=None,
                         help="mnist: cut to the ink, fit in 20x20, centre by mass, as MNIST's "
                              "digits were made; plain: fit the whole picture into 28x28, as "
                              "Fashion-MNIST's garments (default: plain for fashion-mnist "
                              "models, else mnist)")
    predict.add_argument("--show", metavar="PATH", default=None,
                         help="write the 28x28 the network sees, enlarged, as a PNG: PATH for "
                              "one picture, a folder PATH for several")
    predict.set_defaults(run=commands.predict)

    info = sub.add_parser("info", help="describe a saved model",
                          description="Print a saved model's layers, sizes and metadata.")
    info.add_argument("model", help="model file")
    info.set_defaults(run=commands.info)
    export_command.add_parser(sub)
    trace_command.register(sub)
    from ..playground.command import register as register_playground

    register_playground(sub)
    for command in sub.choices.values():  # --debug after the command works too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="on a failure, print the full traceback too")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with one_line_warnings(args.command):
            return int(args.run(args))
    except UsageError as exc:  # bad usage found after parsing: argparse's exit code
        print(f"glassnet {args.command}: error: {exc} (see glassnet {args.command} --help)",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) has gone: nothing left to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the exit flush cannot fail
        return 0
    except KeyboardInterrupt as exc:  # Interrupted says what was saved and how to go on
        said = f"; {exc}" if isinstance(exc, Interrupted) and str(exc) else ""
        print(f"glassnet {args.command}: interrupted{said}", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure ends as one line; --debug shows the traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        expected = isinstance(exc, (GlassnetError, ValueError, TypeError, OSError, ImportError,
                                    FloatingPointError))
        # One line says what is wrong; a data set not found adds the places it searched.
        message = str(exc) or type(exc).__name__
        if not expected:  # a failure glassnet did not foresee: say so, and how to report it
            message = (f"unexpected {type(exc).__name__}: {message} (run again with --debug "
                       "for the traceback)")
        print(f"glassnet {args.command}: error: {message}", file=sys.stderr)
        strategy = getattr(args, "strategy", None)
        if strategy is not None and strategy.world_size > 1:
            strategy.abort(1)  # the other ranks would wait for this one
        return 1
