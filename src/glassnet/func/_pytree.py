"""The nested arguments ``torch.func`` takes and gives: a tensor, or a dict / list / tuple
of them (any depth), flattened to its tensors in order and rebuilt from replacements."""

from glassnet._errors import GlassnetTypeError
from glassnet.autograd._tensor import Tensor


def _leaves(value, tracked):
    """``value`` with each tensor replaced by a leaf to differentiate by (appended to
    ``tracked``): a detached copy that requires grad, or the tensor itself when it already
    requires grad (then the result keeps the outer graph)."""
    if isinstance(value, Tensor):
        leaf = value if value.requires_grad else value.detach().requires_grad_()
        tracked.append(leaf)
        return leaf
    if isinstance(value, dict):
        return {k: _leaves(v, tracked) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_leaves(v, tracked) for v in value)
    raise GlassnetTypeError("grad: a differentiated argument must be a tensor or a dict/list/tuple of "
                            f"tensors, got {type(value).__name__}")


def _rebuild(value, grads):
    """The structure of ``value`` with its tensors replaced, in order, by ``grads``."""
    if isinstance(value, Tensor):
        return next(grads)
    if isinstance(value, dict):
        return {k: _rebuild(v, grads) for k, v in value.items()}
    return type(value)(_rebuild(v, grads) for v in value)


def _tensors(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _detached(value):
    """``value`` with its tensors detached (anything else kept as it is)."""
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    return value
