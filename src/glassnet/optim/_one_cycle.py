"""OneCycleLR: warm the lr up to a peak, then anneal it far below where it started."""

import math

from glassnet._errors import GlassnetValueError
from glassnet.optim._scheduler import LRScheduler, check_optimizer, per_group

__all__ = ["OneCycleLR"]


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2017), as ``torch.optim.lr_scheduler.OneCycleLR``.

    Step it once per *batch*, ``total_steps`` times in all (or ``epochs·steps_per_epoch``).
    With ``initial = max_lr / div_factor`` and ``min = initial / final_div_factor``::

        steps 0 … pct_start·T − 1     lr: initial → max_lr   momentum: max → base
        then to step T − 1            lr: max_lr → min       momentum: base → max

    and with ``three_phase`` the second phase returns to ``initial`` (by step
    2·pct_start·T − 2) and a third anneals to ``min``. Each phase interpolates with
    ``anneal(a, b, f) = b + (a − b)·(1 + cos πf) / 2`` (``'cos'``) or ``a + (b − a)·f``
    (``'linear'``). With ``cycle_momentum`` the optimizer's ``momentum`` (SGD, RMSprop)
    or ``betas[0]`` (Adam) follows the momentum column.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        check_optimizer(optimizer, "OneCycleLR")
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1:
            raise GlassnetValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise GlassnetValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        self._phases = _phases(self.total_steps, float(pct_start), three_phase)
        max_lrs = per_group(max_lr, optimizer, "OneCycleLR max_lr")
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _init_momentum(self, optimizer, base_momentum, max_momentum, last_epoch):
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise GlassnetValueError(
                f"OneCycleLR: cycle_momentum needs an optimizer with momentum or betas; "
                f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        maxes = per_group(max_momentum, optimizer, "OneCycleLR max_momentum")
        bases = per_group(base_momentum, optimizer, "OneCycleLR base_momentum")
        if last_epoch == -1:
            for group, top, bottom in zip(optimizer.param_groups, maxes, bases, strict=True):
                self._set_momentum(group, top)
                group["max_momentum"] = top
                group["base_momentum"] = bottom

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise GlassnetValueError(
                f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}"
            )
        anneal = _anneal_cos if self.anneal_strategy == "cos" else _anneal_linear
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._phases):
                end = phase["end_step"]
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, anneal(group[phase["start_momentum"]],
                                                         group[phase["end_momentum"]], pct))
                    break
                start = end
        return lrs


def _total_steps(total_steps, epochs, steps_per_epoch):
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise GlassnetValueError(
                f"OneCycleLR: total_steps must be a positive int, got {total_steps}"
            )
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise GlassnetValueError(
            "OneCycleLR: give total_steps, or both epochs and steps_per_epoch"
        )
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        if not isinstance(value, int) or value <= 0:
            raise GlassnetValueError(f"OneCycleLR: {name} must be a positive int, got {value}")
    return epochs * steps_per_epoch


def _phases(total_steps, pct_start, three_phase):
    """Each phase: the step it ends at and the group keys it goes from and to."""
    def phase(end_step, lr_from, lr_to, momentum_from, momentum_to):
        return {"end_step": end_step, "start_lr": lr_from, "end_lr": lr_to,
                "start_momentum": momentum_from, "end_momentum": momentum_to}

    warmup = phase(float(pct_start * total_steps) - 1,
                   "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if not three_phase:
        return [warmup, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum",
                              "max_momentum")]
    return [warmup,
            phase(float(2 * pct_start * total_steps) - 2,
                  "max_lr", "initial_lr", "base_momentum", "max_momentum"),
            phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start
