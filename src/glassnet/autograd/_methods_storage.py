"""PyTorch's ``Tensor`` methods about memory and identity (issue #16): ``stride``,
``storage_offset``, ``data_ptr``, ``is_cpu``, ``get_device``, ``is_signed``, ``pin_memory``,
``new`` (the legacy constructor), ``retains_grad``, ``is_inference`` and
``register_post_accumulate_grad_hook``. Mixed into
:class:`~glassnet.autograd._methods_more.MoreTorchMethods`.

Strides and offsets are counted in elements, as PyTorch's (NumPy counts bytes): they are
read from the backend array, whose layout glassnet keeps (a transpose is a view).
"""

import numpy as np

from glassnet._device import require_gpu
from glassnet._errors import GlassnetTypeError, GlassnetValueError

__all__ = ["StorageMethods"]


def _address(array):
    """The address of ``array``'s first element (NumPy or CuPy)."""
    if hasattr(array, "__array_interface__"):
        return int(array.__array_interface__["data"][0])
    return int(array.data.ptr)


def _base_array(array):
    while getattr(array, "base", None) is not None and hasattr(array.base, "shape"):
        array = array.base
    return array


class StorageMethods:
    """Methods about memory, devices and identity."""

    __slots__ = ()
    _post_accumulate_hooks = None  # {handle id: hook(tensor)} called after .grad is accumulated

    def stride(self, dim=None):
        """The step in elements between neighbours along each dimension (``dim``: one of them)."""
        steps = tuple(int(s) // self.array.itemsize for s in self.array.strides)
        return steps if dim is None else steps[dim]

    def storage_offset(self):
        """How many elements into its memory block this tensor's first element sits."""
        return (_address(self.array) - _address(_base_array(self.array))) // self.array.itemsize

    def data_ptr(self):
        """The address of the first element (an int, as PyTorch's)."""
        return _address(self.array)

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    def get_device(self):
        """-1 on the CPU (as PyTorch), else the GPU's index."""
        return -1 if self.device.type == "cpu" else int(self.device.index or 0)

    def is_signed(self):
        """True for signed dtypes (floating, complex, int8…int64); False for uint8 and bool."""
        return self.array.dtype.kind in "fci"

    def is_pinned(self):
        """False: glassnet does not page-lock host memory."""
        return False

    def pin_memory(self, device=None):
        """As PyTorch: on a machine without a GPU this raises (PyTorch: "Cannot access
        accelerator device when none is available"); with one, glassnet's host arrays are
        already where a copy to the GPU reads them, so the tensor itself is returned."""
        require_gpu("pin_memory")
        return self

    def is_inference(self):
        """False: glassnet has no separate inference tensors (``inference_mode`` only stops
        recording), so every tensor can be used with autograd afterwards."""
        return False

    @property
    def retains_grad(self):
        """True if :meth:`retain_grad` was called on this non-leaf tensor."""
        return bool(self._retains_grad) and self._ctx is not None

    def new(self, *args, dtype=None, device=None):
        """PyTorch's legacy constructor: ``x.new(2, 3)`` an uninitialised tensor of that size,
        ``x.new([1, 2])`` those values, ``x.new()`` an empty one — in ``x``'s dtype and device."""
        if not args:
            return self.new_empty((0,), dtype=dtype, device=device)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return self.new_empty(args, dtype=dtype, device=device)
        if len(args) == 1 and isinstance(args[0], (tuple, list)) and not args[0]:
            return self.new_empty((0,), dtype=dtype, device=device)
        if len(args) == 1:
            return self.new_tensor(args[0], dtype=dtype, device=device)
        raise GlassnetTypeError(f"new: expected sizes (ints) or one sequence of values, got {args!r}")

    def dim_order(self):
        """The dimensions from the outermost in memory to the innermost (largest stride first)."""
        strides = self.stride()
        return tuple(sorted(range(self.ndim), key=lambda d: (-strides[d], d)))

    def is_set_to(self, other):
        """True if both read the same memory the same way (address, shape and strides)."""
        return (self.data_ptr() == other.data_ptr() and tuple(self.shape) == tuple(other.shape)
                and self.stride() == other.stride())

    def bfloat16(self, memory_format=None):
        """Raises: NumPy has no bfloat16 (``gn.bfloat16`` says the same); use ``.float()`` or
        ``.half()``."""
        raise GlassnetTypeError("bfloat16: glassnet computes with NumPy dtypes and NumPy has no bfloat16; "
                                "use "
                                ".float() (float32) or .half() (float16)")

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of ``size`` (glassnet lays it out contiguously; ``stride`` is
        accepted, as the values are uninitialised either way)."""
        return self.new_empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (for
        optimisers that step inside backward). Returns a handle whose ``remove()`` undoes it."""
        if self._ctx is not None:
            raise GlassnetValueError("register_post_accumulate_grad_hook: only a leaf tensor accumulates "
                                     ".grad; "
                                     "this tensor was made by an op (use register_hook for its gradient)")
        if not self._requires_grad:
            raise GlassnetValueError("register_post_accumulate_grad_hook: this tensor does not require grad; "
                                     "set requires_grad=True first")
        from glassnet.autograd._tensor import _HookHandle  # Tensor's module imports this one

        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = {}
        handle = _HookHandle(self._post_accumulate_hooks)
        self._post_accumulate_hooks[handle.id] = hook
        return handle
