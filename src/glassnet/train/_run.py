"""A training run described by a :class:`RunConfig` — data, model and optimiser by name,
``fit``, and the files it leaves — resumable from its checkpoints. ``glassnet train`` is
this module behind a command line.

    from glassnet import train
    config = train.RunConfig(dataset="xor", hidden=(8,), epochs=4)
    results = train.run(config)     # trains in a new folder runs/mlp-<YYYYmmdd-HHMMSS>
    results = train.resume("runs/latest")  # after a crash: same config, from the next epoch

Each run without ``out`` gets a folder of its own (:mod:`glassnet.train._rundir`), with
``runs/latest`` pointing at the newest, and checkpoints in its ``checkpoints/``; a run never
overwrites another. ``out="DIR"`` writes exactly there (and checkpoints only into a
``checkpoint_dir`` given). A ``val_split`` fraction of the training data is held out for
validation (``val_*`` in the history); the test set is evaluated once, at the end
(``test_*`` in the results).

Every checkpoint a run writes holds its config (``extra["args"]``), so :func:`resume`
needs only the directory, and the resumed run ends bitwise equal to one never interrupted.

A checkpoint's saved arguments are checked like the command line's (:class:`RunConfig`:
names, integers, positive values), and no model is built before the numbers it will
hold — counted from those arguments and the data
(:func:`glassnet.models._config.check_config`) — fit ``glassnet.io.LIMITS.max_parameters`` and,
when resuming, equal the numbers the checkpoint holds: a checkpoint whose arguments say
``--hidden 25000,25000`` is refused before 2.5 GB are allocated. ``results.json`` and
``history.json`` are strict JSON: a NaN or infinite number is written as ``null``.
"""

import dataclasses
import json
import math
import os
import time

import numpy as np

from glassnet._backend import manual_seed
from glassnet._errors import GlassnetValueError
from glassnet.io._limits import LIMITS
from glassnet.train._checkpoint import CheckpointManager
from glassnet.train._distributed import rank_and_world_size
from glassnet.train._loop import evaluate, fit
from glassnet.train._rundir import new_run_dir, point_latest, resolve_run_dir
from glassnet.train._split import check_fraction, split_validation

__all__ = ["OPTIMIZERS", "RunConfig", "default_lr", "resume", "run"]

# name → default learning rate (SGD runs with momentum 0.9)
OPTIMIZERS = {"sgd": 0.1, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.01, "adagrad": 0.05}
# Default learning rates are scaled down for the recurrent cells that do not learn at the
# optimizer's default on MNIST-1D (measured, 20 epochs, Adam: LSTM 9 % at 0.01 — PyTorch's LSTM
# too — and 85 % at 0.003; Elman RNN 10 % at 0.003, 48 % at 0.001; GRU 97 % at 0.01).
MODEL_LR_SCALE = {"lstm": 0.3, "rnn": 0.1, "gpt": 0.3}  # gpt: Adam at 0.003, a transformer's usual
# name → (hidden, batch_size) a run takes when they are None: a GPT run (a character model of
# 2 blocks of width 64) is sized so that one epoch of --dataset text takes seconds on 2 cores
MODEL_DEFAULTS = {"gpt": ((64, 64), 32)}
_DEFAULTS = ((100, 100), 100)
_SAVED = "args"  # the key of the config in a checkpoint's ``extra``


def default_lr(model, optimizer):
    """The learning rate a run uses when ``lr`` is None: ``OPTIMIZERS[optimizer]``, scaled
    by ``MODEL_LR_SCALE[model]`` (0.3 for lstm, 0.1 for rnn)."""
    scaled = OPTIMIZERS[optimizer] * MODEL_LR_SCALE.get(model, 1.0)
    return float(f"{scaled:.6g}")  # 0.01, not 0.010000000000000002


