"""``fit``, ``evaluate`` and ``predict``: the training loop a PyTorch user would write,
once, with metrics, validation, schedulers, callbacks and a progress bar."""

import math
import time

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.data import DataLoader, Dataset, TensorDataset
from glassnet.nn._loss import BCELoss
from glassnet.train._checkpoint import Checkpoint, as_manager, resume_run
from glassnet.train._distributed import DistributedFit
from glassnet.train._history import History
from glassnet.train._metrics import resolve_metric
from glassnet.train._progress import EpochBar, epoch_line
from glassnet.train._split import check_fraction, split_validation

__all__ = ["fit", "evaluate", "predict", "TrainingRun", "as_dataset", "as_loader"]


class TrainingRun:
    """What callbacks see: the model, optimiser, history so far, and a stop flag; ``epoch``
    (the current one) of ``epochs`` (the last one fit will run)."""

    def __init__(self, model, optimizer, history, epochs=None):
        self.model, self.optimizer, self.history = model, optimizer, history
        self.stop_training = False
        self.epoch, self.epochs = 0, epochs
        self.step = 0  # optimizer steps taken so far


def as_dataset(data, who="fit", dtype=None):
    """A Dataset from a Dataset or an ``(X, y)`` pair (whose float arrays are converted to
    ``dtype``, by default glassnet's default dtype); an empty one is refused."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = TensorDataset(*(_as_float(a, dtype) for a in data))
    if not isinstance(data, Dataset):
        raise GlassnetTypeError(
            f"{who}: data must be a DataLoader, a Dataset or an (X, y) pair; got "
            f"{type(data).__name__}"
        )
    if len(data) == 0:
        raise GlassnetValueError(f"{who}: the dataset is empty")
    return data


def _with_batches(loader, who):
    """``loader`` itself; refused when it gives no batches (an epoch would do nothing and
    report a loss of 0)."""
    if not loader._iterable and len(loader) == 0:
        raise GlassnetValueError(
            f"{who}: the DataLoader gives no batches (len 0: its dataset has {len(loader.dataset)} samples"
            f"{', drop_last=True with batch_size ' + str(loader.batch_size) if loader.drop_last else ''}); "
            "give it data, a smaller batch_size, or drop_last=False")
    return loader


def as_loader(data, batch_size, shuffle, seed=None, who="fit", dtype=None):
    """A DataLoader from a DataLoader, a Dataset or an ``(X, y)`` pair (see :func:`as_dataset`)."""
    if isinstance(data, DataLoader):
        return _with_batches(data, who)
    return DataLoader(as_dataset(data, who, dtype), batch_size=batch_size, shuffle=shuffle, seed=seed)


def _as_float(array, dtype=None):
    """Float data in the model's dtype (float64 from NumPy or pandas would otherwise run
    a float32 model in float64, slower); other data unchanged."""
    dtype = dtype or get_default_dtype()
    data = array.array if isinstance(array, Tensor) else np.asarray(array)
    if data.dtype.kind == "f" and data.dtype != dtype:
        return data.astype(dtype)
    return array


def _model_dtype(model):
    """The dtype of the model's first floating parameter (None for a model without)."""
    for p in model.parameters():
        if p.dtype.kind == "f":
            return p.dtype
    return None


def _check_finite_batch(x, who):
    xp = namespace(x.array)
    if x.dtype.kind == "f" and not bool(xp.isfinite(x.array).all()):
        raise GlassnetValueError(
            f"{who}: the input batch contains NaN or Inf values; clean the data (e.g. "
            "replace missing values) before training"
        )


