"""What ``glassnet train`` uses when an option is not given, and the options it refuses.

Defaults depend on the data: the toy data sets (two features, a thousand
points) train well with a small tanh layer and a larger step, the pictures
with a wider ReLU layer and Adam's usual step. An option that would have no
effect (``--momentum`` with Adam, ``--activation`` with ``--book``) is
refused with the reason, never silently ignored.
"""

from __future__ import annotations

import argparse
from typing import Any

from .data import TOYS

__all__ = ["resolve_train_options", "BOOK_DEFAULTS"]

_COMMON: dict[str, Any] = {
    "loss": "softmax_cross_entropy", "dropout": 0.0, "optimizer": "adam", "momentum": 0.0,
    "weight_decay": 0.0, "dtype": "float32",
}
_TOY_DEFAULTS: dict[str, Any] = {
    "hidden": [16], "activation": "tanh", "lr": 0.01, "batch_size": 32, "epochs": 100,
}
_PICTURE_DEFAULTS: dict[str, Any] = {
    "hidden": [128], "activation": "relu", "lr": 1e-3, "batch_size": 128, "epochs": 10,
}
BOOK_DEFAULTS: dict[str, Any] = {"hidden": [200], "lr": 0.1, "epochs": 5}
_CNN_DEFAULTS: dict[str, Any] = {"epochs": 5}
# what each convolutional model fixes itself (None: every option is taken)
_NOT_WITH_MODEL = {"cnn": ("activation", "loss"), "lenet5": ("hidden", "loss", "dropout")}

# options --book cannot honour: the book's network and recipe fix them
_NOT_WITH_BOOK = ("activation", "loss", "dropout", "optimizer", "momentum", "nesterov",
                  "weight_decay", "clip_norm", "batch_size", "validation_split",
                  "early_stopping", "lr_schedule", "warmup_epochs", "backup_dir", "resume_anyway",
                  "dtype")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_model(args: argparse.Namespace) -> None:
    """Refuse what ``--model cnn`` or ``lenet5`` would ignore."""
    model = getattr(args, "model", "mlp")
    if model == "mlp":
        return
    if args.book:
        raise ValueError(f"--book trains the book's own network; drop --model {model}")
    if args.dataset in TOYS:
        raise ValueError(f"--model {model} reads 28x28 pictures, and {args.dataset} has two "
                         "features per sample; use it on mnist, fashion-mnist or a CSV of "
                         "784 pixels, or drop --model")
    given = [_flag(n) for n in _NOT_WITH_MODEL[model] if getattr(args, n) is not None]
    if given:
        raise ValueError(f"--model {model} fixes its layers, activations and loss, so it does "
                         f"not take {', '.join(given)}: drop "
                         f"{'it' if len(given) == 1 else 'them'}")
    if model == "cnn" and args.hidden is not None and len(args.hidden) != 1:
        raise ValueError(f"--model cnn has one dense hidden layer, got --hidden "
                         f"{','.join(map(str, args.hidden))}; give one size, e.g. --hidden 128")


def resolve_train_options(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in the defaults for ``args.dataset`` and refuse options that would do nothing.

    Raises
    ------
    ValueError
        An option that has no effect with the others given.
    """
    _check_model(args)
    if args.book:
        given = [_flag(n) for n in _NOT_WITH_BOOK
                 if getattr(args, n) not in (None, False)]
        if given:
            raise ValueError(
                f"--book trains the book's network and recipe exactly (sigmoid layers without "
                f"biases, sum of squared errors, one sample at a time); it does not take "
                f"{', '.join(given)}: drop {'it' if len(given) == 1 else 'them'}, or leave out "
                "--book to train an engine network")
        if args.hidden is not None and len(args.hidden) != 1:
            raise ValueError(f"--book trains one hidden layer, got --hidden "
                             f"{','.join(map(str, args.hidden))}; give one size, e.g. "
                             "--hidden 200")
        if args.scale not in (None, "book"):
            raise ValueError(f"--book scales inputs to 0.01-1.0 as the book does; drop --scale "
                             f"{args.scale}")
        args.scale = "book"
        for name, value in BOOK_DEFAULTS.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
        return args
    optimizer = args.optimizer or _COMMON["optimizer"]
    if optimizer != "sgd":
        ignored = [f for f, v in (("--momentum", args.momentum), ("--nesterov", args.nesterov))
                   if v not in (None, False)]
        if ignored:
            verb = "applies" if len(ignored) == 1 else "apply"
            name = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}.get(optimizer,
                                                                                optimizer)
            raise ValueError(f"{' and '.join(ignored)} only {verb} to --optimizer sgd; "
                             f"{name} keeps its own running averages: add --optimizer sgd, "
                             "or drop "
                             f"{' and '.join(ignored)}")
    if args.nesterov and not args.momentum:
        raise ValueError("--nesterov needs --momentum above 0 (e.g. --momentum 0.9)")
    _check_validation_options(args)
    defaults = _TOY_DEFAULTS if args.dataset in TOYS else _PICTURE_DEFAULTS
    if getattr(args, "model", "mlp") != "mlp":
        defaults = {**defaults, **_CNN_DEFAULTS}
    for name, value in {**_COMMON, **defaults}.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _check_validation_options(args: argparse.Namespace) -> None:
    """Refuse model selection on the test split, a warm-up without a schedule, and
    ``--resume-anyway`` without a backup."""
    split = args.validation_split
    if split is not None and not 0 <= split < 1:
        raise ValueError(f"--validation-split is the fraction of the training data held out, "
                         f"in [0, 1); got {split:g}: give e.g. --validation-split 0.1")
    if args.early_stopping is not None and split == 0:
        raise ValueError(
            "--early-stopping picks the epoch with the best validation loss, and "
            "--validation-split 0 leaves no validation data but the test split; choosing on "
            "the test split would make its score an optimistic guess, not a test: drop "
            "--validation-split 0 (early stopping then holds out 10% of the training data), "
            "give another fraction (e.g. 0.2), or drop --early-stopping")
    if args.warmup_epochs is not None and args.lr_schedule != "cosine":
        raise ValueError(f"--warmup-epochs {args.warmup_epochs} only applies to --lr-schedule "
                         "cosine (the warm-up ramps the learning rate up to where the cosine "
                         "starts); add --lr-schedule cosine, or drop --warmup-epochs")
    if args.resume_anyway and args.backup_dir is None:
        raise ValueError("--resume-anyway continues a backup made by another command; it "
                         "needs --backup-dir DIR")
    args.lr_schedule = args.lr_schedule or "constant"
    args.warmup_epochs = 0 if args.warmup_epochs is None else args.warmup_epochs
