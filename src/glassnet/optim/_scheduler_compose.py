"""Schedulers made of schedulers: SequentialLR (one after another, switching at
milestones) and ChainedScheduler (all of them every step, their factors multiplying), as
PyTorch's."""

import copy
from bisect import bisect_right

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.optim._scheduler import LRScheduler

__all__ = ["SequentialLR", "ChainedScheduler", "initial_step", "restart_at"]


def initial_step(scheduler):
    """Take the construction step again (epoch 0 with the initial rules)."""
    scheduler._step_count = 0
    scheduler._is_initial = True
    try:
        scheduler.step()
    finally:
        scheduler._is_initial = False


def restart_at(scheduler, epoch):
    """Set ``last_epoch`` and the lrs of that epoch, from the closed form where the
    schedule has one (PyTorch's ``_update_lr(epoch)``)."""
    scheduler.last_epoch = epoch
    closed_form = getattr(scheduler, "_get_closed_form_lr", None)
    lrs = closed_form() if closed_form is not None else scheduler.get_lr()
    for group, lr in zip(scheduler.optimizer.param_groups, lrs, strict=True):
        group["lr"] = lr
    scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


def _check_schedulers(schedulers, optimizer, name):
    if len(schedulers) < 1:
        raise GlassnetValueError(f"{name} expects at least one scheduler, got none")
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise GlassnetTypeError(f"{name}: scheduler {i} is a {type(scheduler).__name__}, "
                                    "not an LRScheduler")
        if type(scheduler).__name__ == "ReduceLROnPlateau":
            raise GlassnetValueError(f"{name} does not support ReduceLROnPlateau (its step needs the "
                                     f"metric); got one at index {i}")
        if scheduler.optimizer is not optimizer:
            raise GlassnetValueError(f"{name} expects all schedulers to belong to the same optimizer; "
                                     f"scheduler {i} ({type(scheduler).__name__}) has another one")


class _Composite(LRScheduler):
    """state_dict / load_state_dict that include the schedulers' own states."""

    def state_dict(self):
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(copy.deepcopy(state))
        for scheduler, saved in zip(self._schedulers, inner, strict=True):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted at
    its epoch 0) until ``milestones[1]``, … — e.g. a linear warm-up then a cosine decay.

    Args:
        optimizer: the optimizer all the schedulers drive.
        schedulers: the schedulers, in order (built on ``optimizer``).
        milestones: the epochs at which the next one takes over (one fewer than schedulers).
        last_epoch: the last epoch done (default −1: start afresh).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optim import lr_scheduler as S
        >>> opt = gn.optim.SGD([gn.nn.Parameter(gn.zeros(1))], lr=1.0)
        >>> warm = S.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = S.ExponentialLR(opt, gamma=0.5)
        >>> scheduler = S.SequentialLR(opt, [warm, decay], milestones=[2])
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_schedulers(schedulers, optimizer, "SequentialLR")
        if len(milestones) != len(schedulers) - 1:
            raise GlassnetValueError(f"SequentialLR: expects one milestone fewer than schedulers, got "
                                     f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:  # undo the step each took when it was built
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        initial_step(first)
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            restart_at(scheduler, 0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Step every scheduler at each step, in order: their (chained) factors multiply.

    Args:
        schedulers: the schedulers (built on one optimizer).
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers, optimizer=None):
        optimizer = optimizer or (schedulers[0].optimizer if schedulers else None)
        _check_schedulers(schedulers, optimizer, "ChainedScheduler")
        self._schedulers, self.optimizer = list(schedulers), optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