class _Meter:
    def __init__(self, metrics, loss_fn=None):
        probabilities = isinstance(loss_fn, BCELoss)
        self.metrics = [resolve_metric(m, probabilities) for m in metrics]
        self.loss_total, self.count = 0.0, 0
        self.totals = {name: [0.0, 0] for name, _ in self.metrics}

    def update(self, loss, output, target, n):
        if loss is not None:
            self.loss_total += loss * n
        self.count += n
        for name, fn in self.metrics:
            total, count = fn(output.array, target.array)
            self.totals[name][0] += total
            self.totals[name][1] += count

    def results(self, prefix="", with_loss=True):
        out = {}
        if with_loss:
            out[prefix + "loss"] = self.loss_total / max(self.count, 1)
        for name, (total, count) in self.totals.items():
            out[prefix + name] = total / max(count, 1)
        return out


def _per_batch(scheduler):
    from glassnet.optim.lr_scheduler import OneCycleLR

    return isinstance(scheduler, OneCycleLR)


def _step_scheduler(scheduler, logs):
    from glassnet.optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


def _nonfinite_hint(model, optimizer):
    """What most likely made the loss non-finite: an ``eps`` that rounds to 0 in a
    low-precision parameter dtype (Adam then divides 0 by 0), else the usual causes."""
    import numpy as np

    for group in getattr(optimizer, "param_groups", ()):
        eps = group.get("eps")
        for p in group["params"]:
            if eps and np.dtype(p.dtype).kind == "f" and np.dtype(p.dtype).type(eps) == 0:
                return (f"the optimiser's eps={eps} rounds to 0 in {p.dtype}, so its update divides "
                        f"0 by 0 where a gradient is 0; train in float32 (model.float()) or pass an eps "
                        f"that {p.dtype} can hold (≥ {float(np.finfo(p.dtype).smallest_subnormal):.0e})")
    return ("lower the learning rate or check the data (run inside gn.detect_anomaly() to find "
            "the first op that produced it)")


def _train_epoch(model, loader, loss_fn, optimizer, meter, scheduler, bar, epoch, train_step=None):
    """One pass over ``loader``; returns the optimizer steps taken. ``bar``: an
    :class:`~glassnet.train._progress.EpochBar` advanced after every batch."""
    model.train()
    batch_scheduler = scheduler is not None and _per_batch(scheduler)
    i = -1
    for i, (x, y) in enumerate(loader):
        _check_finite_batch(x, "fit")
        if train_step is not None:  # compiled: the loss is checked after the step it was part of
            output, loss = train_step(x, y)
        else:
            optimizer.zero_grad()
            output = model(x)
            loss = loss_fn(output, y)
        value = loss.item()
        if not math.isfinite(value):
            raise GlassnetValueError(
                f"fit: the loss became {value} at epoch {epoch}, batch {i + 1}; "
                + _nonfinite_hint(model, optimizer))
        if train_step is None:
            loss.backward()
            optimizer.step()
        if batch_scheduler:
            scheduler.step()
        meter.update(value, output, y, len(x))
        bar.update(len(x), value)
    return i + 1