@dataclasses.dataclass
class RunConfig:
    """What a run trains, on which data, how and for how long — the options of
    ``glassnet train``, whose names the errors use (``--dataset``, ``--hidden``).

    - ``model``: a name in :data:`glassnet.models.MODELS` (``mlp``, ``cnn``, ``gru``, …);
      ``hidden``: its layer widths (mlp; one shared width for gru/lstm/rnn; gpt: one block
      per entry); None for the model's default (:data:`MODEL_DEFAULTS`: gpt (64, 64), else
      (100, 100)), as ``batch_size`` (gpt 32, else 100).
    - ``dataset``: a built-in name (:func:`glassnet.data.available`) or a ``.csv``/``.npz``
      file whose last column / ``y`` array holds integer labels (split 80/20 by ``seed``).
    - ``optimizer``: a name in :data:`OPTIMIZERS`; ``lr``: None for :func:`default_lr`.
    - ``val_split``: the fraction of the training samples held out at random for
      validation (``val_*`` in the history; 0: none); the test set is only evaluated at the
      end. gpt: the last ``val_split`` of the text.
    - ``seed``: seeds initialisation, dropout, shuffling and a file's split.
    - ``out``: the directory for model.safetensors, history.json, results.json, history.png;
      None: a new folder ``runs/<model>-<YYYYmmdd-HHMMSS>[-n]`` (``runs/latest`` points at it);
      ``keep_last``: how many checkpoints a checkpointed run keeps.
    - gpt only (:mod:`glassnet.train._text`): ``dataset`` is ``text`` (CPython's
      documentation topics) or a ``.txt`` file; ``context``: characters per window;
      ``sample``: characters generated at the end.
    """

    model: str = "mlp"
    dataset: str = "mnist1d"
    epochs: int = 20
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str = "adam"
    hidden: tuple | None = None
    seed: int = 0
    out: str | None = None
    keep_last: int = 3
    context: int = 64
    sample: int = 200
    val_split: float = 0.1

    def __post_init__(self):
        from glassnet.models import MODELS

        hidden, batch_size = MODEL_DEFAULTS.get(self.model, _DEFAULTS) if isinstance(self.model, str) \
            else _DEFAULTS
        self.hidden = hidden if self.hidden is None else self.hidden
        self.batch_size = batch_size if self.batch_size is None else self.batch_size
        if type(self.hidden) not in (list, tuple) or not all(
                type(h) is int and h > 0 for h in self.hidden) or not self.hidden:
            raise GlassnetValueError(f"RunConfig: hidden (--hidden) must be positive integers, "
                                     f"got {self.hidden!r:.80}")
        self.hidden = tuple(self.hidden)
        LIMITS.check("max_layers", len(self.hidden), "--hidden has {:,} layers", "RunConfig")
        for name, choices in (("model", MODELS), ("optimizer", OPTIMIZERS)):
            if not isinstance(getattr(self, name), str) or getattr(self, name) not in choices:
                raise GlassnetValueError(f"RunConfig: {name} must be one of {sorted(choices)}, "
                                         f"got {getattr(self, name)!r:.80}")
        for name in ("epochs", "batch_size", "keep_last", "seed", "context", "sample"):
            value = getattr(self, name)
            if type(value) is not int:
                raise GlassnetValueError(f"RunConfig: {name} must be an integer, got {value!r:.80}")
            if value <= 0 and name != "seed":
                raise GlassnetValueError(f"RunConfig: {name} must be positive, got {value}")
        if self.lr is not None and (type(self.lr) not in (int, float) or not 0 < self.lr < math.inf):
            raise GlassnetValueError(f"RunConfig: lr must be positive, got {self.lr!r:.80}")
        for name in ("dataset", "out"):
            if not isinstance(getattr(self, name), str) and not (name == "out" and self.out is None):
                raise GlassnetValueError(f"RunConfig: {name} must be a string, got "
                                         f"{getattr(self, name)!r:.80}")
        self.val_split = check_fraction(self.val_split, "RunConfig", "val_split (--val-split)")

    @property
    def learning_rate(self):
        """``lr``, or :func:`default_lr` for this model and optimizer when it is None."""
        return self.lr or default_lr(self.model, self.optimizer)

    def to_dict(self):
        """The config as JSON data (``hidden`` a list)."""
        return {**dataclasses.asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, values):
        """The inverse of :meth:`to_dict` (absent keys take their defaults)."""
        if type(values) is not dict:
            raise GlassnetValueError(f"RunConfig.from_dict: expected a dict, got {type(values).__name__}")
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)}, key=str)
        if unknown:
            raise GlassnetValueError(f"RunConfig.from_dict: unknown keys {unknown[:10]}")
        return cls(**values)

    @classmethod
    def from_checkpoint(cls, directory):
        """The config saved in the newest intact checkpoint in ``directory`` (by :func:`run`)."""
        return _saved_run(directory)[0]


