"""RReLU: a random negative slope while training, the mean slope in evaluation."""

from glassnet.nn._functional_random import rrelu
from glassnet.nn._module import Module

__all__ = ["RReLU"]


class RReLU(Module):
    """``x`` if ``x ≥ 0`` else ``a·x``: in training a fresh ``a ~ U(lower, upper)`` per
    element (drawn from glassnet's seeded generator), in evaluation ``a = (lower + upper)/2``.

    Args:
        lower: the smallest slope (default 1/8).
        upper: the largest slope (default 1/3).
        inplace: write the result into the input (default False).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.RReLU(0.1, 0.3).eval()
        >>> print(layer(gn.tensor([-1.0, 2.0])).numpy())
        [-0.2  2. ]
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return rrelu(x, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")

