"""Running sums and products along an axis, and the product over axes.

Backward of a running sum is a running sum from the other end; backward of a product
uses the product of everything *except* each element, built from exclusive running
products from both ends, so zeros give exact gradients without dividing by them.
"""

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.ops._convert import cast, normalize_dims, write_out
from glassnet.ops._elementwise import _quiet
from glassnet.ops._shape import reshape, stack

__all__ = ["cumsum", "cumprod", "prod"]


def _reverse_cumsum(xp, a, axis):
    """``out[i] = Σ_{j ≥ i} a[j]`` along ``axis``."""
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis), axis)


def _exclusive_products(xp, x, axis):
    """``Π_{k ≠ i} x[k]`` along ``axis`` for every i: the products before i times those after."""
    ones, most = xp.ones_like(xp.take(x, [0], axis=axis)), range(x.shape[axis] - 1)
    before = xp.cumprod(xp.concatenate([ones, xp.take(x, most, axis=axis)], axis), axis)
    after = xp.cumprod(xp.concatenate([ones, xp.take(xp.flip(x, axis), most, axis=axis)], axis), axis)
    return before * xp.flip(after, axis)


class CumSum(Function):
    formula = "y[i] = Σ_{j ≤ i} x[j]  (along dim)"
    grad_formulas = ("dx[i] = Σ_{j ≥ i} dy[j]",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, axis):
        return namespace(x).cumsum(x, axis)

    def backward(self, g):
        return _reverse_cumsum(namespace(g), g, self.params["axis"])


class CumProd(Function):
    """Where ``x[i] ≠ 0`` the gradient is ``Σ_{j ≥ i} dy[j]·y[j] / x[i]``. At the first zero
    of a slice it is the same sum with that zero replaced by 1 in the running product (no
    division); after the first zero every product holds a zero, so the gradient is 0."""

    formula = "y[i] = Π_{j ≤ i} x[j]  (along dim)"
    grad_formulas = ("dx[i] = Σ_{j ≥ i} dy[j] · Π_{k ≤ j, k ≠ i} x[k]",)

    def forward(self, x, axis):
        self.x = x
        self.y = namespace(x).cumprod(x, axis)
        return self.y

    def backward(self, g):
        xp, x, axis = namespace(g), self.x, self.params["axis"]
        zero = x == 0
        if not zero.any():
            return _reverse_cumsum(xp, g * self.y, axis) / x
        with _quiet(xp):
            dx = xp.where(zero, 0, _reverse_cumsum(xp, g * self.y, axis) / xp.where(zero, 1, x))
        first = zero & (xp.cumsum(zero, axis) == 1)
        y_without_first_zero = xp.cumprod(xp.where(first, 1, x), axis)
        return xp.where(first, _reverse_cumsum(xp, g * y_without_first_zero, axis), dx)

    @staticmethod
    def composed(x, axis):
        """The running product as a chain of multiplications (for gradients of gradients)."""
        running = [_along(x, axis, 0)]
        for i in range(1, x.shape[axis]):
            running.append(running[-1] * _along(x, axis, i))
        return stack(running, axis) if running[0] is not None else x


class Prod(Function):
    formula = "y = Π x  (over dim)"
    grad_formulas = ("dx[i] = dy · Π_{k ≠ i} x[k]",)

    def forward(self, x, axis, keepdim):
        self.x = x
        return x.prod(axis=axis, keepdims=keepdim)

    def backward(self, g):
        xp, axis = namespace(g), self.params["axis"]
        if self.x.shape[axis] == 0:
            return xp.zeros_like(self.x)
        if not self.params["keepdim"]:
            g = xp.expand_dims(g, axis)
        return g * _exclusive_products(xp, self.x, axis)

    @staticmethod
    def composed(x, axis, keepdim):
        """The product as a chain of multiplications (for gradients of gradients)."""
        if x.shape[axis] == 0:  # the empty product: 1, with no input to depend on
            return x.sum(axis, keepdim=keepdim) * 0.0 + 1.0
        product = _along(x, axis, 0)
        for i in range(1, x.shape[axis]):
            product = product * _along(x, axis, i)
        return product.unsqueeze(axis) if keepdim else product


def _along(x, axis, i):
    """Slice ``i`` of ``x`` along ``axis`` (that axis dropped); None for an empty axis."""
    if x.shape[axis] == 0:
        return None
    return x[(slice(None),) * axis + (i,)]


def _axis(x, dim, name):
    (axis,) = normalize_dims(dim, x.ndim, name)
    return axis


def _accumulating(x, dtype):
    """PyTorch's dtype for sums and products: integers and bools accumulate in int64."""
    if dtype is not None:
        return cast(x, dtype)
    return cast(x, "int64") if x.array.dtype.kind in "biu" else x


def cumsum(x, dim, *, dtype=None, out=None):
    """Running sum along ``dim``."""
    x = _accumulating(x, dtype)
    if x.ndim == 0:
        return write_out(x * 1, out, "cumsum")
    return write_out(CumSum.apply(x, axis=_axis(x, dim, "cumsum")), out, "cumsum")


def cumprod(x, dim, *, dtype=None, out=None):
    """Running product along ``dim``."""
    x = _accumulating(x, dtype)
    if x.ndim == 0:
        return write_out(x * 1, out, "cumprod")
    return write_out(CumProd.apply(x, axis=_axis(x, dim, "cumprod")), out, "cumprod")


def prod(x, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of all elements, or along one ``dim`` (PyTorch's ``prod`` takes one dim)."""
    x = _accumulating(x, dtype)
    if dim is None:
        flat = reshape(x, -1)
        return write_out(Prod.apply(flat, axis=0, keepdim=False), out, "prod")
    if x.ndim == 0:
        return write_out(x * 1, out, "prod")
    return write_out(Prod.apply(x, axis=_axis(x, dim, "prod"), keepdim=keepdim), out, "prod")
