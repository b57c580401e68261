"""``torch.nn.utils.fusion``: fold an evaluation-mode BatchNorm into the convolution or
linear layer before it, so that inference runs one layer instead of two.

With ``s = γ / √(running_var + ε)`` per channel: ``W' = W · s`` (each output channel's
filter scaled; for a transposed convolution the channel axis is 1) and
``b' = (b − running_mean) · s + β``. In evaluation the fused layer gives the numbers of
the pair up to rounding.
"""

import copy

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.nn._parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    xp = namespace(bn_rm.array)
    scale = 1.0 / xp.sqrt(bn_rv.array + bn_eps)
    if bn_w is not None:
        scale = scale * bn_w.array
    shift = -bn_rm.array * scale + (0 if bn_b is None else bn_b.array)
    return xp, scale, shift


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(W', b') as Parameters: ``W' = W·s`` along the output-channel axis (1 when
    ``transpose``), ``b' = (b − mean)·s + β`` with ``s = γ/√(var + ε)``."""
    xp, scale, shift = _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    axis = 1 if transpose else 0
    shape = [1] * conv_w.ndim
    shape[axis] = -1
    weight = conv_w.array * scale.reshape(shape).astype(conv_w.dtype)
    bias = (0 if conv_b is None else conv_b.array) * scale + shift
    return (Parameter(weight.astype(conv_w.dtype), requires_grad=conv_w.requires_grad),
            Parameter(xp.asarray(bias, dtype=conv_w.dtype), requires_grad=conv_w.requires_grad))


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` with ``bn`` (both in evaluation mode) folded into its weight and bias.

    Args:
        conv: a Conv1d/Conv2d (or ConvTranspose with ``transpose=True``).
        bn: the BatchNorm after it (with running statistics).
        transpose: the convolution is transposed (its output channels are axis 1).

    Example:
        >>> import glassnet as gn
        >>> conv, bn = gn.nn.Conv2d(1, 2, 3).eval(), gn.nn.BatchNorm2d(2).eval()
        >>> fused = gn.nn.utils.fuse_conv_bn_eval(conv, bn)
        >>> x = gn.randn(1, 1, 5, 5)
        >>> bool(((fused(x) - bn(conv(x))).abs() < 1e-5).all())
        True
    """
    if conv.training or bn.training:
        raise GlassnetValueError("fuse_conv_bn_eval: fusing is for evaluation only; call .eval() on "
                                 "both first")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(W', b') as Parameters: each output row of W scaled by ``s = γ/√(var + ε)``,
    ``b' = (b − mean)·s + β``."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` with the BatchNorm1d after it (both in evaluation) folded in."""
    if linear.training or bn.training:
        raise GlassnetValueError("fuse_linear_bn_eval: fusing is for evaluation only; call .eval() "
                                 "on both first")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise GlassnetValueError(f"fuse_linear_bn_eval: the Linear's {linear.out_features} outputs "
                                 f"must equal the BatchNorm's {bn.num_features} features (or 1)")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean,
                                                      bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused

