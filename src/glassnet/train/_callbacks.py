"""Callbacks: code run by :func:`fit` at the start and end of training and epochs."""

import math
import os

from glassnet._errors import GlassnetValueError

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateMonitor"]


class Callback:
    """Override any of these; ``run`` is the :class:`~glassnet.train.TrainingRun` (its
    ``model``, ``optimizer``, ``history``, and ``stop_training`` flag)."""

    def on_train_begin(self, run):
        pass

    def on_epoch_end(self, run, epoch, logs):
        pass

    def on_train_end(self, run):
        pass


def _better(mode, monitor):
    if mode == "auto":
        mode = "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise GlassnetValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _get(logs, monitor, who):
    if monitor not in logs:
        raise GlassnetValueError(
            f"{who}: monitored value {monitor!r} is not in the epoch logs {sorted(logs)} "
            "(pass validation_split or validation_data to fit() to get val_* values)"
        )
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    optionally put back the best weights seen.

    After each epoch: improved means ``value < best − min_delta`` (mode ``"min"``) or
    ``value > best + min_delta`` (``"max"``); otherwise a counter grows, and when it
    reaches ``patience`` training stops and ``stopped_epoch`` records the epoch.

    Args:
        monitor: the epoch-log key to watch (default ``"val_loss"``: needs validation data
            in :func:`~glassnet.train.fit`).
        patience: epochs without improvement before stopping (default 5).
        min_delta: the smallest change that counts as an improvement (default 0).
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for keys containing ``acc``, else min).
        restore_best_weights: at the end of training, load the weights of the best epoch.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> X, y = gn.tensor([[0.0], [1.0], [2.0], [3.0]]), gn.tensor([0, 0, 1, 1])
        >>> model = gn.nn.Linear(1, 2)
        >>> opt = gn.optim.SGD(model.parameters(), lr=0.0)    # lr 0: the loss never improves
        >>> stopper = gn.train.EarlyStopping(monitor="loss", patience=2)
        >>> history = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=10,
        ...                        callbacks=[stopper], shuffle=False, progress=False)
        >>> len(history), stopper.stopped_epoch    # best at epoch 1, then 2 epochs without
        (3, 3)
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.mode = _better(mode, monitor)
        self.restore_best_weights = restore_best_weights
        self.best, self.wait, self.best_state, self.stopped_epoch = None, 0, None, None

    def on_train_begin(self, run):
        self.best, self.wait, self.best_state, self.stopped_epoch = None, 0, None, None

    def _improved(self, value):
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, run, epoch, logs):
        value = _get(logs, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_state = {k: v.array.copy() for k, v in run.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            run.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, run):
        if self.restore_best_weights and self.best_state is not None:
            run.model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model's state dict after each epoch (or only when ``monitor``
    improves, with ``save_best_only``), atomically. ``path`` may contain ``{epoch}``.

    Each file is written by :func:`glassnet.io.save` (safetensors) with the epoch and its
    logs as metadata (:func:`glassnet.io.load_metadata`); ``saved`` lists the paths written.
    An epoch whose monitored value is NaN is not saved with ``save_best_only``.

    Args:
        path: the file to write; ``{epoch}`` in it is replaced by the epoch number (without
            it, each save overwrites the last).
        monitor: the epoch-log key compared with ``save_best_only`` (default ``"val_loss"``).
        save_best_only: save only when ``monitor`` is better than at every earlier save.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for keys containing ``acc``, else min).

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> X, y = gn.tensor([[0.0], [1.0], [2.0], [3.0]]), gn.tensor([0, 0, 1, 1])
        >>> model = gn.nn.Linear(1, 2)
        >>> opt = gn.optim.SGD(model.parameters(), lr=0.5)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     checkpoint = gn.train.ModelCheckpoint(os.path.join(folder, "epoch{epoch}.safetensors"),
        ...                                           monitor="loss", save_best_only=True)
        ...     _ = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=3,
        ...                      callbacks=[checkpoint], progress=False)
        ...     print([os.path.basename(p) for p in checkpoint.saved])
        ...     print("epoch", gn.io.load_metadata(checkpoint.saved[-1])["epoch"])
        ...     print(sorted(gn.io.load(checkpoint.saved[-1])))
        ['epoch1.safetensors', 'epoch2.safetensors', 'epoch3.safetensors']
        epoch 3
        ['bias', 'weight']
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path, self.monitor, self.save_best_only = os.fspath(path), monitor, save_best_only
        self.mode = _better(mode, monitor)
        self.best = None
        self.saved = []

    def on_epoch_end(self, run, epoch, logs):
        from glassnet.io import save

        if self.save_best_only:
            value = _get(logs, self.monitor, "ModelCheckpoint")
            if math.isnan(value):
                return
            if self.best is not None and (
                value >= self.best if self.mode == "min" else value <= self.best
            ):
                return
            self.best = value
        path = self.path.format(epoch=epoch)
        save(run.model, path, metadata={"epoch": epoch, "logs": logs})  # config too, if any
        self.saved.append(path)


class LearningRateMonitor(Callback):
    """Record the first parameter group's learning rate as ``lr`` in each epoch's logs."""

    def on_epoch_end(self, run, epoch, logs):
        logs["lr"] = run.optimizer.param_groups[0]["lr"]