def _saved_run(directory):
    """``(config, numbers)``: the checked config of the newest intact checkpoint in
    ``directory`` and the count of the model numbers it holds."""
    path, checkpoint, _ = CheckpointManager(directory).load_latest_intact()
    if path is None:
        raise GlassnetValueError(f"--resume {directory}: no checkpoint-*.safetensors files there")
    saved = checkpoint.extra.get(_SAVED)
    if not isinstance(saved, dict):
        raise GlassnetValueError(f"--resume {directory}: {path} was not written by glassnet train")
    if "val_split" not in saved:  # written before val_split: files held out none, text its last 10 %
        saved = {**saved, "val_split": 0.1 if saved.get("model") == "gpt" else 0.0}
    try:
        config = RunConfig.from_dict(saved)
    except GlassnetValueError as exc:
        raise GlassnetValueError(f"--resume {directory}: {path} holds arguments that do not "
                                 f"check: {exc}") from None
    return config, sum(int(np.prod(a.shape)) for a in checkpoint.model_state.values())


def run(config, checkpoint_dir=None, progress=True, print_fn=print, compile=False):  # noqa: A002
    """Train as ``config`` says, then write model.safetensors, history.json, results.json
    and (with matplotlib) history.png into ``config.out`` — when it is None, into a new run
    folder ``runs/<model>-<YYYYmmdd-HHMMSS>[-n]`` made once the data and model are ready,
    with ``runs/latest`` pointing at it (:mod:`glassnet.train._rundir`).

    ``checkpoint_dir``: after every epoch write a checkpoint there holding the run's state
    and ``config`` (the last ``config.keep_last`` kept), so that :func:`resume` can
    continue it; the directory must hold no checkpoints yet. None: ``<run folder>/
    checkpoints`` for a new run folder, no checkpoints when ``config.out`` is given.
    ``progress``: print a header and one line per epoch through ``print_fn`` (and a
    per-batch bar on a terminal).

    Returns the results written to results.json (``train_accuracy``, ``train_loss``,
    ``val_accuracy`` and ``val_loss`` after the last epoch when ``config.val_split`` > 0,
    ``test_accuracy``, ``test_loss``, ``epochs``, ``seconds``, ``parameters``, …) and
    ``"files"``: ``{"model" | "history" | "results" | "plot" | "checkpoints": path}``.
    ``compile``: train through :func:`glassnet.compile` (``fit(compile=True)``; the same
    numbers).
    """
    if checkpoint_dir is not None and CheckpointManager(checkpoint_dir).latest() is not None:
        raise GlassnetValueError(f"--checkpoint-dir {checkpoint_dir} already holds checkpoints; "
                                 f"continue that run with `glassnet train --resume {checkpoint_dir}`")
    return _train(config, checkpoint_dir, False, progress, print_fn, compile=compile)


def resume(directory, progress=True, print_fn=print):
    """Continue the run whose checkpoints are in ``directory`` — a checkpoint directory, a
    run folder holding ``checkpoints/``, or ``runs/latest`` — with the config saved in them
    (:meth:`RunConfig.from_checkpoint`): the newest checkpoint is restored — model,
    optimizer, history, every random generator — training goes on from the next epoch to
    ``config.epochs`` and the files are written as by :func:`run`, whose results it returns.
    The final weights are bitwise those of the run never interrupted."""
    directory = checkpoints_of(directory)
    config, numbers = _saved_run(directory)
    return _train(config, directory, True, progress, print_fn, numbers)


