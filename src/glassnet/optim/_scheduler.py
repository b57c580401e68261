"""The LRScheduler base and the schedules that follow a fixed rule per epoch.

A scheduler sets ``group["lr"]`` of every parameter group of its optimizer each time
its :meth:`~LRScheduler.step` is called (once per epoch, after ``optimizer.step()``).
Like PyTorch, most schedules are *chained*: the new lr is computed from the current
``group["lr"]``, so they compose with other code that changes the lr; the numbers are
those ``torch.optim.lr_scheduler`` produces.
"""

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.optim._optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "check_optimizer", "per_group", "EPOCH_DEPRECATION_WARNING"]

EPOCH_DEPRECATION_WARNING = (  # PyTorch's words, so that filters written for them still match
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. "
    "Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different "
    "from None, the closed form is used instead of the new chainable form, where available. Please open "
    "an issue if you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose."
)


class LRScheduler:
    """Base class: keeps ``last_epoch``, ``base_lrs`` and the lrs it last set.

    Construction takes the first step (epoch 0), which leaves the lrs as they are for
    every built-in schedule. Subclasses write :meth:`get_lr`, the lrs for
    ``last_epoch``. Pass ``last_epoch`` ≥ 0 only to resume, with ``"initial_lr"``
    already in the groups (a loaded optimizer state dict has it).
    """

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer, type(self).__name__)
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, group in enumerate(groups) if "initial_lr" not in group]
            if missing:
                raise GlassnetValueError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    f"'initial_lr' in every parameter group; groups {missing} have none "
                    "(load the optimizer's state dict first, or leave last_epoch=-1)"
                )
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The lr of every group for epoch ``last_epoch`` (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self, epoch=None):
        """Advance one epoch and set each group's lr. ``step(epoch)``, PyTorch's deprecated
        form, warns as PyTorch does and jumps to ``epoch``: the closed-form lr where the
        schedule has one (``_get_closed_form_lr``), else ``get_lr`` at that epoch."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            lrs = self.get_lr()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            lrs = closed_form() if closed_form is not None else self.get_lr()
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self):
        """The lrs this scheduler set last, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as plain data (copies)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned."""
        self.__dict__.update(copy.deepcopy({k: v for k, v in state_dict.items()
                                            if k != "optimizer"}))

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """``lr = base_lr · lr_lambda(epoch)``; one function, or one per parameter group.

    ``state_dict`` saves the attributes of callable objects, never the functions.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        check_optimizer(optimizer, "LambdaLR")
        self.lr_lambdas = per_group(lr_lambda, optimizer, "lr_lambda")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * lmbda(self.last_epoch)
                for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self):
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else copy.deepcopy(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, attrs in zip(self.lr_lambdas, saved_lambdas, strict=True):
            if attrs is not None:
                fn.__dict__.update(copy.deepcopy(attrs))


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

    ``lr = base_lr · gamma^⌊epoch / step_size⌋``

    Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        step_size: epochs between decays (an int ≥ 1).
        gamma: the factor the lr is multiplied by (default 0.1).
        last_epoch: the index of the last epoch done, to resume a schedule (default -1:
            start afresh).

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.Parameter(gn.tensor([1.0]))
        >>> opt = gn.optim.SGD([w], lr=1.0)
        >>> scheduler = gn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if isinstance(step_size, float) and step_size.is_integer():
            step_size = int(step_size)  # StepLR(opt, 1.0, gamma=0.1): PyTorch's text-classification tutorial
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise GlassnetValueError(f"StepLR: step_size must be a whole number >= 1, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        """``base_lr·gamma^⌊epoch/step_size⌋`` (SequentialLR restarts a schedule with it)."""
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch listed in ``milestones``.

    ``lr = base_lr · gamma^(number of milestones ≤ epoch)``; a milestone listed twice
    counts twice.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = base_lr · gammaᵉᵖᵒᶜʰ``."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr from ``base_lr`` to ``eta_min`` along half a cosine over ``T_max``.

    ``lr = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch / T_max)) / 2``, computed in
    PyTorch's chained form (each lr from the previous one), which keeps going past
    ``T_max`` as a cosine wave of period ``2·T_max``.

    Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        T_max: the number of epochs from ``base_lr`` down to ``eta_min`` (> 0).
        eta_min: the lowest lr (default 0).
        last_epoch: the index of the last epoch done, to resume a schedule (default -1:
            start afresh).

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.Parameter(gn.tensor([1.0]))
        >>> opt = gn.optim.SGD([w], lr=1.0)
        >>> scheduler = gn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs                 # down to eta_min at epoch 4, then back up
        [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise GlassnetValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = self._current_lrs()
        if self._is_initial:
            return lrs
        if (epoch - 1 - t_max) % (2 * t_max) == 0:  # the trough: climb back up
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base_lr, lr in zip(self.base_lrs, lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in lrs]

    def _get_closed_form_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


def check_optimizer(optimizer, name):
    if not isinstance(optimizer, Optimizer):
        raise GlassnetTypeError(
            f"{name}: expected a glassnet.optim Optimizer, got {type(optimizer).__name__}"
        )


def per_group(value, optimizer, name):
    """``value`` repeated for each parameter group, or a list of one per group."""
    count = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        return [value] * count
    if len(value) != count:
        raise GlassnetValueError(
            f"{name}: got {len(value)} values for {count} parameter group(s); "
            "give one value, or one per group"
        )
    return list(value)
