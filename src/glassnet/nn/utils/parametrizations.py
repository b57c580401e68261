"""``torch.nn.utils.parametrizations``: ready-made parametrizations, registered with
:func:`glassnet.nn.utils.parametrize.register_parametrization`.

- ``weight_norm(module)``: ``w = g · v / ‖v‖`` with g (``original0``, one norm per entry of
  ``dim``) and v (``original1``) learned — PyTorch's state-dict keys
  ``parametrizations.weight.original0`` / ``original1``.
"""

from glassnet.nn._module import Module
from glassnet.nn.utils._weight_norm import norm_except_dim, weight_from
from glassnet.nn.utils.parametrize import register_parametrization

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    """``forward(g, v) = g · v / ‖v‖``; ``right_inverse(w) = (‖w‖, w)`` (norms over every
    axis but ``dim``)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_from(weight_g, weight_v, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalisation as a parametrization: ``module.<name>`` becomes ``g · v / ‖v‖``.

    Args:
        module: the module whose parameter is reparametrised.
        name: the parameter's name (default ``"weight"``).
        dim: the axis that keeps one norm per entry (default 0; None: one norm in all).

    Example:
        >>> import glassnet as gn
        >>> conv = gn.nn.utils.parametrizations.weight_norm(gn.nn.Conv2d(2, 3, 3))
        >>> list(conv.state_dict())
        ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
        >>> conv.parametrizations.weight.original0.shape
        (3, 1, 1, 1)
    """
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
