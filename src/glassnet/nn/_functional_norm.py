"""Functional layer, group and RMS normalisation (re-exported by ``nn.functional``).

Layer and group norm standardise through one primitive, :class:`~glassnet.ops._layer_norm.LayerNorm`
(its closed-form backward takes half the array passes of the chain rule through mean,
subtract, multiply, sqrt and divide — transformers run a layer norm before every block);
RMS norm is composed from those primitives.

With ``D`` the normalised trailing axes (layer and RMS norm) or each group's channels
and positions (group norm)::

    layer_norm:  y = (x − mean_D(x)) / √(var_D(x) + eps) · γ + β
    group_norm:  the same, per (sample, group of C/G channels); γ, β per channel
    rms_norm:    y = x / √(mean_D(x²) + eps) · γ

``var`` is the biased variance (divide by the count, as PyTorch).
"""

import math

import numpy as np

from glassnet import ops
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.ops._layer_norm import layer_norm_op

__all__ = ["group_norm", "instance_norm", "layer_norm", "rms_norm"]


def as_shape(normalized_shape, who):
    """``normalized_shape`` (an int or a sequence of ints) as a tuple of positive ints."""
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(_size(n) for n in normalized_shape)
    except TypeError:
        raise GlassnetTypeError(
            f"{who}: normalized_shape must be an int or a sequence of ints, got "
            f"{normalized_shape!r}") from None
    if not shape or any(n <= 0 for n in shape):
        raise GlassnetValueError(
            f"{who}: normalized_shape must be one or more positive sizes, got {shape}")
    return shape


def _size(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(n)
    return int(n)


def _check(input, shape, weight, bias, who):
    got = tuple(input.shape)
    if got[len(got) - len(shape):] != shape or len(got) < len(shape):
        raise ShapeError(
            f"{who}: normalized_shape {shape} expects input of shape (*, "
            f"{', '.join(map(str, shape))}), got {got}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"{who}: {name} must have shape {shape} (normalized_shape), "
                             f"got {tuple(t.shape)}")
    return tuple(range(-len(shape), 0))


def _affine(y, weight, bias):
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes of ``input`` (*, *D), then
    scale by ``weight`` and shift by ``bias`` (both of shape D): ``y = x̂·γ + β`` with
    ``x̂ = (x − mean) / √(var + eps)``. Output: the input's shape."""
    shape = as_shape(normalized_shape, "layer_norm")
    _check(input, shape, weight, bias, "layer_norm")
    return layer_norm_op(input, math.prod(shape), weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise ``input`` (N, C, *) over each group of ``C / num_groups`` channels (and
    all positions *), per sample; then ``weight``, ``bias`` (C,) scale and shift each
    channel. Output: the input's shape."""
    got = tuple(input.shape)
    if len(got) < 2:
        raise ShapeError(f"group_norm: expected input (N, C, *), got {got}")
    n, c = got[0], got[1]
    if num_groups <= 0 or c % num_groups:
        raise GlassnetValueError(
            f"group_norm: expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {got} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"group_norm: {name} must have shape ({c},) for input {got}, "
                             f"got {tuple(t.shape)}")
    grouped = input.reshape(n, num_groups, -1)  # (N, G, C/G · positions)
    y = layer_norm_op(grouped, grouped.shape[-1], eps=eps).reshape(got)
    per_channel = (c,) + (1,) * (len(got) - 2)  # broadcast γ, β over the positions
    return _affine(y, None if weight is None else weight.reshape(per_channel),
                   None if bias is None else bias.reshape(per_channel))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``y = x / √(mean(x²) + eps) · γ`` over the trailing ``normalized_shape`` axes
    (PyTorch ≥ 2.4); ``eps=None`` uses the machine epsilon of the input's dtype.
    Output: the input's shape."""
    shape = as_shape(normalized_shape, "rms_norm")
    dims = _check(input, shape, weight, None, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    y = input / ops.sqrt((input * input).mean(dim=dims, keepdim=True) + eps)
    return _affine(y, weight, None)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its positions: (N, C, *) →
    ``y = (x − mean) / √(var + eps) · γ + β`` with the mean and biased variance of
    ``x[n, c]`` (group norm with one channel per group); ``weight``, ``bias`` (C,).

    With ``running_mean`` / ``running_var`` (C,) and ``use_input_stats`` they are updated
    in place, ``r ← (1 − momentum)·r + momentum·(batch average of the per-instance
    mean / unbiased variance)``; with ``use_input_stats=False`` they normalise instead."""
    got = tuple(input.shape)
    if len(got) < 3:
        raise ShapeError(f"instance_norm: expected input (N, C, *positions), got {got}")
    c = got[1]
    if use_input_stats:
        if running_mean is not None or running_var is not None:
            _update_running(input, running_mean, running_var, momentum)
        return group_norm(input, c, weight, bias, eps)
    if running_mean is None or running_var is None:
        raise GlassnetValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
    per_channel = (c,) + (1,) * (len(got) - 2)
    y = (input - running_mean.reshape(per_channel)) / (running_var.reshape(per_channel) + eps).sqrt()
    return _affine(y, None if weight is None else weight.reshape(per_channel),
                   None if bias is None else bias.reshape(per_channel))


def _update_running(input, running_mean, running_var, momentum):
    """The running statistics' moving averages (no gradient; written into the buffers)."""
    x = input.detach().array
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    count = flat.shape[-1]
    mean = flat.mean(axis=(0, 2))
    var = flat.var(axis=2, ddof=1 if count > 1 else 0).mean(axis=0)
    for buffer, value in ((running_mean, mean), (running_var, var)):
        if buffer is not None:
            buffer.array[...] = (1 - momentum) * buffer.array + momentum * value.astype(buffer.dtype)
