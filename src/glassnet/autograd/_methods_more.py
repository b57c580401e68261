"""More of PyTorch's ``Tensor`` methods (issue #16), each one line calling the glassnet
function of the same name: ``x.lerp(end, w)`` is ``gn.lerp(x, end, w)``. Mixed into
:class:`~glassnet.autograd._methods.TorchMethods`; the functions live in
:mod:`glassnet.ops` (looked up through ``_methods.ops`` at call time, installed when ops
loads), so this module imports nothing from the layers above autograd.
"""

from glassnet.autograd import _methods
from glassnet.autograd._methods_storage import StorageMethods

__all__ = ["MoreTorchMethods", "install_random", "install_signal"]

_random = {}  # multinomial, bernoulli: glassnet._random hands them over (install_random)
_signal = {}  # stft, istft: glassnet._stft, glassnet._istft hand them over (install_signal)


def install_random(**functions):
    """Called by ``glassnet`` when it loads: the random draws that ``x.multinomial(...)`` and
    ``x.bernoulli()`` call (they live above autograd, in ``glassnet._random``)."""
    _random.update(functions)


def install_signal(**functions):
    """Called by ``glassnet`` when it loads: ``x.stft(...)`` and ``x.istft(...)`` (they live
    above autograd, in ``glassnet._stft`` and ``glassnet._istft``)."""
    _signal.update(functions)


def _ops():
    return _methods.ops