def fit(model, train_data, loss_fn, optimizer, epochs=1, validation_data=None, metrics=("accuracy",),
        scheduler=None, callbacks=(), progress=True, batch_size=32, shuffle=True, seed=None,
        print_fn=print, checkpoint_dir=None, resume=False, keep_last=3, compile=False,  # noqa: A002
        validation_split=0.0, val_data=None):
    """Train ``model`` for ``epochs`` and return a :class:`History`.

    ``train_data``/``validation_data``: a DataLoader, a Dataset or an ``(X, y)`` pair
    (batched with ``batch_size``); ``val_data`` is the older name of ``validation_data``.
    ``validation_split`` (Keras's): hold out this fraction of ``train_data`` (a Dataset or
    pair), chosen at random by ``seed`` (:func:`~glassnet.train.split_validation`), and
    validate on it. Metrics on the validation data are logged as ``val_loss``,
    ``val_accuracy``, … — keep the test set out of ``fit`` and :func:`evaluate` it at the end.

    Each epoch: for every batch ``zero_grad → forward → loss → backward → step``; then
    validation, the scheduler (per batch for OneCycleLR, with the validation loss for
    ReduceLROnPlateau, else per epoch) and the callbacks. The epoch's wall time in seconds
    is logged as ``time`` (``history["time"]``). ``progress``: a per-batch bar with samples/s
    and the epoch's ETA on a terminal (stderr a TTY; never in piped or captured output), and
    one line per epoch through ``print_fn`` ending in its time and throughput
    (:mod:`glassnet.train._progress`); ``progress=False`` shows neither.

    ``checkpoint_dir`` (a directory or a :class:`CheckpointManager`): after every epoch
    write a :class:`Checkpoint` there, keeping the last ``keep_last``. With ``resume``
    the newest checkpoint found there (if any) is restored first — model, optimizer,
    scheduler, history, step and every random generator — and training continues from
    the next epoch, ending bitwise identical to a run that was never interrupted (given
    the same model, data, seed and arguments). Callback state is not saved.

    Under ``mpiexec -n N`` with ``glassnet.distributed.init_process_group()`` called, each
    rank trains on its :class:`~glassnet.data.DistributedSampler` shard with ``batch_size``
    samples per step (a global batch of ``N × batch_size``) through
    :class:`~glassnet.nn.parallel.DistributedDataParallel`; the logged loss and metrics
    are those of all ranks' samples; only rank 0 prints and writes checkpoints. A
    checkpoint resumes under any number of ranks.

    ``compile=True`` runs each batch's ``zero_grad → forward → loss → backward → step``
    through :func:`glassnet.compile` (captured once per batch shape, then replayed as array
    calls; the same numbers). A non-finite loss is then reported after its step.

    Args:
        model: the Module to train (its parameters are the ones ``optimizer`` updates).
        train_data: a DataLoader, a Dataset or an ``(X, y)`` pair.
        loss_fn: the loss, called as ``loss_fn(model(x), y)`` (e.g. ``gn.nn.CrossEntropyLoss()``).
        optimizer: a ``glassnet.optim`` optimizer over the model's parameters.
        epochs: the number of passes over ``train_data`` (default 1).
        validation_data: data evaluated after every epoch (a DataLoader, a Dataset or an
            ``(X, y)`` pair); its results are logged with the prefix ``val_``.
        metrics: names (``"accuracy"``, … see ``glassnet.train.METRICS``) or callables
            logged besides the loss (default ``("accuracy",)``; ``()`` for none).
        scheduler: a ``glassnet.optim.lr_scheduler`` scheduler, stepped as described above.
        callbacks: :class:`~glassnet.train.Callback` objects, e.g. :class:`EarlyStopping`.
        progress: show the per-batch bar and the per-epoch line (default True).
        batch_size: samples per batch when the data is not a DataLoader (default 32).
        shuffle: reshuffle the training samples every epoch (when not a DataLoader).
        seed: seeds the shuffling and the ``validation_split`` (None: the global generator).
        print_fn: where the per-epoch lines go (default ``print``; None prints nothing).
        checkpoint_dir: a directory or :class:`CheckpointManager` to checkpoint into after
            every epoch (None: no checkpoints).
        resume: restore the newest checkpoint in ``checkpoint_dir`` first, if there is one.
        keep_last: how many checkpoints to keep in ``checkpoint_dir`` (default 3).
        compile: run each training step through :func:`glassnet.compile`.
        validation_split: the fraction of ``train_data`` held out for validation (default 0).
        val_data: the older name of ``validation_data``.

    Returns:
        History: one record per epoch, with ``epoch``, ``loss``, each metric, the ``val_``
        values when there is validation data, and ``time``.

    Shape:
        ``X`` ``(N, *)`` and ``y`` ``(N, *)``: N samples, whatever shapes ``model`` and
        ``loss_fn`` take (for ``CrossEntropyLoss``: ``X (N, features)``, ``y (N,)`` class
        indices); each batch is ``(batch_size, *)``.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> X = gn.tensor([[0.0], [1.0], [2.0], [3.0]])    # 4 samples, 1 feature
        >>> y = gn.tensor([0, 0, 1, 1])                     # class 1 when x > 1.5
        >>> model = gn.nn.Linear(1, 2)
        >>> opt = gn.optim.SGD(model.parameters(), lr=0.5)
        >>> history = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=20,
        ...                        batch_size=4, progress=False)
        >>> len(history), history.keys()
        (20, ['epoch', 'loss', 'accuracy', 'time'])
        >>> losses = history["loss"]
        >>> print(round(losses[0], 2), round(losses[-1], 2), history.last("accuracy"))
        1.28 0.25 1.0
    """
    dtype = _model_dtype(model)
    train_data, validation_data = _with_validation(train_data, validation_data, val_data,
                                                   validation_split, seed, dtype)
    world = DistributedFit()  # several MPI ranks: shard, average, write from rank 0
    loader = world.loader(as_loader(train_data, batch_size, shuffle, seed, dtype=dtype), seed)
    val_loader = None if validation_data is None else as_loader(
        validation_data, max(batch_size, 256), False, dtype=dtype, who="fit (validation_data)")
    step_model = world.model(model)
    train_step = _compiled_step(step_model, loss_fn, optimizer) if compile else None
    run = TrainingRun(model, optimizer, History(), int(epochs))
    manager = as_manager(checkpoint_dir, keep_last, resume)
    first = 1
    if manager is not None and resume:
        first = resume_run(manager, run, scheduler, loader, print_fn if progress and world.writes else None)
    for cb in callbacks:
        cb.on_train_begin(run)
    for epoch in range(first, int(epochs) + 1):
        logs, samples = _run_epoch(run, epoch, step_model, loader, val_loader, loss_fn, metrics, scheduler,
                                   world, progress and world.writes, train_step)
        for cb in callbacks:
            cb.on_epoch_end(run, epoch, logs)
        run.history.append(logs)
        if manager is not None and world.writes:
            manager.save(Checkpoint.capture(model, optimizer, scheduler, epoch, run.step, run.history,
                                            loader, extra=manager.extra))
        if progress and print_fn is not None and world.writes:
            print_fn(epoch_line(logs, epochs, samples))
        if run.stop_training:
            break
    world.release()
    for cb in callbacks:
        cb.on_train_end(run)
    return run.history


