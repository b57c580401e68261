"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from collections import OrderedDict
from collections.abc import Mapping

from glassnet._errors import GlassnetTypeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterDict", "ParameterList"]


def _check_module(value, owner):
    if not isinstance(value, Module):
        raise GlassnetTypeError(f"{owner}: expected a Module, got {type(value).__name__}")
    return value


class Sequential(Module):
    """Layers applied in order; children named ``0``, ``1``, … (state-dict keys
    ``0.weight`` match PyTorch). Also accepts a dict of named layers.

    ``Sequential(a, b, c)(x)`` is ``c(b(a(x)))``. Indexing gives a layer (a slice gives a
    new Sequential of the same layers); ``len``, iteration and ``append`` work as on a list.

    Args:
        *layers: the modules to apply, in order; or a single dict ``{name: module}`` whose
            keys become the children's names (and so the state-dict prefixes).

    Shape:
        input: whatever the first layer takes → output: whatever the last layer gives.

    Example:
        >>> import glassnet as gn
        >>> model = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), gn.nn.Linear(8, 2))
        >>> list(model.state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
        >>> model(gn.ones(3, 4)).shape
        (3, 2)
        >>> len(model), model[1]
        (3, ReLU())
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], dict):
            for name, layer in layers[0].items():
                setattr(self, name, _check_module(layer, "Sequential"))
        else:
            for i, layer in enumerate(layers):
                setattr(self, str(i), _check_module(layer, "Sequential"))

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x

    def __getitem__(self, index):
        layers = list(self.children())
        if isinstance(index, slice):  # the layers keep their names, as PyTorch's slice does
            names = list(self._module_names)[index]
            return type(self)(dict(zip(names, layers[index], strict=True)))
        return layers[index]

    def __setitem__(self, index, layer):
        """Replace layer ``index`` in place (its name, and so its state-dict keys, stay)."""
        names = list(self._module_names)
        setattr(self, names[index], _check_module(layer, "Sequential"))

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(self.children())

    def append(self, layer):
        setattr(self, str(len(self)), _check_module(layer, "Sequential.append"))
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (names ``0``, ``1``, …)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        setattr(self, str(len(self)), _check_module(module, "ModuleList.append"))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index):
        layers = list(self.children())
        return ModuleList(layers[index]) if isinstance(index, slice) else layers[index]

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(self.children())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        for key, module in (modules or {}).items():
            self[key] = module

    def __setitem__(self, key, module):
        setattr(self, key, _check_module(module, "ModuleDict"))

    def __getitem__(self, key):
        if key not in self._module_names:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._module_names

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(self._module_names)

    def keys(self):
        return list(self._module_names)

    def values(self):
        return [getattr(self, k) for k in self._module_names]

    def items(self):
        return [(k, getattr(self, k)) for k in self._module_names]


def _check_parameter(value, owner):
    """A Parameter as it is; a plain tensor wrapped as one (requiring grad), as PyTorch does."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.detach())
    raise GlassnetTypeError(f"{owner}: expected a tensor or an nn.Parameter, got {type(value).__name__}")


class ParameterList(Module):
    """A list of Parameters registered on the module (names ``0``, ``1``, …), so
    ``parameters()``, optimisers and ``state_dict`` see them."""

    def __init__(self, values=None):
        super().__init__()
        for p in values or ():
            self.append(p)

    def append(self, value):
        setattr(self, str(len(self)), _check_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values):
        for p in values:
            self.append(p)
        return self

    def __getitem__(self, index):
        values = [getattr(self, k) for k in self._param_names]
        return ParameterList(values[index]) if isinstance(index, slice) else values[index]

    def __setitem__(self, index, value):
        setattr(self, str(range(len(self))[index]), _check_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._param_names)

    def __iter__(self):
        return iter([getattr(self, k) for k in self._param_names])

    def extra_repr(self):
        return "\n".join(f"({k}): Parameter of shape {tuple(getattr(self, k).shape)}"
                         for k in self._param_names)


class ParameterDict(Module):
    """A dict of Parameters registered under their keys."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        setattr(self, key, _check_parameter(value, "ParameterDict"))

    def __getitem__(self, key):
        if key not in self._param_names:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._param_names

    def __len__(self):
        return len(self._param_names)

    def __iter__(self):
        return iter(self._param_names)

    def keys(self):
        return list(self._param_names)

    def values(self):
        return [getattr(self, k) for k in self._param_names]

    def items(self):
        return [(k, getattr(self, k)) for k in self._param_names]

    def update(self, parameters):
        """Add ``parameters``: an OrderedDict or ParameterDict in its order, a plain mapping
        in sorted key order (as PyTorch), or an iterable of (key, Parameter) pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for key, value in pairs:
            self[key] = value
