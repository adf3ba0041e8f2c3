"""What each ``glassnet`` sub-command does; the parser lives in ``__init__``."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackupMismatchError
from . import data as cli_data
from .backup import in_cli_terms, mismatch_warnings_as_lines, train_fingerprint
from .guards import DivergenceGuard, Interrupted, ResumeNotice, StopOnInterrupt, interrupt_message
from .usage import UsageError, check_data_args, check_train_args

# the epoch lines' loss and accuracy are not those of the trained network
EPOCH_LEGEND = ("each epoch line: loss and accuracy averaged over the epoch's batches while "
                "the weights changed")

# Rows per forward pass when evaluating or predicting a data set: a small CNN's
# activations for 10,000 MNIST pictures at once made a peak RSS of 1.5 GB, 1,000 of 0.3 GB.
EVAL_BATCH = 1000


def demo(args: argparse.Namespace) -> int:
    """Two moons, a 2-H-2 network, a few lines of progress, and the accuracy."""
    from ..datasets import make_moons
    from ..models import mlp
    from ..optimizers import Adam
    from ..training import EpochLogger
    from .data import MAX_TOY_SAMPLES

    if args.samples > MAX_TOY_SAMPLES:  # as train refuses it, before gigabytes are asked for
        raise ValueError(f"--samples {args.samples:,} is more points than a generated data set "
                         f"holds here (at most {MAX_TOY_SAMPLES:,}); give fewer")
    X, y = make_moons(args.samples, noise=args.noise, seed=args.seed)
    X_test, y_test = make_moons(args.samples // 2, noise=args.noise, seed=args.seed + 1)
    net = mlp([2, args.hidden, 2], activation=args.activation, seed=args.seed)
    print(f"two moons: {X.shape[0]} training and {X_test.shape[0]} test points, "
          f"noise {args.noise}")
    print(net.summary())
    print(EPOCH_LEGEND + "; val_loss and val_accuracy: the test points")
    start = time.perf_counter()
    every = 1 if args.verbose else max(1, args.epochs // 10)
    history = net.fit(X, y, optimizer=Adam(args.lr), epochs=args.epochs,
                      batch_size=args.batch_size, validation_data=(X_test, y_test),
                      seed=args.seed, verbose=0,
                      callbacks=[EpochLogger(args.epochs, every=every)])
    elapsed = time.perf_counter() - start
    train_acc = net.evaluate(X, y)["accuracy"]
    test_acc = net.evaluate(X_test, y_test)["accuracy"]
    print(f"after training: train accuracy {train_acc:.4f}   test accuracy {test_acc:.4f}   "
          f"time {elapsed:.2f}s")
    if args.no_plots:
        return 0
    from .. import plots

    try:
        plots.require_matplotlib()
    except ImportError:
        print("no pictures written: drawing them needs matplotlib, which the plot extra "
              "installs: pip install 'glassnet[plot]'")
        return 0
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots.plot_decision_boundary(net, X_test, y_test, title="two moons: decision boundary",
                                 path=out / "moons-boundary.png")
    plots.plot_history(history, path=out / "moons-history.png")
    print(f"pictures: {out / 'moons-boundary.png'}, {out / 'moons-history.png'}")
    return 0


def train(args: argparse.Namespace) -> int:
    """Train on a named data set or a CSV file, save the model, report test accuracy.

    With ``--data-parallel`` (under ``mpiexec -n N``) every rank trains its
    shard of each batch; rank 0 alone prints, evaluates and writes ``-o``.
    """
    strategy = _data_parallel(args)
    if strategy is None or strategy.is_chief:
        return _train(args, strategy)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        return _train(args, strategy)


def _data_parallel(args: argparse.Namespace) -> Any:
    """A DataParallel strategy for ``--data-parallel``, kept on ``args`` so that an error
    can stop every rank; else None."""
    if not getattr(args, "data_parallel", False):
        return None
    if args.book:
        raise ValueError("--data-parallel shares fit's mini-batches between processes, but "
                         "--book trains the book's one-sample loop in one process; drop one "
                         "of the two")
    from ..distributed import DataParallel

    args.strategy = DataParallel()
    return args.strategy


def _train(args: argparse.Namespace, strategy: Any) -> int:
    from .. import io
    from ..models import mlp
    from ..optimizers import SGD, Adam, AdamW, RMSprop
    from .book import train_book
    from .options import resolve_train_options

    check_train_args(args)  # names and ranges, before any data is loaded
    try:  # defaults for this data set; refuse options that do nothing
        resolve_train_options(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.plots:
        from .. import plots

        plots.require_matplotlib()  # say so now, not after the training
    _check_output_path(args.output)
    toy = args.dataset in cli_data.TOYS
    args.seed = 0 if args.seed is None else args.seed
    test_file = _test_file(args)
    chief = strategy is None or strategy.is_chief
    if not chief:  # rank 0 downloads (if needed) before the others read the files
        strategy.broadcast(None, "rank 0's loading of the data")
    data = cli_data.load(args.dataset, data_dir=args.data_dir, scale=args.scale or "unit",
                         samples=(args.samples or 1000) if toy else 0,
                         limit=None if toy else args.samples, noise=args.noise,
                         seed=args.seed, download=not args.no_download, test_file=test_file)
    if strategy is not None and chief:
        strategy.broadcast(None, "rank 0's loading of the data")
    if toy:
        args.samples = args.samples or 1000
    assert data.X_train is not None and data.y_train is not None
    n_classes = int(max(data.y_train.max(), data.y_test.max() if data.y_test is not None
                        else 0)) + 1
    cli_data.warn_unexpected_labels(data)
    if args.book:
        args.test_dataset = None if test_file is None else str(Path(test_file).resolve())
        return train_book(args, data, max(n_classes, len(data.class_names or ())))
    try:  # every option is checked; what the builders still refuse is a combination of them
        if getattr(args, "model", "mlp") != "mlp":
            net = _picture_network(args, data.X_train.shape[1], max(n_classes, 2))
        else:
            sizes = [data.X_train.shape[1], *args.hidden, max(n_classes, 2)]
            # labelled classes: a classifier whatever the loss (the book trains one with "sse")
            net = mlp(sizes, activation=args.activation, loss=args.loss, dropout=args.dropout,
                      task="classification", seed=args.seed, dtype=args.dtype)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.optimizer == "sgd":
        optimizer: Any = SGD(args.lr, momentum=args.momentum, nesterov=args.nesterov,
                             weight_decay=args.weight_decay, clip_norm=args.clip_norm)
    else:  # adam, adamw (decoupled weight decay), rmsprop
        optimizer = {"adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}[args.optimizer](
            args.lr, weight_decay=args.weight_decay, clip_norm=args.clip_norm)
    print(f"{data.name}: {data.X_train.shape[0]} training samples, {data.X_train.shape[1]} "
          f"features, {n_classes} classes")
    print(net.summary())
    callbacks, fit_kwargs, stop = _training_callbacks(args, data)
    guard = DivergenceGuard()
    callbacks.insert(0, guard)
    history, resumed_from, elapsed = _fit(args, net, data, optimizer, callbacks, fit_kwargs)
    ran = history.epochs_run - resumed_from
    which = (f" (epochs {resumed_from + 1}-{history.epochs_run}, resumed after epoch "
             f"{resumed_from})" if resumed_from else "")
    print(f"trained {ran} epoch{'s' * (ran != 1)}{which} in {elapsed:.1f}s "
          f"({ran * data.X_train.shape[0] / elapsed:,.0f} samples/s)")
    if guard.diverged is not None:
        raise FloatingPointError(
            f"{guard.diverged}; no model saved. Lower --lr (it is {args.lr:g}), scale the "
            "inputs, or add --clip-norm 1")
    if stop is not None:
        _report_early_stopping(stop, history)
    if not chief:
        return 0  # rank 0 evaluates and writes the model
    separate_test = data.X_test is not None and data.X_test is not data.X_train
    if data.X_test is not None and data.y_test is not None:
        scores = net.evaluate(data.X_test, data.y_test, batch_size=EVAL_BATCH)
        which = "test" if separate_test else "training-set (no separate test data)"
        print(f"{which} " + "  ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    metadata = {"dataset": cli_data.stored_name(args.dataset), "scale": data.scale,
                "class_names": data.class_names}
    if args.dataset in cli_data.TOYS:  # what regenerates the same points for evaluate
        metadata.update(samples=args.samples, noise=args.noise, seed=args.seed)
    if test_file is not None:
        metadata["test_dataset"] = str(Path(test_file).resolve())
    saved = io.save(net, args.output, optimizer=net.optimizer, metadata=metadata)
    print(f"model saved to {saved}")
    if args.plots:
        _training_plots(args.plots, net, history, data)
    return 0


def _test_file(args: argparse.Namespace) -> Path | None:
    """The test CSV file of a CSV training file: ``--test``, or the book's beside it."""
    if Path(args.dataset).suffix.lower() != ".csv":
        return None
    if args.test is not None:
        if not Path(args.test).is_file():
            raise FileNotFoundError(f"--test {args.test}: no such file; give the CSV file to "
                                    "test on, e.g. the book's mnist_test_10.csv")
        return Path(args.test)
    beside = cli_data.book_test_file(args.dataset)
    if beside is not None:
        print(f"test data: {beside} (beside the training file; --test FILE to choose another)")
    return beside


