"""More per-epoch schedules, PyTorch's chained forms (each lr from the previous one):
LinearLR, ConstantLR, MultiplicativeLR, PolynomialLR.

Each also has the closed form ``_get_closed_form_lr`` (the lr from ``base_lr`` and the
epoch alone) that :class:`~glassnet.optim.lr_scheduler.SequentialLR` uses when it
restarts a schedule at a milestone, as PyTorch's does.
"""

from glassnet._errors import GlassnetValueError
from glassnet.optim._scheduler import LambdaLR, LRScheduler

__all__ = ["LinearLR", "ConstantLR", "MultiplicativeLR", "PolynomialLR"]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor·base_lr`` to ``end_factor·base_lr`` over
    ``total_iters`` epochs, then keep it: ``lr = base_lr·(s + (e − s)·min(epoch, T)/T)``.
    A warm-up: ``LinearLR(opt, start_factor=0.1, total_iters=5)``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        start_factor: the factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: the factor from epoch ``total_iters`` on, in [0, 1] (default 1).
        total_iters: the epochs of the ramp (default 5).
        last_epoch: the last epoch done, to resume (default −1: start afresh).

    Example:
        >>> import glassnet as gn
        >>> opt = gn.optim.SGD([gn.nn.Parameter(gn.zeros(1))], lr=1.0)
        >>> scheduler = gn.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise GlassnetValueError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], "
                                     f"got {start_factor} and {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = self._current_lrs()
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        slope = self.end_factor - self.start_factor
        factor = 1.0 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope)
        return [lr * factor for lr in lrs]

    def _get_closed_form_lr(self):
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)
                for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """``lr = factor·base_lr`` for the first ``total_iters`` epochs, then ``base_lr``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        factor: the factor before ``total_iters``, in [0, 1] (default 1/3).
        total_iters: the epochs at the lower lr (default 5).
        last_epoch: the last epoch done, to resume (default −1: start afresh).
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise GlassnetValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = self._current_lrs()
        if self.last_epoch == 0:
            return [lr * self.factor for lr in lrs]
        if self.last_epoch != self.total_iters:
            return lrs
        return [lr * (1.0 / self.factor) for lr in lrs]

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class MultiplicativeLR(LambdaLR):
    """Multiply the lr by ``lr_lambda(epoch)`` every epoch (one function, or one per
    parameter group): ``lr_t = lr_{t−1}·λ(t)``."""

    def get_lr(self):
        lrs = self._current_lrs()
        if self._is_initial:
            return lrs
        return [lr * lmbda(self.last_epoch) for lmbda, lr in zip(self.lr_lambdas, lrs, strict=True)]


class PolynomialLR(LRScheduler):
    """Decay the lr to 0 over ``total_iters`` epochs as a polynomial:
    ``lr = base_lr·(1 − min(epoch, T)/T)^power``.

    Args:
        optimizer: the optimizer whose parameter groups' lr is set.
        total_iters: the epochs until the lr reaches 0 (default 5).
        power: the polynomial's power (default 1: linear).
        last_epoch: the last epoch done, to resume (default −1: start afresh).
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = self._current_lrs()
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [lr * decay for lr in lrs]

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base_lr in self.base_lrs]
