"""Matrix factorisations of stacks ``(..., m, n)``: Cholesky, QR, the symmetric eigen-
decomposition and the SVD, each a primitive with its gradient beside it (the formulas of
Murray 2016 for Cholesky, Walter & Lehmann 2018 for QR, Giles 2008 / Townsend 2016 for
eigh and the SVD — the same as PyTorch's).

A factorisation with several outputs returns them packed in one array (the last axis),
and the user function cuts them apart with differentiable indexing, so each output's
gradient reaches one backward. ``Aᵀ`` transposes the last two axes.
"""

from collections import namedtuple

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.ops._linalg_checks import LinAlgError, first_failing, lapack_errors, swap

__all__ = ["Cholesky", "QR", "Eigh", "SVD", "QRResult", "EighResult", "SVDResult"]

QRResult = namedtuple("QRResult", ["Q", "R"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


def _tril(xp, x, k=0):
    return xp.tril(x, k)


def _right_solve(xp, y, r):
    """X with X·R = Y (a solve with Rᵀ from the left)."""
    return swap(xp.linalg.solve(swap(r), swap(y)))


class Cholesky(Function):
    """``A = L·Lᵀ`` for a symmetric positive-definite A (only its lower triangle is read)."""

    formula = "A = L · Lᵀ,  L lower triangular"
    grad_formulas = (
        "P = Φ(Lᵀ · dL),  Φ: the lower triangle with the diagonal halved, made symmetric",
        "dA = L⁻ᵀ · P · L⁻¹",
    )

    def forward(self, a):
        xp = namespace(a)
        try:
            self.l = xp.linalg.cholesky(a)
        except lapack_errors():
            raise _not_positive_definite(xp, a) from None
        return self.l

    def backward(self, g):
        xp, lower = namespace(g), self.l
        m = _tril(xp, swap(lower) @ g)
        p = 0.5 * (m + swap(_tril(xp, m, -1)))
        return (_right_solve(xp, xp.linalg.solve(swap(lower), p), lower),)


def _not_positive_definite(xp, a):
    index = first_failing(a, xp.linalg.cholesky)
    matrix = a.reshape((-1, *a.shape[-2:]))[index]
    order = next(k for k in range(1, matrix.shape[0] + 1) if _fails(xp, matrix[:k, :k]))
    return LinAlgError(
        f"linalg.cholesky: (batch element {index}) the factorization could not be completed "
        f"because the input is not positive-definite (the leading minor of order {order} is "
        "not positive-definite); a Cholesky factor exists only for symmetric positive-definite "
        "matrices (add a multiple of the identity, or use gn.linalg.eigh)"
    )


def _fails(xp, matrix):
    try:
        xp.linalg.cholesky(matrix)
    except lapack_errors():
        return True
    return False


class QR(Function):
    """``A = Q·R``, Q with orthonormal columns, R upper triangular (LAPACK's signs, as
    PyTorch's). Output: Q and R flattened side by side on the last axis."""

    formula = "A = Q · R,  Qᵀ·Q = I,  R upper triangular"
    grad_formulas = (
        "m ≥ n: M = R·dRᵀ − dQᵀ·Q,  dA = (dQ + Q·copyltu(M)) · R⁻ᵀ",
        "m < n: A = [X | Y], R = [U | V]: dY = Q·dV, then X = Q·U with dQ + Y·dVᵀ",
    )

    def forward(self, a, mode):
        xp = namespace(a)
        q, r = xp.linalg.qr(a, mode=mode if mode != "r" else "reduced")
        self.q, self.r = q, r
        batch = a.shape[:-2]
        if mode == "r":
            q = q[..., :0, :0]
        return xp.concatenate([q.reshape(batch + (-1,)), r.reshape(batch + (-1,))], axis=-1)

    def backward(self, g):
        mode, q, r = self.params["mode"], self.q, self.r
        if mode == "r":
            raise GlassnetValueError(
                "linalg.qr: the derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'; use gn.linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through it"
            )
        m, n = self.inputs[0].shape[-2:]
        if mode == "complete" and m > n:
            raise GlassnetValueError(
                "linalg.qr: the QR decomposition is not differentiable when "
                f"mode='complete' and nrows > ncols (got {m} × {n}); use mode='reduced'"
            )
        xp, batch = namespace(g), g.shape[:-1]
        gq = g[..., : q.shape[-2] * q.shape[-1]].reshape(batch + q.shape[-2:])
        gr = g[..., q.shape[-2] * q.shape[-1] :].reshape(batch + r.shape[-2:])
        if m >= n:
            return (_qr_square_backward(xp, q, r, gq, gr),)
        y, gx_r, gy_r = self.inputs[0].array[..., m:], gr[..., :m], gr[..., m:]
        gx = _qr_square_backward(xp, q, r[..., :m], gq + y @ swap(gy_r), gx_r)
        return (xp.concatenate([gx, q @ gy_r], axis=-1),)


def _qr_square_backward(xp, q, r, gq, gr):
    """dA = (dQ + Q·copyltu(M))·R⁻ᵀ, M = R·dRᵀ − dQᵀ·Q, copyltu: the lower triangle mirrored up."""
    m = r @ swap(gr) - swap(gq) @ q
    copyltu = _tril(xp, m) + swap(_tril(xp, m, -1))
    return _right_solve(xp, gq + q @ copyltu, swap(r))


class Eigh(Function):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, reading one
    triangle (``UPLO``). Output (..., n+1, n): the eigenvalues, then the eigenvector matrix."""

    formula = "A = V · diag(λ) · Vᵀ,  λ ascending"
    grad_formulas = ("dA = V · (diag(dλ) + (Vᵀ·dV − dVᵀ·V) / 2 ⊘ E) · Vᵀ,  E_ij = λ_j − λ_i",)

    def forward(self, a, UPLO):  # noqa: N803
        xp = namespace(a)
        self.values, self.vectors = xp.linalg.eigh(a, UPLO=UPLO)
        return xp.concatenate([self.values[..., None, :], self.vectors], axis=-2)

    def backward(self, g):
        xp, values, v = namespace(g), self.values, self.vectors
        g_values, g_vectors = g[..., 0, :], g[..., 1:, :]
        vt_gv = swap(v) @ g_vectors
        skew = 0.5 * (vt_gv - swap(vt_gv))
        gaps = values[..., None, :] - values[..., :, None]
        _refuse_degenerate(xp, "linalg.eigh", gaps, skew, "eigenvalues")
        n = values.shape[-1]
        diagonal = xp.eye(n, dtype=bool)
        inner = xp.where(diagonal, 0, skew / xp.where(diagonal | (gaps == 0), 1, gaps))
        inner = inner + g_values[..., None, :] * xp.eye(n, dtype=g.dtype)
        return (v @ inner @ swap(v),)


def _refuse_degenerate(xp, name, gaps, numerators, what):
    """Equal eigenvalues (singular values) make the vectors' gradient undefined: 0/0 there."""
    n = gaps.shape[-1]
    clash = (gaps == 0) & ~xp.eye(n, dtype=bool) & (numerators != 0)
    if clash.any():
        where = tuple(int(i) for i in xp.argwhere(clash)[0])
        raise GlassnetValueError(
            f"{name}: the gradient through the vectors is undefined because two {what} are equal "
            f"(entries {where[-2]} and {where[-1]} of batch element {where[:-2] or 0}); the vectors of a "
            f"repeated {what[:-1]} are not unique. Differentiate a function of the values only, or of "
            "the subspace they span"
        )


class SVD(Function):
    """``A = U·diag(S)·Vh``, S descending. Output: U, S and Vh flattened side by side on the
    last axis. The gradient uses the first k = min(m, n) columns of U and rows of Vh."""

    formula = "A = U · diag(S) · Vh,  S descending"
    grad_formulas = (
        "J = Uᵀ·dU, K = Vh·dVhᵀ, F_ij = 1/(s_j² − s_i²) (0 on the diagonal)",
        "dA = U·(diag(dS) + (F∘(J − Jᵀ))·S + S·(F∘(K − Kᵀ)))·Vh",
        "   + (I − U·Uᵀ)·dU·S⁻¹·Vh + U·S⁻¹·dVh·(I − Vhᵀ·Vh)",
    )

    def forward(self, a, full_matrices):
        xp = namespace(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        self.u, self.s, self.vh = u, s, vh
        batch = a.shape[:-2]
        return xp.concatenate([u.reshape(batch + (-1,)), s, vh.reshape(batch + (-1,))], axis=-1)

    def backward(self, g):
        xp, u, s, vh = namespace(g), self.u, self.s, self.vh
        k, batch = s.shape[-1], g.shape[:-1]
        gu = g[..., : u.shape[-2] * u.shape[-1]].reshape(batch + u.shape[-2:])[..., :k]
        gs = g[..., u.shape[-2] * u.shape[-1] :][..., :k]
        gvh = g[..., u.shape[-2] * u.shape[-1] + k :].reshape(batch + vh.shape[-2:])[..., :k, :]
        u, vh = u[..., :k], vh[..., :k, :]
        j, kk = swap(u) @ gu, vh @ swap(gvh)
        skew_j, skew_k = j - swap(j), kk - swap(kk)
        gaps = (s * s)[..., None, :] - (s * s)[..., :, None]
        _refuse_degenerate(
            xp, "linalg.svd", gaps, skew_j * s[..., None, :] + s[..., :, None] * skew_k, "singular values"
        )
        diagonal = xp.eye(k, dtype=bool)
        inner = xp.where(
            diagonal,
            0,
            (skew_j * s[..., None, :] + s[..., :, None] * skew_k) / xp.where(diagonal | (gaps == 0), 1, gaps),
        )
        inner = inner + gs[..., None, :] * xp.eye(k, dtype=g.dtype)
        ga = u @ inner @ vh
        m, n = u.shape[-2], vh.shape[-1]
        if m > k and gu.any():
            ga = ga + ((gu - u @ j) / s[..., None, :]) @ vh
        if n > k and gvh.any():
            ga = ga + u @ ((gvh - swap(kk) @ vh) / s[..., :, None])
        return (ga,)
