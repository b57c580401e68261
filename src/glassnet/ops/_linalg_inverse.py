"""Inverses and determinants of stacks of square matrices ``(..., n, n)``: inv, det,
slogdet, solve and the pseudo-inverse, each a primitive with its gradient beside it.

Notation: ``Aᵀ`` transposes the last two axes, ``G`` is the gradient of the output.
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import promote, write_out
from glassnet.ops._elementwise import mul, neg
from glassnet.ops._linalg import matmul
from glassnet.ops._linalg_checks import (
    LinAlgError,
    first_failing,
    lapack_errors,
    require_matrices,
    require_square,
    swap,
)

__all__ = ["inv", "inverse", "det", "slogdet", "logdet", "solve", "pinv", "pinverse", "SlogdetResult"]

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


def _singular(name, a, factor, advice):
    index = first_failing(a, factor)
    return LinAlgError(
        f"{name}: (batch element {index}) the {a.shape[-2]}×{a.shape[-1]} matrix is singular "
        f"(a zero pivot in its LU factorisation), so {advice}"
    )


class Inverse(Function):
    formula = "Y = A⁻¹  (A·Y = I)"
    grad_formulas = ("dA = −Yᵀ · dY · Yᵀ",)

    def forward(self, a):
        xp = namespace(a)
        try:
            self.y = xp.linalg.inv(a)
        except lapack_errors():
            raise _singular(
                "linalg.inv", a, xp.linalg.inv, "it has no inverse; use gn.linalg.pinv or gn.linalg.lstsq"
            ) from None
        return self.y

    def backward(self, g):
        yt = swap(self.y)
        return (-(yt @ g @ yt),)

    def differentiable_backward(self, g, out):
        yt = out.transpose(-1, -2)
        return (neg(matmul(matmul(yt, g), yt)),)


class Det(Function):
    """The determinant. Its gradient is the transposed adjugate, ``det(A)·A⁻ᵀ`` for an
    invertible A; through the SVD ``A = U·S·Vh`` it is written so that it also holds for a
    singular A (as PyTorch's): ``adj(A)ᵀ = det(U)·det(Vh) · U·diag(Π_{j≠i} s_j)·Vh``."""

    formula = "d = det(A)"
    grad_formulas = ("dA = dd · adj(A)ᵀ = dd · det(U)·det(Vh) · U · diag(Π_{j≠i} s_j) · Vh",)

    def forward(self, a):
        self.a = a
        return namespace(a).linalg.det(a)

    def backward(self, g):
        xp = namespace(g)
        u, s, vh = xp.linalg.svd(self.a)
        ones = xp.ones_like(s[..., :1])
        before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)  # Π_{j<i} s_j
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), -1), -1), -1)
        orientation = xp.linalg.det(u) * xp.linalg.det(vh)
        adjugate_t = (u * (before * after)[..., None, :]) @ vh
        return ((g * orientation)[..., None, None] * adjugate_t,)

    def differentiable_backward(self, g, out):
        """``dd · det(A) · A⁻ᵀ`` with Tensor ops: an invertible A only (a singular one
        raises, naming it — its first derivative goes through the SVD above)."""
        a = self.inputs[0]
        inverse_t = Inverse.apply(a).transpose(-1, -2)
        return (mul(mul(g, out).unsqueeze(-1).unsqueeze(-1), inverse_t),)


class LogAbsDet(Function):
    formula = "l = log |det(A)|"
    grad_formulas = ("dA = dl · A⁻ᵀ",)

    def forward(self, a):
        self.a = a
        return namespace(a).linalg.slogdet(a)[1]

    def backward(self, g):
        xp = namespace(g)
        try:
            inverse_t = swap(xp.linalg.inv(self.a))
        except lapack_errors():
            raise _singular(
                "linalg.slogdet (backward)", self.a, xp.linalg.inv, "log|det| = −inf has no gradient there"
            ) from None
        return (g[..., None, None] * inverse_t,)

    def differentiable_backward(self, g, out):
        inverse_t = Inverse.apply(self.inputs[0]).transpose(-1, -2)
        return (mul(g.unsqueeze(-1).unsqueeze(-1), inverse_t),)


class Solve(Function):
    """``X = A⁻¹·B`` for a stack of square ``A`` (..., n, n) and ``B`` (..., n, k); the batch
    axes broadcast (the engine sums the gradients back)."""

    formula = "X = A⁻¹ · B  (A·X = B)"
    grad_formulas = ("dB = A⁻ᵀ · dX", "dA = −dB · Xᵀ")

    def forward(self, a, b):
        xp = namespace(a)
        self.a = a
        try:
            self.x = xp.linalg.solve(a, b)
        except lapack_errors():
            raise _singular(
                "linalg.solve", a, xp.linalg.inv, "A·X = B has no unique solution; use gn.linalg.lstsq"
            ) from None
        return self.x

    def backward(self, g):
        gb = namespace(g).linalg.solve(swap(self.a), g)
        ga = -(gb @ swap(self.x)) if self.needs_grad[0] else None
        return ga, gb

    def differentiable_backward(self, g, out):
        a = self.inputs[0]
        gb = Solve.apply(a.transpose(-1, -2), g)
        return (neg(matmul(gb, out.transpose(-1, -2))) if self.needs_grad[0] else None), gb

    def shape_error(self, inputs, exc):
        a, b = (tuple(t.shape) for t in inputs)
        return ShapeError(
            f"linalg.solve: A {a} and B {b} do not fit: B must be (..., {a[-1]}, k) with batch "
            f"axes that broadcast against {a[:-2]}"
        )