def _fit(args: argparse.Namespace, net: Any, data: cli_data.Data, optimizer: Any,
         callbacks: list[Any], fit_kwargs: dict[str, Any]) -> tuple[Any, int, float]:
    """``net.fit`` with Ctrl-C handled; returns ``(history, epochs done before, seconds)``."""
    import shlex
    import sys

    from ..training import BackupAndRestore

    backup = next((cb for cb in callbacks if isinstance(cb, BackupAndRestore)), None)
    notice = ResumeNotice(backup, args.epochs) if backup is not None else None
    stopper = StopOnInterrupt(args.epochs)
    if backup is not None and notice is not None:
        callbacks = [stopper, *callbacks, notice]  # the notice after the backup's restore
    start = time.perf_counter()
    try:
        with stopper if backup is not None else contextlib.nullcontext(), \
                mismatch_warnings_as_lines():
            history = net.fit(data.X_train, data.y_train, optimizer=optimizer,
                              epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                              callbacks=callbacks, verbose=1,
                              strategy=getattr(args, "strategy", None), **fit_kwargs)
    except BackupMismatchError as exc:  # --backup-dir holds another command's backup
        raise in_cli_terms(exc) from None
    except KeyboardInterrupt:
        command = "glassnet " + " ".join(shlex.quote(a) for a in sys.argv[1:]) \
            if sys.argv[1:] and sys.argv[1] == "train" else "the same glassnet train command"
        raise Interrupted(interrupt_message(args.backup_dir, stopper.epoch, args.epochs,
                                            command)) from None
    resumed_from = notice.resumed_from if notice is not None else 0
    return history, resumed_from, time.perf_counter() - start


