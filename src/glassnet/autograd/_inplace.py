"""In-place updates of tensors, with PyTorch's rules.

``x.add_(y)``, ``x -= y``, ``x[i] = v``, ``x.zero_()``, … write into ``x``'s memory
(views of it see the change) and return ``x``. Three rules keep gradients honest:

1. **A leaf that requires grad** may only be changed while gradients are not recorded
   (``with gn.no_grad(): w -= lr * w.grad``, as optimisers do); otherwise the change
   would be invisible to backward, so it raises.
2. **Recorded history**: when gradients are recorded, the update is also recorded. The
   op runs out of place on ``before`` (a copy of the old values that takes over the old
   history), its result is written into ``x``, and ``x`` becomes that op's output. Ops
   that used ``x`` earlier still mean the old ``x``: backward follows them to ``before``
   (kept in ``x._past`` under the version they saw; :func:`prepare_for_backward`).
3. **Version counters**: every in-place update bumps the version of ``x``'s memory
   (shared by every view of it, as in PyTorch: kept per base array). An op that
   recorded ``x`` as an input notes the version it saw; backward raises if an op that
   kept ``x``'s memory for its gradient (an attribute holding that array or a view of
   it) finds the values changed (:func:`prepare_for_backward`), instead of computing with the
   new values. The same holds for an op whose output memory it kept (``exp`` keeps
   ``eˣ``) when that output is changed in place.
"""

import warnings
import weakref

import numpy as np

from glassnet._backend import generator_or_default, namespace
from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError, GlassnetWarning
from glassnet.autograd._inplace_more import MoreInPlaceMethods
from glassnet.autograd._mode import grad_mode, no_grad

__all__ = ["InPlaceMethods", "holds_memory_of", "live_versions", "prepare_for_backward", "version_of"]

live_versions = {}  # id(base array) → [version, weak ref]: arrays changed in place that still exist


def _base(array):
    while getattr(array, "base", None) is not None and hasattr(array.base, "shape"):
        array = array.base
    return array


def version_of(tensor):
    """How many in-place updates ``tensor``'s memory (or any view of it) has had."""
    base = _base(tensor.array)
    entry = live_versions.get(id(base))
    return 0 if entry is None or entry[1]() is not base else entry[0]


def _bump_version(array):
    base = _base(array)
    key = id(base)
    entry = live_versions.get(key)
    if entry is None or entry[1]() is not base:
        entry = live_versions[key] = [0, weakref.ref(base, lambda _, key=key: live_versions.pop(key, None))]
    entry[0] += 1


def prepare_for_backward(op, node):
    """Before backward walks below ``op`` (which made ``node``): raise if ``op`` kept
    memory for its gradient that was changed in place since, and point its inputs that
    were updated in place with recorded history back to what they were when ``op`` ran."""
    if op.output_modified:
        raise GlassnetError(_modified_message(op, "its output", node, 0, 1))
    seen, inputs, moved = op.versions, list(op.inputs), False
    for i, t in enumerate(inputs):
        now = version_of(t)
        then = 0 if seen is None else seen[i]
        if now == then:
            continue
        if holds_memory_of(op, t.array):
            raise GlassnetError(_modified_message(op, f"its input {i}", t, then, now))
        standing_in = _as_it_was(t, then)
        if standing_in is not None:
            inputs[i], moved = standing_in, True
    if moved:
        op.inputs = tuple(inputs)


def _as_it_was(tensor, version):
    """The tensor that stands for ``tensor`` as it was at ``version`` (its recorded history
    then), if a recorded in-place update has replaced that history since."""
    for past_version, before in tensor._past or ():
        if past_version >= version:
            return before
    return None


def holds_memory_of(op, array):
    """True if one of ``op``'s attributes (or an item of a tuple or list attribute) is an
    array sharing memory with ``array``: what the op saved for its backward."""
    for value in vars(op).values():
        items = value if isinstance(value, (tuple, list)) else (value,)
        for item in items:
            if hasattr(item, "__array_interface__") or hasattr(item, "__cuda_array_interface__"):
                if item is array or np.may_share_memory(item, array):
                    return True
    return False


def _modified_message(op, what, tensor, then, now):
    return (f"backward: {op.name} needs {what} (shape {tuple(tensor.shape)}, dtype {tensor.dtype}) as "
            f"it was when recorded (version {then}), but it was modified in place since (version {now}); "
            "change a copy instead (y = x.clone(); y.add_(…)) or make the in-place change after backward")


