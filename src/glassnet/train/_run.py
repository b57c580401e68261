"""A training run described by a :class:`RunConfig` — data, model and optimiser by name,
``fit``, and the files it leaves — resumable from its checkpoints. ``glassnet train`` is
this module behind a command line.

    from glassnet import train
    config = train.RunConfig(dataset="xor", hidden=(8,), epochs=4, out="runs/xor")
    results = train.run(config, checkpoint_dir="runs/xor/ckpt")  # trains, writes the files
    results = train.resume("runs/xor/ckpt")  # after a crash: same config, from the next epoch

Every checkpoint a run writes holds its config (``extra["args"]``), so :func:`resume`
needs only the directory, and the resumed run ends bitwise equal to one never interrupted.
"""

import dataclasses
import json
import os
import time

import numpy as np

from glassnet._backend import manual_seed
from glassnet._errors import GlassnetValueError
from glassnet.train._checkpoint import Checkpoint, CheckpointManager
from glassnet.train._loop import evaluate, fit

__all__ = ["OPTIMIZERS", "RunConfig", "default_lr", "resume", "run"]

# name → default learning rate (SGD runs with momentum 0.9)
OPTIMIZERS = {"sgd": 0.1, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.01, "adagrad": 0.05}
# Default learning rates are scaled down for the recurrent cells that do not learn at the
# optimizer's default on MNIST-1D (measured, 20 epochs, Adam: LSTM 9 % at 0.01 — PyTorch's LSTM
# too — and 85 % at 0.003; Elman RNN 10 % at 0.003, 48 % at 0.001; GRU 97 % at 0.01).
MODEL_LR_SCALE = {"lstm": 0.3, "rnn": 0.1}
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
      ``hidden``: its layer widths (mlp; one shared width for gru/lstm/rnn).
    - ``dataset``: a built-in name (:func:`glassnet.data.available`) or a ``.csv``/``.npz``
      file whose last column / ``y`` array holds integer labels (split 80/20 by ``seed``).
    - ``optimizer``: a name in :data:`OPTIMIZERS`; ``lr``: None for :func:`default_lr`.
    - ``seed``: seeds initialisation, dropout, shuffling and a file's split.
    - ``out``: the directory for model.safetensors, history.json, results.json, history.png;
      ``keep_last``: how many checkpoints a checkpointed run keeps.
    """

    model: str = "mlp"
    dataset: str = "mnist1d"
    epochs: int = 20
    batch_size: int = 100
    lr: float | None = None
    optimizer: str = "adam"
    hidden: tuple = (100, 100)
    seed: int = 0
    out: str = "runs/latest"
    keep_last: int = 3

    def __post_init__(self):
        self.hidden = tuple(self.hidden)
        if self.optimizer not in OPTIMIZERS:
            raise GlassnetValueError(f"RunConfig: optimizer must be one of {sorted(OPTIMIZERS)}, "
                                     f"got {self.optimizer!r}")
        positive = ("epochs", "batch_size", "keep_last") + (("lr",) if self.lr is not None else ())
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise GlassnetValueError(f"RunConfig: {name} must be positive, got {value!r}")

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
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise GlassnetValueError(f"RunConfig.from_dict: unknown keys {unknown}")
        return cls(**values)

    @classmethod
    def from_checkpoint(cls, directory):
        """The config saved in the newest checkpoint in ``directory`` (by :func:`run`)."""
        latest = CheckpointManager(directory).latest()
        if latest is None:
            raise GlassnetValueError(f"--resume {directory}: no checkpoint-*.safetensors files there")
        saved = Checkpoint.load(latest).extra.get(_SAVED)
        if not isinstance(saved, dict):
            raise GlassnetValueError(f"--resume {directory}: {latest} was not written by glassnet train")
        return cls.from_dict(saved)


def run(config, checkpoint_dir=None, progress=True, print_fn=print):
    """Train as ``config`` says, then write model.safetensors, history.json, results.json
    and (with matplotlib) history.png into ``config.out``.

    ``checkpoint_dir``: after every epoch write a checkpoint there holding the run's state
    and ``config`` (the last ``config.keep_last`` kept), so that :func:`resume` can
    continue it; the directory must hold no checkpoints yet. ``progress``: print a header
    and one line per epoch through ``print_fn``.

    Returns the results written to results.json (``train_accuracy``, ``test_accuracy``,
    ``train_loss``, ``test_loss``, ``epochs``, ``seconds``, ``parameters``, …) and
    ``"files"``: ``{"model" | "history" | "results" | "plot": path}``.
    """
    manager = None
    if checkpoint_dir is not None:
        if CheckpointManager(checkpoint_dir).latest() is not None:
            raise GlassnetValueError(f"--checkpoint-dir {checkpoint_dir} already holds checkpoints; "
                                     f"continue that run with `glassnet train --resume {checkpoint_dir}`")
        manager = _manager(checkpoint_dir, config)
    return _train(config, manager, False, progress, print_fn)


def resume(directory, progress=True, print_fn=print):
    """Continue the run whose checkpoints are in ``directory``, with the config saved in
    them (:meth:`RunConfig.from_checkpoint`): the newest checkpoint is restored — model,
    optimizer, history, every random generator — training goes on from the next epoch to
    ``config.epochs`` and the files are written as by :func:`run`, whose results it returns.
    The final weights are bitwise those of the run never interrupted."""
    config = RunConfig.from_checkpoint(directory)
    return _train(config, _manager(directory, config), True, progress, print_fn)


def _manager(directory, config):
    return CheckpointManager(directory, config.keep_last, extra={_SAVED: config.to_dict()})


def _train(config, manager, resuming, progress, print_fn):
    from glassnet import nn

    manual_seed(config.seed)
    train_set, test_set = _load_splits(config.dataset, config.seed, images=config.model == "cnn")
    model, n_features, n_classes = _build_model(config, train_set, test_set)
    lr = config.learning_rate
    optimizer = _optimizer(config.optimizer, model.parameters(), lr)
    if progress:
        print_fn(f"training {config.model} on {config.dataset}: {len(train_set)} train / "
                 f"{len(test_set)} test samples, {n_features} features, {n_classes} classes, "
                 f"{model.num_parameters():,} parameters, {config.optimizer} lr={lr}")
    start = time.perf_counter()
    history = fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=config.epochs,
                  val_data=test_set, batch_size=config.batch_size, seed=config.seed,
                  progress=progress, print_fn=print_fn, checkpoint_dir=manager, resume=resuming)
    elapsed = time.perf_counter() - start
    final = evaluate(model, train_set, nn.CrossEntropyLoss())
    test = evaluate(model, test_set, nn.CrossEntropyLoss())
    results = {"model": config.model, "dataset": config.dataset, "epochs": len(history),
               "train_accuracy": final["accuracy"], "test_accuracy": test["accuracy"],
               "train_loss": final["loss"], "test_loss": test["loss"], "seconds": elapsed,
               "parameters": model.num_parameters()}
    return {**results, "files": _write_outputs(config.out, model, history, results)}


def _load_splits(name, seed, images=False):
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


def _features_and_classes(dataset):
    """(features per sample, 1 + the largest label) of a labelled dataset."""
    x, y = dataset.get_batch(np.arange(len(dataset)))
    return int(np.prod(x.shape[1:])), int(y.data.max()) + 1


def _build_model(config, train_set, test_set):
    """(model, n_features, n_classes): :func:`glassnet.models.build_model` sized for the data."""
    from glassnet.models import build_model

    n_features, n_classes = _features_and_classes(train_set)
    n_classes = max(n_classes, _features_and_classes(test_set)[1])
    model = build_model(config.model, n_features, n_classes, hidden=config.hidden,
                        input_shape=train_set[0][0].shape)
    return model, n_features, n_classes


def _optimizer(name, params, lr):
    from glassnet import optim

    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
               "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
    if name == "sgd":
        return classes[name](params, lr=lr, momentum=0.9)
    return classes[name](params, lr=lr)


def _write_outputs(out, model, history, results):
    """Write the model (results in its metadata), history, results and plot; their paths."""
    from glassnet import io

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
