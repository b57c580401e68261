"""Schedules that cycle: CyclicLR (Smith, 2017: the lr between two bounds, momentum the
other way) and CosineAnnealingWarmRestarts (SGDR, Loshchilov & Hutter: half cosines that
restart, each ``T_mult`` times longer), with PyTorch's formulas."""

import copy
import math
import types

from glassnet._errors import GlassnetValueError
from glassnet.optim._scheduler import LRScheduler, check_optimizer, per_group

__all__ = ["CyclicLR", "CosineAnnealingWarmRestarts"]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""``lr = eta_min + (base_lr − eta_min)·(1 + cos(π·T_cur/T_i))/2``, where ``T_cur``
    counts the epochs since the last restart and a restart comes after ``T_i`` epochs
    (``T_0`` first, then ``T_i·T_mult``). ``step(epoch)`` also takes a fractional epoch
    (``scheduler.step(epoch + i / iters)`` inside an epoch, as PyTorch's docs show).

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        T_0: the epochs before the first restart (an int ≥ 1).
        T_mult: how much longer each next period is (an int ≥ 1; default 1).
        eta_min: the lowest lr (default 0).
        last_epoch: the last epoch done, to resume (default −1: start afresh).

    Example:
        >>> import glassnet as gn
        >>> opt = gn.optim.SGD([gn.nn.Parameter(gn.zeros(1))], lr=1.0)
        >>> scheduler = gn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 3))
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs                 # restarts at epochs 2 and 6
        [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise GlassnetValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise GlassnetValueError(f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (may be fractional) and set each group's lr."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            self._go_to(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _go_to(self, epoch):
        if epoch < 0:
            raise GlassnetValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n


class CyclicLR(LRScheduler):
    r"""Cycle the lr between ``base_lr`` and ``max_lr`` (step it once per *batch*): up over
    ``step_size_up`` steps, down over ``step_size_down`` (default: the same), the height
    scaled per cycle — ``triangular`` (constant), ``triangular2`` (halved each cycle),
    ``exp_range`` (× ``gamma`` per step) or your ``scale_fn``. With ``cycle_momentum`` the
    momentum (or Adam's β₁) moves the other way, between ``max_momentum`` and
    ``base_momentum``.

    ``cycle = ⌊1 + t/(up + down)⌋``, ``x = 1 + t/(up + down) − cycle``,
    ``f = x/r`` while ``x ≤ r = up/(up + down)``, else ``(x − 1)/(r − 1)``;
    ``lr = base_lr + (max_lr − base_lr)·f·scale``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        base_lr: the lower bound (one, or one per group); set as the groups' lr.
        max_lr: the upper bound (one, or one per group).
        step_size_up: steps from base_lr up to max_lr (default 2000).
        step_size_down: steps back down (default: step_size_up).
        mode: ``'triangular'`` (default), ``'triangular2'`` or ``'exp_range'``.
        gamma: exp_range's factor per step (default 1).
        scale_fn: a custom scale ``scale_fn(x)`` replacing the mode's (default None).
        scale_mode: what scale_fn gets: ``'cycle'`` (the cycle number) or ``'iterations'``.
        cycle_momentum: cycle the momentum too (default True; needs momentum or betas).
        base_momentum: the momentum at the lr's peak (default 0.8).
        max_momentum: the momentum at base_lr (default 0.9).
        last_epoch: the last step done, to resume (default −1: start afresh).

    Example:
        >>> import glassnet as gn
        >>> opt = gn.optim.SGD([gn.nn.Parameter(gn.zeros(1))], lr=0.1, momentum=0.9)
        >>> scheduler = gn.optim.lr_scheduler.CyclicLR(opt, 0.1, 0.5, step_size_up=2)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 3))
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1, 0.3]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1):
        check_optimizer(optimizer, "CyclicLR")
        base_lrs = per_group(base_lr, optimizer, "CyclicLR base_lr")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = per_group(max_lr, optimizer, "CyclicLR max_lr")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size, self.step_ratio = up + down, up / (up + down)
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise GlassnetValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' (or "
                                     f"give scale_fn), got {mode!r}")
        self.mode, self.gamma, self._scale_fn_custom, self.scale_mode = mode, gamma, scale_fn, scale_mode
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_momentum(self, optimizer, base_momentum, max_momentum, last_epoch):
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise GlassnetValueError(f"CyclicLR: cycle_momentum needs an optimizer with momentum or betas; "
                                     f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)")
        self.use_beta1 = "betas" in optimizer.defaults
        self.base_momentums = per_group(base_momentum, optimizer, "CyclicLR base_momentum")
        self.max_momentums = per_group(max_momentum, optimizer, "CyclicLR max_momentum")
        if last_epoch == -1:
            for top, bottom, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups,
                                          strict=True):
                self._set_momentum(group, top)
                group["max_momentum"], group["base_momentum"] = top, bottom

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def scale_fn(self, x):
        """The height's scale: the custom scale_fn, or the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        factor = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            bounds = zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True)
            for group, bottom, top in bounds:
                self._set_momentum(group, top - (top - bottom) * factor * scale)
        return lrs

    def state_dict(self):
        """As the base's, with a custom scale_fn saved as its attributes (a callable object)
        or not at all (a function)."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_scale_fn_custom")}
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                     else copy.deepcopy(fn.__dict__))
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        attrs = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if attrs is not None:
            self._scale_fn_custom.__dict__.update(copy.deepcopy(attrs))
