"""Stochastic Weight Averaging and EMA: ``torch.optim.swa_utils``, number for number.

* :class:`AveragedModel` keeps a deep copy of a model (``.module``) whose parameters are a
  running average of the model's, updated by :meth:`AveragedModel.update_parameters`.
* :class:`SWALR` anneals each group's lr to a constant ``swa_lr``.
* :func:`update_bn` recomputes BatchNorm running statistics of the averaged weights.

The SWA recipe (from epoch ``swa_start``: ``swa_model.update_parameters(model)`` and
``swa_scheduler.step()`` every epoch, then ``update_bn(loader, swa_model)``) gives PyTorch's
averaged weights, lrs and BatchNorm statistics.

This module is the one place in ``glassnet.optim`` that builds on ``glassnet.nn`` (an
AveragedModel *is* a Module), so ``glassnet.optim`` does not import it eagerly; it loads on
``import glassnet.optim.swa_utils`` or on first use of ``glassnet.optim.swa_utils``.
"""

import itertools
import math
from copy import deepcopy

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn._batchnorm import _BatchNorm
from glassnet.nn._module import Module
from glassnet.optim._scheduler import LRScheduler, check_optimizer, per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float(t):
    return np.issubdtype(t.array.dtype, np.floating) or np.issubdtype(t.array.dtype, np.complexfloating)


def _store(dst, value):
    """``dst.copy_(value)`` with PyTorch's cast of a float result into an integer buffer
    (truncation toward zero, as torch's ``copy_``)."""
    dst.copy_(value.to(dst.dtype) if isinstance(value, Tensor) and value.dtype != dst.dtype else value)


def _check_decay(decay, name):
    if not 0.0 <= decay <= 1.0:
        raise GlassnetValueError(f"{name}: decay must lie in [0, 1], got {decay}")


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA over lists of tensors: ``W_ema ← decay·W_ema + (1 − decay)·W_model``
    (a lerp with weight ``1 − decay`` for floating tensors)."""
    _check_decay(decay, "get_ema_multi_avg_fn")

    def ema_update(ema_param_list, current_param_list, _num_averaged):
        with no_grad():
            if _is_float(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.lerp_(p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    _store(p_ema, p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """In-place equal-weight mean over lists of tensors, ``n`` models averaged so far:
    ``W_avg ← W_avg + (W_model − W_avg) / (n + 1)``."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if _is_float(averaged_param_list[0]):
                for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                    p_avg.lerp_(p_model, 1 / (float(num_averaged) + 1))
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                    _store(p_avg, p_avg + (p_model - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA of one tensor, returned: ``decay·W_ema + (1 − decay)·W_model``."""
    _check_decay(decay, "get_ema_avg_fn")

    def ema_update(ema_param, current_param, _num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Equal-weight mean of one tensor, returned: ``W_avg + (W_model − W_avg) / (n + 1)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` (``.module``) whose parameters average the model's over time.

    ``update_parameters(model)`` copies the model's parameters on the first call; afterwards
    it applies ``avg_fn(avg, current, n_averaged)`` to each tensor (its result is copied in),
    or ``multi_avg_fn(avg_list, current_list, n_averaged)`` in place on lists of tensors of one
    dtype; with neither, the equal-weight running mean ``W + (W_model − W) / (n + 1)``.
    ``use_buffers=True`` averages buffers too; otherwise they are copied from the model.
    The buffer ``n_averaged`` (int64, shape ``()``) counts the updates; ``state_dict`` keys are
    ``n_averaged`` and ``module.<name>``. ``forward`` calls the averaged module.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if not isinstance(model, Module):
            raise GlassnetTypeError(
                f"AveragedModel: expected a glassnet.nn.Module, got {type(model).__name__}")
        if avg_fn is not None and multi_avg_fn is not None:
            raise GlassnetValueError("AveragedModel: got both avg_fn and multi_avg_fn; give at most one")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.zeros((), dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.module.parameters(), model.parameters()
        return [(a.detach(), m.detach()) for a, m in zip(mine, theirs, strict=False)]

    def update_parameters(self, model):
        """Fold ``model``'s current parameters into the average (see the class docstring)."""
        pairs = self._pairs(model)
        n = int(self.n_averaged.item())
        with no_grad():
            if n == 0:
                for p_avg, p_model in pairs:
                    p_avg.copy_(p_model)
            elif self.avg_fn is not None:
                for p_avg, p_model in pairs:
                    _store(p_avg, self.avg_fn(p_avg, p_model, self.n_averaged))
            else:
                self._multi_update(pairs)
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_avg.detach().copy_(b_model.detach())
            self.n_averaged.add_(1)

    def _multi_update(self, pairs):
        by_dtype = {}
        for p_avg, p_model in pairs:
            by_dtype.setdefault(p_avg.array.dtype, []).append((p_avg, p_model))
        for group in by_dtype.values():
            averaged, current = [a for a, _ in group], [m for _, m in group]
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            else:  # PyTorch's CPU path: the one-tensor mean, tensor by tensor
                avg_fn = get_swa_avg_fn()
                for p_avg, p_model in group:
                    _store(p_avg, avg_fn(p_avg, p_model, self.n_averaged))


def update_bn(loader, model, device=None):
    """One pass over ``loader`` to recompute the running statistics of every BatchNorm in
    ``model``: statistics reset, momentum ``None`` (the cumulative mean over batches), then
    momenta and train/eval mode restored. A batch is a tensor, or a list/tuple whose first
    element is the input."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` over ``anneal_epochs``
    steps, then hold it there.

    With ``s`` the step count since construction (``max(1, s)`` when ``anneal_epochs = 0``),
    ``t = clamp(s / max(1, anneal_epochs), 0, 1)`` and ``α = (1 − cos πt) / 2`` ("cos") or
    ``α = t`` ("linear"): ``lr = swa_lr·α + lr₀·(1 − α)``, where ``lr₀`` is recovered from the
    current lr and the previous step's ``α`` (chained, as PyTorch). ``swa_lr`` is one value,
    or one per parameter group (stored as ``group["swa_lr"]``).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        check_optimizer(optimizer, "SWALR")
        for value, group in zip(per_group(swa_lr, optimizer, "SWALR swa_lr"), optimizer.param_groups,
                                strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise GlassnetValueError(
                f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise GlassnetValueError(f"SWALR: anneal_epochs must be an int ≥ 0, got {anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / span)))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        """Everything but the optimizer and the anneal function (its name is kept)."""
        return {k: deepcopy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "anneal_func"})
        self._set_anneal_func(self._anneal_strategy)
