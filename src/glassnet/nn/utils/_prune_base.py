"""The machinery of ``torch.nn.utils.prune``: :class:`BasePruningMethod` (a forward pre-hook
that recomputes ``module.<name> = <name>_orig · <name>_mask``) and :class:`PruningContainer`
(successive pruning of one tensor, each new method acting on what is still unpruned)."""

import numbers
from abc import ABC, abstractmethod

from glassnet._creation import ones_like
from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._parameter import Parameter

__all__ = ["BasePruningMethod", "PruningContainer"]

_PRUNING_TYPES = ("unstructured", "structured", "global")


def _wrap(array):
    return Tensor._wrap(array, False, None)


class BasePruningMethod(ABC):
    """A way of choosing which entries of a tensor to zero. A subclass defines
    ``compute_mask(t, default_mask)`` and ``PRUNING_TYPE``:

    - ``"unstructured"``: the mask is computed over single entries (``t`` flattened);
    - ``"structured"``: over whole channels along ``self.dim`` (the subclass has ``dim``);
    - ``"global"``: over the whole tensor at once (a given mask).

    An instance is the forward pre-hook of the module it prunes: before every forward it sets
    ``module.<name> = <name>_mask · <name>_orig`` (a plain tensor; gradients reach ``_orig``).
    """

    PRUNING_TYPE = None
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask (t's shape; 1 keeps, 0 prunes) for the importance scores ``t``, on top of
        ``default_mask`` (the mask of earlier pruning, ones at first): what it zeroes stays zero."""

    def apply_mask(self, module):
        """``<name>_mask · <name>_orig`` (the mask cast to the parameter's dtype)."""
        if self._tensor_name is None:
            who = type(self).__name__
            raise GlassnetValueError(f"{who}.apply_mask: this method prunes no tensor yet; apply it to a "
                                     f"module first ({who}.apply(module, name, ...))")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``: on the first pruning the
        parameter becomes ``<name>_orig`` and the buffer ``<name>_mask`` is added; a later
        pruning of the same name joins the earlier ones in a :class:`PruningContainer`, its
        new mask computed on the entries (or channels) still unpruned. ``importance_scores``
        (the parameter's shape; the parameter itself when None) rank the entries. Returns the
        method (the container when there was earlier pruning)."""
        old_key, old = _pruning_hook(module, name, cls.__name__)
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = _prunable(module, name, old is not None, cls.__name__)
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise GlassnetValueError(f"{cls.__name__}.apply: importance_scores have shape "
                                     f"{tuple(scores.shape)}, the parameter {name!r} has "
                                     f"{tuple(orig.shape)}; give one score per entry")
        if old is None:
            default_mask = ones_like(orig)
        else:
            method = _joined(old, method)
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(scores.detach(), default_mask=default_mask)
        except BaseException:
            if method is old:  # the container keeps only the methods it applied
                method._pruning_methods = method._pruning_methods[:-1]
            raise
        if old is None:
            setattr(module, name + "_orig", orig)
            delattr(module, name)
        else:
            del module._forward_pre_hooks[old_key]
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t · compute_mask(importance_scores or t, default_mask or ones)``: t pruned, no module."""
        scores = t if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(t.shape):
            raise GlassnetValueError(f"{type(self).__name__}.prune: importance_scores have shape "
                                     f"{tuple(scores.shape)}, t has {tuple(t.shape)}; give one score per "
                                     "entry")
        default_mask = ones_like(t) if default_mask is None else default_mask
        return t * self.compute_mask(scores.detach(), default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a Parameter again (the same object
        as ``<name>_orig``, now holding ``orig · mask``); ``_orig``, ``_mask`` are removed."""
        if self._tensor_name is None:
            raise GlassnetValueError(f"{type(self).__name__}.remove: this method prunes no tensor; "
                                     "apply it to a module before removing it")
        name = self._tensor_name
        pruned = self.apply_mask(module)
        if name in module.__dict__:
            delattr(module, name)
        orig = getattr(module, name + "_orig")
        orig.data = pruned.data
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        setattr(module, name, orig)


def _pruning_hook(module, name, who):
    """``(key, hook)`` of the pruning hook of ``module.<name>``, or ``(None, None)``."""
    found = [(key, hook) for key, hook in module._forward_pre_hooks.items()
             if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(found) > 1:
        raise GlassnetValueError(f"{who}.apply: {type(module).__name__}.{name} has {len(found)} pruning "
                                 "hooks; one PruningContainer should hold them all")
    return found[0] if found else (None, None)


def _prunable(module, name, pruned, who):
    """``module.<name>``: a Parameter not pruned yet, or the tensor a pruning hook computes."""
    value = getattr(module, name, None)
    if pruned:
        return getattr(module, name + "_orig") if value is None else value
    if isinstance(value, Parameter):
        return value
    params = [n for n, _ in module.named_parameters(recurse=False)]
    if value is None:
        raise GlassnetValueError(f"{who}.apply: {type(module).__name__} has no parameter {name!r} to prune; "
                                 f"its parameters: {params}")
    raise GlassnetTypeError(f"{who}.apply: {type(module).__name__}.{name} is a {type(value).__name__}, "
                            f"not a Parameter; only parameters can be pruned (its parameters: {params})")


def _joined(old, method):
    """The container of ``old``'s pruning with ``method`` appended (old itself if a container)."""
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        return old
    container = PruningContainer(old)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """The pruning methods applied, in order, to one tensor; ``compute_mask`` applies the
    latest on top of the mask of those before. ``len``, iteration and indexing give them.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.nn.utils import prune
        >>> layer = prune.l1_unstructured(gn.nn.Linear(4, 3), "weight", amount=3)
        >>> layer = prune.ln_structured(layer, "weight", amount=1, n=2, dim=0)
        >>> [type(m).__name__ for m in layer._forward_pre_hooks[next(iter(layer._forward_pre_hooks))]]
        ['L1Unstructured', 'LnStructured']
    """

    def __init__(self, *methods):
        self._pruning_methods = ()
        if methods:
            self._tensor_name = methods[0]._tensor_name if isinstance(methods[0], BasePruningMethod) else None
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (it must prune the same tensor name as the container)."""
        if not isinstance(method, BasePruningMethod):
            raise GlassnetTypeError(f"PruningContainer.add_pruning_method: expected a BasePruningMethod, "
                                    f"got {type(method).__name__}")
        if self._tensor_name is None and not self._pruning_methods:
            self._tensor_name = method._tensor_name
        if method._tensor_name != self._tensor_name:
            raise GlassnetValueError(f"PruningContainer.add_pruning_method: the container prunes "
                                     f"{self._tensor_name!r}, the method {method._tensor_name!r}; "
                                     "a container holds the methods of one tensor")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the latest method's mask written over the part still
        unpruned: the entries where it is 1 (unstructured), the channels along the method's
        ``dim`` with any entry kept (structured), or all of it (global). That part is what
        the method sees as ``t``, so a fraction ``amount`` counts what remains."""
        if not self._pruning_methods:
            raise GlassnetValueError("PruningContainer.compute_mask: the container holds no pruning method")
        method = self._pruning_methods[-1]
        mask = default_mask.array
        part = _unpruned_part(method, mask)
        new = mask.astype(t.dtype, copy=True)
        partial = method.compute_mask(_wrap(t.detach().array[part]), default_mask=_wrap(mask[part]))
        new[part] = partial.array.astype(new.dtype, copy=False)
        return _wrap(new)


def _unpruned_part(method, mask):
    """The index of the part of ``mask`` the next method prunes (see compute_mask)."""
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        return mask == 1
    if kind == "global":
        return ...
    if kind != "structured":
        raise GlassnetValueError(f"PruningContainer: {type(method).__name__}.PRUNING_TYPE is {kind!r}; "
                                 f"it should be one of {list(_PRUNING_TYPES)}")
    if not hasattr(method, "dim"):
        raise GlassnetValueError(f"PruningContainer: {type(method).__name__} is 'structured' pruning, so it "
                                 "needs a `dim` attribute (the axis of its channels)")
    dim = _channel_dim(method.dim, mask.shape, type(method).__name__)
    others = tuple(d for d in range(mask.ndim) if d != dim)
    part = [slice(None)] * mask.ndim
    part[dim] = mask.sum(axis=others) != 0
    return tuple(part)


def _channel_dim(dim, shape, who):
    """``dim`` as an axis of ``shape`` (negative counts from the end); it must exist."""
    if not -len(shape) <= dim < len(shape):
        raise GlassnetIndexError(f"{who}: dim={dim} is out of range for a tensor of shape {tuple(shape)}; "
                                 f"give a dim in [{-len(shape)}, {len(shape) - 1}]")
    return dim % len(shape)


def _validate_amount_init(amount, who):
    """``amount``: an int >= 0 (how many) or a real in [0, 1] (the fraction)."""
    if not isinstance(amount, numbers.Real):
        raise GlassnetTypeError(f"{who}: amount must be an int (how many to prune) or a float in [0, 1] (the "
                                f"fraction), got {amount!r} ({type(amount).__name__})")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise GlassnetValueError(f"{who}: amount={amount} is negative; give an int >= 0 (how many to "
                                     "prune) or a float in [0, 1] (the fraction)")
    elif not 0.0 <= float(amount) <= 1.0:
        raise GlassnetValueError(f"{who}: amount={amount} is outside [0, 1]; a float is the fraction to "
                                 "prune (an int is how many)")


def _count_to_prune(amount, size, who, what="entries"):
    """How many of ``size`` units ``amount`` prunes: the int itself, or ``round(amount · size)``
    (Python's round: halves to even, as PyTorch). An int above ``size`` is refused."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise GlassnetValueError(f"{who}: amount={amount} is more than the {size} {what} that can "
                                     f"still be pruned; give an int at most {size} or a float in [0, 1]")
        return int(amount)
    return int(round(amount * size))