def checkpoints_of(directory):
    """The checkpoint directory of ``directory``: itself, or its ``checkpoints/`` when it
    is a run folder (``runs/latest`` followed when it is a text pointer)."""
    directory = resolve_run_dir(directory)
    inner = os.path.join(directory, "checkpoints")
    if CheckpointManager(directory).latest() is None and CheckpointManager(inner).latest() is not None:
        return inner
    return directory


def _manager(directory, config):
    return CheckpointManager(directory, config.keep_last, extra={_SAVED: config.to_dict()})


def open_run(config, checkpoint_dir, print_fn):
    """``(config, manager or None)`` for the run about to train: a new run folder when
    ``config.out`` is None (rank 0 makes it, every rank learns its name), ``latest``
    pointed at it, and its ``checkpoints/`` unless ``checkpoint_dir`` says otherwise."""
    if config.out is None:
        rank, world = rank_and_world_size()
        folder = new_run_dir(config.model) if rank == 0 else ""
        folder = _same_on_every_rank(folder) if world > 1 else folder
        note = point_latest(folder) if rank == 0 else None
        if note:
            print_fn(note)
        config = dataclasses.replace(config, out=folder)
        checkpoint_dir = os.path.join(folder, "checkpoints") if checkpoint_dir is None else checkpoint_dir
    return config, None if checkpoint_dir is None else _manager(checkpoint_dir, config)


def _same_on_every_rank(text, size=4096):
    """Rank 0's ``text`` on every rank (an MPI broadcast of its UTF-8 bytes)."""
    from glassnet.autograd._tensor import Tensor
    from glassnet.distributed import broadcast

    data = text.encode("utf-8")
    if len(data) >= size:
        raise GlassnetValueError(f"train: the run folder's path is {len(data):,} bytes; at most {size - 1}")
    buffer = np.zeros(size, dtype=np.uint8)
    buffer[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    tensor = Tensor(buffer)
    broadcast(tensor, src=0)
    return bytes(tensor.numpy()).rstrip(b"\0").decode("utf-8")


def _train(config, checkpoint_dir, resuming, progress, print_fn, held=None, compile=False):  # noqa: A002
    """``held``: when resuming, the model numbers the checkpoint holds."""
    from glassnet import nn

    manual_seed(config.seed)
    if config.model == "gpt":  # a character-level language model: its own data and results
        from glassnet.train._text import train_text

        return train_text(config, checkpoint_dir, resuming, progress, print_fn, held, compile=compile)
    train_all, test_set = _load_splits(config.dataset, config.seed, images=config.model == "cnn")
    model, n_features, n_classes = _build_model(config, train_all, test_set, held)
    train_set, val_set = split_validation(train_all, config.val_split, config.seed, who="train",
                                          name="--val-split")
    optimizer = _optimizer(config.optimizer, model.parameters(), config.learning_rate)
    config, manager = open_run(config, checkpoint_dir, print_fn)
    if progress:
        held_out = f"{len(val_set)} validation / " if val_set is not None else ""
        print_fn(f"training {config.model} on {config.dataset}: {len(train_set)} train / {held_out}"
                 f"{len(test_set)} test samples, {n_features} features, {n_classes} classes, "
                 f"{model.num_parameters():,} parameters, {config.optimizer} lr={config.learning_rate}")
    start = time.perf_counter()
    history = fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=config.epochs,
                  validation_data=val_set, batch_size=config.batch_size, seed=config.seed,
                  progress=progress, print_fn=print_fn, checkpoint_dir=manager, resume=resuming,
                  compile=compile)
    elapsed = time.perf_counter() - start
    final = evaluate(model, train_set, nn.CrossEntropyLoss())
    test = evaluate(model, test_set, nn.CrossEntropyLoss(), prefix="test_")
    results = {"model": config.model, "dataset": config.dataset, "epochs": len(history),
               "train_accuracy": final["accuracy"], "train_loss": final["loss"],
               **_last_validation(history), **test, "seconds": elapsed,
               "parameters": model.num_parameters(), **_throughput(config, history, len(train_set))}
    return finish_run(config, manager, model, history, results)