def _with_validation(train_data, validation_data, val_data, validation_split, seed, dtype):
    """``(train data, validation data or None)`` from fit's arguments: ``val_data`` is
    ``validation_data``'s older name; a ``validation_split`` is carved from ``train_data``."""
    if val_data is not None:
        if validation_data is not None:
            raise GlassnetValueError("fit: pass validation_data or its older name val_data, not both")
        validation_data = val_data
    fraction = check_fraction(validation_split, "fit")
    if fraction == 0:
        return train_data, validation_data
    if validation_data is not None:
        raise GlassnetValueError(f"fit: validation_split={fraction:g} carves validation data from "
                                 "train_data, and validation_data gives some; pass one of the two")
    if isinstance(train_data, DataLoader):
        raise GlassnetTypeError("fit: validation_split needs train_data as a Dataset or an (X, y) pair "
                                "to carve from, got a DataLoader; split the dataset first "
                                "(train.split_validation) and pass validation_data")
    return split_validation(as_dataset(train_data, "fit", dtype), fraction, seed)


def _run_epoch(run, epoch, model, loader, val_loader, loss_fn, metrics, scheduler, world, bar_on,
               train_step):
    """Train one epoch, validate, step an epoch scheduler; ``(logs, samples trained on)``."""
    run.epoch = epoch
    start = time.perf_counter()
    meter = _Meter(metrics, loss_fn)
    world.start_epoch(loader, epoch)
    bar = EpochBar(loader, epoch, run.epochs, bar_on)
    try:
        run.step += _train_epoch(model, loader, loss_fn, run.optimizer, meter, scheduler, bar, epoch,
                                 train_step)
    finally:
        bar.close()
    world.sum_meter(meter)
    logs = {"epoch": epoch, **meter.results()}
    if val_loader is not None:
        logs.update(evaluate(run.model, val_loader, loss_fn, metrics, prefix="val_"))
    if scheduler is not None and not _per_batch(scheduler):
        _step_scheduler(scheduler, logs)
    logs["time"] = time.perf_counter() - start
    return logs, meter.count


