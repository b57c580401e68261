"""More in-place methods of :class:`~glassnet.autograd.Tensor` (issue #16), each through
:meth:`InPlaceMethods._inplace <glassnet.autograd._inplace.InPlaceMethods._inplace>`, so each
keeps PyTorch's rules (leaves that require grad only under ``no_grad``, recorded history,
version counters): ``x.sin_()`` is ``x`` with ``gn.sin(x)`` written into its memory.

Three groups: the in-place form of an elementwise or indexing function (one line each); the
in-place view changes (``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``, ``resize_``),
which change the shape that this tensor reads its memory with; and the random fillers
(``random_``, ``exponential_``, ``cauchy_``, ``log_normal_``, ``geometric_``).
"""

import numpy as np

from glassnet._backend import generator_or_default
from glassnet._errors import GlassnetValueError
from glassnet.autograd import _methods
from glassnet.autograd._mode import grad_mode, no_grad

__all__ = ["MoreInPlaceMethods"]


def _ops():
    return _methods.ops


class MoreInPlaceMethods:
    """Mixed into :class:`~glassnet.autograd._inplace.InPlaceMethods` (which defines
    ``_inplace`` and ``_fill_with``)."""

    __slots__ = ()

    # -- elementwise, one line each: x.f_(…) writes gn.f(x, …) into x ---------------------------
    def acos_(self):
        return self._inplace("acos_", _ops().acos)

    def asin_(self):
        return self._inplace("asin_", _ops().asin)

    def atan_(self):
        return self._inplace("atan_", _ops().atan)

    def cos_(self):
        return self._inplace("cos_", _ops().cos)

    def cosh_(self):
        return self._inplace("cosh_", _ops().cosh)

    def sin_(self):
        return self._inplace("sin_", _ops().sin)

    def sinh_(self):
        return self._inplace("sinh_", _ops().sinh)

    def tan_(self):
        return self._inplace("tan_", _ops().tan)

    def asinh_(self):
        return self._inplace("asinh_", _ops().asinh)

    def acosh_(self):
        return self._inplace("acosh_", _ops().acosh)

    def atanh_(self):
        return self._inplace("atanh_", _ops().atanh)

    def ceil_(self):
        return self._inplace("ceil_", _ops().ceil)

    def floor_(self):
        return self._inplace("floor_", _ops().floor)

    def trunc_(self):
        return self._inplace("trunc_", _ops().trunc)

    def frac_(self):
        return self._inplace("frac_", _ops().frac)

    def expm1_(self):
        return self._inplace("expm1_", _ops().expm1)

    def log1p_(self):
        return self._inplace("log1p_", _ops().log1p)

    def log2_(self):
        return self._inplace("log2_", _ops().log2)

    def log10_(self):
        return self._inplace("log10_", _ops().log10)

    def reciprocal_(self):
        return self._inplace("reciprocal_", _ops().reciprocal)

    def rsqrt_(self):
        return self._inplace("rsqrt_", _ops().rsqrt)

    def sign_(self):
        return self._inplace("sign_", _ops().sign)

    def sgn_(self):
        return self._inplace("sgn_", _ops().sgn)

    def square_(self):
        return self._inplace("square_", _ops().square)

    def erf_(self):
        return self._inplace("erf_", _ops().erf)

    def erfc_(self):
        return self._inplace("erfc_", _ops().erfc)

    def erfinv_(self):
        return self._inplace("erfinv_", _ops().erfinv)

    def exp2_(self):
        return self._inplace("exp2_", _ops().exp2)

    def deg2rad_(self):
        return self._inplace("deg2rad_", _ops().deg2rad)

    def rad2deg_(self):
        return self._inplace("rad2deg_", _ops().rad2deg)

    def sinc_(self):
        return self._inplace("sinc_", _ops().sinc)

    def lgamma_(self):
        return self._inplace("lgamma_", _ops().lgamma)

    def digamma_(self):
        return self._inplace("digamma_", _ops().digamma)

    def logical_not_(self):
        return self._inplace("logical_not_", _as_numbers(_ops().logical_not))

    def bitwise_not_(self):
        return self._inplace("bitwise_not_", _ops().bitwise_not)

    def atan2_(self, other):
        return self._inplace("atan2_", _ops().atan2, other)

    def fmod_(self, other):
        return self._inplace("fmod_", _ops().fmod, other)

    def remainder_(self, other):
        return self._inplace("remainder_", _ops().remainder, other)

    def floor_divide_(self, other):
        return self._inplace("floor_divide_", _ops().floor_divide, other)

    def hypot_(self, other):
        return self._inplace("hypot_", _ops().hypot, other)

    def xlogy_(self, other):
        return self._inplace("xlogy_", _ops().xlogy, other)

    def copysign_(self, other):
        return self._inplace("copysign_", _ops().copysign, other)

    def ldexp_(self, other):
        return self._inplace("ldexp_", _ops().ldexp, other)

    def nextafter_(self, other):
        return self._inplace("nextafter_", _ops().nextafter, other)

    def gcd_(self, other):
        return self._inplace("gcd_", _ops().gcd, other)

    def lcm_(self, other):
        return self._inplace("lcm_", _ops().lcm, other)

    def heaviside_(self, other):
        return self._inplace("heaviside_", _ops().heaviside, other)

    def eq_(self, other):
        return self._inplace("eq_", _as_numbers(_ops().eq), other)

    def ne_(self, other):
        return self._inplace("ne_", _as_numbers(_ops().ne), other)

    def lt_(self, other):
        return self._inplace("lt_", _as_numbers(_ops().lt), other)

    def le_(self, other):
        return self._inplace("le_", _as_numbers(_ops().le), other)

    def gt_(self, other):
        return self._inplace("gt_", _as_numbers(_ops().gt), other)

    def ge_(self, other):
        return self._inplace("ge_", _as_numbers(_ops().ge), other)

    def logical_and_(self, other):
        return self._inplace("logical_and_", _as_numbers(_ops().logical_and), other)

    def logical_or_(self, other):
        return self._inplace("logical_or_", _as_numbers(_ops().logical_or), other)

    def logical_xor_(self, other):
        return self._inplace("logical_xor_", _as_numbers(_ops().logical_xor), other)

    def bitwise_and_(self, other):
        return self._inplace("bitwise_and_", _ops().bitwise_and, other)

    def bitwise_or_(self, other):
        return self._inplace("bitwise_or_", _ops().bitwise_or, other)

    def bitwise_xor_(self, other):
        return self._inplace("bitwise_xor_", _ops().bitwise_xor, other)

    arccos_, arcsin_, arctan_, arcsinh_, arccosh_, arctanh_, arctan2_, fix_ = (
        acos_, asin_, atan_, asinh_, acosh_, atanh_, atan2_, trunc_)
    not_equal_, greater_, greater_equal_, less_, less_equal_ = ne_, gt_, ge_, lt_, le_

    def bitwise_left_shift_(self, other):
        return self._inplace("bitwise_left_shift_", _ops().bitwise_left_shift, other)

    def bitwise_right_shift_(self, other):
        return self._inplace("bitwise_right_shift_", _ops().bitwise_right_shift, other)

    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    def polygamma_(self, n):
        return self._inplace("polygamma_", lambda b: _ops().polygamma(n, b))

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._inplace("index_reduce_", lambda b, s: _ops().index_reduce(
            b, dim, index, s, reduce, include_self=include_self), source)

    def round_(self, decimals=0):
        return self._inplace("round_", lambda b: _ops().round(b, decimals))

    def clamp_min_(self, min):  # noqa: A002  (PyTorch's names)
        return self._inplace("clamp_min_", _ops().clamp_min, min)

    def clamp_max_(self, max):  # noqa: A002
        return self._inplace("clamp_max_", _ops().clamp_max, max)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace("nan_to_num_", lambda b: _ops().nan_to_num(b, nan, posinf, neginf))

    def logit_(self, eps=None):
        return self._inplace("logit_", lambda b: _ops().logit(b, eps))

    def float_power_(self, exponent):
        return self._inplace("float_power_", _ops().float_power, exponent)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._inplace("addcmul_", lambda b, t1, t2: _ops().addcmul(b, t1, t2, value=value), tensor1,
                             tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._inplace("addcdiv_", lambda b, t1, t2: _ops().addcdiv(b, t1, t2, value=value), tensor1,
                             tensor2)

    def lerp_(self, end, weight):
        return self._inplace("lerp_", _ops().lerp, end, weight)

    def renorm_(self, p, dim, maxnorm):
        return self._inplace("renorm_", lambda b: _ops().renorm(b, p, dim, maxnorm))

    def cumsum_(self, dim, *, dtype=None):
        return self._inplace("cumsum_", lambda b: _ops().cumsum(b, dim, dtype=dtype))

    def cumprod_(self, dim, *, dtype=None):
        return self._inplace("cumprod_", lambda b: _ops().cumprod(b, dim, dtype=dtype))

    def tril_(self, diagonal=0):
        return self._inplace("tril_", lambda b: _ops().tril(b, diagonal))

    def triu_(self, diagonal=0):
        return self._inplace("triu_", lambda b: _ops().triu(b, diagonal))

    # -- products added in place: x = β·x + α·(…) --------------------------------------------
    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return self._inplace("addmm_", lambda b, m1, m2: _ops().addmm(b, m1, m2, beta=beta, alpha=alpha),
                             mat1, mat2)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return self._inplace("addmv_", lambda b, m, v: _ops().addmv(b, m, v, beta=beta, alpha=alpha), mat,
                             vec)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return self._inplace("addr_", lambda b, v1, v2: _ops().addr(b, v1, v2, beta=beta, alpha=alpha), vec1,
                             vec2)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._inplace("addbmm_", lambda b, b1, b2: _ops().addbmm(b, b1, b2, beta=beta, alpha=alpha),
                             batch1, batch2)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._inplace("baddbmm_", lambda b, b1, b2: _ops().baddbmm(b, b1, b2, beta=beta, alpha=alpha),
                             batch1, batch2)

    # -- writing by index in place ------------------------------------------------------------
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        if src is not None and hasattr(src, "_ctx"):
            return self._inplace("scatter_", lambda b, s: _ops().scatter(b, dim, index, s, reduce=reduce),
                                 src)
        return self._inplace("scatter_", lambda b: _ops().scatter(b, dim, index, src, value=value,
                                                                  reduce=reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", lambda b, s: _ops().scatter_add(b, dim, index, s), src)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._inplace("scatter_reduce_", lambda b, s: _ops().scatter_reduce(
            b, dim, index, s, reduce, include_self=include_self), src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace("index_add_", lambda b, s: _ops().index_add(b, dim, index, s, alpha=alpha),
                             source)

    def index_copy_(self, dim, index, source):
        return self._inplace("index_copy_", lambda b, s: _ops().index_copy(b, dim, index, s), source)

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", lambda b: _ops().index_fill(b, dim, index, value))

    def index_put_(self, indices, values, accumulate=False):
        return self._inplace("index_put_", lambda b, v: _ops().index_put(b, indices, v, accumulate), values)

    def masked_scatter_(self, mask, source):
        return self._inplace("masked_scatter_", lambda b, s: _ops().masked_scatter(b, mask, s), source)

    def put_(self, index, source, accumulate=False):
        return self._inplace("put_", lambda b, s: _ops().put(b, index, s, accumulate), source)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal (all indices equal) to ``fill_value`` in place; ``wrap``: in a
        tall matrix the diagonal starts again below every square block (as NumPy's)."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise GlassnetValueError(f"fill_diagonal_: needs a matrix, or all dimensions equal; got shape "
                                     f"{tuple(self.shape)}")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return self.masked_fill_(_as_mask(self, mask), fill_value)

    # -- in-place view changes: the same memory read with another shape -----------------------
    def _reshape_inplace(self, name, compute):
        """Make this tensor ``compute(self)`` (a view of the same memory) in place; recorded when
        gradients are, refused on a leaf that requires grad (as any in-place change)."""
        recording = grad_mode.enabled and self._requires_grad
        if recording and self._ctx is None:
            raise GlassnetValueError(f"{name}: a leaf tensor that requires grad cannot be changed in "
                                     f"place while "
                                     "gradients are recorded; use the out-of-place form (x = x.t()) instead")
        before = type(self)._wrap(self.array, self._requires_grad, self._ctx)
        if recording:
            result = compute(before)
        else:
            with no_grad():
                result = compute(before)
        self.array = result.array
        if recording:
            self._ctx = result._ctx
        return self

    def t_(self):
        return self._reshape_inplace("t_", _ops().t)

    def transpose_(self, dim0, dim1):
        return self._reshape_inplace("transpose_", lambda b: _ops().swapaxes(b, dim0, dim1))

    swapaxes_ = swapdims_ = transpose_

    def squeeze_(self, dim=None):
        return self._reshape_inplace("squeeze_", lambda b: _ops().squeeze(b, dim))

    def unsqueeze_(self, dim):
        return self._reshape_inplace("unsqueeze_", lambda b: _ops().unsqueeze(b, dim))

    def resize_(self, *sizes):
        """A new shape for the same elements, in place. Only a shape with the same number of
        elements is supported (PyTorch would also grow or shrink the storage; glassnet raises
        instead of leaving uninitialised values)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if int(np.prod(sizes)) != self.numel():
            raise GlassnetValueError(
                f"resize_: glassnet resizes only to a shape with the same number of elements "
                f"({self.numel()} for "
                f"shape {tuple(self.shape)}), got {sizes}; make a new tensor (gn.zeros({sizes})) and copy "
                f"into it")
        return self._reshape_inplace("resize_", lambda b: _ops().reshape(b, sizes))

    def resize_as_(self, other):
        return self.resize_(tuple(other.shape))

    def share_memory_(self):
        """Self: glassnet's tensors live in this process's memory (no shared-memory segment is
        made; worker processes receive copies)."""
        return self

    def apply_(self, callable):  # noqa: A002  (PyTorch's name)
        """Replace each element ``v`` by ``callable(v)`` (a Python function, element by element:
        slow, as PyTorch's; not differentiable)."""
        mapped = np.vectorize(callable, otypes=[self.dtype])(np.asarray(self.array)) if self.numel() else None
        return self if mapped is None else self._fill_with("apply_", mapped)

    def map_(self, tensor, callable):  # noqa: A002
        """Replace each element ``v`` by ``callable(v, w)``, ``w`` the element of ``tensor``
        (broadcast to this tensor's shape) at the same place; not differentiable."""
        other = np.broadcast_to(np.asarray(tensor.array), self.shape)
        if not self.numel():
            return self
        mapped = np.vectorize(callable, otypes=[self.dtype])(np.asarray(self.array), other)
        return self._fill_with("map_", mapped)

    # -- random fillers (a gradient of zero flows back, as for uniform_/normal_) -----------------
    def random_(self, from_=0, to=None, *, generator=None):
        """Whole numbers drawn uniformly from ``[from_, to)``; ``random_(to)`` is ``[0, to)``;
        without bounds ``[0, 2^mantissa]`` for floats, the dtype's range for integers."""
        low, high = (0, from_) if to is None and from_ != 0 else (from_, to)
        if high is None:
            high = _random_top(self.dtype)
        draw = generator_or_default(generator, "random_").integers(low, high, self.shape, dtype=np.int64)
        return self._fill_with("random_", draw)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Draws from the exponential distribution with rate ``lambd``."""
        return self._fill_with("exponential_", generator_or_default(generator, "exponential_").exponential(
            1 / lambd, self.shape))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Draws ``median + sigma · tan(π(U − ½))`` from the Cauchy distribution."""
        u = generator_or_default(generator, "cauchy_").random(self.shape)
        return self._fill_with("cauchy_", median + sigma * np.tan(np.pi * (u - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Draws ``exp(N(mean, std²))``."""
        return self._fill_with("log_normal_", generator_or_default(generator, "log_normal_").lognormal(
            mean, std, self.shape))

    def geometric_(self, p, *, generator=None):
        """The number of Bernoulli(``p``) trials up to the first success (1, 2, …)."""
        return self._fill_with("geometric_", generator_or_default(generator, "geometric_").geometric(p,
                                                                                                     self.shape))


def _as_numbers(test):
    """``test`` (a comparison or logic op) for an in-place method: its bools, as numbers of the
    tensor's dtype when that is not bool, with a zero gradient to the tensor (PyTorch keeps
    ``requires_grad`` on ``h.eq_(0)``; its gradient through the result is 0)."""
    def compute(before, *others):
        result = test(before, *others)
        if before.dtype.kind == "b" or not before._requires_grad:
            return result
        xp_true = np.ones(before.shape, dtype=bool)
        ignored = _ops().where(type(before)._wrap(xp_true, False, None), 0.0, before)  # 0, gradient 0
        return _ops().add(_ops().cast(result, before.dtype), ignored)

    return compute


def _random_top(dtype):
    if dtype.kind == "f":
        return 2 ** np.finfo(dtype).nmant + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) if dtype.itemsize == 8 else int(np.iinfo(dtype).max) + 1


def _as_mask(tensor, mask):
    return type(tensor)._wrap(mask, False, None)