def _last_validation(history):
    """``val_accuracy`` and ``val_loss`` of the last epoch, when validated."""
    return {key: history.last(key) for key in ("val_accuracy", "val_loss") if key in history.keys()}


def finish_run(config, manager, model, history, results):
    """``results`` with ``"files"``: what rank 0 writes into ``config.out`` (and the
    checkpoint directory, when there is one)."""
    rank, _ = rank_and_world_size()  # under MPI, rank 0 alone writes the files
    files = _write_outputs(config.out, model, history, results) if rank == 0 else {}
    if files and manager is not None:
        files["checkpoints"] = manager.directory
    return {**results, "files": files}


def _throughput(config, history, n_train):
    """World size, global batch (ranks × batch size) and training samples per second over
    every epoch's recorded time (epochs run before a resume included)."""
    _, world = rank_and_world_size()
    seconds = sum(history["time"]) if len(history) else 0.0
    return {"world_size": world, "global_batch_size": world * config.batch_size,
            "samples_per_second": len(history) * n_train / max(seconds, 1e-9)}


def _load_splits(name, seed, images=False):
    """(train, test) datasets for a built-in name or a CSV/NPZ path (split 80/20);
    ``images`` keeps the digits as (1, 8, 8) images (for a 2-D CNN)."""
    from glassnet import data

    if name.endswith((".csv", ".npz")):
        dataset = data.from_csv(name) if name.endswith(".csv") else data.from_npz(name)
        if len(dataset) < 5:  # 20 % of fewer rows is no test sample at all
            raise GlassnetValueError(f"--dataset {name}: {len(dataset)} sample(s); the 80/20 split "
                                     "needs at least 5 (4 to train on and 1 to test on)")
        return tuple(data.random_split(dataset, [0.8, 0.2], seed=seed))
    if name == "text" or name.lower().endswith(".txt"):
        raise GlassnetValueError(f"--dataset {name} is text: train a character-level model on it "
                                 "with --model gpt")
    if name not in data.available():
        raise GlassnetValueError(
            f"--dataset: unknown dataset {name!r}; built in: {', '.join(data.available())} "
            "(or give a .csv/.npz file, or text for --model gpt)"
        )
    kwargs = {"flatten": False} if images and name == "digits" else {}
    return (data.load(name, split="train", seed=seed, **kwargs),
            data.load(name, split="test", seed=seed, **kwargs))


def _labels(dataset):
    """The label array of a dataset, without copying its features when it is a
    TensorDataset or a Subset of one."""
    if hasattr(dataset, "arrays") and len(dataset.arrays) == 2:
        return dataset.arrays[1]
    base = getattr(dataset, "dataset", None)
    if hasattr(base, "arrays") and len(base.arrays) == 2:
        return base.arrays[1][dataset.indices]
    _, y = dataset.get_batch(np.arange(len(dataset)))
    return y.numpy()


def _features_and_classes(dataset, name, rows):
    """(features per sample, 1 + the largest label) of a labelled dataset; the labels
    must be class indices 0..k-1 with k ≤ ``rows`` (the samples of the whole dataset)
    and ≤ ``glassnet.io.LIMITS.max_classes``."""
    y = np.asarray(_labels(dataset))
    if y.dtype.kind not in "iu":
        raise GlassnetValueError(f"--dataset {name}: the label column (a file's last column or 'y' "
                                 f"array) holds {y.dtype} numbers{_example_non_integer(y)}; a training "
                                 "run classifies, so it must hold integer classes 0, 1, 2, …")
    low, high = (int(y.min()), int(y.max())) if y.size else (0, -1)
    if low < 0:
        raise GlassnetValueError(f"--dataset {name}: a label is {low}; class indices start at 0")
    if high + 1 > rows:
        raise GlassnetValueError(f"--dataset {name}: the largest label is {high:,} but there are "
                                 f"only {rows:,} samples; labels must be class indices 0..k-1 "
                                 "with fewer classes than samples")
    LIMITS.check("max_classes", high + 1, "its labels ask for {:,} classes", f"--dataset {name}")
    return int(np.prod(dataset[0][0].shape)), high + 1


