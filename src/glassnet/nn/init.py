"""Weight initialisers with PyTorch's formulas (``gn.nn.init``).

Each fills a tensor in place from glassnet's seeded generator and returns it. For a
weight of shape (out, in, k…): ``fan_in = in·k…``, ``fan_out = out·k…``.
"""

import math
import warnings

import numpy as np

from glassnet._backend import default_generator, generator_or_default, namespace
from glassnet._errors import GlassnetValueError

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_LIKE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for an activation: 1 (linear, sigmoid), 5/3 (tanh),
    √2 (relu), √(2 / (1 + slope²)) (leaky_relu, slope default 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise GlassnetValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (use linear, sigmoid, "
        "tanh, relu, leaky_relu or selu)"
    )


def _fans(tensor, name):
    if tensor.ndim < 2:
        raise GlassnetValueError(
            f"{name}: fan in/out need a tensor with at least 2 dimensions, got shape "
            f"{tuple(tensor.shape)}"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, values):
    xp = namespace(tensor.array)
    tensor.array[...] = xp.asarray(values, dtype=tensor.dtype)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill from U(a, b)."""
    return _fill(tensor, default_generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill from N(mean, std²)."""
    return _fill(tensor, default_generator().normal(mean, std, tensor.shape))


def constant_(tensor, val):
    tensor.array[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot: U(-a, a) with ``a = gain·√(6 / (fan_in + fan_out))``.

    Fills ``tensor`` in place (no gradient is recorded) and returns it. For a weight
    (out, in, k…) ``fan_in = in·k…`` and ``fan_out = out·k…``; keeps the variance of
    activations and of gradients about equal across layers for tanh/sigmoid networks.

    Args:
        tensor: the tensor to fill, at least 2-D.
        gain: the scale factor (``calculate_gain(nonlinearity)``; default 1.0).

    Returns:
        ``tensor``, filled.

    Example:
        >>> import glassnet as gn
        >>> w = gn.empty(64, 32)
        >>> _ = gn.manual_seed(0)
        >>> _ = gn.nn.init.xavier_uniform_(w)          # a = √(6 / (32 + 64)) = 0.25
        >>> round(float(abs(w.numpy()).max()), 3)
        0.25
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot: N(0, std²) with ``std = gain·√(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity, name):
    fan_in, fan_out = _fans(tensor, name)
    if mode not in ("fan_in", "fan_out"):
        raise GlassnetValueError(f"{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: U(-b, b) with ``b = gain·√(3 / fan)``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: N(0, std²) with ``std = gain / √fan``.

    Fills ``tensor`` in place (no gradient is recorded) and returns it. ``fan`` is
    ``fan_in = in·k…`` or ``fan_out = out·k…`` of a weight (out, in, k…); ``gain`` is
    ``calculate_gain(nonlinearity, a)``, √2 for ReLU, so ReLU layers keep their activations'
    variance.

    Args:
        tensor: the tensor to fill, at least 2-D.
        a: the negative slope of the leaky ReLU that follows (used when
            ``nonlinearity='leaky_relu'``; default 0, which makes the gain √2).
        mode: ``'fan_in'`` (keeps the forward variance; default) or ``'fan_out'`` (keeps
            the backward variance).
        nonlinearity: the activation after the layer, such as ``'relu'`` or
            ``'leaky_relu'`` (default).

    Returns:
        ``tensor``, filled.

    Example:
        >>> import glassnet as gn
        >>> w = gn.empty(256, 128)
        >>> _ = gn.manual_seed(0)
        >>> _ = gn.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
        >>> round(float(w.numpy().std()), 3)           # √2 / √128 = 0.125
        0.125
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al.): the tensor viewed as
    (rows = size(0), cols = the rest) is ``Q`` of the QR factorisation of a standard normal
    draw, its columns' signs fixed by ``sign(diag(R))`` (PyTorch's recipe). Rows ≤ cols:
    ``W·Wᵀ = gain²·I``; rows > cols: ``Wᵀ·W = gain²·I``. Fills in place, returns ``tensor``."""
    if tensor.ndim < 2:
        raise GlassnetValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                                 f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = default_generator().normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def eye_(tensor):
    """The 2-D ``tensor`` as the identity (ones on the main diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise GlassnetValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """A convolution weight (out, in, k…) that passes each of the first ``min(out/groups, in)``
    input channels of every group through unchanged: 1 at the kernel's centre."""
    if tensor.ndim not in (3, 4, 5) or tensor.shape[0] % groups:
        raise GlassnetValueError(f"dirac_: a 3-, 4- or 5-D weight whose size(0) divides by groups {groups}, "
                                 f"got shape {tuple(tensor.shape)}")
    out_per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + d, d, *centre)] = 1
    return _fill(tensor, values)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill from N(mean, std²) truncated to [a, b] (a, b are values, not multiples of std):
    draws outside the interval are drawn again until none is left, so every value is an
    exact sample of the truncated distribution (an interval holding under 10⁻⁴ of the
    normal is refused). ViT-style code: ``trunc_normal_(w, std=.02)``.

    Args:
        tensor: the tensor to fill in place.
        mean: the untruncated normal's mean (default 0).
        std: the untruncated normal's standard deviation (default 1).
        a: the lowest value (default −2).
        b: the highest value (default 2).
        generator: a ``gn.Generator`` to draw from (default: glassnet's seeded one).

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> w = gn.nn.init.trunc_normal_(gn.empty(1000), std=1.0, a=-0.5, b=0.5)
        >>> bool(w.abs().max() <= 0.5)
        True
    """
    if not a < b:
        raise GlassnetValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
                      "values may be incorrect.", stacklevel=2)
    inside = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if inside < 1e-4:
        raise GlassnetValueError(f"trunc_normal_: [{a}, {b}] holds only {inside:.1e} of N({mean}, {std}²); "
                                 "glassnet draws again until a value falls inside, which would take too long "
                                 "here — put the interval nearer the mean")
    draw = generator_or_default(generator, "trunc_normal_")
    values = draw.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = draw.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor as a sparse matrix (Martens, 2010): N(0, std²) values with
    ``⌈sparsity·rows⌉`` zeros in each column, at rows chosen at random per column.

    Args:
        tensor: a 2-D tensor (rows, cols), filled in place.
        sparsity: the fraction of each column set to zero.
        std: the standard deviation of the nonzero values (default 0.01).
        generator: a ``gn.Generator`` to draw from (default: glassnet's seeded one).

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.init.sparse_(gn.empty(10, 3), sparsity=0.3)
        >>> (w.numpy() == 0).sum(axis=0).tolist()
        [3, 3, 3]
    """
    if tensor.ndim != 2:
        raise GlassnetValueError(f"sparse_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    rows, cols = tensor.shape
    draw = generator_or_default(generator, "sparse_")
    values = draw.normal(0.0, std, (rows, cols))
    zeros = math.ceil(sparsity * rows)
    picked = np.argsort(draw.random((rows, cols)), axis=0)[:zeros]  # a random permutation per column
    values[picked, np.arange(cols)] = 0.0
    return _fill(tensor, values)


def _deprecated(initialiser):
    """PyTorch's old name without the trailing underscore: warns (FutureWarning, as
    PyTorch) and calls the new one."""
    new_name = initialiser.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return initialiser(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = f"Deprecated: :func:`{new_name}` (PyTorch's old name; warns)."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
