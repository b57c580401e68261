"""ReduceLROnPlateau: cut the lr when a watched metric stops improving."""

import math

from glassnet._errors import GlassnetValueError
from glassnet.optim._scheduler import LRScheduler, check_optimizer, per_group

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Multiply every lr by ``factor`` after ``patience`` epochs without improvement.

    Call ``step(metric)`` once per epoch with the validation loss (``mode='min'``) or
    score (``mode='max'``). A metric improves on the best so far when, in ``'min'`` mode,
    ``metric < best·(1 − threshold)`` (``threshold_mode='rel'``) or
    ``metric < best − threshold`` (``'abs'``); the reverse in ``'max'`` mode. After the
    ``patience + 1``-th bad epoch in a row, ``lr ← max(lr·factor, min_lr)`` (skipped when
    the change is at most ``eps``), then ``cooldown`` epochs pass before bad epochs count.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        check_optimizer(optimizer, "ReduceLROnPlateau")
        if not factor < 1.0:
            raise GlassnetValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise GlassnetValueError(
                f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}"
            )
        if threshold_mode not in ("rel", "abs"):
            raise GlassnetValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.optimizer = optimizer
        self.factor = factor
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.min_lrs = per_group(min_lr, optimizer, "ReduceLROnPlateau min_lr")
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metric):
        """Record this epoch's ``metric`` (a number or one-element tensor)."""
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, current):
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - threshold)
            return current < best - threshold
        if self.threshold_mode == "rel":
            return current > best * (threshold + 1.0)
        return current > best + threshold

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise GlassnetValueError(
                    f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter "
                    f"groups but min_lr lists {len(self.min_lrs)}; update min_lrs"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