def _example_non_integer(y):
    """`` such as 0.5`` for the first label that is not a whole number, else ``""``."""
    if y.dtype.kind != "f":
        return ""
    fractional = y[np.isfinite(y) & (y != np.round(y))] if y.size else y
    return f" such as {fractional.flat[0]:g}" if fractional.size else ""


def _model_config(config, n_features, n_classes, input_shape):
    """The config of the model :func:`glassnet.models.build_model` will build (its
    ``config`` dict, so that its numbers can be counted before it is built), or None for
    samples no model takes."""
    kind, hidden = config.model, list(config.hidden)
    if kind == "cnn":  # as glassnet.models.build_cnn picks; other shapes: its own error
        shape = tuple(int(s) for s in input_shape)
        if len(shape) == 1:
            return {"kind": "cnn1d", "length": shape[0], "num_classes": n_classes}
        if len(shape) not in (2, 3):
            return None
        return {"kind": "cnn2d", "height": shape[-2], "width": shape[-1], "num_classes": n_classes,
                "in_channels": shape[0] if len(shape) == 3 else 1}
    if kind == "logreg":
        return {"kind": "logreg", "in_features": n_features, "num_classes": n_classes}
    if kind == "mlp":
        return {"kind": "mlp", "in_features": n_features, "hidden": hidden, "num_classes": n_classes}
    return {"kind": kind, "input_size": 1, "hidden_size": hidden[0], "num_layers": len(hidden),
            "num_classes": n_classes}


def _build_model(config, train_set, test_set, held=None):
    """(model, n_features, n_classes): :func:`glassnet.models.build_model` sized for the
    data, built only after the numbers it will hold are checked (see the module doc)."""
    from glassnet.models import build_model
    from glassnet.models._config import check_config

    rows = len(train_set) + len(test_set)
    n_features, n_classes = _features_and_classes(train_set, config.dataset, rows)
    n_classes = max(n_classes, _features_and_classes(test_set, config.dataset, rows)[1])
    input_shape = train_set[0][0].shape
    planned = _model_config(config, n_features, n_classes, input_shape)
    if planned is not None:
        _, _, numbers = check_config(planned, who=f"--model {config.model} for {config.dataset}")
        if held is not None and numbers != held:
            raise GlassnetValueError(
                f"--resume: the saved arguments (--model {config.model} --hidden "
                f"{','.join(map(str, config.hidden))}) describe a model of {numbers:,} numbers "
                f"but the checkpoint holds {held:,}; the checkpoint does not match its arguments")
    model = build_model(config.model, n_features, n_classes, hidden=config.hidden,
                        input_shape=input_shape)
    return model, n_features, n_classes


def _optimizer(name, params, lr):
    from glassnet import optim

    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
               "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
    if name == "sgd":
        return classes[name](params, lr=lr, momentum=0.9)
    return classes[name](params, lr=lr)


def _finite_or_none(value):
    """``value`` with every NaN or infinite float replaced by None (JSON ``null``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


def _strict_json(value):
    """JSON that any parser reads: NaN and ±Infinity become ``null``."""
    return json.dumps(_finite_or_none(value), indent=1, allow_nan=False)


def _write_outputs(out, model, history, results):
    """Write the model (results in its metadata), history, results and plot; their paths."""
    from glassnet import io

    os.makedirs(out, exist_ok=True)
    paths = {"model": os.path.join(out, "model.safetensors"),
             "history": os.path.join(out, "history.json"),
             "results": os.path.join(out, "results.json")}
    io.save(model, paths["model"], metadata={"results": _finite_or_none(results)})
    io.atomic_write_text(paths["history"], _strict_json(history.to_dict()))
    io.atomic_write_text(paths["results"], _strict_json(results))
    try:
        paths["plot"] = history.plot(os.path.join(out, "history.png"))
    except GlassnetValueError:
        pass  # matplotlib not installed: the plot is optional
    return paths