class PseudoInverse(Function):
    """The Moore–Penrose pseudo-inverse through the SVD, dropping singular values at or below
    ``max(atol, rtol·σ_max)``. Its gradient (Golub & Pereyra) holds where the rank is constant."""

    formula = "P = A⁺ = V · diag(1/σ_i for σ_i > tol, else 0) · Uᵀ"
    grad_formulas = ("dA = −Pᵀ·dP·Pᵀ + (I − A·P)·dPᵀ·P·Pᵀ + Pᵀ·P·dPᵀ·(I − P·A)",)

    def forward(self, a, atol, rtol, hermitian):
        xp = namespace(a)
        self.a = a
        if hermitian:
            values, vectors = xp.linalg.eigh(a)
            u, s, vh = vectors * xp.sign(values)[..., None, :], xp.abs(values), swap(vectors)
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
        largest = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
        keep = s > xp.maximum(atol, rtol * largest)
        inverse_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
        self.p = (swap(vh) * inverse_s[..., None, :]) @ swap(u)
        return self.p

    def backward(self, g):
        a, p, gt = self.a, self.p, swap(g)
        pt = swap(p)
        first = -(pt @ g @ pt)
        second = (gt - a @ (p @ gt)) @ (p @ pt)
        third = (pt @ p) @ (gt - (gt @ p) @ a)
        return (first + second + third,)


def inv(A, *, out=None):  # noqa: N803  (PyTorch's names)
    """The inverse of each square matrix of ``A`` (..., n, n); a singular one raises
    :class:`LinAlgError` naming its batch element."""
    require_square("linalg.inv", A)
    return write_out(Inverse.apply(A), out, "inv")


def det(A, *, out=None):  # noqa: N803
    """The determinant of each square matrix of ``A`` (..., n, n) → (...)."""
    require_square("linalg.det", A)
    return write_out(Det.apply(A), out, "det")


def slogdet(A, *, out=None):  # noqa: N803
    """``(sign, logabsdet)`` with ``det(A) = sign · exp(logabsdet)``, each of shape (...);
    a singular matrix gives ``(0, −inf)``. Only ``logabsdet`` is differentiable."""
    require_square("linalg.slogdet", A)
    sign = Tensor._wrap(namespace(A.array).linalg.slogdet(A.array)[0], False, None)
    result = SlogdetResult(sign, LogAbsDet.apply(A))
    if out is None:
        return result
    return SlogdetResult(*(write_out(r, o, "slogdet") for r, o in zip(result, out, strict=True)))


def logdet(A):  # noqa: N803
    """``log(det(A))`` (PyTorch's ``torch.logdet``): NaN where the determinant is negative,
    −inf where it is 0."""
    sign, logabsdet = slogdet(A)
    return logabsdet.masked_fill(sign < 0, float("nan"))


def _is_vector(A, B):  # noqa: N803
    """PyTorch's rule: B is a (batch of) vector(s) if 1-D, or if its shape is A's without the last axis."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True, out=None):  # noqa: N803
    """The solution ``X`` of ``A·X = B`` (``left=False``: ``X·A = B``) for square ``A``
    (..., n, n) and ``B`` (..., n, k) or a vector (..., n); batch axes broadcast."""
    require_square("linalg.solve", A)
    require_matrices("linalg.solve", B if B.ndim >= 2 else B.reshape(-1, 1), "B")
    A, B = promote(A, B)
    if not left:
        return write_out(solve(A.mT, B.mT).mT, out, "solve")
    if _is_vector(A, B):
        return write_out(Solve.apply(A, B.unsqueeze(-1)).squeeze(-1), out, "solve")
    return write_out(Solve.apply(A, B), out, "solve")


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):  # noqa: N803
    """The pseudo-inverse of each matrix of ``A`` (..., m, n) → (..., n, m). Singular values
    at or below ``max(atol, rtol·σ_max)`` count as 0; PyTorch's defaults: ``rtol = ε·max(m, n)``
    when neither is given, ``rtol = 0`` when only ``atol`` is."""
    require_matrices("linalg.pinv", A)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(_eps(A)) * max(A.shape[-2:])
    result = PseudoInverse.apply(
        A, atol=0.0 if atol is None else float(atol), rtol=float(rtol), hermitian=bool(hermitian)
    )
    return write_out(result, out, "pinv")


def _eps(A):  # noqa: N803
    return np.finfo(A.array.dtype).eps


def inverse(input, *, out=None):  # noqa: A002
    """PyTorch's ``torch.inverse``: :func:`inv`."""
    return inv(input, out=out)


def pinverse(input, rcond=1e-15, hermitian=False):  # noqa: A002
    """PyTorch's ``torch.pinverse``: :func:`pinv` with the relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond, hermitian=hermitian)
