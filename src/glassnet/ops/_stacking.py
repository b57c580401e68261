"""NumPy-style stacking, PyTorch's ``hstack``, ``vstack``, ``dstack`` and ``column_stack``:
each lifts its inputs to a common rank with a reshape, then joins them with ``cat``, so the
gradient is cat's (split ``dy``) followed by reshape's.

Shapes (``n``, ``m`` sizes; every input is lifted first):

- ``hstack``: 1-D inputs ``(n_i,)`` → ``(Σ n_i,)``; otherwise joined along dim 1.
- ``vstack``: ``()`` → ``(1, 1)``, ``(n,)`` → ``(1, n)``; joined along dim 0.
- ``dstack``: ``()`` → ``(1, 1, 1)``, ``(n,)`` → ``(1, n, 1)``, ``(m, n)`` → ``(m, n, 1)``;
  joined along dim 2.
- ``column_stack``: ``()`` → ``(1, 1)``, ``(n,)`` → ``(n, 1)``; joined along dim 1.
"""

from glassnet.ops._shape import _tensor_list, cat, reshape

__all__ = ["hstack", "vstack", "dstack", "column_stack"]


def _at_least(x, ndim):
    """``x`` reshaped as PyTorch's ``atleast_1d``/``atleast_2d``/``atleast_3d``."""
    if x.ndim >= ndim:
        return x
    if x.ndim == 0:
        return reshape(x, (1,) * ndim)
    if ndim == 2 or x.ndim == 2:  # (n,) → (1, n); (m, n) → (m, n, 1)
        return reshape(x, (1, *x.shape)) if ndim == 2 else reshape(x, (*x.shape, 1))
    return reshape(x, (1, x.shape[0], 1))  # (n,) → (1, n, 1)


def hstack(tensors):
    """Join horizontally: along dim 0 for 1-D inputs, dim 1 otherwise."""
    tensors = [_at_least(t, 1) for t in _tensor_list(tensors, "hstack")]
    return cat(tensors, dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join vertically (row-wise) along dim 0, 1-D inputs as rows ``(1, n)``."""
    return cat([_at_least(t, 2) for t in _tensor_list(tensors, "vstack")], dim=0)


def dstack(tensors):
    """Join depth-wise along dim 2, inputs lifted to at least 3-D."""
    return cat([_at_least(t, 3) for t in _tensor_list(tensors, "dstack")], dim=2)


def column_stack(tensors):
    """Join as columns along dim 1, 0-D and 1-D inputs as columns ``(n, 1)``."""
    tensors = _tensor_list(tensors, "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], dim=1)
