"""``glassnet train`` and ``glassnet datasets``: wiring of data, model, optimiser, fit."""

import json
import os
import time

import numpy as np

from glassnet._backend import manual_seed
from glassnet._errors import GlassnetValueError

__all__ = ["run_train", "list_datasets", "OPTIMIZERS", "DATASET_HELP", "default_lr"]

OPTIMIZERS = {"sgd": 0.1, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.01, "adagrad": 0.05}
# Default learning rates are scaled down for the recurrent cells that do not learn at the
# optimizer's default on MNIST-1D (measured, 20 epochs, Adam: LSTM 9 % at 0.01 — PyTorch's LSTM
# too — and 85 % at 0.003; Elman RNN 10 % at 0.003, 48 % at 0.001; GRU 97 % at 0.01).
MODEL_LR_SCALE = {"lstm": 0.3, "rnn": 0.1}


def default_lr(model, optimizer):
    """The learning rate ``glassnet train`` uses when ``--lr`` is not given."""
    scaled = OPTIMIZERS[optimizer] * MODEL_LR_SCALE.get(model, 1.0)
    return float(f"{scaled:.6g}")  # 0.01, not 0.010000000000000002


DATASET_HELP = ("a built-in dataset (see `glassnet datasets`; default mnist1d) or a .csv/.npz "
                "file whose last column / 'y' array holds integer labels")


def list_datasets(print_fn=print):
    from glassnet.data import available

    for name, description in available().items():
        print_fn(f"{name:10s} {description}")


def load_splits(name, seed, images=False):
    """(train, test) datasets for a built-in name or a CSV/NPZ path (split 80/20);
    ``images`` keeps the digits as (1, 8, 8) images (for a 2-D CNN)."""
    from glassnet import data

    if name.endswith((".csv", ".npz")):
        if not os.path.exists(name):
            raise GlassnetValueError(f"--dataset: no such file {name!r}")
        dataset = data.from_csv(name) if name.endswith(".csv") else data.from_npz(name)
        return tuple(data.random_split(dataset, [0.8, 0.2], seed=seed))
    if name not in data.available():
        raise GlassnetValueError(
            f"--dataset: unknown dataset {name!r}; built in: {', '.join(data.available())} "
            "(or give a .csv/.npz file)"
        )
    kwargs = {"flatten": False} if images and name == "digits" else {}
    return (data.load(name, split="train", seed=seed, **kwargs),
            data.load(name, split="test", seed=seed, **kwargs))


def _optimizer(name, params, lr):
    from glassnet import optim

    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
               "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
    if name == "sgd":
        return classes[name](params, lr=lr, momentum=0.9)
    return classes[name](params, lr=lr)


def _features_and_classes(dataset):
    x, y = dataset.get_batch(np.arange(len(dataset)))
    n_features = 1
    for s in x.shape[1:]:
        n_features *= s
    return n_features, int(y.data.max()) + 1


RUN_ARGS = ("model", "dataset", "epochs", "batch_size", "lr", "optimizer", "hidden", "seed", "out",
            "keep_last")


def _checkpointing(args):
    """``(args, manager)``: with ``--resume DIR`` the run's saved arguments replace the
    given ones; every checkpoint stores the arguments so that the run can be resumed."""
    import argparse

    from glassnet.train import Checkpoint, CheckpointManager

    resume, keep_last = getattr(args, "resume", None), getattr(args, "keep_last", 3)
    directory = resume or getattr(args, "checkpoint_dir", None)
    if directory is None:
        return args, None
    if resume is not None:
        latest = CheckpointManager(resume).latest()
        if latest is None:
            raise GlassnetValueError(f"--resume {resume}: no checkpoint-*.safetensors files there")
        saved = Checkpoint.load(latest).extra.get("args")
        if not isinstance(saved, dict):
            raise GlassnetValueError(f"--resume {resume}: {latest} was not written by glassnet train")
        args = argparse.Namespace(**{**vars(args), **saved, "hidden": tuple(saved["hidden"])})
        keep_last = args.keep_last
    elif CheckpointManager(directory).latest() is not None:
        raise GlassnetValueError(f"--checkpoint-dir {directory} already holds checkpoints; continue "
                                 f"that run with `glassnet train --resume {directory}`")
    saved = {key: getattr(args, key) for key in RUN_ARGS}
    saved["hidden"] = list(saved["hidden"])
    return args, CheckpointManager(directory, keep_last, extra={"args": saved})


def run_train(args, print_fn=print):
    """Train as the command line asked; write model, history and plot into ``args.out``."""
    from glassnet import io, nn, train
    from glassnet.models import build_model

    args, manager = _checkpointing(args)
    manual_seed(args.seed)
    train_set, test_set = load_splits(args.dataset, args.seed, images=args.model == "cnn")
    n_features, n_classes = _features_and_classes(train_set)
    _, test_classes = _features_and_classes(test_set)
    n_classes = max(n_classes, test_classes)
    model = build_model(args.model, n_features, n_classes, hidden=args.hidden,
                        input_shape=train_set[0][0].shape)
    lr = args.lr or default_lr(args.model, args.optimizer)
    optimizer = _optimizer(args.optimizer, model.parameters(), lr)
    progress = not args.no_progress
    if progress:
        print_fn(f"training {args.model} on {args.dataset}: {len(train_set)} train / "
                 f"{len(test_set)} test samples, {n_features} features, {n_classes} classes, "
                 f"{model.num_parameters():,} parameters, {args.optimizer} lr={lr}")
    start = time.perf_counter()
    history = train.fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=args.epochs,
                        val_data=test_set, batch_size=args.batch_size, seed=args.seed,
                        progress=progress, print_fn=print_fn, checkpoint_dir=manager,
                        resume=getattr(args, "resume", None) is not None)
    elapsed = time.perf_counter() - start
    final = train.evaluate(model, train_set, nn.CrossEntropyLoss())
    test = train.evaluate(model, test_set, nn.CrossEntropyLoss())
    results = {"model": args.model, "dataset": args.dataset, "epochs": len(history),
               "train_accuracy": final["accuracy"], "test_accuracy": test["accuracy"],
               "train_loss": final["loss"], "test_loss": test["loss"], "seconds": elapsed,
               "parameters": model.num_parameters()}
    paths = _write_outputs(args.out, model, history, results, io)
    print_fn(_table(results))
    for label, path in paths.items():
        print_fn(f"{label:8s} {path}")
    return results


def _write_outputs(out, model, history, results, io):
    os.makedirs(out, exist_ok=True)
    paths = {"model": os.path.join(out, "model.safetensors"),
             "history": os.path.join(out, "history.json"),
             "results": os.path.join(out, "results.json")}
    io.save(model, paths["model"], metadata={"results": results})
    history.save(paths["history"])
    io.atomic_write_text(paths["results"], json.dumps(results, indent=1))
    try:
        paths["plot"] = history.plot(os.path.join(out, "history.png"))
    except GlassnetValueError:
        pass  # matplotlib not installed: the plot is optional
    return paths


def _table(r):
    rows = [("train accuracy", f"{r['train_accuracy']:.2%}"),
            ("test accuracy", f"{r['test_accuracy']:.2%}"),
            ("train loss", f"{r['train_loss']:.4f}"), ("test loss", f"{r['test_loss']:.4f}"),
            ("epochs", str(r["epochs"])), ("time", f"{r['seconds']:.1f} s"),
            ("parameters", f"{r['parameters']:,}")]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
