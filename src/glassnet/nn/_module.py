"""Module: the base class of every layer and model.

Attributes that are :class:`Parameter`, :class:`Module` or registered buffers are
recorded in order, so ``named_parameters()`` and ``state_dict()`` list them with dotted
names (``0.weight``, ``encoder.fc.bias``) exactly as PyTorch does. They stay ordinary
attributes, so reading ``self.weight`` in ``forward`` costs nothing extra.
"""

from typing import NamedTuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._conversion import _as_dtype, _names_device
from glassnet.autograd._mode import state
from glassnet.autograd._tensor import Tensor
from glassnet.nn._backward_hooks import BackwardCapture
from glassnet.nn._parameter import Parameter
from glassnet.ops._convert import to_device

__all__ = ["Module", "IncompatibleKeys", "module_stack"]

module_stack = []
"""Modules whose forward is running, innermost last (kept only while observed)."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class: subclasses set layers/parameters in ``__init__`` and define ``forward``.

    Calling a module, ``model(x)``, runs its ``forward(x)`` (and any forward hooks).
    Parameters, sub-modules and buffers assigned as attributes are registered in order, so
    ``parameters()``, ``named_parameters()`` and ``state_dict()`` list them with dotted names
    (``fc1.weight``) exactly as PyTorch does.

    Args:
    ``Module()`` itself takes no arguments; a subclass's ``__init__`` takes its own and
    must call ``super().__init__()`` before assigning any attribute.

    Example:
        >>> import glassnet as gn
        >>> class TwoLayer(gn.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = gn.nn.Linear(4, 8)
        ...         self.fc2 = gn.nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(gn.nn.functional.relu(self.fc1(x)))
        >>> model = TwoLayer()
        >>> print(", ".join(name for name, _ in model.named_parameters()))
        fc1.weight, fc1.bias, fc2.weight, fc2.bias
        >>> sum(p.numel() for p in model.parameters())      # 4·8 + 8 + 8·2 + 2
        58
        >>> model(gn.ones(3, 4)).shape
        (3, 2)
    """

    def __init__(self):
        d = self.__dict__
        d["_param_names"] = {}
        d["_buffer_names"] = {}
        d["_module_names"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}
        d["_backward_hooks"] = {}
        d["_backward_pre_hooks"] = {}
        d["training"] = True

    # -- registration -----------------------------------------------------------
    def __setattr__(self, name, value):
        if "_param_names" not in self.__dict__:
            raise GlassnetTypeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        # Reassigning keeps the name's place (as PyTorch): replacing a layer must not
        # reorder children or state-dict keys.
        if isinstance(value, Parameter):
            self._module_names.pop(name, None)
            self._param_names.setdefault(name, None)
        elif isinstance(value, Module):
            self._param_names.pop(name, None)
            self._module_names.setdefault(name, None)
        elif value is not None:  # None keeps a registered slot empty, as in PyTorch
            self._param_names.pop(name, None)
            self._module_names.pop(name, None)
        if name in self._buffer_names and not (value is None or isinstance(value, Tensor)):
            raise GlassnetTypeError(f"buffer {name!r} must be a Tensor or None")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._param_names, self._module_names, self._buffer_names):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is None:
            self._param_names[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor saved in ``state_dict`` (when persistent) but not trained."""
        self._buffer_names[name] = persistent
        object.__setattr__(self, name, tensor)

    def add_module(self, name, module):
        setattr(self, name, module)

    # -- calling ----------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        if not (state.slow_path or self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:  # PyTorch: a new input, a tuple of them or one value
                args = result if isinstance(result, tuple) else (result,)
        capture = None
        if self._backward_hooks or self._backward_pre_hooks:
            capture = BackwardCapture(self, args)
            args = capture.args
        module_stack.append(self)
        try:
            out = self.forward(*args, **kwargs)
        finally:
            module_stack.pop()
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out if capture is None else capture.wrap_outputs(out)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, inputs)`` before every forward; a value it returns replaces
        the inputs (a tuple, or one input). Returns a handle whose ``remove()`` unsubscribes."""
        key = object()
        self._forward_pre_hooks[key] = hook
        return _HookHandle(self._forward_pre_hooks, key)

    def register_full_backward_hook(self, hook):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to
        this call's inputs are computed (tuples; None for inputs that need none); a tuple it
        returns replaces ``grad_input``. See :mod:`glassnet.nn._backward_hooks`."""
        key = object()
        self._backward_hooks[key] = hook
        return _HookHandle(self._backward_hooks, key)

    def register_full_backward_pre_hook(self, hook):
        """Call ``hook(module, grad_output)`` when the gradients with respect to this call's
        outputs are computed; a tuple it returns replaces ``grad_output``."""
        key = object()
        self._backward_pre_hooks[key] = hook
        return _HookHandle(self._backward_pre_hooks, key)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated form, whose ``grad_input`` is that of the module's last op
        only: refused here rather than given other numbers."""
        raise GlassnetValueError(
            f"{type(self).__name__}.register_backward_hook: deprecated in PyTorch, where its grad_input is "
            "the last op's, not the module's; use register_full_backward_hook(hook) (same hook signature)")

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward; returns a handle
        whose ``remove()`` unsubscribes."""
        key = object()
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    # -- traversal --------------------------------------------------------------
    def named_children(self):
        for name in self._module_names:
            module = self.__dict__.get(name)
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """``(dotted name, Parameter)`` pairs, each parameter once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name in module._param_names:
                p = module.__dict__.get(name)
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name in module._buffer_names:
                b = module.__dict__.get(name)
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- state ------------------------------------------------------------------
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, as detached tensors that
        share the module's arrays (copy them before changing them). As PyTorch:
        ``prefix`` starts every key, ``keep_vars=True`` gives the Parameters themselves,
        ``destination`` is a dict to fill (and return) instead of a new one."""
        out = {} if destination is None else destination
        for mod_prefix, module in self.named_modules():
            for name in module._param_names:
                p = module.__dict__.get(name)
                if p is not None:
                    key = f"{mod_prefix}.{name}" if mod_prefix else name
                    out[prefix + key] = p if keep_vars else p.detach()
            for name, persistent in module._buffer_names.items():
                b = module.__dict__.get(name)
                if b is not None and persistent:
                    key = f"{mod_prefix}.{name}" if mod_prefix else name
                    out[prefix + key] = b if keep_vars else b.detach()
        return out

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``""`` is the module itself)."""
        module = self
        for part in target.split(".") if target else ():
            children = dict(module.named_children())
            if part not in children:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (looking up "
                                     f"{target!r}; its children: {sorted(children)})")
            module = children[part]
        return module

    def _get_member(self, target, registry, what):
        owner_path, _, name = target.rpartition(".")
        owner = self.get_submodule(owner_path)
        if name not in getattr(owner, registry) or owner.__dict__.get(name) is None:
            raise AttributeError(f"{type(owner).__name__} has no {what} {name!r} (looking up {target!r})")
        return owner.__dict__[name]

    def get_parameter(self, target):
        """The Parameter at dotted path ``target`` (``"layers.0.weight"``)."""
        return self._get_member(target, "_param_names", "parameter")

    def get_buffer(self, target):
        """The buffer at dotted path ``target`` (``"bn.running_mean"``)."""
        return self._get_member(target, "_buffer_names", "buffer")

    def register_module(self, name, module):
        """PyTorch's alias of :meth:`add_module`."""
        self.add_module(name, module)

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the parameters and buffers of the same names.

        With ``strict`` (the default) missing and unexpected keys are errors; a shape
        mismatch always is. One error lists every problem found. A lazy module's placeholders
        first take the checkpoint's shapes (PyTorch's ``LazyModuleMixin`` load hook).
        """
        for mod_prefix, module in self.named_modules():  # lazy modules take the checkpoint's shapes
            if hasattr(type(module), "_lazy_load_state"):
                module._lazy_load_state(state_dict, f"{mod_prefix}." if mod_prefix else "")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                value = _array_of(state_dict[key])
                if tuple(value.shape) != tuple(target.array.shape):
                    mismatched.append(
                        f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(target.array.shape)}"
                    )
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        if mismatched:
            problems.append("wrong shapes: " + "; ".join(mismatched))
        if problems:
            raise GlassnetValueError(
                f"load_state_dict into {type(self).__name__}: " + " | ".join(problems)
            )
        for key, target in own.items():
            if key in state_dict:
                xp = namespace(target.array)
                target.array[...] = xp.asarray(_array_of(state_dict[key]), dtype=target.dtype)
        return IncompatibleKeys(missing, unexpected)

    def _state_tensors(self):
        out = {}
        for mod_prefix, module in self.named_modules():
            names = list(module._param_names) + [
                n for n, persistent in module._buffer_names.items() if persistent
            ]
            for name in names:
                t = module.__dict__.get(name)
                if t is not None:
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = t
        return out

    # -- modes and conversions ----------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout active, batch norm uses batch statistics)."""
        for module in self.modules():
            module.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._wrap(namespace(p.array).zeros_like(p.array), False, None)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def freeze(self):
        """Stop training every parameter (``requires_grad=False``); for transfer learning."""
        return self.requires_grad_(False)

    def unfreeze(self):
        """Train every parameter again."""
        return self.requires_grad_(True)

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _convert(self, convert):
        for t in list(self.parameters()) + list(self.buffers()):
            t.array = convert(t.array)
            if t.grad is not None:
                t.grad.array = convert(t.grad.array)
        return self

    def float(self):
        """Floating parameters and buffers to float32, in place."""
        return self.to(np.float32)

    def double(self):
        """Floating parameters and buffers to float64, in place."""
        return self.to(np.float64)

    def half(self):
        """Floating parameters and buffers to float16, in place."""
        return self.to(np.float16)

    def type(self, dst_type):
        """Floating parameters and buffers to ``dst_type`` (a dtype), in place."""
        return self.to(dst_type)

    def cpu(self):
        """Parameters and buffers to the CPU (NumPy), in place."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Parameters and buffers to a GPU (CuPy), in place; raises as ``Tensor.cuda`` does
        where there is none."""
        return self.to("cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}")

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """PyTorch's ``Module.to``, in place: ``to("cpu")``, ``to(gn.float64)``,
        ``to("cpu", gn.float64)``, ``to(tensor)`` (its device and dtype), or keywords.
        A dtype applies to floating parameters and buffers only, as in PyTorch; each
        Parameter object is kept (its array replaced), so an optimizer built earlier still
        holds the model's parameters."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif _names_device(arg):
                device = arg
            else:
                dtype = _as_dtype(arg)
        dtype = None if dtype is None else _floating_dtype(dtype)
        if device is not None:
            self._convert(lambda a: to_device(Tensor._wrap(a, False, None), device).array)
        if dtype is not None:
            self._convert(lambda a: a.astype(dtype) if a.dtype.kind == "f" and a.dtype != dtype else a)
        return self

    def num_parameters(self, trainable_only=False):
        return int(sum(p.array.size for p in self.parameters() if p.requires_grad or not trainable_only))

    def summary(self, input_shape, dtype=None, print_fn=None):
        """A Keras-style table of layers, output shapes and parameter counts.

        ``input_shape`` excludes the batch axis. Returns a :class:`Summary`; prints it
        when ``print_fn`` is given.
        """
        from glassnet.nn._summary import summarize

        result = summarize(self, input_shape, dtype)
        if print_fn is not None:
            print_fn(str(result))
        return result

    # -- repr -------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}(" + (extra if extra else "")]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class _HookHandle:
    def __init__(self, registry, key):
        self.registry, self.key = registry, key

    def remove(self):
        self.registry.pop(self.key, None)


def _floating_dtype(dtype):
    """``dtype`` as a NumPy floating dtype; PyTorch's Module.to refuses any other."""
    if not isinstance(dtype, (str, type, np.dtype)):  # a legacy type such as gn.FloatTensor
        dtype = getattr(dtype, "dtype", dtype)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise GlassnetTypeError(f"Module.to: only floating dtypes are accepted, got {dtype.name}; "
                                "use gn.float32, gn.float64 or gn.float16")
    return dtype


def _array_of(value):
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)