def _compiled_step(model, loss_fn, optimizer):
    """One training step under :func:`glassnet.capture.compile`; returns (output, loss)."""
    from glassnet.capture import compile as capture

    def train_step(x, y):
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        loss.backward()
        optimizer.step()
        return output, loss
    return capture(train_step)


def evaluate(model, data, loss_fn=None, metrics=("accuracy",), batch_size=256, prefix=""):
    """Average loss (when ``loss_fn`` is given) and metrics over ``data``, in eval mode
    without recording a graph. Restores the model's previous mode.

    Each value is the mean over all samples (batch means weighted by batch size), so it
    does not depend on ``batch_size``.

    Args:
        model: the Module to evaluate.
        data: a DataLoader, a Dataset or an ``(X, y)`` pair.
        loss_fn: the loss, called as ``loss_fn(model(x), y)``; None leaves ``loss`` out.
        metrics: names (``"accuracy"``, … see ``glassnet.train.METRICS``) or callables
            (default ``("accuracy",)``).
        batch_size: samples per batch when ``data`` is not a DataLoader (default 256).
        prefix: put in front of every key (``fit`` passes ``"val_"``).

    Returns:
        dict: ``{prefix + "loss": …, prefix + metric: …}`` as Python floats.

    Shape:
        ``X`` ``(N, *)`` and ``y`` ``(N, *)``, whatever ``model`` and ``loss_fn`` take.

    Example:
        >>> import glassnet as gn
        >>> X = gn.tensor([[0.0], [1.0], [2.0], [3.0]])
        >>> y = gn.tensor([0, 0, 1, 1])
        >>> model = gn.nn.Linear(1, 2)                  # logits (1.5 − x, x − 1.5)
        >>> _ = model.load_state_dict({"weight": gn.tensor([[-1.0], [1.0]]),
        ...                            "bias": gn.tensor([1.5, -1.5])})
        >>> scores = gn.train.evaluate(model, (X, y), gn.nn.CrossEntropyLoss())
        >>> sorted(scores), round(scores["loss"], 4), scores["accuracy"]
        (['accuracy', 'loss'], 0.1809, 1.0)
        >>> gn.train.evaluate(model, (X, y), prefix="test_")
        {'test_accuracy': 1.0}
    """
    loader = as_loader(data, batch_size, False, who="evaluate", dtype=_model_dtype(model))
    was_training = model.training
    model.eval()
    meter = _Meter(metrics, loss_fn)
    try:
        with no_grad():
            for x, y in loader:
                output = model(x)
                loss = None if loss_fn is None else loss_fn(output, y).item()
                meter.update(loss, output, y, len(x))
    finally:
        model.train(was_training)
    return meter.results(prefix, with_loss=loss_fn is not None)


def predict(model, data, batch_size=256):
    """The model's outputs for every sample of ``data`` (features, or (X, y) pairs),
    concatenated into one Tensor, in eval mode without a graph."""
    if isinstance(data, Tensor) or isinstance(data, np.ndarray):
        x = data if isinstance(data, Tensor) else Tensor(data)
        data = TensorDataset(x, np.zeros(len(x), dtype=np.int64))
    loader = as_loader(data, batch_size, False, who="predict", dtype=_model_dtype(model))
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            for batch in loader:
                outputs.append(model(batch[0]).array)
    finally:
        model.train(was_training)
    xp = namespace(outputs[0])
    return Tensor._wrap(xp.concatenate(outputs), False, None)