def _picture_network(args: argparse.Namespace, n_in: int, n_classes: int) -> Any:
    """``--model cnn`` or ``lenet5`` for rows of 784 pixels, seen as 28x28 pictures."""
    import sys

    from .._fused import numba_available
    from ..models import lenet5, small_cnn

    if n_in != 28 * 28:
        raise ValueError(f"--model {args.model} reads 28x28 pictures (784 pixels per row), but "
                         f"the data have {n_in} features per row; use --model mlp")
    if not numba_available():  # slower, not wrong: say so once, and the way out
        print("note: Numba is not installed, so the picture layers run their NumPy code, a few "
              "times slower; pip install 'glassnet[fast]' for their compiled loops",
              file=sys.stderr)
    if args.model == "lenet5":
        return lenet5(n_classes=n_classes, activation=args.activation, seed=args.seed,
                      dtype=args.dtype)
    return small_cnn(n_classes=n_classes, hidden=args.hidden[0], dropout=args.dropout,
                     seed=args.seed, dtype=args.dtype)


def _training_callbacks(args: argparse.Namespace, data: cli_data.Data
                        ) -> tuple[list[Any], dict[str, Any], Any]:
    """The callbacks and validation options of ``train``: ``(callbacks, fit_kwargs, stop)``.

    Model selection (early stopping) validates on a seeded, stratified split
    of the training data, never on the test split, which is only reported
    at the end.
    """
    from ..training import BackupAndRestore, CosineDecay, EarlyStopping

    assert data.X_train is not None
    callbacks: list[Any] = []
    fit_kwargs: dict[str, Any] = {}
    split = args.validation_split
    if split is None and args.early_stopping is not None:
        split = 0.1
    separate_test = data.X_test is not None and data.X_test is not data.X_train
    if split:
        fit_kwargs["validation_split"] = split
        print(f"validation: {split:.0%} of the training data (seeded, stratified); "
              "the test split is only used at the end")
    elif separate_test:
        fit_kwargs["validation_data"] = (data.X_test, data.y_test)
        print(EPOCH_LEGEND + "; val_loss and val_accuracy: the test split, shown each epoch")
    if args.lr_schedule == "cosine":
        n_fit = data.X_train.shape[0] - int(round((split or 0.0) * data.X_train.shape[0]))
        steps_per_epoch = -(-n_fit // args.batch_size)
        if not 0 <= args.warmup_epochs < args.epochs:
            raise UsageError(f"--warmup-epochs must be in 0..{args.epochs - 1} (fewer than "
                             f"--epochs), got {args.warmup_epochs}")
        callbacks.append(CosineDecay(args.lr, total_steps=args.epochs * steps_per_epoch,
                                     warmup_steps=args.warmup_epochs * steps_per_epoch))
    stop = None
    if args.early_stopping is not None:
        stop = EarlyStopping("val_loss", patience=args.early_stopping)
        callbacks.append(stop)
    if args.backup_dir is not None:
        callbacks.append(BackupAndRestore(
            args.backup_dir, fingerprint=train_fingerprint(args, data),
            on_mismatch="continue" if args.resume_anyway else "raise"))
    return callbacks, fit_kwargs, stop


def _report_early_stopping(stop: Any, history: Any) -> None:
    if history.stopped_early and stop.stopped_epoch is not None:
        print(f"early stopping: stopped after epoch {stop.stopped_epoch + 1}, the validation "
              f"loss had not improved for {stop.patience} epochs")
    else:
        print("early stopping: did not trigger; all epochs ran")
    if stop.restored:
        print(f"kept the weights of epoch {stop.best_epoch + 1} (best validation loss "
              f"{stop.best:.4f})")


def _check_output_path(output: str) -> None:
    """Refuse a model path that cannot be written, before any training time is spent."""
    path = Path(output)
    if path.is_dir():
        raise ValueError(f"-o {output} is a folder; give a file name such as "
                         f"{path / 'model.safetensors'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save the model to {output}: the folder {path.parent} "
                                "does not exist; create it first")


def _training_plots(folder: str, net: Any, history: Any, data: cli_data.Data) -> None:
    from .. import plots

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    plots.plot_history(history, path=out / "history.png")
    if data.X_test is not None and data.y_test is not None:
        pred = net.predict(data.X_test, batch_size=EVAL_BATCH)
        plots.plot_confusion_matrix(data.y_test, pred, class_names=data.class_names,
                                    path=out / "confusion.png")
        if data.X_test.shape[1] == 2:
            plots.plot_decision_boundary(net, data.X_test, data.y_test,
                                         path=out / "boundary.png")
        elif data.X_test.shape[1] == 784:
            plots.plot_misclassified(data.X_test, data.y_test, pred,
                                     class_names=data.class_names,
                                     path=out / "misclassified.png")
            plots.plot_first_layer_weights(net, path=out / "weights.png")
            low = 0.01 if data.scale == "book" else 0.0
            high = 255.0 if data.scale == "none" else 1.0
            plots.plot_imagined(net, labels=range(min(net.n_out, 10)),
                                class_names=data.class_names, input_range=(low, high),
                                path=out / "imagined.png")
            plots.plot_strongest_inputs(net, data.X_test[:5000], units=range(8), k=6,
                                        path=out / "units.png")
    print(f"pictures written to {out}/")


def _model_metadata(path: str) -> dict[str, Any]:
    from .. import io

    return io.model_info(path).get("metadata") or {}


def what_it_knows(meta: dict[str, Any]) -> str:
    """One line on what a model file records of its training data, and what it does not
    (an entry stored as None, e.g. a toy set's scaling, is recorded as "none")."""
    names = meta.get("class_names") or []
    known = [f"data set {meta['dataset']}" if meta.get("dataset") else None,
             f"input scaling {meta['scale']!r}" if meta.get("scale") else None,
             f"{len(names)} class names" if names else None]
    missing = [what for what, key in (("data set", "dataset"), ("input scaling", "scale"),
                                      ("class names", "class_names")) if key not in meta]
    line = ("the model knows its " + ", ".join(k for k in known if k) if any(known)
            else "the model file records nothing of its training data")
    if missing:
        line += f"; it does not record its {', '.join(missing)}"
    return line


def evaluate(args: argparse.Namespace) -> int:
    """Accuracy, loss and the confusion matrix of a saved model on a data set."""
    from .. import io
    from ..network import Network
    from ..training.metrics import confusion_matrix

    net = io.load(args.model)
    meta = _model_metadata(args.model)
    scale = args.scale or meta.get("scale") or ("unit" if isinstance(net, Network) else "book")
    dataset = args.dataset or meta.get("dataset")
    if not dataset:
        raise UsageError(f"name the data set to evaluate on ({what_it_knows(meta)})")
    print(f"{what_it_knows(meta)}; evaluating on {dataset} with input scaling {scale!r}")
    check_data_args(args, dataset)
    dataset, split = _evaluation_data(args, meta, dataset)
    # a toy data set is regenerated as it was for training unless told otherwise
    samples = args.samples or cli_data.stored_setting(meta, "samples", args.model) or 1000
    noise = args.noise if args.noise is not None else cli_data.stored_setting(meta, "noise",
                                                                        args.model)
    seed = args.seed if args.seed is not None else cli_data.stored_setting(meta, "seed",
                                                                   args.model) or 0
    data = cli_data.load(dataset, data_dir=args.data_dir, split=args.split, scale=scale,
                         samples=samples, noise=noise, seed=seed, download=not args.no_download,
                         limit=None if dataset in cli_data.TOYS else args.samples)
    X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    dataset = Path(dataset).name if dataset not in cli_data.TOYS else dataset
    assert X is not None and y is not None
    if not isinstance(net, Network):  # the book's network, scored as the book does
        from .book import classic_predict

        pred = classic_predict(net, X)
        print(f"{dataset} ({split}, {X.shape[0]} samples): accuracy "
              f"{np.mean(pred == y):.4f}")
        print(_confusion_text(confusion_matrix(y, pred, n_classes=net.onodes),
                              meta.get("class_names") or data.class_names))
        return 0
    scores = net.evaluate(X, y, batch_size=EVAL_BATCH)
    print(f"{dataset} ({split}, {X.shape[0]} samples): "
          + "  ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    if net.task == "classification":
        pred = net.predict(X, batch_size=EVAL_BATCH)
        print(_confusion_text(confusion_matrix(y, pred, n_classes=max(net.n_out or 0, 2)),
                              meta.get("class_names") or data.class_names))
    return 0


def _evaluation_data(args: argparse.Namespace, meta: dict[str, Any], dataset: str
                     ) -> tuple[str, str]:
    """The data set to score and what to call it: a CSV file is never called "test" unless
    it is the model's test file."""
    if Path(dataset).suffix.lower() != ".csv":
        return dataset, args.split
    trained_on = meta.get("dataset")
    is_training_file = trained_on is not None and Path(dataset).resolve() == Path(trained_on)
    test_file = meta.get("test_dataset")
    if args.dataset is None and args.split == "test":
        if test_file:
            return test_file, "test"
        print(f"note: the model was trained on {Path(dataset).name} and its file names no test "
              "file, so this scores the training data; name a test file: glassnet evaluate "
              f"{args.model} mnist_test_10.csv")
        return dataset, "training data, not a test score"
    if is_training_file or args.split == "train":
        return dataset, "training data, not a test score"
    if test_file and Path(dataset).resolve() == Path(test_file):
        return dataset, "test"
    return dataset, "the whole file"


def _confusion_text(matrix: np.ndarray, class_names: list[str] | None) -> str:
    n = matrix.shape[0]
    names = [str(c) for c in class_names][:n] if class_names else [""] * n
    width = max(len(str(matrix.max())), len(str(n - 1)), 4)
    lines = ["confusion matrix (rows: true class, columns: predicted)",
             "    " + " ".join(f"{i:>{width}}" for i in range(n))]
    for i, row in enumerate(matrix):
        lines.append(f"{i:>3} " + " ".join(f"{v:>{width}}" for v in row) + f"   {names[i]}")
    return "\n".join(line.rstrip() for line in lines)


def predict(args: argparse.Namespace) -> int:
    """Label pictures or CSV rows with a saved model."""
    import sys

    from .. import io
    from ..classic import NeuralNetwork
    from ..datasets import preprocess_image, read_digits_csv
    from ..datasets._pixels import scale_pixels

    model = io.load(args.model)
    meta = _model_metadata(args.model)
    scale = args.scale or meta.get("scale") or ("book" if isinstance(model, NeuralNetwork)
                                                 else "unit")
    names: list[str] = meta.get("class_names") or []
    preprocess = args.preprocess or ("plain" if meta.get("dataset") == "fashion-mnist"
                                     else "mnist")
    note = what_it_knows(meta)
    if "scale" not in meta or "dataset" not in meta:
        note += (f"; assuming input scaling {scale!r} and {preprocess!r} preprocessing "
                 "(give --scale and --preprocess if it was trained otherwise)")
    pictures = [Path(p) for p in args.inputs if Path(p).suffix.lower() != ".csv"]
    show = _show_paths(args.show, pictures) if args.show else {}
    rows, labels = [], []
    for item in args.inputs:
        path = Path(item)
        if path.suffix.lower() == ".csv":
            pixels, _ = read_digits_csv(path)
            X = scale_pixels(pixels, scale, np.float32)
            rows += list(X)
            labels += [f"{path.name}:{i + 1}" for i in range(X.shape[0])]
            continue
        prepared = preprocess_image(path, preprocess=preprocess, invert=args.invert)
        for note in prepared.warnings:
            print(f"warning: {path}: {note}", file=sys.stderr)
        if path in show:
            print(f"{path}: the network sees {prepared.save(show[path])}"
                  + (" (inverted)" if prepared.inverted else ""), file=sys.stderr)
        rows.append(scale_pixels(prepared.pixels.reshape(-1), scale, np.float32))
        labels.append(str(path))
    X = np.stack(rows)
    print(f"note: {note}", file=sys.stderr)  # once every input was read
    if isinstance(model, NeuralNetwork):
        proba = np.stack([model.query(x)[:, 0] for x in X.astype(np.float64)])
    else:
        proba = model.predict_proba(X)
    for label, p in zip(labels, proba, strict=True):
        top = np.argsort(p)[::-1][: args.top]
        best = int(top[0])
        shown = "  ".join(f"{int(k)}:{p[k]:.3f}" for k in top)
        name = f" ({names[best]})" if best < len(names) else ""
        print(f"{label}: {best}{name}   {shown}")
    return 0


def _show_paths(show: str, pictures: list[Path]) -> dict[Path, Path]:
    """Where ``--show`` writes each picture's 28x28: the file itself for one, a folder for more."""
    target = Path(show)
    if not pictures:
        raise ValueError("--show draws what the network sees of a picture; the inputs are "
                         "all CSV files: give a picture (PNG, JPEG, ...)")
    if len(pictures) == 1 and not target.is_dir():
        if not target.parent.is_dir():
            raise FileNotFoundError(f"--show {show}: the folder {target.parent} does not exist")
        return {pictures[0]: target}
    if target.exists() and not target.is_dir():
        raise ValueError(f"--show {show} is a file, but there are {len(pictures)} pictures: "
                         "give a folder")
    target.mkdir(parents=True, exist_ok=True)
    return {p: target / f"{p.stem}.seen.png" for p in pictures}


def info(args: argparse.Namespace) -> int:
    """A saved model's architecture and metadata."""
    from .. import io
    from ..network import Network

    details = io.model_info(args.model)
    model = io.load(args.model, allow_non_finite=True)  # described, not used
    net = model if isinstance(model, Network) else model.network
    broken = [name for name, p in net.parameters.items() if not np.isfinite(p).all()]
    print(f"{args.model}: glassnet model, format version {details['format_version']}, "
          f"kind {details['kind']}")
    if isinstance(model, Network):
        print(model.summary())
        if model.optimizer is not None:
            print(f"optimizer: {model.optimizer!r} after {model.optimizer.t} steps")
    else:
        print(repr(model))
    meta = details.get("metadata") or {}
    for key, value in meta.items():
        if value is not None and key != "class_names":
            print(f"{key}: {value}")
    if meta.get("class_names"):
        print(f"class names: {', '.join(map(str, meta['class_names']))}")
    print(what_it_knows(meta))
    if broken:
        print(f"warning: the weights {broken} hold NaN or infinity (saved after training "
              "diverged): predict, evaluate and export refuse this file")
    print(f"integrity: {details['digest']} checked" if details.get("digest") else
          "integrity: the file carries no digest (written by another tool): a damaged byte "
          "in it would go unnoticed")
    return 0
