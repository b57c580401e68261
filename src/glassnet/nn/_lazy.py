"""LazyModuleMixin: what every lazy module shares (PyTorch's ``torch.nn.modules.lazy``).

A lazy module is its eager class built with the input size 0 whose parameters (and running
statistics) are :class:`UninitializedParameter` / :class:`UninitializedBuffer` placeholders.
A forward pre-hook runs the first call: it reads the input size from the input
(``_lazy_in_size``), sets it (``_lazy_in_attr``), materializes each placeholder to its shape
(``_lazy_shapes``), calls ``reset_parameters()`` and turns the module into ``cls_to_become``
(``type(m)`` is then e.g. ``nn.Conv2d``). ``load_state_dict`` materializes the placeholders to
the checkpoint's shapes first (the class changes at the next forward, as in PyTorch).
"""

from glassnet._errors import GlassnetValueError
from glassnet.nn._parameter import UninitializedBuffer, UninitializedParameter, _Uninitialized

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mixed in before the eager class: ``class LazyConv2d(LazyModuleMixin, Conv2d)``."""

    cls_to_become = None
    _lazy_in_attr = ""

    def _make_lazy(self, names):
        """Replace the parameters and buffers ``names`` (those not None) by placeholders of their
        dtype and register the first-call hook."""
        for name in names:
            current = self.__dict__.get(name)
            if current is None:
                continue
            if name in self._param_names:
                self.register_parameter(name, UninitializedParameter(dtype=current.dtype))
            else:
                self.register_buffer(name, UninitializedBuffer(dtype=current.dtype))
        self.__dict__["_lazy_hook"] = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        """True while any of this module's own parameters or buffers is a placeholder."""
        own = list(self.parameters(recurse=False)) + list(self.buffers(recurse=False))
        return any(isinstance(t, _Uninitialized) for t in own)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and getattr(self, self._lazy_in_attr) != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):  # noqa: A002  (PyTorch's name)
        """Set the input size from ``input``; materialize and initialize the placeholders."""
        setattr(self, self._lazy_in_attr, self._lazy_in_size(input))
        if self.has_uninitialized_params():
            for name, shape in self._lazy_shapes().items():
                tensor = self.__dict__.get(name)
                if isinstance(tensor, _Uninitialized):
                    tensor.materialize(shape)
            self.reset_parameters()

    def _lazy_load_state(self, state_dict, prefix):
        """Materialize each placeholder whose key ``state_dict`` holds to that value's shape."""
        own = dict(self.named_parameters(recurse=False)) | dict(self.named_buffers(recurse=False))
        for name, tensor in own.items():
            value = state_dict.get(prefix + name)
            lazy_value = value is None or isinstance(value, _Uninitialized)
            if isinstance(tensor, _Uninitialized) and not lazy_value:
                tensor.materialize(tuple(value.shape))


def _infer_parameters(module, args):
    """The first call's pre-hook: initialize, drop the hook, become the eager class."""
    if not args:
        raise GlassnetValueError(f"{type(module).__name__}: the first call needs an input to infer its size")
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        left = [n for n, p in module.named_parameters() if isinstance(p, _Uninitialized)]
        raise GlassnetValueError(f"{type(module).__name__}: initialize_parameters left placeholders {left}")
    module.__dict__.pop("_lazy_hook").remove()
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
