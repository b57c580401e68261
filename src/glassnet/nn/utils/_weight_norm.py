"""Weight normalisation (Salimans & Kingma, 2016): ``w = g · v / ‖v‖``, the direction v and
the length g learned apart — PyTorch's old hook API ``weight_norm`` / ``remove_weight_norm``.

``weight_norm(module)`` replaces the parameter ``weight`` by ``weight_g`` (the norms,
``‖w‖`` over every axis but ``dim``, kept as size-1 axes) and ``weight_v`` (w itself), and
recomputes ``module.weight`` from them before every forward (a forward pre-hook), so the
gradient reaches g and v. ``norm_except_dim`` and ``weight_from`` are shared with
:func:`glassnet.nn.utils.parametrizations.weight_norm`.
"""

import warnings

from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.nn._parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim", "weight_from"]


def norm_except_dim(v, dim):
    """``‖v‖₂`` over every axis but ``dim`` (kept as size-1 axes); ``dim`` None or −1:
    over all of v (a 0-d tensor), as PyTorch's ``norm_except_dim``."""
    if dim is None or dim == -1 or v.ndim == 0:
        return (v * v).sum().sqrt()
    axes = tuple(a for a in range(v.ndim) if a != dim % v.ndim)
    return (v * v).sum(dim=axes, keepdim=True).sqrt()


def weight_from(g, v, dim):
    """``w = v · g / ‖v‖`` (the norm over every axis but ``dim``)."""
    return v * (g / norm_except_dim(v, dim))


class _WeightNormHook:
    """The forward pre-hook that sets ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute_weight(self, module):
        return weight_from(getattr(module, self.name + "_g"), getattr(module, self.name + "_v"), self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as ``g · v / ‖v‖`` (PyTorch's deprecated hook API; it
    warns as PyTorch does — :func:`glassnet.nn.utils.parametrizations.weight_norm` is the new one).

    Args:
        module: the module whose parameter is reparametrised.
        name: the parameter's name (default ``"weight"``).
        dim: the axis that keeps one norm per entry (default 0: one per output row/filter;
            None: one norm for the whole tensor).

    Example:
        >>> import glassnet as gn
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     layer = gn.nn.utils.weight_norm(gn.nn.Linear(3, 2))
        >>> list(layer.state_dict()), layer.weight_g.shape
        (['bias', 'weight_g', 'weight_v'], (2, 1))
    """
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            raise GlassnetValueError(f"weight_norm: {type(module).__name__}.{name} already has weight_norm")
    hook = _WeightNormHook(name, -1 if dim is None else dim)
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise GlassnetValueError(f"weight_norm: {type(module).__name__}.{name} is not a Parameter")
    delattr(module, name)
    with no_grad():
        setattr(module, name + "_g", Parameter(norm_except_dim(weight, hook.dim).detach()))
    setattr(module, name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo :func:`weight_norm`: ``<name>`` becomes a Parameter again, holding ``g · v / ‖v‖``."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module)
            delattr(module, name)
            delattr(module, name + "_g")
            delattr(module, name + "_v")
            setattr(module, name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise GlassnetValueError(f"remove_weight_norm: weight_norm of {name!r} not found in "
                             f"{type(module).__name__}")
