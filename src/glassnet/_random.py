"""Random draws from given probabilities or parameters: multinomial, bernoulli, normal.

Each takes ``generator`` (a :class:`~glassnet.Generator`; glassnet's default when
omitted). The numbers differ from PyTorch's (another generator); what is drawn — the
distribution, the shapes, the dtypes — is the same. Not differentiable.
"""

import numpy as np

from glassnet._backend import generator_or_default, get_default_dtype, to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import to_device, write_out

__all__ = ["multinomial", "bernoulli", "normal", "poisson"]


def _on_device_of(array, like):
    t = Tensor._wrap(array, False, None)
    return t if like.device.type == "cpu" else to_device(t, like.device)


def _weights(input):
    """The probabilities as a float64 host array of shape (rows, categories), checked."""
    if not isinstance(input, Tensor):
        raise GlassnetTypeError(f"multinomial: expected a Tensor of probabilities, got "
                                f"{type(input).__name__}")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise GlassnetValueError(f"multinomial: probabilities must be 1-D or 2-D with at least one category, "
                                 f"got shape {tuple(input.shape)}")
    w = to_numpy(input.array).astype(np.float64).reshape(-1, input.shape[-1])
    if not np.isfinite(w).all() or (w < 0).any():
        raise GlassnetValueError("multinomial: probabilities must be finite and non-negative")
    if (w.sum(axis=1) <= 0).any():
        raise GlassnetValueError("multinomial: each row of probabilities must have a positive sum")
    return w


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):  # noqa: A002
    """Draw ``num_samples`` category indices per row of ``input`` (non-negative weights,
    need not sum to 1): int64 of shape (num_samples,) or (rows, num_samples).

    With replacement each draw is independent (the inverse of the cumulative weights);
    without, a row's categories are drawn without repeats (the Gumbel-top-k trick:
    ``log w + Gumbel noise``, largest first), so ``num_samples`` may not exceed the number
    of categories with nonzero weight, as in PyTorch.
    """
    w = _weights(input)
    rng = generator_or_default(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(w, axis=1)
        u = rng.random((w.shape[0], num_samples)) * cdf[:, -1:]
        picks = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        picks = np.minimum(picks, w.shape[1] - 1)
    else:
        available = int((w > 0).sum(axis=1).min())
        if num_samples > available:
            raise GlassnetValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                                     f"from a row with only {available} nonzero weights")
        with np.errstate(divide="ignore"):
            keys = np.log(w) - np.log(-np.log(rng.random(w.shape)))
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(np.int64)
    result = _on_device_of(picks if input.ndim == 2 else picks[0], input)
    return write_out(result, out, "multinomial")


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002
    """1 with probability ``input`` (or ``p``) per element, else 0, in ``input``'s dtype."""
    probs = to_numpy(input.array) if p is None else np.broadcast_to(p, input.shape)
    if ((probs < 0) | (probs > 1)).any():
        raise GlassnetValueError("bernoulli: probabilities must lie in [0, 1]")
    draw = generator_or_default(generator, "bernoulli").random(input.shape) < probs
    return write_out(_on_device_of(draw.astype(input.array.dtype), input), out, "bernoulli")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False):
    """Normal draws: tensors ``mean`` and/or ``std`` give one draw per element (broadcast),
    numbers with ``size`` a tensor of that size."""
    rng = generator_or_default(generator, "normal")
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    m = to_numpy(mean.array) if isinstance(mean, Tensor) else mean
    s = to_numpy(std.array) if isinstance(std, Tensor) else std
    if tensors:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
        dtype = dtype or tensors[0].dtype
    elif size is None:
        raise GlassnetTypeError("normal: with numbers for mean and std, give size=(…)")
    else:
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    values = (m + s * rng.standard_normal(shape)).astype(np.dtype(dtype or get_default_dtype()))
    t = Tensor._wrap(values, False, None)
    if device is not None or tensors:
        t = to_device(t, device or tensors[0].device)
    t = write_out(t, out, "normal")
    return t.requires_grad_(requires_grad) if requires_grad else t


def poisson(input, generator=None):  # noqa: A002
    """Poisson draws with rates ``input`` (same shape and dtype)."""
    rates = to_numpy(input.array)
    draw = generator_or_default(generator, "poisson").poisson(rates).astype(input.array.dtype)
    return _on_device_of(draw, input)
