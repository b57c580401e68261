"""``torch.nn.utils.prune``: zero chosen entries or channels of a module's parameters.

Pruning ``module.<name>`` keeps the learned values as the Parameter ``<name>_orig``, adds the
buffer ``<name>_mask`` (1 keeps, 0 prunes; the parameter's shape and dtype) and turns
``module.<name>`` into the plain tensor ``<name>_orig · <name>_mask``, recomputed by a forward
pre-hook before every forward, so gradients reach ``_orig`` (zero where masked). Pruning the
same name again prunes what is still unpruned (a :class:`PruningContainer` holds the
methods); :func:`remove` makes it permanent. The state dict holds ``<name>_orig`` and
``<name>_mask``, as PyTorch's.

Example:
    >>> import glassnet as gn
    >>> from glassnet.nn.utils import prune
    >>> layer = gn.nn.Linear(4, 3)
    >>> layer = prune.l1_unstructured(layer, "weight", amount=0.5)      # 6 of the 12 weights
    >>> int((layer.weight_mask == 0).sum()), sorted(layer.state_dict())
    (6, ['bias', 'weight_mask', 'weight_orig'])
    >>> layer = prune.remove(layer, "weight")
    >>> int((layer.weight == 0).sum()), sorted(layer.state_dict())
    (6, ['bias', 'weight'])
"""

from collections.abc import Iterable

from glassnet._backend import namespace
from glassnet._creation import ones_like
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn.utils._prune_base import BasePruningMethod, PruningContainer, _wrap
from glassnet.nn.utils._prune_methods import (
    CustomFromMask,
    Identity,
    L1Unstructured,
    LnStructured,
    RandomStructured,
    RandomUnstructured,
)

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned"]


def identity(module, name):
    """The pruning reparametrisation of ``module.<name>`` with a mask of ones. Returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (an int, or a fraction in [0, 1]) of the unpruned entries of
    ``module.<name>``, chosen at random. Returns module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` unpruned entries of ``module.<name>`` of smallest ``|w|`` (or of
    smallest ``|importance_scores|``, a tensor of w's shape). Returns module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of the unpruned channels of ``module.<name>`` along ``dim`` (a channel:
    one index of that axis, all of the others), chosen at random. Returns module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` unpruned channels of ``module.<name>`` along ``dim`` of smallest
    L``n`` norm (``‖w[..., c, ...]‖_n`` over every other axis). Returns module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` (its shape) is 0. Returns module."""
    CustomFromMask.apply(module, name, mask)
    return module


def _member(module, name):
    value = getattr(module, name, None)
    if not isinstance(value, Tensor):
        params = [n for n, _ in module.named_parameters(recurse=False)]
        raise GlassnetValueError(f"global_unstructured: {type(module).__name__} has no parameter {name!r} to "
                                 f"prune; its parameters: {params}")
    return value


def _flat(tensors):
    arrays = [t.detach().array.reshape(-1) for t in tensors]
    return _wrap(namespace(arrays[0]).concatenate(arrays))


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs in ``parameters`` together: ``pruning_method(**kwargs)``
    (an ``"unstructured"`` method such as :class:`L1Unstructured`, ``amount=...``) ranks all
    their unpruned entries as one vector, so a layer can lose more or less than ``amount`` of
    its own. ``importance_scores``: a dict from ``(module, name)`` to scores of that shape."""
    if not isinstance(parameters, Iterable):
        raise GlassnetTypeError("global_unstructured: parameters must be an iterable of (module, name) "
                                f"pairs, got {type(parameters).__name__}")
    pairs = list(parameters)
    if not pairs:
        raise GlassnetValueError("global_unstructured: parameters is empty; give the (module, name) pairs "
                                 "to prune")
    scores = {} if importance_scores is None else importance_scores
    if not isinstance(scores, dict):
        raise GlassnetTypeError(f"global_unstructured: importance_scores must be a dict from (module, name) "
                                f"to a tensor, got {type(scores).__name__}")
    values = [_member(module, name) for module, name in pairs]
    ranked = _flat([scores.get(pair, value) for pair, value in zip(pairs, values, strict=True)])
    masks = [getattr(module, name + "_mask", None) for module, name in pairs]
    default = _flat([ones_like(v) if m is None else m for m, v in zip(masks, values, strict=True)])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        who = getattr(pruning_method, "__name__", pruning_method)
        raise GlassnetTypeError(f"global_unstructured: {who} is {method.PRUNING_TYPE!r} pruning; only "
                                "'unstructured' methods prune globally")
    container = PruningContainer()
    container._tensor_name = method._tensor_name = "temp"
    container.add_pruning_method(method)
    final = container.compute_mask(ranked, default).array
    start = 0
    for (module, name), value in zip(pairs, values, strict=True):
        custom_from_mask(module, name, mask=_wrap(final[start:start + value.numel()].reshape(value.shape)))
        start += value.numel()


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: ``<name>`` is a Parameter again,
    holding the pruned values (``orig · mask``); ``<name>_orig``, ``<name>_mask`` and the hook
    go. Returns module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    pruned = [h._tensor_name for h in module._forward_pre_hooks.values() if isinstance(h, BasePruningMethod)]
    raise GlassnetValueError(f"prune.remove: {type(module).__name__}.{name} is not pruned, so there is no "
                             f"pruning to remove; its pruned tensors: {pruned}")


def is_pruned(module):
    """Whether ``module`` or any submodule has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())