def _legacy_alpha(name, other, alpha):
    """``(other, alpha)``, also from the old overload ``x.add_(number, tensor)`` (alpha first), which
    PyTorch still accepts with a deprecation warning: old programs write ``p.data.add_(-lr, p.grad.data)``."""
    if hasattr(alpha, "_ctx") and isinstance(other, (int, float)):
        warnings.warn(f"{name}(number, tensor) is PyTorch's deprecated overload {name}(alpha, other); "
                      f"write {name}(other, alpha=number)", GlassnetWarning, stacklevel=3)
        return alpha, other
    return other, alpha


def _requires_grad(value):
    return getattr(value, "_requires_grad", False)


class InPlaceMethods(MoreInPlaceMethods):
    """The in-place methods of :class:`~glassnet.autograd.Tensor` (mixed into it; the rest:
    :class:`~glassnet.autograd._inplace_more.MoreInPlaceMethods`)."""

    __slots__ = ()
    _past = None  # [(version, the tensor standing for this one up to that version)], oldest first

    def _bump_version(self):
        _bump_version(self.array)

    def _write(self, values, name):
        """Copy ``values`` into this tensor's memory with PyTorch's casting rule."""
        try:
            np.copyto(self.array, values, casting="same_kind") if type(self.array) is np.ndarray \
                else self.array.__setitem__(Ellipsis, values)
        except TypeError as exc:
            raise GlassnetTypeError(
                f"{name}: the result has dtype {values.dtype}, which cannot be stored in this tensor of "
                f"dtype {self.dtype} in place; convert first (x = x.to({values.dtype}))") from exc
        except ValueError as exc:
            raise GlassnetValueError(
                f"{name}: the result has shape {tuple(values.shape)}, which does not fit this tensor of "
                f"shape {tuple(self.shape)} in place (an in-place result must broadcast to the tensor's own "
                "shape)") from exc

    def _inplace(self, name, compute, *args):
        """Replace this tensor's values by ``compute(before, *args)`` (see the module doc)."""
        recording = grad_mode.enabled and (self._requires_grad or any(map(_requires_grad, args)))
        if not recording:
            with no_grad():
                result = compute(type(self)._wrap(self.array, False, None), *args)
            self._write(result.array, name)
            self._bump_version()
            return self
        if self._ctx is None and self._requires_grad:
            raise GlassnetValueError(
                f"{name}: a leaf tensor that requires grad cannot be changed in place while gradients are "
                "recorded (backward would not see the change); update it inside `with gn.no_grad():` as "
                "optimisers do, or compute a new tensor out of place")
        if self._ctx is not None and holds_memory_of(self._ctx, self.array):
            self._ctx.output_modified = True
        before = type(self)._wrap(self.array.copy(), self._requires_grad, self._ctx)
        self._past = [*(self._past or ()), (version_of(self), before)]
        result = compute(before, *args)
        self._write(result.array, name)
        self._bump_version()
        self._ctx, self._requires_grad = result._ctx, result._requires_grad
        return self

    # -- the methods ------------------------------------------------------------------
    def add_(self, other, alpha=1):
        """``self += alpha · other`` in place."""
        other, alpha = _legacy_alpha("add_", other, alpha)
        return self._inplace("add_", lambda b, o: ops.add(b, o if alpha == 1 else ops.mul(o, alpha)), other)

    def sub_(self, other, alpha=1):
        """``self -= alpha · other`` in place."""
        other, alpha = _legacy_alpha("sub_", other, alpha)
        return self._inplace("sub_", lambda b, o: ops.sub(b, o if alpha == 1 else ops.mul(o, alpha)), other)

    def mul_(self, other):
        return self._inplace("mul_", ops.mul, other)

    def div_(self, other):
        return self._inplace("div_", ops.div, other)

    def pow_(self, exponent):
        return self._inplace("pow_", ops.pow, exponent)

    def neg_(self):
        return self._inplace("neg_", ops.neg)

    def abs_(self):
        return self._inplace("abs_", ops.abs)

    def exp_(self):
        return self._inplace("exp_", ops.exp)

    def log_(self):
        return self._inplace("log_", ops.log)

    def sqrt_(self):
        return self._inplace("sqrt_", ops.sqrt)

    def sigmoid_(self):
        return self._inplace("sigmoid_", ops.sigmoid)

    def tanh_(self):
        return self._inplace("tanh_", ops.tanh)

    def relu_(self):
        return self._inplace("relu_", ops.relu)

    def clamp_(self, min=None, max=None):  # noqa: A002  (PyTorch's names)
        return self._inplace("clamp_", lambda b: ops.clip(b, min, max))

    clip_ = clamp_

    def zero_(self):
        """Set every element to 0 in place."""
        return self.fill_(0)

    def fill_(self, value):
        """Set every element to ``value`` in place (a gradient of zero flows back)."""
        return self._inplace("fill_", lambda b, v: ops.where(_nowhere(b), b, v), _scalar_like(self, value))

    def copy_(self, src):
        """Copy ``src`` (broadcast and cast to this tensor's shape and dtype) in place;
        differentiable with respect to ``src``."""
        src = src if _requires_grad(src) or hasattr(src, "_ctx") else _scalar_like(self, src)
        return self._inplace("copy_", lambda b, s: ops.where(_nowhere(b), b, s), src)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with uniform draws from ``[a, b)`` in place (``generator`` or glassnet's)."""
        draw = generator_or_default(generator, "uniform_").uniform(a, b, self.shape)
        return self._fill_with("uniform_", draw)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with normal draws ``mean + std·N(0, 1)`` in place."""
        draw = mean + std * generator_or_default(generator, "normal_").standard_normal(self.shape)
        return self._fill_with("normal_", draw)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability ``p``) or 0 in place."""
        draw = generator_or_default(generator, "bernoulli_").random(self.shape) < p
        return self._fill_with("bernoulli_", draw)

    def _fill_with(self, name, values):
        """Replace every element by the NumPy ``values`` (a gradient of zero flows back)."""
        return self._inplace(name, lambda b, v: ops.where(_nowhere(b), b, v), _host_values(self, values))

    def masked_fill_(self, mask, value):
        """Set the elements where ``mask`` is true to ``value`` in place."""
        return self._inplace("masked_fill_", lambda b, v: ops.where(mask, v, b), _scalar_like(self, value))

    absolute_, negative_, multiply_, subtract_, divide_, true_divide_ = abs_, neg_, mul_, sub_, div_, div_

    def __iadd__(self, other):
        return self._inplace("+=", ops.add, other)

    def __isub__(self, other):
        return self._inplace("-=", ops.sub, other)

    def __imul__(self, other):
        return self._inplace("*=", ops.mul, other)

    def __itruediv__(self, other):
        return self._inplace("/=", ops.div, other)

    def __ipow__(self, other):
        return self._inplace("**=", ops.pow, other)

    def __setitem__(self, index, value):
        """``x[index] = value``: written into ``x``'s memory; recorded when gradients are."""
        index = tuple(_unwrap_index(i) for i in index) if isinstance(index, tuple) else _unwrap_index(index)
        if not (grad_mode.enabled and (self._requires_grad or _requires_grad(value))):
            try:
                self.array[index] = value.array if hasattr(value, "_ctx") else value
            except (ValueError, TypeError) as exc:
                raise GlassnetValueError(
                    f"setitem: cannot write {_describe(value)} into a tensor of shape {tuple(self.shape)}, "
                    f"dtype {self.dtype} at index {index!r}: {exc}") from exc
            self._bump_version()
            return
        value = value if hasattr(value, "_ctx") else _scalar_like(self, value)
        if value.dtype != self.dtype:
            value = ops.cast(value, self.dtype)
        self._inplace("setitem", lambda b, v: ops.setitem(b, index, v), value)


ops = None  # glassnet.ops, installed with it (see glassnet.autograd._tensor.install_ops)


def _scalar_like(tensor, value):
    """``value`` (a number, list or array) as a tensor of ``tensor``'s dtype."""
    from glassnet.autograd._tensor import Tensor

    return value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=tensor.dtype))


def _host_values(tensor, values):
    """NumPy ``values`` as a constant tensor of ``tensor``'s dtype, on its device."""
    from glassnet.autograd._tensor import Tensor

    return Tensor._wrap(namespace(tensor.array).asarray(np.asarray(values, dtype=tensor.dtype)), False, None)


def _nowhere(tensor):
    """A boolean mask of ``tensor``'s shape that is false everywhere."""
    from glassnet.autograd._tensor import Tensor

    return Tensor._wrap(np.zeros(tensor.shape, dtype=bool), False, None)


def _unwrap_index(item):
    return item.array if hasattr(item, "_ctx") else item


def _describe(value):
    shape = getattr(value, "shape", None)
    return f"a value of shape {tuple(shape)}" if shape is not None else repr(value)
