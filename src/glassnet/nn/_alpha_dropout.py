"""Alpha dropout (Klambauer et al., 2017), PyTorch's ``F.alpha_dropout`` and
``nn.AlphaDropout``: the dropout that keeps SELU networks self-normalising.

With keep probability q = 1 − p and α' = 1.7580993408473766 (−λ·α of SELU), a dropped
element becomes SELU's saturation value −α' instead of 0, then an affine map restores
the mean and variance::

    a = ((α'²·p + 1)·q)^(−½),   y = a·x + α'·a·p        (kept, probability q)
                                 y = −α'·a + α'·a·p      (dropped)

An identity in evaluation (``training=False``) and for p = 0. ``feature_alpha_dropout``
drops whole channels: one draw per (sample, channel) of an (N, C, …) input, shared along the
other axes. ``inplace=True`` writes the result into the input (glassnet's in-place rules).
"""

from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_activation import activate
from glassnet.nn._module import Module

__all__ = ["AlphaDropout", "FeatureAlphaDropout", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002  (PyTorch's names)
    """See the module docstring; ``training`` defaults to False, as in PyTorch's functional form."""
    return _dropout(input, p, training, inplace, input.shape, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Alpha dropout of whole channels of an (N, C, …) input: one keep/drop draw per
    (sample, channel), the same affine map as :func:`alpha_dropout`."""
    if input.ndim < 2:
        raise GlassnetValueError(f"feature_alpha_dropout: expected an (N, C, …) input, got shape "
                                 f"{tuple(input.shape)}")
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _dropout(input, p, training, inplace, mask_shape, "feature_alpha_dropout")


def _dropout(input, p, training, inplace, mask_shape, name):  # noqa: A002
    if not 0 <= p <= 1:
        raise GlassnetValueError(f"{name}: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    return activate(input, lambda x: _affine(x, p, mask_shape), inplace, name)


def _affine(x, p, mask_shape):
    """``a·x + α'·a·p`` where kept, ``−α'·a + α'·a·p`` where dropped (``mask_shape`` draws)."""
    if p == 1:
        return x * 0
    xp = namespace(x.array)
    keep = xp.asarray(default_generator().random(mask_shape) >= p, dtype=x.dtype)
    a = ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** -0.5
    scale = Tensor._wrap(keep * a, False, None)
    shift = Tensor._wrap((keep - 1) * (_ALPHA * a) + _ALPHA * a * p, False, None)
    return x * scale + shift


class AlphaDropout(Module):
    """:func:`alpha_dropout` in training, an identity in evaluation."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class FeatureAlphaDropout(AlphaDropout):
    """:func:`feature_alpha_dropout` (whole channels) in training, an identity in evaluation."""

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training, self.inplace)
