"""Checkpoints: everything a training run needs to continue exactly where it stopped.

A checkpoint is one safetensors file (written atomically, no pickle) holding

- the model's state dict (tensors ``model/<name>``),
- the optimizer's and the scheduler's state dicts (arrays as tensors, the rest as JSON),
- ``epoch`` (the last finished epoch) and ``step`` (optimizer steps so far),
- the state of every random generator the run draws from: glassnet's default generator
  (init, dropout, shuffling without a seed) and the DataLoader's own generator when it
  was given a seed,
- the History so far, the model's ``config`` and any ``extra`` JSON data.

Restoring all of it at an epoch boundary makes the rest of the run draw the same random
numbers and do the same arithmetic as a run that was never interrupted, so the final
weights are bitwise identical. :class:`CheckpointManager` names the files by epoch and
keeps the last N.

Every tensor's bytes carry a CRC-32 (:func:`glassnet.io.write_file`), and :meth:`Checkpoint.load`
checks the whole file — header, checksums, the JSON state's types, the random generators'
states — before anything uses it. A damaged newest checkpoint does not stop a resume:
:func:`resume_run` says which file is damaged and why, and continues from the newest
intact one.
"""

import json
import os
import re
import warnings

import numpy as np

from glassnet._backend import default_generator
from glassnet._errors import GlassnetError, GlassnetValueError
from glassnet.io._files import FORMAT_VERSION, _as_array, read_arrays, write_file
from glassnet.io._header import FileFormatError
from glassnet.io._tree import pack_tree, unpack_tree

__all__ = ["Checkpoint", "CheckpointManager", "as_manager", "loader_generator", "resume_run"]

_MODEL = "model/"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _check_rng_state(state, who):
    """A saved ``bit_generator.state`` must be one NumPy accepts (tried on a fresh
    generator of the named kind, chosen from a fixed list — never looked up by name)."""
    if state is None:
        return
    kind = state.get("bit_generator") if type(state) is dict else None
    if kind not in _BIT_GENERATORS:
        raise ValueError(f"{who} is not a random generator state (bit_generator "
                         f"{kind!r:.40}; expected one of {list(_BIT_GENERATORS)})")
    try:
        getattr(np.random, kind)().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ValueError(f"{who} is a malformed {kind} state ({exc})") from None


def _check_state(state):
    """The types :class:`Checkpoint` needs, or a ValueError saying which part is wrong."""
    if type(state) is not dict:
        raise ValueError("the state is not a JSON object")
    for key in ("epoch", "step"):
        if type(state.get(key)) is not int or state[key] < 0:
            raise ValueError(f"{key} must be a non-negative integer, got {state.get(key)!r:.40}")
    history = state.get("history")
    if type(history) is not list or not all(type(r) is dict for r in history):
        raise ValueError("history must be a list of records")
    for key in ("optimizer", "scheduler", "config", "extra"):
        if state.get(key) is not None and type(state[key]) is not dict:
            raise ValueError(f"{key} must be a dict or null, got {type(state[key]).__name__}")
    _check_rng_state(state.get("rng"), "rng")
    _check_rng_state(state.get("loader_rng"), "loader_rng")


def loader_generator(loader):
    """The DataLoader's own generator (given a seed), or None when it shares glassnet's."""
    gen = getattr(loader, "_generator", None)
    return None if gen is None or gen is default_generator() else gen


def _set_state(generator, state, who):
    if generator.bit_generator.state["bit_generator"] != state.get("bit_generator"):
        raise GlassnetValueError(
            f"Checkpoint.restore: {who} is a {generator.bit_generator.state['bit_generator']} "
            f"generator but the checkpoint saved a {state.get('bit_generator')} state"
        )
    generator.bit_generator.state = state


class Checkpoint:
    """A snapshot of a training run; ``capture`` takes one, ``restore`` puts it back.

    Attributes are plain data: ``model_state`` (name → array), ``optimizer_state``,
    ``scheduler_state`` (state dicts or None), ``epoch``, ``step``, ``rng_state``,
    ``loader_rng_state`` (``bit_generator.state`` dicts or None), ``history`` (a list of
    per-epoch records), ``config`` (the model's, or None) and ``extra`` (JSON data).
    """

    def __init__(self, model_state, optimizer_state=None, scheduler_state=None, epoch=0, step=0,
                 rng_state=None, loader_rng_state=None, history=(), config=None, extra=None):
        self.model_state, self.optimizer_state = model_state, optimizer_state
        self.scheduler_state, self.epoch, self.step = scheduler_state, int(epoch), int(step)
        self.rng_state, self.loader_rng_state = rng_state, loader_rng_state
        self.history, self.config, self.extra = list(history), config, extra or {}

    @classmethod
    def capture(cls, model, optimizer=None, scheduler=None, epoch=0, step=0, history=None,
                loader=None, extra=None):
        """Copy the state of a run now (call it between epochs)."""
        gen = loader_generator(loader)
        records = [] if history is None else getattr(history, "records", history)
        return cls(
            {k: v.array.copy() for k, v in model.state_dict().items()},
            None if optimizer is None else optimizer.state_dict(),
            None if scheduler is None else scheduler.state_dict(),
            epoch, step, default_generator().bit_generator.state,
            None if gen is None else gen.bit_generator.state,
            [dict(r) for r in records], getattr(model, "config", None), extra,
        )

    def restore(self, model, optimizer=None, scheduler=None, loader=None):
        """Load the saved state into ``model`` (and optimizer, scheduler, the random
        generators, ``loader``'s own generator); returns ``self``."""
        model.load_state_dict(self.model_state)
        if optimizer is not None and self.optimizer_state is not None:
            optimizer.load_state_dict(self.optimizer_state)
        if scheduler is not None and self.scheduler_state is not None:
            scheduler.load_state_dict(self.scheduler_state)
        if self.rng_state is not None:
            _set_state(default_generator(), self.rng_state, "glassnet's default generator")
        gen = loader_generator(loader)
        if gen is not None and self.loader_rng_state is not None:
            _set_state(gen, self.loader_rng_state, "the DataLoader's generator")
        return self

    def save(self, path):
        """Write the checkpoint to ``path`` atomically (one safetensors file)."""
        state = {"optimizer": self.optimizer_state, "scheduler": self.scheduler_state,
                 "epoch": self.epoch, "step": self.step, "rng": self.rng_state,
                 "loader_rng": self.loader_rng_state, "history": self.history,
                 "config": self.config, "extra": self.extra}
        doc, arrays = pack_tree(state, "state/")
        arrays.update({_MODEL + k: v for k, v in self.model_state.items()})
        arrays = {k: _as_array(v, k, path) for k, v in arrays.items()}
        meta = {"format": "glassnet", "format_version": FORMAT_VERSION, "kind": "checkpoint",
                "checkpoint": json.dumps(doc)}
        return write_file(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Read a checkpoint written by :meth:`save` (every byte checked first)."""
        path = os.fspath(path)
        arrays, meta = read_arrays(path)
        if meta.get("kind") != "checkpoint" or "checkpoint" not in meta:
            raise FileFormatError(f"Checkpoint.load {path}: not a glassnet checkpoint file "
                                  "(a model file? load it with gn.load)")
        try:
            state = unpack_tree(json.loads(meta["checkpoint"]), arrays)
            _check_state(state)
            model_state = {k[len(_MODEL):]: v for k, v in arrays.items() if k.startswith(_MODEL)}
            return cls(model_state, state["optimizer"], state["scheduler"], state["epoch"],
                       state["step"], state["rng"], state["loader_rng"], state["history"],
                       state["config"], state["extra"])
        except RecursionError:
            raise FileFormatError(f"Checkpoint.load {path}: damaged checkpoint data (nested too "
                                  "deeply)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise FileFormatError(f"Checkpoint.load {path}: damaged checkpoint data "
                                  f"({str(exc)[:200]})") from None

    def __repr__(self):
        return (f"Checkpoint(epoch={self.epoch}, step={self.step}, "
                f"{len(self.model_state)} model tensors, {len(self.history)} history records)")


class CheckpointManager:
    """``checkpoint-000007.safetensors`` files in ``directory``, the last ``keep_last`` kept
    (``None``: all). ``extra`` (JSON data) goes into every checkpoint :func:`fit` writes.

    Files are written atomically and older ones deleted only after the new one is in
    place, so a process killed at any moment leaves the latest complete checkpoint.
    """

    PATTERN = re.compile(r"^checkpoint-(\d+)\.safetensors$")

    def __init__(self, directory, keep_last=3, extra=None):
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 1):
            raise GlassnetValueError(f"CheckpointManager: keep_last must be an int >= 1 or None, "
                                     f"got {keep_last!r}")
        self.directory, self.keep_last = os.fspath(directory), keep_last
        self.extra = extra  # JSON data stored in every checkpoint (e.g. the CLI arguments)

    def path_for(self, epoch):
        return os.path.join(self.directory, f"checkpoint-{int(epoch):06d}.safetensors")

    def paths(self):
        """Complete checkpoint files, oldest first (temporary files are never listed)."""
        if not os.path.isdir(self.directory):
            return []
        found = [(int(m.group(1)), name) for name in os.listdir(self.directory)
                 if (m := self.PATTERN.match(name))]
        return [os.path.join(self.directory, name) for _, name in sorted(found)]

    def latest(self):
        """The newest checkpoint's path, or None."""
        paths = self.paths()
        return paths[-1] if paths else None

    def save(self, checkpoint):
        """Write ``checkpoint`` under its epoch's name, then drop all but the last N."""
        path = checkpoint.save(self.path_for(checkpoint.epoch))
        if self.keep_last is not None:
            for old in self.paths()[:-self.keep_last]:
                os.remove(old)
        return path

    def load_latest(self):
        """The newest checkpoint (a :class:`Checkpoint`), or None when there is none."""
        path = self.latest()
        return None if path is None else Checkpoint.load(path)

    def load_latest_intact(self):
        """``(path, checkpoint, damaged)``: the newest checkpoint that loads (every byte
        checked), and ``[(path, reason)]`` for each newer one that did not — or
        ``(None, None, [])`` when there is none. Raises when every file is damaged."""
        damaged = []
        for path in reversed(self.paths()):
            try:
                return path, Checkpoint.load(path), damaged
            except GlassnetError as exc:
                damaged.append((path, str(exc)))
        if damaged:
            reasons = "; ".join(reason for _, reason in damaged[:3])
            raise FileFormatError(f"resume: every checkpoint in {self.directory} is damaged "
                                  f"({reasons})")
        return None, None, damaged

    def clean_temporary(self):
        """Remove temporary files a killed writer left behind (``.checkpoint-*.tmp``)."""
        if os.path.isdir(self.directory):
            for name in os.listdir(self.directory):
                if name.startswith(".checkpoint-") and name.endswith(".tmp"):
                    os.remove(os.path.join(self.directory, name))


def resume_run(manager, run, scheduler, loader, print_fn=None):
    """Restore the newest intact checkpoint of ``manager`` into ``run`` (its model,
    optimizer, history and step), ``scheduler`` and the generators; returns the first
    epoch to run (1 when there is no checkpoint yet). A damaged newer checkpoint is
    skipped with a message naming it and the reason, through ``print_fn`` (a
    ``RuntimeWarning`` when it is None)."""
    manager.clean_temporary()
    path, checkpoint, damaged = manager.load_latest_intact()
    say = print_fn or (lambda line: None)
    for bad, reason in damaged:  # said even without progress output: a warning then
        if print_fn is None:
            warnings.warn(f"skipping damaged checkpoint {bad}: {reason}", RuntimeWarning,
                          stacklevel=3)
        say(f"skipping damaged checkpoint {bad}: {reason}")
    if path is None:
        return 1
    try:
        checkpoint.restore(run.model, run.optimizer, scheduler, loader)
    except GlassnetError as exc:
        raise type(exc)(f"resume from {path}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise GlassnetValueError(f"resume from {path}: the checkpoint does not fit this run "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None
    run.history.records = [dict(r) for r in checkpoint.history]
    run.step = checkpoint.step
    previous = " (the previous intact one)" if damaged else ""
    say(f"resuming from {path}{previous} (epoch {checkpoint.epoch}, step {checkpoint.step})")
    return checkpoint.epoch + 1


def as_manager(checkpoint_dir, keep_last, resume):
    """A CheckpointManager from a directory (or the manager itself), or None. A fresh run
    (``resume=False``) refuses a directory that already holds checkpoints."""
    if checkpoint_dir is None:
        return None
    manager = checkpoint_dir
    if not isinstance(manager, CheckpointManager):
        manager = CheckpointManager(checkpoint_dir, keep_last)
    if not resume and manager.latest() is not None:
        raise GlassnetValueError(
            f"fit: {manager.directory} already holds checkpoints (newest {manager.latest()}); "
            "pass resume=True to continue that run, or use an empty directory"
        )
    return manager