class MoreTorchMethods(StorageMethods):
    """Methods with PyTorch's names and arguments; each calls ``glassnet.ops``."""

    __slots__ = ()

    # -- elementwise ------------------------------------------------------------------------
    def addcmul(self, tensor1, tensor2, *, value=1):
        return _ops().addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _ops().addcdiv(self, tensor1, tensor2, value=value)

    def lerp(self, end, weight):
        return _ops().lerp(self, end, weight)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _ops().nan_to_num(self, nan, posinf, neginf)

    def xlogy(self, other):
        return _ops().xlogy(self, other)

    def hypot(self, other):
        return _ops().hypot(self, other)

    def logaddexp(self, other):
        return _ops().logaddexp(self, other)

    def logaddexp2(self, other):
        return _ops().logaddexp2(self, other)

    def exp2(self):
        return _ops().exp2(self)

    def logit(self, eps=None):
        return _ops().logit(self, eps)

    def ldexp(self, other):
        return _ops().ldexp(self, other)

    def float_power(self, exponent):
        return _ops().float_power(self, exponent)

    def copysign(self, other):
        return _ops().copysign(self, other)

    def signbit(self):
        return _ops().signbit(self)

    def sgn(self):
        return _ops().sgn(self)

    def deg2rad(self):
        return _ops().deg2rad(self)

    def rad2deg(self):
        return _ops().rad2deg(self)

    def sinc(self):
        return _ops().sinc(self)

    def erfc(self):
        return _ops().erfc(self)

    def erfinv(self):
        return _ops().erfinv(self)

    def lgamma(self):
        return _ops().lgamma(self)

    def digamma(self):
        return _ops().digamma(self)

    def fmax(self, other):
        return _ops().fmax(self, other)

    def fmin(self, other):
        return _ops().fmin(self, other)

    def heaviside(self, values):
        return _ops().heaviside(self, values)

    def gcd(self, other):
        return _ops().gcd(self, other)

    def lcm(self, other):
        return _ops().lcm(self, other)

    def nextafter(self, other):
        return _ops().nextafter(self, other)

    def frexp(self):
        return _ops().frexp(self)

    def negative(self):
        return _ops().neg(self)

    def positive(self):
        return _ops().positive(self)

    def absolute(self):
        return _ops().abs(self)

    def fix(self):
        return _ops().trunc(self)

    def arctan2(self, other):
        return _ops().atan2(self, other)

    def is_nonzero(self):
        return _ops().is_nonzero(self)

    def isreal(self):
        return _ops().isreal(self)

    def isneginf(self):
        return _ops().isneginf(self)

    def isposinf(self):
        return _ops().isposinf(self)

    def polygamma(self, n):
        return _ops().polygamma(n, self)

    def bitwise_and(self, other):
        return _ops().bitwise_and(self, other)

    def bitwise_or(self, other):
        return _ops().bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _ops().bitwise_xor(self, other)

    def bitwise_not(self):
        return _ops().bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _ops().bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _ops().bitwise_right_shift(self, other)

    def __lshift__(self, other):
        return _ops().bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _ops().bitwise_right_shift(self, other)

    def argwhere(self):
        return _ops().argwhere(self)

    def bincount(self, weights=None, minlength=0):
        return _ops().bincount(self, weights, minlength)

    def dist(self, other, p=2):
        return _ops().dist(self, other, p)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return _ops().histogram(self, bins, range=range, weight=weight, density=density)

    def is_same_size(self, other):
        return tuple(self.shape) == tuple(other.shape)

    @property
    def mH(self):  # noqa: N802  (PyTorch's name)
        """The last two axes swapped (conjugated for complex tensors; real ones are their own)."""
        return _ops().swapaxes(self, -1, -2).conj()

    @property
    def H(self):  # noqa: N802
        """The conjugate transpose of a matrix."""
        return _ops().t(self).conj()

    def adjoint(self):
        return self.mH

    def conj_physical(self):
        return self.conj()

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    def is_conj(self):
        """False: glassnet conjugates eagerly (no lazy conjugate bit)."""
        return False

    def is_neg(self):
        """False: glassnet negates eagerly (no lazy negative bit)."""
        return False

    def is_shared(self):
        """False: glassnet's tensors are in this process's memory (see ``share_memory_``)."""
        return False

    # -- writing by index (out of place; the in-place forms end in _) ------------------------
    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _ops().index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _ops().diagonal_scatter(self, src, offset, dim1, dim2)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops().index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        return _ops().index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return _ops().index_fill(self, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        return _ops().index_put(self, indices, values, accumulate)

    def select_scatter(self, src, dim, index):
        return _ops().select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _ops().slice_scatter(self, src, dim, start, end, step)

    def masked_scatter(self, mask, source):
        return _ops().masked_scatter(self, mask, source)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _ops().scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def take(self, index):
        return _ops().take(self, index)

    def put(self, index, source, accumulate=False):
        return _ops().put(self, index, source, accumulate)

    # -- reductions and order statistics --------------------------------------------------
    def median(self, dim=None, keepdim=False):
        return _ops().median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _ops().nanmedian(self, dim, keepdim)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _ops().kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _ops().mode(self, dim, keepdim)

    def msort(self):
        return _ops().msort(self)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops().quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops().nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops().nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops().nanmean(self, dim, keepdim, dtype=dtype)

    def cummax(self, dim):
        return _ops().cummax(self, dim)

    def cummin(self, dim):
        return _ops().cummin(self, dim)

    def logcumsumexp(self, dim):
        return _ops().logcumsumexp(self, dim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _ops().aminmax(self, dim=dim, keepdim=keepdim)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002  (PyTorch's names)
        return _ops().histc(self, bins, min, max)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _ops().unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _ops().unique_consecutive(self, return_inverse, return_counts, dim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _ops().cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _ops().corrcoef(self)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _ops().diff(self, n, dim, prepend, append)

    # -- products and builders ---------------------------------------------------------------
    def kron(self, other):
        return _ops().kron(self, other)

    def inner(self, other):
        return _ops().inner(self, other)

    def vdot(self, other):
        return _ops().vdot(self, other)

    def ger(self, vec2):
        return _ops().outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _ops().addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _ops().addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _ops().addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops().addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops().baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _ops().diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _ops().diagflat(self, offset)

    def renorm(self, p, dim, maxnorm):
        return _ops().renorm(self, p, dim, maxnorm)

    # -- shapes ------------------------------------------------------------------------------
    def ravel(self):
        return _ops().ravel(self)

    def swapdims(self, dim0, dim1):
        return _ops().swapaxes(self, dim0, dim1)

    def tensor_split(self, indices_or_sections, dim=0):
        return _ops().tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections):
        return _ops().hsplit(self, sections)

    def vsplit(self, sections):
        return _ops().vsplit(self, sections)

    def dsplit(self, sections):
        return _ops().dsplit(self, sections)

    def split_with_sizes(self, split_sizes, dim=0):
        return _ops().split(self, list(split_sizes), dim)

    def rot90(self, k=1, dims=(0, 1)):
        return _ops().rot90(self, k, dims)

    def narrow_copy(self, dim, start, length):
        return _ops().clone(_ops().narrow(self, dim, start, length))

    def sum_to_size(self, *size):
        """The sum over the dimensions that ``size`` (to which this tensor must broadcast)
        holds as 1 or lacks: the reverse of ``expand``."""
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        lead = self.ndim - len(size)
        if lead < 0 or any(n not in (1, m) for n, m in zip(size, self.shape[lead:], strict=True)):
            from glassnet._errors import GlassnetValueError

            raise GlassnetValueError(f"sum_to_size: size {size} is not expandable to the tensor's shape "
                                     f"{tuple(self.shape)}")
        axes = tuple(range(lead)) + tuple(lead + i for i,
                                          n in enumerate(size) if n == 1 and self.shape[lead + i] != 1)
        summed = _ops().sum(self, axes, keepdim=True) if axes else self
        return _ops().reshape(summed, size)

    def unfold(self, dimension, size, step):
        """Every window of ``size`` elements along ``dimension``, ``step`` apart: that dimension
        becomes the number of windows and a new last dimension of ``size`` holds each window
        (differentiable: overlapping windows add their gradients)."""
        return _ops().unfold(self, dimension, size, step)

    # -- random draws ----------------------------------------------------------------------
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _random["multinomial"](self, num_samples, replacement, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        return _random["bernoulli"](self, p, generator=generator)

    # -- short-time Fourier transforms ------------------------------------------------------
    def stft(self, n_fft, *args, **kwargs):
        return _signal["stft"](self, n_fft, *args, **kwargs)

    def istft(self, n_fft, *args, **kwargs):
        return _signal["istft"](self, n_fft, *args, **kwargs)
