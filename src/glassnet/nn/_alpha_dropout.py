"""Alpha dropout (Klambauer et al., 2017), PyTorch's ``F.alpha_dropout`` and
``nn.AlphaDropout``: the dropout that keeps SELU networks self-normalising.

With keep probability q = 1 − p and α' = 1.7580993408473766 (−λ·α of SELU), a dropped
element becomes SELU's saturation value −α' instead of 0, then an affine map restores
the mean and variance::

    a = ((α'²·p + 1)·q)^(−½),   y = a·x + α'·a·p        (kept, probability q)
                                 y = −α'·a + α'·a·p      (dropped)

An identity in evaluation (``training=False``) and for p = 0.
"""

from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._module import Module

__all__ = ["AlphaDropout", "alpha_dropout"]

_ALPHA = 1.7580993408473766


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002  (PyTorch's names)
    """See the module docstring; ``training`` defaults to False, as in PyTorch's functional form."""
    if not 0 <= p <= 1:
        raise GlassnetValueError(f"alpha_dropout: p must be in [0, 1], got {p}")
    if inplace:
        raise GlassnetValueError("alpha_dropout: inplace=True is not supported; assign the result instead")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    xp = namespace(input.array)
    keep = xp.asarray(default_generator().random(input.shape) >= p, dtype=input.dtype)
    a = ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** -0.5
    scale = Tensor._wrap(keep * a, False, None)
    shift = Tensor._wrap((keep - 1) * (_ALPHA * a) + _ALPHA * a * p, False, None)
    return input * scale + shift


class AlphaDropout(Module):
    """:func:`alpha_dropout` in training, an identity in evaluation."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
