"""PyTorch's COO sparse tensors, held dense (``torch.sparse`` → ``gn.sparse``).

glassnet has no sparse storage. ``sparse_coo_tensor(indices, values, size)`` returns the
dense tensor those entries describe — ``D[indices[:, k]] += values[k]``, duplicates summed
as PyTorch's ``coalesce`` does — and says so once with a warning; ``sparse.mm`` /
``spmm`` are then the ordinary matrix product. The numbers are PyTorch's (a graph
convolution ``spmm(adj, X·W)`` gives the same result); memory and time are a dense
matrix's. What would differ — the ``indices()`` / ``values()`` of the stored entries, a
sparse softmax over the stored entries only — raises instead.
"""

import warnings

import numpy as np

from glassnet import ops
from glassnet._creation import tensor, zeros
from glassnet._dtypes import float32, float64
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor

__all__ = ["DoubleTensor", "FloatTensor", "LongTensor", "addmm", "mm", "softmax", "sparse_coo_tensor",
           "spmm", "sum"]

_warned = []


def _note_once():
    if not _warned:
        _warned.append(True)
        warnings.warn("glassnet has no sparse tensors: sparse_coo_tensor returns the dense tensor with the "
                      "same values (products give PyTorch's numbers, with a dense matrix's memory and time)",
                      UserWarning, stacklevel=3)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """The dense tensor of the COO entries: ``indices`` (S, nnz) integer positions in the
    first S axes, ``values`` (nnz, *rest); ``size`` defaults to one past the largest index
    per axis, then ``values``' trailing axes. Repeated positions add. Differentiable in
    ``values`` (each gets the gradient at its position)."""
    _note_once()
    indices = indices if isinstance(indices, Tensor) else tensor(np.asarray(indices), dtype=np.int64)
    values = values if isinstance(values, Tensor) else tensor(np.asarray(values), dtype=dtype)
    if dtype is not None and values.dtype != dtype:
        values = values.to(dtype)
    if indices.ndim != 2 or values.ndim < 1 or indices.shape[1] != values.shape[0]:
        raise ShapeError(f"sparse_coo_tensor: indices must be (sparse_dims, nnz) and values (nnz, ...) with "
                         f"the same nnz; got {tuple(indices.shape)} and {tuple(values.shape)}")
    positions = np.asarray(indices.numpy(), dtype=np.int64)
    if size is None:
        lead = tuple(int(m) + 1 for m in positions.max(axis=1)) if positions.size else (0,) * len(positions)
        size = lead + tuple(values.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != len(positions) + values.ndim - 1 or any(
            positions[d].size and (positions[d].min() < 0 or positions[d].max() >= size[d])
            for d in range(len(positions))):
        raise GlassnetValueError(f"sparse_coo_tensor: size {size} does not hold indices of "
                                 f"{len(positions)} axes (largest {positions.max(axis=1).tolist()}) and "
                                 f"values {tuple(values.shape)}")
    dense = zeros(*size, dtype=values.dtype, device=device)
    where = tuple(tensor(p) for p in positions)
    dense = dense.index_put(where, values, accumulate=True)
    if requires_grad:
        dense = dense.detach().requires_grad_()
    return dense


def _legacy(dtype, name):
    def make(*args, **kwargs):
        if len(args) >= 2 and not kwargs.get("size") and all(not isinstance(a, int) for a in args[:2]):
            return sparse_coo_tensor(*args[:2], *args[2:3], dtype=dtype, **kwargs)
        raise GlassnetValueError(f"sparse.{name}: give (indices, values[, size]); write "
                                 "gn.sparse_coo_tensor(indices, values, size, dtype=...) (PyTorch's current "
                                 "form)")

    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"PyTorch's legacy ``torch.sparse.{name}(indices, values, size)``: "
                    ":func:`sparse_coo_tensor`.")
    return make


FloatTensor = _legacy(float32, "FloatTensor")
DoubleTensor = _legacy(float64, "DoubleTensor")
LongTensor = _legacy(np.dtype(np.int64), "LongTensor")


def mm(mat1, mat2, reduce=None):
    """``mat1 @ mat2`` (``torch.sparse.mm``; the sparse operand is dense here)."""
    if reduce not in (None, "sum"):
        raise GlassnetValueError(f"sparse.mm: reduce={reduce!r} is not supported (only the sum of products)")
    return ops.matmul(mat1, mat2)


def spmm(input, mat2):
    """``torch.spmm``: ``input @ mat2``."""
    return ops.matmul(input, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta·mat + alpha·(mat1 @ mat2)`` (``torch.sparse.addmm``)."""
    return beta * mat + alpha * ops.matmul(mat1, mat2)


def sum(input, dim=None, dtype=None):  # noqa: A001  (PyTorch's name)
    """``torch.sparse.sum``: the sum over ``dim`` (all axes by default). The absent entries
    are zeros, so the dense sum is the same."""
    out = input.sum() if dim is None else input.sum(dim=dim)
    return out if dtype is None else out.to(dtype)


def softmax(input, dim, dtype=None):
    """Refused: PyTorch's sparse softmax treats the entries that are not stored as −∞ (they
    stay 0), which a dense tensor cannot tell from stored zeros."""
    raise GlassnetValueError("sparse.softmax: over the stored entries only, which the dense tensor of "
                             "sparse_coo_tensor does not record; mask the absent entries with -inf and use "
                             "gn.softmax(x, dim)")
