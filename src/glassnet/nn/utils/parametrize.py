"""``torch.nn.utils.parametrize``: make a parameter a function of other tensors.

``register_parametrization(module, "weight", P)`` keeps the tensor's learned values as
``module.parametrizations.weight.original`` (several ``original0``, ``original1``, … when
``P.right_inverse`` returns a tuple) and turns ``module.weight`` into ``P(original)``,
computed on every access — so the gradient of anything built from ``module.weight``
reaches ``original``. As in PyTorch, the module's class becomes a subclass
(``ParametrizedLinear``, …) with a property for each parametrized name, the state-dict
keys are ``parametrizations.weight.original…``, and assigning ``module.weight = w``
stores ``P.right_inverse(w)``.
"""

import contextlib

from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn._containers import ModuleDict, ModuleList
from glassnet.nn._parameter import Parameter

__all__ = ["ParametrizationList", "register_parametrization", "remove_parametrizations", "is_parametrized",
           "cached"]

_cache = None  # while cached() is active: {(id(module), name): tensor}


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (children ``0``, ``1``, …, applied in order) and
    the learned ``original`` (or ``original0``, ``original1``, …) they start from."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        values = original
        if hasattr(first, "right_inverse"):
            try:
                values = first.right_inverse(original)
            except NotImplementedError:
                pass  # as PyTorch: a right_inverse that cannot be computed counts as the identity
        if isinstance(values, (tuple, list)):
            self.is_tensor = False
            self.ntensors = len(values)
            for i, value in enumerate(values):
                setattr(self, f"original{i}", Parameter(value.detach(), requires_grad=original.requires_grad))
        else:
            self.is_tensor, self.ntensors = True, 1
            if values is original and isinstance(original, Parameter):
                self.original = original  # no right_inverse: the very Parameter (optimizers keep it)
            else:
                self.original = Parameter(values.detach(), requires_grad=original.requires_grad)

    def originals(self):
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self):
        layers = list(self)
        x = layers[0](*self.originals())
        for layer in layers[1:]:
            x = layer(x)
        return x

    def right_inverse(self, value):
        """Store ``value`` as the parametrized tensor: the right inverses in reverse order,
        copied into the originals in place."""
        for layer in reversed(list(self)):
            if hasattr(layer, "right_inverse"):
                value = layer.right_inverse(value)
            elif not self.unsafe and len(self) > 1:
                raise GlassnetValueError(f"parametrize: {type(layer).__name__} has no "
                                         f"right_inverse, so a value "
                                         "cannot be assigned through it")
        values = (value,) if self.is_tensor else tuple(value)
        with no_grad():
            for original, new in zip(self.originals(), values, strict=True):
                original.array[...] = new.array if isinstance(new, Tensor) else new


def _property(name):
    def get(module):
        key = (id(module), name)
        if _cache is not None and key in _cache:
            return _cache[key]
        value = module.parametrizations[name]()
        if _cache is not None:
            _cache[key] = value
        return value

    def set_(module, value):
        module.parametrizations[name].right_inverse(value)

    return property(get, set_, doc=f"``{name}`` computed by its parametrizations on every access")


def _parametrized_class(module):
    cls = type(module)
    if getattr(cls, "_is_parametrized_class", False):
        return cls
    return type(f"Parametrized{cls.__name__}", (cls,), {"_is_parametrized_class": True})


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` equal ``parametrization(original)`` on every access.

    Args:
        module: the module that owns the parameter (or buffer).
        tensor_name: its name (``"weight"``).
        parametrization: a Module whose ``forward`` maps the original(s) to the tensor;
            an optional ``right_inverse(tensor)`` gives the original(s) to start from.
        unsafe: skip the consistency checks (default False).

    Example:
        >>> import glassnet as gn
        >>> class Symmetric(gn.nn.Module):
        ...     def forward(self, x):
        ...         return x.triu() + x.triu(1).mT
        >>> layer = gn.nn.Linear(3, 3)
        >>> _ = gn.nn.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
        >>> bool((layer.weight == layer.weight.T).all()), list(layer.state_dict())
        (True, ['bias', 'parametrizations.weight.original'])
    """
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    original = getattr(module, tensor_name, None)
    if not isinstance(original, Tensor):
        raise GlassnetValueError(f"register_parametrization: {type(module).__name__} has no tensor "
                                 f"{tensor_name!r} to parametrize")
    plist = ParametrizationList([parametrization], original, unsafe)
    if not unsafe:
        _check_same_shape(plist, original, tensor_name)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
        module.__class__ = _parametrized_class(module)
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def _check_same_shape(plist, original, name):
    with no_grad():
        value = plist()
    if tuple(value.shape) != tuple(original.shape) or value.dtype != original.dtype:
        raise GlassnetValueError(f"register_parametrization: the parametrization maps {name} "
                                 f"{tuple(original.shape)} {original.dtype} to {tuple(value.shape)} "
                                 f"{value.dtype}; "
                                 "it must keep the shape and dtype (or pass unsafe=True)")


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has parametrizations (on ``tensor_name``, when given)."""
    plists = module.__dict__.get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations of ``tensor_name``: it becomes a Parameter again holding
    the parametrized value (``leave_parametrized``) or the original."""
    if not is_parametrized(module, tensor_name):
        raise GlassnetValueError(f"remove_parametrizations: {type(module).__name__} has no "
                                 f"parametrization on "
                                 f"{tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
        if plist.is_tensor:
            with no_grad():
                plist.original.array[...] = value.array
            param = plist.original
        else:
            param = Parameter(value.detach())
    elif plist.is_tensor:
        param = plist.original
    else:
        raise GlassnetValueError("remove_parametrizations: leave_parametrized=False needs a single "
                                 "original tensor")
    delattr(type(module), tensor_name)
    delattr(module.parametrizations, tensor_name)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    setattr(module, tensor_name, param)
    return module


@contextlib.contextmanager
def cached():
    """Inside, each parametrized tensor is computed once and reused (e.g. a weight used at
    every step of a recurrent loop); outside, on every access again."""
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer
