"""The rest of PyTorch's ``Tensor`` methods, each one line calling the glassnet function of
the same name (mixed into :class:`~glassnet.autograd.Tensor`).

``x.sin()`` is ``gn.sin(x)``, ``x.topk(3)`` is ``gn.topk(x, 3)``: the op and its gradient
live in :mod:`glassnet.ops`, installed here when ops loads (``ops`` below), so this
module imports nothing from the layers above autograd.
"""

import numpy as np

from glassnet._errors import GlassnetTypeError
from glassnet.autograd._methods_more import MoreTorchMethods

__all__ = ["TorchMethods"]

ops = None  # glassnet.ops, installed with it (see glassnet.autograd._tensor.install_ops)


class TorchMethods(MoreTorchMethods):
    """Methods with PyTorch's names and arguments; each calls ``glassnet.ops`` (the rest:
    :class:`~glassnet.autograd._methods_more.MoreTorchMethods`)."""

    __slots__ = ()

    # -- comparisons and logic (bool results, never differentiable) ---------------------
    def eq(self, other):
        return ops.eq(self, other)

    def ne(self, other):
        return ops.ne(self, other)

    def lt(self, other):
        return ops.lt(self, other)

    def le(self, other):
        return ops.le(self, other)

    def gt(self, other):
        return ops.gt(self, other)

    def ge(self, other):
        return ops.ge(self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def isnan(self):
        return ops.isnan(self)

    def isinf(self):
        return ops.isinf(self)

    def isfinite(self):
        return ops.isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return ops.equal(self, other)

    def logical_and(self, other):
        return ops.logical_and(self, other)

    def logical_or(self, other):
        return ops.logical_or(self, other)

    def logical_xor(self, other):
        return ops.logical_xor(self, other)

    def logical_not(self):
        return ops.logical_not(self)

    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return ops.bitwise_xor(other, self)

    def __invert__(self):
        return ops.bitwise_not(self)

    def count_nonzero(self, dim=None):
        return ops.count_nonzero(self, dim)

    def nonzero(self, *, as_tuple=False):
        return ops.nonzero(self, as_tuple=as_tuple)

    # -- elementwise math ----------------------------------------------------------------
    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def tan(self):
        return ops.tan(self)

    def asin(self):
        return ops.asin(self)

    def acos(self):
        return ops.acos(self)

    def atan(self):
        return ops.atan(self)

    def atan2(self, other):
        return ops.atan2(self, other)

    def sinh(self):
        return ops.sinh(self)

    def cosh(self):
        return ops.cosh(self)

    def asinh(self):
        return ops.asinh(self)

    def acosh(self):
        return ops.acosh(self)

    def atanh(self):
        return ops.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def log1p(self):
        return ops.log1p(self)

    def expm1(self):
        return ops.expm1(self)

    def log2(self):
        return ops.log2(self)

    def log10(self):
        return ops.log10(self)

    def erf(self):
        return ops.erf(self)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def round(self, decimals=0):
        return ops.round(self, decimals)

    def trunc(self):
        return ops.trunc(self)

    def frac(self):
        return ops.frac(self)

    def reciprocal(self):
        return ops.reciprocal(self)

    def rsqrt(self):
        return ops.rsqrt(self)

    def square(self):
        return ops.square(self)

    def remainder(self, other):
        return ops.remainder(self, other)

    def fmod(self, other):
        return ops.fmod(self, other)

    def floor_divide(self, other):
        return ops.floor_divide(self, other)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def clamp_min(self, min):  # noqa: A002  (PyTorch's names)
        return ops.clamp(self, min=min)

    def clamp_max(self, max):  # noqa: A002
        return ops.clamp(self, max=max)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true (out of place; ``masked_fill_`` writes)."""
        return ops.where(mask, value, self)

    # -- reductions, running sums, norms -------------------------------------------------
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return ops.prod(self, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        return ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return ops.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return ops.norm(self, p, dim, keepdim, dtype)

    # -- selecting -------------------------------------------------------------------------
    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)

    def masked_select(self, mask):
        return ops.masked_select(self, mask)

    def take_along_dim(self, indices, dim=None):
        return ops.take_along_dim(self, indices, dim)

    def sort(self, dim=-1, descending=False, stable=False):
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        return ops.topk(self, k, dim, largest, sorted)

    # -- rearranging -----------------------------------------------------------------------
    def t(self):
        return ops.t(self)

    def view_as(self, other):
        return ops.reshape(self, tuple(other.shape))

    reshape_as = view_as

    def expand_as(self, other):
        return ops.expand(self, tuple(other.shape))

    def type_as(self, other):
        return self.to(other.dtype)

    def contiguous(self, memory_format=None):
        """Self: glassnet's ops accept any memory layout (PyTorch also returns self when the
        tensor is already contiguous)."""
        return self

    def is_contiguous(self, memory_format=None):
        return bool(self.array.flags.c_contiguous)

    def clone(self, memory_format=None):
        """A copy of the values with its own memory, differentiable (``x.clone()``)."""
        return ops.clone(self)

    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def narrow(self, dim, start, length):
        return ops.narrow(self, dim, start, length)

    def select(self, dim, index):
        return ops.select(self, dim, index)

    def flip(self, *dims):
        return ops.flip(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def fliplr(self):
        return ops.fliplr(self)

    def flipud(self):
        return ops.flipud(self)

    def roll(self, shifts, dims=None):
        return ops.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return ops.triu(self, diagonal)

    def repeat(self, *sizes):
        return ops.repeat(self, *sizes)

    def tile(self, *dims):
        return ops.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def repeat_interleave(self, repeats, dim=None):
        return ops.repeat_interleave(self, repeats, dim)

    def diag(self, diagonal=0):
        return ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return ops.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return ops.trace(self)

    # -- complex values (no gradients: see glassnet.ops._complex) ------------------------------
    @property
    def real(self):
        return self if self.array.dtype.kind != "c" else type(self)._wrap(self.array.real.copy(), False, None)

    @property
    def imag(self):
        if self.array.dtype.kind != "c":
            raise GlassnetTypeError(f"imag: the tensor is real ({self.dtype}); imag is for complex tensors")
        return type(self)._wrap(self.array.imag.copy(), False, None)

    def is_complex(self):
        return self.array.dtype.kind == "c"

    def conj(self):
        return self if self.array.dtype.kind != "c" else type(self)._wrap(self.array.conj(), False, None)

    def angle(self):
        if self.array.dtype.kind != "c":
            raise GlassnetTypeError("angle: glassnet takes the angle of complex tensors only; for a real x "
                                    "write gn.where(x < 0, math.pi, 0.0)")
        return type(self)._wrap(np.angle(self.array), False, None)

    # -- linear algebra (gn.linalg has the rest) ---------------------------------------------
    def det(self):
        return ops.det(self)

    def logdet(self):
        return ops.logdet(self)

    def slogdet(self):
        return ops.slogdet(self)

    def inverse(self):
        return ops.inverse(self)

    def pinverse(self, rcond=1e-15):
        return ops.pinverse(self, rcond)

    def matrix_exp(self):
        return ops.matrix_exp(self)

    def matrix_power(self, n):
        return ops.matrix_power(self, n)

    def cholesky(self, upper=False):
        return ops.cholesky(self, upper=upper)

    def qr(self, some=True):
        return ops.qr(self, some)

    def lu(self, pivot=True, get_infos=False):
        return ops.lu(self, pivot, get_infos)

    def svd(self, some=True, compute_uv=True):
        return ops.svd(self, some, compute_uv)

    def cross(self, other, dim=None):
        return ops.cross(self, other, dim)

    def movedim(self, source, destination):
        return ops.movedim(self, source, destination)

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        return ops.unflatten(self, dim, sizes)

    # -- products --------------------------------------------------------------------------
    def dot(self, other):
        return ops.dot(self, other)

    def mm(self, mat2):
        return ops.mm(self, mat2)

    def bmm(self, mat2):
        return ops.bmm(self, mat2)

    def mv(self, vec):
        return ops.mv(self, vec)

    def outer(self, vec2):
        return ops.outer(self, vec2)

    # -- new tensors like this one (same dtype and device unless given) --------------------
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.ones, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.empty, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        t = self._new(np.empty, (size,), dtype, device, requires_grad=False)
        t.array[...] = fill_value
        return t.requires_grad_(requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new tensor holding a copy of ``data`` in this tensor's dtype (unless given)."""
        t = type(self)(np.array(data.numpy() if hasattr(data, "_ctx") else data, dtype=dtype or self.dtype))
        t = t.to(device or self.device)
        return t.requires_grad_(requires_grad)

    def _new(self, fill, size, dtype, device, requires_grad):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        if not all(isinstance(s, (int, np.integer)) and s >= 0 for s in size):
            raise GlassnetTypeError(f"new tensor: sizes must be non-negative ints, got {size}")
        t = type(self)._wrap(fill(size, dtype=np.dtype(dtype or self.dtype)), False, None)
        return t.to(device or self.device).requires_grad_(requires_grad)

    # -- sizes and kinds ---------------------------------------------------------------------
    def nelement(self):
        return int(self.array.size)

    def ndimension(self):
        return self.array.ndim

    def element_size(self):
        return int(self.array.itemsize)

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def itemsize(self):
        return int(self.array.itemsize)

    @property
    def nbytes(self):
        return int(self.array.nbytes)
